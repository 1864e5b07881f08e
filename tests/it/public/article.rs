//! `GET /research-news/{slug}`.

use axum::http::StatusCode;
use dateline::config::Config;
use dateline::domain::article::{ArticleStatus, ChangeKind, Study};
use sqlx::PgPool;
use time::macros::{date, datetime};

use crate::helpers::{ArticleBuilder, TestApp, insert_topic};

#[sqlx::test]
async fn archived_story_shows_every_element_in_the_contract_order(pool: PgPool) {
    insert_topic(
        &pool,
        "breast-cancer",
        "Breast cancer",
        "Breast cancer research.",
    )
    .await;
    insert_topic(&pool, "cancer-treatment", "Cancer treatment", "").await;
    let newer = ArticleBuilder::new("Newer HER2 results")
        .insert(&pool)
        .await;
    ArticleBuilder::new("Long remission in HER2-positive breast cancer")
        .slug("her2-remission")
        .dek("One in eleven women stayed in remission.")
        .body("## Findings\n\nEleven of 120 women stayed in remission.")
        .published_at(datetime!(2011-09-26 13:00 UTC))
        .updated_at(datetime!(2022-02-23 02:53 UTC))
        .archived(
            datetime!(2022-02-23 02:53 UTC),
            Some("Newer trials changed care."),
        )
        .superseded_by(newer)
        .topics(&["breast-cancer", "cancer-treatment"])
        .study(Study {
            citation: Some("European Multidisciplinary Cancer Congress 2011".into()),
            study_type: Some("Retrospective cohort".into()),
            sample_size: Some(120),
            presented_at: Some(date!(2011 - 09 - 25)),
            ..Study::default()
        })
        .change(
            ChangeKind::Update,
            "Reviewed and archived.",
            datetime!(2022-02-23 02:53 UTC),
        )
        .insert(&pool)
        .await;

    let page = TestApp::new(pool)
        .get("/research-news/her2-remission")
        .await;

    assert_eq!(page.status, StatusCode::OK);
    assert!(page.header("content-type").starts_with("text/html"));
    page.assert_in_order(&[
        "<h1 class=\"story-title\">Long remission in HER2-positive breast cancer</h1>",
        "One in eleven women stayed in remission.",
        ">Sep 26, 2011</time>",
        "class=\"archive-banner\"",
        "February 22, 2022",
        "Reason: Newer trials changed care.",
        "href=\"/research-news/newer-her2-results\"",
        "<h2>Findings</h2>",
        "About this study",
        "European Multidisciplinary Cancer Congress 2011",
        "120",
        "September 25, 2011",
        "Updates and corrections",
        "Reviewed and archived.",
        "Related topics",
        "href=\"/topics/breast-cancer\"",
        "href=\"/topics/cancer-treatment\"",
        "<time datetime=\"2022-02-23T02:53:00Z\">Last updated on February 22, 2022, 9:53 PM</time>",
        "Share your feedback",
        "Help us improve our research news coverage",
        "action=\"/research-news/her2-remission/feedback\"",
    ]);
    assert_eq!(page.text.matches("<h1").count(), 1, "exactly one h1");
    // No topic link anywhere before the related topics (no kicker above the headline).
    let first_topic_link = page.text.find("href=\"/topics/").unwrap();
    assert!(first_topic_link > page.text.find("Related topics").unwrap());
}

#[sqlx::test]
async fn story_page_carries_canonical_opengraph_and_news_article_json_ld(pool: PgPool) {
    ArticleBuilder::new("Vitamin D and falls")
        .slug("vitamin-d-falls")
        .dek("A trial of </script><b>vitamin D</b>.")
        .study(Study {
            citation: Some("NEJM 2019".into()),
            doi: Some("10.5555/demo.1".into()),
            ..Study::default()
        })
        .insert(&pool)
        .await;

    let page = TestApp::new(pool)
        .get("/research-news/vitamin-d-falls")
        .await;

    assert!(page.text.contains(
        r#"<link rel="canonical" href="https://news.example.org/research-news/vitamin-d-falls">"#
    ));
    assert!(
        page.text
            .contains(r#"<meta property="og:type" content="article">"#)
    );
    assert!(
        page.text
            .contains(r#"<meta property="og:title" content="Vitamin D and falls">"#)
    );
    let start = page
        .text
        .find(r#"<script type="application/ld+json">"#)
        .expect("json-ld")
        + 35;
    let end = start
        + page.text[start..]
            .find("</script>")
            .expect("end of json-ld");
    let json: serde_json::Value =
        serde_json::from_str(&page.text[start..end]).expect("valid JSON-LD");
    assert_eq!(json["@type"], "NewsArticle");
    assert_eq!(json["headline"], "Vitamin D and falls");
    assert_eq!(json["description"], "A trial of </script><b>vitamin D</b>.");
    assert_eq!(json["datePublished"], "2024-03-01T12:00:00Z");
    assert_eq!(json["dateModified"], "2024-03-01T12:00:00Z");
    assert_eq!(json["citation"]["name"], "NEJM 2019");
    assert_eq!(json["citation"]["url"], "https://doi.org/10.5555/demo.1");
    // The dek is escaped in the page, never raw markup.
    assert!(!page.text.contains("<b>vitamin D</b>"));
    assert!(page.text.contains("&#60;b&#62;vitamin D&#60;/b&#62;"));
}

#[sqlx::test]
async fn story_without_study_or_notes_leaves_those_sections_out(pool: PgPool) {
    ArticleBuilder::new("Plain story")
        .slug("plain")
        .insert(&pool)
        .await;
    let page = TestApp::new(pool).get("/research-news/plain").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains("About this study"));
    assert!(!page.text.contains("Updates and corrections"));
    assert!(!page.text.contains("class=\"archive-banner\""));
    assert!(page.text.contains("Share your feedback"));
}

#[sqlx::test]
async fn corrections_and_updates_are_listed_but_minor_edits_are_not(pool: PgPool) {
    ArticleBuilder::new("Corrected story")
        .slug("corrected")
        .change(
            ChangeKind::Minor,
            "fixed a typo",
            datetime!(2024-03-02 12:00 UTC),
        )
        .change(
            ChangeKind::Correction,
            "We misstated the dose as 50 mg; it was 5 mg.",
            datetime!(2024-03-03 12:00 UTC),
        )
        .insert(&pool)
        .await;
    let page = TestApp::new(pool).get("/research-news/corrected").await;
    page.assert_in_order(&[
        "Updates and corrections",
        "Correction",
        "We misstated the dose as 50 mg; it was 5 mg.",
    ]);
    assert!(!page.text.contains("fixed a typo"));
}

#[sqlx::test]
async fn unpublished_unknown_and_withdrawn_stories_are_not_shown(pool: PgPool) {
    for (slug, status) in [
        ("a-draft", ArticleStatus::Draft),
        ("in-review", ArticleStatus::InReview),
        ("scheduled", ArticleStatus::Scheduled),
        ("withdrawn", ArticleStatus::Withdrawn),
    ] {
        ArticleBuilder::new(slug)
            .slug(slug)
            .status(status)
            .insert(&pool)
            .await;
    }
    let deleted = ArticleBuilder::new("Deleted")
        .slug("deleted")
        .insert(&pool)
        .await;
    sqlx::query("UPDATE articles SET deleted_at = now() WHERE id = $1")
        .bind(deleted)
        .execute(&pool)
        .await
        .unwrap();
    let app = TestApp::new(pool);

    for slug in [
        "a-draft",
        "in-review",
        "scheduled",
        "deleted",
        "never-existed",
        "..%2F..%2Fetc%2Fpasswd",
    ] {
        let page = app.get(&format!("/research-news/{slug}")).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{slug}");
        assert!(page.text.contains("Page not found"), "{slug}: styled 404");
        assert!(
            !page.text.contains("Summary of"),
            "{slug}: nothing of the story leaks"
        );
    }
    let gone = app.get("/research-news/withdrawn").await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert!(gone.text.contains("withdrawn"));
}

#[sqlx::test]
async fn a_previous_slug_answers_301_to_the_current_url(pool: PgPool) {
    let id = ArticleBuilder::new("Renamed")
        .slug("new-name")
        .insert(&pool)
        .await;
    let mut conn = pool.acquire().await.unwrap();
    dateline::db::slug_history::record_previous_slug(&mut conn, id, "old-name")
        .await
        .unwrap();
    drop(conn);

    let page = TestApp::new(pool).get("/research-news/old-name").await;

    assert_eq!(page.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(page.header("location"), "/research-news/new-name");
}

#[sqlx::test]
async fn dates_are_shown_in_the_configured_time_zone(pool: PgPool) {
    ArticleBuilder::new("Late night story")
        .slug("late")
        .published_at(datetime!(2022-02-23 02:53 UTC))
        .insert(&pool)
        .await;
    let new_york = TestApp::new(pool.clone()).get("/research-news/late").await;
    assert!(new_york.text.contains(">Feb 22, 2022</time>"));
    assert!(new_york.text.contains("February 22, 2022, 9:53 PM"));

    let mut config = Config::for_tests(crate::helpers::BASE_URL);
    config.timezone = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap();
    let tokyo = TestApp::with_config(pool, config)
        .get("/research-news/late")
        .await;
    assert!(tokyo.text.contains(">Feb 23, 2022</time>"));
    assert!(tokyo.text.contains("February 23, 2022, 11:53 AM"));
}

#[sqlx::test]
async fn body_markup_is_sanitised_and_never_executable(pool: PgPool) {
    ArticleBuilder::new("Hostile")
        .slug("hostile")
        .body("Hi <script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))")
        .insert(&pool)
        .await;
    let page = TestApp::new(pool).get("/research-news/hostile").await;
    let body =
        &page.text[page.text.find("story-body").unwrap()..page.text.find("last-updated").unwrap()];
    assert!(!body.contains("<script"));
    assert!(!body.contains("onerror"));
    assert!(!body.contains("javascript:"));
}

#[sqlx::test]
async fn a_story_written_before_it_was_published_is_last_updated_at_its_dateline(pool: PgPool) {
    ArticleBuilder::new("Drafted early")
        .slug("drafted-early")
        .published_at(datetime!(2024-03-05 15:00 UTC))
        .updated_at(datetime!(2024-03-01 09:00 UTC))
        .insert(&pool)
        .await;
    let page = TestApp::new(pool).get("/research-news/drafted-early").await;
    assert!(
        page.text.contains(
            "<time datetime=\"2024-03-05T15:00:00Z\">Last updated on March 5, 2024, 10:00 AM</time>"
        ),
        "{}",
        page.text
    );
    assert!(
        page.text
            .contains(r#""dateModified":"2024-03-05T15:00:00Z""#)
    );
}

//! `dateline demo` content, loaded through the library.

use axum::http::StatusCode;
use sqlx::PgPool;

use crate::helpers::TestApp;

#[sqlx::test]
async fn demo_loads_enough_stories_and_is_idempotent(pool: PgPool) {
    let first = dateline::demo::load(&pool).await.unwrap();
    assert!(first.stories_added >= 12, "{first}");
    assert!(first.topics_added >= 5, "{first}");
    let second = dateline::demo::load(&pool).await.unwrap();
    assert_eq!(second.stories_added, 0);
    assert_eq!(second.topics_added, 0);
    assert_eq!(second.stories_present, first.stories_added);

    let (stories, archived, topics_used, with_study): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE archived),
                (SELECT count(DISTINCT topic_id) FROM article_topics),
                count(*) FILTER (WHERE study IS NOT NULL)
         FROM articles WHERE status = 'published'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(stories as usize, first.stories_added);
    assert!(archived >= 3);
    assert!(topics_used >= 5);
    assert!(with_study >= 10);
    let revisions_match_versions: bool = sqlx::query_scalar(
        "SELECT bool_and(a.version = (SELECT max(number) FROM article_revisions r WHERE r.article_id = a.id))
         FROM articles a",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        revisions_match_versions,
        "every demo story has one revision per version"
    );
}

#[sqlx::test]
async fn demo_congress_report_reads_as_the_brief_describes(pool: PgPool) {
    dateline::demo::load(&pool).await.unwrap();
    let page = TestApp::new(pool)
        .get("/research-news/long-term-remission-her2-positive-metastatic-breast-cancer")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_in_order(&[
        "<h1 class=\"story-title\">",
        "trastuzumab",
        "class=\"story-dek\"",
        ">Sep 26, 2011</time>",
        "class=\"archive-banner\"",
        "class=\"story-body prose\"",
        "120",
        "About this study",
        "Related topics",
        "<time datetime=\"2022-02-23T02:53:00Z\">Last updated on February 22, 2022, 9:53 PM</time>",
        "class=\"feedback-form\"",
    ]);
    assert!(page.text.contains("liver"));
    assert!(page.text.contains("9%") || page.text.contains("one in eleven"));
}

#[sqlx::test]
async fn demo_has_one_correction_and_an_update_on_public_pages(pool: PgPool) {
    dateline::demo::load(&pool).await.unwrap();
    let slugs: Vec<(String, String)> = sqlx::query_as(
        "SELECT a.slug, r.change_kind FROM article_revisions r JOIN articles a ON a.id = r.article_id
         WHERE r.change_kind IN ('update', 'correction') ORDER BY r.change_kind",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(slugs.iter().filter(|(_, k)| k == "correction").count(), 1);
    assert!(slugs.iter().filter(|(_, k)| k == "update").count() >= 2);
    let app = TestApp::new(pool);
    for (slug, kind) in &slugs {
        let page = app.get(&format!("/research-news/{slug}")).await;
        let label = if kind == "correction" {
            "Correction"
        } else {
            "Update"
        };
        page.assert_in_order(&["Updates and corrections", label]);
    }
}

#[sqlx::test]
async fn a_demo_load_tells_running_servers_what_it_added(pool: PgPool) {
    let mut listener = sqlx::postgres::PgListener::connect_with(&pool)
        .await
        .unwrap();
    listener
        .listen(dateline::db::events::CHANNEL)
        .await
        .unwrap();
    let report = dateline::demo::load(&pool).await.unwrap();
    let mut stories = 0;
    let mut topics = 0;
    let mut people = 0;
    let mut synonyms = 0;
    while stories < report.stories_added || topics == 0 || people == 0 || synonyms == 0 {
        let note = tokio::time::timeout(std::time::Duration::from_secs(5), listener.recv())
            .await
            .expect("a change event for everything added")
            .unwrap();
        let event: dateline::domain::events::ChangeEvent =
            serde_json::from_str(note.payload()).unwrap();
        match event {
            dateline::domain::events::ChangeEvent::Story { .. } => stories += 1,
            dateline::domain::events::ChangeEvent::Topic { slugs, .. } => topics += slugs.len(),
            dateline::domain::events::ChangeEvent::Person { slugs, .. } => people += slugs.len(),
            dateline::domain::events::ChangeEvent::Media { .. } => {}
            dateline::domain::events::ChangeEvent::Synonyms { .. } => synonyms += 1,
        }
    }
    assert_eq!(topics, report.topics_added);
    assert_eq!(people, report.people_added);
    assert!(people >= 6, "{report}");
    assert!(report.synonym_sets_added >= 40, "{report}");
    // A second load adds nothing and says nothing.
    dateline::demo::load(&pool).await.unwrap();
    let quiet = tokio::time::timeout(std::time::Duration::from_millis(300), listener.recv()).await;
    assert!(quiet.is_err(), "no event for what was already there");
}

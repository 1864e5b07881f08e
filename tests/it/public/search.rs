//! `GET /search`: ranked full-text search with highlighted snippets.

use dateline::domain::article::{ArticleStatus, Study};
use sqlx::PgPool;

use crate::helpers::{ArticleBuilder, TestApp, insert_topic};

fn titles(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(".story-card-title a").unwrap();
    doc.select(&selector)
        .map(|a| a.text().collect::<String>())
        .collect()
}

#[sqlx::test]
async fn a_title_match_ranks_above_a_body_match_and_stems_match(pool: PgPool) {
    ArticleBuilder::new("Diet and sleep")
        .body("Some patients reached remission after the diet.")
        .insert(&pool)
        .await;
    ArticleBuilder::new("Remission after trastuzumab")
        .body("Women were followed for years.")
        .insert(&pool)
        .await;
    ArticleBuilder::new("Unrelated")
        .body("Nothing about it.")
        .insert(&pool)
        .await;
    let page = TestApp::new(pool).get("/search?q=remissions").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        titles(&page.text),
        vec!["Remission after trastuzumab", "Diet and sleep"]
    );
    assert!(
        page.text.contains("<mark>remission</mark>"),
        "highlighted snippet"
    );
    assert!(page.text.contains("2 stories match"));
}

#[sqlx::test]
async fn drafts_and_deleted_stories_are_never_found(pool: PgPool) {
    ArticleBuilder::new("Secret embargoed trial")
        .status(ArticleStatus::Draft)
        .insert(&pool)
        .await;
    ArticleBuilder::new("Scheduled embargoed trial")
        .status(ArticleStatus::Scheduled)
        .insert(&pool)
        .await;
    ArticleBuilder::new("Withdrawn embargoed trial")
        .status(ArticleStatus::Withdrawn)
        .insert(&pool)
        .await;
    let deleted = ArticleBuilder::new("Deleted embargoed trial")
        .insert(&pool)
        .await;
    sqlx::query("UPDATE articles SET deleted_at = now() WHERE id = $1")
        .bind(deleted)
        .execute(&pool)
        .await
        .unwrap();
    let page = TestApp::new(pool).get("/search?q=embargoed").await;
    assert_eq!(page.status, 200);
    assert!(titles(&page.text).is_empty());
    assert!(page.text.contains("No stories match"));
}

#[sqlx::test]
async fn search_covers_dek_and_study_citation_and_filters_by_topic_and_archive(pool: PgPool) {
    insert_topic(&pool, "heart", "Heart", "").await;
    ArticleBuilder::new("Blood pressure targets")
        .study(Study {
            citation: Some("SPRINT Research Group, NEJM 2015".into()),
            ..Study::default()
        })
        .topics(&["heart"])
        .insert(&pool)
        .await;
    ArticleBuilder::new("Another story")
        .dek("What SPRINT means for you")
        .archived(time::macros::datetime!(2024-01-01 0:00 UTC), None)
        .insert(&pool)
        .await;
    let app = TestApp::new(pool);
    assert_eq!(titles(&app.get("/search?q=sprint").await.text).len(), 2);
    assert_eq!(
        titles(&app.get("/search?q=sprint&topic=heart").await.text),
        vec!["Blood pressure targets"]
    );
    assert_eq!(
        titles(&app.get("/search?q=sprint&archived=true").await.text),
        vec!["Another story"]
    );
    assert_eq!(
        titles(&app.get("/search?q=%22sprint+means%22").await.text),
        vec!["Another story"],
        "phrase"
    );
    assert_eq!(
        titles(&app.get("/search?q=sprint+-pressure").await.text),
        vec!["Another story"],
        "exclusion"
    );
    assert_eq!(
        titles(&app.get("/search?q=nejm+or+means").await.text).len(),
        2,
        "or"
    );
}

#[sqlx::test]
async fn hostile_queries_never_fail(pool: PgPool) {
    ArticleBuilder::new("Remission <b>bold</b>")
        .body("A <script>alert(1)</script> remission body")
        .insert(&pool)
        .await;
    let app = TestApp::new(pool);
    let long = "remission ".repeat(1_100);
    let queries = [
        "",
        " ",
        "!!!",
        "&",
        "|",
        "!",
        "()",
        "(((",
        "-",
        "--",
        "\"",
        "\"\"\"",
        "or",
        "or or or",
        "-remission",
        "a:*",
        "remission:*",
        "' OR 1=1 --",
        "'; DROP TABLE articles; --",
        "\0",
        "remission\0",
        "\\",
        "\u{202E}",
        "\u{1F9EC}",
        "\u{FFFF}",
        "\u{E000}remission\u{E001}",
        "नि",
        "<script>alert(1)</script>",
        "%",
        "_",
        "remission&page=0",
        "\u{7F}\u{1}",
    ];
    for q in queries {
        let encoded: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
        let page = app.get(&format!("/search?q={encoded}")).await;
        assert!(page.status.as_u16() < 500, "{q:?}: {}", page.status);
    }
    let page = app
        .get(&format!("/search?q={}", long.replace(' ', "+")))
        .await;
    assert_eq!(page.status, 200);
    let page = app.get("/search?q=remission").await;
    assert!(
        !page.text.contains("<script>alert(1)"),
        "snippets are escaped"
    );
    assert!(!page.text.contains("<b>bold</b>"));
    crate::api::xss::assert_inert(&page.text, "search results");
    let reflected = app
        .get("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await;
    crate::api::xss::assert_inert(&reflected.text, "reflected query");
}

/// The search table is kept by the database: publishing adds a story, an edit re-indexes it,
/// archiving keeps it findable, unpublishing and deleting take it out.
#[sqlx::test]
async fn the_index_follows_every_editorial_change(pool: PgPool) {
    use dateline::domain::policy::Role;
    use serde_json::json;

    let token = crate::helpers::token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let created = app
        .create_article(
            &token,
            json!({"title": "Glaucoma drops", "slug": "glaucoma", "body_markdown": "A trial of eye drops."}),
        )
        .await;
    let id = crate::helpers::id_of(&created);
    assert!(titles(&app.get("/search?q=glaucoma").await.text).is_empty());

    app.action(&token, &id, "publish", None).await;
    assert_eq!(
        titles(&app.get("/search?q=glaucoma").await.text),
        ["Glaucoma drops"]
    );

    let edited = app
        .api(
            "PATCH",
            &format!("/api/v1/articles/{id}"),
            Some(&token),
            Some(json!({"title": "Cataract surgery", "change_kind": "update",
                        "change_note": "New title."})),
            &[("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.text);
    assert!(titles(&app.get("/search?q=glaucoma").await.text).is_empty());
    assert_eq!(
        titles(&app.get("/search?q=cataract").await.text),
        ["Cataract surgery"]
    );

    app.action(
        &token,
        &id,
        "archive",
        Some(json!({"reason": "Superseded."})),
    )
    .await;
    assert_eq!(
        titles(&app.get("/search?q=cataract&archived=true").await.text).len(),
        1
    );

    app.action(&token, &id, "unpublish", None).await;
    assert!(titles(&app.get("/search?q=cataract").await.text).is_empty());

    app.action(&token, &id, "publish", None).await;
    assert_eq!(titles(&app.get("/search?q=cataract").await.text).len(), 1);
    let deleted = app
        .api(
            "DELETE",
            &format!("/api/v1/articles/{id}"),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert!(deleted.status.is_success(), "{}", deleted.text);
    assert!(titles(&app.get("/search?q=cataract").await.text).is_empty());
}

/// The search looks among recent stories first and reads older ones only when those are too
/// few; where "recent" starts must never change the answer, only the work.
#[sqlx::test]
async fn where_the_recent_part_starts_never_changes_the_results(pool: PgPool) {
    use dateline::db::search::{RANK_WINDOW, SearchFilter, search};
    let now = time::OffsetDateTime::now_utc();
    let mut dates = Vec::new();
    for n in 0..(RANK_WINDOW + 40) {
        let at = now - time::Duration::hours(n);
        // Title matches rank above body matches: mixed through time.
        let title = if n % 7 == 0 {
            format!("Remission number {n}")
        } else {
            format!("Story number {n}")
        };
        let body = if n % 3 == 0 {
            "Nothing to see."
        } else {
            "Patients stayed in remission."
        };
        ArticleBuilder::new(&title)
            .body(body)
            .published_at(at)
            .insert(&pool)
            .await;
        dates.push(at);
    }
    let filter = SearchFilter::default();
    for (limit, offset) in [(20, 0), (20, 20), (20, 180), (20, 200)] {
        let everything = search(&pool, "remission", &filter, limit, offset, None)
            .await
            .unwrap();
        let ids = |hits: Vec<dateline::db::search::SearchHit>| {
            hits.into_iter().map(|h| h.id).collect::<Vec<_>>()
        };
        let everything = ids(everything);
        if offset < 180 {
            assert_eq!(everything.len(), 20, "page at {offset}");
        }
        for cut in [0, 5, 100, 199, 239] {
            let windowed = search(&pool, "remission", &filter, limit, offset, Some(dates[cut]))
                .await
                .unwrap();
            assert_eq!(
                ids(windowed),
                everything,
                "cut at story {cut}, offset {offset}"
            );
        }
    }
    // The window's start is the 10,000th newest story: with fewer, there is none.
    assert_eq!(
        dateline::db::search::recent_since(&pool).await.unwrap(),
        None
    );
}

//! `GET /` and `GET /research-news?page=N`.

use axum::http::StatusCode;
use dateline::domain::article::ArticleStatus;
use sqlx::PgPool;
use time::Duration;
use time::macros::datetime;

use crate::helpers::{ArticleBuilder, TestApp};

#[sqlx::test]
async fn front_page_lists_the_latest_published_stories_newest_first_archived_ones_marked(
    pool: PgPool,
) {
    ArticleBuilder::new("Older story")
        .published_at(datetime!(2024-01-01 12:00 UTC))
        .insert(&pool)
        .await;
    ArticleBuilder::new("Newer story")
        .published_at(datetime!(2024-06-01 12:00 UTC))
        .insert(&pool)
        .await;
    ArticleBuilder::new("Secret draft")
        .status(ArticleStatus::Draft)
        .insert(&pool)
        .await;
    ArticleBuilder::new("Archived story")
        .published_at(datetime!(2024-03-01 12:00 UTC))
        .archived(datetime!(2024-07-01 12:00 UTC), None)
        .insert(&pool)
        .await;

    let page = TestApp::new(pool).get("/").await;

    assert_eq!(page.status, StatusCode::OK);
    page.assert_in_order(&[
        "<h1",
        "Newer story",
        "Jun 1, 2024",
        "Archived story",
        "Archived</span>",
        "Older story",
    ]);
    assert!(!page.text.contains("Secret draft"));
}

#[sqlx::test]
async fn empty_site_shows_a_friendly_empty_state(pool: PgPool) {
    let app = TestApp::new(pool);
    for path in ["/", "/research-news", "/topics", "/archive"] {
        let page = app.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.text.contains("class=\"empty-state\""), "{path}");
    }
}

#[sqlx::test]
async fn research_news_pages_by_twenty_and_marks_archived_stories(pool: PgPool) {
    let start = datetime!(2024-01-01 12:00 UTC);
    for n in 0..25 {
        let mut story = ArticleBuilder::new(&format!("Story number {n:02}"))
            .published_at(start + Duration::days(n));
        if n == 24 {
            story = story.archived(start + Duration::days(30), None);
        }
        story.insert(&pool).await;
    }
    ArticleBuilder::new("Hidden draft")
        .status(ArticleStatus::Draft)
        .insert(&pool)
        .await;
    let app = TestApp::new(pool);

    let first = app.get("/research-news").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.text.matches("class=\"story-card\"").count(), 20);
    first.assert_in_order(&[
        "Story number 24",
        "Archived",
        "Story number 23",
        "Page 1 of 2",
        "rel=\"next\" href=\"/research-news?page=2\"",
    ]);
    assert!(!first.text.contains("Hidden draft"));

    let second = app.get("/research-news?page=2").await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.text.matches("class=\"story-card\"").count(), 5);
    second.assert_in_order(&[
        "Story number 04",
        "Story number 00",
        "rel=\"prev\" href=\"/research-news\"",
    ]);
    assert!(second.text.contains(
        r#"<link rel="canonical" href="https://news.example.org/research-news?page=2">"#
    ));
}

#[sqlx::test]
async fn bad_page_numbers_get_a_clear_4xx_never_a_500(pool: PgPool) {
    ArticleBuilder::new("Only story").insert(&pool).await;
    let app = TestApp::new(pool);
    for bad in ["0", "-1", "abc", "1.5", "%00", "99999999999999999999999"] {
        let page = app.get(&format!("/research-news?page={bad}")).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "page={bad}");
        assert!(page.text.contains("is not a page number"), "page={bad}");
    }
    let beyond = app.get("/research-news?page=999999").await;
    assert_eq!(beyond.status, StatusCode::NOT_FOUND);
    assert!(beyond.text.contains("Page not found"));
    assert_eq!(
        app.get("/research-news?page=1").await.status,
        StatusCode::OK
    );
}

//! `GET /topics` and `GET /topics/{slug}`.

use axum::http::StatusCode;
use dateline::domain::article::ArticleStatus;
use sqlx::PgPool;
use time::macros::datetime;

use crate::helpers::{ArticleBuilder, TestApp, insert_topic};

#[sqlx::test]
async fn topic_index_lists_topics_with_their_published_story_counts(pool: PgPool) {
    insert_topic(&pool, "diabetes", "Diabetes", "Blood sugar research.").await;
    insert_topic(&pool, "heart-health", "Heart health", "").await;
    ArticleBuilder::new("A")
        .topics(&["diabetes"])
        .insert(&pool)
        .await;
    ArticleBuilder::new("B")
        .topics(&["diabetes", "heart-health"])
        .insert(&pool)
        .await;
    ArticleBuilder::new("C")
        .topics(&["diabetes"])
        .status(ArticleStatus::Draft)
        .insert(&pool)
        .await;

    let page = TestApp::new(pool).get("/topics").await;

    assert_eq!(page.status, StatusCode::OK);
    page.assert_in_order(&[
        "href=\"/topics/diabetes\"",
        "Diabetes",
        "Blood sugar research.",
        "2 stories",
        "Heart health",
        "1 story",
    ]);
}

#[sqlx::test]
async fn topic_page_lists_current_stories_before_archived_ones(pool: PgPool) {
    insert_topic(&pool, "nutrition", "Nutrition", "Food and health.").await;
    ArticleBuilder::new("Archived but newest")
        .published_at(datetime!(2025-01-01 12:00 UTC))
        .archived(datetime!(2025-02-01 12:00 UTC), None)
        .topics(&["nutrition"])
        .insert(&pool)
        .await;
    ArticleBuilder::new("Current and older")
        .published_at(datetime!(2020-01-01 12:00 UTC))
        .topics(&["nutrition"])
        .insert(&pool)
        .await;
    ArticleBuilder::new("Other topic").insert(&pool).await;

    let page = TestApp::new(pool).get("/topics/nutrition").await;

    assert_eq!(page.status, StatusCode::OK);
    page.assert_in_order(&[
        "<h1 class=\"page-title\">Nutrition</h1>",
        "Food and health.",
        "Current stories",
        "Current and older",
        "Archived stories",
        "Archived but newest",
    ]);
    assert!(!page.text.contains("Other topic"));
}

#[sqlx::test]
async fn unknown_topic_is_a_styled_404(pool: PgPool) {
    let page = TestApp::new(pool).get("/topics/no-such-topic").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.text.contains("Page not found"));
}

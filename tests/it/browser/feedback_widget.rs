//! The feedback widget with JavaScript: a live counter and an inline submit, no reload.

use std::time::Duration;

use fantoccini::Locator;
use sqlx::PgPool;

use super::{browser, click, serve};
use crate::helpers::ArticleBuilder;

#[sqlx::test]
async fn the_widget_counts_characters_and_sends_inline_without_a_reload(pool: PgPool) {
    ArticleBuilder::new("Vitamin D and falls")
        .slug("vitamin-d")
        .insert(&pool)
        .await;
    let base = serve(pool.clone()).await;
    let browser = browser().await;
    let client = browser.client.clone();
    client
        .goto(&format!("{base}/research-news/vitamin-d"))
        .await
        .unwrap();

    // Mark this page load: a reload would lose the mark.
    client
        .execute("window.__loaded_once = true;", vec![])
        .await
        .unwrap();
    let comment = client.find(Locator::Css("#fb-comment")).await.unwrap();
    comment.send_keys("Clear and useful").await.unwrap();
    let counter = client
        .find(Locator::Css("#fb-comment-count"))
        .await
        .unwrap();
    assert_eq!(counter.text().await.unwrap(), "16 / 2,000 characters");
    click(&client, "input[name=helpful][value=yes]").await;

    // A person takes a moment; the form token treats anything under 2 seconds as a bot.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    click(&client, ".feedback-form button[type=submit]").await;

    let status = client
        .find(Locator::Css("[data-feedback-status]"))
        .await
        .unwrap();
    let mut text = String::new();
    for _ in 0..50 {
        text = status.text().await.unwrap();
        if text.contains("Thank you") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(text, "Thank you. Your feedback reached our editors.");
    let same_page = client
        .execute("return window.__loaded_once === true;", vec![])
        .await
        .unwrap();
    assert_eq!(same_page, serde_json::Value::Bool(true), "no reload");
    assert_eq!(
        client.current_url().await.unwrap().path(),
        "/research-news/vitamin-d"
    );
    assert_eq!(
        comment.prop("value").await.unwrap().as_deref(),
        Some(""),
        "the form was cleared"
    );

    let rows: Vec<(Option<bool>, Option<String>, String)> =
        sqlx::query_as("SELECT helpful, comment, status FROM feedback")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        rows,
        vec![(
            Some(true),
            Some("Clear and useful".to_owned()),
            "new".to_owned()
        )]
    );

    // Errors come back inline too (an empty form: the browser lets it through, the server
    // answers 422).
    click(&client, ".feedback-form button[type=submit]").await;
    let mut error = None;
    for _ in 0..50 {
        if let Ok(el) = client.find(Locator::Css("#fb-helpful-js-error")).await {
            error = Some(el.text().await.unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        error.as_deref(),
        Some("choose yes or no, or write a comment")
    );
    let status = client
        .find(Locator::Css("[data-feedback-status]"))
        .await
        .unwrap();
    assert_eq!(status.text().await.unwrap(), "Please check your feedback.");
    browser.close().await;
}

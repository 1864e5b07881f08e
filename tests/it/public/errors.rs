//! Styled error pages and the headers every HTML answer carries.

use axum::http::StatusCode;
use sqlx::PgPool;

use crate::helpers::{ArticleBuilder, TestApp};

#[sqlx::test]
async fn unknown_urls_get_a_styled_404_page(pool: PgPool) {
    let page = TestApp::new(pool).get("/no/such/page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.header("content-type").starts_with("text/html"));
    assert!(page.text.contains("<h1>Page not found</h1>"));
    assert!(
        page.text.contains("/assets/css/site."),
        "styled like the site"
    );
    assert!(
        page.text
            .contains(r#"<meta name="robots" content="noindex">"#)
    );
}

#[sqlx::test]
async fn every_html_answer_carries_the_security_headers(pool: PgPool) {
    ArticleBuilder::new("Story")
        .slug("story")
        .insert(&pool)
        .await;
    let app = TestApp::new(pool);
    for path in [
        "/",
        "/research-news",
        "/research-news/story",
        "/topics",
        "/archive",
        "/nope",
        "/research-news?page=x",
    ] {
        let page = app.get(path).await;
        let csp = page.header("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("default-src 'self'"), "{path}");
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(page.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(
            page.header("referrer-policy"),
            "strict-origin-when-cross-origin",
            "{path}"
        );
        assert!(!page.header("x-request-id").is_empty(), "{path}");
    }
}

#[sqlx::test]
async fn pages_have_no_inline_scripts_or_styles(pool: PgPool) {
    ArticleBuilder::new("Story")
        .slug("story")
        .insert(&pool)
        .await;
    let app = TestApp::new(pool);
    for path in ["/", "/research-news/story", "/nope"] {
        let page = app.get(path).await;
        assert!(!page.text.contains("style="), "{path}");
        assert!(!page.text.contains("<style"), "{path}");
        // The only inline <script> is the JSON-LD data block, which never runs; the others are
        // our own files.
        let scripts = page.text.matches("<script").count();
        let data = page
            .text
            .matches("<script type=\"application/ld+json\">")
            .count();
        let files = page.text.matches("<script src=\"/assets/js/").count();
        assert_eq!(scripts, data + files, "{path}");
    }
}

#[sqlx::test]
async fn a_database_error_renders_a_500_that_leaks_nothing(pool: PgPool) {
    ArticleBuilder::new("Story")
        .slug("story")
        .insert(&pool)
        .await;
    // Break the schema under the running app: the query fails with an SQL error.
    sqlx::query("ALTER TABLE article_revisions RENAME COLUMN change_note TO secret_column_name")
        .execute(&pool)
        .await
        .unwrap();
    let page = TestApp::new(pool).get("/research-news/story").await;
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(page.text.contains("Something went wrong"));
    for leak in [
        "secret_column_name",
        "change_note",
        "sqlx",
        "SELECT",
        "column",
    ] {
        assert!(!page.text.contains(leak), "leaked {leak}");
    }
}

//! `GET /assets/…`: content-hashed, long-cached static files.

use axum::http::StatusCode;
use sqlx::PgPool;

use crate::helpers::TestApp;

#[sqlx::test]
async fn pages_link_hashed_assets_that_are_served_with_a_long_immutable_cache(pool: PgPool) {
    let app = TestApp::new(pool);
    let page = app.get("/").await;
    let href_start = page
        .text
        .find("/assets/css/site.")
        .expect("stylesheet link");
    let href_end = href_start + page.text[href_start..].find('"').unwrap();
    let css = app.get(&page.text[href_start..href_end]).await;

    assert_eq!(css.status, StatusCode::OK);
    assert!(css.header("content-type").starts_with("text/css"));
    assert_eq!(
        css.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(
        css.text.contains("@media print"),
        "print stylesheet included"
    );
}

#[sqlx::test]
async fn unhashed_unknown_and_traversal_asset_paths_are_404(pool: PgPool) {
    let app = TestApp::new(pool);
    for path in [
        "/assets/css/site.css",
        "/assets/nope.js",
        "/assets/../Cargo.toml",
        "/assets/%2e%2e/Cargo.toml",
        "/assets/missing",
    ] {
        assert_eq!(app.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
}

//! `GET /healthz` and `GET /readyz`.

use axum::http::StatusCode;
use sqlx::PgPool;

use crate::helpers::TestApp;

#[sqlx::test]
async fn healthz_and_readyz_answer_when_the_database_is_up(pool: PgPool) {
    let app = TestApp::new(pool);
    let health = app.get("/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.text, "ok");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK);
}

#[sqlx::test]
async fn readyz_answers_503_with_a_problem_when_the_database_is_unreachable(pool: PgPool) {
    let app = TestApp::new(pool.clone());
    pool.close().await;

    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.header("content-type"), "application/problem+json");
    assert_eq!(ready.header("retry-after"), "5");
    let problem: serde_json::Value = serde_json::from_str(&ready.text).unwrap();
    assert_eq!(problem["status"], 503);

    // Reader pages say so too, styled, with Retry-After.
    let page = app.get("/").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(page.header("retry-after"), "5");
    assert!(page.text.contains("Temporarily unavailable"));
}

//! `/healthz` (the process answers) and `/readyz` (the database answers too).

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    let check = sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&state.pool);
    match tokio::time::timeout(Duration::from_secs(2), check).await {
        Ok(Ok(_)) => "ready".into_response(),
        _ => {
            let problem = serde_json::json!({
                "type": "about:blank",
                "title": "Service Unavailable",
                "status": 503,
                "detail": "The database is unreachable.",
                "errors": [],
            });
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/problem+json"),
                    ),
                    (header::RETRY_AFTER, HeaderValue::from_static("5")),
                ],
                Json(problem),
            )
                .into_response()
        }
    }
}

//! Old links of imported sites (CONTRACT §11): a post's permalink path and WordPress's
//! `/?p=<id>` answer `301` to the story's current URL, when readers can see the story.

use axum::extract::State;
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse as _, Response};

use crate::db;
use crate::domain::import::redirect_candidates;
use crate::error::AppError;
use crate::state::AppState;

/// `301` to `/research-news/{slug}`.
fn moved(slug: &str) -> Response {
    (
        StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, format!("/research-news/{slug}"))],
    )
        .into_response()
}

/// The router's fallback: an imported story's old path answers 301; anything else is the
/// styled 404 page.
pub async fn old_path(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
) -> Result<Response, AppError> {
    if method != Method::GET && method != Method::HEAD {
        return Err(AppError::NotFound);
    }
    let paths = redirect_candidates(uri.path());
    match db::imports::redirect_slug(&state.pool, &paths).await? {
        Some(slug) => Ok(moved(&slug)),
        None => Err(AppError::NotFound),
    }
}

/// WordPress's `/?p=<id>` on the front page: the story's `301`, or `None` when the query holds
/// no post id. An id of no public imported story is a 404.
pub async fn post_id_query(
    state: &AppState,
    query: Option<&str>,
) -> Option<Result<Response, AppError>> {
    let id = query?.split('&').find_map(|pair| pair.strip_prefix("p="))?;
    if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let paths = vec![format!("/?p={id}")];
    Some(
        match db::imports::redirect_slug(&state.pool, &paths).await {
            Ok(Some(slug)) => Ok(moved(&slug)),
            Ok(None) => Err(AppError::NotFound),
            Err(err) => Err(err.into()),
        },
    )
}

//! `GET /preview/{token}`: an unpublished story through an expiring, revocable link. Read-only,
//! `noindex`, never cached.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;

use super::articles::preview_page;
use crate::db;
use crate::domain::secret;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::pages::render;

pub async fn show_preview(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    if token.len() > 100 {
        return Err(AppError::NotFound);
    }
    let digest = secret::token_digest(&token);
    let article_id = db::previews::live_article_for_digest(&state.pool, &digest)
        .await?
        .ok_or(AppError::NotFound)?;
    let article = db::articles::find_by_id(&state.pool, article_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut response = render(&preview_page(&state, article).await?)?;
    let headers = response.headers_mut();
    headers.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

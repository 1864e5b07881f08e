//! `GET /media/{hash}.{ext}`: an image rendition, at an address made of the hash of its bytes,
//! so it never changes there (cached for a year, `immutable`). Only renditions are served:
//! the uploads themselves may carry metadata.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::cache::CacheTags;
use crate::db;
use crate::domain::media::{Format, parse_file_name};
use crate::error::AppError;
use crate::state::AppState;

pub async fn serve_file(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let (hash, format) = parse_file_name(&name).ok_or(AppError::NotFound)?;
    let content_type = db::media::served_type(&state.pool, hash)
        .await?
        .ok_or(AppError::NotFound)?;
    if Format::from_content_type(&content_type) != Some(format) {
        return Err(AppError::NotFound);
    }
    let bytes = state.blobs.get(hash).await?.ok_or(AppError::NotFound)?;
    let content_type = HeaderValue::from_str(&content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let response = ([(header::CONTENT_TYPE, content_type)], bytes).into_response();
    Ok(CacheTags::immutable_file().attach(response))
}

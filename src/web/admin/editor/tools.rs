//! The editor's tools beside the form: the live preview rendered by the server, autosave (kept
//! apart from the revisions), and preview links.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::FLASH_PREVIEW_URL;
use super::form::EditorForm;
use super::preview::StoryPreview;
use crate::db;
use crate::domain::article::limits;
use crate::domain::dates;
use crate::error::AppError;
use crate::service::{autosaves, previews};
use crate::state::AppState;
use crate::web::admin::extract::{Admin, AdminForm, AdminPath, NoFields};
use askama::Template;

/// `POST /admin/preview`: the story in the form as readers will see it (headline, summary
/// line, byline, lead image, body rendered and sanitised as the site renders it, study box),
/// for the live preview beside the editor.
pub async fn preview(
    State(state): State<AppState>,
    _: Admin,
    AdminForm(form): AdminForm<EditorForm>,
) -> Result<Response, AppError> {
    let draft = form.draft();
    if draft.body_markdown.len() > limits::BODY_BYTES {
        return Err(AppError::field(
            "body_markdown",
            format!("must be at most {} bytes", limits::BODY_BYTES),
        ));
    }
    let people = if draft.authors.is_empty() {
        Vec::new()
    } else {
        db::people::all_credits(&state.pool).await?
    };
    let images = match uuid::Uuid::parse_str(draft.lead_image.trim()) {
        Ok(id) => db::media::find(&state.pool, id)
            .await?
            .into_iter()
            .collect(),
        Err(_) => Vec::new(),
    };
    let html = StoryPreview::of(&draft, &people, &images).render()?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

#[derive(Serialize)]
struct AutosaveAnswer {
    saved_at: String,
}

/// `POST /admin/stories/{id}/autosave`: keeps the form apart from the revisions.
pub async fn autosave(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
    AdminForm(form): AdminForm<EditorForm>,
) -> Result<Response, AppError> {
    let draft = form.draft();
    let payload = serde_json::to_value(&draft).map_err(|e| AppError::Internal(e.into()))?;
    let at = autosaves::save(&state.pool, admin.actor(), id, draft.version, &payload).await?;
    Ok(Json(AutosaveAnswer {
        saved_at: dates::rfc3339(at),
    })
    .into_response())
}

/// `POST /admin/stories/{id}/autosave/discard`.
pub async fn discard_autosave(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
    _: AdminForm<NoFields>,
) -> Result<Response, AppError> {
    autosaves::discard(&state.pool, admin.actor(), id).await?;
    Ok(Redirect::to(&format!("/admin/stories/{id}")).into_response())
}

/// How long a new preview link lives.
#[derive(Debug, Deserialize)]
pub struct PreviewLinkForm {
    hours: Option<i64>,
}

/// `POST /admin/stories/{id}/preview-links`: `hours` (default 72).
pub async fn create_preview_link(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
    AdminForm(form): AdminForm<PreviewLinkForm>,
) -> Result<Response, AppError> {
    let hours = form.hours.unwrap_or(previews::DEFAULT_HOURS);
    let link = previews::create(
        &state.pool,
        admin.actor(),
        id,
        hours,
        &state.config.base_url,
    )
    .await?;
    // Shown once, on the next page: the token is not kept anywhere else.
    admin
        .session
        .insert(FLASH_PREVIEW_URL, &link.url)
        .await
        .map_err(crate::web::admin::session_failed)?;
    Ok(Redirect::to(&format!("/admin/stories/{id}")).into_response())
}

/// `POST /admin/preview-links/{id}/revoke`.
pub async fn revoke_preview_link(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
    _: AdminForm<NoFields>,
) -> Result<Response, AppError> {
    let article = previews::revoke(&state.pool, admin.actor(), id).await?;
    Ok(Redirect::to(&format!("/admin/stories/{article}")).into_response())
}

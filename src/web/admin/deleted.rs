//! Deleting a story from the editor (soft: its public URL answers `404`), and the list of
//! deleted stories where an admin restores one: what the API's `DELETE /api/v1/articles/{id}`
//! and `POST …/restore` do, from the browser.

use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;
use uuid::Uuid;

use super::auth::admin_layout;
use super::{AdminUser, CsrfForm, check_csrf, csrf_token, parse_id, require};
use crate::app::AppState;
use crate::db;
use crate::domain::dates;
use crate::domain::policy::Action;
use crate::error::AppError;
use crate::service::articles;
use crate::web::pages::{Layout, render};

/// `POST /admin/stories/{id}/delete`: soft-deletes the story, then back to the dashboard.
pub async fn delete_story(
    State(state): State<AppState>,
    session: Session,
    Extension(AdminUser(user)): Extension<AdminUser>,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    check_csrf(&session, &form.csrf).await?;
    let id = parse_id(&id)?;
    articles::delete(&state.pool, user.actor(), id).await?;
    Ok(Redirect::to("/admin?deleted=1").into_response())
}

/// `POST /admin/stories/{id}/restore` (admins): brings a deleted story back, to its editor.
pub async fn restore_story(
    State(state): State<AppState>,
    session: Session,
    Extension(AdminUser(user)): Extension<AdminUser>,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    check_csrf(&session, &form.csrf).await?;
    let id = parse_id(&id)?;
    articles::restore_deleted(&state.pool, user.actor(), id).await?;
    Ok(Redirect::to(&format!("/admin/stories/{id}?saved=1")).into_response())
}

pub struct DeletedRow {
    pub id: Uuid,
    pub title: String,
    pub status: String,
    pub deleted: String,
    pub deleted_iso: String,
    pub by: String,
}

#[derive(Template)]
#[template(path = "admin/deleted.html")]
pub struct DeletedPage {
    pub layout: Layout,
    pub nav: super::AdminNav,
    pub csrf: String,
    pub rows: Vec<DeletedRow>,
}

/// `GET /admin/deleted` (admins): deleted stories, most recently deleted first.
pub async fn list_deleted(
    State(state): State<AppState>,
    session: Session,
    Extension(AdminUser(user)): Extension<AdminUser>,
) -> Result<Response, AppError> {
    require(&user, Action::RestoreDeletedArticle)?;
    let tz = &state.config.timezone;
    let rows = db::articles::list_deleted(&state.pool, 200)
        .await?
        .into_iter()
        .map(|d| DeletedRow {
            id: d.id,
            title: d.title,
            status: d.status.as_str().replace('_', " "),
            deleted: dates::long_datetime(d.deleted_at, tz),
            deleted_iso: dates::rfc3339(d.deleted_at),
            by: d.deleted_by.unwrap_or_else(|| "someone".to_owned()),
        })
        .collect();
    render(&DeletedPage {
        layout: admin_layout("Deleted stories"),
        nav: super::AdminNav::new(&user),
        csrf: csrf_token(&session).await?,
        rows,
    })
}

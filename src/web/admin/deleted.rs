//! Deleting a story from the editor (soft: its public URL answers `404`), and the list of
//! deleted stories where an admin restores one: what the API's `DELETE /api/v1/articles/{id}`
//! and `POST …/restore` do, from the browser.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::auth::admin_layout;
use super::extract::{Admin, AdminForm, AdminPath, NoFields};
use super::require;
use crate::db;
use crate::domain::dates;
use crate::domain::policy::Action;
use crate::error::AppError;
use crate::service::articles;
use crate::state::AppState;
use crate::web::pages::{Layout, render};

/// `POST /admin/stories/{id}/delete`: soft-deletes the story, then back to the dashboard.
pub async fn delete_story(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
    _: AdminForm<NoFields>,
) -> Result<Response, AppError> {
    state.after_commit(articles::delete(&state.pool, admin.actor(), id).await?);
    Ok(Redirect::to("/admin?deleted=1").into_response())
}

/// `POST /admin/stories/{id}/restore` (admins): brings a deleted story back, to its editor.
pub async fn restore_story(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
    _: AdminForm<NoFields>,
) -> Result<Response, AppError> {
    state.after_commit(articles::restore_deleted(&state.pool, admin.actor(), id).await?);
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
    admin: Admin,
) -> Result<Response, AppError> {
    require(&admin.user, Action::RestoreDeletedArticle)?;
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
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        rows,
    })
}

//! The archive policy in the admin (CONTRACT §11): the rule, a form to change it (editors and
//! admins, as in the API), and the stories it would archive now, shown before it is switched
//! on. A change saved meanwhile by someone else is never overwritten silently.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::auth::admin_layout;
use super::extract::{Admin, AdminForm};
use crate::db;
use crate::db::archive_policy::{ArchivePolicy, PolicySettings};
use crate::domain::policy::Action;
use crate::error::AppError;
use crate::service;
use crate::state::AppState;
use crate::web::pages::{Layout, render};

/// How many of the stories it would archive are listed.
const PREVIEW_ROWS: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct PolicyForm {
    /// A ticked checkbox sends `on`.
    #[serde(default)]
    enabled: Option<String>,
    #[serde(default)]
    older_than_days: String,
    #[serde(default, rename = "topic")]
    topics: Vec<String>,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    version: Option<i32>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Shown {
    saved: Option<String>,
}

/// A story the policy would archive, as listed.
pub struct PreviewRow {
    pub id: uuid::Uuid,
    pub title: String,
    pub last_updated: String,
}

#[derive(Template)]
#[template(path = "admin/archive_policy.html")]
pub struct ArchivePolicyPage {
    pub layout: Layout,
    pub nav: super::AdminNav,
    pub csrf: String,
    pub enabled: bool,
    pub older_than_days: String,
    pub selected: Vec<String>,
    pub reason: String,
    pub version: i32,
    /// Slug and name of every topic.
    pub topics: Vec<(String, String)>,
    pub last_run: Option<String>,
    pub preview: Vec<PreviewRow>,
    pub preview_total: i64,
    pub message: Option<String>,
    /// Field name → message, shown beside the field.
    pub errors: Vec<(String, String)>,
    /// Someone else saved the policy while this form was open: what it is now.
    pub conflict: Option<String>,
}

impl ArchivePolicyPage {
    /// How a field is named in messages.
    pub fn label(&self, field: &str) -> &'static str {
        match field {
            "older_than_days" => "Days:",
            "topics" => "Topics:",
            "reason" => "Reason:",
            _ => "The policy:",
        }
    }

    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

async fn page(
    state: &AppState,
    admin: &Admin,
    policy: &ArchivePolicy,
) -> Result<ArchivePolicyPage, AppError> {
    let tz = &state.config.timezone;
    let (preview, preview_total) = db::archive_policy::candidates(
        &state.pool,
        policy.older_than_days,
        &policy.topics,
        PREVIEW_ROWS,
        0,
    )
    .await?;
    let topics = db::topics::list(&state.pool).await?;
    Ok(ArchivePolicyPage {
        layout: admin_layout("Archive policy"),
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        enabled: policy.enabled,
        older_than_days: policy.older_than_days.to_string(),
        selected: policy.topics.clone(),
        reason: policy.reason.clone(),
        version: policy.version,
        topics: topics.into_iter().map(|t| (t.slug, t.name)).collect(),
        last_run: policy.last_run_at.map(|at| {
            format!(
                "{}: {} {} archived",
                crate::domain::dates::long_datetime(at, tz),
                policy.last_run_count.unwrap_or(0),
                if policy.last_run_count == Some(1) {
                    "story"
                } else {
                    "stories"
                }
            )
        }),
        preview: preview
            .into_iter()
            .map(|c| PreviewRow {
                id: c.id,
                title: c.title,
                last_updated: crate::domain::dates::long_datetime(c.last_updated, tz),
            })
            .collect(),
        preview_total,
        message: None,
        errors: Vec::new(),
        conflict: None,
    })
}

pub async fn show(
    State(state): State<AppState>,
    admin: Admin,
    Query(shown): Query<Shown>,
) -> Result<Response, AppError> {
    super::require(&admin.user, Action::ArchiveArticle)?;
    let policy = service::archive_policy::get(&state.pool).await?;
    let mut shown_page = page(&state, &admin, &policy).await?;
    if shown.saved.is_some() {
        shown_page.message = Some(if policy.enabled {
            format!(
                "Saved. The policy is on: within a minute the server archives the {} {} listed below, then looks again once a day.",
                shown_page.preview_total,
                if shown_page.preview_total == 1 {
                    "story"
                } else {
                    "stories"
                }
            )
        } else {
            "Saved. The policy is off: nothing is archived by it.".to_owned()
        });
    }
    render(&shown_page)
}

pub async fn save(
    State(state): State<AppState>,
    admin: Admin,
    AdminForm(form): AdminForm<PolicyForm>,
) -> Result<Response, AppError> {
    super::require(&admin.user, Action::ArchiveArticle)?;
    let days = form.older_than_days.trim().parse::<i32>();
    let settings = PolicySettings {
        enabled: form.enabled.is_some(),
        older_than_days: *days.as_ref().unwrap_or(&0),
        topics: form.topics.clone(),
        reason: form.reason.clone(),
    };
    let result = match days {
        Ok(_) => {
            service::archive_policy::update(&state.pool, admin.actor(), settings, form.version)
                .await
        }
        Err(_) => Err(AppError::field(
            "older_than_days",
            "must be a whole number of days",
        )),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/archive-policy?saved=1").into_response()),
        Err(AppError::Validation(errors)) => {
            let policy = service::archive_policy::get(&state.pool).await?;
            let mut again = page(&state, &admin, &policy).await?;
            // What was typed stays in the form.
            again.enabled = form.enabled.is_some();
            again.older_than_days = form.older_than_days;
            again.selected = form.topics;
            again.reason = form.reason;
            again.version = form.version.unwrap_or(policy.version);
            again.errors = errors.into_iter().map(|e| (e.field, e.message)).collect();
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&again)?).into_response())
        }
        Err(AppError::PreconditionFailed(..)) => {
            let policy = service::archive_policy::get(&state.pool).await?;
            let mut again = page(&state, &admin, &policy).await?;
            again.conflict = Some(format!(
                "{}, archive after {} days, {}, reason: “{}”",
                if policy.enabled { "on" } else { "off" },
                policy.older_than_days,
                if policy.topics.is_empty() {
                    "every topic".to_owned()
                } else {
                    policy.topics.join(", ")
                },
                policy.reason
            ));
            // Yours stays in the form; saving again replaces theirs.
            again.enabled = form.enabled.is_some();
            again.older_than_days = form.older_than_days;
            again.selected = form.topics;
            again.reason = form.reason;
            Ok((StatusCode::CONFLICT, render(&again)?).into_response())
        }
        Err(err) => Err(err),
    }
}

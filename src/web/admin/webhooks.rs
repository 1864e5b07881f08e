//! Webhooks, for admins (as in the API): the list, a form to add one (its signing secret shown
//! once), a page per webhook with its delivery log and a "Send test event" button, and
//! deleting after a confirmation.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::auth::admin_layout;
use super::extract::{Admin, AdminForm, AdminPath, NoFields};
use super::require;
use crate::db::webhooks::Webhook;
use crate::domain::policy::Action;
use crate::domain::webhooks::EVENTS;
use crate::error::{AppError, FieldError};
use crate::service;
use crate::state::AppState;
use crate::web::pages::{Layout, render};

/// A webhook as the list shows it.
pub struct WebhookLine {
    pub id: String,
    pub url: String,
    pub events: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "admin/webhooks.html")]
pub struct WebhooksPage {
    pub layout: Layout,
    pub nav: super::AdminNav,
    pub csrf: String,
    pub webhooks: Vec<WebhookLine>,
    pub errors: Vec<FieldError>,
    pub url: String,
    pub chosen: Vec<String>,
    /// A webhook just added and its secret: shown this once.
    pub created: Option<(WebhookLine, String)>,
    pub message: Option<String>,
}

impl WebhooksPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        crate::error::message_for(&self.errors, field)
    }

    /// The first message about an event (each names its place in the list).
    pub fn events_error(&self) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field.starts_with("events"))
            .map(|e| e.message.as_str())
    }

    pub fn is_chosen(&self, event: &str) -> bool {
        self.chosen.iter().any(|c| c == event)
    }
}

fn line(webhook: &Webhook, tz: &jiff::tz::TimeZone) -> WebhookLine {
    WebhookLine {
        id: webhook.id.to_string(),
        url: webhook.url.clone(),
        events: webhook.events.join(", "),
        created: crate::domain::dates::long_datetime(webhook.created_at, tz),
    }
}

async fn webhooks_page(state: &AppState, admin: &Admin) -> Result<WebhooksPage, AppError> {
    let webhooks = service::webhooks::list(&state.pool, admin.actor()).await?;
    let tz = &state.config.timezone;
    Ok(WebhooksPage {
        layout: admin_layout("Webhooks"),
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        webhooks: webhooks.iter().map(|w| line(w, tz)).collect(),
        errors: Vec::new(),
        url: String::new(),
        chosen: Vec::new(),
        created: None,
        message: None,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct Shown {
    /// Set after a delete.
    deleted: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    admin: Admin,
    Query(shown): Query<Shown>,
) -> Result<Response, AppError> {
    require(&admin.user, Action::ManageWebhooks)?;
    let mut page = webhooks_page(&state, &admin).await?;
    if shown.deleted.is_some() {
        page.message = Some("The webhook was deleted: nothing more is sent to it.".to_owned());
    }
    render(&page)
}

#[derive(Debug, Default, Deserialize)]
pub struct NewWebhookForm {
    #[serde(default)]
    url: String,
    /// The ticked events (the field repeats).
    #[serde(default)]
    events: Vec<String>,
}

pub async fn create(
    State(state): State<AppState>,
    admin: Admin,
    AdminForm(form): AdminForm<NewWebhookForm>,
) -> Result<Response, AppError> {
    require(&admin.user, Action::ManageWebhooks)?;
    let outcome = service::webhooks::create(
        &state.pool,
        admin.actor(),
        &form.url,
        &form.events,
        &state.config.webhook_allow_hosts,
    )
    .await;
    match outcome {
        Ok(created) => {
            let mut page = webhooks_page(&state, &admin).await?;
            page.created = Some((
                line(&created.webhook, &state.config.timezone),
                created.secret,
            ));
            let mut response = render(&page)?;
            // The secret must not be kept by the browser's cache.
            response.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            Ok(response)
        }
        Err(AppError::Validation(errors)) => {
            let mut page = webhooks_page(&state, &admin).await?;
            page.errors = errors;
            page.url = form.url;
            page.chosen = form.events;
            let mut response = render(&page)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(other) => Err(other),
    }
}

/// One line of the delivery log, as the page shows it.
pub struct LogLine {
    pub event_type: String,
    pub event_id: String,
    pub attempt: String,
    pub outcome: String,
    pub result: String,
    pub duration: String,
    pub at: String,
    pub next_retry: String,
}

#[derive(Template)]
#[template(path = "admin/webhook.html")]
pub struct WebhookPage {
    pub layout: Layout,
    pub nav: super::AdminNav,
    pub csrf: String,
    pub webhook: WebhookLine,
    pub log: Vec<LogLine>,
    pub total: i64,
    pub shown: usize,
}

/// How many log lines the page shows.
pub const LOG_LINES: i64 = 100;

pub async fn show(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
) -> Result<Response, AppError> {
    require(&admin.user, Action::ManageWebhooks)?;
    let (webhook, entries, total) =
        service::webhooks::deliveries(&state.pool, admin.actor(), id, LOG_LINES, 0).await?;
    let tz = &state.config.timezone;
    let log: Vec<LogLine> = entries
        .into_iter()
        .map(|e| LogLine {
            event_type: e.event_type,
            event_id: e.event_id.to_string(),
            attempt: if e.attempt == 0 {
                "not yet".to_owned()
            } else {
                e.attempt.to_string()
            },
            result: match (e.status_code, e.error) {
                (Some(code), _) => format!("HTTP {code}"),
                (None, Some(error)) => error,
                (None, None) => "—".to_owned(),
            },
            outcome: e.outcome.replace('_', " "),
            duration: e
                .duration_ms
                .map_or_else(|| "—".to_owned(), |ms| format!("{ms} ms")),
            at: crate::domain::dates::long_datetime(e.at, tz),
            next_retry: e.next_retry_at.map_or_else(
                || "—".to_owned(),
                |at| crate::domain::dates::long_datetime(at, tz),
            ),
        })
        .collect();
    render(&WebhookPage {
        layout: admin_layout("Webhook deliveries"),
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        webhook: line(&webhook, tz),
        shown: log.len(),
        log,
        total,
    })
}

#[derive(Template)]
#[template(path = "admin/webhook_action.html")]
pub struct WebhookActionPage {
    pub layout: Layout,
    pub nav: super::AdminNav,
    pub csrf: String,
    pub webhook: WebhookLine,
    /// `Some` after a test event was queued: its id and body data; `None` asks to confirm a
    /// delete.
    pub queued: Option<(String, String, String)>,
}

pub async fn confirm_delete(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
) -> Result<Response, AppError> {
    require(&admin.user, Action::ManageWebhooks)?;
    let webhook = service::webhooks::find(&state.pool, admin.actor(), id).await?;
    render(&WebhookActionPage {
        layout: admin_layout("Delete webhook"),
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        webhook: line(&webhook, &state.config.timezone),
        queued: None,
    })
}

pub async fn delete(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
    AdminForm(_): AdminForm<NoFields>,
) -> Result<Response, AppError> {
    require(&admin.user, Action::ManageWebhooks)?;
    service::webhooks::delete(&state.pool, admin.actor(), id).await?;
    Ok(Redirect::to("/admin/webhooks?deleted=1").into_response())
}

pub async fn send_test(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
    AdminForm(_): AdminForm<NoFields>,
) -> Result<Response, AppError> {
    require(&admin.user, Action::ManageWebhooks)?;
    let queued = service::webhooks::send_test(&state.pool, admin.actor(), id).await?;
    let data = serde_json::to_string_pretty(&queued.data).unwrap_or_default();
    render(&WebhookActionPage {
        layout: admin_layout("Test event queued"),
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        webhook: line(&queued.webhook, &state.config.timezone),
        queued: Some((
            queued.event_type.to_owned(),
            queued.event_id.to_string(),
            data,
        )),
    })
}

/// The events offered on the form.
pub fn events() -> &'static [&'static str] {
    &EVENTS
}

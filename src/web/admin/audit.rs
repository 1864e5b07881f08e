//! `GET /admin/audit`: the audit log, for admins: every editorial and security action, newest
//! first, filtered by kind of action and by who did it.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use super::auth::admin_layout;
use super::extract::Admin;
use super::require;
use crate::db;
use crate::domain::dates;
use crate::domain::policy::Action;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::pages::{Layout, render};

/// Entries per page.
const PER_PAGE: i64 = 50;

/// The filter choices: an action prefix and its label.
pub const KINDS: [(&str, &str); 9] = [
    ("", "Everything"),
    ("article.", "Stories"),
    ("user.login", "Sign-ins and failed sign-ins"),
    ("user.", "Users"),
    ("token.", "API tokens"),
    ("topic.", "Topics"),
    ("feedback.", "Feedback"),
    ("preview_link.", "Preview links"),
    ("webhook.", "Webhooks"),
];

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    kind: Option<String>,
    actor: Option<String>,
    page: Option<String>,
}

pub struct AuditLine {
    pub when: String,
    pub iso: String,
    pub who: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    pub layout: Layout,
    pub nav: super::AdminNav,
    pub csrf: String,
    pub kind: String,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub actor: String,
    pub lines: Vec<AuditLine>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

impl AuditPage {
    pub fn is_kind(&self, prefix: &str) -> bool {
        self.kind == prefix
    }

    /// The query string of another page with the same filters.
    pub fn page_query(&self, page: &i64) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !self.kind.is_empty() {
            query.append_pair("kind", &self.kind);
        }
        if !self.actor.is_empty() {
            query.append_pair("actor", &self.actor);
        }
        query.append_pair("page", &page.to_string());
        query.finish()
    }
}

pub async fn show(
    State(state): State<AppState>,
    admin: Admin,
    Query(query): Query<AuditQuery>,
) -> Result<Response, AppError> {
    require(&admin.user, Action::ViewAuditLog)?;
    let kind = query
        .kind
        .filter(|k| KINDS.iter().any(|(prefix, _)| prefix == k))
        .unwrap_or_default();
    let actor_raw = query.actor.unwrap_or_default();
    let actor = Uuid::parse_str(actor_raw.trim()).ok();
    let prefix = Some(kind.as_str()).filter(|k| !k.is_empty());
    let total = db::audit::count(&state.pool, prefix, actor).await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    // Capped: a page past the end shows the last one.
    let page = query
        .page
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let entries =
        db::audit::list(&state.pool, prefix, actor, PER_PAGE, (page - 1) * PER_PAGE).await?;
    let tz = &state.config.timezone;
    let lines = entries
        .into_iter()
        .map(|e| AuditLine {
            when: dates::long_datetime(e.created_at, tz),
            iso: dates::rfc3339(e.created_at),
            who: match (e.actor_name, e.actor_email) {
                (Some(name), Some(email)) => format!("{name} <{email}>"),
                _ => "command line or anonymous".to_owned(),
            },
            action: e.action,
            target: match e.target_id {
                Some(id) => format!("{} {id}", e.target_type),
                None => e.target_type,
            },
            detail: if e.detail.as_object().is_some_and(|o| o.is_empty()) {
                String::new()
            } else {
                e.detail.to_string()
            },
        })
        .collect();
    render(&AuditPage {
        layout: admin_layout("Audit log"),
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        kind,
        kinds: KINDS.to_vec(),
        actor: actor.map(|a| a.to_string()).unwrap_or_default(),
        lines,
        total,
        page,
        pages,
    })
}

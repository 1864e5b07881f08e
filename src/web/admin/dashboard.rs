//! The dashboard: stories filtered by status, topic, archived and author, searchable, with
//! counts; what is scheduled next; the review desk; feedback waiting for triage.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use super::auth::admin_layout;
use super::extract::Admin;
use crate::db;
use crate::domain::article::ArticleStatus;
use crate::domain::policy::Role;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::pages::{Layout, render};

/// Stories per dashboard page.
pub const PER_PAGE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct DashboardQuery {
    status: Option<String>,
    topic: Option<String>,
    archived: Option<String>,
    author: Option<String>,
    q: Option<String>,
    /// `1`: the words exactly as typed, never corrected.
    exact: Option<String>,
    /// Set after a story was deleted from its editor.
    deleted: Option<String>,
}

pub struct Row {
    pub id: Uuid,
    pub title: String,
    pub status_label: &'static str,
    pub archived: bool,
    pub modified: String,
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
pub struct DashboardPage {
    pub layout: Layout,
    pub nav: super::AdminNav,
    pub csrf: String,
    /// Status, its label, how many stories.
    pub counts: Vec<(String, &'static str, i64)>,
    pub rows: Vec<Row>,
    pub total: i64,
    /// Story id, title, what happens when ("unpublishes Dec 9, 2026, 9:00 AM").
    pub scheduled: Vec<(Uuid, String, String)>,
    /// Shown to roles that may edit published stories.
    pub show_reviews_due: bool,
    /// Story id, title, when the review was due.
    pub reviews_due: Vec<(Uuid, String, String)>,
    pub reviews_due_total: i64,
    pub feedback_waiting: i64,
    pub topics: Vec<(String, String)>,
    pub authors: Vec<(String, String)>,
    pub status: String,
    pub topic: String,
    pub archived: String,
    pub author: String,
    pub q: String,
    /// The corrected words the list is for, when nothing matched the words as typed.
    pub corrected: Option<String>,
    /// A story was just deleted.
    pub deleted: bool,
    /// The review desk (`templates/admin/review_queue.html`).
    pub review_queue: super::review_queue::ReviewQueue,
}

/// How a status is shown.
fn label(status: &str) -> &'static str {
    match status {
        "draft" => "Drafts",
        "in_review" => "In review",
        "scheduled" => "Scheduled",
        "published" => "Published",
        "withdrawn" => "Withdrawn",
        _ => "Other",
    }
}

pub async fn show(
    State(state): State<AppState>,
    admin: Admin,
    Query(query): Query<DashboardQuery>,
) -> Result<Response, AppError> {
    let status = query
        .status
        .as_deref()
        .and_then(|raw| ArticleStatus::ALL.into_iter().find(|s| s.as_str() == raw));
    let archived = match query.archived.as_deref() {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    };
    let author = query
        .author
        .as_deref()
        .and_then(|a| Uuid::parse_str(a).ok());
    let q = query
        .q
        .as_deref()
        .map(crate::domain::search::clean_query)
        .filter(|q| !q.is_empty());
    let topic = query
        .topic
        .as_deref()
        .map(crate::domain::search::clean_query)
        .filter(|t| !t.is_empty());
    let filter = db::articles::ArticleFilter {
        status,
        topic: topic.clone(),
        archived,
        q: q.clone(),
        // Contributors see their own stories only, as in the API.
        created_by: if admin.user.role == Role::Contributor {
            Some(admin.user.id)
        } else {
            author
        },
        review_due: None,
    };
    let tz = &state.config.timezone;
    let today = crate::domain::dates::local_date(time::OffsetDateTime::now_utc(), tz);
    // Contributors cannot edit published stories: the queue is not theirs.
    let show_reviews_due = admin.user.role != Role::Contributor;
    let waiting = db::feedback::FeedbackFilter {
        article_id: None,
        status: Some(crate::domain::feedback::FeedbackStatus::New),
    };
    let reviews_due = async {
        if show_reviews_due {
            db::dashboard::reviews_due(&state.pool, &today.to_string(), 20).await
        } else {
            Ok((Vec::new(), 0))
        }
    };
    let (counts, total, stories, scheduled, feedback_waiting, topics, authors, due) = tokio::try_join!(
        db::dashboard::status_counts(&state.pool),
        db::articles::count_filtered(&state.pool, &filter),
        db::articles::list_filtered(&state.pool, &filter, PER_PAGE, 0),
        db::dashboard::next_scheduled(&state.pool, 5),
        db::feedback::count(&state.pool, &waiting),
        db::topics::list(&state.pool),
        db::dashboard::authors(&state.pool),
        reviews_due,
    )?;
    let (reviews_due, reviews_due_total) = due;
    let review_queue = super::review_queue::load(&state, &admin).await?;
    // Nothing found: the closest spellings of words no published story uses, as on the site.
    let (mut total, mut stories, mut corrected) = (total, stories, None);
    if total == 0
        && query.exact.as_deref().is_none_or(|e| e != "1")
        && let Some(q) = &filter.q
        && let Some(fixed) = crate::service::search::correction(&state.pool, q).await?
    {
        let fixed_filter = db::articles::ArticleFilter {
            q: Some(fixed.clone()),
            ..filter.clone()
        };
        let (n, rows) = tokio::try_join!(
            db::articles::count_filtered(&state.pool, &fixed_filter),
            db::articles::list_filtered(&state.pool, &fixed_filter, PER_PAGE, 0),
        )?;
        if n > 0 {
            (total, stories, corrected) = (n, rows, Some(fixed));
        }
    }
    let when = |at: time::OffsetDateTime| crate::domain::dates::long_datetime(at, tz);
    render(&DashboardPage {
        layout: admin_layout("Dashboard"),
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        counts: counts
            .into_iter()
            .map(|(status, n)| {
                let shown = label(&status);
                (status, shown, n)
            })
            .collect(),
        total,
        rows: stories
            .into_iter()
            .map(|a| Row {
                id: a.id,
                modified: when(a.updated_at),
                title: a.title,
                status_label: label(a.status.as_str()),
                archived: a.archived,
            })
            .collect(),
        scheduled: scheduled
            .into_iter()
            .map(|s| {
                let what = match s.action.as_str() {
                    "unpublish" => "unpublishes",
                    "archive" => "archived on",
                    _ => "publishes",
                };
                (s.id, s.title, format!("{what} {}", when(s.at)))
            })
            .collect(),
        show_reviews_due,
        reviews_due: reviews_due
            .into_iter()
            .map(|r| {
                let shown = crate::domain::dates::parse_date_input(&r.next_review_due)
                    .map_or(r.next_review_due, crate::domain::dates::calendar_date);
                (r.id, r.title, shown)
            })
            .collect(),
        reviews_due_total,
        feedback_waiting,
        topics: topics.into_iter().map(|t| (t.slug, t.name)).collect(),
        authors: authors
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect(),
        status: status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        topic: topic.unwrap_or_default(),
        archived: query.archived.unwrap_or_default(),
        author: author.map(|a| a.to_string()).unwrap_or_default(),
        q: q.unwrap_or_default(),
        corrected,
        deleted: query.deleted.is_some(),
        review_queue,
    })
}

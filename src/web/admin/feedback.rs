//! The feedback inbox: list and filter, triage in bulk, CSV export, and each story's
//! helpfulness over time beside its page views.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::auth::admin_layout;
use super::extract::{Admin, AdminForm, AdminPath};
use super::require;
use crate::db;
use crate::db::feedback::FeedbackFilter;
use crate::domain::feedback::FeedbackStatus;
use crate::domain::policy::Action;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::pages::{Layout, render};

const PER_PAGE: i64 = 50;
/// Days shown in a story's chart.
const CHART_DAYS: i64 = 30;

#[derive(Debug, Default, Deserialize)]
pub struct InboxQuery {
    status: Option<String>,
    story: Option<String>,
    done: Option<usize>,
    page: Option<String>,
}

impl InboxQuery {
    fn filter(&self) -> FeedbackFilter {
        FeedbackFilter {
            article_id: self.story.as_deref().and_then(|s| Uuid::parse_str(s).ok()),
            status: self.status.as_deref().and_then(FeedbackStatus::parse),
        }
    }
}

pub struct Line {
    pub id: String,
    pub story_id: String,
    pub title: String,
    pub revision: i32,
    pub helpful: &'static str,
    pub comment: String,
    pub email: String,
    pub status: &'static str,
    pub browser: String,
    pub when: String,
}

#[derive(Template)]
#[template(path = "admin/feedback.html")]
pub struct InboxPage {
    pub layout: Layout,
    pub nav: super::AdminNav,
    pub csrf: String,
    pub lines: Vec<Line>,
    pub total: i64,
    pub status: &'static str,
    pub story: String,
    pub story_title: Option<String>,
    pub query: String,
    pub done: Option<usize>,
    pub page: i64,
    pub pages: i64,
}

impl InboxPage {
    /// The address of another page of the same filtered list.
    pub fn page_href(&self, page: &i64) -> String {
        if self.query.is_empty() {
            format!("/admin/feedback?page={page}")
        } else {
            format!("/admin/feedback?{}&page={page}", self.query)
        }
    }
}

fn query_string(filter: &FeedbackFilter) -> String {
    let mut parts = Vec::new();
    if let Some(status) = filter.status {
        parts.push(format!("status={}", status.as_str()));
    }
    if let Some(id) = filter.article_id {
        parts.push(format!("story={id}"));
    }
    parts.join("&")
}

pub async fn show_inbox(
    State(state): State<AppState>,
    admin: Admin,
    Query(query): Query<InboxQuery>,
) -> Result<Response, AppError> {
    require(&admin.user, Action::ViewFeedback)?;
    let filter = query.filter();
    let total = db::feedback::count(&state.pool, &filter).await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    // Capped both ways: a page past the end shows the last one.
    let page = query
        .page
        .as_deref()
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let entries =
        db::feedback::list_inbox(&state.pool, &filter, PER_PAGE, (page - 1) * PER_PAGE).await?;
    let story_title = match filter.article_id {
        Some(id) => db::articles::find_by_id(&state.pool, id)
            .await?
            .map(|a| a.title),
        None => None,
    };
    let tz = &state.config.timezone;
    render(&InboxPage {
        layout: admin_layout("Feedback"),
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        lines: entries
            .into_iter()
            .map(|e| Line {
                id: e.id.to_string(),
                story_id: e.article_id.to_string(),
                title: e.title,
                revision: e.revision_number,
                helpful: match e.helpful {
                    Some(true) => "Yes",
                    Some(false) => "No",
                    None => "—",
                },
                comment: e.comment.unwrap_or_default(),
                email: e.email.unwrap_or_default(),
                status: e.status.as_str(),
                browser: e.user_agent_family,
                when: crate::domain::dates::long_datetime(e.created_at, tz),
            })
            .collect(),
        total,
        status: filter
            .status
            .map(FeedbackStatus::as_str)
            .unwrap_or_default(),
        story: filter
            .article_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        story_title,
        query: query_string(&filter),
        done: query.done,
        page,
        pages,
    })
}

/// The triage form: a status and any number of ticked entries.
#[derive(Debug, Deserialize)]
pub struct TriageForm {
    #[serde(default, deserialize_with = "super::extract::empty_as_none")]
    status: Option<FeedbackStatus>,
    #[serde(default, rename = "id")]
    ids: Vec<Uuid>,
}

/// `POST /admin/feedback`: `status` and any number of `id` fields.
pub async fn triage(
    State(state): State<AppState>,
    admin: Admin,
    Query(query): Query<InboxQuery>,
    AdminForm(TriageForm { status, ids }): AdminForm<TriageForm>,
) -> Result<Response, AppError> {
    let Some(status) = status else {
        return Err(AppError::BadRequest(
            "Choose what to mark the entries as: new, read, resolved or spam.".into(),
        ));
    };
    let changed =
        crate::service::feedback::triage_many(&state.pool, admin.actor(), &ids, status).await?;
    let mut back = query_string(&query.filter());
    if !back.is_empty() {
        back.push('&');
    }
    Ok(Redirect::to(&format!("/admin/feedback?{back}done={changed}")).into_response())
}

/// `GET /admin/feedback.csv`: the filtered entries as CSV, for spreadsheets.
pub async fn export_csv(
    State(state): State<AppState>,
    admin: Admin,
    Query(query): Query<InboxQuery>,
) -> Result<Response, AppError> {
    require(&admin.user, Action::ViewFeedback)?;
    let entries = db::feedback::list_inbox(&state.pool, &query.filter(), 100_000, 0).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "id",
        "created_at",
        "story_id",
        "story",
        "revision",
        "helpful",
        "comment",
        "email",
        "status",
        "browser",
    ];
    out.write_record(header)
        .map_err(|e| AppError::Internal(e.into()))?;
    for e in entries {
        let helpful = e
            .helpful
            .map(|h| if h { "yes" } else { "no" })
            .unwrap_or("");
        // Cells starting with = + - @ are prefixed, so spreadsheets do not run them as formulas.
        let comment = defuse(e.comment.as_deref().unwrap_or(""));
        out.write_record([
            e.id.to_string().as_str(),
            &crate::domain::dates::rfc3339(e.created_at),
            &e.article_id.to_string(),
            &defuse(&e.title),
            &e.revision_number.to_string(),
            helpful,
            &comment,
            &defuse(e.email.as_deref().unwrap_or("")),
            e.status.as_str(),
            &e.user_agent_family,
        ])
        .map_err(|e| AppError::Internal(e.into()))?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"feedback.csv\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// One day of a story's chart.
pub struct Bar {
    pub x: i64,
    pub yes_height: i64,
    pub no_height: i64,
    pub yes_y: i64,
    pub no_y: i64,
    pub label: String,
    pub views: i64,
}

#[derive(Template)]
#[template(path = "admin/feedback_story.html")]
pub struct StoryPage {
    pub layout: Layout,
    pub nav: super::AdminNav,
    pub csrf: String,
    pub story_id: String,
    pub title: String,
    pub yes: i64,
    pub no: i64,
    pub comments: i64,
    pub views: i64,
    pub bars: Vec<Bar>,
    pub chart_height: i64,
}

/// `GET /admin/feedback/stories/{id}`: helpful yes against no per day over the last 30 days,
/// as a chart, with page views per day beside it.
pub async fn show_story(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
) -> Result<Response, AppError> {
    require(&admin.user, Action::ViewFeedback)?;
    let article = db::articles::find_by_id(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let today = time::OffsetDateTime::now_utc().date();
    let since = today - time::Duration::days(CHART_DAYS - 1);
    let (summary, days, views, total_views) = tokio::try_join!(
        db::feedback::summary(&state.pool, id),
        db::feedback::helpful_by_day(&state.pool, id, since),
        db::page_views::by_day(&state.pool, id, since),
        db::page_views::total(&state.pool, id),
    )?;
    let chart_height = 120;
    let peak = days
        .iter()
        .map(|d| d.yes.max(d.no))
        .max()
        .unwrap_or(0)
        .max(1);
    let bars = (0..CHART_DAYS)
        .map(|n| {
            let day = since + time::Duration::days(n);
            let (yes, no) = days
                .iter()
                .find(|d| d.day == day)
                .map_or((0, 0), |d| (d.yes, d.no));
            let yes_height = yes * chart_height / peak;
            let no_height = no * chart_height / peak;
            Bar {
                x: n * 20,
                yes_y: chart_height - yes_height,
                no_y: chart_height - no_height,
                yes_height,
                no_height,
                label: format!("{day}: {yes} yes, {no} no"),
                views: views.iter().find(|v| v.day == day).map_or(0, |v| v.views),
            }
        })
        .collect();
    render(&StoryPage {
        layout: admin_layout("Feedback on a story"),
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        story_id: id.to_string(),
        title: article.title,
        yes: summary.helpful_yes,
        no: summary.helpful_no,
        comments: summary.comments,
        views: total_views,
        bars,
        chart_height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_defused() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse("Great story"), "Great story");
    }
}

//! The feedback inbox: list and filter (by status, and by story from a picker), triage in bulk,
//! a reply link and a private note per entry, CSV export in the site's time zone, and each
//! story's helpfulness over time beside its page views.

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
use crate::error::{AppError, FieldError};
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
            article_id: self.story_id(),
            status: self.status.as_deref().and_then(FeedbackStatus::parse),
        }
    }

    fn story_id(&self) -> Option<Uuid> {
        self.story
            .as_deref()
            .and_then(|s| Uuid::parse_str(s.trim()).ok())
    }

    /// Why the `story` asked for cannot filter the list: not an id, or no story has it.
    async fn story_error(&self, pool: &sqlx::PgPool) -> Result<Option<String>, AppError> {
        if self.story.as_deref().is_none_or(|s| s.trim().is_empty()) {
            return Ok(None);
        }
        let Some(id) = self.story_id() else {
            return Ok(Some(
                "That is not a story; choose one from the list.".to_owned(),
            ));
        };
        Ok(db::articles::find_by_id(pool, id)
            .await?
            .is_none()
            .then(|| "No story has that id; choose one from the list.".to_owned()))
    }
}

/// A story in the inbox's picker.
pub struct StoryOption {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

/// A `mailto:` link answering a reader, its subject naming the story.
pub fn reply_href(email: &str, title: &str) -> String {
    format!(
        "mailto:{}?subject={}",
        percent_encode(email, b"@"),
        percent_encode(&format!("Re: your feedback on “{title}”"), b"")
    )
}

/// Percent-encodes all but unreserved characters (and `keep`), as RFC 6068 asks of `mailto:`
/// addresses and header values (a space is `%20`, never `+`).
fn percent_encode(text: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) || keep.contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

pub struct Line {
    pub id: String,
    pub story_id: String,
    pub title: String,
    pub revision: i32,
    pub helpful: &'static str,
    pub comment: String,
    pub email: String,
    /// A `mailto:` link to answer the reader ('' when they left no address).
    pub reply_href: String,
    pub note: String,
    pub status: &'static str,
    pub browser: String,
    pub when: String,
}

impl Line {
    fn of(e: db::feedback::InboxEntry, tz: &jiff::tz::TimeZone) -> Self {
        let email = e.email.unwrap_or_default();
        Line {
            id: e.id.to_string(),
            story_id: e.article_id.to_string(),
            reply_href: if email.is_empty() {
                String::new()
            } else {
                reply_href(&email, &e.title)
            },
            title: e.title,
            revision: e.revision_number,
            helpful: match e.helpful {
                Some(true) => "Yes",
                Some(false) => "No",
                None => "—",
            },
            comment: e.comment.unwrap_or_default(),
            email,
            note: e.note,
            status: e.status.as_str(),
            browser: e.user_agent_family,
            when: crate::domain::dates::long_datetime(e.created_at, tz),
        }
    }
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
    /// The stories with feedback, by headline, for the picker.
    pub stories: Vec<StoryOption>,
    /// Why the story asked for does not filter the list.
    pub story_error: Option<String>,
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
    let story_error = query.story_error(&state.pool).await?;
    let mut stories: Vec<StoryOption> = db::feedback::stories_with_feedback(&state.pool)
        .await?
        .into_iter()
        .map(|s| StoryOption {
            selected: Some(s.id) == filter.article_id,
            label: format!("{} ({})", s.title, s.entries),
            id: s.id.to_string(),
        })
        .collect();
    // A story without feedback (reached from its chart) is still offered as the one chosen.
    if let (Some(id), Some(title)) = (filter.article_id, &story_title)
        && !stories.iter().any(|s| s.selected)
    {
        stories.insert(
            0,
            StoryOption {
                id: id.to_string(),
                label: format!("{title} (0)"),
                selected: true,
            },
        );
    }
    let tz = &state.config.timezone;
    let mut response = render(&InboxPage {
        layout: admin_layout("Feedback"),
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        lines: entries.into_iter().map(|e| Line::of(e, tz)).collect(),
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
        stories,
        story_error: story_error.clone(),
        query: query_string(&filter),
        done: query.done,
        page,
        pages,
    })?;
    if story_error.is_some() {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
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

/// One entry on a page of its own, with the editors' private note.
#[derive(Template)]
#[template(path = "admin/feedback_entry.html")]
pub struct EntryPage {
    pub layout: Layout,
    pub nav: super::AdminNav,
    pub csrf: String,
    pub line: Line,
    /// The note as saved, or as typed when it was refused.
    pub note: String,
    pub note_max: usize,
    pub saved: bool,
    pub errors: Vec<FieldError>,
}

impl EntryPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        crate::error::message_for(&self.errors, field)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct EntryQuery {
    saved: Option<String>,
}

async fn entry_page(state: &AppState, admin: &Admin, id: Uuid) -> Result<EntryPage, AppError> {
    let entry = db::feedback::find_inbox_entry(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let line = Line::of(entry, &state.config.timezone);
    Ok(EntryPage {
        layout: admin_layout("A feedback entry"),
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        note: line.note.clone(),
        line,
        note_max: crate::service::feedback::NOTE_MAX_CHARS,
        saved: false,
        errors: Vec::new(),
    })
}

/// `GET /admin/feedback/entries/{id}`: the entry, a reply link and the private note's form.
pub async fn show_entry(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
    Query(query): Query<EntryQuery>,
) -> Result<Response, AppError> {
    require(&admin.user, Action::ViewFeedback)?;
    let mut page = entry_page(&state, &admin, id).await?;
    page.saved = query.saved.is_some();
    render(&page)
}

/// The private note's form.
#[derive(Debug, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    note: String,
}

/// `POST /admin/feedback/entries/{id}/note`: saves the note (empty deletes it); a refused note
/// comes back in its form with the reason beside it.
pub async fn update_note(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
    AdminForm(form): AdminForm<NoteForm>,
) -> Result<Response, AppError> {
    match crate::service::feedback::set_note(&state.pool, admin.actor(), id, &form.note).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/admin/feedback/entries/{id}?saved=1#note")).into_response())
        }
        Err(AppError::Validation(errors)) => {
            let mut page = entry_page(&state, &admin, id).await?;
            page.note = form.note;
            page.errors = errors;
            let mut response = render(&page)?;
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(other) => Err(other),
    }
}

/// `GET /admin/feedback.csv`: the filtered entries as CSV, for spreadsheets.
pub async fn export_csv(
    State(state): State<AppState>,
    admin: Admin,
    Query(query): Query<InboxQuery>,
) -> Result<Response, AppError> {
    require(&admin.user, Action::ViewFeedback)?;
    if let Some(problem) = query.story_error(&state.pool).await? {
        return Err(AppError::BadRequest(problem));
    }
    let entries = db::feedback::list_inbox(&state.pool, &query.filter(), 100_000, 0).await?;
    let tz = &state.config.timezone;
    let base = state.config.base_url.trim_end_matches('/');
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
        "story_url",
        "note",
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
            // In the site's time zone, with its offset, as editors read times elsewhere.
            &crate::domain::dates::rfc3339_local(e.created_at, tz),
            &e.article_id.to_string(),
            &defuse(&e.title),
            &e.revision_number.to_string(),
            helpful,
            &comment,
            &defuse(e.email.as_deref().unwrap_or("")),
            e.status.as_str(),
            &e.user_agent_family,
            &format!("{base}/research-news/{}", e.slug),
            &defuse(&e.note),
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
    fn reply_links_encode_the_address_and_name_the_story_in_the_subject() {
        assert_eq!(
            reply_href("ann+news@example.org", "Tea & you?"),
            "mailto:ann%2Bnews@example.org?subject=Re%3A%20your%20feedback%20on%20%E2%80%9CTea%20%26%20you%3F%E2%80%9D"
        );
    }

    #[test]
    fn formula_cells_are_defused() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse("Great story"), "Great story");
    }
}

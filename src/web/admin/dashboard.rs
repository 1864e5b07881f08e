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
use crate::db::articles::ArticleSort;
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
    /// 1-based; past the last page is a `404`.
    page: Option<String>,
    /// `updated` (default), `published`, `title` or `status`.
    sort: Option<String>,
    /// `asc` or `desc` (each column has its natural default).
    dir: Option<String>,
}

impl DashboardQuery {
    /// The list's order, from `sort` and `dir` (unknown values: the default order).
    fn order(&self) -> ArticleSort {
        let column = self.sort.as_deref().unwrap_or("updated");
        let natural_desc = matches!(column, "updated" | "published");
        let descending = match self.dir.as_deref() {
            Some("asc") => false,
            Some("desc") => true,
            _ => natural_desc,
        };
        ArticleSort::from_parts(column, descending).unwrap_or_default()
    }

    /// The page asked for: a positive whole number, else a `400` that says so.
    fn page(&self) -> Result<i64, AppError> {
        match self.page.as_deref().map(str::trim) {
            None | Some("") => Ok(1),
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|&n| (1..=100_000).contains(&n))
                .ok_or_else(|| {
                    AppError::BadRequest(format!(
                        "“{raw}” is not a page number: use a whole number from 1."
                    ))
                }),
        }
    }
}

pub struct Row {
    pub id: Uuid,
    pub title: String,
    pub status_label: &'static str,
    pub archived: bool,
    pub modified: String,
    /// The dateline, when the story has one (published, scheduled, withdrawn).
    pub published: String,
    /// Bylines, or the user who created it.
    pub credit: String,
}

/// A sortable column header: its label, the link that sorts by it (or reverses the order when
/// it already does), and its `aria-sort` when the list is sorted by it.
pub struct SortHeader {
    pub label: &'static str,
    pub href: String,
    pub aria_sort: &'static str,
}

/// The bulk actions a role is offered: value and label.
pub fn bulk_actions(admin: &Admin) -> Vec<(&'static str, &'static str)> {
    use crate::domain::policy::{Action, ArticleFacts, can};
    let actor = admin.actor();
    // Offered when the role may do it to some story: submit and edit their own draft, archive
    // anyone's published story (each story is still checked when the action runs).
    let own_draft = Some(ArticleFacts {
        created_by: Some(actor.id),
        status: ArticleStatus::Draft,
    });
    let published = Some(ArticleFacts {
        created_by: None,
        status: ArticleStatus::Published,
    });
    let mut actions = Vec::new();
    if can(actor, Action::SubmitArticle, own_draft) {
        actions.push(("submit", "Submit for review"));
    }
    if can(actor, Action::ArchiveArticle, published) {
        actions.push(("archive", "Archive"));
        actions.push(("unarchive", "Unarchive"));
    }
    if can(actor, Action::EditArticle, own_draft) {
        actions.push(("topic", "Add to topic"));
    }
    actions
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
    pub page: i64,
    pub pages: i64,
    /// The first and last story shown (1-based), for "51–100 of 230".
    pub first: i64,
    pub last: i64,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    pub headers: Vec<SortHeader>,
    /// The current filters and order as a query string, for the bulk form to come back to.
    pub back: String,
    pub bulk_actions: Vec<(&'static str, &'static str)>,
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
    let sort = query.order();
    let page = query.page()?;
    let offset = (page - 1) * PER_PAGE;
    let own = (admin.user.role == Role::Contributor).then_some(admin.user.id);
    let filter = db::articles::ArticleFilter {
        sort,
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
        // Counts of what the viewer can see: a contributor's own stories.
        db::dashboard::status_counts(&state.pool, own),
        db::articles::count_filtered(&state.pool, &filter),
        db::articles::list_filtered(&state.pool, &filter, PER_PAGE, offset),
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
            db::articles::list_filtered(&state.pool, &fixed_filter, PER_PAGE, offset),
        )?;
        if n > 0 {
            (total, stories, corrected) = (n, rows, Some(fixed));
        }
    }
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    if page > pages {
        return Err(AppError::NotFound);
    }
    let ids: Vec<Uuid> = stories.iter().map(|a| a.id).collect();
    let facts = db::dashboard::row_facts(&state.pool, &ids).await?;
    let when = |at: time::OffsetDateTime| crate::domain::dates::long_datetime(at, tz);
    // The filters as they are, to carry into sorting and paging links.
    let filters: Vec<(&str, String)> = [
        ("q", q.clone().unwrap_or_default()),
        (
            "status",
            status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        ),
        ("topic", topic.clone().unwrap_or_default()),
        ("archived", query.archived.clone().unwrap_or_default()),
        ("author", author.map(|a| a.to_string()).unwrap_or_default()),
        (
            "exact",
            query.exact.clone().filter(|e| e == "1").unwrap_or_default(),
        ),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect();
    let link = |sort: ArticleSort, page: i64| {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &filters {
            out.append_pair(k, v);
        }
        if sort != ArticleSort::default() {
            out.append_pair("sort", sort.column());
            out.append_pair("dir", if sort.descending() { "desc" } else { "asc" });
        }
        if page > 1 {
            out.append_pair("page", &page.to_string());
        }
        let query = out.finish();
        if query.is_empty() {
            "/admin".to_owned()
        } else {
            format!("/admin?{query}")
        }
    };
    let headers = [
        ("title", "Title", false),
        ("status", "Status", false),
        ("published", "Dateline", true),
        ("updated", "Last changed", true),
    ]
    .into_iter()
    .map(|(column, label, natural_desc)| {
        let current = sort.column() == column;
        let next_desc = if current {
            !sort.descending()
        } else {
            natural_desc
        };
        SortHeader {
            label,
            href: link(
                ArticleSort::from_parts(column, next_desc).unwrap_or_default(),
                1,
            ),
            aria_sort: match (current, sort.descending()) {
                (false, _) => "none",
                (true, true) => "descending",
                (true, false) => "ascending",
            },
        }
    })
    .collect();
    let back = link(sort, page)
        .strip_prefix("/admin")
        .unwrap_or_default()
        .trim_start_matches('?')
        .to_owned();
    let shown = i64::try_from(stories.len()).unwrap_or(0);
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
        page,
        pages,
        first: if shown == 0 { 0 } else { offset + 1 },
        last: offset + shown,
        prev_url: (page > 1).then(|| link(sort, page - 1)),
        next_url: (page < pages).then(|| link(sort, page + 1)),
        headers,
        back,
        bulk_actions: bulk_actions(&admin),
        rows: stories
            .into_iter()
            .map(|a| Row {
                id: a.id,
                modified: when(facts.get(&a.id).map_or(a.updated_at, |f| f.modified_at)),
                published: a.published_at.map(when).unwrap_or_default(),
                credit: facts
                    .get(&a.id)
                    .map(|f| f.credit.clone())
                    .unwrap_or_default(),
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

#[derive(Debug, Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    action: String,
    /// The stories ticked (any number of `id` fields).
    #[serde(default, rename = "id")]
    ids: Vec<String>,
    /// With `topic`: the topic's slug.
    #[serde(default)]
    topic: String,
    /// The dashboard's filters and order, to go back to.
    #[serde(default)]
    back: String,
}

/// What became of one story in a bulk action.
pub struct BulkOutcome {
    pub id: Uuid,
    pub title: String,
    /// `None`: done; else why not.
    pub problem: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/bulk_result.html")]
pub struct BulkResultPage {
    pub layout: Layout,
    pub nav: super::AdminNav,
    pub csrf: String,
    /// What was done, e.g. "Archived".
    pub done_verb: String,
    pub done: Vec<BulkOutcome>,
    pub not_done: Vec<BulkOutcome>,
    pub back: String,
}

/// `POST /admin/stories/bulk`: one action on every story ticked on the dashboard, each through
/// the same service call as the editor's button (so each is its own revision and is refused on
/// its own when the role or the story's state does not allow it). Answers a page that lists
/// what was done to which story and what was not, with the reason.
pub async fn bulk(
    State(state): State<AppState>,
    admin: Admin,
    super::extract::AdminForm(form): super::extract::AdminForm<BulkForm>,
) -> Result<Response, AppError> {
    use crate::domain::lifecycle::Transition;
    use crate::service::articles::{self, ArticleChanges, ChangeMeta, TransitionOptions};

    let offered = bulk_actions(&admin);
    let Some((action, label)) = offered.iter().find(|(a, _)| *a == form.action).copied() else {
        return Err(AppError::Validation(vec![crate::error::FieldError::new(
            "action",
            format!(
                "must be one of: {}",
                offered
                    .iter()
                    .map(|(a, _)| *a)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )]));
    };
    let mut ids = Vec::new();
    for raw in &form.ids {
        let id = Uuid::parse_str(raw.trim()).map_err(|_| {
            AppError::Validation(vec![crate::error::FieldError::new(
                "id",
                format!("“{raw}” is not a story id"),
            )])
        })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Err(AppError::Validation(vec![crate::error::FieldError::new(
            "id",
            "tick at least one story",
        )]));
    }
    if ids.len() > usize::try_from(PER_PAGE).unwrap_or(50) {
        return Err(AppError::Validation(vec![crate::error::FieldError::new(
            "id",
            format!("at most {PER_PAGE} stories at a time (one page)"),
        )]));
    }
    let topic = if action == "topic" {
        let slug = form.topic.trim();
        let found = db::topics::list(&state.pool)
            .await?
            .into_iter()
            .find(|t| t.slug == slug);
        let Some(found) = found else {
            return Err(AppError::Validation(vec![crate::error::FieldError::new(
                "topic",
                "choose one of the topics",
            )]));
        };
        Some(found)
    } else {
        None
    };
    let actor = admin.actor();
    let mut done = Vec::new();
    let mut not_done = Vec::new();
    for id in ids {
        let outcome = async {
            match action {
                "submit" | "archive" | "unarchive" => {
                    let transition = match action {
                        "submit" => Transition::Submit,
                        "archive" => Transition::Archive,
                        _ => Transition::Unarchive,
                    };
                    let committed = articles::transition(
                        &state.pool,
                        actor,
                        id,
                        transition,
                        TransitionOptions::default(),
                        None,
                    )
                    .await?;
                    Ok::<_, AppError>(state.after_commit(committed).title)
                }
                _ => {
                    let topic = topic.as_ref().ok_or(AppError::NotFound)?;
                    let doc = articles::get(&state.pool, actor, id).await?;
                    if doc.topics.contains(&topic.slug) {
                        return Err(AppError::Conflict(format!(
                            "it is already in {}",
                            topic.name
                        )));
                    }
                    let mut topics = doc.topics.clone();
                    topics.push(topic.slug.clone());
                    let committed = articles::update(
                        &state.pool,
                        actor,
                        id,
                        Some(doc.version),
                        ArticleChanges {
                            topics: Some(topics),
                            ..ArticleChanges::default()
                        },
                        ChangeMeta {
                            note: Some(format!("Added to the topic {}", topic.name)),
                            ..ChangeMeta::default()
                        },
                    )
                    .await?;
                    Ok(state.after_commit(committed).title)
                }
            }
        }
        .await;
        match outcome {
            Ok(title) => done.push(BulkOutcome {
                id,
                title,
                problem: None,
            }),
            Err(err @ AppError::Internal(_)) | Err(err @ AppError::Unavailable) => return Err(err),
            Err(err) => {
                let title = db::articles::title_of(&state.pool, id)
                    .await?
                    .unwrap_or_else(|| id.to_string());
                not_done.push(BulkOutcome {
                    id,
                    title,
                    problem: Some(match &err {
                        AppError::NotFound => "it was not found (deleted?)".to_owned(),
                        _ => err.detail(),
                    }),
                });
            }
        }
    }
    let done_verb = match action {
        "topic" => format!("Added to {}", topic.map(|t| t.name).unwrap_or_default()),
        "submit" => "Submitted for review".to_owned(),
        "archive" => "Archived".to_owned(),
        "unarchive" => "Unarchived".to_owned(),
        _ => label.to_owned(),
    };
    render(&BulkResultPage {
        layout: admin_layout(&format!("{label}: the result")),
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        done_verb,
        done,
        not_done,
        back: sanitize_back(&form.back),
    })
}

/// The dashboard address to go back to: only the dashboard's own query string is kept.
fn sanitize_back(back: &str) -> String {
    let kept: Vec<(String, String)> =
        url::form_urlencoded::parse(back.trim_start_matches('?').as_bytes())
            .filter(|(k, _)| {
                matches!(
                    k.as_ref(),
                    "q" | "status"
                        | "topic"
                        | "archived"
                        | "author"
                        | "exact"
                        | "sort"
                        | "dir"
                        | "page"
                )
            })
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    if kept.is_empty() {
        return "/admin".to_owned();
    }
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in &kept {
        out.append_pair(k, v);
    }
    format!("/admin?{}", out.finish())
}

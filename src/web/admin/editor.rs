//! The story editor: every field of a story, created and edited through the service layer with
//! the saved version carried in the form, so that a save over someone else's change shows a
//! conflict screen (theirs beside yours, nothing lost) instead of overwriting. Lifecycle actions
//! (submit, schedule, publish, archive with a superseded-by story …), a live preview rendered by
//! the server, autosave kept apart from revisions, and preview links.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use uuid::Uuid;

use super::auth::admin_layout;
use super::{AdminUser, check_csrf, csrf_token, parse_id};
use crate::app::AppState;
use crate::db;
use crate::db::logins::LoginUser;
use crate::domain::article::{ChangeKind, Review, Study};
use crate::domain::dates;
use crate::domain::lifecycle::Transition;
use crate::domain::markdown;
use crate::domain::slug::Slug;
use crate::error::{AppError, FieldError};
use crate::service::articles::{self, ArticleChanges, ArticleDoc, ChangeMeta, TransitionOptions};
use crate::service::{autosaves, previews};
use crate::web::pages::{Layout, render};

/// The session key holding a just-made preview URL until the editor page shows it once.
const FLASH_PREVIEW_URL: &str = "flash_preview_url";

/// The "About this study" fields as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StudyForm {
    pub citation: String,
    pub doi: String,
    pub pubmed_id: String,
    pub trial_id: String,
    pub presented_at: String,
    pub study_type: String,
    pub sample_size: String,
    pub url: String,
}

/// The medical review fields as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReviewForm {
    pub reviewed_by: String,
    pub last_reviewed: String,
    pub next_review_due: String,
}

/// What the editor form holds; also what an autosave keeps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Draft {
    pub title: String,
    pub slug: String,
    pub dek: String,
    pub body_markdown: String,
    pub topics: Vec<String>,
    pub study: StudyForm,
    pub review: ReviewForm,
    pub change_kind: String,
    pub change_note: String,
    #[serde(skip)]
    pub version: i32,
    #[serde(skip)]
    pub csrf: String,
}

fn text(value: &str) -> Option<String> {
    Some(value.trim().to_owned()).filter(|v| !v.is_empty())
}

fn date_field(field: &'static str, raw: &str, errors: &mut Vec<FieldError>) -> Option<time::Date> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let date = dates::parse_date_input(raw);
    if date.is_none() {
        errors.push(FieldError::new(field, "must be a date (YYYY-MM-DD)"));
    }
    date
}

impl StudyForm {
    fn from_study(study: Option<&Study>) -> Self {
        let Some(s) = study else {
            return Self::default();
        };
        let owned = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            citation: owned(&s.citation),
            doi: owned(&s.doi),
            pubmed_id: owned(&s.pubmed_id),
            trial_id: owned(&s.trial_id),
            presented_at: s.presented_at.map(|d| d.to_string()).unwrap_or_default(),
            study_type: owned(&s.study_type),
            sample_size: s.sample_size.map(|n| n.to_string()).unwrap_or_default(),
            url: owned(&s.url),
        }
    }

    /// `None` when every field is empty (no study box).
    fn to_study(&self, errors: &mut Vec<FieldError>) -> Option<Study> {
        if self.is_blank() {
            return None;
        }
        let sample_size = match self.sample_size.trim() {
            "" => None,
            raw => match raw.replace([',', ' '], "").parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push(FieldError::new(
                        "study.sample_size",
                        "must be a whole number",
                    ));
                    None
                }
            },
        };
        Some(Study {
            citation: text(&self.citation),
            doi: text(&self.doi),
            pubmed_id: text(&self.pubmed_id),
            trial_id: text(&self.trial_id),
            presented_at: date_field("study.presented_at", &self.presented_at, errors),
            study_type: text(&self.study_type),
            sample_size,
            url: text(&self.url),
        })
    }

    fn is_blank(&self) -> bool {
        [
            &self.citation,
            &self.doi,
            &self.pubmed_id,
            &self.trial_id,
            &self.presented_at,
            &self.study_type,
            &self.sample_size,
            &self.url,
        ]
        .iter()
        .all(|v| v.trim().is_empty())
    }
}

impl ReviewForm {
    fn from_review(review: Option<&Review>) -> Self {
        let Some(r) = review else {
            return Self::default();
        };
        let date = |d: Option<time::Date>| d.map(|d| d.to_string()).unwrap_or_default();
        Self {
            reviewed_by: r.reviewed_by.clone().unwrap_or_default(),
            last_reviewed: date(r.last_reviewed),
            next_review_due: date(r.next_review_due),
        }
    }

    fn is_blank(&self) -> bool {
        [
            &self.reviewed_by,
            &self.last_reviewed,
            &self.next_review_due,
        ]
        .iter()
        .all(|v| v.trim().is_empty())
    }

    fn to_review(&self, errors: &mut Vec<FieldError>) -> Option<Review> {
        if self.is_blank() {
            return None;
        }
        Some(Review {
            reviewed_by: text(&self.reviewed_by),
            last_reviewed: date_field("review.last_reviewed", &self.last_reviewed, errors),
            next_review_due: date_field("review.next_review_due", &self.next_review_due, errors),
        })
    }
}

impl Draft {
    fn parse(body: &[u8]) -> Self {
        let mut draft = Self::default();
        for (key, value) in url::form_urlencoded::parse(body) {
            let value = value.into_owned();
            match key.as_ref() {
                "title" => draft.title = value,
                "slug" => draft.slug = value,
                "dek" => draft.dek = value,
                "body_markdown" => draft.body_markdown = value.replace("\r\n", "\n"),
                "topic" => draft.topics.push(value),
                "study.citation" => draft.study.citation = value,
                "study.doi" => draft.study.doi = value,
                "study.pubmed_id" => draft.study.pubmed_id = value,
                "study.trial_id" => draft.study.trial_id = value,
                "study.presented_at" => draft.study.presented_at = value,
                "study.study_type" => draft.study.study_type = value,
                "study.sample_size" => draft.study.sample_size = value,
                "study.url" => draft.study.url = value,
                "review.reviewed_by" => draft.review.reviewed_by = value,
                "review.last_reviewed" => draft.review.last_reviewed = value,
                "review.next_review_due" => draft.review.next_review_due = value,
                "change_kind" => draft.change_kind = value,
                "change_note" => draft.change_note = value,
                "version" => draft.version = value.parse().unwrap_or(0),
                "csrf" => draft.csrf = value,
                _ => {}
            }
        }
        draft
    }

    fn from_doc(doc: &ArticleDoc) -> Self {
        Self {
            title: doc.title.clone(),
            slug: doc.slug.clone(),
            dek: doc.dek.clone(),
            body_markdown: doc.body_markdown.clone(),
            topics: doc.topics.clone(),
            study: StudyForm::from_study(doc.study.as_ref()),
            review: ReviewForm::from_review(doc.review.as_ref()),
            change_kind: "minor".into(),
            change_note: String::new(),
            version: doc.version,
            csrf: String::new(),
        }
    }

    /// The changes the form asks for, or the fields it could not read.
    fn changes(&self) -> Result<ArticleChanges, AppError> {
        let mut errors = Vec::new();
        let study = self.study.to_study(&mut errors);
        let review = self.review.to_review(&mut errors);
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(ArticleChanges {
            title: Some(self.title.clone()),
            slug: Some(self.slug.trim().to_owned()).filter(|s| !s.is_empty()),
            dek: Some(self.dek.clone()),
            body_markdown: Some(self.body_markdown.clone()),
            topics: Some(self.topics.clone()),
            study: Some(study),
            review: Some(review),
        })
    }

    fn meta(&self) -> Result<ChangeMeta, AppError> {
        let kind = match self.change_kind.as_str() {
            "" | "minor" => ChangeKind::Minor,
            "update" => ChangeKind::Update,
            "correction" => ChangeKind::Correction,
            _ => {
                return Err(AppError::field(
                    "change_kind",
                    "must be minor, update or correction",
                ));
            }
        };
        Ok(ChangeMeta {
            kind,
            note: Some(self.change_note.trim().to_owned()).filter(|n| !n.is_empty()),
        })
    }
}

pub struct TopicChoice {
    pub slug: String,
    pub name: String,
    pub checked: bool,
}

/// A published story offered by the superseded-by picker.
pub struct StoryChoice {
    pub slug: String,
    pub title: String,
}

/// A live preview link, as listed beside the editor.
pub struct PreviewLinkRow {
    pub id: String,
    pub expires: String,
}

/// What the publishing panel shows and keeps.
#[derive(Debug, Clone, Default)]
pub struct PublishForm {
    pub publish_at: String,
    /// The archive reason.
    pub reason: String,
    pub superseded_by: String,
    /// The reason readers see on a withdrawn story's page.
    pub withdraw_reason: String,
}

#[derive(Template)]
#[template(path = "admin/editor.html")]
pub struct EditorPage {
    pub layout: Layout,
    pub nav: super::AdminNav,
    pub csrf: String,
    /// `None` for a new story.
    pub id: Option<String>,
    pub status: String,
    pub archived: bool,
    pub draft: Draft,
    pub slug_suggestion: String,
    pub topics: Vec<TopicChoice>,
    pub errors: Vec<FieldError>,
    pub message: Option<String>,
    /// The form's body as the site renders it (sanitised), refreshed live by `editor.js`.
    pub preview_html: String,
    pub public_url: Option<String>,
    /// A conflict: the story as someone else saved it.
    pub theirs: Option<Draft>,
    /// "Scheduled for …" while scheduled.
    pub scheduled_for: Option<String>,
    /// "Archived on …" and the archive details.
    pub archived_on: Option<String>,
    pub archive_reason: Option<String>,
    pub superseded_by_url: Option<String>,
    pub publish: PublishForm,
    pub recent_stories: Vec<StoryChoice>,
    pub preview_links: Vec<PreviewLinkRow>,
    /// A preview URL made a moment ago: its only showing.
    pub new_preview_url: Option<String>,
    /// When an autosave newer than the saved story exists (and is not in the form).
    pub autosaved_at: Option<String>,
    pub site_timezone: String,
    /// The controls this user is offered for this story: what the policy allows and the
    /// lifecycle permits, no more (`service::articles::offered`).
    pub offers: articles::Offered,
    /// Why the form cannot be saved, when it cannot.
    pub read_only: Option<String>,
    /// When withdrawn: the date and the reason readers see.
    pub withdrawn_on: Option<String>,
    pub withdraw_reason: Option<String>,
}

impl EditorPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        crate::error::message_for(&self.errors, field)
    }

    /// Whether the study or review section (`prefix` `study.` or `review.`) starts open: when
    /// it holds something or an error.
    pub fn section_open(&self, prefix: &str) -> bool {
        let filled = match prefix {
            "study." => !self.draft.study.is_blank(),
            _ => !self.draft.review.is_blank(),
        };
        filled || self.errors.iter().any(|e| e.field.starts_with(prefix))
    }
}

async fn editor_page(
    state: &AppState,
    session: &Session,
    user: LoginUser,
    doc: Option<&ArticleDoc>,
    draft: Draft,
) -> Result<EditorPage, AppError> {
    let tz = &state.config.timezone;
    let topics = db::topics::list(&state.pool).await?;
    let actor = user.actor();
    let (preview_links, recent_stories, superseded_by_url) = match doc {
        Some(doc) => {
            let links = previews::list_live(&state.pool, actor, doc.id)
                .await?
                .into_iter()
                .map(|link| PreviewLinkRow {
                    id: link.id.to_string(),
                    expires: dates::long_datetime(link.expires_at, tz),
                })
                .collect();
            let recent = if doc.status == crate::domain::article::ArticleStatus::Published
                && !doc.archived
            {
                db::articles::list_published(&state.pool, false, 50, 0)
                    .await?
                    .into_iter()
                    .filter(|s| s.id != doc.id)
                    .map(|s| StoryChoice {
                        slug: s.slug,
                        title: s.title,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let newer = match doc.superseded_by {
                Some(newer) => db::articles::find_published_link(&state.pool, newer)
                    .await?
                    .map(|(slug, _)| format!("/research-news/{slug}")),
                None => None,
            };
            (links, recent, newer)
        }
        None => (Vec::new(), Vec::new(), None),
    };
    let new_preview_url = match doc {
        Some(_) => session
            .remove::<String>(FLASH_PREVIEW_URL)
            .await
            .map_err(super::session_failed)?,
        None => None,
    };
    let scheduled = doc.filter(|d| d.status == crate::domain::article::ArticleStatus::Scheduled);
    // A new story: the form creates a draft, which everyone may.
    let offers = doc.map_or(
        articles::Offered {
            edit: true,
            ..articles::Offered::default()
        },
        |d| articles::offered(actor, d),
    );
    let read_only = doc.and_then(|d| read_only_reason(actor, d));
    Ok(EditorPage {
        layout: admin_layout(if doc.is_some() {
            "Edit story"
        } else {
            "New story"
        }),
        nav: super::AdminNav::new(&user),
        csrf: csrf_token(session).await?,
        id: doc.map(|d| d.id.to_string()),
        status: doc
            .map(|d| d.status.as_str().to_owned())
            .unwrap_or_default(),
        archived: doc.is_some_and(|d| d.archived),
        topics: topics
            .into_iter()
            .map(|t| TopicChoice {
                checked: draft.topics.contains(&t.slug),
                slug: t.slug,
                name: t.name,
            })
            .collect(),
        slug_suggestion: Slug::from_title(&draft.title)
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        preview_html: markdown::render(&draft.body_markdown).into_string(),
        draft,
        errors: Vec::new(),
        message: None,
        public_url: doc
            .filter(|d| d.status == crate::domain::article::ArticleStatus::Published)
            .map(|d| format!("/research-news/{}", d.slug)),
        theirs: None,
        scheduled_for: scheduled
            .and_then(|d| d.published_at)
            .map(|at| dates::long_datetime(at, tz)),
        archived_on: doc
            .and_then(|d| d.archived_at)
            .map(|at| dates::long_datetime(at, tz)),
        archive_reason: doc.and_then(|d| d.archive_reason.clone()),
        superseded_by_url,
        publish: PublishForm {
            publish_at: scheduled
                .and_then(|d| d.published_at)
                .map(|at| dates::local_input(at, tz))
                .unwrap_or_default(),
            ..PublishForm::default()
        },
        recent_stories,
        preview_links,
        new_preview_url,
        autosaved_at: None,
        site_timezone: state.config.timezone_name.clone(),
        offers,
        read_only,
        withdrawn_on: doc
            .and_then(|d| d.withdrawn_at)
            .map(|at| dates::long_datetime(at, tz)),
        withdraw_reason: doc.and_then(|d| d.withdraw_reason.clone()),
    })
}

/// Why `actor` cannot save the story `doc`, in words, when they cannot.
fn read_only_reason(actor: crate::domain::policy::Actor, doc: &ArticleDoc) -> Option<String> {
    use crate::domain::article::ArticleStatus;
    if articles::allows(actor, crate::domain::policy::Action::EditArticle, doc) {
        return None;
    }
    Some(match doc.status {
        ArticleStatus::InReview => "This story is with the editors for review, so it is locked:             you can read it here, and it comes back to you as a draft if an editor sends it back."
            .to_owned(),
        _ => "Your role cannot change this story as it is now; an editor can.".to_owned(),
    })
}

fn with_status(page: &EditorPage, status: StatusCode) -> Result<Response, AppError> {
    let mut response = render(page)?;
    *response.status_mut() = status;
    Ok(response)
}

fn to_story(id: Uuid) -> Response {
    Redirect::to(&format!("/admin/stories/{id}?saved=1")).into_response()
}

pub async fn new_story(
    State(state): State<AppState>,
    session: Session,
    Extension(AdminUser(user)): Extension<AdminUser>,
) -> Result<Response, AppError> {
    render(&editor_page(&state, &session, user, None, Draft::default()).await?)
}

pub async fn create(
    State(state): State<AppState>,
    session: Session,
    Extension(AdminUser(user)): Extension<AdminUser>,
    body: Bytes,
) -> Result<Response, AppError> {
    let draft = Draft::parse(&body);
    check_csrf(&session, &draft.csrf).await?;
    let outcome = match draft.changes() {
        Ok(changes) => {
            articles::create(&state.pool, user.actor(), changes, ChangeMeta::default()).await
        }
        Err(err) => Err(err),
    };
    match outcome {
        Ok(doc) => Ok(to_story(doc.id)),
        Err(AppError::Validation(errors) | AppError::FieldConflict(errors)) => {
            let mut page = editor_page(&state, &session, user, None, draft).await?;
            page.errors = errors;
            with_status(&page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(other) => Err(other),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct ShowQuery {
    saved: Option<String>,
    /// `restore=autosave` puts the editor's autosaved text in the form.
    restore: Option<String>,
    /// The lifecycle step just taken (after a redirect), for its confirmation.
    done: Option<String>,
    /// The revision just restored.
    restored: Option<i32>,
}

/// What a finished lifecycle step says, in the words of what happened; `saved` when the form's
/// text was saved first.
fn done_message(done: &str, saved: bool, doc: &ArticleDoc, tz: &jiff::tz::TimeZone) -> String {
    let when = doc
        .published_at
        .map(|at| dates::long_datetime(at, tz))
        .unwrap_or_default();
    let step = match done {
        "submitted" => "submitted for review".to_owned(),
        "published" => "published".to_owned(),
        "backdated" => format!("published, dated {when}"),
        "scheduled" => format!("scheduled for {when}"),
        "unpublished" => "unpublished: the story is a draft again".to_owned(),
        "withdrawn" => "withdrawn: readers now see that the story was withdrawn".to_owned(),
        "archived" => "archived".to_owned(),
        "unarchived" => "unarchived".to_owned(),
        _ => return "Saved.".to_owned(),
    };
    if saved {
        format!("Saved and {step}.")
    } else {
        let mut chars = step.chars();
        chars
            .next()
            .map(|first| format!("{}{}.", first.to_uppercase(), chars.as_str()))
            .unwrap_or_default()
    }
}

pub async fn edit(
    State(state): State<AppState>,
    session: Session,
    Extension(AdminUser(user)): Extension<AdminUser>,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = user.actor();
    let doc = articles::get(&state.pool, actor, id).await?;
    let autosave = autosaves::find(&state.pool, actor, id).await?;
    let tz = state.config.timezone.clone();
    let restoring = query.restore.as_deref() == Some("autosave");
    let mut draft = Draft::from_doc(&doc);
    let mut restored_at = None;
    let mut pending_at = None;
    if let Some(saved) = &autosave {
        let at = dates::long_datetime(saved.saved_at, &tz);
        match serde_json::from_value::<Draft>(saved.payload.clone()) {
            Ok(mut kept) if restoring => {
                // Based on the version the editor had: if the story moved on since, saving
                // shows the conflict screen rather than overwriting.
                kept.version = saved.base_version;
                draft = kept;
                restored_at = Some(at);
            }
            Ok(kept) if kept != Draft::from_doc(&doc) => pending_at = Some(at),
            _ => {}
        }
    }
    let mut page = editor_page(&state, &session, user, Some(&doc), draft).await?;
    page.autosaved_at = pending_at;
    if let Some(at) = restored_at {
        page.message = Some(format!(
            "Your text autosaved on {at} is in the form. Save to keep it."
        ));
    } else if let Some(number) = query.restored {
        page.message = Some(format!(
            "Revision {number} restored, as revision {}.",
            doc.version
        ));
    } else if let Some(done) = query.done.as_deref() {
        page.message = Some(done_message(done, query.saved.is_some(), &doc, &tz));
    } else if query.saved.is_some() {
        page.message = Some("Saved.".into());
    }
    render(&page)
}

pub async fn save(
    State(state): State<AppState>,
    session: Session,
    Extension(AdminUser(user)): Extension<AdminUser>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let draft = Draft::parse(&body);
    check_csrf(&session, &draft.csrf).await?;
    let actor = user.actor();
    let outcome = match draft.meta().and_then(|meta| Ok((meta, draft.changes()?))) {
        Ok((meta, changes)) => {
            articles::update(&state.pool, actor, id, Some(draft.version), changes, meta).await
        }
        Err(err) => Err(err),
    };
    match outcome {
        Ok(doc) => {
            autosaves::discard(&state.pool, actor, id).await?;
            Ok(to_story(doc.id))
        }
        Err(AppError::PreconditionFailed(_, _)) => {
            // Someone saved meanwhile: show theirs beside ours; the form keeps ours, now based
            // on their version, so saving again is a deliberate choice and nothing is lost.
            let current = articles::get(&state.pool, actor, id).await?;
            let theirs = Draft::from_doc(&current);
            let mut mine = draft;
            mine.version = current.version;
            let mut page = editor_page(&state, &session, user, Some(&current), mine).await?;
            page.theirs = Some(theirs);
            page.message = Some(
                "Someone else saved this story while you were editing. Their version is shown \
                 beside yours; nothing has been lost. Copy what you need, then save to replace \
                 theirs with the form's text."
                    .into(),
            );
            with_status(&page, StatusCode::CONFLICT)
        }
        Err(AppError::Validation(errors) | AppError::FieldConflict(errors)) => {
            let doc = articles::get(&state.pool, actor, id).await?;
            let mut page = editor_page(&state, &session, user, Some(&doc), draft).await?;
            page.errors = errors;
            with_status(&page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(other) => Err(other),
    }
}

/// Reads the superseded-by picker: a story's address, slug or id.
async fn resolve_story(state: &AppState, raw: &str) -> Result<Option<Uuid>, AppError> {
    let raw = raw.trim().trim_end_matches('/');
    if raw.is_empty() {
        return Ok(None);
    }
    let slug = raw.rsplit('/').next().unwrap_or(raw);
    if let Ok(id) = Uuid::parse_str(slug) {
        return Ok(Some(id));
    }
    match db::articles::find_by_slug(&state.pool, slug).await? {
        Some(story) => Ok(Some(story.id)),
        None => Err(AppError::field(
            "superseded_by",
            "is not the address of a published story",
        )),
    }
}

/// `POST /admin/stories/{id}/action`: a publishing button of the editor form, which sends the
/// form's text with `action` (submit, publish, schedule with `publish_at`: a future moment
/// schedules, a past one backdates; unpublish, withdraw with `reason`, archive with `reason` and
/// `superseded_by`, unarchive). The text is saved first when it changed, in the same
/// transaction (`service::articles::save_and_transition`); a form loaded before someone else's
/// save gets the conflict screen and nothing is published.
pub async fn act(
    State(state): State<AppState>,
    session: Session,
    Extension(AdminUser(user)): Extension<AdminUser>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let draft = Draft::parse(&body);
    let mut action = String::new();
    let mut form = PublishForm::default();
    let mut has_version = false;
    for (key, value) in url::form_urlencoded::parse(&body) {
        match key.as_ref() {
            "action" => action = value.into_owned(),
            "reason" => form.reason = value.into_owned(),
            "publish_at" => form.publish_at = value.into_owned(),
            "superseded_by" => form.superseded_by = value.into_owned(),
            "withdraw_reason" => form.withdraw_reason = value.into_owned(),
            "version" => has_version = true,
            _ => {}
        }
    }
    check_csrf(&session, &draft.csrf).await?;
    if !has_version {
        return Err(AppError::BadRequest(
            "Publishing actions are taken from the story editor, which sends the story's text              with them. Open the editor again and use its buttons."
                .into(),
        ));
    }
    let actor = user.actor();
    let outcome = async {
        let transition = match action.as_str() {
            "submit" => Transition::Submit,
            "publish" => Transition::Publish { at: None },
            "schedule" => {
                let at = dates::parse_local_input(&form.publish_at, &state.config.timezone)
                    .ok_or_else(|| {
                        AppError::field("publish_at", "must be a date and time to publish at")
                    })?;
                Transition::Publish { at: Some(at) }
            }
            "unpublish" => Transition::Unpublish,
            "withdraw" => Transition::Withdraw,
            "archive" => Transition::Archive,
            "unarchive" => Transition::Unarchive,
            _ => return Err(AppError::BadRequest("Unknown action.".into())),
        };
        let options = TransitionOptions {
            reason: text(if action == "withdraw" {
                &form.withdraw_reason
            } else {
                &form.reason
            }),
            superseded_by: if action == "archive" {
                resolve_story(&state, &form.superseded_by).await?
            } else {
                None
            },
        };
        let (changes, meta) = (draft.changes()?, draft.meta()?);
        articles::save_and_transition(
            &state.pool,
            actor,
            id,
            draft.version,
            changes,
            meta,
            transition,
            options,
        )
        .await
    }
    .await;
    let verb = match action.as_str() {
        "submit" => "submitted",
        "publish" | "schedule" => "published",
        "unpublish" => "unpublished",
        "withdraw" => "withdrawn",
        "archive" => "archived",
        "unarchive" => "unarchived",
        _ => "changed",
    };
    let (status, message, errors, theirs) = match outcome {
        Ok((doc, saved)) => {
            // As a save does, when the form's text was saved; an autosave of other text (the
            // form did not carry it) is still offered back.
            if saved {
                autosaves::discard(&state.pool, actor, id).await?;
            }
            let done = match (action.as_str(), doc.status) {
                ("schedule", crate::domain::article::ArticleStatus::Scheduled) => "scheduled",
                ("schedule", _) => "backdated",
                _ => verb,
            };
            let saved = if saved { "&saved=1" } else { "" };
            return Ok(
                Redirect::to(&format!("/admin/stories/{id}?done={done}{saved}")).into_response(),
            );
        }
        Err(AppError::PreconditionFailed(..)) => {
            let current = articles::get(&state.pool, actor, id).await?;
            (
                StatusCode::CONFLICT,
                format!(
                    "Not {verb}: someone else saved this story while you were editing. Their \
                     version is shown beside yours; nothing has been lost. Save to replace theirs \
                     with the form's text, then try again."
                ),
                Vec::new(),
                Some(current),
            )
        }
        Err(AppError::Conflict(message)) => (
            StatusCode::CONFLICT,
            format!("Not {verb}: {message}."),
            Vec::new(),
            None,
        ),
        Err(AppError::Validation(errors) | AppError::FieldConflict(errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Not {verb}: correct the fields marked below."),
            errors
                .into_iter()
                .map(|e| {
                    // The service names fields as the API does.
                    match (e.field.as_str(), action.as_str()) {
                        ("at", _) => FieldError::new("publish_at", e.message),
                        ("reason", "withdraw") => FieldError::new("withdraw_reason", e.message),
                        _ => e,
                    }
                })
                .collect(),
            None,
        ),
        Err(other) => return Err(other),
    };
    let doc = match &theirs {
        Some(current) => current.clone(),
        None => articles::get(&state.pool, actor, id).await?,
    };
    let mut mine = draft;
    if theirs.is_some() {
        mine.version = doc.version;
    }
    let mut page = editor_page(&state, &session, user, Some(&doc), mine).await?;
    page.theirs = theirs.as_ref().map(Draft::from_doc);
    page.message = Some(message);
    page.errors = errors;
    page.publish = form;
    with_status(&page, status)
}

/// `POST /admin/preview`: the Markdown of the form rendered and sanitised as the site will
/// show it, for the live preview beside the editor.
pub async fn preview(
    session: Session,
    Extension(AdminUser(_user)): Extension<AdminUser>,
    body: Bytes,
) -> Result<Response, AppError> {
    let draft = Draft::parse(&body);
    check_csrf(&session, &draft.csrf).await?;
    if draft.body_markdown.len() > crate::domain::article::limits::BODY_BYTES {
        return Err(AppError::field(
            "body_markdown",
            format!(
                "must be at most {} bytes",
                crate::domain::article::limits::BODY_BYTES
            ),
        ));
    }
    let html = markdown::render(&draft.body_markdown).into_string();
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

#[derive(Serialize)]
struct AutosaveAnswer {
    saved_at: String,
}

/// `POST /admin/stories/{id}/autosave`: keeps the form apart from the revisions.
pub async fn autosave(
    State(state): State<AppState>,
    session: Session,
    Extension(AdminUser(user)): Extension<AdminUser>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let draft = Draft::parse(&body);
    check_csrf(&session, &draft.csrf).await?;
    let payload = serde_json::to_value(&draft).map_err(|e| AppError::Internal(e.into()))?;
    let at = autosaves::save(&state.pool, user.actor(), id, draft.version, &payload).await?;
    Ok(Json(AutosaveAnswer {
        saved_at: dates::rfc3339(at),
    })
    .into_response())
}

fn csrf_field(body: &[u8]) -> String {
    url::form_urlencoded::parse(body)
        .find(|(key, _)| key == "csrf")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

/// `POST /admin/stories/{id}/autosave/discard`.
pub async fn discard_autosave(
    State(state): State<AppState>,
    session: Session,
    Extension(AdminUser(user)): Extension<AdminUser>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    check_csrf(&session, &csrf_field(&body)).await?;
    autosaves::discard(&state.pool, user.actor(), id).await?;
    Ok(Redirect::to(&format!("/admin/stories/{id}")).into_response())
}

/// `POST /admin/stories/{id}/preview-links`: `hours` (default 72).
pub async fn create_preview_link(
    State(state): State<AppState>,
    session: Session,
    Extension(AdminUser(user)): Extension<AdminUser>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    check_csrf(&session, &csrf_field(&body)).await?;
    let hours = url::form_urlencoded::parse(&body)
        .find(|(key, _)| key == "hours")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(previews::DEFAULT_HOURS);
    let link =
        previews::create(&state.pool, user.actor(), id, hours, &state.config.base_url).await?;
    // Shown once, on the next page: the token is not kept anywhere else.
    session
        .insert(FLASH_PREVIEW_URL, &link.url)
        .await
        .map_err(super::session_failed)?;
    Ok(Redirect::to(&format!("/admin/stories/{id}")).into_response())
}

/// `POST /admin/preview-links/{id}/revoke`.
pub async fn revoke_preview_link(
    State(state): State<AppState>,
    session: Session,
    Extension(AdminUser(user)): Extension<AdminUser>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    check_csrf(&session, &csrf_field(&body)).await?;
    let article = previews::revoke(&state.pool, user.actor(), id).await?;
    Ok(Redirect::to(&format!("/admin/stories/{article}")).into_response())
}

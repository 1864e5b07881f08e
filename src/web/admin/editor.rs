//! The story editor: create and edit through the service layer, with the saved version carried
//! in the form so that a save over someone else's change shows a conflict screen (theirs beside
//! yours, nothing lost) instead of overwriting; lifecycle actions; the server's rendering of
//! the saved body beside the form.

use askama::Template;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;
use uuid::Uuid;

use super::auth::admin_layout;
use super::{AdminUser, check_csrf, csrf_token};
use crate::app::AppState;
use crate::db;
use crate::db::logins::LoginUser;
use crate::domain::article::ChangeKind;
use crate::domain::lifecycle::Transition;
use crate::error::{AppError, FieldError};
use crate::service::articles::{self, ArchiveOptions, ArticleChanges, ArticleDoc, ChangeMeta};
use crate::web::pages::{Layout, render};

/// What the editor form holds.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub title: String,
    pub slug: String,
    pub dek: String,
    pub body_markdown: String,
    pub topics: Vec<String>,
    pub change_kind: String,
    pub change_note: String,
    pub version: i32,
    pub csrf: String,
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
            change_kind: "minor".into(),
            change_note: String::new(),
            version: doc.version,
            csrf: String::new(),
        }
    }

    fn changes(&self) -> ArticleChanges {
        ArticleChanges {
            title: Some(self.title.clone()),
            slug: Some(self.slug.clone()).filter(|s| !s.trim().is_empty()),
            dek: Some(self.dek.clone()),
            body_markdown: Some(self.body_markdown.clone()),
            topics: Some(self.topics.clone()),
            study: None,
            review: None,
        }
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

#[derive(Template)]
#[template(path = "admin/editor.html")]
pub struct EditorPage {
    pub layout: Layout,
    pub user_name: String,
    pub csrf: String,
    /// `None` for a new story.
    pub id: Option<String>,
    pub status: String,
    pub archived: bool,
    pub draft: Draft,
    pub topics: Vec<TopicChoice>,
    pub errors: Vec<FieldError>,
    pub message: Option<String>,
    /// The saved body as the site renders it (sanitised by the service layer).
    pub preview_html: String,
    pub public_url: Option<String>,
    /// A conflict: the story as someone else saved it.
    pub theirs: Option<Draft>,
}

impl EditorPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        crate::error::message_for(&self.errors, field)
    }
}

async fn editor_page(
    state: &AppState,
    session: &Session,
    user: LoginUser,
    doc: Option<&ArticleDoc>,
    draft: Draft,
) -> Result<EditorPage, AppError> {
    let topics = db::topics::list(&state.pool).await?;
    Ok(EditorPage {
        layout: admin_layout(if doc.is_some() {
            "Edit story"
        } else {
            "New story"
        }),
        user_name: user.name,
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
        draft,
        errors: Vec::new(),
        message: None,
        preview_html: doc.map(|d| d.body_html.clone()).unwrap_or_default(),
        public_url: doc
            .filter(|d| d.status.as_str() == "published")
            .map(|d| format!("/research-news/{}", d.slug)),
        theirs: None,
    })
}

fn with_status(page: &EditorPage, status: StatusCode) -> Result<Response, AppError> {
    let mut response = render(page)?;
    *response.status_mut() = status;
    Ok(response)
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
    match articles::create(&state.pool, user.actor(), draft.changes()).await {
        Ok(doc) => Ok(Redirect::to(&format!("/admin/stories/{}?saved=1", doc.id)).into_response()),
        Err(AppError::Validation(errors)) => {
            let mut page = editor_page(&state, &session, user, None, draft).await?;
            page.errors = errors;
            with_status(&page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(other) => Err(other),
    }
}

fn parse_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound)
}

#[derive(Debug, serde::Deserialize)]
pub struct ShowQuery {
    saved: Option<String>,
}

pub async fn edit(
    State(state): State<AppState>,
    session: Session,
    Extension(AdminUser(user)): Extension<AdminUser>,
    Path(id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<ShowQuery>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let doc = articles::get(&state.pool, user.actor(), id).await?;
    let mut page = editor_page(&state, &session, user, Some(&doc), Draft::from_doc(&doc)).await?;
    if query.saved.is_some() {
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
    let outcome = match draft.meta() {
        Ok(meta) => {
            articles::update(
                &state.pool,
                user.actor(),
                id,
                Some(draft.version),
                draft.changes(),
                meta,
            )
            .await
        }
        Err(err) => Err(err),
    };
    match outcome {
        Ok(doc) => Ok(Redirect::to(&format!("/admin/stories/{}?saved=1", doc.id)).into_response()),
        Err(AppError::PreconditionFailed(_, _)) => {
            // Someone saved meanwhile: show theirs beside ours; the form keeps ours, now based
            // on their version, so saving again is a deliberate choice and nothing is lost.
            let current = articles::get(&state.pool, user.actor(), id).await?;
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
        Err(AppError::Validation(errors)) => {
            let doc = articles::get(&state.pool, user.actor(), id).await?;
            let mut page = editor_page(&state, &session, user, Some(&doc), draft).await?;
            page.errors = errors;
            with_status(&page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(other) => Err(other),
    }
}

/// `POST /admin/stories/{id}/action`: `action` (submit, publish, unpublish, withdraw, archive,
/// unarchive), `reason` for archive.
pub async fn act(
    State(state): State<AppState>,
    session: Session,
    Extension(AdminUser(user)): Extension<AdminUser>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let mut csrf = String::new();
    let mut action = String::new();
    let mut reason = String::new();
    for (key, value) in url::form_urlencoded::parse(&body) {
        match key.as_ref() {
            "csrf" => csrf = value.into_owned(),
            "action" => action = value.into_owned(),
            "reason" => reason = value.into_owned(),
            _ => {}
        }
    }
    check_csrf(&session, &csrf).await?;
    let transition = match action.as_str() {
        "submit" => Transition::Submit,
        "publish" => Transition::Publish { at: None },
        "unpublish" => Transition::Unpublish,
        "withdraw" => Transition::Withdraw,
        "archive" => Transition::Archive,
        "unarchive" => Transition::Unarchive,
        _ => return Err(AppError::BadRequest("Unknown action.".into())),
    };
    let options = ArchiveOptions {
        reason: Some(reason.trim().to_owned()).filter(|r| !r.is_empty()),
        superseded_by: None,
    };
    match articles::transition(&state.pool, user.actor(), id, transition, options, None).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/stories/{id}?saved=1")).into_response()),
        Err(AppError::Conflict(message)) => {
            let doc = articles::get(&state.pool, user.actor(), id).await?;
            let mut page =
                editor_page(&state, &session, user, Some(&doc), Draft::from_doc(&doc)).await?;
            page.message = Some(message);
            with_status(&page, StatusCode::CONFLICT)
        }
        Err(AppError::Validation(errors)) => {
            let doc = articles::get(&state.pool, user.actor(), id).await?;
            let mut page =
                editor_page(&state, &session, user, Some(&doc), Draft::from_doc(&doc)).await?;
            page.message = errors
                .first()
                .map(|e| format!("The {} {}.", e.field.replace('_', " "), e.message));
            with_status(&page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(other) => Err(other),
    }
}

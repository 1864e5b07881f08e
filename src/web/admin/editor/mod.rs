//! The story editor: every field of a story, created and edited through the service layer with
//! the saved version carried in the form, so that a save over someone else's change shows a
//! conflict screen (theirs beside yours, nothing lost) instead of overwriting. What the form
//! holds and how it is read is [`form`]; the page, [`page`]; its publishing buttons,
//! [`publishing`]; the live preview, autosave and preview links, [`tools`].

pub mod desk;
pub mod form;
pub mod page;
pub mod presence;
pub mod preview;
pub mod publishing;
pub mod tools;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

use self::form::{Draft, EditorForm};
use self::page::{done_message, editor_page, to_story, with_status};
use super::extract::{Admin, AdminForm, AdminPath};
use crate::domain::dates;
use crate::error::AppError;
use crate::service::articles::{self, ChangeMeta};
use crate::service::autosaves;
use crate::state::AppState;
use crate::web::pages::render;

/// The session key holding a just-made preview URL until the editor page shows it once.
const FLASH_PREVIEW_URL: &str = "flash_preview_url";

/// `GET /admin/stories/new`.
pub async fn new_story(State(state): State<AppState>, admin: Admin) -> Result<Response, AppError> {
    render(&editor_page(&state, &admin, None, Draft::default()).await?)
}

/// `POST /admin/stories`: a new draft, or the form again with its errors.
pub async fn create(
    State(state): State<AppState>,
    admin: Admin,
    AdminForm(form): AdminForm<EditorForm>,
) -> Result<Response, AppError> {
    let draft = form.draft();
    let outcome = match draft.changes() {
        Ok(changes) => {
            articles::create(&state.pool, admin.actor(), changes, ChangeMeta::default()).await
        }
        Err(err) => Err(err),
    };
    match outcome {
        Ok(doc) => Ok(to_story(state.after_commit(doc).id)),
        Err(AppError::Validation(errors) | AppError::FieldConflict(errors)) => {
            let mut page = editor_page(&state, &admin, None, draft).await?;
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

/// `GET /admin/stories/{id}`: the story in the form, an autosave offered back, and the
/// confirmation of what was just done.
pub async fn edit(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let actor = admin.actor();
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
    let mut page = editor_page(&state, &admin, Some(&doc), draft).await?;
    page.autosaved_at = pending_at;
    page.message = if let Some(at) = restored_at {
        Some(format!(
            "Your text autosaved on {at} is in the form. Save to keep it."
        ))
    } else if let Some(number) = query.restored {
        Some(format!(
            "Revision {number} restored, as revision {}.",
            doc.version
        ))
    } else if let Some(done) = query.done.as_deref() {
        Some(
            desk::scheduled_message(&page.desk, done)
                .unwrap_or_else(|| done_message(done, query.saved.is_some(), &doc, &tz)),
        )
    } else {
        query.saved.is_some().then(|| "Saved.".to_owned())
    };
    render(&page)
}

/// `POST /admin/stories/{id}`: saves the form as a revision, guarded by the version it was
/// loaded at.
pub async fn save(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
    AdminForm(form): AdminForm<EditorForm>,
) -> Result<Response, AppError> {
    let draft = form.draft();
    let actor = admin.actor();
    let outcome = match draft.meta().and_then(|meta| Ok((meta, draft.changes()?))) {
        Ok((meta, changes)) => {
            articles::update(&state.pool, actor, id, Some(draft.version), changes, meta).await
        }
        Err(err) => Err(err),
    };
    match outcome.map(|doc| state.after_commit(doc)) {
        Ok(doc) => {
            autosaves::discard(&state.pool, actor, id).await?;
            Ok(to_story(doc.id))
        }
        Err(AppError::PreconditionFailed(..)) => {
            conflict(
                &state,
                &admin,
                id,
                draft,
                "Someone else saved this story while you were editing. Their version is shown \
                 beside yours; nothing has been lost. Copy what you need, then save to replace \
                 theirs with the form's text.",
                None,
            )
            .await
        }
        Err(AppError::Validation(errors) | AppError::FieldConflict(errors)) => {
            let doc = articles::get(&state.pool, actor, id).await?;
            let mut page = editor_page(&state, &admin, Some(&doc), draft).await?;
            page.errors = errors;
            with_status(&page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(other) => Err(other),
    }
}

/// The conflict screen: someone saved meanwhile, so theirs is shown beside the form, which
/// keeps `mine` based on their version: saving again is a deliberate choice, nothing is lost.
async fn conflict(
    state: &AppState,
    admin: &Admin,
    id: Uuid,
    mut mine: Draft,
    message: &str,
    publish: Option<page::PublishForm>,
) -> Result<Response, AppError> {
    let current = articles::get(&state.pool, admin.actor(), id).await?;
    mine.version = current.version;
    let mut page = editor_page(state, admin, Some(&current), mine).await?;
    page.theirs = Some(Draft::from_doc(&current));
    page.message = Some(message.to_owned());
    if let Some(publish) = publish {
        page.publish = publish;
    }
    with_status(&page, StatusCode::CONFLICT)
}

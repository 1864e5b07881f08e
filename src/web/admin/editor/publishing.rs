//! The editor's publishing buttons: each is part of the editor form, so it sends the form's text
//! with its step (submit, publish, schedule or backdate, unpublish, withdraw, archive,
//! unarchive). The text is saved first when it changed, in the same transaction
//! (`service::articles::save_and_transition`); a form loaded before someone else's save gets
//! the conflict screen and nothing is published.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::form::{EditorForm, text};
use super::page::{editor_page, with_status};
use crate::db;
use crate::domain::article::ArticleStatus;
use crate::domain::dates;
use crate::domain::lifecycle::Transition;
use crate::error::{AppError, FieldError};
use crate::service::articles::{self, TransitionOptions};
use crate::service::autosaves;
use crate::state::AppState;
use crate::web::admin::extract::{Admin, AdminForm, AdminPath};

/// `POST /admin/stories/{id}/action`: `action` (submit, publish, schedule with `publish_at`: a
/// future moment schedules, a past one backdates; unpublish, withdraw with `withdraw_reason`,
/// archive with `reason` and `superseded_by`, unarchive) and the whole editor form.
pub async fn act(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
    AdminForm(form): AdminForm<EditorForm>,
) -> Result<Response, AppError> {
    let Some(version) = form.version else {
        return Err(AppError::BadRequest(
            "Publishing actions are taken from the story editor, which sends the story's text \
             with them. Open the editor again and use its buttons."
                .into(),
        ));
    };
    let draft = form.draft();
    let action = form.action.as_str();
    let outcome = async {
        let transition = transition(&state, action, &form)?;
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
            admin.actor(),
            id,
            version,
            changes,
            meta,
            transition,
            options,
        )
        .await
    }
    .await;
    let verb = match action {
        "submit" => "submitted",
        "publish" | "schedule" => "published",
        "unpublish" => "unpublished",
        "withdraw" => "withdrawn",
        "archive" => "archived",
        "unarchive" => "unarchived",
        _ => "changed",
    };
    let (status, message, errors) = match outcome.map(|done| state.after_commit(done)) {
        Ok((doc, saved)) => {
            // As a save does, when the form's text was saved; an autosave of other text (the
            // form did not carry it) is still offered back.
            if saved {
                autosaves::discard(&state.pool, admin.actor(), id).await?;
            }
            let done = match (action, doc.status) {
                ("schedule", ArticleStatus::Scheduled) => "scheduled",
                ("schedule", _) => "backdated",
                _ => verb,
            };
            let saved = if saved { "&saved=1" } else { "" };
            return Ok(
                Redirect::to(&format!("/admin/stories/{id}?done={done}{saved}")).into_response(),
            );
        }
        Err(AppError::PreconditionFailed(..)) => {
            let message = format!(
                "Not {verb}: someone else saved this story while you were editing. Their \
                 version is shown beside yours; nothing has been lost. Save to replace theirs \
                 with the form's text, then try again."
            );
            return super::conflict(&state, &admin, id, draft, &message, Some(form.publish()))
                .await;
        }
        Err(AppError::Conflict(message)) => (
            StatusCode::CONFLICT,
            format!("Not {verb}: {message}."),
            Vec::new(),
        ),
        Err(AppError::Validation(errors) | AppError::FieldConflict(errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Not {verb}: correct the fields marked below."),
            errors
                .into_iter()
                .map(|e| {
                    // The service names fields as the API does.
                    match (e.field.as_str(), action) {
                        ("at", _) => FieldError::new("publish_at", e.message),
                        ("reason", "withdraw") => FieldError::new("withdraw_reason", e.message),
                        _ => e,
                    }
                })
                .collect(),
        ),
        Err(other) => return Err(other),
    };
    let doc = articles::get(&state.pool, admin.actor(), id).await?;
    let mut page = editor_page(&state, &admin, Some(&doc), draft).await?;
    page.message = Some(message);
    page.errors = errors;
    page.publish = form.publish();
    with_status(&page, status)
}

/// The step a button asks for.
fn transition(state: &AppState, action: &str, form: &EditorForm) -> Result<Transition, AppError> {
    Ok(match action {
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
    })
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

//! The editor's publishing buttons: each is part of the editor form, so it sends the form's text
//! with its step (submit, send back with a note, publish, schedule or backdate, unpublish,
//! withdraw, archive, unarchive, unpublish or archive later and cancel that). The text is saved
//! first when it changed, in the same transaction (`service::articles::save_and_transition`); a
//! form loaded before someone else's save gets the conflict screen and nothing is published.

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
use crate::service::articles::{self, Later, Step, TransitionOptions};
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
        let step = step(&state, action, &form)?;
        let archiving = matches!(action, "archive" | "archive_later");
        let options = TransitionOptions {
            reason: match action {
                "withdraw" => text(&form.withdraw_reason),
                _ if archiving => text(&form.reason),
                _ => None,
            },
            superseded_by: if archiving {
                resolve_story(&state, &form.superseded_by).await?
            } else {
                None
            },
            // Kept as typed, lines and all (the service trims it).
            note: (action == "send_back").then(|| form.send_back_note.clone()),
        };
        let (changes, meta) = (draft.changes()?, draft.meta()?);
        articles::save_and_transition(
            &state.pool,
            admin.actor(),
            id,
            version,
            changes,
            meta,
            step,
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
        "send_back" => "sent back",
        "unpublish_later" | "archive_later" => "scheduled",
        "cancel_unpublish" | "cancel_archive" => "canceled",
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
                ("send_back", _) => "sent_back",
                ("unpublish_later", _) => "unpublish_scheduled",
                ("archive_later", _) => "archive_scheduled",
                ("cancel_unpublish", _) => "unpublish_canceled",
                ("cancel_archive", _) => "archive_canceled",
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
                        ("at", "unpublish_later" | "archive_later") => {
                            FieldError::new("later_at", e.message)
                        }
                        ("at", _) => FieldError::new("publish_at", e.message),
                        ("note", _) => FieldError::new("send_back_note", e.message),
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
fn step(state: &AppState, action: &str, form: &EditorForm) -> Result<Step, AppError> {
    let moment = |raw: &str, field: &str, what: &str| {
        dates::parse_local_input(raw, &state.config.timezone)
            .ok_or_else(|| AppError::field(field, format!("must be a date and time {what}")))
    };
    Ok(Step::Now(match action {
        "submit" => Transition::Submit,
        "publish" => Transition::Publish { at: None },
        "schedule" => Transition::Publish {
            at: Some(moment(&form.publish_at, "publish_at", "to publish at")?),
        },
        "unpublish" | "send_back" => Transition::Unpublish,
        "withdraw" => Transition::Withdraw,
        "archive" => Transition::Archive,
        "unarchive" => Transition::Unarchive,
        "unpublish_later" => {
            let at = moment(&form.later_at, "later_at", "to unpublish at")?;
            return Ok(Step::Later(Later::Unpublish, at));
        }
        "archive_later" => {
            let at = moment(&form.later_at, "later_at", "to archive at")?;
            return Ok(Step::Later(Later::Archive, at));
        }
        "cancel_unpublish" => return Ok(Step::Cancel(Later::Unpublish)),
        "cancel_archive" => return Ok(Step::Cancel(Later::Archive)),
        _ => return Err(AppError::BadRequest("Unknown action.".into())),
    }))
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

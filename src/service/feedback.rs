//! Reader feedback through one service, whichever door it comes through: a reader's entry from
//! the widget (checked, judged for spam, written in batches with the others arriving at the same
//! time), and the editors' triage from the inbox or the API (a status, the reader's email
//! deleted), each change with an audit entry of its own.

use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::feedback::{Feedback, InsertOutcome, NewFeedback};
use crate::domain::article::Article;
use crate::domain::article::Visibility;
use crate::domain::feedback::{self as rules, FeedbackStatus, RawFeedback};
use crate::domain::policy::{Action, Actor};
use crate::error::{AppError, FieldError};
use crate::signals::keys::FeedbackKeys;
use crate::signals::writer::FeedbackWriter;

/// What taking a reader's entry needs of the instance.
pub struct Intake<'a> {
    pub pool: &'a PgPool,
    pub keys: &'a FeedbackKeys,
    pub writer: &'a FeedbackWriter,
}

/// A reader's entry as it arrived.
#[derive(Debug, Clone)]
pub struct Entry {
    pub raw: RawFeedback,
    /// The widget's signed form token, when the widget sent it.
    pub token: Option<String>,
    /// The revision of the story the reader saw.
    pub revision: Option<i64>,
    /// The client's address (never stored: only a keyed hash of it).
    pub client_address: String,
    pub user_agent: String,
}

/// What became of an entry.
#[derive(Debug)]
pub enum Submitted {
    /// Stored (as `spam` when judged so, answered alike), at the story's current slug.
    Stored { id: Uuid, slug: String },
    /// The reader's input breaks a rule: the story, to show the form again, and why.
    Invalid {
        article: Box<Article>,
        errors: Vec<FieldError>,
    },
}

/// Takes a reader's entry for the story at `slug`; an entry sent to a story's previous slug (a
/// page loaded before it was renamed) goes to the story. A story readers cannot see takes
/// none (`404`, or `410` when withdrawn); a client over its limits gets `429`.
pub async fn submit(intake: &Intake<'_>, slug: &str, entry: &Entry) -> Result<Submitted, AppError> {
    let valid = match rules::validate(&entry.raw) {
        Ok(valid) => valid,
        Err(errors) => {
            // Only on this path is the story loaded up front: an unknown story is still a 404.
            let Some(article) = db::articles::find_by_slug(intake.pool, slug).await? else {
                return match renamed(intake.pool, slug).await? {
                    Some(current) => Box::pin(submit(intake, &current, entry)).await,
                    None => Err(AppError::NotFound),
                };
            };
            match article.status.public_visibility() {
                Visibility::Visible => {}
                Visibility::Gone => return Err(AppError::Gone),
                Visibility::Hidden => return Err(AppError::NotFound),
            }
            let errors = errors
                .into_iter()
                .map(|(f, m)| FieldError::new(f, m))
                .collect();
            return Ok(Submitted::Invalid {
                article: Box::new(article),
                errors,
            });
        }
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let spam_reason = if valid.honeypot {
        Some("honeypot filled")
    } else {
        match entry.token.as_deref().filter(|t| !t.is_empty()) {
            // Clients of the JSON contract may send no token; spam checks then rest on the
            // honeypot, duplicates and rate limits.
            None => None,
            Some(token) => {
                let key = intake.keys.form_key(intake.pool).await?;
                rules::check_form_token(key, slug, token, now).spam_reason()
            }
        }
    };
    let day_key = intake.keys.day_key(intake.pool).await?;
    let outcome = intake
        .writer
        .submit(
            intake.pool,
            NewFeedback {
                slug: slug.to_owned(),
                revision_number: entry.revision.and_then(|r| i32::try_from(r).ok()),
                helpful: valid.helpful,
                comment: valid.comment.clone(),
                email: valid.email.clone(),
                client_hash: rules::client_hash(&day_key, &entry.client_address).to_vec(),
                user_agent_family: rules::browser_family(&entry.user_agent).to_owned(),
                spam_reason: spam_reason.map(str::to_owned),
            },
        )
        .await?;
    match outcome {
        InsertOutcome::Stored(id) => Ok(Submitted::Stored {
            id,
            slug: slug.to_owned(),
        }),
        InsertOutcome::NotPublic(Some(status)) if status == "withdrawn" => Err(AppError::Gone),
        InsertOutcome::NotPublic(Some(_)) => Err(AppError::NotFound),
        InsertOutcome::NotPublic(None) => match renamed(intake.pool, slug).await? {
            Some(current) => Box::pin(submit(intake, &current, entry)).await,
            None => Err(AppError::NotFound),
        },
        InsertOutcome::RateLimited(retry_after_secs) => Err(AppError::TooManyRequests {
            retry_after_secs: retry_after_secs.unsigned_abs(),
        }),
    }
}

/// The current slug of a story readers knew at `slug`, when it moved.
async fn renamed(pool: &PgPool, slug: &str) -> Result<Option<String>, AppError> {
    Ok(db::slug_history::current_slug_for_previous(pool, slug)
        .await?
        .filter(|current| current != slug))
}

/// An editor's decision on one entry: a status, and/or deleting the reader's email.
#[derive(Debug, Clone, Copy, Default)]
pub struct Triage {
    pub status: Option<FeedbackStatus>,
    pub delete_email: bool,
}

/// Applies a triage decision to one entry, with an audit entry for each change it makes.
pub async fn triage(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    decision: Triage,
) -> Result<Feedback, AppError> {
    super::require(actor, Action::TriageFeedback)?;
    let mut tx = pool.begin().await?;
    let mut entry = None;
    if let Some(status) = decision.status {
        entry = Some(
            db::feedback::set_status(&mut *tx, id, status)
                .await?
                .ok_or(AppError::NotFound)?,
        );
        db::audit::record(
            &mut *tx,
            Some(actor.id),
            "feedback.status",
            "feedback",
            Some(id),
            serde_json::json!({ "status": status }),
        )
        .await?;
    }
    if decision.delete_email {
        entry = Some(
            db::feedback::clear_email(&mut *tx, id)
                .await?
                .ok_or(AppError::NotFound)?,
        );
        db::audit::record(
            &mut *tx,
            Some(actor.id),
            "feedback.email_delete",
            "feedback",
            Some(id),
            serde_json::json!({}),
        )
        .await?;
    }
    let entry =
        entry.ok_or_else(|| AppError::field("status", "is required (or send \"email\": null)"))?;
    tx.commit().await?;
    Ok(entry)
}

/// Marks many entries at once (the inbox's bulk triage); returns how many changed. Each
/// changed entry gets its audit entry, as a change through the API would.
pub async fn triage_many(
    pool: &PgPool,
    actor: Actor,
    ids: &[Uuid],
    status: FeedbackStatus,
) -> Result<usize, AppError> {
    super::require(actor, Action::TriageFeedback)?;
    if ids.len() > MAX_AT_ONCE {
        return Err(AppError::BadRequest(format!(
            "Mark at most {MAX_AT_ONCE} entries at once."
        )));
    }
    let mut tx = pool.begin().await?;
    let changed = db::feedback::set_status_many(&mut *tx, ids, status).await?;
    db::audit::record_each(
        &mut *tx,
        Some(actor.id),
        "feedback.status",
        "feedback",
        &changed,
        serde_json::json!({ "status": status }),
    )
    .await?;
    tx.commit().await?;
    Ok(changed.len())
}

/// The most entries one bulk triage may mark.
pub const MAX_AT_ONCE: usize = 500;

/// The longest private note on an entry, in characters.
pub const NOTE_MAX_CHARS: usize = 2000;

/// Sets the editors' private note on an entry (empty deletes it), with an audit entry when it
/// changes; the audit entry says how long the note is, not what it says. `true` when it changed.
pub async fn set_note(pool: &PgPool, actor: Actor, id: Uuid, note: &str) -> Result<bool, AppError> {
    super::require(actor, Action::TriageFeedback)?;
    let note = crate::domain::text::clean_block(note);
    let note = note.trim();
    let chars = note.chars().count();
    if chars > NOTE_MAX_CHARS {
        return Err(AppError::field(
            "note",
            format!("is {chars} characters long; keep it to {NOTE_MAX_CHARS}"),
        ));
    }
    let mut tx = pool.begin().await?;
    let outcome = db::feedback::set_note(&mut tx, id, note, actor.id).await?;
    let changed = match outcome {
        db::feedback::NoteOutcome::NoSuchEntry => return Err(AppError::NotFound),
        db::feedback::NoteOutcome::Same => false,
        db::feedback::NoteOutcome::Changed => {
            db::audit::record(
                &mut *tx,
                Some(actor.id),
                "feedback.note",
                "feedback",
                Some(id),
                serde_json::json!({ "chars": chars }),
            )
            .await?;
            true
        }
    };
    tx.commit().await?;
    Ok(changed)
}

//! Steps of a published story scheduled for later: "unpublish on …" and "archive on …". Each is
//! a job in `scheduled_jobs`, run by the same exactly-once scheduler as scheduled publication
//! (`super::run_due_job`); scheduling and canceling are revisions, as is the run.

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use super::doc::{ChangeMeta, TransitionOptions};
use super::lifecycle::archive_options;
use super::write::{Before, lock_for, now, record_change, save};
use crate::db;
use crate::domain::article::{Article, ArticleStatus, ChangeKind};
use crate::domain::dates;
use crate::domain::events::{ChangeEvent, Committed};
use crate::domain::policy::{Action, Actor};
use crate::error::AppError;

/// A step that can be scheduled for a published story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Later {
    Unpublish,
    Archive,
}

impl Later {
    /// The job's `action`.
    pub fn action(self) -> &'static str {
        match self {
            Self::Unpublish => "unpublish",
            Self::Archive => "archive",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "unpublish" => Some(Self::Unpublish),
            "archive" => Some(Self::Archive),
            _ => None,
        }
    }

    fn permission(self) -> Action {
        match self {
            Self::Unpublish => Action::UnpublishArticle,
            Self::Archive => Action::ArchiveArticle,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Self::Unpublish => "unpublishing",
            Self::Archive => "archiving",
        }
    }
}

/// What may be scheduled for a story as it is: only a published story can be unpublished or
/// archived later (and archived only once).
pub fn legal(doc: &Article, later: Later) -> bool {
    doc.status == ArticleStatus::Published && (later == Later::Unpublish || !doc.archived)
}

/// Schedules `later` for the published story `id` at the future moment `at` (replacing one of
/// the same kind already scheduled), inside `tx`.
pub(super) async fn schedule_in(
    tx: &mut sqlx::PgConnection,
    actor: Actor,
    id: Uuid,
    later: Later,
    at: OffsetDateTime,
    options: TransitionOptions,
    if_match: Option<i32>,
) -> Result<(Article, ChangeEvent), AppError> {
    if !dates::moment_in_range(at) {
        return Err(AppError::field("at", dates::out_of_range_message()));
    }
    if at <= now() {
        return Err(AppError::field("at", "must be in the future"));
    }
    let mut article = lock_for(tx, Some(actor), later.permission(), id, if_match).await?;
    if !legal(&article, later) {
        return Err(AppError::Conflict(format!(
            "cannot schedule the {} of a story that is {}{}; only a published story{} can be",
            later.noun(),
            article.status,
            if article.archived {
                " and archived"
            } else {
                ""
            },
            if later == Later::Archive {
                " not yet archived"
            } else {
                ""
            },
        )));
    }
    if options.note.is_some() {
        // The story's state, not the note, is what does not fit: a `409` naming the field.
        return Err(AppError::FieldConflict(vec![
            crate::error::FieldError::new(
                "note",
                "is only for sending a story in review back to its author",
            ),
        ]));
    }
    let (reason, newer) = match later {
        Later::Archive => archive_options(tx, &article, &options).await?,
        Later::Unpublish => (None, None),
    };
    db::jobs::schedule_step(
        tx,
        article.id,
        later.action(),
        at,
        Some(actor.id),
        reason.as_deref(),
        newer,
    )
    .await?;
    let note = format!(
        "{} scheduled for {}",
        capitalised(later.noun()),
        dates::rfc3339(at)
    );
    write(
        tx,
        actor,
        &mut article,
        &format!("schedule_{}", later.action()),
        note,
    )
    .await
}

/// Cancels the scheduled `later` of story `id`, inside `tx`; a `409` when none is scheduled.
pub(super) async fn cancel_in(
    tx: &mut sqlx::PgConnection,
    actor: Actor,
    id: Uuid,
    later: Later,
    if_match: Option<i32>,
) -> Result<(Article, ChangeEvent), AppError> {
    let mut article = lock_for(tx, Some(actor), later.permission(), id, if_match).await?;
    if db::jobs::cancel_pending_action(&mut *tx, article.id, later.action()).await? == 0 {
        return Err(AppError::Conflict(format!(
            "no {} of this story is scheduled",
            later.noun()
        )));
    }
    let note = format!("Scheduled {} canceled", later.noun());
    write(
        tx,
        actor,
        &mut article,
        &format!("cancel_{}", later.action()),
        note,
    )
    .await
}

/// The revision of a scheduling change: the story itself is as it was.
async fn write(
    tx: &mut sqlx::PgConnection,
    actor: Actor,
    article: &mut Article,
    action: &str,
    note: String,
) -> Result<(Article, ChangeEvent), AppError> {
    let old_version = article.version;
    save(tx, article, old_version, Some(actor.id)).await?;
    let before = Before::of(article);
    let meta = ChangeMeta {
        kind: ChangeKind::Minor,
        note: Some(note),
    };
    record_change(
        tx,
        Some(actor),
        article.clone(),
        Some(&before),
        action,
        &meta,
    )
    .await
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| format!("{}{}", first.to_uppercase(), chars.as_str()))
        .unwrap_or_default()
}

/// Schedules `later` for a published story at the future moment `at`.
pub async fn schedule(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    later: Later,
    at: OffsetDateTime,
    options: TransitionOptions,
    if_match: Option<i32>,
) -> Result<Committed<Article>, AppError> {
    let mut tx = pool.begin().await?;
    let (doc, event) = schedule_in(&mut tx, actor, id, later, at, options, if_match).await?;
    tx.commit().await?;
    Ok(Committed::new(doc, vec![event]))
}

/// Cancels a scheduled unpublish or archive.
pub async fn cancel(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    later: Later,
    if_match: Option<i32>,
) -> Result<Committed<Article>, AppError> {
    let mut tx = pool.begin().await?;
    let (doc, event) = cancel_in(&mut tx, actor, id, later, if_match).await?;
    tx.commit().await?;
    Ok(Committed::new(doc, vec![event]))
}

/// What is scheduled for a story the actor may see, soonest first.
pub async fn pending(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
) -> Result<Vec<db::jobs::Pending>, AppError> {
    super::get(pool, actor, id).await?;
    Ok(db::jobs::pending(pool, id).await?)
}

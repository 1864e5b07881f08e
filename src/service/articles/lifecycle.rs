//! Lifecycle steps (submit, publish or schedule, unpublish, withdraw, archive, unarchive) and the
//! scheduler's jobs that publish a scheduled story, and unpublish or archive a published one,
//! on time.

use sqlx::PgPool;
use uuid::Uuid;

use super::doc::{ChangeMeta, TransitionOptions};
use super::validate::{check_images, clean_reason};
use super::write::{Before, lock_for, now, record_change, save};
use crate::db;
use crate::domain::article::{Article, ArticleStatus, ChangeKind, limits};
use crate::domain::events::{ChangeEvent, Committed};
use crate::domain::lifecycle::{self, Transition};
use crate::domain::policy::{Action, Actor};
use crate::error::AppError;

/// Applies a lifecycle transition inside `tx`; `actor` is `None` for the scheduler.
pub(super) async fn transition_in(
    tx: &mut sqlx::PgConnection,
    actor: Option<Actor>,
    id: Uuid,
    transition: Transition,
    options: TransitionOptions,
    if_match: Option<i32>,
) -> Result<(Article, ChangeEvent), AppError> {
    let action = match transition {
        Transition::Submit => Action::SubmitArticle,
        Transition::Publish { .. } => Action::PublishArticle,
        Transition::Unpublish => Action::UnpublishArticle,
        Transition::Withdraw => Action::WithdrawArticle,
        Transition::Archive | Transition::Unarchive => Action::ArchiveArticle,
    };
    if let Transition::Publish { at: Some(at) } = transition
        && !crate::domain::dates::moment_in_range(at)
    {
        return Err(AppError::field(
            "at",
            crate::domain::dates::out_of_range_message(),
        ));
    }
    let mut article = lock_for(tx, actor, action, id, if_match).await?;
    let old_version = article.version;
    let sending_back =
        matches!(transition, Transition::Unpublish) && article.status == ArticleStatus::InReview;
    let note = clean_note(options.note.as_deref())?;
    if note.is_some() && !sending_back {
        // The story's state, not the note, is what does not fit: a `409` naming the field.
        return Err(AppError::FieldConflict(vec![
            crate::error::FieldError::new(
                "note",
                "is only for sending a story in review back to its author",
            ),
        ]));
    }
    let at = now();
    let outcome = lifecycle::apply(
        lifecycle::State {
            status: article.status,
            archived: article.archived,
        },
        transition,
        at,
        article.published_at,
    )
    .map_err(|err| AppError::Conflict(err.to_string()))?;

    if matches!(transition, Transition::Publish { .. }) {
        check_images(tx, &article).await?;
    }
    match transition {
        Transition::Archive => {
            let (reason, newer) = archive_options(tx, &article, &options).await?;
            article.archived_at = Some(at);
            article.archive_reason = reason;
            article.superseded_by = newer;
            // Archived now: an archive scheduled for later has nothing left to do.
            db::jobs::cancel_pending_action(&mut *tx, article.id, "archive").await?;
        }
        Transition::Unarchive => {
            article.archived_at = None;
            article.archive_reason = None;
            article.superseded_by = None;
        }
        Transition::Publish { .. } if outcome.status == ArticleStatus::Scheduled => {
            let run_at = outcome.published_at.unwrap_or(at);
            db::jobs::schedule_publish(tx, article.id, run_at, actor.map(|a| a.id)).await?;
        }
        Transition::Publish { .. } | Transition::Unpublish => {
            db::jobs::cancel_pending(&mut *tx, article.id).await?;
        }
        Transition::Withdraw => {
            // A withdrawn story is off the site: a later unpublish or archive would undo or
            // contradict that.
            db::jobs::cancel_pending(&mut *tx, article.id).await?;
            article.withdrawn_at = Some(at);
            article.withdraw_reason = clean_reason(options.reason, "reason")?;
        }
        Transition::Submit => {}
    }
    if matches!(
        transition,
        Transition::Unpublish | Transition::Publish { .. }
    ) {
        article.withdrawn_at = None;
        article.withdraw_reason = None;
    }
    if matches!(transition, Transition::Unpublish) && article.archived {
        article.archived_at = None;
        article.archive_reason = None;
        article.superseded_by = None;
    }
    let was = article.status;
    // The review queue: a submission opens a request; leaving review closes it with the
    // editor's decision.
    let by = actor.map(|a| a.id);
    match (transition, was, outcome.status) {
        (Transition::Submit, _, _) => db::review_requests::open(&mut *tx, article.id, by).await?,
        (_, ArticleStatus::InReview, ArticleStatus::Published | ArticleStatus::Scheduled) => {
            let decision = if outcome.status == ArticleStatus::Scheduled {
                "scheduled"
            } else {
                "published"
            };
            db::review_requests::decide(&mut *tx, article.id, decision, by, None).await?;
        }
        (Transition::Unpublish, ArticleStatus::InReview, _) => {
            db::review_requests::decide(&mut *tx, article.id, "sent_back", by, note.as_deref())
                .await?;
        }
        _ => {}
    }
    let never_published = article.status != ArticleStatus::Published
        && !db::revisions::was_ever_published(&mut *tx, article.id).await?;
    article.status = outcome.status;
    article.archived = outcome.archived;
    // `updated_at` stays: only an `update` or a `correction` moves it (pages show the later
    // of it and the dateline, `Article::last_updated`).
    if let Some(published_at) = outcome.published_at {
        article.published_at = Some(published_at);
    }
    if matches!(transition, Transition::Unpublish)
        && was == ArticleStatus::Scheduled
        && never_published
    {
        // A scheduled moment that never came is not a dateline.
        article.published_at = None;
    }
    save(tx, &mut article, old_version, by).await?;
    let before = Before::of(&article);
    // Lifecycle steps are minor changes; the note (not shown to readers) says which step it was.
    let meta = ChangeMeta {
        kind: ChangeKind::Minor,
        note: Some(match (transition, outcome.status) {
            (Transition::Publish { .. }, ArticleStatus::Scheduled) => "Scheduled".to_owned(),
            (Transition::Publish { .. }, _) => "Published".to_owned(),
            (Transition::Submit, _) => "Submitted for review".to_owned(),
            (Transition::Unpublish, _) if sending_back => "Sent back to draft".to_owned(),
            (Transition::Unpublish, _) => "Unpublished".to_owned(),
            (Transition::Withdraw, _) => "Withdrawn".to_owned(),
            (Transition::Archive, _) => "Archived".to_owned(),
            (Transition::Unarchive, _) => "Unarchived".to_owned(),
        }),
    };
    record_change(tx, actor, article, Some(&before), transition.name(), &meta).await
}

/// An archive's reason and newer story, checked: the newer story must be another, published
/// one, since the banner links to it.
pub(super) async fn archive_options(
    tx: &mut sqlx::PgConnection,
    article: &Article,
    options: &TransitionOptions,
) -> Result<(Option<String>, Option<Uuid>), AppError> {
    let reason = clean_reason(options.reason.clone(), "reason")?;
    if let Some(newer) = options.superseded_by {
        if newer == article.id {
            return Err(AppError::field("superseded_by", "must be another story"));
        }
        match db::articles::find_by_id(&mut *tx, newer).await? {
            None => return Err(AppError::field("superseded_by", "is not a known story")),
            // The banner links to it, so readers must be able to open it.
            Some(story) if story.status != ArticleStatus::Published => {
                return Err(AppError::field(
                    "superseded_by",
                    "must be a published story",
                ));
            }
            Some(_) => {}
        }
    }
    Ok((reason, options.superseded_by))
}

/// The note sent with a story back to its author: trimmed, at most
/// `limits::CHANGE_NOTE_CHARS` characters, `None` when empty.
fn clean_note(note: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(note) = note else {
        return Ok(None);
    };
    if note.chars().count() > limits::CHANGE_NOTE_CHARS {
        return Err(AppError::field(
            "note",
            format!("must be at most {} characters", limits::CHANGE_NOTE_CHARS),
        ));
    }
    let note = crate::domain::text::clean_block(note).trim().to_owned();
    Ok((!note.is_empty()).then_some(note))
}

/// Submits, publishes (now or at a future moment), unpublishes, withdraws, archives or
/// unarchives a story. An illegal transition is a `409`.
pub async fn transition(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    transition: Transition,
    options: TransitionOptions,
    if_match: Option<i32>,
) -> Result<Committed<Article>, AppError> {
    let mut tx = pool.begin().await?;
    let (doc, event) =
        transition_in(&mut tx, Some(actor), id, transition, options, if_match).await?;
    tx.commit().await?;
    Ok(Committed::new(doc, vec![event]))
}

/// Runs one due scheduled job, if any; returns whether one ran. Safe with several instances:
/// the job row stays locked (`FOR UPDATE SKIP LOCKED`) until its transaction commits.
pub async fn run_due_job(pool: &PgPool) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    let Some(job) = db::jobs::claim_due(&mut tx).await? else {
        return Ok(false);
    };
    // An editor holding the story (and about to change its jobs) goes first: skip it this tick
    // rather than wait, which could deadlock against the editor's transaction.
    let article = match db::articles::try_lock(&mut tx, job.article_id).await? {
        db::articles::TryLock::Busy => {
            tx.rollback().await?;
            return Ok(false);
        }
        db::articles::TryLock::Locked(article) => article.map(|a| *a),
    };
    let outcome = match article {
        Some(article)
            if article.status == ArticleStatus::Published
                && (job.action == "unpublish"
                    || (job.action == "archive" && !article.archived)) =>
        {
            let (transition, options) = if job.action == "archive" {
                let options = TransitionOptions {
                    reason: job.reason.clone(),
                    superseded_by: job.superseded_by,
                    ..TransitionOptions::default()
                };
                (Transition::Archive, options)
            } else {
                (Transition::Unpublish, TransitionOptions::default())
            };
            transition_in(&mut tx, None, article.id, transition, options, None)
                .await
                .map(|_| ())
        }
        Some(article) if article.status == ArticleStatus::Scheduled && job.action == "publish" => {
            let at = article.published_at.filter(|at| *at <= now());
            transition_in(
                &mut tx,
                None,
                article.id,
                Transition::Publish { at },
                TransitionOptions::default(),
                None,
            )
            .await
            // Every instance hears of it from the commit's announcement.
            .map(|_| ())
        }
        _ => Ok(()),
    };
    match outcome {
        Ok(()) => {
            db::jobs::mark_done(&mut *tx, job.id, None).await?;
            tx.commit().await?;
        }
        Err(err) => {
            // Record the failure so the job is not retried in a tight loop.
            tx.rollback().await?;
            tracing::error!(job = %job.id, error = %err, "scheduled job failed");
            db::jobs::mark_done(pool, job.id, Some(&err.to_string())).await?;
        }
    }
    Ok(true)
}

/// Archives a published story as the system does for the archive policy: a revision with no
/// user, `reason` on its banner. Skips (with a `409`) a story that is no longer published or is
/// already archived.
pub async fn archive_as_system(
    pool: &PgPool,
    id: Uuid,
    reason: &str,
) -> Result<Committed<Article>, AppError> {
    let mut tx = pool.begin().await?;
    let (doc, event) = transition_in(
        &mut tx,
        None,
        id,
        Transition::Archive,
        TransitionOptions {
            reason: Some(reason.to_owned()),
            ..TransitionOptions::default()
        },
        None,
    )
    .await?;
    db::audit::record(
        &mut *tx,
        None,
        "archive_policy.archive",
        "article",
        Some(id),
        serde_json::json!({ "reason": reason }),
    )
    .await?;
    tx.commit().await?;
    Ok(Committed::new(doc, vec![event]))
}

//! The archive policy (CONTRACT §11): editors and admins set it; when it is enabled the server
//! applies it once a day (once across instances), archiving each story it names as a revision
//! by the system with the policy's reason.

use sqlx::PgPool;

use crate::db;
use crate::db::archive_policy::{ArchivePolicy, Candidate, PolicySettings};
use crate::domain::events::Committed;
use crate::domain::policy::{Action, Actor};
use crate::error::{AppError, FieldError};

/// The longest `older_than_days` (a hundred years).
pub const MAX_DAYS: i32 = 36_500;
/// The longest reason, in characters (it is shown on each archived story's banner).
pub const REASON_CHARS: usize = 300;
/// At most this many topics.
pub const MAX_TOPICS: usize = 100;

pub async fn get(pool: &PgPool) -> Result<ArchivePolicy, AppError> {
    Ok(db::archive_policy::get(pool).await?)
}

/// Checks new settings: the days in range, a reason that says something, topics that exist.
async fn check(pool: &PgPool, settings: &mut PolicySettings) -> Result<(), AppError> {
    let mut errors = Vec::new();
    if !(1..=MAX_DAYS).contains(&settings.older_than_days) {
        errors.push(FieldError::new(
            "older_than_days",
            format!("must be a whole number of days from 1 to {MAX_DAYS}"),
        ));
    }
    settings.reason = crate::domain::text::clean_line(&settings.reason)
        .trim()
        .to_owned();
    if !crate::domain::text::has_visible(&settings.reason) {
        errors.push(FieldError::new(
            "reason",
            "must say why (it is shown on each archived story)",
        ));
    } else if settings.reason.chars().count() > REASON_CHARS {
        errors.push(FieldError::new(
            "reason",
            format!("must be at most {REASON_CHARS} characters"),
        ));
    }
    let mut topics: Vec<String> = Vec::new();
    for topic in &settings.topics {
        if !topics.contains(topic) {
            topics.push(topic.clone());
        }
    }
    if topics.len() > MAX_TOPICS {
        errors.push(FieldError::new(
            "topics",
            format!("must list at most {MAX_TOPICS} topics"),
        ));
    } else {
        // A slug is matched as sent: "" or " sleep" is no topic's slug.
        let unknown = db::topics::unknown_slugs(pool, &topics).await?;
        if !unknown.is_empty() {
            errors.push(FieldError::new(
                "topics",
                format!("unknown topic: {}", unknown.join(", ")),
            ));
        }
    }
    settings.topics = topics;
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// Replaces the policy's settings (editors and admins), guarded by its version when `if_match`
/// is given; audited. Settings equal to the current ones change nothing.
pub async fn update(
    pool: &PgPool,
    actor: Actor,
    mut settings: PolicySettings,
    if_match: Option<i32>,
) -> Result<Committed<ArchivePolicy>, AppError> {
    super::require(actor, Action::ArchiveArticle)?;
    check(pool, &mut settings).await?;
    let mut tx = pool.begin().await?;
    let current = db::archive_policy::lock(&mut tx).await?;
    if let Some(expected) = if_match
        && expected != current.version
    {
        let body = serde_json::to_value(&current).unwrap_or_default();
        return Err(AppError::PreconditionFailed(
            Box::new(body),
            current.version,
        ));
    }
    let same = PolicySettings {
        enabled: current.enabled,
        older_than_days: current.older_than_days,
        topics: current.topics.clone(),
        reason: current.reason.clone(),
    } == settings;
    if same {
        return Ok(Committed::quiet(current));
    }
    db::archive_policy::update(&mut tx, &settings, actor.id).await?;
    db::audit::record(
        &mut *tx,
        Some(actor.id),
        "archive_policy.update",
        "archive_policy",
        None,
        serde_json::json!({
            "enabled": settings.enabled,
            "older_than_days": settings.older_than_days,
            "topics": settings.topics,
            "reason": settings.reason,
            "from_version": current.version,
        }),
    )
    .await?;
    let saved = db::archive_policy::get(&mut *tx).await?;
    tx.commit().await?;
    Ok(Committed::quiet(saved))
}

/// The stories the policy (enabled or not) would archive now: a page of them, and how many.
pub async fn preview(
    pool: &PgPool,
    limit: i64,
    offset: i64,
) -> Result<(ArchivePolicy, Vec<Candidate>, i64), AppError> {
    let policy = db::archive_policy::get(pool).await?;
    let (items, total) =
        db::archive_policy::candidates(pool, policy.older_than_days, &policy.topics, limit, offset)
            .await?;
    Ok((policy, items, total))
}

/// Applies the policy now, when it is enabled: archives every story it names, each in its own
/// transaction as a revision by the system (no user) with the policy's reason, skipping any
/// that changed meanwhile. Returns the change events (for the caller's cache) and how many
/// stories were archived. The caller makes sure it runs once a day across instances.
pub async fn apply(pool: &PgPool) -> Result<Committed<i32>, AppError> {
    let policy = db::archive_policy::get(pool).await?;
    if !policy.enabled {
        return Ok(Committed::quiet(0));
    }
    let mut events = Vec::new();
    let mut archived = 0i32;
    loop {
        // Batches of 500 from the start: archived stories leave the list.
        let (batch, _) =
            db::archive_policy::candidates(pool, policy.older_than_days, &policy.topics, 500, 0)
                .await?;
        if batch.is_empty() {
            break;
        }
        let mut progressed = false;
        for story in batch {
            match super::articles::archive_as_system(pool, story.id, &policy.reason).await {
                Ok(done) => {
                    archived += 1;
                    progressed = true;
                    events.extend(done.events);
                }
                // Changed or locked meanwhile: it is looked at again tomorrow.
                Err(err) => {
                    tracing::warn!(story = %story.id, error = %err, "archive policy skipped a story");
                }
            }
        }
        if !progressed {
            break;
        }
    }
    db::archive_policy::mark_run(pool, archived).await?;
    db::audit::record(
        pool,
        None,
        "archive_policy.run",
        "archive_policy",
        None,
        serde_json::json!({ "archived": archived, "reason": policy.reason }),
    )
    .await?;
    Ok(Committed::new(archived, events))
}

//! The `scheduled_jobs` table: publications, unpublishings and archivings due at a given
//! moment.

use sqlx::PgExecutor;
use time::OffsetDateTime;
use uuid::Uuid;

/// A job claimed for running.
#[derive(Debug, Clone)]
pub struct DueJob {
    pub id: Uuid,
    pub article_id: Uuid,
    pub action: String,
    /// An archive's reason and newer story.
    pub reason: Option<String>,
    pub superseded_by: Option<Uuid>,
}

/// Schedules the publication of an article, replacing any pending one.
pub async fn schedule_publish(
    db: &mut sqlx::PgConnection,
    article_id: Uuid,
    run_at: OffsetDateTime,
    created_by: Option<Uuid>,
) -> sqlx::Result<()> {
    cancel_pending(&mut *db, article_id).await?;
    sqlx::query!(
        r#"INSERT INTO scheduled_jobs (id, article_id, action, run_at, created_by)
           VALUES ($1, $2, 'publish', $3, $4)"#,
        Uuid::now_v7(),
        article_id,
        run_at,
        created_by
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Schedules a later step of a published story (`unpublish` or `archive`, with the archive's
/// reason and newer story), replacing a pending one of the same kind.
#[allow(clippy::too_many_arguments)]
pub async fn schedule_step(
    db: &mut sqlx::PgConnection,
    article_id: Uuid,
    action: &str,
    run_at: OffsetDateTime,
    created_by: Option<Uuid>,
    reason: Option<&str>,
    superseded_by: Option<Uuid>,
) -> sqlx::Result<()> {
    cancel_pending_action(&mut *db, article_id, action).await?;
    sqlx::query!(
        r#"INSERT INTO scheduled_jobs (id, article_id, action, run_at, created_by, reason, superseded_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7)"#,
        Uuid::now_v7(),
        article_id,
        action,
        run_at,
        created_by,
        reason,
        superseded_by
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Cancels an article's pending jobs of one kind; answers how many there were.
pub async fn cancel_pending_action(
    db: impl PgExecutor<'_>,
    article_id: Uuid,
    action: &str,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "UPDATE scheduled_jobs SET canceled_at = now()
         WHERE article_id = $1 AND action = $2 AND done_at IS NULL AND canceled_at IS NULL",
        article_id,
        action
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// A pending job of one story, as the editor and the API list it.
#[derive(Debug, Clone)]
pub struct Pending {
    pub action: String,
    pub run_at: OffsetDateTime,
    pub reason: Option<String>,
    pub superseded_by: Option<Uuid>,
}

/// A story's pending jobs, soonest first.
pub async fn pending(db: impl PgExecutor<'_>, article_id: Uuid) -> sqlx::Result<Vec<Pending>> {
    sqlx::query_as!(
        Pending,
        r#"SELECT action, run_at, reason, superseded_by FROM scheduled_jobs
           WHERE article_id = $1 AND done_at IS NULL AND canceled_at IS NULL
           ORDER BY run_at, id"#,
        article_id
    )
    .fetch_all(db)
    .await
}

/// Cancels an article's pending jobs.
pub async fn cancel_pending(db: impl PgExecutor<'_>, article_id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE scheduled_jobs SET canceled_at = now()
         WHERE article_id = $1 AND done_at IS NULL AND canceled_at IS NULL",
        article_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Claims the oldest due job, skipping jobs another instance holds. The claim lasts as long as
/// the caller's transaction.
pub async fn claim_due(db: &mut sqlx::PgConnection) -> sqlx::Result<Option<DueJob>> {
    sqlx::query_as!(
        DueJob,
        r#"
        SELECT id, article_id, action, reason, superseded_by FROM scheduled_jobs
        WHERE done_at IS NULL AND canceled_at IS NULL AND run_at <= now()
        ORDER BY run_at
        LIMIT 1
        FOR UPDATE SKIP LOCKED
        "#
    )
    .fetch_optional(db)
    .await
}

/// Records that a job ran (with its error, if it failed). A job that ran is done, not
/// canceled: the step it took cancels the story's pending jobs, its own row among them.
pub async fn mark_done(db: impl PgExecutor<'_>, id: Uuid, error: Option<&str>) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE scheduled_jobs SET done_at = now(), canceled_at = NULL, attempts = attempts + 1,
         last_error = $2 WHERE id = $1",
        id,
        error
    )
    .execute(db)
    .await?;
    Ok(())
}

//! The webhook tables: subscriptions (`webhooks`), the outbox (`webhook_events`, one row per
//! event, and `webhook_deliveries`, one per event and subscribed webhook, both written in the
//! transaction of the change) and the delivery log (`webhook_attempts`).

use sqlx::{PgExecutor, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

/// A subscription, as the API and the admin pages show it (never its secret).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    #[serde(with = "crate::domain::dates::serde_rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Adds a subscription.
pub async fn insert(
    db: impl PgExecutor<'_>,
    url: &str,
    events: &[String],
    secret: &str,
    created_by: Option<Uuid>,
) -> sqlx::Result<Webhook> {
    sqlx::query_as!(
        Webhook,
        r#"INSERT INTO webhooks (id, url, events, secret, created_by)
           VALUES ($1, $2, $3, $4, $5)
           RETURNING id, url, events, created_at"#,
        Uuid::now_v7(),
        url,
        events,
        secret,
        created_by
    )
    .fetch_one(db)
    .await
}

/// Every active subscription, oldest first.
pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Webhook>> {
    sqlx::query_as!(
        Webhook,
        r#"SELECT id, url, events, created_at FROM webhooks
           WHERE deleted_at IS NULL ORDER BY created_at, id"#
    )
    .fetch_all(db)
    .await
}

/// An active subscription.
pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Webhook>> {
    sqlx::query_as!(
        Webhook,
        r#"SELECT id, url, events, created_at FROM webhooks
           WHERE id = $1 AND deleted_at IS NULL"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// Deletes a subscription (softly): its pending deliveries are given up. `false` when there
/// was none.
pub async fn delete(db: &mut sqlx::PgConnection, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE webhooks SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL",
        id
    )
    .execute(&mut *db)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query!(
        r#"UPDATE webhook_deliveries SET state = 'gave_up', finished_at = now()
           WHERE webhook_id = $1 AND state = 'pending'"#,
        id
    )
    .execute(&mut *db)
    .await?;
    Ok(true)
}

/// Writes an event into the outbox, with a delivery for every active webhook subscribed to
/// its type (or only for `only`, the test event's webhook), inside the caller's transaction.
/// Returns the event's id and how many deliveries were queued.
pub async fn queue(
    db: &mut sqlx::PgConnection,
    event_type: &str,
    story_id: Option<Uuid>,
    data: &serde_json::Value,
    only: Option<Uuid>,
) -> sqlx::Result<(Uuid, u64)> {
    let event_id = Uuid::now_v7();
    // Nothing subscribed: no event row either (the common case, one cheap query).
    let queued = sqlx::query!(
        r#"WITH targets AS (
               SELECT id FROM webhooks
               WHERE deleted_at IS NULL
                 AND (($4::uuid IS NULL AND $2 = ANY(events)) OR id = $4)
           ),
           event AS (
               INSERT INTO webhook_events (id, type, story_id, data)
               SELECT $1, $2, $3, $5 WHERE EXISTS (SELECT 1 FROM targets)
               RETURNING id
           )
           INSERT INTO webhook_deliveries (id, webhook_id, event_id, story_id)
           SELECT gen_random_uuid(), t.id, e.id, $3 FROM targets t CROSS JOIN event e
           ORDER BY t.id"#,
        event_id,
        event_type,
        story_id,
        only,
        data
    )
    .execute(db)
    .await?;
    Ok((event_id, queued.rows_affected()))
}

/// Writes a `feedback.created` event, with its deliveries, for each of the entries `ids` that
/// were stored as new (not spam), inside the caller's transaction.
pub async fn queue_feedback(db: &mut sqlx::PgConnection, ids: &[Uuid]) -> sqlx::Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let queued = sqlx::query!(
        r#"WITH targets AS (
               SELECT id FROM webhooks
               WHERE deleted_at IS NULL AND 'feedback.created' = ANY(events)
           ),
           event AS (
               INSERT INTO webhook_events (id, type, story_id, data)
               SELECT gen_random_uuid(), 'feedback.created', NULL,
                      jsonb_build_object(
                          'id', f.id, 'story_id', f.article_id, 'story_slug', a.slug,
                          'headline', a.title, 'path', '/research-news/' || a.slug,
                          'helpful', f.helpful, 'comment', f.comment,
                          'revision', f.revision_number, 'created_at', f.created_at)
               FROM feedback f JOIN articles a ON a.id = f.article_id
               WHERE f.id = ANY($1) AND f.status = 'new' AND EXISTS (SELECT 1 FROM targets)
               ORDER BY f.id
               RETURNING id
           )
           INSERT INTO webhook_deliveries (id, webhook_id, event_id, story_id)
           SELECT gen_random_uuid(), t.id, e.id, NULL FROM targets t CROSS JOIN event e
           ORDER BY e.id, t.id"#,
        ids
    )
    .execute(db)
    .await?;
    Ok(queued.rows_affected())
}

/// A delivery claimed for one attempt.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub url: String,
    pub secret: String,
    pub event_id: Uuid,
    pub event_type: String,
    pub data: serde_json::Value,
    pub event_created_at: OffsetDateTime,
    /// This attempt's number, from 1.
    pub attempt: i32,
    pub created_at: OffsetDateTime,
}

/// Claims up to `limit` due deliveries for one attempt each, leased for `lease_secs`: rows
/// another instance holds are skipped (`FOR UPDATE SKIP LOCKED`), a lease that ran out (its
/// instance died) may be claimed again, and a delivery waits while an earlier one of the same
/// story to the same webhook is still pending.
pub async fn claim_due(pool: &PgPool, limit: i64, lease_secs: f64) -> sqlx::Result<Vec<Claimed>> {
    sqlx::query_as!(
        Claimed,
        r#"WITH due AS (
               SELECT d.id FROM webhook_deliveries d
               WHERE d.state = 'pending' AND d.next_attempt_at <= now()
                 AND (d.claimed_until IS NULL OR d.claimed_until < now())
                 AND NOT EXISTS (
                     SELECT 1 FROM webhook_deliveries e
                     WHERE e.state = 'pending' AND e.webhook_id = d.webhook_id
                       AND e.story_id = d.story_id AND e.seq < d.seq)
               ORDER BY d.seq
               LIMIT $1
               FOR UPDATE SKIP LOCKED
           ),
           claimed AS (
               UPDATE webhook_deliveries d
               SET claimed_until = now() + make_interval(secs => $2), attempts = d.attempts + 1
               FROM due WHERE d.id = due.id
               RETURNING d.id, d.webhook_id, d.event_id, d.attempts, d.created_at, d.seq
           )
           SELECT c.id AS "id!", c.webhook_id AS "webhook_id!", w.url, w.secret,
                  c.event_id AS "event_id!", e.type AS event_type, e.data,
                  e.created_at AS event_created_at, c.attempts AS "attempt!",
                  c.created_at AS "created_at!"
           FROM claimed c
           JOIN webhooks w ON w.id = c.webhook_id
           JOIN webhook_events e ON e.id = c.event_id
           ORDER BY c.seq"#,
        limit,
        lease_secs
    )
    .fetch_all(pool)
    .await
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub struct AttemptResult<'a> {
    pub status_code: Option<i32>,
    pub error: Option<&'a str>,
    pub duration_ms: i32,
    /// `delivered`, `failed` or `gave_up`.
    pub outcome: &'a str,
    pub next_retry_at: Option<OffsetDateTime>,
}

/// Logs an attempt and moves its delivery on: done, given up, or due again at
/// `next_retry_at` (and no longer claimed). A delivery meanwhile given up (its webhook
/// deleted) stays so.
pub async fn record_attempt(
    pool: &PgPool,
    claimed: &Claimed,
    result: &AttemptResult<'_>,
) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query!(
        r#"INSERT INTO webhook_attempts (id, delivery_id, webhook_id, attempt, status_code, error,
                                         duration_ms, outcome, next_retry_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"#,
        Uuid::now_v7(),
        claimed.id,
        claimed.webhook_id,
        claimed.attempt,
        result.status_code,
        result.error,
        result.duration_ms,
        result.outcome,
        result.next_retry_at
    )
    .execute(&mut *tx)
    .await?;
    let state = match result.outcome {
        "delivered" => "delivered",
        "gave_up" => "gave_up",
        _ => "pending",
    };
    sqlx::query!(
        r#"UPDATE webhook_deliveries
           SET state = $2, claimed_until = NULL,
               next_attempt_at = COALESCE($3, next_attempt_at),
               finished_at = CASE WHEN $2 = 'pending' THEN NULL ELSE now() END
           WHERE id = $1 AND state = 'pending'"#,
        claimed.id,
        state,
        result.next_retry_at
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// One line of a webhook's delivery log: an attempt, or a delivery not yet attempted.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LogEntry {
    pub delivery_id: Uuid,
    /// The event's id: the `webhook-id` header of every attempt.
    pub event_id: Uuid,
    pub event_type: String,
    /// The attempt's number, from 1; 0 for a delivery not attempted yet.
    pub attempt: i32,
    /// `pending` (not attempted yet), `delivered`, `failed` (to be retried) or `gave_up`.
    pub outcome: String,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<i32>,
    /// What went wrong without an answer (time-out, refused address, connection error).
    pub error: Option<String>,
    pub duration_ms: Option<i32>,
    /// When the attempt was made (for one not made yet: when it was queued).
    #[serde(with = "crate::domain::dates::serde_rfc3339")]
    pub at: OffsetDateTime,
    /// When a failed attempt is tried again.
    #[serde(with = "crate::domain::dates::serde_rfc3339::option")]
    pub next_retry_at: Option<OffsetDateTime>,
}

/// A webhook's log, newest first: every attempt, and deliveries waiting for their first.
pub async fn log(
    db: impl PgExecutor<'_>,
    webhook_id: Uuid,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<LogEntry>> {
    sqlx::query_as!(
        LogEntry,
        r#"SELECT delivery_id AS "delivery_id!", event_id AS "event_id!",
                  event_type AS "event_type!", attempt AS "attempt!", outcome AS "outcome!",
                  status_code, error, duration_ms, at AS "at!", next_retry_at
           FROM (
               SELECT a.delivery_id, d.event_id, e.type AS event_type, a.attempt, a.outcome,
                      a.status_code, a.error, a.duration_ms, a.attempted_at AS at,
                      a.next_retry_at, a.id AS sort
               FROM webhook_attempts a
               JOIN webhook_deliveries d ON d.id = a.delivery_id
               JOIN webhook_events e ON e.id = d.event_id
               WHERE a.webhook_id = $1
               UNION ALL
               SELECT d.id, d.event_id, e.type, 0, 'pending', NULL, NULL, NULL, d.created_at,
                      d.next_attempt_at, d.id
               FROM webhook_deliveries d
               JOIN webhook_events e ON e.id = d.event_id
               WHERE d.webhook_id = $1 AND d.state = 'pending'
                 AND NOT EXISTS (SELECT 1 FROM webhook_attempts a WHERE a.delivery_id = d.id)
           ) entries
           ORDER BY at DESC, sort DESC
           LIMIT $2 OFFSET $3"#,
        webhook_id,
        limit,
        offset
    )
    .fetch_all(db)
    .await
}

/// How many lines [`log`] has in all.
pub async fn log_count(db: impl PgExecutor<'_>, webhook_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT (SELECT count(*) FROM webhook_attempts WHERE webhook_id = $1)
                + (SELECT count(*) FROM webhook_deliveries d
                   WHERE d.webhook_id = $1 AND d.state = 'pending'
                     AND NOT EXISTS (SELECT 1 FROM webhook_attempts a WHERE a.delivery_id = d.id))
                AS "count!""#,
        webhook_id
    )
    .fetch_one(db)
    .await
}

//! The `feedback` table: what readers sent, for editors to triage.

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

/// One feedback entry as editors see it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Feedback {
    pub id: Uuid,
    pub article_id: Uuid,
    /// The revision of the story the reader saw.
    pub revision_number: i32,
    pub helpful: Option<bool>,
    pub comment: Option<String>,
    pub email: Option<String>,
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Filters for [`list`].
#[derive(Debug, Clone, Default)]
pub struct FeedbackFilter {
    pub article_id: Option<Uuid>,
    pub status: Option<String>,
}

pub async fn list(
    pool: &PgPool,
    filter: &FeedbackFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Feedback>> {
    sqlx::query_as!(
        Feedback,
        r#"
        SELECT id, article_id, revision_number, helpful, comment, email, status, created_at
        FROM feedback
        WHERE ($1::uuid IS NULL OR article_id = $1) AND ($2::text IS NULL OR status = $2)
        ORDER BY created_at DESC, id DESC
        LIMIT $3 OFFSET $4
        "#,
        filter.article_id,
        filter.status,
        limit,
        offset
    )
    .fetch_all(pool)
    .await
}

pub async fn count(pool: &PgPool, filter: &FeedbackFilter) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM feedback
           WHERE ($1::uuid IS NULL OR article_id = $1) AND ($2::text IS NULL OR status = $2)"#,
        filter.article_id,
        filter.status
    )
    .fetch_one(pool)
    .await
}

/// Sets an entry's status; `None` when there is no such entry.
pub async fn set_status(pool: &PgPool, id: Uuid, status: &str) -> sqlx::Result<Option<Feedback>> {
    sqlx::query_as!(
        Feedback,
        r#"
        UPDATE feedback SET status = $2, updated_at = now() WHERE id = $1
        RETURNING id, article_id, revision_number, helpful, comment, email, status, created_at
        "#,
        id,
        status
    )
    .fetch_optional(pool)
    .await
}

/// A reader's entry to store, after validation and spam checks.
#[derive(Debug, Clone)]
pub struct NewFeedback<'a> {
    /// The story, by its current slug.
    pub slug: &'a str,
    /// The revision the reader saw; the current one when absent or out of range.
    pub revision_number: Option<i32>,
    pub helpful: Option<bool>,
    pub comment: Option<&'a str>,
    pub email: Option<&'a str>,
    pub client_hash: &'a [u8],
    pub user_agent_family: &'a str,
    /// `Some` stores the entry as spam, with the reason.
    pub spam_reason: Option<&'a str>,
}

/// What [`insert_checked`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertOutcome {
    Stored(Uuid),
    /// The same comment from the same client within 10 minutes: the earlier entry.
    Duplicate(Uuid),
    /// Over the per-client limit; retry after this many seconds.
    RateLimited(i64),
    /// No published story has this slug; `Some(status)` when the story exists.
    NotPublic(Option<String>),
}

/// Per-client limits: entries a minute and a day.
pub const PER_MINUTE: i64 = 5;
pub const PER_DAY: i64 = 30;

/// Stores an entry for the published story at `slug` unless the client is over its limits or
/// sent the same comment within ten minutes: one statement, one round trip.
pub async fn insert_checked(pool: &PgPool, new: &NewFeedback<'_>) -> sqlx::Result<InsertOutcome> {
    let row = sqlx::query!(
        r#"
        WITH article AS (
            SELECT id, status, version FROM articles WHERE slug = $2 AND deleted_at IS NULL
        ),
        recent AS (
            SELECT count(*) FILTER (WHERE created_at > now() - interval '1 minute') AS minute,
                   count(*) AS day,
                   min(created_at) FILTER (WHERE created_at > now() - interval '1 minute') AS oldest_minute
            FROM feedback
            WHERE client_hash = $7 AND created_at > now() - interval '1 day'
        ),
        duplicate AS (
            SELECT f.id FROM feedback f JOIN article a ON a.id = f.article_id
            WHERE f.client_hash = $7 AND $5::text IS NOT NULL AND f.comment = $5
              AND f.created_at > now() - interval '10 minutes'
            LIMIT 1
        ),
        inserted AS (
            INSERT INTO feedback (id, article_id, revision_number, helpful, comment, email, status,
                                  client_hash, user_agent_family, spam_reason)
            SELECT $1, a.id,
                   CASE WHEN $3::int BETWEEN 1 AND a.version THEN $3::int ELSE a.version END,
                   $4, $5, $6, CASE WHEN $9::text IS NULL THEN 'new' ELSE 'spam' END, $7, $8, $9
            FROM article a
            WHERE a.status = 'published'
              AND NOT EXISTS (SELECT 1 FROM duplicate)
              AND (SELECT minute FROM recent) < $10 AND (SELECT day FROM recent) < $11
            RETURNING id
        )
        SELECT (SELECT status FROM article) AS status,
               (SELECT id FROM inserted) AS inserted,
               (SELECT id FROM duplicate) AS duplicate,
               (SELECT minute FROM recent) AS "minute!",
               (SELECT extract(epoch FROM (oldest_minute + interval '1 minute' - now()))::bigint FROM recent) AS retry_after
        "#,
        Uuid::now_v7(),
        new.slug,
        new.revision_number,
        new.helpful,
        new.comment,
        new.email,
        new.client_hash,
        new.user_agent_family,
        new.spam_reason,
        PER_MINUTE,
        PER_DAY,
    )
    .fetch_one(pool)
    .await?;
    Ok(match (row.status, row.inserted, row.duplicate) {
        (Some(status), _, _) if status != "published" => InsertOutcome::NotPublic(Some(status)),
        (None, _, _) => InsertOutcome::NotPublic(None),
        (_, Some(id), _) => InsertOutcome::Stored(id),
        (_, None, Some(id)) => InsertOutcome::Duplicate(id),
        (_, None, None) => {
            let retry = if row.minute >= PER_MINUTE {
                row.retry_after.unwrap_or(60).clamp(1, 60)
            } else {
                3600
            };
            InsertOutcome::RateLimited(retry)
        }
    })
}

/// Helpfulness and comment counts of one story (spam left out), read from an index.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct FeedbackSummary {
    pub helpful_yes: i64,
    pub helpful_no: i64,
    pub comments: i64,
}

pub async fn summary(pool: &PgPool, article_id: Uuid) -> sqlx::Result<FeedbackSummary> {
    sqlx::query_as!(
        FeedbackSummary,
        r#"
        SELECT count(*) FILTER (WHERE helpful) AS "helpful_yes!",
               count(*) FILTER (WHERE NOT helpful) AS "helpful_no!",
               count(*) FILTER (WHERE has_comment) AS "comments!"
        FROM feedback WHERE article_id = $1 AND status <> 'spam'
        "#,
        article_id
    )
    .fetch_one(pool)
    .await
}

/// Deletes the reply address of an entry; `None` when there is no such entry.
pub async fn clear_email(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<Feedback>> {
    sqlx::query_as!(
        Feedback,
        r#"
        UPDATE feedback SET email = NULL, updated_at = now() WHERE id = $1
        RETURNING id, article_id, revision_number, helpful, comment, email, status, created_at
        "#,
        id
    )
    .fetch_optional(pool)
    .await
}

/// One inbox line: the entry and its story.
#[derive(Debug, Clone)]
pub struct InboxEntry {
    pub id: Uuid,
    pub article_id: Uuid,
    pub title: String,
    pub revision_number: i32,
    pub helpful: Option<bool>,
    pub comment: Option<String>,
    pub email: Option<String>,
    pub status: String,
    pub user_agent_family: String,
    pub created_at: OffsetDateTime,
}

/// The editors' inbox, newest first.
pub async fn list_inbox(
    pool: &PgPool,
    filter: &FeedbackFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<InboxEntry>> {
    sqlx::query_as!(
        InboxEntry,
        r#"
        SELECT f.id, f.article_id, a.title, f.revision_number, f.helpful, f.comment, f.email,
               f.status, coalesce(f.user_agent_family, '') AS "user_agent_family!", f.created_at
        FROM feedback f JOIN articles a ON a.id = f.article_id
        WHERE ($1::uuid IS NULL OR f.article_id = $1) AND ($2::text IS NULL OR f.status = $2)
        ORDER BY f.created_at DESC, f.id DESC
        LIMIT $3 OFFSET $4
        "#,
        filter.article_id,
        filter.status,
        limit,
        offset
    )
    .fetch_all(pool)
    .await
}

/// Sets the status of many entries at once; returns how many changed.
pub async fn set_status_many(pool: &PgPool, ids: &[Uuid], status: &str) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "UPDATE feedback SET status = $2, updated_at = now() WHERE id = ANY($1) AND status <> $2",
        ids,
        status
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Helpful yes and no per day for one story (spam left out).
#[derive(Debug, Clone)]
pub struct DayHelpfulness {
    pub day: time::Date,
    pub yes: i64,
    pub no: i64,
}

pub async fn helpful_by_day(
    pool: &PgPool,
    article_id: Uuid,
    since: time::Date,
) -> sqlx::Result<Vec<DayHelpfulness>> {
    sqlx::query_as!(
        DayHelpfulness,
        r#"
        SELECT (created_at AT TIME ZONE 'UTC')::date AS "day!",
               count(*) FILTER (WHERE helpful) AS "yes!",
               count(*) FILTER (WHERE NOT helpful) AS "no!"
        FROM feedback
        WHERE article_id = $1 AND status <> 'spam'
          AND created_at >= ($2::date)::timestamp AT TIME ZONE 'UTC'
        GROUP BY 1 ORDER BY 1
        "#,
        article_id,
        since
    )
    .fetch_all(pool)
    .await
}

//! The `feedback` table: what readers sent, for editors to triage.

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::feedback::FeedbackStatus;

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
    pub status: FeedbackStatus,
    #[serde(with = "crate::domain::dates::serde_rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Filters for [`list`].
#[derive(Debug, Clone, Default)]
pub struct FeedbackFilter {
    pub article_id: Option<Uuid>,
    pub status: Option<FeedbackStatus>,
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
        SELECT id, article_id, revision_number, helpful, comment, email,
               status AS "status: FeedbackStatus", created_at
        FROM feedback
        WHERE ($1::uuid IS NULL OR article_id = $1) AND ($2::text IS NULL OR status = $2)
        ORDER BY created_at DESC, id DESC
        LIMIT $3 OFFSET $4
        "#,
        filter.article_id,
        filter.status as Option<FeedbackStatus>,
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
        filter.status as Option<FeedbackStatus>
    )
    .fetch_one(pool)
    .await
}

/// Sets an entry's status; `None` when there is no such entry.
pub async fn set_status(
    db: impl sqlx::PgExecutor<'_>,
    id: Uuid,
    status: FeedbackStatus,
) -> sqlx::Result<Option<Feedback>> {
    sqlx::query_as!(
        Feedback,
        r#"
        UPDATE feedback SET status = $2, updated_at = now() WHERE id = $1
        RETURNING id, article_id, revision_number, helpful, comment, email,
                  status AS "status: FeedbackStatus", created_at
        "#,
        id,
        status as FeedbackStatus
    )
    .fetch_optional(db)
    .await
}

/// A reader's entry to store, after validation and spam checks.
/// One reader's entry, before the checks of [`insert_batch`].
#[derive(Debug, Clone)]
pub struct NewFeedback {
    /// The story, by its current slug.
    pub slug: String,
    /// The revision the reader saw; the current one when absent or out of range.
    pub revision_number: Option<i32>,
    pub helpful: Option<bool>,
    pub comment: Option<String>,
    pub email: Option<String>,
    pub client_hash: Vec<u8>,
    pub user_agent_family: String,
    /// `Some` stores the entry as spam, with the reason.
    pub spam_reason: Option<String>,
}

/// What [`insert_batch`] did with one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Stored (as `spam` when it repeats the client's comment of the last 10 minutes).
    Stored(Uuid),
    /// Over the per-client limit; retry after this many seconds.
    RateLimited(i64),
    /// No published story has this slug; `Some(status)` when the story exists.
    NotPublic(Option<String>),
}

/// Per-client limits: entries a minute and a day, every entry counted (spam included, so a
/// flood of one repeated post is limited too). No reader writes thirty notes a minute; a test
/// suite or an editor trying the widget out should not meet the limit by accident.
pub const PER_MINUTE: i64 = 30;
pub const PER_DAY: i64 = 300;

/// The statement of [`insert_batch`].
const BATCH_INSERT: &str = r#"
        WITH input AS (
            SELECT *
            FROM unnest($1::uuid[], $2::text[], $3::int[], $4::boolean[], $5::text[], $6::text[],
                        $7::bytea[], $8::text[], $9::text[])
                 WITH ORDINALITY AS i(id, slug, revision_number, helpful, comment, email,
                                      client_hash, user_agent_family, spam_reason, n)
        ),
        checked AS MATERIALIZED (
            SELECT i.*, a.id AS article_id, a.status AS article_status, a.version,
                   r.minute, r.day, r.oldest_minute, d.id AS duplicate
            FROM input i
            LEFT JOIN articles a ON a.slug = i.slug AND a.deleted_at IS NULL
            CROSS JOIN LATERAL (
                SELECT count(*) FILTER (WHERE f.created_at > now() - interval '1 minute') AS minute,
                       count(*) AS day,
                       min(f.created_at) FILTER (WHERE f.created_at > now() - interval '1 minute')
                           AS oldest_minute
                FROM feedback f
                WHERE f.client_hash = i.client_hash AND f.created_at > now() - interval '1 day'
            ) r
            LEFT JOIN LATERAL (
                SELECT f.id FROM feedback f
                WHERE f.client_hash = i.client_hash AND i.comment IS NOT NULL
                  AND f.comment = i.comment AND f.article_id = a.id
                  AND f.created_at > now() - interval '10 minutes'
                LIMIT 1
            ) d ON true
        ),
        inserted AS (
            INSERT INTO feedback (id, article_id, revision_number, helpful, comment, email, status,
                                  client_hash, user_agent_family, spam_reason)
            SELECT c.id, c.article_id,
                   CASE WHEN c.revision_number BETWEEN 1 AND c.version THEN c.revision_number
                        ELSE c.version END,
                   c.helpful, c.comment, c.email,
                   CASE WHEN c.spam_reason IS NULL AND c.duplicate IS NULL THEN 'new'
                        ELSE 'spam' END,
                   c.client_hash, c.user_agent_family,
                   COALESCE(c.spam_reason,
                            CASE WHEN c.duplicate IS NOT NULL
                                 THEN 'the same comment again within 10 minutes' END)
            FROM checked c
            WHERE c.article_status = 'published'
              AND c.minute < $10 AND c.day < $11
            RETURNING id
        )
        SELECT c.n AS n, c.article_status AS status,
               (SELECT i.id FROM inserted i WHERE i.id = c.id) AS inserted,
               c.minute AS minute,
               extract(epoch FROM (c.oldest_minute + interval '1 minute' - now()))::bigint
                   AS retry_after
        FROM checked c
        ORDER BY c.n
        "#;

/// What [`insert_batch`] learns of one entry (not the `query_as!` macro: the statement runs
/// inside a transaction with settings of its own; the tests that post feedback check it).
#[derive(sqlx::FromRow)]
struct BatchRow {
    n: i64,
    status: Option<String>,
    inserted: Option<Uuid>,
    minute: i64,
    retry_after: Option<i64>,
}

/// Stores each entry for the published story at its slug unless its client is over its
/// limits (a repeat of the client's comment of the last ten minutes is stored as spam, so
/// editors see it once and a repeated flood still counts): one statement and one commit for the
/// whole batch, each entry checked on its own. Entries of one batch must come
/// from different clients, since they do not see each other's rows
/// ([`crate::signals::writer`] makes sure of it). The outcomes are in the entries' order.
pub async fn insert_batch(
    pool: &PgPool,
    entries: &[NewFeedback],
) -> sqlx::Result<Vec<InsertOutcome>> {
    let ids: Vec<Uuid> = entries.iter().map(|_| Uuid::now_v7()).collect();
    let slugs: Vec<&str> = entries.iter().map(|e| e.slug.as_str()).collect();
    let revisions: Vec<Option<i32>> = entries.iter().map(|e| e.revision_number).collect();
    let helpful: Vec<Option<bool>> = entries.iter().map(|e| e.helpful).collect();
    let comments: Vec<Option<&str>> = entries.iter().map(|e| e.comment.as_deref()).collect();
    let emails: Vec<Option<&str>> = entries.iter().map(|e| e.email.as_deref()).collect();
    let clients: Vec<&[u8]> = entries.iter().map(|e| e.client_hash.as_slice()).collect();
    let families: Vec<&str> = entries
        .iter()
        .map(|e| e.user_agent_family.as_str())
        .collect();
    let spam: Vec<Option<&str>> = entries.iter().map(|e| e.spam_reason.as_deref()).collect();
    // The plan of this statement is kept per connection, and PostgreSQL may build it while the
    // table is tiny (right after an ANALYZE of a new site's first rows): scanning the whole
    // table for each entry then looks cheapest, and stays in the kept plan as the table grows
    // (1-2 s a batch was seen in a benchmark that grows it fast). With sequential scans off
    // while it is planned, the plan always looks entries up through the client and slug
    // indexes, whatever the statistics say. A plan made afresh for every batch avoids it too,
    // but halved the throughput.
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL enable_seqscan = off")
        .execute(&mut *tx)
        .await?;
    let rows: Vec<BatchRow> = sqlx::query_as(BATCH_INSERT)
        .bind(&ids)
        .bind(&slugs)
        .bind(&revisions)
        .bind(&helpful)
        .bind(&comments)
        .bind(&emails)
        .bind(&clients)
        .bind(&families)
        .bind(&spam)
        .bind(PER_MINUTE)
        .bind(PER_DAY)
        .fetch_all(&mut *tx)
        .await?;
    // feedback.created for webhooks, in the same commit as the entries (CONTRACT §12).
    let stored: Vec<Uuid> = rows.iter().filter_map(|row| row.inserted).collect();
    crate::db::webhooks::queue_feedback(&mut tx, &stored).await?;
    tx.commit().await?;
    // One row per entry, numbered from 1 (the slug is unique among stories not deleted).
    let mut outcomes: Vec<Option<InsertOutcome>> = vec![None; entries.len()];
    for row in rows {
        let slot = usize::try_from(row.n - 1)
            .ok()
            .and_then(|n| outcomes.get_mut(n))
            .ok_or(sqlx::Error::RowNotFound)?;
        *slot = Some(match (row.status, row.inserted) {
            (Some(status), _) if status != "published" => InsertOutcome::NotPublic(Some(status)),
            (None, _) => InsertOutcome::NotPublic(None),
            (_, Some(id)) => InsertOutcome::Stored(id),
            (_, None) => {
                let retry = if row.minute >= PER_MINUTE {
                    row.retry_after.unwrap_or(60).clamp(1, 60)
                } else {
                    3600
                };
                InsertOutcome::RateLimited(retry)
            }
        });
    }
    outcomes
        .into_iter()
        .map(|o| o.ok_or(sqlx::Error::RowNotFound))
        .collect()
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
pub async fn clear_email(
    db: impl sqlx::PgExecutor<'_>,
    id: Uuid,
) -> sqlx::Result<Option<Feedback>> {
    sqlx::query_as!(
        Feedback,
        r#"
        UPDATE feedback SET email = NULL, updated_at = now() WHERE id = $1
        RETURNING id, article_id, revision_number, helpful, comment, email,
                  status AS "status: FeedbackStatus", created_at
        "#,
        id
    )
    .fetch_optional(db)
    .await
}

/// One inbox line: the entry and its story.
#[derive(Debug, Clone)]
pub struct InboxEntry {
    pub id: Uuid,
    pub article_id: Uuid,
    pub title: String,
    /// The story's current slug, for its public address.
    pub slug: String,
    pub revision_number: i32,
    pub helpful: Option<bool>,
    pub comment: Option<String>,
    pub email: Option<String>,
    pub status: FeedbackStatus,
    pub user_agent_family: String,
    /// The editors' private note ('' when none).
    pub note: String,
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
        SELECT f.id, f.article_id, a.title, a.slug, f.revision_number, f.helpful, f.comment,
               f.email, f.status AS "status: FeedbackStatus",
               coalesce(f.user_agent_family, '') AS "user_agent_family!", f.note, f.created_at
        FROM feedback f JOIN articles a ON a.id = f.article_id
        WHERE ($1::uuid IS NULL OR f.article_id = $1) AND ($2::text IS NULL OR f.status = $2)
        ORDER BY f.created_at DESC, f.id DESC
        LIMIT $3 OFFSET $4
        "#,
        filter.article_id,
        filter.status as Option<FeedbackStatus>,
        limit,
        offset
    )
    .fetch_all(pool)
    .await
}

/// Sets the status of many entries at once; returns the ids of those it changed.
pub async fn set_status_many(
    db: impl sqlx::PgExecutor<'_>,
    ids: &[Uuid],
    status: FeedbackStatus,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        r#"UPDATE feedback SET status = $2, updated_at = now()
           WHERE id = ANY($1) AND status <> $2
           RETURNING id"#,
        ids,
        status as FeedbackStatus
    )
    .fetch_all(db)
    .await
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

/// One inbox entry by its id.
pub async fn find_inbox_entry(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<InboxEntry>> {
    sqlx::query_as!(
        InboxEntry,
        r#"
        SELECT f.id, f.article_id, a.title, a.slug, f.revision_number, f.helpful, f.comment,
               f.email, f.status AS "status: FeedbackStatus",
               coalesce(f.user_agent_family, '') AS "user_agent_family!", f.note, f.created_at
        FROM feedback f JOIN articles a ON a.id = f.article_id
        WHERE f.id = $1
        "#,
        id
    )
    .fetch_optional(pool)
    .await
}

/// What [`set_note`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteOutcome {
    Changed,
    /// The entry already had this note.
    Same,
    NoSuchEntry,
}

/// Sets an entry's private note, with who changed it and when.
pub async fn set_note(
    db: &mut sqlx::PgConnection,
    id: Uuid,
    note: &str,
    by: Uuid,
) -> sqlx::Result<NoteOutcome> {
    let changed = sqlx::query_scalar!(
        r#"UPDATE feedback SET note = $2, note_updated_at = now(), note_updated_by = $3,
                  updated_at = now()
           WHERE id = $1 AND note <> $2
           RETURNING id"#,
        id,
        note,
        by
    )
    .fetch_optional(&mut *db)
    .await?;
    if changed.is_some() {
        return Ok(NoteOutcome::Changed);
    }
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM feedback WHERE id = $1) AS "exists!""#,
        id
    )
    .fetch_one(&mut *db)
    .await?;
    Ok(if exists {
        NoteOutcome::Same
    } else {
        NoteOutcome::NoSuchEntry
    })
}

/// A story readers have sent feedback on, for the inbox's story picker.
#[derive(Debug, Clone)]
pub struct StoryChoice {
    pub id: Uuid,
    pub title: String,
    pub entries: i64,
}

/// Every story with feedback, by headline (spam counted too: the picker filters the inbox,
/// which shows spam).
pub async fn stories_with_feedback(pool: &PgPool) -> sqlx::Result<Vec<StoryChoice>> {
    sqlx::query_as!(
        StoryChoice,
        r#"
        SELECT a.id, a.title, count(*) AS "entries!"
        FROM feedback f JOIN articles a ON a.id = f.article_id
        GROUP BY a.id, a.title
        ORDER BY lower(a.title), a.id
        "#
    )
    .fetch_all(pool)
    .await
}

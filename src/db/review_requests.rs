//! The `review_requests` table: each "Submit for review" (who asked, when) and its outcome (an
//! editor published, scheduled or sent the story back, with a note for its author).

use sqlx::{PgExecutor, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

/// Opens a request for `article_id`, unless one is already open.
pub async fn open(
    db: impl PgExecutor<'_>,
    article_id: Uuid,
    requested_by: Option<Uuid>,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"INSERT INTO review_requests (id, article_id, requested_by)
           VALUES ($1, $2, $3)
           ON CONFLICT (article_id) WHERE decided_at IS NULL DO NOTHING"#,
        Uuid::now_v7(),
        article_id,
        requested_by
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Closes the open request of `article_id` (if any) with `decision` (`published`, `scheduled`
/// or `sent_back`).
pub async fn decide(
    db: impl PgExecutor<'_>,
    article_id: Uuid,
    decision: &str,
    decided_by: Option<Uuid>,
    note: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"UPDATE review_requests
           SET decision = $2, decided_by = $3, decided_at = now(), note = $4
           WHERE article_id = $1 AND decided_at IS NULL"#,
        article_id,
        decision,
        decided_by,
        note
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A story waiting for review.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub article_id: Uuid,
    pub title: String,
    /// `None` when the account is gone or the request predates the record.
    pub requested_by: Option<String>,
    pub requested_at: Option<OffsetDateTime>,
}

/// Stories in review, longest waiting first, and how many there are.
pub async fn queue(pool: &PgPool, limit: i64) -> sqlx::Result<(Vec<Waiting>, i64)> {
    let rows = sqlx::query_as!(
        Waiting,
        r#"
        SELECT a.id AS article_id, a.title, u.name AS "requested_by?", r.requested_at AS "requested_at?"
        FROM articles a
        LEFT JOIN review_requests r ON r.article_id = a.id AND r.decided_at IS NULL
        LEFT JOIN users u ON u.id = r.requested_by
        WHERE a.status = 'in_review' AND a.deleted_at IS NULL
        ORDER BY r.requested_at NULLS FIRST, a.id
        LIMIT $1
        "#,
        limit
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM articles
           WHERE status = 'in_review' AND deleted_at IS NULL"#
    )
    .fetch_one(pool)
    .await?;
    Ok((rows, total))
}

/// A request and, once decided, its outcome.
#[derive(Debug, Clone)]
pub struct Request {
    pub article_id: Uuid,
    pub title: String,
    pub requested_by: Option<String>,
    pub requested_at: OffsetDateTime,
    pub decision: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<OffsetDateTime>,
    pub note: Option<String>,
}

/// The latest request of a story.
pub async fn latest(pool: &PgPool, article_id: Uuid) -> sqlx::Result<Option<Request>> {
    sqlx::query_as!(
        Request,
        r#"
        SELECT r.article_id, a.title, q.name AS "requested_by?", r.requested_at, r.decision,
               d.name AS "decided_by?", r.decided_at, r.note
        FROM review_requests r
        JOIN articles a ON a.id = r.article_id
        LEFT JOIN users q ON q.id = r.requested_by
        LEFT JOIN users d ON d.id = r.decided_by
        WHERE r.article_id = $1
        ORDER BY r.requested_at DESC, r.id DESC
        LIMIT 1
        "#,
        article_id
    )
    .fetch_optional(pool)
    .await
}

/// The latest request of each story `user_id` created, most recent news first.
pub async fn of_author(pool: &PgPool, user_id: Uuid, limit: i64) -> sqlx::Result<Vec<Request>> {
    sqlx::query_as!(
        Request,
        r#"
        SELECT * FROM (
            SELECT DISTINCT ON (r.article_id)
                   r.article_id AS "article_id!", a.title AS "title!",
                   q.name AS "requested_by?", r.requested_at AS "requested_at!",
                   r.decision AS "decision?", d.name AS "decided_by?",
                   r.decided_at AS "decided_at?", r.note AS "note?"
            FROM review_requests r
            JOIN articles a ON a.id = r.article_id AND a.deleted_at IS NULL
            LEFT JOIN users q ON q.id = r.requested_by
            LEFT JOIN users d ON d.id = r.decided_by
            WHERE a.created_by = $1
            ORDER BY r.article_id, r.requested_at DESC, r.id DESC
        ) latest
        ORDER BY coalesce("decided_at?", "requested_at!") DESC
        LIMIT $2
        "#,
        user_id,
        limit
    )
    .fetch_all(pool)
    .await
}

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

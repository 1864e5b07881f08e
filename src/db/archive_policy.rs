//! The archive policy (CONTRACT §11): one row, and the stories it would archive.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

/// The policy as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ArchivePolicy {
    /// Whether the server applies it (once a day).
    pub enabled: bool,
    /// A published story is archived once this many days have passed since it was published
    /// or last updated or corrected, whichever is later.
    pub older_than_days: i32,
    /// Topic slugs: only stories in one of them. Empty: every story.
    pub topics: Vec<String>,
    /// Shown on each archived story's banner, and noted on its revision.
    pub reason: String,
    /// Goes up by one with every change; the ETag, for `If-Match`.
    pub version: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// When the server last applied it, if ever.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_run_at: Option<OffsetDateTime>,
    /// How many stories it archived then.
    pub last_run_count: Option<i32>,
}

pub async fn get(db: impl PgExecutor<'_>) -> sqlx::Result<ArchivePolicy> {
    sqlx::query_as!(
        ArchivePolicy,
        r#"SELECT enabled, older_than_days, topics, reason, version, updated_at, last_run_at,
                  last_run_count
           FROM archive_policy"#
    )
    .fetch_one(db)
    .await
}

/// Locks the policy for a change (in `tx`) and says what it is.
pub async fn lock(tx: &mut PgConnection) -> sqlx::Result<ArchivePolicy> {
    sqlx::query_as!(
        ArchivePolicy,
        r#"SELECT enabled, older_than_days, topics, reason, version, updated_at, last_run_at,
                  last_run_count
           FROM archive_policy FOR UPDATE"#
    )
    .fetch_one(tx)
    .await
}

/// The policy's settings, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySettings {
    pub enabled: bool,
    pub older_than_days: i32,
    pub topics: Vec<String>,
    pub reason: String,
}

pub async fn update(
    tx: &mut PgConnection,
    settings: &PolicySettings,
    by: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"UPDATE archive_policy
           SET enabled = $1, older_than_days = $2, topics = $3, reason = $4,
               version = version + 1, updated_at = now(), updated_by = $5"#,
        settings.enabled,
        settings.older_than_days,
        &settings.topics,
        settings.reason,
        by
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// A story the policy would archive.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    #[serde(with = "time::serde::rfc3339")]
    pub published_at: OffsetDateTime,
    /// The later of the dateline and the last update or correction: what "older than" counts
    /// from.
    #[serde(with = "time::serde::rfc3339")]
    pub last_updated: OffsetDateTime,
}

/// The stories `settings` would archive now, longest unchanged first, and how many there are.
pub async fn candidates(
    db: impl PgExecutor<'_>,
    older_than_days: i32,
    topics: &[String],
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<Candidate>, i64)> {
    let rows = sqlx::query!(
        r#"
        SELECT a.id, a.slug, a.title, a.published_at AS "published_at!",
               greatest(a.published_at, a.updated_at) AS "last_updated!",
               count(*) OVER () AS "total!"
        FROM articles a
        WHERE a.status = 'published' AND NOT a.archived AND a.deleted_at IS NULL
          AND a.published_at IS NOT NULL
          AND greatest(a.published_at, a.updated_at) < now() - make_interval(days => $1)
          AND (cardinality($2::text[]) = 0 OR EXISTS (
                SELECT 1 FROM article_topics at JOIN topics t ON t.id = at.topic_id
                WHERE at.article_id = a.id AND t.slug = ANY($2)))
        ORDER BY greatest(a.published_at, a.updated_at), a.id
        LIMIT $3 OFFSET $4
        "#,
        older_than_days,
        topics,
        limit,
        offset
    )
    .fetch_all(db)
    .await?;
    let total = rows.first().map_or(0, |r| r.total);
    Ok((
        rows.into_iter()
            .map(|r| Candidate {
                id: r.id,
                slug: r.slug,
                title: r.title,
                published_at: r.published_at,
                last_updated: r.last_updated,
            })
            .collect(),
        total,
    ))
}

/// Notes a run of the policy.
pub async fn mark_run(db: impl PgExecutor<'_>, archived: i32) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE archive_policy SET last_run_at = now(), last_run_count = $1",
        archived
    )
    .execute(db)
    .await?;
    Ok(())
}

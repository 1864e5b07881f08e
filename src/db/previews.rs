//! The `preview_links` table.

use sqlx::{PgExecutor, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

/// A preview link's owner facts, for authorisation.
#[derive(Debug, Clone)]
pub struct PreviewLink {
    pub id: Uuid,
    pub article_id: Uuid,
    pub expires_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    article_id: Uuid,
    digest: &[u8],
    created_by: Option<Uuid>,
    expires_at: OffsetDateTime,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query!(
        r#"INSERT INTO preview_links (id, article_id, token_hash, created_by, expires_at)
           VALUES ($1, $2, $3, $4, $5)"#,
        id,
        article_id,
        digest,
        created_by,
        expires_at
    )
    .execute(db)
    .await?;
    Ok(id)
}

pub async fn find(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<PreviewLink>> {
    sqlx::query_as!(
        PreviewLink,
        "SELECT id, article_id, expires_at, revoked_at FROM preview_links WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await
}

/// The article id behind a live (unexpired, unrevoked) preview token.
pub async fn live_article_for_digest(pool: &PgPool, digest: &[u8]) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "SELECT article_id FROM preview_links
         WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()",
        digest
    )
    .fetch_optional(pool)
    .await
}

pub async fn revoke(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE preview_links SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1",
        id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A live link as the editor lists it (the token itself is never kept).
#[derive(Debug, Clone)]
pub struct LiveLink {
    pub id: Uuid,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// The story's unexpired, unrevoked links, newest first.
pub async fn list_live(pool: &PgPool, article_id: Uuid) -> sqlx::Result<Vec<LiveLink>> {
    sqlx::query_as!(
        LiveLink,
        "SELECT id, created_at, expires_at FROM preview_links
         WHERE article_id = $1 AND revoked_at IS NULL AND expires_at > now()
         ORDER BY created_at DESC",
        article_id
    )
    .fetch_all(pool)
    .await
}

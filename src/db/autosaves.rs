//! The `article_autosaves` table: the latest autosaved editor text per story and editor.

use sqlx::PgPool;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Autosave {
    pub base_version: i32,
    pub payload: serde_json::Value,
    pub saved_at: OffsetDateTime,
}

/// Replaces the editor's autosave of the story; answers when it was saved.
pub async fn upsert(
    pool: &PgPool,
    article_id: Uuid,
    user_id: Uuid,
    base_version: i32,
    payload: &serde_json::Value,
) -> sqlx::Result<OffsetDateTime> {
    sqlx::query_scalar!(
        r#"INSERT INTO article_autosaves (article_id, user_id, base_version, payload)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (article_id, user_id) DO UPDATE
             SET base_version = EXCLUDED.base_version, payload = EXCLUDED.payload, saved_at = now()
           RETURNING saved_at"#,
        article_id,
        user_id,
        base_version,
        Json(payload) as _
    )
    .fetch_one(pool)
    .await
}

pub async fn find(
    pool: &PgPool,
    article_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<Option<Autosave>> {
    sqlx::query_as!(
        Autosave,
        r#"SELECT base_version, payload AS "payload: serde_json::Value", saved_at
           FROM article_autosaves WHERE article_id = $1 AND user_id = $2"#,
        article_id,
        user_id
    )
    .fetch_optional(pool)
    .await
}

pub async fn delete(pool: &PgPool, article_id: Uuid, user_id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM article_autosaves WHERE article_id = $1 AND user_id = $2",
        article_id,
        user_id
    )
    .execute(pool)
    .await?;
    Ok(())
}

//! The `editor_presence` table: who has a story open in the editor, kept fresh by a heartbeat.
//! In PostgreSQL, so every instance sees everyone.

use sqlx::PgExecutor;
use uuid::Uuid;

/// Seconds without a heartbeat after which someone has left.
pub const FRESH_SECS: f64 = 45.0;

/// Records that `user_id` has `article_id` open now, and forgets whoever left it long ago.
pub async fn beat(
    db: &mut sqlx::PgConnection,
    article_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"INSERT INTO editor_presence (article_id, user_id, seen_at) VALUES ($1, $2, now())
           ON CONFLICT (article_id, user_id) DO UPDATE SET seen_at = excluded.seen_at"#,
        article_id,
        user_id
    )
    .execute(&mut *db)
    .await?;
    sqlx::query!("DELETE FROM editor_presence WHERE seen_at < now() - interval '1 hour'")
        .execute(db)
        .await?;
    Ok(())
}

/// The names of the others who have `article_id` open, by name.
pub async fn others(
    db: impl PgExecutor<'_>,
    article_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"SELECT u.name FROM editor_presence p JOIN users u ON u.id = p.user_id
           WHERE p.article_id = $1 AND p.user_id <> $2
             AND p.seen_at > now() - make_interval(secs => $3)
           ORDER BY u.name, u.id"#,
        article_id,
        user_id,
        FRESH_SECS
    )
    .fetch_all(db)
    .await
}

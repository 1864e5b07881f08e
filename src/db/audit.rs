//! The `audit_log` table: who did what to which target, when.

use sqlx::PgExecutor;
use uuid::Uuid;

/// Appends one audit entry.
pub async fn record(
    db: impl PgExecutor<'_>,
    actor_id: Option<Uuid>,
    action: &str,
    target_type: &str,
    target_id: Option<Uuid>,
    detail: serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"INSERT INTO audit_log (id, actor_id, action, target_type, target_id, detail)
           VALUES ($1, $2, $3, $4, $5, $6)"#,
        Uuid::now_v7(),
        actor_id,
        action,
        target_type,
        target_id,
        detail
    )
    .execute(db)
    .await?;
    Ok(())
}

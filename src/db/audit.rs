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

/// Appends one audit entry for each of `target_ids` (a bulk action, recorded item by item), in
/// one statement.
pub async fn record_each(
    db: impl PgExecutor<'_>,
    actor_id: Option<Uuid>,
    action: &str,
    target_type: &str,
    target_ids: &[Uuid],
    detail: serde_json::Value,
) -> sqlx::Result<()> {
    let ids: Vec<Uuid> = target_ids.iter().map(|_| Uuid::now_v7()).collect();
    sqlx::query!(
        r#"INSERT INTO audit_log (id, actor_id, action, target_type, target_id, detail)
           SELECT entry.id, $3, $4, $5, entry.target, $6
           FROM unnest($1::uuid[], $2::uuid[]) AS entry (id, target)"#,
        &ids,
        target_ids,
        actor_id,
        action,
        target_type,
        detail
    )
    .execute(db)
    .await?;
    Ok(())
}

/// One entry as the admin audit page lists it.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub id: Uuid,
    pub created_at: time::OffsetDateTime,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<Uuid>,
    pub detail: serde_json::Value,
    pub actor_name: Option<String>,
    pub actor_email: Option<String>,
}

/// Entries newest first, optionally those whose action starts with `action` (`article.`,
/// `user.login` …) and those by one actor.
pub async fn list(
    pool: &sqlx::PgPool,
    action: Option<&str>,
    actor: Option<Uuid>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<AuditEntry>> {
    sqlx::query_as!(
        AuditEntry,
        r#"
        SELECT a.id, a.created_at, a.action, a.target_type, a.target_id, a.detail,
               u.name AS "actor_name?", u.email AS "actor_email?"
        FROM audit_log a
        LEFT JOIN users u ON u.id = a.actor_id
        WHERE ($1::text IS NULL OR starts_with(a.action, $1))
          AND ($2::uuid IS NULL OR a.actor_id = $2)
        ORDER BY a.created_at DESC, a.id DESC
        LIMIT $3 OFFSET $4
        "#,
        action,
        actor,
        limit,
        offset
    )
    .fetch_all(pool)
    .await
}

/// How many entries [`list`] pages through.
pub async fn count(
    pool: &sqlx::PgPool,
    action: Option<&str>,
    actor: Option<Uuid>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM audit_log a
           WHERE ($1::text IS NULL OR starts_with(a.action, $1))
             AND ($2::uuid IS NULL OR a.actor_id = $2)"#,
        action,
        actor
    )
    .fetch_one(pool)
    .await
}

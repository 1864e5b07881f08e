//! Change events: emitted inside the writing transaction with PostgreSQL `NOTIFY`, so they are
//! delivered (to every instance) only when the change commits. Caches and feeds subscribe.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The channel editorial changes are announced on.
pub const CHANNEL: &str = "dateline_changes";

/// What changed, precisely enough to evict the pages that show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeEvent {
    pub article_id: Uuid,
    /// The action, e.g. `update`, `publish`, `archive`.
    pub action: String,
    /// Every slug the story had before or has after the change.
    pub slugs: Vec<String>,
    /// Every topic the story was or is on.
    pub topics: Vec<String>,
}

/// Queues the event on the transaction; PostgreSQL sends it at commit.
pub async fn emit(db: &mut sqlx::PgConnection, event: &ChangeEvent) -> sqlx::Result<()> {
    let payload = serde_json::to_string(event).unwrap_or_default();
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload)
        .execute(db)
        .await?;
    Ok(())
}

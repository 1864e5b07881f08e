//! Change events: emitted inside the writing transaction with PostgreSQL `NOTIFY`, so they are
//! delivered (to every instance) only when the change commits. Caches and feeds subscribe.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The channel editorial changes are announced on.
pub const CHANNEL: &str = "dateline_changes";

/// What changed, precisely enough to evict the pages that show it: a story (`article_id`
/// set), or a topic's slug, name or description (`article_id` null).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeEvent {
    /// The story that changed; `None` when a topic changed.
    #[serde(default)]
    pub article_id: Option<Uuid>,
    /// The action, e.g. `update`, `publish`, `archive`, `topic.update`.
    pub action: String,
    /// Every slug the story had before or has after the change (none for a topic).
    pub slugs: Vec<String>,
    /// Every topic the story was or is on; for a topic change, its slugs before and after.
    pub topics: Vec<String>,
}

impl ChangeEvent {
    /// The surrogate keys of the pages the change can alter (`crate::cache::CacheTags`):
    ///
    /// - a story: its own page (under any slug), the lists of the topics it was or is on, and
    ///   every list, feed, sitemap and the corrections page; other stories' pages and the
    ///   pages of other topics stay;
    /// - a topic: every page showing its name (its topic page and feed, its stories' pages),
    ///   the lists (the topic index) and the sitemaps (its URL).
    pub fn purge_keys(&self) -> Vec<String> {
        use crate::cache::{article_key, topic_key, topic_list_key};
        let mut keys: Vec<String> = Vec::new();
        match self.article_id {
            Some(id) => {
                keys.extend([article_key(id), "feed".into(), "corrections".into()]);
                keys.extend(self.topics.iter().map(|t| topic_list_key(t)));
            }
            None => keys.extend(self.topics.iter().map(|t| topic_key(t))),
        }
        keys.extend(["list".into(), "sitemap".into()]);
        keys
    }

    /// A change to a topic, under its slugs before and after.
    pub fn topic(action: &str, slugs: Vec<String>) -> Self {
        Self {
            article_id: None,
            action: action.to_owned(),
            slugs: Vec::new(),
            topics: slugs,
        }
    }
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

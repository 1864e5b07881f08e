//! Keeping the cache true: every change event evicts the pages it can alter, on the instance
//! that made the change at once (`crate::state::AppState::after_commit`) and on every instance
//! through [`crate::db::events::listen`], which says when changes may have been missed (a lost
//! connection) so that the whole cache goes then.

use std::sync::Arc;

use futures_util::StreamExt as _;

use super::store::PageCache;
use crate::db::events::Heard;

/// Listens for change events from every instance and evicts what they touch; drops the whole
/// cache whenever changes may have been missed. Until then cached pages keep being served
/// (they are what readers would get from a CDN anyway), which keeps the site up while
/// PostgreSQL is down.
pub fn spawn_listener(pool: sqlx::PgPool, cache: Arc<PageCache>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let heard = crate::db::events::listen(pool);
        let mut heard = std::pin::pin!(heard);
        while let Some(heard) = heard.next().await {
            match heard {
                Heard::Change(event) => cache.evict_change(&event),
                Heard::MayHaveMissed => cache.clear(),
            }
        }
    })
}

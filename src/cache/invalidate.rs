//! Keeping the cache true: every change event evicts the pages it can alter, on the instance
//! that made the change at once (`crate::state::AppState::after_commit`) and on every instance
//! through [`crate::db::events::listen`], which says when changes may have been missed (a lost
//! connection) so that the whole cache goes then.
//!
//! A Varnish in front is purged from here too ([`super::purge`]), by every instance that hears
//! the change: the `NOTIFY` reaches every listener for every committed change, whoever made
//! it (an editor's request on any instance, the scheduler, a command such as `dateline
//! import`), so each change is purged as long as one instance listens. N instances send N
//! purges of the same keys, which Varnish answers cheaply; the instance's own after-commit
//! hook could not see the scheduler's or a command's changes.

use std::sync::Arc;

use futures_util::StreamExt as _;

use super::purge::Purger;
use super::store::PageCache;
use crate::db::events::Heard;

/// Listens for change events from every instance and evicts what they touch (and purges it
/// from Varnish when `purger` is set); drops the whole cache whenever changes may have been
/// missed. Until then cached pages keep being served (they are what readers would get from a
/// CDN anyway), which keeps the site up while PostgreSQL is down.
///
/// Varnish is purged of everything when changes may have been missed after the listener had
/// been listening, not when it first starts: a rolling restart of N instances would otherwise
/// empty the CDN N times, and changes made while no instance at all listened are bounded by
/// `s-maxage`.
pub fn spawn_listener(
    pool: sqlx::PgPool,
    cache: Arc<PageCache>,
    purger: Option<Arc<Purger>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let heard = crate::db::events::listen(pool);
        let mut heard = std::pin::pin!(heard);
        let mut first = true;
        while let Some(heard) = heard.next().await {
            match heard {
                Heard::Change(event) => {
                    cache.evict_change(&event);
                    if let Some(purger) = &purger {
                        purger.purge(&super::tags::keys_for(&event));
                    }
                }
                Heard::MayHaveMissed => {
                    cache.clear();
                    if let Some(purger) = purger.as_ref().filter(|_| !first) {
                        purger.purge_everything();
                    }
                }
            }
            first = false;
        }
    })
}

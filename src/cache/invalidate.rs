//! Keeping the cache true: every change event evicts the pages it can alter, on this instance
//! at once and on every instance through [`crate::db::events::listen`], which says when changes
//! may have been missed (a lost connection) so that the whole cache goes then.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use futures_util::StreamExt as _;
use uuid::Uuid;

use super::CacheState;
use super::store::PageCache;
use crate::db::events::Heard;
use crate::domain::events::ChangeEvent;

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

/// Middleware for editorial API and admin routes: after a successful write, drop the pages
/// it can have changed on this instance at once (other instances hear it through `NOTIFY`).
pub async fn evict_after_write(
    State(state): State<CacheState>,
    request: Request,
    next: Next,
) -> Response {
    let write = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    // Admin forms answer a successful write with a 303 to the next page.
    let succeeded = response.status().is_success() || response.status().is_redirection();
    if write && succeeded && changes_public_pages(&path) {
        match article_id_in(&path) {
            Some(id) => {
                state
                    .cache
                    .evict_change(&ChangeEvent::story(id, "write", Vec::new(), Vec::new()));
                // The story's topics are not known here: every topic's list goes.
                state.cache.evict_topic_lists();
            }
            // Topic names and descriptions show on many pages.
            None if path.contains("/topics") => state.cache.clear(),
            // New drafts, feedback triage, users and tokens show on no public page.
            None => {}
        }
    }
    response
}

impl PageCache {
    pub(super) fn evict_topic_lists(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        let Some(pages) = &self.pages else { return };
        let doomed: Vec<Arc<String>> = pages
            .iter()
            .filter(|(_, entry)| entry.keys.iter().any(|k| k.starts_with("list-topic-")))
            .map(|(key, _)| key)
            .collect();
        for key in doomed {
            pages.invalidate(key.as_str());
        }
    }
}

/// Whether a successful write to `path` can change what the public sees: autosaves, live
/// previews and preview links cannot (an autosave every few seconds must not empty the cache).
fn changes_public_pages(path: &str) -> bool {
    !(path.ends_with("/autosave")
        || path.ends_with("/autosave/discard")
        || path.contains("/preview-links")
        || path == "/admin/preview")
}

/// The story id in `/api/v1/articles/{id}/…` or `/admin/stories/{id}/…`.
fn article_id_in(path: &str) -> Option<Uuid> {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    while let Some(segment) = segments.next() {
        if segment == "articles" || segment == "stories" {
            return segments.next().and_then(|s| Uuid::parse_str(s).ok());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn story_ids_are_found_in_editorial_paths() {
        let id = Uuid::now_v7();
        assert_eq!(
            article_id_in(&format!("/api/v1/articles/{id}/publish")),
            Some(id)
        );
        assert_eq!(article_id_in(&format!("/admin/stories/{id}")), Some(id));
        assert_eq!(article_id_in("/api/v1/articles"), None);
        assert_eq!(article_id_in("/api/v1/topics/heart"), None);
    }
}

//! The application's state: what handlers can reach, and the parts of it that pieces with
//! narrower needs take as `FromRef` substates (the page cache takes [`CacheState`]), so that no
//! piece depends on the whole application.

use std::sync::Arc;

use axum::extract::FromRef;
use sqlx::PgPool;

use crate::cache::{CacheState, PageCache};
use crate::config::Config;
use crate::domain::events::Committed;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    /// Feedback's form-token and client-hash keys.
    pub feedback_keys: Arc<crate::signals::keys::FeedbackKeys>,
    /// Page views not yet written.
    pub views: Arc<crate::signals::views::ViewCounter>,
    /// Feedback entries on their way to the database, in batches.
    pub feedback_writer: Arc<crate::signals::writer::FeedbackWriter>,
    /// Rendered public pages.
    pub cache: Arc<PageCache>,
    /// Searches a minute per client, shared by every instance.
    pub search_limit: Arc<crate::signals::ratelimit::SharedLimit>,
    /// Editor API calls a minute per token (per client address without one), shared by every
    /// instance.
    pub api_limit: Arc<crate::signals::ratelimit::SharedLimit>,
    /// Story pages' rows, read in batches under load.
    pub stories: Arc<crate::db::batch::StoryReads>,
    /// Served image files, kept apart from the pages.
    pub media_cache: Arc<PageCache>,
    /// Where image bytes are kept.
    pub blobs: Arc<dyn crate::media::store::BlobStore>,
}

impl AppState {
    pub fn new(config: Config, pool: PgPool) -> Self {
        let cache = PageCache::new(config.cache_bytes, config.cache_ttl).counted_as("pages");
        // Files at content-hashed addresses never change: a day, then memory decides.
        let media_cache = PageCache::new(
            config.media_cache_bytes,
            std::time::Duration::from_secs(24 * 3600),
        )
        .counted_as("media");
        Self {
            media_cache: Arc::new(media_cache),
            blobs: Arc::new(crate::media::store::PgBlobs::new(pool.clone())),
            stories: crate::db::batch::StoryReads::new(crate::db::story_read_pool(&pool)),
            pool,
            cache: Arc::new(cache),
            feedback_keys: Arc::new(crate::signals::keys::FeedbackKeys::with_secret(
                config.secret_key.as_deref(),
            )),
            views: Arc::default(),
            feedback_writer: Arc::default(),
            search_limit: crate::signals::ratelimit::SharedLimit::new(
                "search",
                config.search_per_minute,
            ),
            api_limit: crate::signals::ratelimit::SharedLimit::new("api", config.api_per_minute),
            config: Arc::new(config),
        }
    }
}

impl AppState {
    /// What this instance does once a change has committed: it drops the pages the change
    /// alters at once (so the editor's next look is fresh; other instances hear of it through
    /// `crate::db::events`), and hands back the result.
    pub fn after_commit<T>(&self, committed: Committed<T>) -> T {
        for event in &committed.events {
            self.cache.evict_change(event);
        }
        committed.value
    }
}

impl AppState {
    /// The cache state of the image files' routes.
    pub fn media_cache_state(&self) -> CacheState {
        CacheState {
            cache: self.media_cache.clone(),
            views: self.views.clone(),
        }
    }
}

impl FromRef<AppState> for CacheState {
    fn from_ref(state: &AppState) -> Self {
        Self {
            cache: state.cache.clone(),
            views: state.views.clone(),
        }
    }
}

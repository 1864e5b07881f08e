//! The store of rendered pages: compressed copies bounded by bytes and age, evicted by key, with
//! a generation that keeps a page rendered before an eviction from being stored after it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderValue;
use uuid::Uuid;

use crate::domain::events::ChangeEvent;

/// One rendered page, kept compressed: nearly every client (browsers, CDNs) accepts gzip or
/// brotli. The uncompressed page is kept too once a client asks for it without an encoding (a
/// script, a monitor), so only pages such clients read pay for a third copy; 10,000 story pages
/// take about 50 MB instead of 130 MB.
#[derive(Debug, Clone)]
pub struct Entry {
    pub(super) content_type: HeaderValue,
    pub(super) gzip: Bytes,
    pub(super) brotli: Bytes,
    /// The page itself, once asked for without an encoding.
    pub(super) identity: Option<Bytes>,
    /// Strong ETags of the identity body and of the compressed variants (`-gz`, `-br`).
    pub(super) etag: HeaderValue,
    pub(super) etag_gzip: HeaderValue,
    pub(super) etag_brotli: HeaderValue,
    pub(super) surrogate_key: HeaderValue,
    pub(super) keys: Vec<String>,
    pub(super) view_of: Option<Uuid>,
    /// A file kept as it is (`identity`), never compressed, cached for a year.
    pub(super) immutable: bool,
    /// The request series of the route template the page was rendered under: a hit counts
    /// there too.
    pub(super) route: Option<&'static crate::metrics::RouteSeries>,
}

impl Entry {
    pub(super) fn weight(&self, key: &str) -> u32 {
        let identity = self.identity.as_ref().map_or(0, Bytes::len);
        let bytes = key.len() + self.gzip.len() + self.brotli.len() + identity + 256;
        u32::try_from(bytes).unwrap_or(u32::MAX)
    }
}

/// The cache: bounded by bytes, each page kept at most `ttl`.
pub struct PageCache {
    pub(super) pages: Option<moka::sync::Cache<String, Arc<Entry>>>,
    /// Bumped by every eviction, so that a page rendered before an eviction is not stored
    /// after it (it may show the state before the change).
    pub(super) generation: AtomicU64,
    /// `dateline_page_cache_requests_total` of this cache, resolved once.
    pub(super) counters: Option<&'static crate::metrics::CacheCounters>,
}

impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageCache")
            .field("enabled", &self.pages.is_some())
            .field("entries", &self.entry_count())
            .finish()
    }
}

impl PageCache {
    /// A cache of at most `bytes` (0: no cache; pages still get ETags and `304`s).
    pub fn new(bytes: u64, ttl: Duration) -> Self {
        let pages = (bytes > 0).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(bytes)
                .weigher(|key: &String, entry: &Arc<Entry>| entry.weight(key))
                .time_to_live(ttl)
                .build()
        });
        Self {
            pages,
            generation: AtomicU64::new(0),
            counters: None,
        }
    }

    /// Counts this cache's hits and misses as `cache="<name>"` (with the metrics recorder
    /// installed).
    pub fn counted_as(mut self, name: &'static str) -> Self {
        self.counters = Some(crate::metrics::cache_counters(name));
        self
    }

    pub fn enabled(&self) -> bool {
        self.pages.is_some()
    }

    pub fn entry_count(&self) -> u64 {
        self.pages.as_ref().map_or(0, |p| {
            p.run_pending_tasks();
            p.entry_count()
        })
    }

    pub(super) fn get(&self, key: &str) -> Option<Arc<Entry>> {
        self.pages.as_ref()?.get(key)
    }

    pub(super) fn store(&self, key: String, entry: Arc<Entry>, generation: u64) {
        if let Some(pages) = &self.pages
            && self.generation.load(Ordering::Acquire) == generation
        {
            pages.insert(key, entry);
        }
    }

    /// Drops every page carrying any of `keys`.
    pub fn evict_keys(&self, keys: &[String]) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        let Some(pages) = &self.pages else { return };
        let doomed: Vec<Arc<String>> = pages
            .iter()
            .filter(|(_, entry)| entry.keys.iter().any(|k| keys.contains(k)))
            .map(|(key, _)| key)
            .collect();
        for key in doomed {
            pages.invalidate(key.as_str());
        }
    }

    /// Drops the pages a change can alter ([`super::tags::keys_for`]).
    pub fn evict_change(&self, event: &ChangeEvent) {
        self.evict_keys(&super::tags::keys_for(event));
    }

    /// Drops everything.
    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Some(pages) = &self.pages {
            pages.invalidate_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::tags::CacheTags;

    #[test]
    fn eviction_is_by_tag_and_a_stale_render_is_not_stored() {
        let cache = PageCache::new(1 << 20, Duration::from_secs(60));
        let page = |keys: &[&str]| {
            Arc::new(Entry {
                content_type: HeaderValue::from_static("text/html"),
                gzip: Bytes::new(),
                brotli: Bytes::new(),
                identity: None,
                etag: HeaderValue::from_static("\"1\""),
                etag_gzip: HeaderValue::from_static("\"1-gz\""),
                etag_brotli: HeaderValue::from_static("\"1-br\""),
                surrogate_key: HeaderValue::from_static(""),
                keys: keys.iter().map(|k| (*k).to_owned()).collect(),
                view_of: None,
                immutable: false,
                route: None,
            })
        };
        let id = Uuid::now_v7();
        let sibling = Uuid::now_v7();
        let other = Uuid::now_v7();
        let topic_page = |slug: &str| CacheTags::topic_page(slug).keys;
        let keys = |tags: CacheTags| tags.keys;
        let store_all = |cache: &PageCache| {
            let g = cache.generation.load(Ordering::Acquire);
            let pages: [(&str, Vec<String>); 7] = [
                ("/a", keys(CacheTags::story(id, ["heart"], ["ana"], []))),
                (
                    "/sibling",
                    keys(CacheTags::story(sibling, ["heart"], [], [other])),
                ),
                ("/b", keys(CacheTags::story(other, ["skin"], [], []))),
                ("/topics/heart", topic_page("heart")),
                ("/topics/skin", topic_page("skin")),
                ("/", vec!["list".into()]),
                ("/people/ana", CacheTags::person_page("ana").keys),
            ];
            for (path, keys) in pages {
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                cache.store(path.into(), page(&keys), g);
            }
        };
        let cached = |cache: &PageCache| {
            [
                "/a",
                "/sibling",
                "/b",
                "/topics/heart",
                "/topics/skin",
                "/",
                "/people/ana",
            ]
            .into_iter()
            .filter(|path| cache.get(path).is_some())
            .collect::<Vec<_>>()
        };
        // A story edit: its page, its topics' lists and the lists; not the other stories on
        // its topic, nor other topics' pages.
        store_all(&cache);
        cache.evict_change(
            &ChangeEvent::story(id, "update", vec![], vec!["heart".into()])
                .crediting(vec!["ana".into()]),
        );
        assert_eq!(cached(&cache), ["/sibling", "/b", "/topics/skin"]);
        // A topic renamed: every page showing it, and the lists.
        store_all(&cache);
        cache.evict_change(&ChangeEvent::topic("topic.update", vec!["heart".into()]));
        assert_eq!(cached(&cache), ["/b", "/topics/skin", "/people/ana"]);
        // A person renamed: the pages naming them, not the lists that do not.
        store_all(&cache);
        cache.evict_change(&ChangeEvent::person("person.update", vec!["ana".into()]));
        assert_eq!(
            cached(&cache),
            ["/sibling", "/b", "/topics/heart", "/topics/skin", "/"]
        );
        // A story linked from another's page (related, newer story): that page goes too.
        store_all(&cache);
        cache.evict_change(&ChangeEvent::story(other, "update", vec![], vec![]));
        assert_eq!(
            cached(&cache),
            ["/a", "/topics/heart", "/topics/skin", "/people/ana"]
        );
        let g = cache.generation.load(Ordering::Acquire);
        cache.evict_change(&ChangeEvent::story(id, "update", vec![], vec![]));
        // Rendered before that eviction: not stored.
        cache.store("/late".into(), page(&["list"]), g);
        assert!(cache.get("/late").is_none());
    }
}

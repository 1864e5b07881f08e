//! The rendered-page cache of public pages, and the HTTP caching around it.
//!
//! Handlers of cacheable pages attach [`CacheTags`] to their `200` answers ([`tags`]). The
//! [`http::serve`] middleware then keeps the page as gzip and brotli copies ([`encoding`]) with
//! a strong ETag and the tags, keyed by path and query ([`store`]), and answers later requests
//! (and `304`s) without the handler; the front of the stack answers most hits even earlier
//! (`crate::web::front`). Change events evict precisely by tag ([`invalidate`]), and purge the
//! same keys from a Varnish in front ([`purge`]).

pub mod encoding;
pub mod http;
pub mod invalidate;
pub mod purge;
pub mod store;
pub mod tags;

use std::sync::Arc;

pub use store::PageCache;
pub use tags::CacheTags;

use crate::signals::views::ViewCounter;

/// `Cache-Control` of cacheable public pages: browsers revalidate every time (a cheap `304`
/// from the ETag), so a correction or an archive banner shows at once, even to an editor who
/// just looked at the page; shared caches (a CDN) keep them ten minutes and may serve a stale
/// copy for another minute while they refetch. A CDN that purges by `Surrogate-Key` can keep
/// them longer.
pub const PUBLIC_CACHE_CONTROL: &str = "public, max-age=0, s-maxage=600, stale-while-revalidate=60";
/// `Cache-Control` of files at content-hashed addresses (image renditions): they never change.
pub const IMMUTABLE_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of admin, API, preview and form answers.
pub const NO_STORE: &str = "no-store";

/// What the cache and its middleware use of the application's state: the pages, and the
/// counter of story views (a cached story page still counts one).
#[derive(Debug, Clone)]
pub struct CacheState {
    pub cache: Arc<PageCache>,
    pub views: Arc<ViewCounter>,
}

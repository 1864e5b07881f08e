//! The rendered-page cache of public pages, and the HTTP caching around it.
//!
//! Handlers of cacheable pages attach [`CacheTags`] to their `200` answers. The [`serve`]
//! middleware then keeps the bytes with gzip and brotli variants, a strong ETag and the tags,
//! keyed by path and query, and answers later requests (and `304`s) without the handler.
//! Editorial change events evict precisely by tag: from this instance's own writes at once
//! ([`evict_after_write`]), and from every instance's writes through PostgreSQL `NOTIFY`
//! ([`spawn_listener`]), which drops everything after a reconnect since notifications sent while
//! disconnected are lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use crate::app::AppState;
use crate::service::events::{CHANNEL, ChangeEvent};
use crate::signals::views::ViewCounter;

/// `Cache-Control` of cacheable public pages: browsers revalidate every time (a cheap `304`
/// from the ETag), so a correction or an archive banner shows at once, even to an editor who
/// just looked at the page; shared caches (a CDN) keep them ten minutes and may serve a stale
/// copy for another minute while they refetch. A CDN that purges by `Surrogate-Key` can keep
/// them longer.
pub const PUBLIC_CACHE_CONTROL: &str = "public, max-age=0, s-maxage=600, stale-while-revalidate=60";
/// `Cache-Control` of admin, API, preview and form answers.
pub const NO_STORE: &str = "no-store";

/// What a cacheable page shows, as surrogate keys, and the story whose views a cached copy
/// should count. The keys, sent in `Surrogate-Key` so that a CDN can purge as precisely as
/// this cache evicts:
///
/// - `article-<id>`: the story's own page;
/// - `topic-<slug>`: every page showing the topic's name or description (its topic page and
///   feed, and the pages of the stories on it);
/// - `list-topic-<slug>`: the pages listing the topic's stories (its topic page and feed);
/// - `list` (front page, all stories, archive, topic index), `feed`, `sitemap`,
///   `corrections`, `robots`.
#[derive(Debug, Clone, Default)]
pub struct CacheTags {
    pub keys: Vec<String>,
    pub view_of: Option<Uuid>,
}

impl CacheTags {
    pub fn new<I: IntoIterator<Item = String>>(keys: I) -> Self {
        Self {
            keys: keys.into_iter().collect(),
            view_of: None,
        }
    }

    /// A story page: its key and the keys of the topics it links to; its views are counted
    /// on every cached answer.
    pub fn story<'a>(id: Uuid, topics: impl IntoIterator<Item = &'a str>) -> Self {
        let mut keys = vec![article_key(id)];
        keys.extend(topics.into_iter().map(topic_key));
        Self {
            keys,
            view_of: Some(id),
        }
    }

    /// Attaches the tags to a response, which makes it cacheable.
    pub fn attach(self, mut response: Response) -> Response {
        response.extensions_mut().insert(self);
        response
    }
}

pub fn article_key(id: Uuid) -> String {
    format!("article-{id}")
}

pub fn topic_key(slug: &str) -> String {
    format!("topic-{slug}")
}

/// The key of the pages listing a topic's stories. No topic key can take this form: those
/// begin with `topic-`.
pub fn topic_list_key(slug: &str) -> String {
    format!("list-topic-{slug}")
}

/// The tags of pages known from their path alone; story pages attach their own.
fn tags_for_path(path: &str) -> Option<CacheTags> {
    let keys = match path {
        "/" | "/research-news" | "/research-news/" | "/archive" | "/topics" => vec!["list".into()],
        "/feed.xml" => vec!["feed".into()],
        "/sitemap.xml" | "/news-sitemap.xml" => vec!["sitemap".into()],
        "/robots.txt" => vec!["robots".into()],
        "/corrections" => vec!["corrections".into()],
        _ if path.starts_with("/sitemaps/") => vec!["sitemap".into()],
        _ => {
            let topic = path.strip_prefix("/topics/")?;
            let (slug, feed) = match topic.strip_suffix("/feed.xml") {
                Some(slug) => (slug, true),
                None if !topic.contains('/') => (topic, false),
                None => return None,
            };
            let mut keys = vec![topic_key(slug), topic_list_key(slug)];
            if feed {
                keys.push("feed".into());
            }
            keys
        }
    };
    Some(CacheTags::new(keys))
}

/// One rendered page, kept compressed: nearly every client (browsers, CDNs) accepts gzip or
/// brotli. The uncompressed page is kept too once a client asks for it without an encoding (a
/// script, a monitor), so only pages such clients read pay for a third copy; 10,000 story pages
/// take about 50 MB instead of 130 MB.
#[derive(Debug, Clone)]
pub struct Entry {
    content_type: HeaderValue,
    gzip: Bytes,
    brotli: Bytes,
    /// The page itself, once asked for without an encoding.
    identity: Option<Bytes>,
    /// Strong ETags of the identity body and of the compressed variants (`-gz`, `-br`).
    etag: HeaderValue,
    etag_gzip: HeaderValue,
    etag_brotli: HeaderValue,
    surrogate_key: HeaderValue,
    keys: Vec<String>,
    view_of: Option<Uuid>,
}

impl Entry {
    fn weight(&self, key: &str) -> u32 {
        let identity = self.identity.as_ref().map_or(0, Bytes::len);
        let bytes = key.len() + self.gzip.len() + self.brotli.len() + identity + 256;
        u32::try_from(bytes).unwrap_or(u32::MAX)
    }
}

/// The cache: bounded by bytes, each page kept at most `ttl`.
pub struct PageCache {
    pages: Option<moka::sync::Cache<String, Arc<Entry>>>,
    /// Bumped by every eviction, so that a page rendered before an eviction is not stored
    /// after it (it may show the state before the change).
    generation: AtomicU64,
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
        }
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

    fn get(&self, key: &str) -> Option<Arc<Entry>> {
        self.pages.as_ref()?.get(key)
    }

    fn store(&self, key: String, entry: Arc<Entry>, generation: u64) {
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

    /// Drops the pages a change can alter (see [`ChangeEvent::purge_keys`]).
    pub fn evict_change(&self, event: &ChangeEvent) {
        self.evict_keys(&event.purge_keys());
    }

    /// Drops everything.
    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Some(pages) = &self.pages {
            pages.invalidate_all();
        }
    }
}

/// The page's 128-bit XXH3 hash: a strong validator only has to change whenever the bytes do,
/// and XXH3 does that at memory speed (SHA-256 was 4 % of an uncached page's time). It is not a
/// cryptographic hash; nobody gains by making two versions of one URL's page collide.
fn strong_etag(body: &[u8]) -> String {
    format!("\"{:032x}\"", xxhash_rust::xxh3::xxh3_128(body))
}

/// How hard to compress: a page kept for minutes and sent many times is worth a slower, smaller
/// encoding; one sent once (the cache is off) is not: there the fastest levels (gzip 1, as
/// nginx's default; brotli 1, which still came out smaller than gzip 1 on a story page and
/// served 11,700 pages a second against 6,800 at brotli 4) cost a fraction of the time.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Effort {
    Kept = 0,
    Once = 1,
}

thread_local! {
    /// One libdeflate compressor per thread and effort, kept for the thread's life: a fresh one
    /// is a few hundred kilobytes, and allocated and freed for every page between the cache's
    /// long-lived copies, such states fragmented the heap (2 GB resident with 10,000 pages
    /// cached, against 82 MB).
    static GZIP: std::cell::RefCell<[libdeflater::Compressor; 2]> = std::cell::RefCell::new([
        libdeflater::Compressor::new(libdeflater::CompressionLvl::new(6).unwrap_or_default()),
        // Not `CompressionLvl::fastest()`: that is level 0, which stores without compressing.
        libdeflater::Compressor::new(libdeflater::CompressionLvl::new(1).unwrap_or_default()),
    ]);
}

/// The gzip member (RFC 1952) of `body`, made by libdeflate, which compresses a whole buffer
/// (all a page is) at once: on the bench's 8 KB story page its level 1 gives 2,673 bytes where
/// zlib-rs gave 3,526, in about the same time (24 µs), and its level 6 takes 38 µs where
/// zlib-rs took 65 µs (docs/BENCHMARKS.md).
fn gzip(body: &[u8], effort: Effort) -> Bytes {
    GZIP.with_borrow_mut(|compressors| {
        let compressor = &mut compressors[effort as usize];
        let mut out = vec![0; compressor.gzip_compress_bound(body.len())];
        // The bound always fits; were it ever short, the page goes out stored, uncompressed.
        let written = compressor.gzip_compress(body, &mut out).unwrap_or(0);
        if written == 0 {
            return stored_gzip(body);
        }
        out.truncate(written);
        exact(out, effort)
    })
}

/// `body` as a gzip member without compression (level 0).
fn stored_gzip(body: &[u8]) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
    let _ = std::io::Write::write_all(&mut encoder, body);
    Bytes::from(encoder.finish().unwrap_or_default())
}

/// The compressed bytes as they are sent: a copy kept for minutes is copied to its exact size,
/// without the buffer's growth slack; one sent once is not copied.
fn exact(out: Vec<u8>, effort: Effort) -> Bytes {
    match effort {
        Effort::Kept => Bytes::copy_from_slice(&out),
        Effort::Once => Bytes::from(out),
    }
}

fn gunzip(body: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(body.len() * 4);
    // Our own gzip output: it decodes.
    let _ = std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(body), &mut out);
    Bytes::from(out)
}

fn brotli(body: &[u8], effort: Effort) -> Bytes {
    let mut out = Vec::new();
    // A 128 KiB window covers any page; the default 4 MiB one only costs memory.
    let params = brotli::enc::BrotliEncoderParams {
        quality: match effort {
            Effort::Kept => 6,
            Effort::Once => 1,
        },
        lgwin: 17,
        ..Default::default()
    };
    let _ = brotli::BrotliCompress(&mut &body[..], &mut out, &params);
    exact(out, effort)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Coding {
    Identity,
    Gzip,
    Brotli,
}

/// The best coding the client accepts (brotli, then gzip); `q=0` refuses one.
fn negotiate(headers: &HeaderMap) -> Coding {
    let Some(accept) = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return Coding::Identity;
    };
    let accepts = |name: &str| {
        accept.split(',').any(|part| {
            let mut pieces = part.split(';');
            let coding = pieces.next().unwrap_or("").trim();
            let refused = pieces.any(|p| {
                let p = p.trim().replace(' ', "");
                p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
            });
            coding.eq_ignore_ascii_case(name) && !refused
        })
    };
    if accepts("br") {
        Coding::Brotli
    } else if accepts("gzip") {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

fn if_none_match_hits(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag == etag || tag.strip_prefix("W/") == Some(etag))
}

/// Answers from an entry: the negotiated variant, or `304` when the client has it. `identity`
/// is the uncompressed page when the caller still has it (a fresh render).
fn respond(
    entry: &Entry,
    identity: Option<&Bytes>,
    request_headers: &HeaderMap,
    head: bool,
) -> Response {
    let coding = negotiate(request_headers);
    let (etag, encoding) = match coding {
        Coding::Brotli => (&entry.etag_brotli, Some("br")),
        Coding::Gzip => (&entry.etag_gzip, Some("gzip")),
        Coding::Identity => (&entry.etag, None),
    };
    let not_modified = if_none_match_hits(request_headers, etag.to_str().unwrap_or_default());
    let body = if not_modified {
        Bytes::new()
    } else {
        match coding {
            Coding::Brotli => entry.brotli.clone(),
            Coding::Gzip => entry.gzip.clone(),
            Coding::Identity => identity
                .or(entry.identity.as_ref())
                .cloned()
                .unwrap_or_else(|| gunzip(&entry.gzip)),
        }
    };
    let length = body.len();
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else if head {
        Response::new(Body::empty())
    } else {
        Response::new(Body::from(body))
    };
    let headers = response.headers_mut();
    // Room for these, the security headers, the request id and the length the layers above
    // add, so that the map never grows (and rehashes) on the way out.
    headers.reserve(16);
    headers.insert(header::ETAG, etag.clone());
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(PUBLIC_CACHE_CONTROL),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    headers.insert("surrogate-key", entry.surrogate_key.clone());
    if !not_modified {
        headers.insert(header::CONTENT_TYPE, entry.content_type.clone());
        if let Some(encoding) = encoding {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        if head {
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        }
    }
    response
}

/// The key of a page: its path, and its query when it has one.
fn cache_key(uri: &Uri) -> std::borrow::Cow<'_, str> {
    match uri.query() {
        Some(query) => format!("{}?{query}", uri.path()).into(),
        None => uri.path().into(),
    }
}

/// The answer to a `GET` or `HEAD` of a page the cache holds (a `304` when the client has it),
/// counting a story's view; `None` when the request has to reach the handlers. Shared by the
/// [`serve`] middleware and the front of the stack ([`crate::web::front`]).
pub fn answer_hit(
    cache: &PageCache,
    views: &ViewCounter,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Option<Response> {
    let head = method == Method::HEAD;
    if (method != Method::GET && !head) || !cacheable_query(uri.query()) {
        return None;
    }
    let key = cache_key(uri);
    let generation = cache.generation.load(Ordering::Acquire);
    let mut entry = cache.get(&key)?;
    count_view(views, &entry, headers);
    if entry.identity.is_none()
        && negotiate(headers) == Coding::Identity
        && !if_none_match_hits(headers, entry.etag.to_str().unwrap_or_default())
    {
        // Inflated once, then kept: the next such client gets it as fast as a gzip one.
        let mut with_identity = Entry::clone(&entry);
        with_identity.identity = Some(gunzip(&entry.gzip));
        entry = Arc::new(with_identity);
        cache.store(key.into_owned(), entry.clone(), generation);
    }
    Some(respond(&entry, None, headers, head))
}

fn count_view(views: &ViewCounter, entry: &Entry, headers: &HeaderMap) {
    if let Some(id) = entry.view_of {
        let user_agent = headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if crate::domain::feedback::browser_family(user_agent) != "Bot or script" {
            views.record(id);
        }
    }
}

fn cacheable_query(query: Option<&str>) -> bool {
    query.is_none_or(|q| {
        q.split('&').all(|pair| {
            pair == "feedback=thanks"
                || pair.strip_prefix("page=").is_some_and(|n| {
                    !n.is_empty() && n.len() <= 7 && n.bytes().all(|b| b.is_ascii_digit())
                })
        })
    })
}

/// Middleware for the cacheable public routes.
pub async fn serve(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let head = request.method() == Method::HEAD;
    if request.method() != Method::GET && !head {
        return next.run(request).await;
    }
    // Only the query parameters our pages use make a page of their own: anything else (tracking
    // tags, random junk) is rendered but never stored, so it cannot flood the cache.
    if !cacheable_query(request.uri().query()) {
        return next.run(request).await;
    }
    let cache = &state.cache;
    if let Some(response) = answer_hit(
        cache,
        &state.views,
        request.method(),
        request.uri(),
        request.headers(),
    ) {
        return response;
    }
    let key = cache_key(request.uri()).into_owned();
    let generation = cache.generation.load(Ordering::Acquire);
    let path = request.uri().path().to_owned();
    let request_headers = request.headers().clone();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let Some(tags) = response
        .extensions()
        .get::<CacheTags>()
        .cloned()
        .or_else(|| tags_for_path(&path))
    else {
        return response;
    };
    let (parts, body) = response.into_parts();
    let identity = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::error!(error = %err, "could not read a rendered page");
            return crate::error::AppError::Internal(anyhow::anyhow!("unreadable page body"))
                .into_response();
        }
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or(HeaderValue::from_static("text/html; charset=utf-8"));
    let etag = strong_etag(&identity);
    let coding = negotiate(&request_headers);
    // Without a cache only the variant asked for is made, quickly.
    let effort = if cache.enabled() {
        Effort::Kept
    } else {
        Effort::Once
    };
    let gzip = if cache.enabled() || coding == Coding::Gzip {
        gzip(&identity, effort)
    } else {
        Bytes::new()
    };
    let brotli = if cache.enabled() || coding == Coding::Brotli {
        brotli(&identity, effort)
    } else {
        Bytes::new()
    };
    let variant = |suffix: &str| {
        HeaderValue::from_str(&format!("{}{suffix}\"", etag.trim_end_matches('"')))
            .unwrap_or(HeaderValue::from_static("\"\""))
    };
    let entry = Entry {
        content_type,
        // Kept when the client that made the page asked for it as it is.
        identity: (coding == Coding::Identity).then(|| identity.clone()),
        etag_gzip: variant("-gz"),
        etag_brotli: variant("-br"),
        etag: variant(""),
        gzip,
        brotli,
        surrogate_key: HeaderValue::from_str(&tags.keys.join(" "))
            .unwrap_or(HeaderValue::from_static("")),
        keys: tags.keys,
        view_of: tags.view_of,
    };
    let response = respond(&entry, Some(&identity), &request_headers, head);
    cache.store(key, Arc::new(entry), generation);
    response
}

/// Middleware for editorial API and admin routes: after a successful write, drop the pages
/// it can have changed on this instance at once (other instances hear it through `NOTIFY`).
pub async fn evict_after_write(
    State(state): State<AppState>,
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
                state.cache.evict_change(&ChangeEvent {
                    article_id: Some(id),
                    action: "write".into(),
                    slugs: Vec::new(),
                    topics: Vec::new(),
                });
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
    fn evict_topic_lists(&self) {
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

/// Adds `Cache-Control: no-store` unless the answer set its own.
pub async fn no_store(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static(NO_STORE));
    response
}

/// Listens for change events from every instance and evicts what they touch. On a lost
/// connection it reconnects and drops the whole cache: events sent meanwhile are gone.
pub fn spawn_listener(pool: sqlx::PgPool, cache: Arc<PageCache>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
                Ok(listener) => listener,
                Err(err) => {
                    tracing::warn!(error = %err, "change listener could not connect; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if let Err(err) = listener.listen(CHANNEL).await {
                tracing::warn!(error = %err, "change listener could not LISTEN; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            // Anything may have changed while no one was listening.
            cache.clear();
            tracing::debug!("listening for change events");
            loop {
                match listener.try_recv().await {
                    Ok(Some(notification)) => {
                        match serde_json::from_str::<ChangeEvent>(notification.payload()) {
                            Ok(event) => cache.evict_change(&event),
                            Err(_) => cache.clear(),
                        }
                    }
                    // The connection is gone: notifications sent meanwhile are lost, so the
                    // cache is dropped once listening again. Until then cached pages keep
                    // being served (they are what readers would get from a CDN anyway), which
                    // keeps the site up while PostgreSQL is down.
                    Ok(None) => {
                        tracing::warn!("change listener lost its connection; reconnecting");
                        break;
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "change listener failed; reconnecting");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        break;
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn negotiation_prefers_brotli_and_honours_refusals() {
        assert!(negotiate(&headers(&[])) == Coding::Identity);
        assert!(negotiate(&headers(&[("accept-encoding", "gzip, deflate, br")])) == Coding::Brotli);
        assert!(negotiate(&headers(&[("accept-encoding", "gzip")])) == Coding::Gzip);
        assert!(negotiate(&headers(&[("accept-encoding", "br;q=0, gzip")])) == Coding::Gzip);
        assert!(negotiate(&headers(&[("accept-encoding", "identity")])) == Coding::Identity);
    }

    #[test]
    fn if_none_match_takes_lists_stars_and_weak_forms() {
        let tag = "\"abc\"";
        assert!(if_none_match_hits(
            &headers(&[("if-none-match", "\"x\", \"abc\"")]),
            tag
        ));
        assert!(if_none_match_hits(&headers(&[("if-none-match", "*")]), tag));
        assert!(if_none_match_hits(
            &headers(&[("if-none-match", "W/\"abc\"")]),
            tag
        ));
        assert!(!if_none_match_hits(
            &headers(&[("if-none-match", "\"abd\"")]),
            tag
        ));
    }

    #[test]
    fn only_known_query_parameters_make_cache_entries() {
        assert!(cacheable_query(None));
        assert!(cacheable_query(Some("page=2")));
        assert!(cacheable_query(Some("feedback=thanks")));
        assert!(!cacheable_query(Some("utm_source=x")));
        assert!(!cacheable_query(Some("page=2&x=1")));
        assert!(!cacheable_query(Some("page=abc")));
        assert!(!cacheable_query(Some("page=99999999")));
    }

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
            })
        };
        let id = Uuid::now_v7();
        let sibling = Uuid::now_v7();
        let other = Uuid::now_v7();
        let topic_page = |slug: &str| tags_for_path(&format!("/topics/{slug}")).unwrap().keys;
        let keys = |tags: CacheTags| tags.keys;
        let store_all = |cache: &PageCache| {
            let g = cache.generation.load(Ordering::Acquire);
            let pages: [(&str, Vec<String>); 6] = [
                ("/a", keys(CacheTags::story(id, ["heart"]))),
                ("/sibling", keys(CacheTags::story(sibling, ["heart"]))),
                ("/b", keys(CacheTags::story(other, ["skin"]))),
                ("/topics/heart", topic_page("heart")),
                ("/topics/skin", topic_page("skin")),
                ("/", vec!["list".into()]),
            ];
            for (path, keys) in pages {
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                cache.store(path.into(), page(&keys), g);
            }
        };
        let cached = |cache: &PageCache| {
            ["/a", "/sibling", "/b", "/topics/heart", "/topics/skin", "/"]
                .into_iter()
                .filter(|path| cache.get(path).is_some())
                .collect::<Vec<_>>()
        };
        // A story edit: its page, its topics' lists and the lists; not the other stories on
        // its topic, nor other topics' pages.
        store_all(&cache);
        cache.evict_change(&ChangeEvent {
            article_id: Some(id),
            action: "update".into(),
            slugs: vec![],
            topics: vec!["heart".into()],
        });
        assert_eq!(cached(&cache), ["/sibling", "/b", "/topics/skin"]);
        // A topic renamed: every page showing it, and the lists.
        store_all(&cache);
        cache.evict_change(&ChangeEvent::topic("topic.update", vec!["heart".into()]));
        assert_eq!(cached(&cache), ["/b", "/topics/skin"]);
        let g = cache.generation.load(Ordering::Acquire);
        cache.evict_change(&ChangeEvent {
            article_id: Some(id),
            action: "update".into(),
            slugs: vec![],
            topics: vec![],
        });
        // Rendered before that eviction: not stored.
        cache.store("/late".into(), page(&["list"]), g);
        assert!(cache.get("/late").is_none());
    }

    #[test]
    fn a_page_asked_for_without_an_encoding_is_inflated_once_then_kept() {
        let cache = PageCache::new(1 << 20, Duration::from_secs(60));
        let views = ViewCounter::default();
        let page = b"<p>The page itself.</p>".repeat(50);
        let gz = gzip(&page, Effort::Kept);
        let entry = Arc::new(Entry {
            content_type: HeaderValue::from_static("text/html"),
            brotli: brotli(&page, Effort::Kept),
            gzip: gz,
            identity: None,
            etag: HeaderValue::from_static("\"1\""),
            etag_gzip: HeaderValue::from_static("\"1-gz\""),
            etag_brotli: HeaderValue::from_static("\"1-br\""),
            surrogate_key: HeaderValue::from_static("list"),
            keys: vec!["list".into()],
            view_of: None,
        });
        cache.store("/".into(), entry, cache.generation.load(Ordering::Acquire));
        let uri: Uri = "/".parse().unwrap();
        let weight_before = cache.get("/").unwrap().weight("/");
        let answer = answer_hit(&cache, &views, &Method::GET, &uri, &headers(&[])).unwrap();
        assert!(answer.headers().get(header::CONTENT_ENCODING).is_none());
        let kept = cache.get("/").unwrap();
        assert_eq!(
            kept.identity.as_deref(),
            Some(&page[..]),
            "kept for the next one"
        );
        assert!(
            kept.weight("/") > weight_before,
            "and counted against the cache's memory"
        );
        // A client that accepts gzip does not make an identity copy.
        cache.clear();
    }

    #[test]
    fn both_efforts_decode_to_the_page_and_the_kept_one_is_smaller() {
        let page = "<p>About one in eleven women stayed in remission for three years.</p>\n"
            .repeat(200)
            .into_bytes();
        // Unlike `gunzip`, fails on a wrong CRC-32 or length in the trailer.
        let strict = |gz: &[u8]| {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz), &mut out).unwrap();
            out
        };
        let mut sizes = Vec::new();
        for effort in [Effort::Kept, Effort::Once] {
            let gz = gzip(&page, effort);
            assert_eq!(strict(&gz), page, "{effort:?} gzip");
            let br = brotli(&page, effort);
            let mut out = Vec::new();
            brotli::BrotliDecompress(&mut &br[..], &mut out).unwrap();
            assert_eq!(out, page, "{effort:?} brotli");
            // Both really compress (a stored copy would decode as well).
            assert!(gz.len() < page.len() / 4, "{effort:?}: {} bytes", gz.len());
            sizes.push(gz.len() + br.len());
            // The thread's deflate state is reset between pages: the same page twice gives
            // the same bytes, and an empty or incompressible one still decodes.
            assert_eq!(gzip(&page, effort), gz);
            assert!(strict(&gzip(b"", effort)).is_empty());
            let noise: Vec<u8> = (0..300_000u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect();
            assert_eq!(strict(&gzip(&noise, effort)), noise);
        }
        assert!(sizes[0] <= sizes[1], "{sizes:?}");
        assert_eq!(
            strict(&stored_gzip(&page)),
            page,
            "the fallback decodes too"
        );
    }
}

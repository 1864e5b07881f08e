//! The HTTP side of the cache: answering from a kept page (`304`s included) with the cache
//! headers a CDN reads, the middleware of cacheable routes that keeps what their handlers
//! render, and `no-store` for everything private.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::encoding::{Coding, Effort, brotli, gunzip, gzip, negotiate, strong_etag};
use super::store::{Entry, PageCache};
use super::tags::CacheTags;
use super::{CacheState, NO_STORE, PUBLIC_CACHE_CONTROL};
use crate::signals::views::ViewCounter;

/// Named once (a name given as a string is parsed on every insert).
const SURROGATE_KEY: HeaderName = HeaderName::from_static("surrogate-key");

pub(super) fn if_none_match_hits(headers: &HeaderMap, etag: &str) -> bool {
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
    if entry.immutable {
        return respond_file(entry, identity, request_headers, head);
    }
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
    headers.insert(SURROGATE_KEY, entry.surrogate_key.clone());
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

/// Answers a file kept as it is: the same bytes to every client, no `Vary`, cached for a
/// year (its address changes with its content).
fn respond_file(
    entry: &Entry,
    identity: Option<&Bytes>,
    request_headers: &HeaderMap,
    head: bool,
) -> Response {
    let not_modified = if_none_match_hits(request_headers, entry.etag.to_str().unwrap_or_default());
    let body = identity
        .or(entry.identity.as_ref())
        .cloned()
        .unwrap_or_default();
    let length = body.len();
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else if head {
        Response::new(Body::empty())
    } else {
        Response::new(Body::from(body))
    };
    let headers = response.headers_mut();
    headers.reserve(16);
    headers.insert(header::ETAG, entry.etag.clone());
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(super::IMMUTABLE_CACHE_CONTROL),
    );
    if !not_modified {
        headers.insert(header::CONTENT_TYPE, entry.content_type.clone());
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
/// counting a story's view, with the request series of the route the page was rendered under;
/// `None` when the request has to reach the handlers. Shared by the [`serve`] middleware and
/// the front of the stack ([`crate::web::front`]).
pub fn answer_hit(
    cache: &PageCache,
    views: &ViewCounter,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Option<(Response, Option<&'static crate::metrics::RouteSeries>)> {
    let head = method == Method::HEAD;
    if (method != Method::GET && !head) || !cacheable_query(uri.path(), uri.query()) {
        return None;
    }
    let key = cache_key(uri);
    let generation = cache.generation.load(Ordering::Acquire);
    let mut entry = cache.get(&key)?;
    count_view(views, &entry, headers);
    if !entry.immutable
        && entry.identity.is_none()
        && negotiate(headers) == Coding::Identity
        && !if_none_match_hits(headers, entry.etag.to_str().unwrap_or_default())
    {
        // Inflated once, then kept: the next such client gets it as fast as a gzip one.
        let mut with_identity = Entry::clone(&entry);
        with_identity.identity = Some(gunzip(&entry.gzip));
        entry = Arc::new(with_identity);
        cache.store(key.into_owned(), entry.clone(), generation);
    }
    if let Some(counters) = cache.counters {
        counters.hit();
    }
    Some((respond(&entry, None, headers, head), entry.route))
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

fn cacheable_query(path: &str, query: Option<&str>) -> bool {
    query.is_none_or(|q| {
        q.split('&').all(|pair| {
            pair == "feedback=thanks"
                || pair.strip_prefix("page=").is_some_and(|n| {
                    !n.is_empty() && n.len() <= 7 && n.bytes().all(|b| b.is_ascii_digit())
                })
                // A search in its normal form (`crate::web::public::search::canonical`).
                || (path == "/search"
                    && ["q=", "topic=", "archived=", "exact="]
                        .iter()
                        .any(|p| pair.starts_with(p)))
        })
    })
}

/// Middleware for the cacheable public routes.
pub async fn serve(State(state): State<CacheState>, request: Request, next: Next) -> Response {
    let head = request.method() == Method::HEAD;
    if request.method() != Method::GET && !head {
        return next.run(request).await;
    }
    // Only the query parameters our pages use make a page of their own: anything else (tracking
    // tags, random junk) is rendered but never stored, so it cannot flood the cache.
    if !cacheable_query(request.uri().path(), request.uri().query()) {
        return next.run(request).await;
    }
    let cache = &state.cache;
    // (The route series goes out with the answer from `crate::web::access::tag_route`.)
    if let Some((response, _)) = answer_hit(
        cache,
        &state.views,
        request.method(),
        request.uri(),
        request.headers(),
    ) {
        return response;
    }
    if let Some(counters) = cache.counters {
        counters.miss();
    }
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|path| crate::metrics::route(path.as_str()));
    let key = cache_key(request.uri()).into_owned();
    let generation = cache.generation.load(Ordering::Acquire);
    let request_headers = request.headers().clone();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    // A handler says what its page shows; a page without tags is not kept.
    let Some(tags) = response.extensions().get::<CacheTags>().cloned() else {
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
    if tags.immutable {
        let entry = Entry {
            content_type,
            identity: Some(identity.clone()),
            etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\"")),
            etag_gzip: HeaderValue::from_static(""),
            etag_brotli: HeaderValue::from_static(""),
            gzip: Bytes::new(),
            brotli: Bytes::new(),
            surrogate_key: HeaderValue::from_str(&tags.keys.join(" "))
                .unwrap_or(HeaderValue::from_static("")),
            keys: tags.keys,
            view_of: None,
            immutable: true,
            route,
        };
        let response = respond(&entry, Some(&identity), &request_headers, head);
        cache.store(key, Arc::new(entry), generation);
        return response;
    }
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
        immutable: false,
        route,
    };
    let response = respond(&entry, Some(&identity), &request_headers, head);
    cache.store(key, Arc::new(entry), generation);
    response
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
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
        assert!(cacheable_query("/", None));
        assert!(cacheable_query("/", Some("page=2")));
        assert!(cacheable_query("/", Some("feedback=thanks")));
        assert!(!cacheable_query("/", Some("utm_source=x")));
        assert!(!cacheable_query("/", Some("page=2&x=1")));
        assert!(!cacheable_query("/", Some("page=abc")));
        assert!(!cacheable_query("/", Some("page=99999999")));
        assert!(!cacheable_query("/topics", Some("q=x")));
        assert!(cacheable_query(
            "/search",
            Some("q=x&topic=heart&archived=true&exact=1&page=2")
        ));
        assert!(!cacheable_query("/search", Some("q=x&utm_source=y")));
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
            immutable: false,
            route: None,
        });
        cache.store("/".into(), entry, cache.generation.load(Ordering::Acquire));
        let uri: Uri = "/".parse().unwrap();
        let weight_before = cache.get("/").unwrap().weight("/");
        let (answer, _) = answer_hit(&cache, &views, &Method::GET, &uri, &headers(&[])).unwrap();
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
}

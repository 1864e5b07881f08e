//! Application state and the router with its middleware stack, in one readable function.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, header};
use axum::routing::get;
use sqlx::PgPool;
use tower::ServiceBuilder;
use tower::util::MapResponseLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::Config;

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
    pub cache: Arc<crate::cache::PageCache>,
    /// Where the recent part of a search starts.
    pub search_window: Arc<crate::db::search::RecentWindow>,
    /// Story pages' rows, read in batches under load.
    pub stories: Arc<crate::db::batch::StoryReads>,
}

impl AppState {
    pub fn new(config: Config, pool: PgPool) -> Self {
        let cache = crate::cache::PageCache::new(config.cache_bytes, config.cache_ttl);
        Self {
            stories: crate::db::batch::StoryReads::new(crate::db::story_read_pool(&pool)),
            pool,
            cache: Arc::new(cache),
            feedback_keys: Arc::new(crate::signals::keys::FeedbackKeys::with_secret(
                config.secret_key.as_deref(),
            )),
            views: Arc::default(),
            feedback_writer: Arc::default(),
            search_window: Arc::default(),
            config: Arc::new(config),
        }
    }
}

/// The Content-Security-Policy of every answer: nothing inline, nothing from elsewhere but
/// images in story bodies.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' https:; font-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Powerful browser features no page of ours uses.
pub const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), \
     usb=(), browsing-topics=()";

/// HSTS, sent when the base URL is https: two years, subdomains included.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=63072000; includeSubDomains";

/// How long one request may take before it is answered 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Request ids: a random prefix per process and a counter, unique across instances without a
/// call to the system's random source on every request (a UUID v4 each cost a syscall).
#[derive(Debug, Clone)]
pub struct RequestIds {
    prefix: Arc<str>,
    next: Arc<std::sync::atomic::AtomicU64>,
}

impl Default for RequestIds {
    fn default() -> Self {
        let prefix = uuid::Uuid::new_v4().simple().to_string();
        Self {
            prefix: Arc::from(&prefix[..12]),
            next: Arc::default(),
        }
    }
}

impl RequestIds {
    /// The next id.
    pub fn next_id(&self) -> Option<HeaderValue> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // The formatted string becomes the header's bytes as it is (no copy).
        HeaderValue::from_maybe_shared(axum::body::Bytes::from(format!("{}-{n:x}", self.prefix)))
            .ok()
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        self.next_id().map(RequestId::new)
    }
}

/// The security headers of every answer. The Content-Security-Policy is a default a handler
/// may replace; the others always win.
#[derive(Debug, Clone)]
pub struct SecurityHeaders(Arc<HeaderMap>);

impl SecurityHeaders {
    pub fn new(config: &Config) -> Self {
        let mut headers = HeaderMap::with_capacity(8);
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static(PERMISSIONS_POLICY),
        );
        // Browsers that once reached the site over https never try plain http again.
        if config.base_url.starts_with("https://") {
            headers.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
            );
        }
        Self(Arc::new(headers))
    }

    /// Adds the headers to an answer.
    pub fn apply(&self, headers: &mut HeaderMap) {
        for (name, value) in self.0.iter() {
            if name == header::CONTENT_SECURITY_POLICY && headers.contains_key(name) {
                continue;
            }
            headers.insert(name.clone(), value.clone());
        }
    }
}

/// The whole application: the cache front ([`crate::web::front`]) over the router with its
/// middleware stack.
pub fn build_app(state: AppState) -> App {
    let security = SecurityHeaders::new(&state.config);
    let ids = RequestIds::default();
    let front = crate::web::front::Front::new(&state, security.clone(), ids.clone());
    front.wrap(router_with(state, security, ids))
}

/// The router with its middleware stack, without the cache front (tests that rewrite
/// answers wrap this one).
pub fn build_router(state: AppState) -> Router {
    let security = SecurityHeaders::new(&state.config);
    router_with(state, security, RequestIds::default())
}

/// What [`build_app`] makes: a `tower::Service` of HTTP requests.
pub type App = crate::web::front::CacheFront<Router>;

/// Routes, then (outermost last) security headers, time-out, panic catching, request ids and
/// tracing.
fn router_with(state: AppState, security: SecurityHeaders, ids: RequestIds) -> Router {
    let x_request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(crate::web::api::routes(state.clone()))
        .merge(crate::web::admin::routes(state.clone()))
        .merge(crate::web::public::routes(state.clone()))
        .merge(crate::web::health::routes())
        .route("/assets/{*path}", get(crate::assets::serve_asset))
        .fallback(crate::web::not_found)
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(x_request_id.clone(), ids))
                .layer(
                    TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                        let request_id = request
                            .headers()
                            .get("x-request-id")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-");
                        tracing::info_span!(
                            "request",
                            method = %request.method(),
                            path = %request.uri().path(),
                            request_id,
                        )
                    }),
                )
                .layer(PropagateRequestIdLayer::new(x_request_id))
                .layer(MapResponseLayer::new(
                    move |mut response: axum::http::Response<_>| {
                        security.apply(response.headers_mut());
                        response
                    },
                ))
                .layer(CatchPanicLayer::custom(crate::error::panic_response))
                .layer(axum::middleware::from_fn(
                    crate::web::limits::complete_unavailable,
                ))
                .layer(axum::middleware::from_fn(crate::web::limits::header_limits))
                .layer(TimeoutLayer::with_status_code(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    REQUEST_TIMEOUT,
                )),
        )
}

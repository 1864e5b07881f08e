//! What every answer carries: the security headers and a request id. Shared by the middleware
//! stack (`crate::app`) and the cache front, which answers hits before that stack runs.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, header};
use tower_http::request_id::{MakeRequestId, RequestId};

use crate::config::Config;

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

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
}

impl Default for RequestIds {
    fn default() -> Self {
        let prefix = uuid::Uuid::new_v4().simple().to_string();
        Self {
            prefix: Arc::from(&prefix[..12]),
        }
    }
}

/// Numbers taken from [`NEXT_ID`] by each thread at a time, so that the HTTP threads do not
/// share one counter's cache line on every request (`crate::slots`).
const ID_BLOCK: u64 = 1024;
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl RequestIds {
    /// The next id: the prefix, `-`, and a number in hex, unique in this process (numbers are
    /// handed to each thread a block at a time, so ids are not in the order of their requests).
    pub fn next_id(&self) -> Option<HeaderValue> {
        thread_local! {
            /// The next number of this thread's block, and the block's end.
            static BLOCK: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
        }
        let n = BLOCK.with(|block| {
            let (mut next, mut end) = block.get();
            if next == end {
                next = NEXT_ID.fetch_add(ID_BLOCK, std::sync::atomic::Ordering::Relaxed);
                end = next + ID_BLOCK;
            }
            block.set((next + 1, end));
            next
        });
        let mut id = Vec::with_capacity(self.prefix.len() + 17);
        id.extend_from_slice(self.prefix.as_bytes());
        id.push(b'-');
        let digits = (64 - n.leading_zeros()).div_ceil(4).max(1);
        for shift in (0..digits).rev() {
            id.push(b"0123456789abcdef"[((n >> (shift * 4)) & 0xf) as usize]);
        }
        // The bytes become the header's as they are (no copy).
        HeaderValue::from_maybe_shared(axum::body::Bytes::from(id)).ok()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_the_prefix_and_a_hex_number_unique_over_threads() {
        let ids = RequestIds::default();
        let first = ids.next_id().unwrap();
        let first = first.to_str().unwrap();
        let (prefix, number) = first.split_once('-').unwrap();
        assert_eq!(prefix, &*ids.prefix);
        assert!(!number.is_empty() && number.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(!number.starts_with('0') || number == "0", "{number}");
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let ids = ids.clone();
                std::thread::spawn(move || {
                    (0..3000)
                        .map(|_| ids.next_id().unwrap().to_str().unwrap().to_owned())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<String> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        all.push(first.to_owned());
        let count = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), count, "every id once");
        // Numbers in hex, as written by hand.
        let n = u64::from_str_radix(all[0].split_once('-').unwrap().1, 16).unwrap();
        assert_eq!(all[0], format!("{}-{n:x}", ids.prefix));
    }
}

//! Purging a Varnish in front (docs/deploy/dateline.vcl): the surrogate keys a change event
//! alters ([`super::tags::keys_for`]) go to every `DATELINE_PURGE_URL` as
//! `PURGE /` with `xkey-purge: k1 k2 …`; `xkey-purge: *` asks for everything (after the change
//! listener may have missed changes). Purges run in tasks of their own, are retried a few
//! times and are logged at warn when they fail: they never hold up a request or the listener.
//!
//! Plain HTTP only, through hyper's client: Varnish does not speak TLS itself, and the purge
//! endpoint belongs on a private network anyway.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use hyper::{Method, Request, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// The request header carrying the keys to purge, space-separated.
pub const PURGE_HEADER: &str = "xkey-purge";
/// The header value that purges every cached object.
pub const EVERYTHING: &str = "*";
/// Waits before the 2nd, 3rd and 4th try; after that the purge is given up (and logged).
const RETRY_AFTER: [Duration; 3] = [
    Duration::from_millis(200),
    Duration::from_secs(1),
    Duration::from_secs(5),
];
/// Longest wait for one purge answer.
const TIMEOUT: Duration = Duration::from_secs(3);
/// More keys than this go in several requests, to stay under Varnish's header size limit
/// (8 KiB by default; a story key is 44 bytes).
const KEYS_PER_REQUEST: usize = 100;

/// Sends purges to the Varnish servers in front.
#[derive(Debug)]
pub struct Purger {
    endpoints: Vec<Uri>,
    client: Client<HttpConnector, Body>,
}

impl Purger {
    /// A purger for these endpoints, or `None` when there are none (no purges sent).
    pub fn new(endpoints: &[url::Url]) -> anyhow::Result<Option<Arc<Self>>> {
        if endpoints.is_empty() {
            return Ok(None);
        }
        let endpoints = endpoints
            .iter()
            .map(|url| url.as_str().parse::<Uri>())
            .collect::<Result<Vec<_>, _>>()?;
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(TIMEOUT));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(Some(Arc::new(Self { endpoints, client })))
    }

    /// Purges the pages tagged with any of `keys` on every endpoint, in the background.
    pub fn purge(self: &Arc<Self>, keys: &[String]) {
        for chunk in keys.chunks(KEYS_PER_REQUEST) {
            self.send_everywhere(chunk.join(" "));
        }
    }

    /// Purges every cached page on every endpoint, in the background.
    pub fn purge_everything(self: &Arc<Self>) {
        self.send_everywhere(EVERYTHING.to_owned());
    }

    fn send_everywhere(self: &Arc<Self>, keys: String) {
        if keys.is_empty() {
            return;
        }
        for index in 0..self.endpoints.len() {
            let purger = self.clone();
            let keys = keys.clone();
            tokio::spawn(async move { purger.send_with_retries(index, &keys).await });
        }
    }

    async fn send_with_retries(&self, index: usize, keys: &str) {
        let endpoint = &self.endpoints[index];
        let mut waits = RETRY_AFTER.iter();
        loop {
            let failure = match self.send(endpoint, keys).await {
                Ok(()) => return,
                Err(failure) => failure,
            };
            match waits.next() {
                Some(wait) => {
                    tracing::warn!(%endpoint, keys, error = %failure, retry_in_ms = wait.as_millis() as u64, "purge failed; retrying");
                    tokio::time::sleep(*wait).await;
                }
                None => {
                    tracing::warn!(%endpoint, keys, error = %failure, "purge failed; giving up (the CDN serves the old pages until their s-maxage)");
                    return;
                }
            }
        }
    }

    async fn send(&self, endpoint: &Uri, keys: &str) -> Result<(), String> {
        let request = Request::builder()
            .method(Method::from_bytes(b"PURGE").expect("a valid method name"))
            .uri(endpoint.clone())
            .header(PURGE_HEADER, keys)
            .body(Body::empty())
            .map_err(|err| err.to_string())?;
        match tokio::time::timeout(TIMEOUT, self.client.request(request)).await {
            Err(_) => Err(format!("no answer within {} s", TIMEOUT.as_secs())),
            Ok(Err(err)) => Err(err.to_string()),
            Ok(Ok(response)) if response.status().is_success() => Ok(()),
            Ok(Ok(response)) => Err(format!("answered {}", response.status())),
        }
    }
}

//! Prometheus metrics: the recorder (installed once per process, only when
//! `DATELINE_METRICS_BIND` is set), the names and help texts of every series, the per-route
//! request series resolved once per route template, and the listener of its own that serves
//! `GET /metrics`. Without the recorder every `metrics::` call is a no-op.
//!
//! Series (docs/DEPLOYMENT.md lists them with their labels):
//! - `dateline_http_requests_total{route, status}`: `route` is the axum route template
//!   (`/research-news/{slug}`), never a raw path; a page answered from the cache front counts
//!   under the template it was rendered and cached under; a path no route knows is
//!   [`UNMATCHED`]. `status` is the class: `2xx` … `5xx`.
//! - `dateline_http_request_duration_seconds{route}`: latency histogram.
//! - `dateline_page_cache_requests_total{cache, result}`: `pages` or `media`, `hit` or `miss`.
//! - `dateline_page_cache_entries{cache}`, `dateline_db_pool_connections{state}` (`open`,
//!   `idle`, `max`): sampled at each scrape.
//! - `dateline_feedback_queue_depth`: feedback entries submitted and not yet committed.
//! - `dateline_scheduler_runs_total{task, outcome}`: scheduled publications and upkeep tasks.
//! - `dateline_webhook_deliveries_total{outcome}`: counted by the webhook sender.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use anyhow::Context as _;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics::{Counter, Histogram, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const HTTP_REQUESTS: &str = "dateline_http_requests_total";
pub const HTTP_DURATION: &str = "dateline_http_request_duration_seconds";
pub const CACHE_REQUESTS: &str = "dateline_page_cache_requests_total";
pub const CACHE_ENTRIES: &str = "dateline_page_cache_entries";
pub const POOL_CONNECTIONS: &str = "dateline_db_pool_connections";
pub const FEEDBACK_QUEUE: &str = "dateline_feedback_queue_depth";
pub const SCHEDULER_RUNS: &str = "dateline_scheduler_runs_total";
/// Incremented by the webhook sender with `outcome` = `delivered`, `failed` or `gave_up`.
pub const WEBHOOK_DELIVERIES: &str = "dateline_webhook_deliveries_total";

/// The route label of a request no route matched (the old-link fallback, the 404 page).
pub const UNMATCHED: &str = "unmatched";

/// Latency buckets, in seconds: from a cached page (well under a millisecond) to the time-out.
const DURATION_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the Prometheus recorder for this process and describes every series; later calls
/// (tests build many apps in one process) return the same handle.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), &DURATION_BUCKETS)
                .expect("the bucket list is not empty")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics will be empty");
            }
            describe();
            handle
        })
        .clone()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by route template and status class"
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time from a request's arrival to its answer's head, by route template"
    );
    describe_counter!(
        CACHE_REQUESTS,
        "Cacheable GET/HEAD requests by cache (pages, media) and result (hit, miss)"
    );
    describe_gauge!(CACHE_ENTRIES, "Entries held by each cache");
    describe_gauge!(
        POOL_CONNECTIONS,
        "Database pool connections: open, idle, and the configured max"
    );
    describe_gauge!(
        FEEDBACK_QUEUE,
        "Feedback entries submitted and waiting for their batch to commit"
    );
    describe_counter!(
        SCHEDULER_RUNS,
        "Background task runs by task and outcome (ok, error)"
    );
    describe_counter!(
        WEBHOOK_DELIVERIES,
        "Webhook delivery attempts by outcome (delivered, failed, gave_up)"
    );
    // Present from the first scrape (with their help text), before anything happens.
    metrics::gauge!(FEEDBACK_QUEUE).set(0.0);
    for outcome in ["delivered", "failed", "gave_up"] {
        metrics::counter!(WEBHOOK_DELIVERIES, "outcome" => outcome).increment(0);
    }
    for outcome in ["ok", "error"] {
        metrics::counter!(SCHEDULER_RUNS, "task" => "scheduled_job", "outcome" => outcome)
            .increment(0);
    }
}

/// The request series of one route template, resolved once so that counting a request is a
/// few atomic operations, with no label allocation or registry lookup.
pub struct RouteSeries {
    /// The template, as logged.
    pub route: Arc<str>,
    /// `1xx` … `5xx`.
    requests: [Counter; 5],
    duration: Histogram,
}

impl std::fmt::Debug for RouteSeries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteSeries")
            .field("route", &self.route)
            .finish_non_exhaustive()
    }
}

const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

impl RouteSeries {
    fn new(route: &str) -> Self {
        let requests = CLASSES.map(|class| {
            metrics::counter!(HTTP_REQUESTS, "route" => route.to_owned(), "status" => class)
        });
        Self {
            route: Arc::from(route),
            requests,
            duration: metrics::histogram!(HTTP_DURATION, "route" => route.to_owned()),
        }
    }

    /// Counts one answered request.
    pub fn record(&self, status: StatusCode, elapsed: Duration) {
        let class = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
        self.requests[class].increment(1);
        self.duration.record(elapsed.as_secs_f64());
    }
}

/// Route templates are few (the router's), so the map stays small.
static ROUTES: LazyLock<RwLock<HashMap<Box<str>, Arc<RouteSeries>>>> =
    LazyLock::new(RwLock::default);

/// The series of a route template ([`UNMATCHED`] for none).
pub fn route(template: &str) -> Arc<RouteSeries> {
    if let Some(series) = ROUTES
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(template)
    {
        return series.clone();
    }
    ROUTES
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(template.into())
        .or_insert_with(|| Arc::new(RouteSeries::new(template)))
        .clone()
}

/// What `/metrics` samples at each scrape.
#[derive(Clone)]
pub struct Sampled {
    pub handle: PrometheusHandle,
    pub pool: sqlx::PgPool,
    /// Each cache's name and how to count its entries (a closure, so that this module names
    /// no cache: the caches count their hits here).
    pub caches: Vec<(&'static str, EntryCount)>,
}

/// Counts a cache's entries at scrape time.
pub type EntryCount = Arc<dyn Fn() -> u64 + Send + Sync>;

/// Binds `address` and serves `GET /metrics` there until the task is aborted; the handle's
/// upkeep (draining histogram samples) runs on the same task's timer.
pub async fn spawn_listener(
    address: SocketAddr,
    sampled: Sampled,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("could not listen on {address} (DATELINE_METRICS_BIND)"))?;
    let local = listener.local_addr()?;
    tracing::info!(address = %format!("http://{local}/metrics"), "serving metrics");
    let upkeep = sampled.handle.clone();
    let router = axum::Router::new()
        .route("/metrics", axum::routing::get(show_metrics))
        .with_state(sampled);
    Ok(tokio::spawn(async move {
        let keep_up = async {
            let mut every = tokio::time::interval(Duration::from_secs(5));
            loop {
                every.tick().await;
                upkeep.run_upkeep();
            }
        };
        tokio::select! {
            served = axum::serve(listener, router) => {
                if let Err(err) = served {
                    tracing::error!(error = %err, "the metrics listener stopped");
                }
            }
            () = keep_up => {}
        }
    }))
}

async fn show_metrics(axum::extract::State(sampled): axum::extract::State<Sampled>) -> Response {
    let pool = &sampled.pool;
    let max = pool.options().get_max_connections();
    metrics::gauge!(POOL_CONNECTIONS, "state" => "open").set(f64::from(pool.size()));
    metrics::gauge!(POOL_CONNECTIONS, "state" => "idle").set(pool.num_idle() as f64);
    metrics::gauge!(POOL_CONNECTIONS, "state" => "max").set(f64::from(max));
    for (name, cache) in &sampled.caches {
        metrics::gauge!(CACHE_ENTRIES, "cache" => *name).set(cache() as f64);
    }
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        sampled.handle.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_is_resolved_once_and_shared() {
        let a = route("/research-news/{slug}");
        let b = route("/research-news/{slug}");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*a.route, "/research-news/{slug}");
        assert!(!Arc::ptr_eq(&a, &route(UNMATCHED)));
    }
}

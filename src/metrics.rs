//! Prometheus metrics: the recorder (installed once per process, only when
//! `DATELINE_METRICS_BIND` is set), the names and help texts of every series, the per-route
//! request series resolved once per route template, and the listener of its own that serves
//! `GET /metrics`. Without the recorder every `metrics::` call is a no-op, and the hot series
//! are not counted.
//!
//! The series counted by every request (requests and latency by route, cache hits and misses)
//! are this module's own, counted in per-thread slots and written out at each scrape after the
//! exporter's (`render_hot`): through the exporter's shared atomics they cost a cached page
//! a tenth of its throughput. Everything else goes through the `metrics` crate and
//! `metrics-exporter-prometheus`.
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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use anyhow::Context as _;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::slots::{Padded, SLOTS};

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
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics will be empty");
            }
            describe();
            RECORDING.store(true, Ordering::Relaxed);
            handle
        })
        .clone()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge};
    // The request and cache-hit series are this module's own ([`render_hot`]).
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

/// Whether the hot series below count (only with the listener: without it, recording is one
/// load of a flag that never changes).
static RECORDING: AtomicBool = AtomicBool::new(false);

/// `N` counters, split into per-thread slots (`crate::slots`).
///
/// The hot series (requests by route, their latency, cache hits and misses) are counted by
/// every request, tens of thousands a second on a cached page: through the exporter's shared
/// atomics (two contended atomic operations per counter, every latency sample kept until the
/// next scrape) they cost a cached page 10 % of its throughput (docs/BENCHMARKS.md). Here each
/// is split into per-thread slots, and a scrape sums the slots.
struct Sharded<const N: usize>([Padded<[AtomicU64; N]>; SLOTS]);

impl<const N: usize> Sharded<N> {
    fn new() -> Self {
        Self(std::array::from_fn(|_| {
            Padded(std::array::from_fn(|_| AtomicU64::new(0)))
        }))
    }

    /// This thread's slot.
    #[inline]
    fn mine(&self) -> &[AtomicU64; N] {
        &self.0[crate::slots::mine()]
    }

    /// Counter `i`, every slot summed.
    fn sum(&self, i: usize) -> u64 {
        self.0
            .iter()
            .map(|slot| slot[i].load(Ordering::Relaxed))
            .fold(0, u64::wrapping_add)
    }
}

/// Latency bucket bounds in nanoseconds ([`DURATION_BUCKETS`]).
const BUCKET_NANOS: [u64; DURATION_BUCKETS.len()] = [
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
    10_000_000_000,
    30_000_000_000,
];
/// A route's counters: the five status classes, a count per latency bucket (and `+Inf`), and
/// the latency sum in nanoseconds.
const ROUTE_COUNTERS: usize = 5 + BUCKET_NANOS.len() + 1 + 1;
const FIRST_BUCKET: usize = 5;
const SUM: usize = ROUTE_COUNTERS - 1;

/// The request series of one route template, made once per template and kept for the life of
/// the process (templates are the router's, so there are few).
pub struct RouteSeries {
    /// The template, as logged.
    pub route: &'static str,
    counters: Sharded<ROUTE_COUNTERS>,
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
    /// Counts one answered request.
    #[inline]
    pub fn record(&self, status: StatusCode, elapsed: Duration) {
        if !RECORDING.load(Ordering::Relaxed) {
            return;
        }
        let class = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let bucket = BUCKET_NANOS
            .iter()
            .position(|&bound| nanos <= bound)
            .unwrap_or(BUCKET_NANOS.len());
        let mine = self.counters.mine();
        mine[class].fetch_add(1, Ordering::Relaxed);
        mine[FIRST_BUCKET + bucket].fetch_add(1, Ordering::Relaxed);
        mine[SUM].fetch_add(nanos, Ordering::Relaxed);
    }
}

/// Route templates are few (the router's), so the map stays small.
static ROUTES: LazyLock<RwLock<HashMap<&'static str, &'static RouteSeries>>> =
    LazyLock::new(RwLock::default);

/// The series of a route template ([`UNMATCHED`] for none).
pub fn route(template: &str) -> &'static RouteSeries {
    if let Some(series) = ROUTES
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(template)
    {
        return series;
    }
    let mut routes = ROUTES.write().unwrap_or_else(PoisonError::into_inner);
    if let Some(series) = routes.get(template) {
        return series;
    }
    let route: &'static str = Box::leak(template.into());
    let series: &'static RouteSeries = Box::leak(Box::new(RouteSeries {
        route,
        counters: Sharded::new(),
    }));
    routes.insert(route, series);
    series
}

/// The series of requests no route matched (and of cached pages stored without a route).
pub fn unmatched() -> &'static RouteSeries {
    static SERIES: LazyLock<&'static RouteSeries> = LazyLock::new(|| route(UNMATCHED));
    *SERIES
}

/// A cache's hits and misses (`dateline_page_cache_requests_total{cache, result}`), one pair
/// per cache name for the life of the process.
pub struct CacheCounters {
    name: &'static str,
    /// Hits, misses.
    counters: Sharded<2>,
}

impl std::fmt::Debug for CacheCounters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheCounters")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl CacheCounters {
    #[inline]
    pub fn hit(&self) {
        self.count(0);
    }

    #[inline]
    pub fn miss(&self) {
        self.count(1);
    }

    fn count(&self, which: usize) {
        if RECORDING.load(Ordering::Relaxed) {
            self.counters.mine()[which].fetch_add(1, Ordering::Relaxed);
        }
    }
}

static CACHES: LazyLock<RwLock<Vec<&'static CacheCounters>>> = LazyLock::new(RwLock::default);

/// The counters of the cache called `name`.
pub fn cache_counters(name: &'static str) -> &'static CacheCounters {
    let mut caches = CACHES.write().unwrap_or_else(PoisonError::into_inner);
    if let Some(counters) = caches.iter().find(|c| c.name == name) {
        return counters;
    }
    let counters: &'static CacheCounters = Box::leak(Box::new(CacheCounters {
        name,
        counters: Sharded::new(),
    }));
    caches.push(counters);
    counters
}

/// The hot series in the Prometheus text format (0.0.4), as the exporter writes its own.
fn render_hot(out: &mut String) {
    use std::fmt::Write as _;
    let mut routes: Vec<&'static RouteSeries> = ROUTES
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .values()
        .copied()
        .collect();
    routes.sort_unstable_by_key(|series| series.route);
    let _ = writeln!(
        out,
        "# HELP {HTTP_REQUESTS} HTTP requests answered, by route template and status class"
    );
    let _ = writeln!(out, "# TYPE {HTTP_REQUESTS} counter");
    for series in &routes {
        let route = label_value(series.route);
        for (i, class) in CLASSES.iter().enumerate() {
            let count = series.counters.sum(i);
            let _ = writeln!(
                out,
                "{HTTP_REQUESTS}{{route=\"{route}\",status=\"{class}\"}} {count}"
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP {HTTP_DURATION} Time from a request's arrival to its answer's head, by route template"
    );
    let _ = writeln!(out, "# TYPE {HTTP_DURATION} histogram");
    for series in &routes {
        let route = label_value(series.route);
        let mut cumulative = 0u64;
        for (i, bound) in DURATION_BUCKETS.iter().enumerate() {
            cumulative += series.counters.sum(FIRST_BUCKET + i);
            let _ = writeln!(
                out,
                "{HTTP_DURATION}_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += series.counters.sum(FIRST_BUCKET + BUCKET_NANOS.len());
        let _ = writeln!(
            out,
            "{HTTP_DURATION}_bucket{{route=\"{route}\",le=\"+Inf\"}} {cumulative}"
        );
        let seconds = series.counters.sum(SUM) as f64 / 1e9;
        let _ = writeln!(out, "{HTTP_DURATION}_sum{{route=\"{route}\"}} {seconds}");
        let _ = writeln!(
            out,
            "{HTTP_DURATION}_count{{route=\"{route}\"}} {cumulative}"
        );
    }
    let caches = CACHES.read().unwrap_or_else(PoisonError::into_inner);
    let _ = writeln!(
        out,
        "# HELP {CACHE_REQUESTS} Cacheable GET/HEAD requests by cache (pages, media) and result (hit, miss)"
    );
    let _ = writeln!(out, "# TYPE {CACHE_REQUESTS} counter");
    for counters in caches.iter() {
        let name = label_value(counters.name);
        for (i, result) in ["hit", "miss"].iter().enumerate() {
            let count = counters.counters.sum(i);
            let _ = writeln!(
                out,
                "{CACHE_REQUESTS}{{cache=\"{name}\",result=\"{result}\"}} {count}"
            );
        }
    }
}

/// A label value escaped for the text format: backslash, double quote and line feed.
fn label_value(value: &str) -> std::borrow::Cow<'_, str> {
    if value.contains(['\\', '"', '\n']) {
        value
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
            .into()
    } else {
        value.into()
    }
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
    let mut text = sampled.handle.render();
    render_hot(&mut text);
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
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
        assert!(std::ptr::eq(a, b));
        assert_eq!(a.route, "/research-news/{slug}");
        assert!(!std::ptr::eq(a, route(UNMATCHED)));
    }

    /// The lines of `text` that start with `prefix`.
    fn lines<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
        text.lines().filter(|l| l.starts_with(prefix)).collect()
    }

    #[test]
    fn slots_of_every_thread_are_summed_into_counters_and_a_cumulative_histogram() {
        RECORDING.store(true, Ordering::Relaxed);
        let series = route("/test/{sharded}");
        let threads: Vec<_> = (0..SLOTS + 3)
            .map(|_| {
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        series.record(StatusCode::OK, Duration::from_micros(300));
                    }
                    series.record(StatusCode::NOT_FOUND, Duration::from_millis(3));
                    series.record(StatusCode::BAD_GATEWAY, Duration::from_secs(40));
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let counters = cache_counters("test-cache");
        counters.hit();
        counters.hit();
        counters.miss();
        let mut text = String::new();
        render_hot(&mut text);
        let n = SLOTS + 3;
        let route = r#"route="/test/{sharded}""#;
        assert_eq!(
            lines(&text, &format!("{HTTP_REQUESTS}{{{route},")),
            [
                format!(r#"{HTTP_REQUESTS}{{{route},status="1xx"}} 0"#),
                format!(r#"{HTTP_REQUESTS}{{{route},status="2xx"}} {}"#, n * 1000),
                format!(r#"{HTTP_REQUESTS}{{{route},status="3xx"}} 0"#),
                format!(r#"{HTTP_REQUESTS}{{{route},status="4xx"}} {n}"#),
                format!(r#"{HTTP_REQUESTS}{{{route},status="5xx"}} {n}"#),
            ]
        );
        let buckets = lines(&text, &format!("{HTTP_DURATION}_bucket{{{route},"));
        assert_eq!(buckets.len(), DURATION_BUCKETS.len() + 1);
        assert_eq!(
            buckets[0],
            format!(
                r#"{HTTP_DURATION}_bucket{{{route},le="0.0005"}} {}"#,
                n * 1000
            )
        );
        assert_eq!(
            buckets[3],
            format!(
                r#"{HTTP_DURATION}_bucket{{{route},le="0.005"}} {}"#,
                n * 1001
            )
        );
        assert_eq!(
            buckets[13],
            format!(r#"{HTTP_DURATION}_bucket{{{route},le="30"}} {}"#, n * 1001)
        );
        assert_eq!(
            buckets[14],
            format!(
                r#"{HTTP_DURATION}_bucket{{{route},le="+Inf"}} {}"#,
                n * 1002
            )
        );
        assert_eq!(
            lines(&text, &format!("{HTTP_DURATION}_count{{{route}}}")),
            [format!("{HTTP_DURATION}_count{{{route}}} {}", n * 1002)]
        );
        let sum: f64 = lines(&text, &format!("{HTTP_DURATION}_sum{{{route}}}"))[0]
            .rsplit_once(' ')
            .unwrap()
            .1
            .parse()
            .unwrap();
        assert!(
            (sum - n as f64 * (0.3 + 0.003 + 40.0)).abs() < 1e-6,
            "{sum}"
        );
        assert_eq!(
            lines(&text, &format!(r#"{CACHE_REQUESTS}{{cache="test-cache""#)),
            [
                format!(r#"{CACHE_REQUESTS}{{cache="test-cache",result="hit"}} 2"#),
                format!(r#"{CACHE_REQUESTS}{{cache="test-cache",result="miss"}} 1"#),
            ]
        );
        // One HELP and TYPE line per series name.
        assert_eq!(lines(&text, &format!("# TYPE {HTTP_DURATION} ")).len(), 1);
        assert_eq!(lines(&text, &format!("# HELP {HTTP_REQUESTS} ")).len(), 1);
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label_value(r#"/a"b\c"#), r#"/a\"b\\c"#);
        assert_eq!(label_value("x\ny"), "x\\ny");
        assert_eq!(label_value("/plain/{slug}"), "/plain/{slug}");
    }
}

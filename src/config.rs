//! One `Config`, read from flags and the environment. This is the only module that reads
//! environment variables (through clap's `env` attributes).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};

/// Settings as given on the command line or in the environment.
#[derive(Debug, Clone, clap::Args)]
pub struct ConfigArgs {
    /// PostgreSQL connection URL. Unset: a project-local cluster is started (see README).
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// Address to listen on.
    #[arg(
        long,
        env = "DATELINE_BIND",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub bind: SocketAddr,

    /// Public base URL used for canonical links, feeds and sitemaps. Default: http:// and the bind address.
    #[arg(long, env = "DATELINE_BASE_URL", global = true)]
    pub base_url: Option<String>,

    /// IANA time zone in which datelines and "Last updated" lines are shown.
    #[arg(
        long,
        env = "DATELINE_TIMEZONE",
        default_value = "America/New_York",
        global = true
    )]
    pub timezone: String,

    /// Maximum connections in the database pool.
    #[arg(
        long,
        env = "DATELINE_DB_POOL_SIZE",
        default_value_t = 10,
        global = true
    )]
    pub db_pool_size: u32,

    /// Proxies whose X-Forwarded-For is trusted to name the client (comma-separated IPs). Empty:
    /// clients are told apart by their peer address only.
    #[arg(
        long,
        env = "DATELINE_TRUSTED_PROXIES",
        value_delimiter = ',',
        global = true
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// How often counted page views are written to the database, in seconds.
    #[arg(
        long,
        env = "DATELINE_VIEWS_FLUSH_SECS",
        default_value_t = 10,
        global = true
    )]
    pub views_flush_secs: u64,

    /// A long random secret (at least 32 characters, e.g. `openssl rand -hex 32`). It keys the
    /// hashes of client addresses and the feedback form tokens together with keys kept in the
    /// database, so a copy of the database alone cannot reverse them. Required when the base
    /// URL is https.
    #[arg(
        long,
        env = "DATELINE_SECRET_KEY",
        global = true,
        hide_env_values = true
    )]
    pub secret_key: Option<String>,

    /// How long, in seconds, in-flight requests may run after SIGTERM before they are cut.
    #[arg(
        long,
        env = "DATELINE_SHUTDOWN_GRACE_SECS",
        default_value_t = 10,
        global = true
    )]
    pub shutdown_grace_secs: u64,

    /// Seconds a connection may take to send a request's headers, and to send the next one on
    /// a kept-alive connection (as Apache's KeepAliveTimeout); past it the connection is closed.
    #[arg(
        long,
        env = "DATELINE_HEADER_TIMEOUT_SECS",
        default_value_t = 5,
        global = true
    )]
    pub header_timeout_secs: u64,

    /// Seconds a request body may go without sending a byte before it is answered `408`.
    #[arg(
        long,
        env = "DATELINE_BODY_TIMEOUT_SECS",
        default_value_t = 10,
        global = true
    )]
    pub body_timeout_secs: u64,

    /// Memory for the rendered-page cache of public pages, in MiB (bodies and their gzip and
    /// brotli variants). 0 turns the cache off.
    #[arg(long, env = "DATELINE_CACHE_MB", default_value_t = 64, global = true)]
    pub cache_mb: u64,

    /// Memory for served image files (renditions), in MiB, apart from the page cache so that
    /// images never push pages out. 0 turns it off.
    #[arg(
        long,
        env = "DATELINE_MEDIA_CACHE_MB",
        default_value_t = 128,
        global = true
    )]
    pub media_cache_mb: u64,

    /// Longest time a rendered page is kept, in seconds, even without a change (bounds the age
    /// of time-dependent parts such as the feedback form's token).
    #[arg(
        long,
        env = "DATELINE_CACHE_TTL_SECS",
        default_value_t = 600,
        global = true
    )]
    pub cache_ttl_secs: u64,

    /// Searches (`/search`) a client address may make a minute, counted over every instance;
    /// more are answered `429` with `Retry-After`. 0 turns the limit off.
    #[arg(
        long,
        env = "DATELINE_SEARCH_PER_MINUTE",
        default_value_t = 120,
        global = true
    )]
    pub search_per_minute: u32,

    /// Webhook hosts that may be reached over http and at any address, loopback and private
    /// ones included (comma-separated host names or addresses; for development and tests).
    #[arg(
        long,
        env = "DATELINE_WEBHOOK_ALLOW_HOSTS",
        value_delimiter = ',',
        global = true
    )]
    pub webhook_allow_hosts: Vec<String>,

    /// Hidden, for tests: seconds before a webhook attempt times out (default 10).
    #[arg(
        long,
        env = "DATELINE_WEBHOOK_TIMEOUT_SECS",
        default_value_t = 10,
        global = true,
        hide = true
    )]
    pub webhook_timeout_secs: u64,

    /// Hidden, for tests: milliseconds before the first retry of a failed webhook delivery
    /// (doubling each time; default 30000).
    #[arg(
        long,
        env = "DATELINE_WEBHOOK_RETRY_BASE_MS",
        default_value_t = 30_000,
        global = true,
        hide = true
    )]
    pub webhook_retry_base_ms: u64,

    /// Hidden, for tests: seconds after which a delivery still failing is given up (default
    /// 87000, a little over 24 hours).
    #[arg(
        long,
        env = "DATELINE_WEBHOOK_GIVE_UP_SECS",
        default_value_t = 87_000,
        global = true,
        hide = true
    )]
    pub webhook_give_up_secs: u64,
    /// Editor API calls (`/api/v1`) a token may make a minute, counted over every instance
    /// (calls without a valid token: per client address); more are answered `429` with
    /// `Retry-After`. 0 turns the limit off.
    #[arg(
        long,
        env = "DATELINE_API_PER_MINUTE",
        default_value_t = 1200,
        global = true
    )]
    pub api_per_minute: u32,

    /// Address of a separate listener that serves Prometheus metrics at `GET /metrics` (keep it
    /// off the public network). Unset: no metrics listener, nothing is recorded.
    #[arg(long, env = "DATELINE_METRICS_BIND", global = true)]
    pub metrics_bind: Option<SocketAddr>,

    /// Threads that serve HTTP, each with its own event loop, as nginx's worker processes do;
    /// new connections are handed to them in turn. Default: one per core.
    #[arg(long, env = "DATELINE_HTTP_THREADS", global = true)]
    pub http_threads: Option<usize>,

    /// Varnish servers to purge when a change commits (comma-separated `http://host:port/`,
    /// see docs/deploy/dateline.vcl): each gets `PURGE` with the change's surrogate keys in
    /// `xkey-purge`. Unset: no purges are sent.
    #[arg(long, env = "DATELINE_PURGE_URL", value_delimiter = ',', global = true)]
    pub purge_url: Vec<String>,

    /// Folder of the project-local PostgreSQL cluster (used only when DATABASE_URL is unset).
    #[arg(
        long,
        env = "DATELINE_LOCAL_PG_DIR",
        default_value = ".dateline/postgres",
        global = true
    )]
    pub local_pg_dir: PathBuf,

    /// TCP port of the project-local PostgreSQL cluster (loopback only).
    #[arg(
        long,
        env = "DATELINE_LOCAL_PG_PORT",
        default_value_t = 54329,
        global = true
    )]
    pub local_pg_port: u16,

    /// Folder holding the PostgreSQL server binaries (initdb, pg_ctl). Default: searched in
    /// /usr/lib/postgresql/*/bin, then PATH.
    #[arg(long, env = "DATELINE_PG_BIN", global = true)]
    pub pg_bin: Option<PathBuf>,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: Option<String>,
    pub bind: SocketAddr,
    /// Without a trailing slash, e.g. `https://news.example.org`.
    pub base_url: String,
    pub timezone: jiff::tz::TimeZone,
    pub timezone_name: String,
    pub db_pool_size: u32,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub views_flush_secs: u64,
    pub secret_key: Option<String>,
    pub shutdown_grace: std::time::Duration,
    /// Longest wait for a request's headers (and for the next request on a kept connection).
    pub header_timeout: std::time::Duration,
    /// Longest wait for the next bytes of a request body.
    pub body_timeout: std::time::Duration,
    /// Bytes of rendered pages kept; 0 when the cache is off.
    pub cache_bytes: u64,
    pub cache_ttl: std::time::Duration,
    /// Bytes of image files kept; 0 when that cache is off.
    pub media_cache_bytes: u64,
    /// Searches a client may make a minute (0: no limit).
    pub search_per_minute: u32,
    /// Webhook hosts allowed over http and at any address (`DATELINE_WEBHOOK_ALLOW_HOSTS`).
    pub webhook_allow_hosts: Vec<String>,
    /// Longest wait for a webhook receiver's answer.
    pub webhook_timeout: std::time::Duration,
    /// The wait before the first retry of a failed delivery.
    pub webhook_retry_base: std::time::Duration,
    /// How long a delivery is retried before it is given up.
    pub webhook_give_up: std::time::Duration,
    /// API calls a token may make a minute (0: no limit).
    pub api_per_minute: u32,
    /// Where `/metrics` is served; `None`: nowhere.
    pub metrics_bind: Option<SocketAddr>,
    /// Threads serving HTTP (at least 1).
    pub http_threads: usize,
    /// Varnish servers purged on every change (empty: none).
    pub purge_urls: Vec<url::Url>,
    pub local_pg: crate::localpg::LocalPgConfig,
}

impl Config {
    /// Validates the raw settings; every error names the setting to fix.
    pub fn from_args(args: &ConfigArgs) -> anyhow::Result<Self> {
        let base_url = match &args.base_url {
            Some(raw) => {
                let parsed = url::Url::parse(raw)
                    .with_context(|| format!("DATELINE_BASE_URL is not a valid URL: {raw:?}"))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    bail!("DATELINE_BASE_URL must start with http:// or https://, got {raw:?}");
                }
                raw.trim_end_matches('/').to_owned()
            }
            None => format!("http://{}", args.bind),
        };
        let timezone = jiff::tz::TimeZone::get(&args.timezone).with_context(|| {
            format!(
                "DATELINE_TIMEZONE is not a known IANA time zone: {:?}",
                args.timezone
            )
        })?;
        if args.db_pool_size == 0 {
            bail!("DATELINE_DB_POOL_SIZE must be at least 1");
        }
        let http_threads = match args.http_threads {
            Some(0) => bail!("DATELINE_HTTP_THREADS must be at least 1"),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        };
        let purge_urls = args
            .purge_url
            .iter()
            .map(|raw| raw.trim())
            .filter(|raw| !raw.is_empty())
            .map(|raw| {
                let url = url::Url::parse(raw).with_context(|| {
                    format!("DATELINE_PURGE_URL has an entry that is not a URL: {raw:?}")
                })?;
                if url.scheme() != "http" || url.host().is_none() {
                    bail!(
                        "DATELINE_PURGE_URL entries must be http://host:port/ (Varnish speaks \
                         plain HTTP), got {raw:?}"
                    );
                }
                Ok(url)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            purge_urls,
            database_url: args.database_url.clone().filter(|url| !url.is_empty()),
            bind: args.bind,
            base_url,
            timezone,
            timezone_name: args.timezone.clone(),
            db_pool_size: args.db_pool_size,
            trusted_proxies: args.trusted_proxies.clone(),
            views_flush_secs: args.views_flush_secs.max(1),
            secret_key: args.secret_key.clone().filter(|s| !s.is_empty()),
            shutdown_grace: std::time::Duration::from_secs(args.shutdown_grace_secs),
            header_timeout: std::time::Duration::from_secs(args.header_timeout_secs.max(1)),
            body_timeout: std::time::Duration::from_secs(args.body_timeout_secs.max(1)),
            cache_bytes: args.cache_mb.saturating_mul(1024 * 1024),
            cache_ttl: std::time::Duration::from_secs(args.cache_ttl_secs.max(1)),
            media_cache_bytes: args.media_cache_mb.saturating_mul(1024 * 1024),
            search_per_minute: args.search_per_minute,
            webhook_allow_hosts: args
                .webhook_allow_hosts
                .iter()
                .map(|h| {
                    h.trim()
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .to_ascii_lowercase()
                })
                .filter(|h| !h.is_empty())
                .collect(),
            webhook_timeout: std::time::Duration::from_secs(args.webhook_timeout_secs.clamp(1, 60)),
            webhook_retry_base: std::time::Duration::from_millis(
                args.webhook_retry_base_ms.max(100),
            ),
            webhook_give_up: std::time::Duration::from_secs(args.webhook_give_up_secs.max(1)),
            api_per_minute: args.api_per_minute,
            metrics_bind: args.metrics_bind,
            http_threads,
            local_pg: crate::localpg::LocalPgConfig {
                dir: args.local_pg_dir.clone(),
                port: args.local_pg_port,
                bin_dir: args.pg_bin.clone(),
            },
        })
    }

    /// A configuration for tests: UTC-free defaults matching production, given a base URL.
    pub fn for_tests(base_url: &str) -> Self {
        Self {
            database_url: None,
            bind: "127.0.0.1:0".parse().expect("static address"),
            base_url: base_url.trim_end_matches('/').to_owned(),
            timezone: jiff::tz::TimeZone::get("America/New_York").expect("bundled tzdb"),
            timezone_name: "America/New_York".to_owned(),
            db_pool_size: 5,
            trusted_proxies: Vec::new(),
            views_flush_secs: 10,
            secret_key: None,
            shutdown_grace: std::time::Duration::from_secs(10),
            header_timeout: std::time::Duration::from_secs(5),
            body_timeout: std::time::Duration::from_secs(10),
            cache_bytes: 16 * 1024 * 1024,
            cache_ttl: std::time::Duration::from_secs(600),
            media_cache_bytes: 16 * 1024 * 1024,
            // Tests search far more often than a reader; the limit's own tests set one.
            search_per_minute: 0,
            webhook_allow_hosts: Vec::new(),
            webhook_timeout: std::time::Duration::from_secs(10),
            webhook_retry_base: std::time::Duration::from_secs(30),
            webhook_give_up: crate::domain::webhooks::GIVE_UP_AFTER,
            api_per_minute: 0,
            metrics_bind: None,
            http_threads: 1,
            purge_urls: Vec::new(),
            local_pg: crate::localpg::LocalPgConfig {
                dir: PathBuf::from(".dateline/postgres"),
                port: 54329,
                bin_dir: None,
            },
        }
    }
}

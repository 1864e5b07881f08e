//! Logging: `tracing` with an `EnvFilter` (`RUST_LOG`, default `info`), as text or JSON lines.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Logging options shared by every subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct LogArgs {
    /// Log format.
    #[arg(long, env = "DATELINE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

/// The log's writer and format, for the access lines that `crate::web::access` formats and
/// batches itself; unset until [`init`] installs the subscriber.
static ACCESS_SINK: std::sync::OnceLock<(LogFormat, tracing_appender::non_blocking::NonBlocking)> =
    std::sync::OnceLock::new();

/// The writer access lines go to, with the log's format (`None` before [`init`]).
pub fn access_sink() -> Option<&'static (LogFormat, tracing_appender::non_blocking::NonBlocking)> {
    ACCESS_SINK.get()
}

/// Installs the global subscriber once; keep the guard until the process ends (dropping it
/// writes out every line still queued). Safe to call more than once (later calls do nothing
/// and return no guard).
///
/// Lines go to standard error through a writer thread, so a request never waits for a `write`:
/// the thread gathers the lines that queued meanwhile into one write. Nothing is dropped: when
/// its queue is full a request waits for room instead (docs/BENCHMARKS.md, "Metrics and access
/// log overhead").
pub fn init(args: &LogArgs) -> Option<WorkerGuard> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("dateline-log")
        .finish(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stderr(),
        ));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match args.log_format {
        LogFormat::Text => registry
            .with(fmt::layer().with_writer(writer.clone()))
            .try_init(),
        LogFormat::Json => registry
            .with(fmt::layer().json().with_writer(writer.clone()))
            .try_init(),
    };
    // A second init (tests) is harmless; its writer thread ends with the guard.
    result.ok().map(|()| {
        // Access lines are batched per thread into the same writer (`crate::web::access`).
        let _ = ACCESS_SINK.set((args.log_format, writer));
        guard
    })
}

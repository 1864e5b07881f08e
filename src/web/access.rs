//! The access log and the request series: every request, answered by the cache front or by
//! the router, is logged once at `info` (target `dateline::access`: method, path, status,
//! duration in ms, request id, route template) and counted once under its route template
//! ([`crate::metrics::RouteSeries`]). Both happen in the front ([`crate::web::front`]), the
//! only place every request passes; the router tells it the route by [`tag_route`].

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, Method};
use axum::middleware::Next;
use axum::response::Response;

use crate::metrics::RouteSeries;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The route series an answer of the router carries to the front ([`tag_route`]).
#[derive(Clone, Copy)]
struct RouteTag(&'static RouteSeries);

/// Middleware on every route and the fallback: hands the matched route's series (resolved once
/// per template) to the front with the answer.
pub async fn tag_route(request: Request, next: Next) -> Response {
    let series = crate::metrics::route(
        request
            .extensions()
            .get::<MatchedPath>()
            .map_or(crate::metrics::UNMATCHED, MatchedPath::as_str),
    );
    let mut response = next.run(request).await;
    response.extensions_mut().insert(RouteTag(series));
    response
}

/// The route series of an answer of the router ([`tag_route`]; [`crate::metrics::UNMATCHED`]
/// when it has none).
pub fn route_of(response: &Response) -> &'static RouteSeries {
    response
        .extensions()
        .get::<RouteTag>()
        .map_or_else(crate::metrics::unmatched, |tag| tag.0)
}

/// Logs and counts one answered request under `series`.
pub fn record(
    method: &Method,
    path: &str,
    started: Instant,
    response: &Response,
    series: &'static RouteSeries,
) {
    let now = Instant::now();
    let elapsed = now.saturating_duration_since(started);
    let status = response.status();
    series.record(status, elapsed);
    if !tracing::enabled!(target: "dateline::access", tracing::Level::INFO) {
        return;
    }
    let request_id = response
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|id| id.to_str().ok())
        .unwrap_or("-");
    let line = Line {
        at: now,
        method: method.as_str(),
        path,
        status: status.as_u16(),
        micros: u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        request_id,
        route: series.route,
    };
    if !line::write(&line) {
        tracing::info!(
            target: "dateline::access",
            method = line.method,
            path,
            status = line.status,
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            request_id,
            route = line.route,
            "request"
        );
    }
}

/// One access-log line's fields.
pub struct Line<'a> {
    /// When the answer was ready.
    pub at: Instant,
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub micros: u64,
    pub request_id: &'a str,
    pub route: &'a str,
}

/// Writes access lines the way `tracing-subscriber` would (same text and JSON layout), but
/// formatted by hand into a buffer per HTTP thread and handed to the log's writer thread a
/// batch at a time: at tens of thousands of requests a second the formatter and one hand-off
/// per line cost a third of a cached page's throughput (docs/BENCHMARKS.md). A batch goes when
/// it reaches [`BATCH_BYTES`], [`BATCH_DELAY`] after its first line, or when the thread ends;
/// it goes through the same writer as every other line, so lines never interleave.
pub mod line {
    use std::cell::RefCell;
    use std::io::Write as _;
    use std::time::{Duration, Instant};

    use super::Line;
    use crate::telemetry::LogFormat;

    /// A batch goes out at this size.
    pub const BATCH_BYTES: usize = 256 * 1024;
    /// … or this long after its first line.
    pub const BATCH_DELAY: Duration = Duration::from_millis(20);
    /// How long a batch reckons the wall clock from one reading of it.
    const ANCHOR_FOR: Duration = Duration::from_secs(1);

    #[derive(Default)]
    struct Batch {
        bytes: Vec<u8>,
        /// The second `stamp` was formatted for, and the stamp (`2026-12-06T18:11:13`).
        second: u64,
        stamp: String,
        /// A moment on the monotonic clock and the wall clock's time then (since the Unix
        /// epoch), read again a second later: a line's time is reckoned from its `at`, so that
        /// a line reads no clock of its own.
        anchor: Option<(Instant, Duration)>,
    }

    impl Drop for Batch {
        fn drop(&mut self) {
            send(&mut self.bytes);
        }
    }

    thread_local! {
        static BATCH: RefCell<Batch> = RefCell::default();
    }

    fn send(bytes: &mut Vec<u8>) {
        if !bytes.is_empty()
            && let Some((_, writer)) = crate::telemetry::access_sink()
        {
            let _ = writer.clone().write_all(bytes);
            bytes.clear();
        }
    }

    /// Sends this thread's batch now (an HTTP thread as it ends).
    pub fn flush_this_thread() {
        let _ = BATCH.try_with(|batch| send(&mut batch.borrow_mut().bytes));
    }

    /// Adds `line` to this thread's batch; `false` when there is no writer to batch for, or no
    /// single-threaded runtime to send the batch later (tracing writes the line then).
    pub fn write(line: &Line<'_>) -> bool {
        let Some((format, _)) = crate::telemetry::access_sink() else {
            return false;
        };
        BATCH
            .try_with(|batch| {
                let mut batch = batch.borrow_mut();
                if batch.bytes.is_empty() {
                    // A new batch: a task of this thread's own runtime sends it later, so the
                    // runtime must run on this thread only.
                    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                        return false;
                    };
                    if runtime.runtime_flavor() != tokio::runtime::RuntimeFlavor::CurrentThread {
                        return false;
                    }
                    runtime.spawn(async {
                        tokio::time::sleep(BATCH_DELAY).await;
                        flush_this_thread();
                    });
                }
                format_line(&mut batch, *format, line);
                if batch.bytes.len() >= BATCH_BYTES {
                    send(&mut batch.bytes);
                }
                true
            })
            .unwrap_or(false)
    }

    fn format_line(batch: &mut Batch, format: LogFormat, line: &Line<'_>) {
        let (mono, wall) = match batch.anchor {
            Some((mono, wall)) if line.at.saturating_duration_since(mono) < ANCHOR_FOR => {
                (mono, wall)
            }
            _ => {
                let wall = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                batch.anchor = Some((line.at, wall));
                (line.at, wall)
            }
        };
        let now = wall + line.at.saturating_duration_since(mono);
        if batch.second != now.as_secs() || batch.stamp.is_empty() {
            batch.second = now.as_secs();
            let at = time::OffsetDateTime::from_unix_timestamp(
                i64::try_from(now.as_secs()).unwrap_or_default(),
            )
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            batch.stamp = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                at.year(),
                u8::from(at.month()),
                at.day(),
                at.hour(),
                at.minute(),
                at.second()
            );
        }
        let Batch { bytes, stamp, .. } = batch;
        // By hand rather than through `core::fmt`: this runs for every request.
        let mut numbers = itoa::Buffer::new();
        let stamp_with_micros = |bytes: &mut Vec<u8>| {
            bytes.extend_from_slice(stamp.as_bytes());
            bytes.push(b'.');
            padded(bytes, u64::from(now.subsec_micros()), 6);
            bytes.push(b'Z');
        };
        let duration = |bytes: &mut Vec<u8>, numbers: &mut itoa::Buffer| {
            bytes.extend_from_slice(numbers.format(line.micros / 1000).as_bytes());
            bytes.push(b'.');
            padded(bytes, line.micros % 1000, 3);
        };
        match format {
            LogFormat::Json => {
                bytes.extend_from_slice(b"{\"timestamp\":\"");
                stamp_with_micros(bytes);
                bytes.extend_from_slice(
                    b"\",\"level\":\"INFO\",\"fields\":{\"message\":\"request\",\"method\":",
                );
                json_string(bytes, line.method);
                bytes.extend_from_slice(b",\"path\":");
                json_string(bytes, line.path);
                bytes.extend_from_slice(b",\"status\":");
                bytes.extend_from_slice(numbers.format(line.status).as_bytes());
                bytes.extend_from_slice(b",\"duration_ms\":");
                duration(bytes, &mut numbers);
                bytes.extend_from_slice(b",\"request_id\":");
                json_string(bytes, line.request_id);
                bytes.extend_from_slice(b",\"route\":");
                json_string(bytes, line.route);
                bytes.extend_from_slice(b"},\"target\":\"dateline::access\"}\n");
            }
            LogFormat::Text => {
                stamp_with_micros(bytes);
                bytes.extend_from_slice(b"  INFO dateline::access: request method=");
                bytes.extend_from_slice(line.method.as_bytes());
                bytes.extend_from_slice(b" path=");
                bytes.extend_from_slice(line.path.as_bytes());
                bytes.extend_from_slice(b" status=");
                bytes.extend_from_slice(numbers.format(line.status).as_bytes());
                bytes.extend_from_slice(b" duration_ms=");
                duration(bytes, &mut numbers);
                bytes.extend_from_slice(b" request_id=");
                bytes.extend_from_slice(line.request_id.as_bytes());
                bytes.extend_from_slice(b" route=");
                bytes.extend_from_slice(line.route.as_bytes());
                bytes.push(b'\n');
            }
        }
    }

    /// `value` in decimal with leading zeros to `width` digits (`width` ≤ 6).
    fn padded(bytes: &mut Vec<u8>, value: u64, width: usize) {
        let mut digits = [b'0'; 6];
        let mut rest = value;
        for slot in digits[..width].iter_mut().rev() {
            *slot = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        bytes.extend_from_slice(&digits[..width]);
    }

    /// `value` as a JSON string.
    fn json_string(bytes: &mut Vec<u8>, value: &str) {
        bytes.push(b'"');
        // Without an early exit, so that the compiler checks many bytes at a time.
        let needs_escape = value.bytes().fold(false, |any, b| {
            any | (b < 0x20) | (b == b'"') | (b == b'\\')
        });
        if !needs_escape {
            // Almost always: paths, ids and templates have nothing to escape.
            bytes.extend_from_slice(value.as_bytes());
            bytes.push(b'"');
            return;
        }
        for &b in value.as_bytes() {
            match b {
                b'"' => bytes.extend_from_slice(b"\\\""),
                b'\\' => bytes.extend_from_slice(b"\\\\"),
                0..=0x1f => {
                    let _ = write!(bytes, "\\u{b:04x}");
                }
                _ => bytes.push(b),
            }
        }
        bytes.push(b'"');
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn formatted(format: LogFormat, path: &str) -> String {
            let mut batch = Batch::default();
            let line = Line {
                at: Instant::now(),
                method: "GET",
                path,
                status: 304,
                micros: 1_234,
                request_id: "ab\"c-1",
                route: "/research-news/{slug}",
            };
            format_line(&mut batch, format, &line);
            String::from_utf8(std::mem::take(&mut batch.bytes)).unwrap()
        }

        #[test]
        fn a_json_line_has_the_layout_of_tracing_json_lines() {
            let line = formatted(LogFormat::Json, "/a\\b\u{1}é");
            assert!(line.ends_with('\n'));
            let json: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert_eq!(json["level"], "INFO");
            assert_eq!(json["target"], "dateline::access");
            let fields = &json["fields"];
            assert_eq!(fields["message"], "request");
            assert_eq!(fields["method"], "GET");
            assert_eq!(fields["path"], "/a\\b\u{1}é");
            assert_eq!(fields["status"], 304);
            assert_eq!(fields["duration_ms"], 1.234);
            assert_eq!(fields["request_id"], "ab\"c-1");
            assert_eq!(fields["route"], "/research-news/{slug}");
            let stamp = json["timestamp"].as_str().unwrap();
            assert!(
                time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339)
                    .is_ok(),
                "{stamp}"
            );
        }

        #[test]
        fn a_line_is_stamped_with_the_wall_clock_time_of_its_answer() {
            let stamp_of = |batch: &mut Batch, at: Instant| {
                let line = Line {
                    at,
                    method: "GET",
                    path: "/",
                    status: 200,
                    micros: 1,
                    request_id: "-",
                    route: "/",
                };
                format_line(batch, LogFormat::Json, &line);
                let json: serde_json::Value =
                    serde_json::from_slice(&std::mem::take(&mut batch.bytes)).unwrap();
                time::OffsetDateTime::parse(
                    json["timestamp"].as_str().unwrap(),
                    &time::format_description::well_known::Rfc3339,
                )
                .unwrap()
            };
            let mut batch = Batch::default();
            let start = Instant::now();
            let first = stamp_of(&mut batch, start);
            let off = (time::OffsetDateTime::now_utc() - first).abs();
            assert!(off < time::Duration::milliseconds(50), "{off}");
            // Reckoned from the same reading of the wall clock, and after it.
            let later = stamp_of(&mut batch, start + Duration::from_millis(700));
            assert_eq!(later - first, time::Duration::milliseconds(700));
            // A second on, the wall clock is read again (and `at` taken as that reading).
            let much_later = stamp_of(&mut batch, start + Duration::from_millis(2500));
            let off = (time::OffsetDateTime::now_utc() - much_later).abs();
            assert!(off < time::Duration::milliseconds(50), "{off}");
        }

        #[test]
        fn a_text_line_names_every_field() {
            let line = formatted(LogFormat::Text, "/x");
            assert!(line.contains("  INFO dateline::access: request method=GET path=/x status=304 duration_ms=1.234 request_id=ab\"c-1 route=/research-news/{slug}\n"), "{line}");
        }
    }
}

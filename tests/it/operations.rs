//! Operations (CONTRACT §12): `/metrics` on a listener of its own, one access-log line per
//! request (cache hits included), and the editor API's per-token limit shared by instances.
//! Over real sockets: the `dateline` binary is started as in production.

use std::time::Duration;

use dateline::domain::policy::Role;
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::ArticleBuilder;
use crate::helpers::server::{http_get, start_server_with};

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A raw `GET` with extra headers; the whole answer (status line, headers, body).
async fn get_raw(address: &str, path: &str, headers: &[(&str, &str)]) -> String {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut head = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

fn status_of(response: &str) -> u16 {
    response[9..12].parse().unwrap()
}

fn header_of<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    let head = response.split_once("\r\n\r\n").map_or(response, |(h, _)| h);
    head.lines().skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The value of one exact series line (`name{labels}`) in a Prometheus text answer.
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| {
        let (name, value) = line.rsplit_once(' ')?;
        (name == series).then(|| value.parse().unwrap())
    })
}

/// The families of a Prometheus text answer as Prometheus's own Python client parses them
/// (installed by `make test`): `[{"name", "type", "samples"}]`; the parser fails on text it
/// cannot read.
fn prometheus_families(text: &str) -> Vec<serde_json::Value> {
    let python = std::env::var("DATELINE_PYTHON")
        .expect("DATELINE_PYTHON is set by `make test` (a venv with prometheus-client)");
    let script = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
families = [{"name": f.name, "type": f.type, "samples": len(f.samples)}
            for f in text_string_to_metric_families(sys.stdin.read())]
print(json.dumps(families))
"#;
    let mut child = std::process::Command::new(python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), text.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the Prometheus parser refused the text: {}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[sqlx::test]
async fn metrics_are_served_apart_with_route_templates_status_classes_cache_and_pool(pool: PgPool) {
    ArticleBuilder::new("Counted story")
        .slug("some-slug")
        .insert(&pool)
        .await;
    let metrics_address = format!("127.0.0.1:{}", free_port());
    let (_server, _logs, address) =
        start_server_with(&pool, &[("DATELINE_METRICS_BIND", &metrics_address)]).await;

    let hits = r#"dateline_page_cache_requests_total{cache="pages",result="hit"}"#;
    let misses = r#"dateline_page_cache_requests_total{cache="pages",result="miss"}"#;
    let scrape = || async {
        let answer = get_raw(&metrics_address, "/metrics", &[]).await;
        assert_eq!(status_of(&answer), 200, "{answer}");
        assert!(
            header_of(&answer, "content-type")
                .unwrap()
                .starts_with("text/plain")
        );
        answer.split_once("\r\n\r\n").unwrap().1.to_owned()
    };
    // Misses until the page is kept (a render from before the cache's listener started is
    // not), then a hit answered by the cache front.
    let mut story_requests = 0.0;
    let mut metrics = String::new();
    for _ in 0..20 {
        assert!(
            http_get(&address, "/research-news/some-slug")
                .await
                .starts_with("HTTP/1.1 200")
        );
        story_requests += 1.0;
        metrics = scrape().await;
        if sample(&metrics, hits).is_some_and(|n| n >= 1.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        sample(&metrics, hits).is_some_and(|n| n >= 1.0),
        "{metrics}"
    );
    assert!(
        sample(&metrics, misses).is_some_and(|n| n >= 1.0),
        "{metrics}"
    );
    // An unknown path; `/metrics` is not on the public port.
    assert!(
        http_get(&address, "/no/such/page")
            .await
            .starts_with("HTTP/1.1 404")
    );
    assert!(
        http_get(&address, "/metrics")
            .await
            .starts_with("HTTP/1.1 404")
    );
    let metrics = scrape().await;
    let metrics = metrics.as_str();

    let story = r#"route="/research-news/{slug}""#;
    assert_eq!(
        sample(
            metrics,
            &format!(r#"dateline_http_requests_total{{{story},status="2xx"}}"#)
        ),
        Some(story_requests),
        "{metrics}"
    );
    assert!(!metrics.contains("some-slug"), "raw paths are never labels");
    assert!(!metrics.contains("/no/such/page"));
    assert!(
        sample(
            metrics,
            r#"dateline_http_requests_total{route="unmatched",status="4xx"}"#
        )
        .is_some_and(|n| n >= 2.0),
        "{metrics}"
    );
    assert_eq!(
        sample(
            metrics,
            &format!("dateline_http_request_duration_seconds_count{{{story}}}")
        ),
        Some(story_requests)
    );
    assert!(metrics.contains(&format!(
        r#"dateline_http_request_duration_seconds_bucket{{{story},le="0.005"}}"#
    )));
    assert!(
        sample(metrics, r#"dateline_db_pool_connections{state="max"}"#).is_some_and(|n| n >= 1.0)
    );
    assert!(sample(metrics, r#"dateline_db_pool_connections{state="open"}"#).is_some());
    assert!(sample(metrics, r#"dateline_db_pool_connections{state="idle"}"#).is_some());
    assert_eq!(sample(metrics, "dateline_feedback_queue_depth"), Some(0.0));
    // Described for the webhook sender, which counts it.
    assert!(
        metrics.contains("# HELP dateline_webhook_deliveries_total "),
        "{metrics}"
    );
    assert!(metrics.contains("# HELP dateline_scheduler_runs_total "));

    // A second hit moves the hit counter, under the same route template.
    let hits_before = sample(metrics, hits).unwrap();
    assert!(
        http_get(&address, "/research-news/some-slug")
            .await
            .starts_with("HTTP/1.1 200")
    );
    let metrics = scrape().await;
    assert_eq!(sample(&metrics, hits), Some(hits_before + 1.0));
    assert_eq!(
        sample(
            &metrics,
            &format!(r#"dateline_http_requests_total{{{story},status="2xx"}}"#)
        ),
        Some(story_requests + 1.0)
    );

    // The whole answer is what Prometheus reads: each family once, with its type.
    let families = prometheus_families(&metrics);
    let mut names: Vec<&str> = families
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    let count = names.len();
    names.dedup();
    assert_eq!(names.len(), count, "a family twice: {names:?}");
    let kind = |name: &str| {
        families
            .iter()
            .find(|f| f["name"] == name)
            .map(|f| f["type"].as_str().unwrap().to_owned())
    };
    // (The parser names counters without their `_total`.)
    assert_eq!(kind("dateline_http_requests").as_deref(), Some("counter"));
    assert_eq!(
        kind("dateline_page_cache_requests").as_deref(),
        Some("counter")
    );
    assert_eq!(
        kind("dateline_http_request_duration_seconds").as_deref(),
        Some("histogram")
    );
    assert_eq!(
        kind("dateline_db_pool_connections").as_deref(),
        Some("gauge")
    );
}

#[sqlx::test]
async fn without_a_metrics_bind_nothing_serves_metrics(pool: PgPool) {
    let (_server, _logs, address) = start_server_with(&pool, &[]).await;
    assert!(
        http_get(&address, "/metrics")
            .await
            .starts_with("HTTP/1.1 404")
    );
}

#[sqlx::test]
async fn every_request_is_logged_once_as_json_cache_hits_included(pool: PgPool) {
    ArticleBuilder::new("Logged story")
        .slug("logged-story")
        .insert(&pool)
        .await;
    let metrics_address = format!("127.0.0.1:{}", free_port());
    let (_server, mut logs, address) =
        start_server_with(&pool, &[("DATELINE_METRICS_BIND", &metrics_address)]).await;
    let hits = r#"dateline_page_cache_requests_total{cache="pages",result="hit"}"#;
    // (path, request id, status); the story until one answer was a cache hit.
    let mut sent = Vec::new();
    for n in 0..20 {
        let id = format!("t-story-{n}");
        let answer = get_raw(
            &address,
            "/research-news/logged-story",
            &[("x-request-id", &id)],
        )
        .await;
        assert_eq!(status_of(&answer), 200);
        assert_eq!(header_of(&answer, "x-request-id"), Some(id.as_str()));
        sent.push(("/research-news/logged-story", id, 200));
        let metrics = get_raw(&metrics_address, "/metrics", &[]).await;
        if sample(metrics.split_once("\r\n\r\n").unwrap().1, hits).is_some_and(|n| n >= 1.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (path, id, status) in [("/no/such/page", "t-404", 404), ("/healthz", "t-last", 200)] {
        let answer = get_raw(&address, path, &[("x-request-id", id)]).await;
        assert_eq!(status_of(&answer), status, "{path}");
        sent.push((path, id.to_owned(), status));
    }
    // Lines of different HTTP threads may come in any order: every access line until each
    // request has one, and any that come within a moment after.
    let mut access: Vec<serde_json::Value> = Vec::new();
    let logged = |access: &Vec<serde_json::Value>, id: &str| {
        access
            .iter()
            .filter(|line| line["fields"]["request_id"] == id)
            .count()
    };
    let mut quiet_after = None;
    loop {
        let wait = quiet_after.map_or(Duration::from_secs(10), |_| Duration::from_millis(300));
        let Ok(line) = tokio::time::timeout(wait, logs.next_line()).await else {
            assert!(
                quiet_after.is_some(),
                "not every request was logged: {access:#?}"
            );
            break;
        };
        let line = line.unwrap().expect("the server is running");
        let json: serde_json::Value = serde_json::from_str(&line).expect("JSON lines");
        if json["target"] == "dateline::access" {
            access.push(json);
        }
        if quiet_after.is_none() && sent.iter().all(|(_, id, _)| logged(&access, id) > 0) {
            quiet_after = Some(());
        }
    }
    assert!(sent.len() >= 4, "a miss and a hit of the story at least");
    assert_eq!(access.len(), sent.len(), "one line each: {access:#?}");
    for (path, id, status) in &sent {
        assert_eq!(logged(&access, id), 1, "{id}");
        let line = access
            .iter()
            .find(|line| line["fields"]["request_id"] == id.as_str())
            .unwrap();
        assert_eq!(line["level"], "INFO");
        let fields = &line["fields"];
        assert_eq!(fields["method"], "GET");
        assert_eq!(fields["path"], *path);
        assert_eq!(fields["status"], *status);
        assert!(
            fields["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
            "{line}"
        );
        let route = if path.starts_with("/research-news/") {
            "/research-news/{slug}"
        } else if *path == "/healthz" {
            "/healthz"
        } else {
            "unmatched"
        };
        assert_eq!(fields["route"], route);
    }
}

/// Waits, when the clock minute is about to turn, for the next one: the limit counts per
/// clock minute.
async fn not_near_a_minute_boundary() {
    let second = time::OffsetDateTime::now_utc().second();
    if second >= 50 {
        tokio::time::sleep(Duration::from_secs(u64::from(61 - second))).await;
    }
}

async fn me(address: &str, token: &str) -> String {
    get_raw(
        address,
        "/api/v1/me",
        &[("Authorization", &format!("Bearer {token}"))],
    )
    .await
}

#[sqlx::test]
async fn the_api_limit_counts_per_token_over_every_instance(pool: PgPool) {
    let first_token = crate::helpers::token_for(&pool, Role::Contributor).await;
    let other_token = crate::helpers::token_for(&pool, Role::Contributor).await;
    let env = [("DATELINE_API_PER_MINUTE", "3")];
    let (_one, _logs_one, one) = start_server_with(&pool, &env).await;
    let (_two, _logs_two, two) = start_server_with(&pool, &env).await;
    not_near_a_minute_boundary().await;

    assert_eq!(status_of(&me(&one, &first_token).await), 200);
    assert_eq!(status_of(&me(&one, &first_token).await), 200);
    // Shared within a moment (200 ms); the other instance rereads a count once a second.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(status_of(&me(&two, &first_token).await), 200);
    tokio::time::sleep(Duration::from_millis(1300)).await;

    let refused = me(&one, &first_token).await;
    assert_eq!(status_of(&refused), 429, "{refused}");
    let retry_after: u64 = header_of(&refused, "retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after));
    assert!(
        header_of(&refused, "content-type")
            .unwrap()
            .starts_with("application/problem+json")
    );
    let body: serde_json::Value =
        serde_json::from_str(refused.split_once("\r\n\r\n").unwrap().1).unwrap();
    assert_eq!(body["status"], 429);
    assert_eq!(status_of(&me(&two, &first_token).await), 429);

    // Another token has its own count.
    assert_eq!(status_of(&me(&one, &other_token).await), 200);
    assert_eq!(status_of(&me(&two, &other_token).await), 200);
}

#[sqlx::test]
async fn calls_without_a_token_are_limited_by_client_address(pool: PgPool) {
    let (_server, _logs, address) =
        start_server_with(&pool, &[("DATELINE_API_PER_MINUTE", "2")]).await;
    not_near_a_minute_boundary().await;
    assert_eq!(status_of(&get_raw(&address, "/api/v1/me", &[]).await), 401);
    assert_eq!(status_of(&me(&address, "not-a-token").await), 401);
    let refused = get_raw(&address, "/api/v1/me", &[]).await;
    assert_eq!(status_of(&refused), 429, "{refused}");
    assert!(header_of(&refused, "retry-after").is_some());
    // A valid token is counted by itself, not by the address.
    let token = crate::helpers::token_for(&pool, Role::Contributor).await;
    assert_eq!(status_of(&me(&address, &token).await), 200);
}

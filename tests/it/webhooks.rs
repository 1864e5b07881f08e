//! Webhooks (CONTRACT §12): a real receiver (tests/fixtures/webhook_receiver.py, run with
//! `$DATELINE_PYTHON`) verifies every delivery with the Standard Webhooks reference library
//! and answers 500 or holds a delivery past the time-out on demand. Deliveries are sent by the
//! delivery loop in-process, or by real `dateline serve` processes for the restart and
//! two-instance tests.

use std::process::Stdio;
use std::time::Duration;

use axum::http::StatusCode;
use dateline::config::Config;
use dateline::domain::policy::Role;
use dateline::jobs::webhooks::Settings;
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, BufReader};
use uuid::Uuid;

use crate::helpers::server::start_server_with;
use crate::helpers::{BASE_URL, TestApp, id_of, token_for};

/// The receiver process and its address.
struct Receiver {
    _child: tokio::process::Child,
    port: u16,
    http: reqwest::Client,
}

impl Receiver {
    async fn start() -> Self {
        let python = std::env::var("DATELINE_PYTHON")
            .expect("DATELINE_PYTHON is set by `make test` (a venv with standardwebhooks)");
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/webhook_receiver.py"
        );
        let mut child = tokio::process::Command::new(python)
            .arg(script)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the receiver starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the receiver says its port")
            .unwrap()
            .expect("a first line");
        let port = first
            .strip_prefix("listening ")
            .and_then(|p| p.trim().parse().ok())
            .expect("listening <port>");
        Self {
            _child: child,
            port,
            http: reqwest::Client::new(),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    async fn control(&self, settings: Value) {
        let answer = self
            .http
            .post(format!("http://127.0.0.1:{}/control", self.port))
            .body(settings.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 204);
    }

    async fn records(&self) -> Vec<Value> {
        let text = self
            .http
            .get(format!("http://127.0.0.1:{}/records", self.port))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// The records once `done` holds of them (at most `secs` seconds).
    async fn wait_until(&self, secs: u64, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let records = self.records().await;
            if done(&records) {
                return records;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the receiver did not see what was expected in {secs} s: {records:#?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn moment(value: &Value) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(
        value.as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
}

/// Deliveries the receiver verified and accepted with a 200.
fn accepted(records: &[Value]) -> Vec<&Value> {
    records
        .iter()
        .filter(|r| r["verified"] == true && r["answered"] == 200)
        .collect()
}

fn allowing_loopback() -> Config {
    let mut config = Config::for_tests(BASE_URL);
    config.webhook_allow_hosts = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
    config
}

fn settings(allow: &[&str], timeout_secs: u64) -> Settings {
    Settings {
        base_url: BASE_URL.to_owned(),
        allow_hosts: allow.iter().map(|h| (*h).to_owned()).collect(),
        timeout: Duration::from_secs(timeout_secs),
        retry_base: Duration::from_millis(200),
        give_up_after: dateline::domain::webhooks::GIVE_UP_AFTER,
    }
}

/// Subscribes the receiver; returns the webhook's id and tells the receiver its secret.
async fn subscribe(app: &TestApp, token: &str, receiver: &Receiver, events: &[&str]) -> String {
    let created = app
        .api(
            "POST",
            "/api/v1/webhooks",
            Some(token),
            Some(json!({"url": receiver.url(), "events": events})),
            &[],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let body = created.json();
    let secret = body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    receiver.control(json!({"secret": secret})).await;
    body["id"].as_str().unwrap().to_owned()
}

async fn published_story(app: &TestApp, token: &str, slug: &str) -> String {
    let id = id_of(
        &app.create_article(
            token,
            json!({"title": format!("Story {slug}"), "slug": slug}),
        )
        .await,
    );
    app.action(token, &id, "publish", None).await;
    id
}

async fn patch_story(app: &TestApp, token: &str, id: &str, body: Value) {
    let current = app
        .api(
            "GET",
            &format!("/api/v1/articles/{id}"),
            Some(token),
            None,
            &[],
        )
        .await;
    let etag = current.header("etag").to_owned();
    let answer = app
        .api(
            "PATCH",
            &format!("/api/v1/articles/{id}"),
            Some(token),
            Some(body),
            &[("if-match", etag.as_str())],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
}

async fn log(app: &TestApp, token: &str, webhook: &str) -> Value {
    let answer = app
        .api(
            "GET",
            &format!("/api/v1/webhooks/{webhook}/deliveries?per_page=100"),
            Some(token),
            None,
            &[],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.json()
}

#[sqlx::test]
async fn deliveries_are_signed_and_verified_by_the_reference_library(pool: PgPool) {
    let receiver = Receiver::start().await;
    let app = TestApp::with_config(pool.clone(), allowing_loopback());
    let token = token_for(&pool, Role::Admin).await;
    subscribe(&app, &token, &receiver, &dateline::domain::webhooks::EVENTS).await;
    let sender = dateline::jobs::webhooks::spawn(pool.clone(), settings(&["127.0.0.1"], 5));

    let id = published_story(&app, &token, "signed").await;
    patch_story(
        &app,
        &token,
        &id,
        json!({"dek": "9%, not 19%", "change_kind": "correction", "change_note": "We said 19%; it was 9%."}),
    )
    .await;
    patch_story(
        &app,
        &token,
        &id,
        json!({"dek": "New data", "change_kind": "update"}),
    )
    .await;
    app.action(&token, &id, "archive", None).await;
    app.action(
        &token,
        &id,
        "withdraw",
        Some(json!({"reason": "Retracted"})),
    )
    .await;

    let records = receiver.wait_until(20, |r| accepted(r).len() >= 5).await;
    sender.abort();
    assert!(
        records.iter().all(|r| r["verified"] == true),
        "{records:#?}"
    );
    let types: Vec<&str> = records
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "article.published",
            "article.corrected",
            "article.updated",
            "article.archived",
            "article.withdrawn"
        ]
    );
    let published = &records[0]["body"];
    assert_eq!(published["data"]["id"], id.as_str());
    assert_eq!(published["data"]["slug"], "signed");
    assert_eq!(published["data"]["headline"], "Story signed");
    assert_eq!(
        published["data"]["url"],
        format!("{BASE_URL}/research-news/signed")
    );
    assert_eq!(published["data"]["status"], "published");
    assert!(published["timestamp"].as_str().unwrap().contains('T'));
    assert_eq!(
        records[1]["body"]["data"]["change_note"],
        "We said 19%; it was 9%."
    );
    // One id per event.
    let mut ids: Vec<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 5);
}

#[sqlx::test]
async fn failed_deliveries_are_retried_with_the_same_webhook_id_and_logged(pool: PgPool) {
    let receiver = Receiver::start().await;
    let app = TestApp::with_config(pool.clone(), allowing_loopback());
    let token = token_for(&pool, Role::Admin).await;
    let webhook = subscribe(&app, &token, &receiver, &["article.published"]).await;
    receiver.control(json!({"fail_next": 2})).await;
    let sender = dateline::jobs::webhooks::spawn(pool.clone(), settings(&["127.0.0.1"], 5));

    published_story(&app, &token, "retried").await;
    let records = receiver.wait_until(20, |r| !accepted(r).is_empty()).await;
    sender.abort();
    assert_eq!(records.len(), 3, "{records:#?}");
    let answers: Vec<&Value> = records.iter().map(|r| &r["answered"]).collect();
    assert_eq!(answers, [&json!(500), &json!(500), &json!(200)]);
    assert!(records.iter().all(|r| r["id"] == records[0]["id"]));
    assert!(records.iter().all(|r| r["verified"] == true));

    let log = log(&app, &token, &webhook).await;
    assert_eq!(log["total"], 3, "{log:#}");
    let items = log["items"].as_array().unwrap();
    // Newest first.
    assert_eq!(items[0]["attempt"], 3);
    assert_eq!(items[0]["outcome"], "delivered");
    assert_eq!(items[0]["status_code"], 200);
    assert!(items[0]["next_retry_at"].is_null());
    assert_eq!(items[2]["attempt"], 1);
    assert_eq!(items[2]["outcome"], "failed");
    assert_eq!(items[2]["status_code"], 500);
    assert!(items[2]["next_retry_at"].is_string());
    for item in items {
        assert_eq!(item["event_type"], "article.published");
        assert_eq!(item["event_id"], records[0]["id"]);
        assert!(item["duration_ms"].is_number());
        assert!(item["at"].is_string());
    }
}

#[sqlx::test]
async fn a_delivery_that_times_out_is_retried(pool: PgPool) {
    let receiver = Receiver::start().await;
    let app = TestApp::with_config(pool.clone(), allowing_loopback());
    let token = token_for(&pool, Role::Admin).await;
    let webhook = subscribe(&app, &token, &receiver, &["article.published"]).await;
    receiver
        .control(json!({"sleep_next": 1, "sleep_secs": 5}))
        .await;
    let sender = dateline::jobs::webhooks::spawn(pool.clone(), settings(&["127.0.0.1"], 1));

    published_story(&app, &token, "slow").await;
    let records = receiver.wait_until(20, |r| !accepted(r).is_empty()).await;
    sender.abort();
    assert_eq!(records[0]["answered"], "slept", "{records:#?}");
    assert_eq!(records[1]["id"], records[0]["id"]);
    let log = log(&app, &token, &webhook).await;
    let items = log["items"].as_array().unwrap();
    let first = items.last().unwrap();
    assert_eq!(first["outcome"], "failed");
    assert_eq!(first["error"], "timed out");
    assert!(first["status_code"].is_null());
}

#[sqlx::test]
async fn a_storys_later_events_wait_for_an_earlier_one_being_retried(pool: PgPool) {
    let receiver = Receiver::start().await;
    let app = TestApp::with_config(pool.clone(), allowing_loopback());
    let token = token_for(&pool, Role::Admin).await;
    subscribe(
        &app,
        &token,
        &receiver,
        &["article.published", "article.updated", "article.archived"],
    )
    .await;
    receiver.control(json!({"fail_next": 3})).await;
    // All three events are queued before the sender starts.
    let id = published_story(&app, &token, "ordered").await;
    patch_story(
        &app,
        &token,
        &id,
        json!({"dek": "More", "change_kind": "update"}),
    )
    .await;
    app.action(&token, &id, "archive", None).await;
    let sender = dateline::jobs::webhooks::spawn(pool.clone(), settings(&["127.0.0.1"], 5));

    let records = receiver.wait_until(30, |r| accepted(r).len() >= 3).await;
    sender.abort();
    let types: Vec<&str> = records
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "article.published",
            "article.published",
            "article.published",
            "article.published",
            "article.updated",
            "article.archived"
        ],
        "{records:#?}"
    );
}

#[sqlx::test]
async fn unsafe_urls_and_unknown_events_are_refused_with_422(pool: PgPool) {
    let app = TestApp::new(pool.clone());
    let token = token_for(&pool, Role::Admin).await;
    for url in [
        "http://127.0.0.1/hook",
        "https://127.0.0.1/hook",
        "https://10.0.0.1/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://169.254.169.254/latest",
        "https://100.64.0.1/",
        "https://localhost/hook",
        "http://example.org/hook",
        "ftp://example.org/",
        "not a url",
    ] {
        let answer = app
            .api(
                "POST",
                "/api/v1/webhooks",
                Some(&token),
                Some(json!({"url": url, "events": ["article.published"]})),
                &[],
            )
            .await;
        answer.assert_problem(422);
        assert_eq!(answer.error_fields(), vec!["url"], "{url}: {}", answer.text);
    }
    let answer = app
        .api(
            "POST",
            "/api/v1/webhooks",
            Some(&token),
            Some(json!({"url": "https://10.0.0.1/", "events": ["article.published", "article.deleted"]})),
            &[],
        )
        .await;
    answer.assert_problem(422);
    assert_eq!(answer.error_fields(), vec!["events[1]", "url"]);
    let answer = app
        .api(
            "POST",
            "/api/v1/webhooks",
            Some(&token),
            Some(json!({"url": "https://127.0.0.1/", "events": [], "secret": "x"})),
            &[],
        )
        .await;
    answer.assert_problem(422);

    // A name that does not resolve (yet) is accepted: each delivery checks it again.
    let answer = app
        .api(
            "POST",
            "/api/v1/webhooks",
            Some(&token),
            Some(json!({"url": "https://receiver.invalid/hook", "events": ["article.published"]})),
            &[],
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);

    // An allowed host may be reached over http and at a loopback address.
    let allowed = TestApp::with_config(pool.clone(), allowing_loopback());
    for url in ["http://127.0.0.1:9/hook", "https://localhost/hook"] {
        let answer = allowed
            .api(
                "POST",
                "/api/v1/webhooks",
                Some(&token),
                Some(json!({"url": url, "events": ["feedback.created"]})),
                &[],
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{url}: {}", answer.text);
    }
    let list = app
        .api("GET", "/api/v1/webhooks", Some(&token), None, &[])
        .await;
    assert_eq!(list.json()["items"].as_array().unwrap().len(), 3);
    assert!(
        !list.text.contains("whsec_"),
        "the list never shows secrets"
    );
}

#[sqlx::test]
async fn delivery_checks_the_resolved_address_and_honours_the_allowed_hosts(pool: PgPool) {
    let receiver = Receiver::start().await;
    let app = TestApp::with_config(pool.clone(), allowing_loopback());
    let token = token_for(&pool, Role::Admin).await;
    // As if `localhost` had resolved to a public address when it was added (DNS rebinding):
    // written straight to the table, https to a name that now resolves to loopback.
    let secret = dateline::domain::webhooks::new_secret();
    let rebinding = dateline::db::webhooks::insert(
        &pool,
        &format!("https://localhost:{}/hook", receiver.port),
        &["article.published".to_owned()],
        &secret,
        None,
    )
    .await
    .unwrap();
    // An allowed host: delivered over http.
    subscribe(&app, &token, &receiver, &["article.published"]).await;
    let sender = dateline::jobs::webhooks::spawn(pool.clone(), settings(&["127.0.0.1"], 5));

    published_story(&app, &token, "rebinding").await;
    receiver.wait_until(20, |r| accepted(r).len() == 1).await;
    let refused = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let log = log(&app, &token, &rebinding.id.to_string()).await;
            if log["items"][0]["outcome"] == "failed" {
                return log;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the refused attempt is logged");
    sender.abort();
    let error = refused["items"][0]["error"].as_str().unwrap();
    assert!(error.contains("forbidden address"), "{error}");
    // The receiver saw only the allowed webhook's delivery.
    assert_eq!(receiver.records().await.len(), 1);
}

#[sqlx::test]
async fn only_admins_manage_webhooks(pool: PgPool) {
    let app = TestApp::with_config(pool.clone(), allowing_loopback());
    let admin = token_for(&pool, Role::Admin).await;
    let created = app
        .api(
            "POST",
            "/api/v1/webhooks",
            Some(&admin),
            Some(json!({"url": "http://127.0.0.1:9/", "events": ["article.published"]})),
            &[],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let calls = [
        ("GET", "/api/v1/webhooks".to_owned(), None),
        (
            "POST",
            "/api/v1/webhooks".to_owned(),
            Some(json!({"url": "http://127.0.0.1:9/", "events": ["article.published"]})),
        ),
        ("DELETE", format!("/api/v1/webhooks/{id}"), None),
        ("GET", format!("/api/v1/webhooks/{id}/deliveries"), None),
        ("POST", format!("/api/v1/webhooks/{id}/test"), None),
    ];
    for role in [Role::Editor, Role::Contributor] {
        let token = token_for(&pool, role).await;
        for (method, path, body) in &calls {
            let answer = app.api(method, path, Some(&token), body.clone(), &[]).await;
            answer.assert_problem(403);
        }
    }
    for (method, path, body) in &calls {
        let answer = app.api(method, path, None, body.clone(), &[]).await;
        answer.assert_problem(401);
    }
    // Deleting: gone from the list, then 404.
    let deleted = app
        .api(
            "DELETE",
            &format!("/api/v1/webhooks/{id}"),
            Some(&admin),
            None,
            &[],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let list = app
        .api("GET", "/api/v1/webhooks", Some(&admin), None, &[])
        .await;
    assert_eq!(list.json()["items"], json!([]));
    app.api(
        "DELETE",
        &format!("/api/v1/webhooks/{id}"),
        Some(&admin),
        None,
        &[],
    )
    .await
    .assert_problem(404);
    app.api(
        "GET",
        &format!("/api/v1/webhooks/{}/deliveries", Uuid::now_v7()),
        Some(&admin),
        None,
        &[],
    )
    .await
    .assert_problem(404);
}

#[sqlx::test]
async fn a_test_event_reaches_its_webhook_alone_and_feedback_is_announced(pool: PgPool) {
    let receiver = Receiver::start().await;
    let app = TestApp::with_config(pool.clone(), allowing_loopback());
    let token = token_for(&pool, Role::Admin).await;
    let webhook = subscribe(&app, &token, &receiver, &["feedback.created"]).await;
    let sender = dateline::jobs::webhooks::spawn(pool.clone(), settings(&["127.0.0.1"], 5));

    let queued = app
        .api(
            "POST",
            &format!("/api/v1/webhooks/{webhook}/test"),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{}", queued.text);
    let queued = queued.json();
    assert_eq!(queued["event_type"], "webhook.test");
    // Not subscribed to publications: nothing for this one.
    published_story(&app, &token, "with-feedback").await;
    let mut request = axum::http::Request::post("/research-news/with-feedback/feedback")
        .header("content-type", "application/json")
        .header("user-agent", "Mozilla/5.0 Firefox/140.0")
        .body(axum::body::Body::from(
            json!({"helpful": true, "comment": "Clear and useful."}).to_string(),
        ))
        .unwrap();
    request.extensions_mut().insert(axum::extract::ConnectInfo(
        "203.0.113.9:40000".parse::<std::net::SocketAddr>().unwrap(),
    ));
    let answer = app.request(request).await;
    assert!(answer.status.is_success(), "{}", answer.text);

    let records = receiver.wait_until(20, |r| accepted(r).len() >= 2).await;
    sender.abort();
    assert_eq!(records.len(), 2, "{records:#?}");
    assert_eq!(records[0]["type"], "webhook.test");
    assert_eq!(records[0]["id"], queued["event_id"]);
    assert_eq!(records[0]["body"]["data"]["webhook_id"], webhook.as_str());
    let feedback = &records[1]["body"];
    assert_eq!(feedback["type"], "feedback.created");
    assert_eq!(feedback["data"]["helpful"], true);
    assert_eq!(feedback["data"]["comment"], "Clear and useful.");
    assert_eq!(feedback["data"]["story_slug"], "with-feedback");
    assert_eq!(
        feedback["data"]["url"],
        format!("{BASE_URL}/research-news/with-feedback")
    );
}

#[sqlx::test]
async fn an_event_is_delivered_after_the_server_dies_mid_delivery(pool: PgPool) {
    let receiver = Receiver::start().await;
    let app = TestApp::with_config(pool.clone(), allowing_loopback());
    let token = token_for(&pool, Role::Admin).await;
    subscribe(&app, &token, &receiver, &["article.published"]).await;
    // The receiver holds the first delivery longer than the server lives.
    receiver
        .control(json!({"sleep_next": 1, "sleep_secs": 60}))
        .await;
    let env = [
        ("DATELINE_WEBHOOK_ALLOW_HOSTS", "127.0.0.1"),
        ("DATELINE_WEBHOOK_TIMEOUT_SECS", "3"),
    ];
    let (mut server, _logs, _) = start_server_with(&pool, &env).await;
    published_story(&app, &token, "survivor").await;
    receiver
        .wait_until(20, |r| r.iter().any(|r| r["answered"] == "slept"))
        .await;
    server.kill().await.unwrap();
    let (mut again, _logs, _) = start_server_with(&pool, &env).await;
    // Claimed by the dead instance: taken over once its lease (2 × 3 + 5 s) runs out.
    let records = receiver.wait_until(40, |r| !accepted(r).is_empty()).await;
    again.kill().await.unwrap();
    assert_eq!(records.len(), 2, "{records:#?}");
    assert_eq!(records[1]["id"], records[0]["id"]);
    assert_eq!(records[1]["type"], "article.published");
}

#[sqlx::test]
async fn two_instances_send_each_attempt_once(pool: PgPool) {
    let receiver = Receiver::start().await;
    let app = TestApp::with_config(pool.clone(), allowing_loopback());
    let token = token_for(&pool, Role::Admin).await;
    subscribe(&app, &token, &receiver, &["article.published"]).await;
    let env = [("DATELINE_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")];
    let (mut one, _logs_one, _) = start_server_with(&pool, &env).await;
    let (mut two, _logs_two, _) = start_server_with(&pool, &env).await;
    for n in 0..12 {
        published_story(&app, &token, &format!("twice-{n}")).await;
    }
    let records = receiver.wait_until(30, |r| accepted(r).len() >= 12).await;
    // Time for a duplicate, were there one, to arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let records_after = receiver.records().await;
    one.kill().await.unwrap();
    two.kill().await.unwrap();
    assert_eq!(records_after.len(), records.len());
    assert_eq!(records_after.len(), 12, "{records_after:#?}");
    let mut ids: Vec<&str> = records_after
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 12);
    let attempts: i64 = sqlx::query_scalar("SELECT count(*) FROM webhook_attempts")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(attempts, 12);
}

#[sqlx::test]
async fn admins_manage_webhooks_from_the_admin_pages_and_others_do_not_see_them(pool: PgPool) {
    use crate::helpers::admin::{PASSWORD, csrf_in, get, post, sign_in};
    let receiver = Receiver::start().await;
    let app = TestApp::with_config(pool.clone(), allowing_loopback());
    dateline::service::users::create_user(
        &pool,
        "root@example.org",
        "Ada Admin",
        Role::Admin,
        PASSWORD,
    )
    .await
    .unwrap();
    crate::helpers::admin::editor(&pool, "ed@example.org").await;

    // An editor sees no link, and the pages are refused.
    let editor = sign_in(&app, "ed@example.org").await;
    let dashboard = get(&app, "/admin", &editor).await;
    assert!(!dashboard.text.contains("/admin/webhooks"));
    assert_eq!(get(&app, "/admin/webhooks", &editor).await.status, 403);

    let cookie = sign_in(&app, "root@example.org").await;
    let dashboard = get(&app, "/admin", &cookie).await;
    assert!(dashboard.text.contains("href=\"/admin/webhooks\""));
    let page = get(&app, "/admin/webhooks", &cookie).await;
    assert_eq!(page.status, 200);
    let csrf = csrf_in(&page.text);

    // Refused: named field errors, the form kept.
    let refused = post(
        &app,
        "/admin/webhooks",
        &cookie,
        &[("csrf", &csrf), ("url", "https://10.0.0.1/x")],
        &[],
    )
    .await;
    assert_eq!(refused.status, 422);
    assert!(refused.text.contains("w-url-error"), "{}", refused.text);
    assert!(refused.text.contains("w-events-error"));
    assert!(refused.text.contains("https://10.0.0.1/x"));

    // Added: the secret is shown once.
    let url = receiver.url();
    let created = post(
        &app,
        "/admin/webhooks",
        &cookie,
        &[
            ("csrf", &csrf),
            ("url", &url),
            ("events", "article.published"),
            ("events", "feedback.created"),
        ],
        &[],
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let doc = scraper::Html::parse_document(&created.text);
    let secret_selector = scraper::Selector::parse("#webhook-secret").unwrap();
    let secret: String = doc
        .select(&secret_selector)
        .next()
        .expect("the secret")
        .text()
        .collect();
    assert!(secret.starts_with("whsec_"));
    receiver.control(json!({"secret": secret})).await;
    let listed = get(&app, "/admin/webhooks", &cookie).await;
    assert!(listed.text.contains(&url));
    assert!(!listed.text.contains("whsec_"), "shown once only");
    let id = sqlx::query_scalar::<_, Uuid>("SELECT id FROM webhooks")
        .fetch_one(&pool)
        .await
        .unwrap();

    // Send a test event: the page says what was queued, and it arrives verified.
    let sender = dateline::jobs::webhooks::spawn(pool.clone(), settings(&["127.0.0.1"], 5));
    let queued = post(
        &app,
        &format!("/admin/webhooks/{id}/test"),
        &cookie,
        &[("csrf", &csrf)],
        &[],
    )
    .await;
    assert_eq!(queued.status, 200, "{}", queued.text);
    assert!(queued.text.contains("webhook.test"));
    let records = receiver.wait_until(20, |r| accepted(r).len() == 1).await;
    assert!(
        queued.text.contains(records[0]["id"].as_str().unwrap()),
        "the page names the event id the receiver saw"
    );
    // The delivery log page lists the attempt.
    let log_page = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let page = get(&app, &format!("/admin/webhooks/{id}"), &cookie).await;
            if page.text.contains("HTTP 200") {
                return page;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the log shows the delivery");
    sender.abort();
    assert!(log_page.text.contains("delivered"));
    assert!(log_page.text.contains("webhook.test"));

    // A post without the form token is refused; deleting asks first.
    let forged = post(
        &app,
        &format!("/admin/webhooks/{id}/delete"),
        &cookie,
        &[],
        &[],
    )
    .await;
    assert_eq!(forged.status, 403);
    let confirm = get(&app, &format!("/admin/webhooks/{id}/delete"), &cookie).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.text.contains("Delete webhook"));
    let deleted = post(
        &app,
        &format!("/admin/webhooks/{id}/delete"),
        &cookie,
        &[("csrf", &csrf)],
        &[],
    )
    .await;
    assert_eq!(deleted.status, 303);
    let after = get(&app, "/admin/webhooks?deleted=1", &cookie).await;
    assert!(after.text.contains("no-webhooks"));

    // Every page of it is valid HTML.
    let pages: Vec<(String, String)> = [
        ("refused form", refused),
        ("created", created),
        ("list", listed),
        ("test queued", queued),
        ("log", log_page),
        ("confirm delete", confirm),
        ("after delete", after),
    ]
    .into_iter()
    .map(|(name, page)| (name.to_owned(), page.text))
    .collect();
    let errors = crate::validity::vnu_errors(&pages);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[sqlx::test]
async fn a_delivery_failing_past_the_give_up_time_is_given_up_and_the_next_goes(pool: PgPool) {
    let receiver = Receiver::start().await;
    let app = TestApp::with_config(pool.clone(), allowing_loopback());
    let token = token_for(&pool, Role::Admin).await;
    let webhook = subscribe(
        &app,
        &token,
        &receiver,
        &["article.published", "article.archived"],
    )
    .await;
    receiver.control(json!({"fail_next": 1000})).await;
    let id = published_story(&app, &token, "given-up").await;
    app.action(&token, &id, "archive", None).await;
    // Given up after 2 s of failures (the hidden DATELINE_WEBHOOK_GIVE_UP_SECS in production
    // terms); the archive waits for it, then fails on its own.
    let mut quick = settings(&["127.0.0.1"], 5);
    quick.give_up_after = Duration::from_secs(2);
    let sender = dateline::jobs::webhooks::spawn(pool.clone(), quick);
    let records = receiver
        .wait_until(30, |r| r.iter().any(|r| r["type"] == "article.archived"))
        .await;
    sender.abort();
    let first_archived = records
        .iter()
        .position(|r| r["type"] == "article.archived")
        .unwrap();
    assert!(
        records[..first_archived]
            .iter()
            .all(|r| r["type"] == "article.published"),
        "{records:#?}"
    );
    let log = log(&app, &token, &webhook).await;
    let items = log["items"].as_array().unwrap();
    let published_gave_up = items
        .iter()
        .find(|i| i["outcome"] == "gave_up" && i["event_type"] == "article.published")
        .expect("the publication was given up");
    assert!(published_gave_up["next_retry_at"].is_null());
    assert_eq!(published_gave_up["status_code"], 500);
    assert_eq!(
        items
            .iter()
            .filter(|i| i["event_type"] == "article.published" && i["outcome"] == "failed")
            .count()
            + 1,
        items
            .iter()
            .filter(|i| i["event_type"] == "article.published")
            .count(),
        "only the last attempt is given up: {log:#}"
    );
    // The archive (queued as long ago, so given up at its first failure too) was first tried
    // only once the publication was given up.
    let archived_first = items
        .iter()
        .filter(|i| i["event_type"] == "article.archived")
        .map(|i| moment(&i["at"]))
        .min()
        .unwrap();
    assert!(archived_first >= moment(&published_gave_up["at"]));
}

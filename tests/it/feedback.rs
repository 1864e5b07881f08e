//! `POST /research-news/{slug}/feedback` (CONTRACT §3) and reader signals.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use dateline::db::feedback::PER_MINUTE;
use dateline::domain::policy::Role;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{ArticleBuilder, TestApp, TestResponse, token_for};

fn from(ip: &str) -> ConnectInfo<SocketAddr> {
    ConnectInfo(format!("{ip}:40000").parse().unwrap())
}

async fn post(app: &TestApp, slug: &str, content_type: &str, body: &str, ip: &str) -> TestResponse {
    let mut request = Request::post(format!("/research-news/{slug}/feedback"))
        .header("content-type", content_type)
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156.0 Safari/537.36",
        )
        .body(Body::from(body.to_owned()))
        .unwrap();
    request.extensions_mut().insert(from(ip));
    app.request(request).await
}

async fn form(app: &TestApp, slug: &str, body: &str, ip: &str) -> TestResponse {
    post(app, slug, "application/x-www-form-urlencoded", body, ip).await
}

async fn json_post(app: &TestApp, slug: &str, body: serde_json::Value, ip: &str) -> TestResponse {
    post(app, slug, "application/json", &body.to_string(), ip).await
}

async fn stored(pool: &PgPool) -> Vec<(Option<bool>, Option<String>, Option<String>, String, i32)> {
    sqlx::query_as(
        "SELECT helpful, comment, email, status, revision_number FROM feedback ORDER BY created_at",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn the_widget_round_trips_without_javascript(pool: PgPool) {
    ArticleBuilder::new("Story")
        .slug("story")
        .insert(&pool)
        .await;
    let app = TestApp::new(pool.clone());
    let page = app.get("/research-news/story").await;
    page.assert_in_order(&[
        "<form class=\"feedback-form\" method=\"post\" action=\"/research-news/story/feedback\"",
        "<fieldset",
        "<legend>Was this helpful?</legend>",
        "<label for=\"fb-comment\">",
        "maxlength=\"2000\"",
        "<label for=\"fb-email\">",
        "name=\"website\"",
        "class=\"privacy-note\"",
        "role=\"status\" aria-live=\"polite\"",
    ]);
    assert!(
        page.text.contains("/assets/js/feedback."),
        "the enhancement script is linked"
    );

    let sent = form(
        &app,
        "story",
        "helpful=yes&comment=Clear+and+useful&email=&website=&revision=1",
        "203.0.113.1",
    )
    .await;
    assert_eq!(sent.status, 303);
    assert_eq!(
        sent.header("location"),
        "/research-news/story?feedback=thanks#feedback"
    );
    let thanked = app.get("/research-news/story?feedback=thanks").await;
    assert!(
        thanked
            .text
            .contains("Thank you. Your feedback reached our editors.")
    );
    assert_eq!(
        stored(&pool).await,
        vec![(
            Some(true),
            Some("Clear and useful".into()),
            None,
            "new".into(),
            1
        )]
    );
}

#[sqlx::test]
async fn json_posts_answer_201_with_the_id(pool: PgPool) {
    let id = ArticleBuilder::new("Story")
        .slug("story")
        .insert(&pool)
        .await;
    let app = TestApp::new(pool.clone());
    let sent = json_post(
        &app,
        "story",
        json!({"helpful": false, "email": "reader@example.org"}),
        "203.0.113.2",
    )
    .await;
    assert_eq!(sent.status, 201, "{}", sent.text);
    let feedback_id: Uuid = sent.json()["id"].as_str().unwrap().parse().unwrap();
    let (article_id, ua, hash): (Uuid, String, Vec<u8>) = sqlx::query_as(
        "SELECT article_id, user_agent_family, client_hash FROM feedback WHERE id = $1",
    )
    .bind(feedback_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(article_id, id);
    assert_eq!(ua, "Chrome", "only the browser family is kept");
    assert_eq!(hash.len(), 32);
    // No raw address anywhere in the row.
    let row: String = sqlx::query_scalar("SELECT row_to_json(f)::text FROM feedback f")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!row.contains("203.0.113.2"), "{row}");
    assert_eq!(
        stored(&pool).await[0].2.as_deref(),
        Some("reader@example.org")
    );
}

#[sqlx::test]
async fn invalid_feedback_is_422_keeps_the_readers_text_and_stores_nothing(pool: PgPool) {
    ArticleBuilder::new("Story")
        .slug("story")
        .insert(&pool)
        .await;
    let app = TestApp::new(pool.clone());
    let long = "é".repeat(2001);
    let body = format!("comment={long}&email=not-an-email&website=");
    let page = form(&app, "story", &body, "203.0.113.3").await;
    assert_eq!(page.status, 422);
    assert!(page.header("content-type").starts_with("text/html"));
    assert!(
        page.text
            .contains("must be at most 2,000 characters (it has 2001)")
    );
    assert!(page.text.contains("must be a valid email address"));
    assert!(page.text.contains(&long), "the comment is kept");
    assert!(
        page.text.contains("value=\"not-an-email\""),
        "the email is kept"
    );
    assert!(page.text.contains("aria-invalid=\"true\""));

    let empty = form(&app, "story", "comment=&website=", "203.0.113.3").await;
    assert_eq!(empty.status, 422);
    assert!(empty.text.contains("choose yes or no, or write a comment"));

    let problem = json_post(&app, "story", json!({"comment": long}), "203.0.113.3").await;
    assert_eq!(problem.error_fields(), vec!["comment"]);
    assert_eq!(
        json_post(&app, "story", json!({}), "203.0.113.3")
            .await
            .error_fields(),
        vec!["helpful"]
    );
    assert_eq!(
        json_post(&app, "story", json!({"helpful": "yes"}), "203.0.113.3")
            .await
            .error_fields(),
        vec!["helpful"]
    );
    assert_eq!(
        json_post(
            &app,
            "story",
            json!({"helpful": true, "name": "x"}),
            "203.0.113.3"
        )
        .await
        .error_fields(),
        vec!["name"]
    );
    post(
        &app,
        "story",
        "application/json",
        "{\"helpful\": tru",
        "203.0.113.3",
    )
    .await
    .assert_problem(400);
    post(&app, "story", "text/plain", "helpful=yes", "203.0.113.3")
        .await
        .assert_problem(415);
    let big = format!("comment={}", "a".repeat(40 * 1024));
    assert_eq!(form(&app, "story", &big, "203.0.113.3").await.status, 413);
    json_post(
        &app,
        "story",
        json!({"comment": "b".repeat(40 * 1024)}),
        "203.0.113.3",
    )
    .await
    .assert_problem(413);
    assert!(stored(&pool).await.is_empty(), "nothing stored");
}

#[sqlx::test]
async fn the_longest_comment_the_contract_allows_is_taken_in_any_script_and_encoding(pool: PgPool) {
    ArticleBuilder::new("Story")
        .slug("story")
        .insert(&pool)
        .await;
    let app = TestApp::new(pool.clone());
    // 2,000 Japanese characters: 18 KB once percent-encoded in the form without JavaScript.
    let japanese = "研究".repeat(1_000);
    let body = serde_urlencoded::to_string([
        ("helpful", "yes"),
        ("comment", japanese.as_str()),
        ("email", "reader@example.org"),
    ])
    .unwrap();
    assert!(body.len() > 18_000, "{}", body.len());
    let sent = form(&app, "story", &body, "203.0.113.9").await;
    assert_eq!(sent.status, 303, "{}", sent.text);
    // 2,000 emoji, each a surrogate pair escaped in JSON (12 bytes a character, the costliest).
    let escaped = "\\ud83d\\ude00".repeat(2_000);
    let json_body = format!("{{\"comment\": \"{escaped}\", \"helpful\": true}}");
    assert!(json_body.len() > 24_000);
    let sent = post(
        &app,
        "story",
        "application/json",
        &json_body,
        "203.0.113.10",
    )
    .await;
    assert_eq!(sent.status, 201, "{}", sent.text);
    let comments: Vec<usize> = stored(&pool)
        .await
        .into_iter()
        .map(|(_, comment, ..)| comment.unwrap_or_default().chars().count())
        .collect();
    assert_eq!(comments, [2_000, 2_000]);
    // One character more is a clear 422, not a 413.
    let over =
        serde_urlencoded::to_string([("comment", format!("{japanese}研").as_str())]).unwrap();
    let refused = form(&app, "story", &over, "203.0.113.11").await;
    assert_eq!(refused.status, 422, "{}", refused.text);
}

#[sqlx::test]
async fn unknown_unpublished_and_withdrawn_stories_take_no_feedback(pool: PgPool) {
    ArticleBuilder::new("Draft")
        .slug("draft")
        .status(dateline::domain::article::ArticleStatus::Draft)
        .insert(&pool)
        .await;
    ArticleBuilder::new("Gone")
        .slug("gone")
        .status(dateline::domain::article::ArticleStatus::Withdrawn)
        .insert(&pool)
        .await;
    let app = TestApp::new(pool.clone());
    json_post(&app, "draft", json!({"helpful": true}), "203.0.113.4")
        .await
        .assert_problem(404);
    json_post(&app, "nope", json!({"helpful": true}), "203.0.113.4")
        .await
        .assert_problem(404);
    json_post(&app, "gone", json!({"helpful": true}), "203.0.113.4")
        .await
        .assert_problem(410);
    assert_eq!(
        form(&app, "draft", "helpful=yes", "203.0.113.4")
            .await
            .status,
        404
    );
    assert!(stored(&pool).await.is_empty());
}

#[sqlx::test]
async fn a_filled_honeypot_is_answered_like_success_and_stored_as_spam(pool: PgPool) {
    ArticleBuilder::new("Story")
        .slug("story")
        .insert(&pool)
        .await;
    let app = TestApp::new(pool.clone());
    assert_eq!(
        form(
            &app,
            "story",
            "helpful=yes&website=http://spam.example",
            "203.0.113.5"
        )
        .await
        .status,
        303
    );
    assert_eq!(
        json_post(
            &app,
            "story",
            json!({"comment": "buy", "website": "x"}),
            "203.0.113.5"
        )
        .await
        .status,
        201
    );
    let statuses: Vec<String> = stored(&pool).await.into_iter().map(|r| r.3).collect();
    assert_eq!(statuses, vec!["spam", "spam"]);
}

fn token_from(page: &str) -> String {
    let start = page.find("name=\"token\" value=\"").expect("token field")
        + "name=\"token\" value=\"".len();
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

#[sqlx::test]
async fn form_tokens_catch_stale_and_forged_submissions_but_not_quick_readers(pool: PgPool) {
    ArticleBuilder::new("Story")
        .slug("story")
        .insert(&pool)
        .await;
    let app = TestApp::new(pool.clone());
    let token = token_from(&app.get("/research-news/story").await.text);
    // Sent at once (a quick reader, or a test): stored as a real entry.
    let fast = form(
        &app,
        "story",
        &format!("helpful=yes&token={token}"),
        "203.0.113.6",
    )
    .await;
    assert_eq!(fast.status, 303);

    let key: Vec<u8> =
        sqlx::query_scalar("SELECT value FROM app_secrets WHERE name = 'feedback_form'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let fresh = dateline::domain::feedback::form_token(&key, "story", now - 30);
    let stale = dateline::domain::feedback::form_token(&key, "story", now - 2 * 86_400);
    let forged = dateline::domain::feedback::form_token(b"wrong key", "story", now - 30);
    for (token, ip) in [
        (fresh, "203.0.113.7"),
        (stale, "203.0.113.8"),
        (forged, "203.0.113.9"),
    ] {
        let sent = json_post(&app, "story", json!({"helpful": true, "token": token}), ip).await;
        assert_eq!(sent.status, 201);
    }
    let reasons: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT status, spam_reason FROM feedback ORDER BY created_at")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(reasons[0], ("new".to_owned(), None));
    assert_eq!(reasons[1], ("new".to_owned(), None));
    assert_eq!(reasons[2].0, "spam");
    assert!(
        reasons[2]
            .1
            .as_deref()
            .unwrap()
            .contains("older than a day")
    );
    assert_eq!(reasons[3].0, "spam");
}

#[sqlx::test]
async fn the_same_comment_twice_within_ten_minutes_is_kept_as_spam(pool: PgPool) {
    ArticleBuilder::new("Story")
        .slug("story")
        .insert(&pool)
        .await;
    let app = TestApp::new(pool.clone());
    let first = json_post(
        &app,
        "story",
        json!({"comment": "Typo in the second paragraph"}),
        "203.0.113.10",
    )
    .await;
    let again = json_post(
        &app,
        "story",
        json!({"comment": "Typo in the second paragraph"}),
        "203.0.113.10",
    )
    .await;
    assert_eq!((first.status.as_u16(), again.status.as_u16()), (201, 201));
    assert_ne!(first.json()["id"], again.json()["id"]);
    assert_eq!(
        form(
            &app,
            "story",
            "comment=Typo+in+the+second+paragraph",
            "203.0.113.10"
        )
        .await
        .status,
        303
    );
    let statuses: Vec<String> = stored(&pool).await.into_iter().map(|r| r.3).collect();
    assert_eq!(statuses, ["new", "spam", "spam"], "editors see it once");
    // Another reader may say the same thing.
    json_post(
        &app,
        "story",
        json!({"comment": "Typo in the second paragraph"}),
        "203.0.113.11",
    )
    .await;
    assert_eq!(stored(&pool).await[3].3, "new");
}

#[sqlx::test]
async fn a_flooding_client_gets_429_with_retry_after(pool: PgPool) {
    ArticleBuilder::new("Story")
        .slug("story")
        .insert(&pool)
        .await;
    let app = TestApp::new(pool.clone());
    // The same post again and again: repeats are stored as spam, and count.
    for n in 0..PER_MINUTE {
        assert_eq!(
            json_post(
                &app,
                "story",
                json!({"helpful": true, "comment": "Great story"}),
                "203.0.113.12"
            )
            .await
            .status,
            201,
            "post {n}"
        );
    }
    let limited = json_post(
        &app,
        "story",
        json!({"comment": "one more"}),
        "203.0.113.12",
    )
    .await;
    limited.assert_problem(429);
    let retry: u64 = limited.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let limited_form = form(&app, "story", "comment=note+7", "203.0.113.12").await;
    assert_eq!(limited_form.status, 429);
    assert!(!limited_form.header("retry-after").is_empty());
    // A client-sent X-Forwarded-For does not get around it (no trusted proxy is configured).
    let mut spoofed = Request::post("/research-news/story/feedback")
        .header("content-type", "application/json")
        .header("x-forwarded-for", "198.51.100.99")
        .body(Body::from(json!({"comment": "note 8"}).to_string()))
        .unwrap();
    spoofed.extensions_mut().insert(from("203.0.113.12"));
    assert_eq!(app.request(spoofed).await.status, 429);
    // Other clients are unaffected.
    assert_eq!(
        json_post(&app, "story", json!({"comment": "hello"}), "203.0.113.13")
            .await
            .status,
        201
    );
    assert_eq!(
        stored(&pool).await.len(),
        usize::try_from(PER_MINUTE).unwrap() + 1
    );
}

#[sqlx::test]
async fn behind_a_trusted_proxy_clients_are_told_apart_by_x_forwarded_for(pool: PgPool) {
    ArticleBuilder::new("Story")
        .slug("story")
        .insert(&pool)
        .await;
    let mut config = dateline::config::Config::for_tests(crate::helpers::BASE_URL);
    config.trusted_proxies = vec!["10.0.0.1".parse().unwrap()];
    let app = TestApp::with_config(pool.clone(), config);
    for n in 0..2 * PER_MINUTE + 2 {
        let mut request = Request::post("/research-news/story/feedback")
            .header("content-type", "application/json")
            .header("x-forwarded-for", format!("198.51.100.{}", n % 2))
            .body(Body::from(json!({"comment": format!("c{n}")}).to_string()))
            .unwrap();
        request.extensions_mut().insert(from("10.0.0.1"));
        let status = app.request(request).await.status.as_u16();
        let expected = if n < 2 * PER_MINUTE { 201 } else { 429 };
        assert_eq!(status, expected, "post {n}");
    }
}

#[sqlx::test]
async fn a_comment_full_of_html_is_stored_as_text_and_shown_escaped(pool: PgPool) {
    ArticleBuilder::new("Story")
        .slug("story")
        .insert(&pool)
        .await;
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    let comment = "<script>alert(1)</script><img src=x onerror=alert(2)> & \"quotes\"";
    json_post(&app, "story", json!({"comment": comment}), "203.0.113.14").await;
    assert_eq!(
        stored(&pool).await[0].1.as_deref(),
        Some(comment),
        "stored exactly as typed"
    );
    let listed = app
        .api("GET", "/api/v1/feedback", Some(&token), None, &[])
        .await;
    assert_eq!(listed.json()["items"][0]["comment"], comment);
    // Re-shown in the form (a 422 for another field), it is escaped.
    let page = form(
        &app,
        "story",
        &format!("comment={}&email=bad", urlencode(comment)),
        "203.0.113.15",
    )
    .await;
    assert_eq!(page.status, 422);
    assert!(!page.text.contains("<script>alert(1)</script>"));
    assert!(
        page.text
            .contains("&#60;script&#62;alert(1)&#60;/script&#62;")
    );
    crate::api::xss::assert_inert(&page.text, "re-shown feedback form");
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[sqlx::test]
async fn a_burst_of_1000_posts_from_25_clients_stores_every_accepted_one(pool: PgPool) {
    ArticleBuilder::new("Story")
        .slug("story")
        .insert(&pool)
        .await;
    let app = std::sync::Arc::new(TestApp::new(pool.clone()));
    let mut tasks = Vec::new();
    for client in 0..25 {
        for n in 0..40 {
            let app = app.clone();
            tasks.push(tokio::spawn(async move {
                let ip = format!("198.51.100.{client}");
                let response = json_post(
                    &app,
                    "story",
                    json!({"helpful": n % 2 == 0, "comment": format!("client {client} post {n}")}),
                    &ip,
                )
                .await;
                response.status.as_u16()
            }));
        }
    }
    let mut accepted = 0;
    let mut limited = 0;
    for task in tasks {
        match task.await.unwrap() {
            201 => accepted += 1,
            429 => limited += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(accepted + limited, 1000);
    let rows = stored(&pool).await.len();
    assert_eq!(rows, accepted, "every accepted post is stored, no more");
    // One client's posts are written one after another, never side by side: exactly the
    // limit a minute each, however many arrive at once.
    let per_minute = usize::try_from(PER_MINUTE).unwrap();
    assert_eq!(
        accepted,
        25 * per_minute,
        "each client gets its limit a minute"
    );
    assert_eq!(limited, 1000 - 25 * per_minute);
}

/// Posts that arrive together are written in one statement, yet each gets its own answer.
#[sqlx::test]
async fn posts_written_together_each_get_their_own_answer(pool: PgPool) {
    ArticleBuilder::new("Story")
        .slug("story")
        .insert(&pool)
        .await;
    ArticleBuilder::new("Draft")
        .slug("draft")
        .status(dateline::domain::article::ArticleStatus::Draft)
        .insert(&pool)
        .await;
    let app = std::sync::Arc::new(TestApp::new(pool.clone()));
    let mut tasks = Vec::new();
    for n in 0..60 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let (slug, comment) = match n % 4 {
                0 => ("missing", format!("to nowhere {n}")),
                1 => ("draft", format!("too early {n}")),
                // The same comment from the same client: stored, the repeats as spam.
                2 => ("story", "The same words again.".to_owned()),
                _ => ("story", format!("fresh {n}")),
            };
            let ip = if n % 4 == 2 {
                "203.0.113.200".to_owned()
            } else {
                format!("203.0.113.{n}")
            };
            let response = json_post(
                &app,
                slug,
                json!({"helpful": true, "comment": comment}),
                &ip,
            )
            .await;
            (n % 4, response.status.as_u16())
        }));
    }
    let mut statuses = std::collections::BTreeMap::<(i32, u16), usize>::new();
    for task in tasks {
        let (kind, status) = task.await.unwrap();
        *statuses.entry((kind, status)).or_default() += 1;
    }
    assert_eq!(statuses.get(&(0, 404)), Some(&15), "{statuses:?}");
    assert_eq!(statuses.get(&(1, 404)), Some(&15), "{statuses:?}");
    assert_eq!(statuses.get(&(3, 201)), Some(&15), "{statuses:?}");
    // The repeated comment: every copy answered as success and stored, the first as `new`
    // and the rest as spam.
    assert_eq!(statuses.get(&(2, 201)), Some(&15), "{statuses:?}");
    let rows = stored(&pool).await;
    assert_eq!(rows.len(), 15 + 15);
    let repeats: Vec<&str> = rows
        .iter()
        .filter(|r| r.1.as_deref() == Some("The same words again."))
        .map(|r| r.3.as_str())
        .collect();
    assert_eq!(repeats.iter().filter(|s| **s == "new").count(), 1);
    assert_eq!(repeats.iter().filter(|s| **s == "spam").count(), 14);
}

#[sqlx::test]
async fn editors_see_aggregates_and_can_delete_an_email(pool: PgPool) {
    let article = ArticleBuilder::new("Story")
        .slug("story")
        .insert(&pool)
        .await;
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    json_post(
        &app,
        "story",
        json!({"helpful": true, "comment": "Great", "email": "a@example.org"}),
        "203.0.113.20",
    )
    .await;
    json_post(&app, "story", json!({"helpful": true}), "203.0.113.21").await;
    json_post(
        &app,
        "story",
        json!({"helpful": false, "comment": "Too technical"}),
        "203.0.113.22",
    )
    .await;
    json_post(
        &app,
        "story",
        json!({"helpful": false, "website": "spam"}),
        "203.0.113.23",
    )
    .await;
    let stats = app
        .api(
            "GET",
            &format!("/api/v1/articles/{article}/stats"),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(stats.status, 200, "{}", stats.text);
    let stats = stats.json();
    assert_eq!(
        (
            stats["helpful_yes"].as_i64(),
            stats["helpful_no"].as_i64(),
            stats["comments"].as_i64()
        ),
        (Some(2), Some(1), Some(2)),
        "spam left out"
    );

    let with_email: Uuid = sqlx::query_scalar("SELECT id FROM feedback WHERE email IS NOT NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    let cleared = app
        .api(
            "PATCH",
            &format!("/api/v1/feedback/{with_email}"),
            Some(&token),
            Some(json!({"email": null})),
            &[],
        )
        .await;
    assert_eq!(cleared.status, 200, "{}", cleared.text);
    assert!(cleared.json()["email"].is_null());
    let emails: i64 = sqlx::query_scalar("SELECT count(email) FROM feedback")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(emails, 0);
    let bad = app
        .api(
            "PATCH",
            &format!("/api/v1/feedback/{with_email}"),
            Some(&token),
            Some(json!({"email": "x@y.z"})),
            &[],
        )
        .await;
    assert_eq!(bad.error_fields(), vec!["email"]);
}

#[sqlx::test]
async fn page_views_are_counted_in_memory_and_written_in_one_batch(pool: PgPool) {
    let a = ArticleBuilder::new("A").slug("a").insert(&pool).await;
    let b = ArticleBuilder::new("B").slug("b").insert(&pool).await;
    let token = token_for(&pool, Role::Editor).await;
    let state = dateline::state::AppState::new(
        dateline::config::Config::for_tests(crate::helpers::BASE_URL),
        pool.clone(),
    );
    let views = state.views.clone();
    let app = TestApp::from_state(state);
    for _ in 0..7 {
        app.get("/research-news/a").await;
    }
    for _ in 0..3 {
        app.get("/research-news/b").await;
    }
    let mut bot = Request::get("/research-news/a")
        .header("user-agent", "Googlebot/2.1")
        .body(Body::empty())
        .unwrap();
    bot.extensions_mut().insert(from("66.249.66.1"));
    app.request(bot).await;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM page_views")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 0, "no write per view");
    assert_eq!(views.pending(), 10, "bots are not counted");

    assert_eq!(views.flush(&pool).await.unwrap(), 10);
    app.get("/research-news/a").await;
    views.flush(&pool).await.unwrap();
    let count = |id: Uuid| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT views FROM page_views WHERE article_id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!((count(a).await, count(b).await), (8, 3));
    let stats = app
        .api(
            "GET",
            &format!("/api/v1/articles/{a}/stats"),
            Some(&token),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(stats["views_total"], 8);
    assert_eq!(stats["views_by_day"][0]["views"], 8);
}

#[sqlx::test]
async fn feedback_sent_to_a_previous_slug_reaches_the_renamed_story(pool: PgPool) {
    let id = ArticleBuilder::new("Renamed")
        .slug("new-name")
        .insert(&pool)
        .await;
    let mut conn = pool.acquire().await.unwrap();
    dateline::db::slug_history::record_previous_slug(&mut conn, id, "old-name")
        .await
        .unwrap();
    drop(conn);
    let app = TestApp::new(pool.clone());
    let sent = form(&app, "old-name", "helpful=yes", "203.0.113.30").await;
    assert_eq!(sent.status, 303);
    assert_eq!(
        sent.header("location"),
        "/research-news/new-name?feedback=thanks#feedback"
    );
    assert_eq!(stored(&pool).await.len(), 1);
    // Invalid input to the old address is answered as at the new one: 422 with the reader's
    // text kept, not a 404 that loses it.
    let invalid = form(
        &app,
        "old-name",
        "comment=Keep+me&email=bad%40",
        "203.0.113.30",
    )
    .await;
    assert_eq!(invalid.status, 422);
    assert!(invalid.text.contains("Keep me"), "{}", invalid.text);
    let invalid = json_post(&app, "old-name", json!({}), "203.0.113.30").await;
    assert_eq!(invalid.assert_problem(422)["status"], 422);
    // An unknown slug is still a 404.
    assert_eq!(
        form(&app, "never-was", "helpful=yes", "203.0.113.30")
            .await
            .status,
        404
    );
    assert_eq!(stored(&pool).await.len(), 1);
}

//! The bad-input corpus: every endpoint of the API (taken from the OpenAPI document, so none is
//! forgotten), the feedback endpoint in both encodings, the admin forms and the public pages get
//! wrong types, huge values, invalid UTF-8, NUL bytes, deeply nested JSON, path traversal and odd
//! query strings. Not one answer may be a 5xx (a panic would be a 500 from the catch layer), and
//! the server must still answer normally afterwards.

use axum::body::Body;
use axum::http::Request;
use dateline::domain::policy::Role;
use sqlx::PgPool;

use crate::helpers::admin::{csrf_in, editor, get, sign_in};
use crate::helpers::{ArticleBuilder, TestApp, token_for};

/// JSON bodies that are wrong in every way a client can be wrong.
fn json_bodies() -> Vec<Vec<u8>> {
    let deep_array = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_object = format!("{}1{}", "{\"a\":".repeat(20_000), "}".repeat(20_000));
    let mut bodies: Vec<Vec<u8>> = [
        "",
        "null",
        "true",
        "0",
        "-1e999",
        "\"text\"",
        "[]",
        "{}",
        "{",
        "{\"title\": 5}",
        "{\"title\": [\"x\"], \"dek\": {\"a\": 1}}",
        "{\"title\": null, \"topics\": \"heart\"}",
        "{\"title\": \"x\", \"topics\": [1, 2, null]}",
        "{\"title\": \"x\", \"study\": [1, 2]}",
        "{\"title\": \"x\", \"study\": {\"sample_size\": \"many\", \"presented_at\": \"yesterday\"}}",
        "{\"title\": \"x\", \"review\": {\"last_reviewed\": 20260101}}",
        "{\"title\": \"x\\u0000y\", \"dek\": \"\\u0000\"}",
        "{\"title\": \"\\ud800\"}",
        "{\"status\": \"published\", \"version\": 99, \"id\": \"00000000-0000-0000-0000-000000000000\"}",
        "{\"at\": \"not a date\"}",
        "{\"at\": \"9999-12-31T23:59:59Z\"}",
        "{\"at\": -1}",
        "{\"reason\": 5, \"superseded_by\": \"nope\"}",
        "{\"superseded_by\": \"00000000-0000-0000-0000-000000000000\"}",
        "{\"expires_in_hours\": 1e20}",
        "{\"expires_in_hours\": -5}",
        "{\"slug\": \"../../etc/passwd\", \"name\": \"x\"}",
        "{\"slug\": \"%2e%2e%2f\", \"name\": \"\\u0000\"}",
        "{\"status\": 7, \"email\": \"x\"}",
        "{\"helpful\": \"maybe\", \"comment\": 5}",
        "{\"role\": \"admin\"}",
        "{\"__proto__\": {\"admin\": true}}",
        // Dates outside the years Dateline takes (issue 20): year 0 with a positive offset is
        // year -1 in UTC, year 9999 with a negative offset is 10000.
        "{\"at\": \"0000-01-01T00:00:00+01:00\"}",
        "{\"at\": \"9999-12-31T23:00:00-05:00\"}",
        "{\"at\": \"-0001-01-01T00:00:00Z\"}",
        "{\"study\": {\"presented_at\": \"0000-01-01\"}, \"review\": {\"last_reviewed\": \"9999-12-31\", \"next_review_due\": \"0001-01-01\"}}",
        "{\"expires_in_hours\": 389.0}",
        // Control characters and noncharacters pasted from PDFs, in every text field.
        "{\"title\": \"A\\u000cB\\u000bC\\u0085\\ufffe\", \"dek\": \"\\u001b[31m\\u009b\", \"body_markdown\": \"x\\u000cy\\uffff\", \"change_note\": \"\\u0001\", \"study\": {\"citation\": \"\\u0007\"}}",
        "{\"name\": \"\\u000c\\u000b\", \"description\": \"\\ufdd0\", \"reason\": \"\\u0002\"}",
        // Raw HTML that swallows what follows it.
        "{\"body_markdown\": \"<textarea>\\n\\n## Later\\n\\nText\"}",
        "{\"body_markdown\": \"<!--\\n\\nLater\", \"title\": \"<title>x\"}",
        "{\"body_markdown\": \"<style>\\n\\n<plaintext>\\n\\n<xmp>\"}",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    bodies.push(deep_array.into_bytes());
    bodies.push(deep_object.into_bytes());
    bodies.push(format!("{{\"title\": \"{}\"}}", "x".repeat(2 * 1024 * 1024)).into_bytes());
    bodies.push(format!("{{\"body_markdown\": \"{}\"}}", "y".repeat(300_000)).into_bytes());
    bodies.push(vec![
        b'{', b'"', b't', b'"', b':', b'"', 0xff, 0xfe, b'"', b'}',
    ]);
    bodies.push(vec![0xc3, 0x28, 0xa0, 0xa1]);
    bodies.push(vec![0; 64]);
    bodies
}

/// Values put where an id, a slug or a revision number goes.
const PATH_VALUES: &[&str] = &[
    "0",
    "-1",
    "99999999999999999999",
    "not-a-uuid",
    "00000000-0000-0000-0000-000000000000",
    "%00",
    "%ff%fe",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e",
    "x%0d%0aSet-Cookie:%20a=b",
];

#[sqlx::test]
async fn no_bad_input_to_any_endpoint_gets_a_server_error(pool: PgPool) {
    let token = token_for(&pool, Role::Admin).await;
    let story = ArticleBuilder::new("A story")
        .slug("a-story")
        .insert(&pool)
        .await;
    crate::helpers::insert_topic(&pool, "heart", "Heart", "").await;
    let app = TestApp::new(pool.clone());
    let bearer = format!("Bearer {token}");
    let mut answers = 0;
    let mut failures = Vec::new();
    let mut check = |what: String, status: axum::http::StatusCode| {
        answers += 1;
        if status.is_server_error() {
            failures.push(format!("{status} {what}"));
        }
    };

    // Every documented operation, with every body and odd path values.
    let openapi = app.get("/api/openapi.json").await.json();
    let mut operations = Vec::new();
    for (path, item) in openapi["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.push((method.to_uppercase(), path.clone()));
        }
    }
    assert!(operations.len() >= 20, "{operations:?}");
    let bodies = json_bodies();
    for (method, template) in &operations {
        let real = template
            .replace("{id}", &story.to_string())
            .replace("{number}", "1");
        let mut targets = vec![real];
        for value in PATH_VALUES {
            if template.contains('{') {
                targets.push(template.replace("{id}", value).replace("{number}", value));
            }
        }
        for target in &targets {
            for (n, body) in bodies.iter().enumerate() {
                // Bodies only where a method takes one; every path value once with no body.
                if (method == "GET" || method == "DELETE") && n > 0 {
                    break;
                }
                for content_type in ["application/json", "text/plain"] {
                    let request = Request::builder()
                        .method(method.as_str())
                        .uri(target.as_str())
                        .header("authorization", &bearer)
                        .header("content-type", content_type)
                        .header("if-match", if n % 3 == 0 { "\"1\"" } else { "*" })
                        .body(Body::from(body.clone()))
                        .unwrap();
                    let response = app.request(request).await;
                    check(
                        format!("{method} {target} body #{n} {content_type}"),
                        response.status,
                    );
                }
            }
        }
    }

    // Query strings.
    for query in [
        "page=-1",
        "page=99999999999999999999",
        "per_page=0",
        "per_page=100000",
        "status=%00",
        "topic=%ff",
        "archived=maybe",
        "q=%00%01",
        "page=1&page=2",
        "article_id=nope",
    ] {
        for path in ["/api/v1/articles", "/api/v1/feedback", "/api/v1/topics"] {
            let response = app
                .get_with(&format!("{path}?{query}"), &[("authorization", &bearer)])
                .await;
            check(format!("GET {path}?{query}"), response.status);
        }
        for path in [
            "/",
            "/research-news",
            "/search",
            "/archive",
            "/topics/heart",
            "/admin/login",
        ] {
            let response = app.get(&format!("{path}?{query}")).await;
            check(format!("GET {path}?{query}"), response.status);
        }
    }

    // Public paths: traversal in slugs and asset paths.
    for value in PATH_VALUES.iter().chain(&[
        "..",
        "%2e%2e%2f%2e%2e%2fCargo.toml",
        "....//....//etc/passwd",
    ]) {
        for template in [
            "/research-news/{}",
            "/topics/{}",
            "/topics/{}/feed.xml",
            "/assets/{}",
            "/assets/css/{}",
            "/assets/../{}",
            "/sitemaps/{}",
            "/preview/{}",
            "/admin/stories/{}",
            "/admin/users/{}",
            "/admin/feedback/stories/{}",
            "/admin/feedback/entries/{}",
            "/admin/feedback?story={}",
            "/admin/feedback.csv?story={}",
        ] {
            let path = template.replace("{}", value);
            let Ok(request) = Request::get(path.as_str()).body(Body::empty()) else {
                continue;
            };
            let response = app.request(request).await;
            check(format!("GET {path}"), response.status);
            assert!(
                !response.text.contains("[package]"),
                "{path} serves a file outside assets"
            );
        }
    }

    // Feedback, in both encodings, with every body.
    for body in &bodies {
        for content_type in [
            "application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ] {
            let request = Request::post("/research-news/a-story/feedback")
                .header("content-type", content_type)
                .body(Body::from(body.clone()))
                .unwrap();
            let response = app.request(request).await;
            check(
                format!("POST feedback ({content_type}, {} bytes)", body.len()),
                response.status,
            );
        }
    }

    // Admin forms, signed in, with invalid UTF-8, NUL bytes and huge values.
    editor(&pool, "ada@example.org").await;
    let cookie = sign_in(&app, "ada@example.org").await;
    let csrf = csrf_in(&get(&app, "/admin/stories/new", &cookie).await.text);
    let forms: Vec<Vec<u8>> = vec![
        format!("csrf={csrf}&title=%ff%fe&body_markdown=%00").into_bytes(),
        format!("csrf={csrf}&title=x&study.sample_size=99999999999999999999999&study.presented_at=0000-00-00").into_bytes(),
        format!("csrf={csrf}&title={}", "z".repeat(300_000)).into_bytes(),
        format!("csrf={csrf}&version=-99999999999&title=x&change_kind=%00").into_bytes(),
        [format!("csrf={csrf}&title=").into_bytes(), vec![0xff, 0x00, 0xc3]].concat(),
        format!("csrf={csrf}&action=schedule&publish_at=99999-99-99T99:99").into_bytes(),
        format!("csrf={csrf}&action=archive&superseded_by=%2e%2e%2f").into_bytes(),
        format!("csrf={csrf}&status=%00&id=nope&id=").into_bytes(),
        format!("csrf={csrf}&hours=1e30").into_bytes(),
    ];
    let entry = uuid::Uuid::now_v7();
    sqlx::query(
        "INSERT INTO feedback (id, article_id, revision_number, helpful, client_hash)
         VALUES ($1, $2, 1, true, '\\x00')",
    )
    .bind(entry)
    .bind(story)
    .execute(&pool)
    .await
    .unwrap();
    let admin_targets = [
        "/admin/stories".to_owned(),
        format!("/admin/stories/{story}"),
        format!("/admin/stories/{story}/action"),
        format!("/admin/stories/{story}/autosave"),
        format!("/admin/stories/{story}/preview-links"),
        "/admin/preview".to_owned(),
        "/admin/feedback".to_owned(),
        format!("/admin/feedback/entries/{entry}/note"),
        "/admin/topics".to_owned(),
        "/admin/password".to_owned(),
        "/admin/login".to_owned(),
    ];
    for target in &admin_targets {
        for form in &forms {
            let request = Request::post(target.as_str())
                .header("cookie", &cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(form.clone()))
                .unwrap();
            let response = app.request(request).await;
            check(
                format!("POST {target} ({} bytes)", form.len()),
                response.status,
            );
        }
    }

    // What was stored must not break a later read: the editors' lists, the pages, and every
    // feed and sitemap as well-formed XML (issue 20).
    let cookie_reads = ["/admin", &format!("/admin/stories/{story}")];
    for path in cookie_reads {
        let response = crate::helpers::admin::get(&app, path, &cookie).await;
        check(format!("GET {path} after the corpus"), response.status);
    }
    for path in [
        "/",
        "/research-news",
        "/archive",
        "/topics",
        "/corrections",
        "/feed.xml",
        "/sitemap.xml",
        "/news-sitemap.xml",
    ] {
        let response = app.get(path).await;
        check(format!("GET {path} after the corpus"), response.status);
        if path.ends_with(".xml") {
            assert!(
                roxmltree::Document::parse(&response.text).is_ok(),
                "{path} stays well-formed"
            );
        }
    }
    println!("{answers} answers to bad input");
    assert!(answers > 3_000, "{answers}");
    assert!(
        failures.is_empty(),
        "{} server errors:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // And the server is fine afterwards (the corpus itself deleted and renamed the story).
    assert_eq!(app.get("/").await.status, 200);
    assert_eq!(app.get("/readyz").await.status, 200);
    assert_eq!(
        app.get_with("/api/v1/articles", &[("authorization", &bearer)])
            .await
            .status,
        200
    );
}

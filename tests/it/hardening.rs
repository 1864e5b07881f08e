//! Hardened defaults: security headers on every kind of answer (HSTS with https), size limits,
//! the failed-token throttle and the admins' audit log.

use axum::body::Body;
use axum::http::Request;
use dateline::config::Config;
use dateline::domain::policy::Role;
use sqlx::PgPool;

use crate::helpers::admin::{editor, get, post, sign_in};
use crate::helpers::{ArticleBuilder, TestApp, token_for};

#[sqlx::test]
async fn every_kind_of_answer_carries_the_security_headers(pool: PgPool) {
    ArticleBuilder::new("Story")
        .slug("story")
        .insert(&pool)
        .await;
    let app = TestApp::with_config(pool.clone(), Config::for_tests("https://news.example.org"));
    for path in [
        "/",
        "/research-news/story",
        "/feed.xml",
        "/api/v1/articles",
        "/api/openapi.json",
        "/admin/login",
        "/assets/css/site.css",
        "/nope",
        "/healthz",
    ] {
        let page = app.get(path).await;
        assert!(
            page.header("content-security-policy")
                .contains("object-src 'none'"),
            "{path}"
        );
        assert!(
            page.header("content-security-policy")
                .contains("base-uri 'none'"),
            "{path}"
        );
        assert_eq!(page.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(
            page.header("referrer-policy"),
            "strict-origin-when-cross-origin",
            "{path}"
        );
        assert!(
            page.header("permissions-policy").contains("camera=()"),
            "{path}"
        );
        assert_eq!(
            page.header("strict-transport-security"),
            "max-age=63072000; includeSubDomains",
            "{path}"
        );
    }
    let login = app.get("/admin/login").await;
    let cookie = login.header("set-cookie");
    assert!(cookie.starts_with("__Host-dateline_session="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );

    // Over plain http (development) there is no HSTS.
    let plain = TestApp::with_config(pool, Config::for_tests("http://127.0.0.1:3000"));
    assert_eq!(plain.get("/").await.header("strict-transport-security"), "");
}

#[sqlx::test]
async fn overlong_headers_addresses_and_admin_forms_are_refused(pool: PgPool) {
    let app = TestApp::new(pool.clone());
    let big = "a".repeat(9 * 1024);
    let response = app.get_with("/", &[("x-padding", &big)]).await;
    assert_eq!(response.status, 431);
    let api = app
        .get_with("/api/v1/articles", &[("x-padding", &big)])
        .await;
    assert_eq!(api.status, 431);
    assert!(
        api.header("content-type")
            .starts_with("application/problem+json")
    );
    let many: Vec<(String, String)> = (0..10)
        .map(|n| (format!("x-pad-{n}"), "b".repeat(4 * 1024)))
        .collect();
    let pairs: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(app.get_with("/", &pairs).await.status, 431, "32 KiB in all");
    let long = format!("/search?q={}", "w".repeat(33 * 1024));
    assert_eq!(app.get(&long).await.status, 414);

    editor(&pool, "ada@example.org").await;
    let cookie = sign_in(&app, "ada@example.org").await;
    let body = "x".repeat(1024 * 1024 + 1);
    let response = app
        .request(
            Request::post("/admin/stories")
                .header("cookie", &cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(format!("body_markdown={body}")))
                .unwrap(),
        )
        .await;
    assert_eq!(response.status, 413);
}

#[sqlx::test]
async fn a_client_guessing_api_tokens_gets_401s_and_is_noted_in_the_audit_log(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    for n in 0..25 {
        let response = app
            .get_with(
                "/api/v1/articles",
                &[("authorization", &format!("Bearer dl_guess{n}"))],
            )
            .await;
        assert_eq!(response.status, 401, "miss {n}");
        assert!(response.header("www-authenticate").starts_with("Bearer"));
        assert!(
            response
                .header("content-type")
                .starts_with("application/problem+json")
        );
    }
    let noted: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'token.guessing'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(noted, 1, "noted once in the audit log");
    // A real token still works from the same client.
    let ok = app
        .get_with(
            "/api/v1/articles",
            &[("authorization", &format!("Bearer {token}"))],
        )
        .await;
    assert_eq!(ok.status, 200);
}

#[sqlx::test]
async fn admins_read_the_audit_log_and_editors_cannot(pool: PgPool) {
    dateline::service::users::create_user(
        &pool,
        "root@example.org",
        "Root Admin",
        Role::Admin,
        crate::helpers::admin::PASSWORD,
    )
    .await
    .unwrap();
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool.clone());
    let admin = sign_in(&app, "root@example.org").await;
    let ada = sign_in(&app, "ada@example.org").await;
    assert_eq!(get(&app, "/admin/audit", &ada).await.status, 403);

    // An admin makes a token for Ada: the log names the admin, not Ada.
    let ada_id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'ada@example.org'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let page = get(&app, &format!("/admin/users/{ada_id}"), &admin).await;
    let csrf = crate::helpers::admin::csrf_in(&page.text);
    let made = post(
        &app,
        &format!("/admin/users/{ada_id}/tokens"),
        &admin,
        &[("csrf", &csrf), ("name", "laptop")],
        &[],
    )
    .await;
    assert_eq!(made.status, 200);
    let actor: Option<String> = sqlx::query_scalar(
        "SELECT u.email FROM audit_log a JOIN users u ON u.id = a.actor_id WHERE a.action = 'token.create'",
    )
    .fetch_optional(&pool)
    .await
    .unwrap();
    assert_eq!(actor.as_deref(), Some("root@example.org"));

    let log = get(&app, "/admin/audit", &admin).await;
    assert_eq!(log.status, 200);
    assert!(log.text.contains("<code>user.login</code>"));
    assert!(log.text.contains("<code>token.create</code>"));
    let tokens = get(&app, "/admin/audit?kind=token.", &admin).await;
    assert!(tokens.text.contains("token.create"));
    assert!(!tokens.text.contains("<code>user.login</code>"), "filtered");
    assert!(
        tokens
            .text
            .contains("Root Admin &#60;root@example.org&#62;")
            || tokens.text.contains("Root Admin &lt;root@example.org&gt;"),
        "{}",
        tokens.text
    );
    // Signing out is recorded too.
    let page = get(&app, "/admin", &ada).await;
    let csrf = crate::helpers::admin::csrf_in(&page.text);
    assert_eq!(
        post(&app, "/admin/logout", &ada, &[("csrf", &csrf)], &[])
            .await
            .status,
        303
    );
    let logouts: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'user.logout'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(logouts, 1);
}

#[sqlx::test]
async fn a_hundred_concurrent_patches_with_one_if_match_make_one_revision(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let id = ArticleBuilder::new("Concurrent edits").insert(&pool).await;
    let app = TestApp::new(pool.clone());
    let path = format!("/api/v1/articles/{id}");
    let current = app.api("GET", &path, Some(&token), None, &[]).await;
    let etag = current.header("etag").to_owned();
    let revisions = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM article_revisions WHERE article_id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let before = revisions().await;

    let mut clients = tokio::task::JoinSet::new();
    for n in 0..100 {
        let (app, path, token, etag) = (app.clone(), path.clone(), token.clone(), etag.clone());
        clients.spawn(async move {
            app.api(
                "PATCH",
                &path,
                Some(&token),
                Some(serde_json::json!({ "title": format!("Edit number {n}") })),
                &[("if-match", &etag)],
            )
            .await
            .status
        });
    }
    let statuses: Vec<u16> = clients
        .join_all()
        .await
        .into_iter()
        .map(|s| s.as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 412).count(),
        99,
        "{statuses:?}"
    );
    assert_eq!(revisions().await, before + 1, "exactly one new revision");
}

#[sqlx::test]
async fn nul_characters_are_refused_with_the_field_named(pool: PgPool) {
    let app = TestApp::new(pool.clone());
    assert_eq!(app.get("/research-news/a%00b").await.status, 404);
    assert_eq!(app.get("/api/v1/articles/%00").await.status, 404);
    editor(&pool, "ada@example.org").await;
    let cookie = sign_in(&app, "ada@example.org").await;
    let csrf = crate::helpers::admin::csrf_in(&get(&app, "/admin/stories/new", &cookie).await.text);
    let response = post(
        &app,
        "/admin/stories",
        &cookie,
        &[("csrf", &csrf), ("title", "Coffee\0"), ("dek", "fine")],
        &[],
    )
    .await;
    assert_eq!(response.status, 422);
    assert!(response.text.contains("title"), "{}", response.text);
    assert!(response.text.contains("NUL"), "{}", response.text);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM articles")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

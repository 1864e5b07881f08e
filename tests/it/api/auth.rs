//! Bearer tokens and roles.

use dateline::domain::policy::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, id_of, token_for};

#[sqlx::test]
async fn missing_bad_and_revoked_tokens_are_401_with_www_authenticate(pool: PgPool) {
    let good = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    for token in [
        None,
        Some("nope"),
        Some("dl_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
    ] {
        let response = app.api("GET", "/api/v1/me", token, None, &[]).await;
        response.assert_problem(401);
        assert!(
            response.header("www-authenticate").starts_with("Bearer"),
            "{token:?}"
        );
    }
    let basic = app
        .api(
            "GET",
            "/api/v1/me",
            None,
            None,
            &[("authorization", "Basic dXNlcjpwdw==")],
        )
        .await;
    basic.assert_problem(401);

    assert_eq!(
        app.api("GET", "/api/v1/me", Some(&good), None, &[])
            .await
            .status,
        200
    );
    let token_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM api_tokens")
        .fetch_one(&pool)
        .await
        .unwrap();
    dateline::service::users::revoke_token(&pool, token_id)
        .await
        .unwrap();
    app.api("GET", "/api/v1/me", Some(&good), None, &[])
        .await
        .assert_problem(401);
}

#[sqlx::test]
async fn a_disabled_user_token_no_longer_works(pool: PgPool) {
    let token = token_for(&pool, Role::Admin).await;
    sqlx::query("UPDATE users SET disabled_at = now()")
        .execute(&pool)
        .await
        .unwrap();
    TestApp::new(pool)
        .api("GET", "/api/v1/me", Some(&token), None, &[])
        .await
        .assert_problem(401);
}

#[sqlx::test]
async fn me_returns_the_caller_and_tokens_are_stored_hashed(pool: PgPool) {
    let token = token_for(&pool, Role::Contributor).await;
    let me = TestApp::new(pool.clone())
        .api("GET", "/api/v1/me", Some(&token), None, &[])
        .await;
    assert_eq!(me.status, 200);
    let me = me.json();
    assert_eq!(me["role"], "contributor");
    assert_eq!(me["name"], "Test User");
    assert!(me["email"].as_str().unwrap().ends_with("@example.org"));
    assert!(me["id"].is_string());
    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM api_tokens")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 32);
    assert!(!String::from_utf8_lossy(&stored).contains(&token[3..]));
    let last_used: Option<time::OffsetDateTime> =
        sqlx::query_scalar("SELECT last_used_at FROM api_tokens")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(last_used.is_some(), "last-used time recorded");
}

#[sqlx::test]
async fn contributors_touch_only_their_own_drafts(pool: PgPool) {
    let editor = token_for(&pool, Role::Editor).await;
    let writer = token_for(&pool, Role::Contributor).await;
    let other = token_for(&pool, Role::Contributor).await;
    let app = TestApp::new(pool);
    let mine = app
        .create_article(&writer, json!({"title": "My draft"}))
        .await;
    let theirs = app
        .create_article(&other, json!({"title": "Their draft"}))
        .await;
    let (mine_id, theirs_id) = (id_of(&mine), id_of(&theirs));

    // Own draft: read, edit, preview, submit.
    assert_eq!(
        app.api(
            "GET",
            &format!("/api/v1/articles/{mine_id}"),
            Some(&writer),
            None,
            &[]
        )
        .await
        .status,
        200
    );
    let edited = app
        .api(
            "PATCH",
            &format!("/api/v1/articles/{mine_id}"),
            Some(&writer),
            Some(json!({"dek": "mine"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.text);
    assert_eq!(
        app.api(
            "POST",
            &format!("/api/v1/articles/{mine_id}/preview-links"),
            Some(&writer),
            None,
            &[]
        )
        .await
        .status,
        201
    );
    // Never publish, archive, withdraw.
    for action in ["publish", "archive", "withdraw", "unpublish"] {
        app.api(
            "POST",
            &format!("/api/v1/articles/{mine_id}/{action}"),
            Some(&writer),
            None,
            &[],
        )
        .await
        .assert_problem(403);
    }
    app.action(&writer, &mine_id, "submit", None).await;
    // Once submitted, it is no longer theirs to edit.
    app.api(
        "PATCH",
        &format!("/api/v1/articles/{mine_id}"),
        Some(&writer),
        Some(json!({"dek": "x"})),
        &[("if-match", "\"3\"")],
    )
    .await
    .assert_problem(403);

    // Someone else's draft: nothing.
    app.api(
        "GET",
        &format!("/api/v1/articles/{theirs_id}"),
        Some(&writer),
        None,
        &[],
    )
    .await
    .assert_problem(403);
    app.api(
        "PATCH",
        &format!("/api/v1/articles/{theirs_id}"),
        Some(&writer),
        Some(json!({"dek": "x"})),
        &[("if-match", "\"1\"")],
    )
    .await
    .assert_problem(403);
    app.api(
        "DELETE",
        &format!("/api/v1/articles/{theirs_id}"),
        Some(&writer),
        None,
        &[],
    )
    .await
    .assert_problem(403);

    // Lists show only their own.
    let list = app
        .api("GET", "/api/v1/articles", Some(&writer), None, &[])
        .await
        .json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], mine_id);
    let all = app
        .api("GET", "/api/v1/articles", Some(&editor), None, &[])
        .await
        .json();
    assert_eq!(all["total"], 2);

    // No topics or feedback management.
    app.api(
        "POST",
        "/api/v1/topics",
        Some(&writer),
        Some(json!({"name": "X"})),
        &[],
    )
    .await
    .assert_problem(403);
    app.api("GET", "/api/v1/feedback", Some(&writer), None, &[])
        .await
        .assert_problem(403);
}

#[sqlx::test]
async fn only_admins_restore_deleted_stories(pool: PgPool) {
    let admin = token_for(&pool, Role::Admin).await;
    let editor = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let article = app
        .create_article(&editor, json!({"title": "To delete", "slug": "to-delete"}))
        .await;
    let id = id_of(&article);
    app.action(&editor, &id, "publish", None).await;
    assert_eq!(app.get("/research-news/to-delete").await.status, 200);

    let deleted = app
        .api(
            "DELETE",
            &format!("/api/v1/articles/{id}"),
            Some(&editor),
            None,
            &[],
        )
        .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(app.get("/research-news/to-delete").await.status, 404);
    app.api(
        "GET",
        &format!("/api/v1/articles/{id}"),
        Some(&editor),
        None,
        &[],
    )
    .await
    .assert_problem(404);

    app.api(
        "POST",
        &format!("/api/v1/articles/{id}/restore"),
        Some(&editor),
        None,
        &[],
    )
    .await
    .assert_problem(403);
    let restored = app
        .api(
            "POST",
            &format!("/api/v1/articles/{id}/restore"),
            Some(&admin),
            None,
            &[],
        )
        .await;
    assert_eq!(restored.status, 200, "{}", restored.text);
    assert_eq!(app.get("/research-news/to-delete").await.status, 200);
}

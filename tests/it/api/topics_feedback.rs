//! `/api/v1/topics` and `/api/v1/feedback`.

use dateline::domain::policy::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{ArticleBuilder, TestApp, token_for};

#[sqlx::test]
async fn editors_create_list_and_rename_topics(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let created = app
        .api(
            "POST",
            "/api/v1/topics",
            Some(&token),
            Some(json!({"name": "Sleep", "description": "Studies of sleep."})),
            &[],
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.json(),
        json!({"slug": "sleep", "name": "Sleep", "description": "Studies of sleep."})
    );
    assert_eq!(created.header("location"), "/api/v1/topics/sleep");
    let duplicate = app
        .api(
            "POST",
            "/api/v1/topics",
            Some(&token),
            Some(json!({"name": "Sleep"})),
            &[],
        )
        .await;
    // Another topic holds the slug: a conflict, with the field named.
    assert_eq!(duplicate.assert_problem(409)["errors"][0]["field"], "slug");
    assert_eq!(
        app.api(
            "POST",
            "/api/v1/topics",
            Some(&token),
            Some(json!({"description": "x"})),
            &[]
        )
        .await
        .error_fields(),
        vec!["name"]
    );
    assert_eq!(
        app.api(
            "POST",
            "/api/v1/topics",
            Some(&token),
            Some(json!({"name": "x", "slug": "Bad!"})),
            &[]
        )
        .await
        .error_fields(),
        vec!["slug"]
    );

    let renamed = app
        .api(
            "PATCH",
            "/api/v1/topics/sleep",
            Some(&token),
            Some(json!({"name": "Sleep health", "slug": "sleep-health"})),
            &[],
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(renamed.json()["slug"], "sleep-health");
    app.api(
        "PATCH",
        "/api/v1/topics/sleep",
        Some(&token),
        Some(json!({"name": "x"})),
        &[],
    )
    .await
    .assert_problem(404);
    let list = app
        .api("GET", "/api/v1/topics", Some(&token), None, &[])
        .await
        .json();
    assert_eq!(list["items"][0]["name"], "Sleep health");
    assert_eq!(app.get("/topics/sleep-health").await.status, 200);
}

#[sqlx::test]
async fn editors_list_and_triage_feedback(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let article = ArticleBuilder::new("Story").insert(&pool).await;
    let feedback_id = uuid::Uuid::now_v7();
    sqlx::query("INSERT INTO feedback (id, article_id, revision_number, helpful, comment) VALUES ($1, $2, 1, true, 'Clear, thanks')")
        .bind(feedback_id)
        .bind(article)
        .execute(&pool)
        .await
        .unwrap();
    let app = TestApp::new(pool);
    let list = app
        .api(
            "GET",
            &format!("/api/v1/feedback?article_id={article}&status=new"),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(list.status, 200);
    let list = list.json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["comment"], "Clear, thanks");
    assert_eq!(list["items"][0]["revision_number"], 1);

    let triaged = app
        .api(
            "PATCH",
            &format!("/api/v1/feedback/{feedback_id}"),
            Some(&token),
            Some(json!({"status": "resolved"})),
            &[],
        )
        .await;
    assert_eq!(triaged.status, 200);
    assert_eq!(triaged.json()["status"], "resolved");
    let bad = app
        .api(
            "PATCH",
            &format!("/api/v1/feedback/{feedback_id}"),
            Some(&token),
            Some(json!({"status": "deleted"})),
            &[],
        )
        .await;
    assert_eq!(bad.error_fields(), vec!["status"]);
    assert_eq!(
        app.api(
            "GET",
            "/api/v1/feedback?status=new",
            Some(&token),
            None,
            &[]
        )
        .await
        .json()["total"],
        0
    );
    assert_eq!(
        app.api(
            "GET",
            "/api/v1/feedback?status=nope",
            Some(&token),
            None,
            &[]
        )
        .await
        .error_fields(),
        vec!["status"]
    );
    app.api(
        "PATCH",
        "/api/v1/feedback/01900000-0000-7000-8000-000000000000",
        Some(&token),
        Some(json!({"status": "read"})),
        &[],
    )
    .await
    .assert_problem(404);
}

#[sqlx::test]
async fn a_topic_made_from_an_unspellable_name_or_moved_onto_a_taken_slug(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    for name in ["Sleep", "?!"] {
        let created = app
            .api(
                "POST",
                "/api/v1/topics",
                Some(&token),
                Some(json!({ "name": name })),
                &[],
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
    }
    // A name with nothing a slug can spell still makes a topic.
    let list = app
        .api("GET", "/api/v1/topics", Some(&token), None, &[])
        .await
        .json();
    let slugs: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["slug"].as_str().unwrap())
        .collect();
    assert!(slugs.contains(&"topic"), "{slugs:?}");
    let onto_taken = app
        .api(
            "PATCH",
            "/api/v1/topics/topic",
            Some(&token),
            Some(json!({"slug": "sleep"})),
            &[],
        )
        .await;
    assert_eq!(onto_taken.assert_problem(409)["errors"][0]["field"], "slug");
}

//! Submit, publish, unpublish, withdraw, archive, unarchive: legal and illegal transitions, and
//! what readers see after each.

use dateline::domain::policy::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, id_of, token_for};

#[sqlx::test]
async fn a_story_travels_from_draft_to_withdrawn_and_readers_see_each_step(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let id = id_of(
        &app.create_article(&token, json!({"title": "Lifecycle", "slug": "lifecycle"}))
            .await,
    );
    assert_eq!(app.get("/research-news/lifecycle").await.status, 404);

    assert_eq!(
        app.action(&token, &id, "submit", None).await["status"],
        "in_review"
    );
    assert_eq!(app.get("/research-news/lifecycle").await.status, 404);

    let published = app.action(&token, &id, "publish", None).await;
    assert_eq!(published["status"], "published");
    assert!(published["published_at"].is_string());
    assert_eq!(app.get("/research-news/lifecycle").await.status, 200);
    assert!(app.get("/").await.text.contains("Lifecycle"));

    let archived = app
        .action(
            &token,
            &id,
            "archive",
            Some(json!({"reason": "Newer trials changed this."})),
        )
        .await;
    assert_eq!(archived["archived"], true);
    assert_eq!(archived["archive_reason"], "Newer trials changed this.");
    assert!(archived["archived_at"].is_string());
    let page = app.get("/research-news/lifecycle").await;
    assert_eq!(page.status, 200, "archived stories stay at their URL");
    page.assert_in_order(&["Archived story", "Reason: Newer trials changed this."]);
    assert!(app.get("/archive").await.text.contains("Lifecycle"));

    let unarchived = app.action(&token, &id, "unarchive", None).await;
    assert_eq!(unarchived["archived"], false);
    assert!(unarchived["archive_reason"].is_null());
    assert!(
        !app.get("/research-news/lifecycle")
            .await
            .text
            .contains("Archived story")
    );

    assert_eq!(
        app.action(&token, &id, "withdraw", None).await["status"],
        "withdrawn"
    );
    assert_eq!(app.get("/research-news/lifecycle").await.status, 410);

    assert_eq!(
        app.action(&token, &id, "unpublish", None).await["status"],
        "draft"
    );
    assert_eq!(app.get("/research-news/lifecycle").await.status, 404);
    // Published again, it keeps its first dateline.
    let again = app.action(&token, &id, "publish", None).await;
    assert_eq!(again["published_at"], published["published_at"]);
}

#[sqlx::test]
async fn illegal_transitions_are_409_and_change_nothing(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let id = id_of(&app.create_article(&token, json!({"title": "Draft"})).await);
    for action in ["withdraw", "archive", "unarchive", "unpublish"] {
        let response = app
            .api(
                "POST",
                &format!("/api/v1/articles/{id}/{action}"),
                Some(&token),
                None,
                &[],
            )
            .await;
        let problem = response.assert_problem(409);
        assert!(
            problem["detail"].as_str().unwrap().contains("draft"),
            "{action}: {problem}"
        );
    }
    app.action(&token, &id, "publish", None).await;
    for action in ["submit", "publish", "unarchive"] {
        app.api(
            "POST",
            &format!("/api/v1/articles/{id}/{action}"),
            Some(&token),
            None,
            &[],
        )
        .await
        .assert_problem(409);
    }
    app.action(&token, &id, "archive", None).await;
    app.api(
        "POST",
        &format!("/api/v1/articles/{id}/archive"),
        Some(&token),
        None,
        &[],
    )
    .await
    .assert_problem(409);
    let current = app
        .api(
            "GET",
            &format!("/api/v1/articles/{id}"),
            Some(&token),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(
        current["version"], 3,
        "create, publish, archive: nothing else was written"
    );
}

#[sqlx::test]
async fn archive_links_the_newer_story_and_validates_its_options(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let old = id_of(
        &app.create_article(
            &token,
            json!({"title": "Old findings", "slug": "old-findings"}),
        )
        .await,
    );
    let new = id_of(
        &app.create_article(
            &token,
            json!({"title": "New findings", "slug": "new-findings"}),
        )
        .await,
    );
    app.action(&token, &old, "publish", None).await;
    app.action(&token, &new, "publish", None).await;

    let unknown = app
        .api(
            "POST",
            &format!("/api/v1/articles/{old}/archive"),
            Some(&token),
            Some(json!({"superseded_by": "01900000-0000-7000-8000-000000000000"})),
            &[],
        )
        .await;
    assert_eq!(unknown.error_fields(), vec!["superseded_by"]);
    let myself = app
        .api(
            "POST",
            &format!("/api/v1/articles/{old}/archive"),
            Some(&token),
            Some(json!({"superseded_by": old})),
            &[],
        )
        .await;
    assert_eq!(myself.error_fields(), vec!["superseded_by"]);
    let junk = app
        .api(
            "POST",
            &format!("/api/v1/articles/{old}/archive"),
            Some(&token),
            Some(json!({"why": "x"})),
            &[],
        )
        .await;
    assert_eq!(junk.error_fields(), vec!["why"]);

    let draft = id_of(
        &app.create_article(&token, json!({"title": "Unpublished newer"}))
            .await,
    );
    let not_public = app
        .api(
            "POST",
            &format!("/api/v1/articles/{old}/archive"),
            Some(&token),
            Some(json!({"superseded_by": draft})),
            &[],
        )
        .await;
    assert_eq!(
        not_public.error_fields(),
        vec!["superseded_by"],
        "the banner's link must open"
    );
    app.action(
        &token,
        &old,
        "archive",
        Some(json!({"reason": "Superseded.", "superseded_by": new})),
    )
    .await;
    let page = app.get("/research-news/old-findings").await;
    page.assert_in_order(&[
        "Archived story",
        "Reason: Superseded.",
        "href=\"/research-news/new-findings\"",
        "New findings",
    ]);
}

#[sqlx::test]
async fn publish_at_a_past_moment_backdates_and_a_future_one_schedules(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let past = id_of(
        &app.create_article(&token, json!({"title": "Backdated", "slug": "backdated"}))
            .await,
    );
    let published = app
        .action(
            &token,
            &past,
            "publish",
            Some(json!({"at": "2011-09-26T13:00:00Z"})),
        )
        .await;
    assert_eq!(published["status"], "published");
    assert_eq!(published["published_at"], "2011-09-26T13:00:00Z");
    assert!(
        app.get("/research-news/backdated")
            .await
            .text
            .contains(">Sep 26, 2011</time>")
    );

    let future = id_of(
        &app.create_article(&token, json!({"title": "Later", "slug": "later"}))
            .await,
    );
    let scheduled = app
        .action(
            &token,
            &future,
            "publish",
            Some(json!({"at": "2099-01-01T09:00:00Z"})),
        )
        .await;
    assert_eq!(scheduled["status"], "scheduled");
    assert_eq!(scheduled["published_at"], "2099-01-01T09:00:00Z");
    assert_eq!(app.get("/research-news/later").await.status, 404);

    let bad = app
        .api(
            "POST",
            &format!("/api/v1/articles/{future}/publish"),
            Some(&token),
            Some(json!({"at": "soon"})),
            &[],
        )
        .await;
    assert_eq!(bad.error_fields(), vec!["at"]);
    // Unpublishing a scheduled story cancels its publication.
    assert_eq!(
        app.action(&token, &future, "unpublish", None).await["status"],
        "draft"
    );
}

#[sqlx::test]
async fn a_withdrawn_story_tells_readers_when_and_why(pool: PgPool) {
    let token = token_for(&pool, dateline::domain::policy::Role::Editor).await;
    let app = TestApp::new(pool);
    let id = id_of(
        &app.create_article(&token, json!({"title": "Retracted trial"}))
            .await,
    );
    app.action(
        &token,
        &id,
        "publish",
        Some(json!({"at": "2011-09-26T13:05:00Z"})),
    )
    .await;
    let long = "x".repeat(501);
    let refused = app
        .api(
            "POST",
            &format!("/api/v1/articles/{id}/withdraw"),
            Some(&token),
            Some(json!({ "reason": long })),
            &[],
        )
        .await;
    assert_eq!(refused.error_fields(), ["reason"]);
    let withdrawn = app
        .action(
            &token,
            &id,
            "withdraw",
            Some(json!({"reason": "The journal retracted the paper."})),
        )
        .await;
    assert_eq!(
        withdrawn["withdraw_reason"],
        "The journal retracted the paper."
    );
    assert!(withdrawn["withdrawn_at"].is_string());
    let page = app.get("/research-news/retracted-trial").await;
    assert_eq!(page.status, 410);
    page.assert_in_order(&[
        "<h1>Retracted trial</h1>",
        "September 26, 2011",
        "The journal retracted the paper.",
    ]);
    // Unpublished, the reason goes with the withdrawal.
    let draft = app.action(&token, &id, "unpublish", None).await;
    assert_eq!(draft["withdraw_reason"], serde_json::Value::Null);
    assert_eq!(draft["withdrawn_at"], serde_json::Value::Null);
}

//! Unpublish and archive on a date over the API (issue 25): `/unpublish` and `/archive` with a
//! future `at` schedule the step, `GET …/scheduled` lists it, `DELETE …/scheduled/{action}`
//! cancels it, and the scheduler takes it once, on time, even with two instances.

use dateline::domain::policy::Role;
use serde_json::json;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::helpers::{TestApp, id_of, token_for};

async fn published(app: &TestApp, token: &str, title: &str) -> String {
    let id = id_of(&app.create_article(token, json!({"title": title})).await);
    app.action(token, &id, "publish", None).await;
    id
}

async fn scheduled(app: &TestApp, token: &str, id: &str) -> serde_json::Value {
    let answer = app
        .api(
            "GET",
            &format!("/api/v1/articles/{id}/scheduled"),
            Some(token),
            None,
            &[],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json()
}

#[sqlx::test]
async fn a_future_at_schedules_unpublish_and_archive_which_can_be_listed_and_canceled(
    pool: PgPool,
) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    let id = published(&app, &token, "Later steps").await;
    let story = app
        .action(
            &token,
            &id,
            "unpublish",
            Some(json!({"at": "2099-03-01T09:00:00Z"})),
        )
        .await;
    assert_eq!(story["status"], "published", "not yet");
    assert_eq!(story["version"], 3, "scheduling is a revision");
    let story = app
        .action(
            &token,
            &id,
            "archive",
            Some(json!({"at": "2099-02-01T09:00:00Z", "reason": "Newer data"})),
        )
        .await;
    assert_eq!(story["archived"], false);
    assert_eq!(
        scheduled(&app, &token, &id).await,
        json!({"items": [
            {"action": "archive", "at": "2099-02-01T09:00:00Z", "reason": "Newer data", "superseded_by": null},
            {"action": "unpublish", "at": "2099-03-01T09:00:00Z", "reason": null, "superseded_by": null},
        ]})
    );
    // Scheduling again replaces the earlier moment.
    app.action(
        &token,
        &id,
        "unpublish",
        Some(json!({"at": "2099-04-01T09:00:00Z"})),
    )
    .await;
    let items = scheduled(&app, &token, &id).await["items"].clone();
    assert_eq!(items.as_array().unwrap().len(), 2);
    assert_eq!(items[1]["at"], "2099-04-01T09:00:00Z");

    let cancel = |action: &str| {
        let path = format!("/api/v1/articles/{id}/scheduled/{action}");
        let (app, token) = (&app, &token);
        async move { app.api("DELETE", &path, Some(token), None, &[]).await }
    };
    let canceled = cancel("unpublish").await;
    assert_eq!(canceled.status, 200, "{}", canceled.text);
    assert_eq!(canceled.json()["version"], 6, "canceling is a revision");
    assert_eq!(
        scheduled(&app, &token, &id).await["items"][0]["action"],
        "archive"
    );
    assert_eq!(cancel("unpublish").await.assert_problem(409)["status"], 409);
    cancel("publish").await.assert_problem(404);
    // The document says which steps can be canceled.
    let doc = app.get("/api/openapi.json").await.json();
    let action = doc["paths"]["/api/v1/articles/{id}/scheduled/{action}"]["delete"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "action")
        .unwrap()["schema"]
        .clone();
    let action = match action["$ref"].as_str() {
        Some(r) => doc["components"]["schemas"][r.rsplit('/').next().unwrap()].clone(),
        None => action,
    };
    assert_eq!(action["enum"], json!(["unpublish", "archive"]));
    let revisions = app
        .api(
            "GET",
            &format!("/api/v1/articles/{id}/revisions"),
            Some(&token),
            None,
            &[],
        )
        .await
        .json();
    let notes: Vec<_> = revisions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["change_note"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        notes.contains(&"Scheduled unpublishing canceled".to_owned()),
        "{notes:?}"
    );
    assert!(
        notes.contains(&"Archiving scheduled for 2099-02-01T09:00:00Z".to_owned()),
        "{notes:?}"
    );
}

#[sqlx::test]
async fn scheduling_later_is_checked_like_the_step_itself(pool: PgPool) {
    let editor = token_for(&pool, Role::Editor).await;
    let contributor = token_for(&pool, Role::Contributor).await;
    let app = TestApp::new(pool.clone());
    let id = published(&app, &editor, "Checked").await;
    let call = |token: &str, action: &str, body: serde_json::Value| {
        let path = format!("/api/v1/articles/{id}/{action}");
        let (app, token) = (&app, token.to_owned());
        async move { app.api("POST", &path, Some(&token), Some(body), &[]).await }
    };
    let future = "2099-01-01T00:00:00Z";
    // Contributors may not unpublish or archive, now or later.
    call(&contributor, "unpublish", json!({"at": future}))
        .await
        .assert_problem(403);
    // Bad input: 4xx naming the field.
    let bad = call(&editor, "archive", json!({"at": "tomorrow"})).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(bad.error_fields(), ["at"]);
    let bad = call(
        &editor,
        "archive",
        json!({"at": future, "superseded_by": id.clone()}),
    )
    .await;
    assert_eq!(bad.error_fields(), ["superseded_by"]);
    let bad = call(&editor, "unpublish", json!({"at": future, "note": "x"})).await;
    // The story's state does not fit a note: a conflict naming the field.
    assert_eq!(bad.assert_problem(409)["errors"][0]["field"], "note");
    // Only a published story: a draft cannot be unpublished later.
    let draft = id_of(&app.create_article(&editor, json!({"title": "Draft"})).await);
    let refused = app
        .api(
            "POST",
            &format!("/api/v1/articles/{draft}/unpublish"),
            Some(&editor),
            Some(json!({"at": future})),
            &[],
        )
        .await;
    let problem = refused.assert_problem(409);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("cannot schedule the unpublishing of a story that is draft"),
        "{problem}"
    );
    assert_eq!(
        scheduled(&app, &editor, &id).await,
        json!({"items": []}),
        "nothing was scheduled"
    );
    // A past moment is now.
    let now = call(&editor, "archive", json!({"at": "2020-01-01T00:00:00Z"})).await;
    assert_eq!(now.json()["archived"], true);
    // Withdrawn: whatever was scheduled for later is canceled.
    app.action(&editor, &id, "unpublish", Some(json!({"at": future})))
        .await;
    app.action(&editor, &id, "withdraw", None).await;
    assert_eq!(scheduled(&app, &editor, &id).await, json!({"items": []}));
}

/// Two "instances" race for due unpublish and archive jobs: each runs once, as a revision by
/// the system, and what is not due stays.
#[sqlx::test]
async fn two_instances_unpublish_and_archive_each_due_story_exactly_once(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    let mut ids = Vec::new();
    for i in 0..6 {
        let id = published(&app, &token, &format!("Due {i}")).await;
        let action = if i % 2 == 0 { "unpublish" } else { "archive" };
        app.action(
            &token,
            &id,
            action,
            Some(json!({"at": "2099-01-01T00:00:00Z"})),
        )
        .await;
        ids.push((id, action));
    }
    let later = published(&app, &token, "Not yet").await;
    app.action(
        &token,
        &later,
        "unpublish",
        Some(json!({"at": "2099-01-01T00:00:00Z"})),
    )
    .await;
    // Time passes while no server runs (the "Not yet" story's job stays in the future).
    sqlx::query(
        "UPDATE scheduled_jobs SET run_at = now() - interval '1 hour'
         WHERE article_id <> $1",
    )
    .bind(uuid::Uuid::parse_str(&later).unwrap())
    .execute(&pool)
    .await
    .unwrap();
    let options = pool.connect_options().as_ref().clone();
    let a = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(options.clone())
        .await
        .unwrap();
    let b = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .unwrap();
    let (ran_a, ran_b, ran_a2, ran_b2) = tokio::join!(
        dateline::jobs::scheduler::run_due(&a),
        dateline::jobs::scheduler::run_due(&b),
        dateline::jobs::scheduler::run_due(&a),
        dateline::jobs::scheduler::run_due(&b),
    );
    assert_eq!(ran_a + ran_b + ran_a2 + ran_b2, 6, "every due job ran once");
    let (done, canceled): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE done_at IS NOT NULL AND last_error IS NULL),
                count(*) FILTER (WHERE canceled_at IS NOT NULL)
         FROM scheduled_jobs WHERE article_id <> $1",
    )
    .bind(uuid::Uuid::parse_str(&later).unwrap())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((done, canceled), (6, 0), "each done, none marked canceled");
    for (id, action) in ids {
        let story = app
            .api(
                "GET",
                &format!("/api/v1/articles/{id}"),
                Some(&token),
                None,
                &[],
            )
            .await
            .json();
        if action == "unpublish" {
            assert_eq!(story["status"], "draft", "{id}");
        } else {
            assert_eq!(
                (&story["status"], &story["archived"]),
                (&json!("published"), &json!(true))
            );
        }
        assert_eq!(story["version"], 4, "create, publish, schedule, run: {id}");
        let runs: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM audit_log WHERE target_id = $1 AND action = $2 AND actor_id IS NULL",
        )
        .bind(uuid::Uuid::parse_str(&id).unwrap())
        .bind(format!("article.{action}"))
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(runs, 1, "{id} {action} exactly once, by the system");
    }
    let story = app
        .api(
            "GET",
            &format!("/api/v1/articles/{later}"),
            Some(&token),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(story["status"], "published", "not due, not run");
}

/// The jobs live in the database: a scheduler that starts after the moment runs it at once.
#[sqlx::test]
async fn an_unpublish_due_while_no_server_ran_runs_at_start_up(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    let id = published(&app, &token, "Overdue unpublish").await;
    let at = time::OffsetDateTime::now_utc() + time::Duration::seconds(1);
    let at = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    app.action(&token, &id, "unpublish", Some(json!({"at": at})))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        app.get("/research-news/overdue-unpublish").await.status,
        200,
        "still public: no scheduler ran"
    );
    let scheduler = dateline::jobs::scheduler::spawn(pool.clone());
    let mut status = String::new();
    for _ in 0..50 {
        status = sqlx::query_scalar("SELECT status FROM articles WHERE slug = 'overdue-unpublish'")
            .fetch_one(&pool)
            .await
            .unwrap();
        if status == "draft" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    scheduler.abort();
    assert_eq!(status, "draft", "unpublished on the scheduler's first tick");
    // Readers get "not found" (a fresh instance: nothing cached).
    let fresh = TestApp::new(pool.clone());
    assert_eq!(
        fresh.get("/research-news/overdue-unpublish").await.status,
        404
    );
}

//! Scheduled publication: on time, overdue work at start-up, and exactly once with two instances.

use std::time::Duration;

use dateline::domain::policy::Role;
use serde_json::json;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::helpers::{TestApp, id_of, token_for};

#[sqlx::test]
async fn a_scheduled_story_goes_public_on_time(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    let id = id_of(
        &app.create_article(&token, json!({"title": "On time", "slug": "on-time"}))
            .await,
    );
    let at = OffsetDateTime::now_utc() + time::Duration::seconds(2);
    let at_text = at.format(&Rfc3339).unwrap();
    let scheduled = app
        .action(&token, &id, "publish", Some(json!({"at": at_text})))
        .await;
    assert_eq!(scheduled["status"], "scheduled");
    let scheduler = dateline::jobs::scheduler::spawn(pool.clone());

    assert_eq!(
        app.get("/research-news/on-time").await.status,
        404,
        "not before its time"
    );
    // The contract: public within 5 seconds of its time.
    let deadline = at + time::Duration::seconds(5);
    let mut status = 0;
    while OffsetDateTime::now_utc() < deadline {
        status = app.get("/research-news/on-time").await.status.as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    scheduler.abort();
    assert_eq!(status, 200, "published by its deadline");
    let article = app
        .api(
            "GET",
            &format!("/api/v1/articles/{id}"),
            Some(&token),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(article["status"], "published");
    let published_at =
        OffsetDateTime::parse(article["published_at"].as_str().unwrap(), &Rfc3339).unwrap();
    assert!(
        (published_at - at).abs() < time::Duration::milliseconds(1),
        "dateline is the scheduled moment"
    );
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
    assert_eq!(
        revisions["items"][0]["created_by"],
        serde_json::Value::Null,
        "published by the system"
    );
}

async fn schedule_overdue(app: &TestApp, pool: &PgPool, token: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let id = id_of(
            &app.create_article(token, json!({"title": format!("Overdue {i}")}))
                .await,
        );
        app.action(
            token,
            &id,
            "publish",
            Some(json!({"at": "2099-01-01T00:00:00Z"})),
        )
        .await;
        ids.push(id);
    }
    // Time passes while no server runs: every job is overdue.
    sqlx::query("UPDATE scheduled_jobs SET run_at = now() - interval '1 hour'")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE articles SET published_at = now() - interval '1 hour' WHERE status = 'scheduled'",
    )
    .execute(pool)
    .await
    .unwrap();
    ids
}

#[sqlx::test]
async fn overdue_jobs_run_at_start_up(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    let ids = schedule_overdue(&app, &pool, &token, 3).await;
    // The first tick of a starting scheduler runs everything that is due.
    let ran = dateline::jobs::scheduler::run_due(&pool).await;
    assert_eq!(ran, 3);
    for id in ids {
        let article = app
            .api(
                "GET",
                &format!("/api/v1/articles/{id}"),
                Some(&token),
                None,
                &[],
            )
            .await
            .json();
        assert_eq!(article["status"], "published");
    }
    assert_eq!(
        dateline::jobs::scheduler::run_due(&pool).await,
        0,
        "nothing runs twice"
    );
}

#[sqlx::test]
async fn two_instances_run_each_due_job_exactly_once(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    let ids = schedule_overdue(&app, &pool, &token, 20).await;
    // Two "instances": separate pools on the same database, racing.
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
    assert_eq!(
        ran_a + ran_b + ran_a2 + ran_b2,
        20,
        "every job ran once in all"
    );
    for id in ids {
        let publishes: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM audit_log WHERE target_id = $1 AND action = 'article.publish' AND actor_id IS NULL",
        )
        .bind(uuid::Uuid::parse_str(&id).unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(publishes, 1, "{id} published exactly once");
        let version: i32 = sqlx::query_scalar("SELECT version FROM articles WHERE id = $1")
            .bind(uuid::Uuid::parse_str(&id).unwrap())
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(version, 3, "create, schedule, publish");
    }
    let pending: i64 =
        sqlx::query_scalar("SELECT count(*) FROM scheduled_jobs WHERE done_at IS NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(pending, 0);
}

#[sqlx::test]
async fn a_story_held_by_an_editor_is_published_on_the_next_tick_not_waited_for(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    let ids = schedule_overdue(&app, &pool, &token, 1).await;
    let id = uuid::Uuid::parse_str(&ids[0]).unwrap();
    // An editor's transaction holds the story.
    let mut editor = pool.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM articles WHERE id = $1 FOR UPDATE")
        .bind(id)
        .execute(&mut *editor)
        .await
        .unwrap();
    let ran = tokio::time::timeout(
        Duration::from_secs(5),
        dateline::jobs::scheduler::run_due(&pool),
    )
    .await
    .expect("the scheduler does not wait for the editor");
    assert_eq!(ran, 0);
    editor.rollback().await.unwrap();
    assert_eq!(
        dateline::jobs::scheduler::run_due(&pool).await,
        1,
        "published on the next tick"
    );
}

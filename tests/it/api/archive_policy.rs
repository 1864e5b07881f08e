//! `/api/v1/archive-policy` (CONTRACT §11): who may read and change it, what is refused, the
//! preview, and the daily run: once across instances, each archive a revision by the system
//! with the policy's reason, listed in the audit log.

use dateline::domain::policy::Role;
use serde_json::json;
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};

use crate::helpers::{ArticleBuilder, TestApp, insert_topic, token_for};

fn policy(enabled: bool, days: i64, topics: &[&str]) -> serde_json::Value {
    json!({"enabled": enabled, "older_than_days": days, "topics": topics,
           "reason": "Older research: see our newer stories for today's care."})
}

/// Stories published (and last changed) this many days ago.
async fn story_aged(pool: &PgPool, title: &str, days: i64, topics: &[&str]) -> uuid::Uuid {
    let at = OffsetDateTime::now_utc() - Duration::days(days);
    ArticleBuilder::new(title)
        .published_at(at)
        .updated_at(at)
        .topics(topics)
        .insert(pool)
        .await
}

#[sqlx::test]
async fn editors_set_the_policy_and_preview_what_it_would_archive(pool: PgPool) {
    insert_topic(&pool, "cancer", "Cancer", "Cancer research.").await;
    insert_topic(&pool, "sleep", "Sleep", "Sleep research.").await;
    let old_cancer = story_aged(&pool, "Old cancer study", 900, &["cancer"]).await;
    story_aged(&pool, "Old sleep study", 800, &["sleep"]).await;
    story_aged(&pool, "Recent cancer study", 30, &["cancer"]).await;
    let editor = token_for(&pool, Role::Editor).await;
    let contributor = token_for(&pool, Role::Contributor).await;
    let app = TestApp::new(pool.clone());

    let shown = app
        .api("GET", "/api/v1/archive-policy", Some(&editor), None, &[])
        .await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.json()["enabled"], false);
    assert_eq!(shown.json()["older_than_days"], 730);
    assert_eq!(shown.header("etag"), "\"1\"");
    for (method, body) in [("GET", None), ("PUT", Some(policy(true, 365, &[])))] {
        let refused = app
            .api(
                method,
                "/api/v1/archive-policy",
                Some(&contributor),
                body,
                &[],
            )
            .await;
        refused.assert_problem(403);
    }
    app.api(
        "GET",
        "/api/v1/archive-policy/preview",
        Some(&contributor),
        None,
        &[],
    )
    .await
    .assert_problem(403);
    app.api("GET", "/api/v1/archive-policy", None, None, &[])
        .await
        .assert_problem(401);

    // Previewed before it is switched on: the default (two years) names the old stories.
    let preview = app
        .api(
            "GET",
            "/api/v1/archive-policy/preview",
            Some(&editor),
            None,
            &[],
        )
        .await;
    assert_eq!(preview.status, 200);
    assert_eq!(preview.json()["total"], 2);
    assert_eq!(preview.json()["items"][0]["title"], "Old cancer study");

    let saved = app
        .api(
            "PUT",
            "/api/v1/archive-policy",
            Some(&editor),
            Some(policy(false, 365, &["cancer"])),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.text);
    assert_eq!(saved.json()["topics"], json!(["cancer"]));
    assert_eq!(saved.header("etag"), "\"2\"");
    let preview = app
        .api(
            "GET",
            "/api/v1/archive-policy/preview",
            Some(&editor),
            None,
            &[],
        )
        .await;
    assert_eq!(preview.json()["total"], 1);
    assert_eq!(preview.json()["items"][0]["id"], old_cancer.to_string());
    // Audited.
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'archive_policy.update'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audited, 1);

    // A stale version is a 412 with the policy as it is now.
    let stale = app
        .api(
            "PUT",
            "/api/v1/archive-policy",
            Some(&editor),
            Some(policy(true, 10, &[])),
            &[("if-match", "\"1\"")],
        )
        .await;
    let problem = stale.assert_problem(412);
    assert_eq!(problem["current"]["older_than_days"], 365);

    // Bad input names its field; nothing changes.
    for (body, field) in [
        (policy(true, 0, &[]), "older_than_days"),
        (policy(true, 40_000, &[]), "older_than_days"),
        (
            json!({"enabled": true, "older_than_days": 30, "topics": [], "reason": "  "}),
            "reason",
        ),
        (policy(true, 30, &["no-such-topic"]), "topics"),
        (
            json!({"enabled": true, "older_than_days": 30, "topics": [], "reason": "x", "extra": 1}),
            "",
        ),
        (
            json!({"enabled": true, "older_than_days": 30, "topics": []}),
            "",
        ),
    ] {
        let answer = app
            .api(
                "PUT",
                "/api/v1/archive-policy",
                Some(&editor),
                Some(body.clone()),
                &[],
            )
            .await;
        let problem = answer.assert_problem(422);
        if !field.is_empty() {
            assert_eq!(
                answer.error_fields(),
                vec![field.to_owned()],
                "{body}: {problem}"
            );
        }
    }
    let still = app
        .api("GET", "/api/v1/archive-policy", Some(&editor), None, &[])
        .await;
    assert_eq!(still.json()["older_than_days"], 365);
    assert_eq!(still.json()["enabled"], false);
}

#[sqlx::test]
async fn the_daily_run_archives_once_across_instances_as_the_system(pool: PgPool) {
    let old = story_aged(&pool, "A study from long ago", 1000, &[]).await;
    let older = story_aged(&pool, "An even older study", 2000, &[]).await;
    let recent = story_aged(&pool, "A study from last month", 30, &[]).await;
    let editor = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());

    // Off: nothing runs.
    assert!(
        dateline::jobs::maintenance::run_due(&pool)
            .await
            .iter()
            .all(|t| *t != "archive_policy.apply")
    );
    let saved = app
        .api(
            "PUT",
            "/api/v1/archive-policy",
            Some(&editor),
            Some(policy(true, 365, &[])),
            &[],
        )
        .await;
    assert_eq!(saved.status, 200);

    // Two instances ask at once: one runs it.
    let (a, b) = tokio::join!(
        dateline::jobs::maintenance::run_due(&pool),
        dateline::jobs::maintenance::run_due(&pool)
    );
    let runs = a
        .iter()
        .chain(b.iter())
        .filter(|t| **t == "archive_policy.apply")
        .count();
    assert_eq!(runs, 1);
    // And not again the same day.
    assert!(dateline::jobs::maintenance::run_due(&pool).await.is_empty());

    let rows: Vec<(uuid::Uuid, bool, Option<String>)> =
        sqlx::query_as("SELECT id, archived, archive_reason FROM articles ORDER BY published_at")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        rows,
        vec![
            (
                older,
                true,
                Some("Older research: see our newer stories for today's care.".to_owned())
            ),
            (
                old,
                true,
                Some("Older research: see our newer stories for today's care.".to_owned())
            ),
            (recent, false, None),
        ]
    );
    // Each archive is one revision by no user, and one audit entry.
    for id in [old, older] {
        let (count, by): (i64, Option<uuid::Uuid>) = sqlx::query_as(
            "SELECT count(*), (array_agg(created_by ORDER BY number DESC))[1]
             FROM article_revisions WHERE article_id = $1",
        )
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!((count, by), (2, None));
        let audited: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM audit_log WHERE action = 'archive_policy.archive' AND target_id = $1 AND actor_id IS NULL",
        )
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(audited, 1);
    }
    let shown = app
        .api("GET", "/api/v1/archive-policy", Some(&editor), None, &[])
        .await;
    assert_eq!(shown.json()["last_run_count"], 2);
    // The archived story's page carries the banner with the policy's reason.
    let page = app.get("/research-news/a-study-from-long-ago").await;
    assert!(
        page.text
            .contains("Older research: see our newer stories for today"),
        "{}",
        page.text
    );
}

/// What JSON Schema calls valid is taken as such: `92.0` days is 92; an empty or padded topic
/// is no topic's slug.
#[sqlx::test]
async fn numbers_and_topics_are_read_as_the_schema_states(pool: PgPool) {
    insert_topic(&pool, "sleep", "Sleep", "Sleep research.").await;
    let editor = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let body =
        json!({"enabled": false, "older_than_days": 92.0, "topics": ["sleep"], "reason": "Old"});
    let saved = app
        .api(
            "PUT",
            "/api/v1/archive-policy",
            Some(&editor),
            Some(body),
            &[],
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.text);
    assert_eq!(saved.json()["older_than_days"], 92);
    for topics in [json!([""]), json!([" sleep"])] {
        let body =
            json!({"enabled": false, "older_than_days": 30, "topics": topics, "reason": "Old"});
        let refused = app
            .api(
                "PUT",
                "/api/v1/archive-policy",
                Some(&editor),
                Some(body),
                &[],
            )
            .await;
        refused.assert_problem(422);
        assert_eq!(refused.error_fields(), ["topics"]);
    }
    for query in ["page=0", "page=%C3%879", "per_page=x"] {
        let refused = app
            .api(
                "GET",
                &format!("/api/v1/archive-policy/preview?{query}"),
                Some(&editor),
                None,
                &[],
            )
            .await;
        refused.assert_problem(422);
    }
}

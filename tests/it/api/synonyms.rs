//! `/api/v1/search/synonyms` (CONTRACT §10): who may read and change the sets, what is
//! refused, and concurrent changes.

use dateline::domain::policy::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, token_for};

#[sqlx::test]
async fn editors_replace_the_sets_and_everyone_reads_them(pool: PgPool) {
    let editor = token_for(&pool, Role::Editor).await;
    let contributor = token_for(&pool, Role::Contributor).await;
    let app = TestApp::new(pool.clone());
    let empty = app
        .api(
            "GET",
            "/api/v1/search/synonyms",
            Some(&contributor),
            None,
            &[],
        )
        .await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.json()["sets"], json!([]));
    assert_eq!(empty.header("etag"), "\"0\"");
    assert_eq!(
        app.api("GET", "/api/v1/search/synonyms", None, None, &[])
            .await
            .status,
        401
    );
    let sets = json!({"sets": [["Herceptin", " trastuzumab", "herceptin"], ["heart  attack", "myocardial infarction"]]});
    let refused = app
        .api(
            "PUT",
            "/api/v1/search/synonyms",
            Some(&contributor),
            Some(sets.clone()),
            &[],
        )
        .await;
    refused.assert_problem(403);
    let put = app
        .api(
            "PUT",
            "/api/v1/search/synonyms",
            Some(&editor),
            Some(sets),
            &[("if-match", "\"0\"")],
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(
        put.json()["sets"],
        json!([
            ["herceptin", "trastuzumab"],
            ["heart attack", "myocardial infarction"]
        ])
    );
    assert_eq!(put.json()["version"], 1);
    assert_eq!(put.header("etag"), "\"1\"");
    // Someone who read version 0 changes nothing: 412 with the sets as they are.
    let stale = app
        .api(
            "PUT",
            "/api/v1/search/synonyms",
            Some(&editor),
            Some(json!({"sets": []})),
            &[("if-match", "\"0\"")],
        )
        .await;
    let problem = stale.assert_problem(412);
    assert_eq!(problem["current"]["version"], 1);
    // The version before each change is kept.
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM search_synonym_history")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(kept, 1);
    let audit: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'synonyms.update'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audit, 1);
}

#[sqlx::test]
async fn bad_sets_are_refused_naming_the_term(pool: PgPool) {
    let editor = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    for (body, field) in [
        (json!({"sets": [["a", "b"], ["b", "c"]]}), "sets[1][0]"),
        (json!({"sets": [["lonely"]]}), "sets[0]"),
        (json!({"sets": [["ok", ""]]}), "sets[0][1]"),
        (json!({"sets": [["the", "trastuzumab"]]}), "sets[0][0]"),
        (json!({"sets": [["x", "y".repeat(61)]]}), "sets[0][1]"),
        (json!({"sets": [["!!", "trastuzumab"]]}), "sets[0][0]"),
    ] {
        let response = app
            .api(
                "PUT",
                "/api/v1/search/synonyms",
                Some(&editor),
                Some(body.clone()),
                &[],
            )
            .await;
        response.assert_problem(422);
        assert_eq!(response.error_fields(), [field], "{body}");
    }
    for body in [
        json!({"sets": "x"}),
        json!({"sets": [[1, 2]]}),
        json!({"other": []}),
        json!([]),
    ] {
        let response = app
            .api(
                "PUT",
                "/api/v1/search/synonyms",
                Some(&editor),
                Some(body.clone()),
                &[],
            )
            .await;
        assert!(
            [400, 422].contains(&response.status.as_u16()),
            "{body}: {}",
            response.status
        );
    }
    let unchanged = app
        .api("GET", "/api/v1/search/synonyms", Some(&editor), None, &[])
        .await;
    assert_eq!(unchanged.json()["version"], 0, "nothing was written");
}

//! Every accepted change writes a revision of the whole article; restore makes a new one.

use dateline::domain::policy::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, id_of, insert_topic, token_for};

#[sqlx::test]
async fn every_change_writes_a_revision_holding_the_whole_article(pool: PgPool) {
    insert_topic(&pool, "diabetes", "Diabetes", "").await;
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    let id = id_of(
        &app.create_article(
            &token,
            json!({"title": "Rev", "topics": ["diabetes"], "study": {"citation": "Lancet 2019"}}),
        )
        .await,
    );
    let path = format!("/api/v1/articles/{id}");
    app.api(
        "PATCH",
        &path,
        Some(&token),
        Some(json!({"dek": "d", "change_kind": "update", "change_note": "More."})),
        &[("if-match", "\"1\"")],
    )
    .await;
    app.action(&token, &id, "submit", None).await;
    app.action(&token, &id, "publish", None).await;
    app.action(&token, &id, "archive", Some(json!({"reason": "Old."})))
        .await;

    let list = app
        .api("GET", &format!("{path}/revisions"), Some(&token), None, &[])
        .await;
    assert_eq!(list.status, 200);
    let items = list.json()["items"].as_array().unwrap().clone();
    let numbers: Vec<i64> = items
        .iter()
        .map(|r| r["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, vec![5, 4, 3, 2, 1], "one per change, newest first");
    assert_eq!(items[3]["change_kind"], "update");
    assert_eq!(items[3]["change_note"], "More.");
    assert!(
        items
            .iter()
            .all(|r| r["created_by"].is_string() && r["created_at"].is_string())
    );

    let last = app
        .api(
            "GET",
            &format!("{path}/revisions/5"),
            Some(&token),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(last["number"], 5);
    let article = &last["article"];
    assert_eq!(article["archived"], true);
    assert_eq!(article["archive_reason"], "Old.");
    assert_eq!(article["status"], "published");
    assert_eq!(article["topics"], json!(["diabetes"]));
    assert_eq!(article["study"]["citation"], "Lancet 2019");
    assert_eq!(article["version"], 5);
    let first = app
        .api(
            "GET",
            &format!("{path}/revisions/1"),
            Some(&token),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(first["article"]["status"], "draft");
    assert_eq!(first["article"]["dek"], "");
    app.api(
        "GET",
        &format!("{path}/revisions/99"),
        Some(&token),
        None,
        &[],
    )
    .await
    .assert_problem(404);
    app.api(
        "GET",
        &format!("{path}/revisions/abc"),
        Some(&token),
        None,
        &[],
    )
    .await
    .assert_problem(404);

    let audit: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE target_id = $1")
        .bind(uuid::Uuid::parse_str(&id).unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(audit, 5, "an audit entry per change");
}

#[sqlx::test]
async fn restoring_a_revision_brings_its_content_back_as_a_new_revision(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let id = id_of(
        &app.create_article(
            &token,
            json!({"title": "First title", "body_markdown": "First body"}),
        )
        .await,
    );
    let path = format!("/api/v1/articles/{id}");
    app.api(
        "PATCH",
        &path,
        Some(&token),
        Some(json!({"title": "Second title", "body_markdown": "Second body"})),
        &[("if-match", "\"1\"")],
    )
    .await;

    let restored = app
        .api(
            "POST",
            &format!("{path}/revisions/1/restore"),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(restored.status, 200, "{}", restored.text);
    let article = restored.json();
    assert_eq!(article["title"], "First title");
    assert_eq!(article["body_markdown"], "First body");
    assert_eq!(article["body_html"], "<p>First body</p>\n");
    assert_eq!(article["version"], 3);
    let list = app
        .api("GET", &format!("{path}/revisions"), Some(&token), None, &[])
        .await
        .json();
    assert_eq!(list["items"][0]["number"], 3);
    assert_eq!(list["items"][0]["change_note"], "Restored revision 1");
    // Nothing was lost: revision 2 is still there.
    let second = app
        .api(
            "GET",
            &format!("{path}/revisions/2"),
            Some(&token),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(second["article"]["title"], "Second title");
    app.api(
        "POST",
        &format!("{path}/revisions/9/restore"),
        Some(&token),
        None,
        &[],
    )
    .await
    .assert_problem(404);
    app.api(
        "POST",
        &format!("{path}/revisions/1/restore"),
        Some(&token),
        None,
        &[("if-match", "\"1\"")],
    )
    .await
    .assert_problem(412);
}

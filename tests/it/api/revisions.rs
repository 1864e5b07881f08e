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
    // Without a body, a restore is an update noted as the restore of that revision.
    assert_eq!(list["items"][0]["change_kind"], "update");
    assert_eq!(
        list["items"][0]["change_note"],
        "An earlier version of this story was restored (revision 1)."
    );
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

#[sqlx::test]
async fn a_restore_is_described_by_its_change_kind_and_note(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    let id = id_of(
        &app.create_article(
            &token,
            json!({"title": "Figures", "body_markdown": "1 in 10."}),
        )
        .await,
    );
    app.action(&token, &id, "publish", None).await;
    let path = format!("/api/v1/articles/{id}");
    let corrected = app
        .api(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"body_markdown": "1 in 11.", "change_kind": "correction", "change_note": "It is 1 in 11."})),
            &[("if-match", "*")],
        )
        .await
        .json();
    let restore = |body: Option<serde_json::Value>| {
        let app = app.clone();
        let token = token.clone();
        let path = path.clone();
        async move {
            app.api(
                "POST",
                &format!("{path}/revisions/2/restore"),
                Some(&token),
                body,
                &[],
            )
            .await
        }
    };
    // A correction needs its note; an unknown kind is named.
    assert_eq!(
        restore(Some(json!({"change_kind": "correction"})))
            .await
            .error_fields(),
        ["change_note"]
    );
    assert_eq!(
        restore(Some(json!({"change_kind": "sideways"})))
            .await
            .error_fields(),
        ["change_kind"]
    );
    // A minor restore leaves "Last updated" where it was.
    let minor = restore(Some(json!({"change_kind": "minor"}))).await;
    assert_eq!(minor.status, 200, "{}", minor.text);
    assert_eq!(minor.json()["updated_at"], corrected["updated_at"]);
    // A correction moves it, and readers see its note.
    let fixed = restore(Some(
        json!({"change_kind": "correction", "change_note": "We checked the paper again."}),
    ))
    .await;
    assert_eq!(fixed.status, 200, "{}", fixed.text);
    assert_ne!(fixed.json()["updated_at"], corrected["updated_at"]);
    let page = app.get("/research-news/figures").await;
    page.assert_in_order(&["It is 1 in 11.", "We checked the paper again."]);
    let kinds: Vec<String> = app
        .api("GET", &format!("{path}/revisions"), Some(&token), None, &[])
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .take(2)
        .map(|r| r["change_kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["correction", "minor"]);
}

#[sqlx::test]
async fn a_revision_whose_topic_is_gone_cannot_be_restored_and_says_why(pool: PgPool) {
    insert_topic(&pool, "sleep", "Sleep", "").await;
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    let id = id_of(
        &app.create_article(&token, json!({"title": "Naps", "topics": ["sleep"]}))
            .await,
    );
    let renamed = app
        .api(
            "PATCH",
            "/api/v1/topics/sleep",
            Some(&token),
            Some(json!({"slug": "rest"})),
            &[],
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    // The request is sound; the revision no longer fits what is stored: a conflict.
    let restored = app
        .api(
            "POST",
            &format!("/api/v1/articles/{id}/revisions/1/restore"),
            Some(&token),
            None,
            &[],
        )
        .await;
    let problem = restored.assert_problem(409);
    assert_eq!(problem["errors"][0]["field"], "topics", "{}", restored.text);
}

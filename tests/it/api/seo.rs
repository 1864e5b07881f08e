//! The search and social fields of a story (issue 25): `seo_title` and `meta_description` read
//! and written over the API, optional, nullable, with their limits, and kept in revisions.

use dateline::domain::policy::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, id_of, token_for};

#[sqlx::test]
async fn seo_fields_are_optional_null_by_default_and_written_trimmed(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let plain = app.create_article(&token, json!({"title": "Plain"})).await;
    assert!(plain["seo_title"].is_null(), "{plain}");
    assert!(plain["meta_description"].is_null(), "{plain}");

    let article = app
        .create_article(
            &token,
            json!({"title": "A long headline about trastuzumab",
                   "seo_title": "  Trastuzumab: years in remission ",
                   "meta_description": "Eleven of 120 women stayed in remission."}),
        )
        .await;
    assert_eq!(article["seo_title"], "Trastuzumab: years in remission");
    assert_eq!(
        article["meta_description"],
        "Eleven of 120 women stayed in remission."
    );
    let path = format!("/api/v1/articles/{}", id_of(&article));
    let shown = app.api("GET", &path, Some(&token), None, &[]).await.json();
    assert_eq!(shown["seo_title"], "Trastuzumab: years in remission");
}

#[sqlx::test]
async fn patch_changes_keeps_or_clears_the_seo_fields(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let article = app
        .create_article(
            &token,
            json!({"title": "T", "seo_title": "Old", "meta_description": "Old text"}),
        )
        .await;
    let path = format!("/api/v1/articles/{}", id_of(&article));
    // Absent: left as it is.
    let kept = app
        .api(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"dek": "New dek"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(kept.status, 200, "{}", kept.text);
    assert_eq!(kept.json()["seo_title"], "Old");
    assert_eq!(kept.json()["meta_description"], "Old text");
    // Null clears; a value replaces; an empty string clears too.
    let changed = app
        .api(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"seo_title": null, "meta_description": "New text"})),
            &[("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert!(changed.json()["seo_title"].is_null());
    assert_eq!(changed.json()["meta_description"], "New text");
    let emptied = app
        .api(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"meta_description": "   "})),
            &[("if-match", "\"3\"")],
        )
        .await;
    assert_eq!(emptied.status, 200, "{}", emptied.text);
    assert!(emptied.json()["meta_description"].is_null());
}

#[sqlx::test]
async fn seo_fields_beyond_their_limits_get_a_422_naming_the_field(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    // At the limit (counted in characters, not bytes) is fine.
    let at_limit = app
        .create_article(
            &token,
            json!({"title": "T", "seo_title": "é".repeat(70), "meta_description": "é".repeat(160)}),
        )
        .await;
    let path = format!("/api/v1/articles/{}", id_of(&at_limit));
    for (body, field) in [
        (
            json!({"title": "T", "seo_title": "x".repeat(71)}),
            "seo_title",
        ),
        (
            json!({"title": "T", "meta_description": "x".repeat(161)}),
            "meta_description",
        ),
    ] {
        let response = app
            .api("POST", "/api/v1/articles", Some(&token), Some(body), &[])
            .await;
        response.assert_problem(422);
        assert_eq!(response.error_fields(), vec![field.to_owned()]);
        let patch = app
            .api(
                "PATCH",
                &path,
                Some(&token),
                Some(json!({ field: "y".repeat(200) })),
                &[("if-match", "\"1\"")],
            )
            .await;
        patch.assert_problem(422);
        assert_eq!(patch.error_fields(), vec![field.to_owned()]);
    }
    let wrong_type = app
        .api(
            "POST",
            "/api/v1/articles",
            Some(&token),
            Some(json!({"title": "T", "seo_title": 7})),
            &[],
        )
        .await;
    assert_eq!(wrong_type.status, 422, "{}", wrong_type.text);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM articles")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 1, "nothing stored by the refused writes");
}

#[sqlx::test]
async fn revisions_keep_the_seo_fields_and_a_restore_brings_them_back(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let article = app
        .create_article(
            &token,
            json!({"title": "T", "seo_title": "First", "meta_description": "First text"}),
        )
        .await;
    let path = format!("/api/v1/articles/{}", id_of(&article));
    let patched = app
        .api(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"seo_title": "Second", "meta_description": null})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let first = app
        .api(
            "GET",
            &format!("{path}/revisions/1"),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert!(
        first.text.contains("\"First text\""),
        "revision 1 holds the description: {}",
        first.text
    );
    let restored = app
        .api(
            "POST",
            &format!("{path}/revisions/1/restore"),
            Some(&token),
            None,
            &[("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(restored.status, 200, "{}", restored.text);
    assert_eq!(restored.json()["seo_title"], "First");
    assert_eq!(restored.json()["meta_description"], "First text");
}

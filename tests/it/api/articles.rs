//! Creating, reading, editing, listing and deleting stories; CONTRACT §6 errors.

use axum::body::Body;
use axum::http::Request;
use dateline::domain::policy::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, id_of, insert_topic, token_for};

#[sqlx::test]
async fn create_answers_201_with_location_etag_and_the_whole_article(pool: PgPool) {
    insert_topic(&pool, "breast-cancer", "Breast cancer", "").await;
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let body = json!({
        "title": "  Trastuzumab and long remission  ",
        "dek": "One in eleven",
        "body_markdown": "## Findings\n\n**Eleven** of 120.",
        "topics": ["breast-cancer"],
        "study": {"citation": "EMCC 2011", "sample_size": 120, "presented_at": "2011-09-25", "doi": "10.5555/x.1"},
        "review": {"reviewed_by": "Dr. A", "last_reviewed": "2022-02-22"}
    });
    let response = app
        .api("POST", "/api/v1/articles", Some(&token), Some(body), &[])
        .await;

    assert_eq!(response.status, 201, "{}", response.text);
    let article = response.json();
    assert_eq!(response.header("etag"), "\"1\"");
    assert_eq!(
        response.header("location"),
        format!("/api/v1/articles/{}", id_of(&article))
    );
    assert_eq!(article["title"], "Trastuzumab and long remission");
    assert_eq!(article["slug"], "trastuzumab-and-long-remission");
    assert_eq!(article["status"], "draft");
    assert_eq!(article["version"], 1);
    assert_eq!(article["topics"], json!(["breast-cancer"]));
    assert_eq!(article["study"]["presented_at"], "2011-09-25");
    assert_eq!(article["review"]["last_reviewed"], "2022-02-22");
    assert_eq!(
        article["body_html"],
        "<h2>Findings</h2>\n<p><strong>Eleven</strong> of 120.</p>\n"
    );
    assert!(article["published_at"].is_null());
    let uuid = uuid::Uuid::parse_str(&id_of(&article)).unwrap();
    assert_eq!(uuid.get_version_num(), 7, "ids are UUIDv7");
    for field in [
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
        "archived",
        "archived_at",
        "archive_reason",
        "superseded_by",
    ] {
        assert!(article.get(field).is_some(), "{field}");
    }

    let again = app.get(response.header("location")).await;
    assert_eq!(again.status, 401, "the API needs a token");
    let read = app
        .api("GET", response.header("location"), Some(&token), None, &[])
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.header("etag"), "\"1\"");
    assert_eq!(read.json(), article, "what was answered is what is stored");
}

#[sqlx::test]
async fn derived_slugs_get_numbered_when_taken(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let first = app
        .create_article(&token, json!({"title": "Same title"}))
        .await;
    let second = app
        .create_article(&token, json!({"title": "Same title"}))
        .await;
    let third = app
        .create_article(&token, json!({"title": "Same title"}))
        .await;
    assert_eq!(first["slug"], "same-title");
    assert_eq!(second["slug"], "same-title-2");
    assert_eq!(third["slug"], "same-title-3");
    let taken = app
        .api(
            "POST",
            "/api/v1/articles",
            Some(&token),
            Some(json!({"title": "x", "slug": "same-title"})),
            &[],
        )
        .await;
    // A slug given and taken is a conflict with another story, named like a field error.
    let problem = taken.assert_problem(409);
    assert_eq!(problem["errors"][0]["field"], "slug", "{}", taken.text);
}

#[sqlx::test]
async fn invalid_input_gets_field_errors_and_stores_nothing(pool: PgPool) {
    insert_topic(&pool, "diabetes", "Diabetes", "").await;
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    let cases = [
        (json!({}), "title"),
        (json!({"title": "   "}), "title"),
        (json!({"title": "x".repeat(201)}), "title"),
        (json!({"title": "ok", "slug": "Not A Slug"}), "slug"),
        (json!({"title": "ok", "slug": "a".repeat(121)}), "slug"),
        (json!({"title": "ok", "dek": "d".repeat(401)}), "dek"),
        (
            json!({"title": "ok", "body_markdown": "b".repeat(200_001)}),
            "body_markdown",
        ),
        (
            json!({"title": "ok", "topics": ["no-such-topic"]}),
            "topics",
        ),
        (json!({"title": "ok", "colour": "red"}), "colour"),
        (json!({"title": "ok", "status": "published"}), "status"),
        (
            json!({"title": "ok", "change_kind": "correction"}),
            "change_note",
        ),
        (
            json!({"title": "ok", "change_kind": "rewrite"}),
            "change_kind",
        ),
        (json!({"title": "ok", "version": 9}), "version"),
        (json!({"title": 5}), "title"),
        (json!({"title": "ok", "topics": "diabetes"}), "topics"),
        // Serde alone would read a struct from an array of its fields.
        (json!({"title": "ok", "study": [null, null]}), "study"),
        (json!({"title": "ok", "review": ["Dr. A"]}), "review"),
        (
            json!({"title": "ok", "study": {"sample_size": "many"}}),
            "study.sample_size",
        ),
        (
            json!({"title": "ok", "study": {"doi": "not a doi"}}),
            "study.doi",
        ),
        (
            json!({"title": "ok", "study": {"url": "javascript:alert(1)"}}),
            "study.url",
        ),
        (
            json!({"title": "ok", "study": {"presented_at": "yesterday"}}),
            "study.presented_at",
        ),
        (
            json!({"title": "ok", "study": {"funder": "x"}}),
            "study.funder",
        ),
        (
            json!({"title": "ok", "review": {"last_reviewed": "2022-02-22", "next_review_due": "2021-01-01"}}),
            "review.next_review_due",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .api(
                "POST",
                "/api/v1/articles",
                Some(&token),
                Some(body.clone()),
                &[],
            )
            .await;
        assert_eq!(response.error_fields(), vec![field.to_owned()], "{body}");
    }
    // The longest allowed values are accepted.
    let max = json!({"title": "t".repeat(200), "dek": "d".repeat(400), "body_markdown": "b".repeat(200_000)});
    assert_eq!(
        app.api("POST", "/api/v1/articles", Some(&token), Some(max), &[])
            .await
            .status,
        201
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM articles")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 1, "only the valid story was stored");
}

#[sqlx::test]
async fn malformed_json_wrong_type_and_huge_bodies_get_400_415_413(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let send = |content_type: &'static str, body: Vec<u8>| {
        Request::post("/api/v1/articles")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap()
    };
    app.request(send("application/json", b"{\"title\": ".to_vec()))
        .await
        .assert_problem(400);
    app.request(send("application/json", b"\xff\xfe".to_vec()))
        .await
        .assert_problem(400);
    app.request(send("text/plain", b"{\"title\": \"x\"}".to_vec()))
        .await
        .assert_problem(415);
    app.request(send(
        "application/x-www-form-urlencoded",
        b"title=x".to_vec(),
    ))
    .await
    .assert_problem(415);
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    app.request(send("application/json", nested.into_bytes()))
        .await
        .assert_problem(400);
    let huge = format!("{{\"title\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    app.request(send("application/json", huge.into_bytes()))
        .await
        .assert_problem(413);
    let charset = app
        .request(send(
            "application/json; charset=utf-8",
            b"{\"title\": \"ok\"}".to_vec(),
        ))
        .await;
    assert_eq!(charset.status, 201);
}

#[sqlx::test]
async fn patch_needs_if_match_rejects_stale_versions_and_bumps_the_etag(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let id = id_of(
        &app.create_article(&token, json!({"title": "Original"}))
            .await,
    );
    let path = format!("/api/v1/articles/{id}");

    let missing = app
        .api(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"title": "New"})),
            &[],
        )
        .await;
    missing.assert_problem(428);

    let ok = app
        .api(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"title": "New"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.header("etag"), "\"2\"");
    assert_eq!(ok.json()["title"], "New");
    assert_eq!(ok.json()["version"], 2);

    let stale = app
        .api(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"title": "Lost?"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    let problem = stale.assert_problem(412);
    assert_eq!(
        problem["current"]["title"], "New",
        "the current article comes with the 412"
    );
    assert_eq!(problem["current"]["version"], 2);
    // Its members at the top level too, but for the problem's own `title` and `status`.
    assert_eq!(problem["version"], 2);
    assert_eq!(problem["id"], problem["current"]["id"]);
    assert_eq!(problem["status"], 412);
    assert_eq!(problem["title"], "Edit conflict");
    assert_eq!(stale.header("etag"), "\"2\"");

    let garbage = app
        .api(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"title": "x"})),
            &[("if-match", "\"yesterday\"")],
        )
        .await;
    garbage.assert_problem(412);
    let weak = app
        .api(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"title": "Weak"})),
            &[("if-match", "W/\"2\"")],
        )
        .await;
    assert_eq!(weak.status, 200);
}

#[sqlx::test]
async fn updated_at_moves_only_for_updates_and_corrections(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let article = app
        .create_article(&token, json!({"title": "Dates", "slug": "dates"}))
        .await;
    let id = id_of(&article);
    let published = app.action(&token, &id, "publish", None).await;
    // Publishing is a lifecycle step, not an update: the moment stays the creation's.
    assert_eq!(published["updated_at"], article["updated_at"]);
    let path = format!("/api/v1/articles/{id}");
    let patch = |body: serde_json::Value, version: i64| {
        let app = &app;
        let token = &token;
        let path = &path;
        async move {
            let etag = format!("\"{version}\"");
            app.api(
                "PATCH",
                path,
                Some(token),
                Some(body),
                &[("if-match", etag.as_str())],
            )
            .await
        }
    };

    let minor = patch(json!({"dek": "typo fixed"}), 2).await.json();
    assert_eq!(minor["updated_at"], published["updated_at"]);
    let update = patch(json!({"body_markdown": "New data", "change_kind": "update", "change_note": "Added the two-year results."}), 3).await.json();
    assert_ne!(update["updated_at"], published["updated_at"]);

    let no_note = patch(json!({"dek": "x", "change_kind": "correction"}), 4).await;
    assert_eq!(no_note.error_fields(), vec!["change_note"]);
    let bad_kind = patch(json!({"dek": "x", "change_kind": "rewrite"}), 4).await;
    assert_eq!(bad_kind.error_fields(), vec!["change_kind"]);
    let correction = patch(json!({"dek": "9%, not 19%", "change_kind": "correction", "change_note": "We said 19%; it was 9%."}), 4).await;
    assert_eq!(correction.status, 200, "{}", correction.text);

    let page = app.get("/research-news/dates").await;
    page.assert_in_order(&[
        "Updates and corrections",
        "Update",
        "Added the two-year results.",
        "Correction",
        "We said 19%; it was 9%.",
    ]);
    assert!(
        !page.text.contains("typo fixed</p>"),
        "minor edits are not listed"
    );
}

#[sqlx::test]
async fn a_changed_slug_leaves_a_301_behind(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let id = id_of(
        &app.create_article(&token, json!({"title": "Old", "slug": "old-slug"}))
            .await,
    );
    app.action(&token, &id, "publish", None).await;
    let renamed = app
        .api(
            "PATCH",
            &format!("/api/v1/articles/{id}"),
            Some(&token),
            Some(json!({"slug": "new-slug"})),
            &[("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    let old = app.get("/research-news/old-slug").await;
    assert_eq!(old.status, 301);
    assert_eq!(old.header("location"), "/research-news/new-slug");
    assert_eq!(app.get("/research-news/new-slug").await.status, 200);
    // Another story cannot take the old slug; the same story can take it back.
    let taken = app
        .api(
            "POST",
            "/api/v1/articles",
            Some(&token),
            Some(json!({"title": "x", "slug": "old-slug"})),
            &[],
        )
        .await;
    assert_eq!(taken.assert_problem(409)["errors"][0]["field"], "slug");
    let back = app
        .api(
            "PATCH",
            &format!("/api/v1/articles/{id}"),
            Some(&token),
            Some(json!({"slug": "old-slug"})),
            &[("if-match", "\"3\"")],
        )
        .await;
    assert_eq!(back.status, 200, "{}", back.text);
    assert_eq!(app.get("/research-news/old-slug").await.status, 200);
    assert_eq!(app.get("/research-news/new-slug").await.status, 301);
}

#[sqlx::test]
async fn lists_filter_search_and_page_with_per_page_capped_at_100(pool: PgPool) {
    insert_topic(&pool, "nutrition", "Nutrition", "").await;
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    for n in 0..105 {
        app.create_article(&token, json!({"title": format!("Story {n}")}))
            .await;
    }
    let salt = app
        .create_article(
            &token,
            json!({"title": "Salt: 1000% more blood pressure", "topics": ["nutrition"]}),
        )
        .await;
    let salt_id = id_of(&salt);
    app.action(&token, &salt_id, "publish", None).await;
    app.action(&token, &salt_id, "archive", None).await;

    let page = |query: &str| {
        let app = &app;
        let token = &token;
        let path = format!("/api/v1/articles{query}");
        async move { app.api("GET", &path, Some(token), None, &[]).await }
    };
    let first = page("").await.json();
    assert_eq!(
        (
            first["page"].as_i64(),
            first["per_page"].as_i64(),
            first["total"].as_i64()
        ),
        (Some(1), Some(20), Some(106))
    );
    assert_eq!(first["items"].as_array().unwrap().len(), 20);
    let capped = page("?per_page=1000&page=2").await.json();
    assert_eq!(capped["per_page"], 100);
    assert_eq!(capped["items"].as_array().unwrap().len(), 6);
    assert_eq!(page("?status=published").await.json()["total"], 1);
    assert_eq!(page("?status=draft").await.json()["total"], 105);
    assert_eq!(page("?topic=nutrition").await.json()["total"], 1);
    assert_eq!(page("?archived=true").await.json()["total"], 1);
    assert_eq!(page("?archived=false").await.json()["total"], 105);
    assert_eq!(page("?q=blood").await.json()["total"], 1);
    assert_eq!(
        page("?q=1000%25").await.json()["total"],
        1,
        "% matches literally"
    );
    assert_eq!(page("?q=%25").await.json()["total"], 1);
    for (query, field) in [
        ("?page=0", "page"),
        ("?page=-1", "page"),
        ("?page=abc", "page"),
        ("?per_page=0", "per_page"),
        ("?status=live", "status"),
        ("?archived=maybe", "archived"),
    ] {
        assert_eq!(
            page(query).await.error_fields(),
            vec![field.to_owned()],
            "{query}"
        );
    }
}

#[sqlx::test]
async fn unknown_ids_routes_and_methods_are_problems(pool: PgPool) {
    let token = token_for(&pool, Role::Admin).await;
    let app = TestApp::new(pool);
    for path in [
        "/api/v1/articles/01900000-0000-7000-8000-000000000000",
        "/api/v1/articles/not-a-uuid",
        "/api/v1/nope",
        "/api/nope",
    ] {
        app.api("GET", path, Some(&token), None, &[])
            .await
            .assert_problem(404);
    }
    app.api("PUT", "/api/v1/articles", Some(&token), None, &[])
        .await
        .assert_problem(405);
    app.api("DELETE", "/api/v1/topics", Some(&token), None, &[])
        .await
        .assert_problem(405);
}

#[sqlx::test]
async fn malformed_query_strings_and_paths_are_problems_too(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    app.api(
        "GET",
        "/api/v1/articles?page=1&page=2",
        Some(&token),
        None,
        &[],
    )
    .await
    .assert_problem(400);
    app.api("GET", "/api/v1/articles/%FF", Some(&token), None, &[])
        .await
        .assert_problem(404);
    app.api(
        "GET",
        "/api/v1/articles/%FF/revisions/1",
        Some(&token),
        None,
        &[],
    )
    .await
    .assert_problem(404);
}

#[sqlx::test]
async fn a_create_may_say_draft_and_describe_revision_1(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    let created = app
        .api(
            "POST",
            "/api/v1/articles",
            Some(&token),
            Some(
                json!({"title": "Described", "status": "draft", "change_kind": "update",
                        "change_note": "First version from the congress."}),
            ),
            &[],
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json()["status"], "draft");
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let first = app
        .api(
            "GET",
            &format!("/api/v1/articles/{id}/revisions/1"),
            Some(&token),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(first["change_kind"], "update");
    assert_eq!(first["change_note"], "First version from the congress.");
}

//! `/api/v1/people`, and people on articles: `authors` and `review.reviewer` (CONTRACT §8).

use dateline::domain::policy::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, id_of, token_for};

async fn add_person(app: &TestApp, token: &str, body: serde_json::Value) -> serde_json::Value {
    let created = app
        .api("POST", "/api/v1/people", Some(token), Some(body), &[])
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.json()
}

#[sqlx::test]
async fn editors_add_read_change_and_delete_people(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let created = app
        .api(
            "POST",
            "/api/v1/people",
            Some(&token),
            Some(json!({
                "name": "Dr. Ana Ribeiro",
                "credentials": "MD, medical oncologist",
                "bio": "Treats *breast* cancer.<script>alert(1)</script>",
                "same_as": ["https://orcid.org/0000-0002-1825-0097"]
            })),
            &[],
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.header("location"), "/api/v1/people/dr-ana-ribeiro");
    assert_eq!(created.header("etag"), "\"1\"");
    let person = created.json();
    assert_eq!(person["slug"], "dr-ana-ribeiro");
    assert_eq!(person["credentials"], "MD, medical oncologist");
    assert_eq!(person["photo"], serde_json::Value::Null);
    assert_eq!(
        person["same_as"],
        json!(["https://orcid.org/0000-0002-1825-0097"])
    );
    // The bio is sanitised like a story body.
    let bio_html = person["bio_html"].as_str().unwrap();
    assert!(bio_html.contains("<em>breast</em>"), "{bio_html}");
    assert!(!bio_html.contains("<script"), "{bio_html}");

    let listed = app
        .api("GET", "/api/v1/people?q=oncolog", Some(&token), None, &[])
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.json()["total"], 1);
    assert_eq!(listed.json()["items"][0]["slug"], "dr-ana-ribeiro");
    let none = app
        .api("GET", "/api/v1/people?q=cardio", Some(&token), None, &[])
        .await;
    assert_eq!(none.json()["total"], 0);

    let shown = app
        .api(
            "GET",
            "/api/v1/people/dr-ana-ribeiro",
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.json(), person);

    let changed = app
        .api(
            "PATCH",
            "/api/v1/people/dr-ana-ribeiro",
            Some(&token),
            Some(json!({"slug": "ana-ribeiro", "credentials": "MD, PhD, medical oncologist"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.json()["slug"], "ana-ribeiro");
    assert_eq!(changed.json()["name"], "Dr. Ana Ribeiro");
    assert_eq!(changed.json()["version"], 2);
    assert_eq!(changed.header("etag"), "\"2\"");
    // A stale version is refused with the person as they are now.
    let stale = app
        .api(
            "PATCH",
            "/api/v1/people/ana-ribeiro",
            Some(&token),
            Some(json!({"name": "Someone else"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(stale.assert_problem(412)["current"]["version"], 2);
    app.api(
        "GET",
        "/api/v1/people/dr-ana-ribeiro",
        Some(&token),
        None,
        &[],
    )
    .await
    .assert_problem(404);

    let deleted = app
        .api(
            "DELETE",
            "/api/v1/people/ana-ribeiro",
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    app.api("GET", "/api/v1/people/ana-ribeiro", Some(&token), None, &[])
        .await
        .assert_problem(404);
    // The slug is free again.
    add_person(
        &app,
        &token,
        json!({"name": "Ana Ribeiro", "slug": "ana-ribeiro"}),
    )
    .await;
}

#[sqlx::test]
async fn person_fields_are_checked_and_named(pool: PgPool) {
    let token = token_for(&pool, Role::Admin).await;
    let app = TestApp::new(pool);
    let post = |body: serde_json::Value| {
        let app = app.clone();
        let token = token.clone();
        async move {
            app.api("POST", "/api/v1/people", Some(&token), Some(body), &[])
                .await
        }
    };
    assert_eq!(
        post(json!({"credentials": "MD"})).await.error_fields(),
        ["name"]
    );
    assert_eq!(post(json!({"name": "   "})).await.error_fields(), ["name"]);
    assert_eq!(
        post(json!({"name": "x".repeat(121)})).await.error_fields(),
        ["name"]
    );
    assert_eq!(
        post(json!({"name": "A", "credentials": "x".repeat(201)}))
            .await
            .error_fields(),
        ["credentials"]
    );
    assert_eq!(
        post(json!({"name": "A", "bio": "é".repeat(2_501)}))
            .await
            .error_fields(),
        ["bio"]
    );
    assert_eq!(
        post(json!({"name": "A", "same_as": ["http://example.org/a", "https://example.org/b"]}))
            .await
            .error_fields(),
        ["same_as[0]"]
    );
    assert_eq!(
        post(json!({"name": "A", "same_as": vec!["https://example.org/a"; 11]}))
            .await
            .error_fields(),
        ["same_as"]
    );
    assert_eq!(
        post(json!({"name": "A", "photo": "0190a5a0-0000-7000-8000-000000000000"}))
            .await
            .error_fields(),
        ["photo"]
    );
    assert_eq!(
        post(json!({"name": "A", "slug": "Not a slug"}))
            .await
            .error_fields(),
        ["slug"]
    );
    assert_eq!(
        post(json!({"name": "A", "twitter": "@a"}))
            .await
            .error_fields(),
        ["twitter"]
    );
    add_person(&app, &token, json!({"name": "Kim Lee"})).await;
    let taken = post(json!({"name": "Kim Lee"})).await;
    assert_eq!(taken.assert_problem(409)["errors"][0]["field"], "slug");
}

#[sqlx::test]
async fn contributors_read_people_but_do_not_change_them(pool: PgPool) {
    let editor = token_for(&pool, Role::Editor).await;
    let contributor = token_for(&pool, Role::Contributor).await;
    let app = TestApp::new(pool);
    add_person(&app, &editor, json!({"name": "Kim Lee"})).await;
    assert_eq!(
        app.api("GET", "/api/v1/people", Some(&contributor), None, &[])
            .await
            .json()["total"],
        1
    );
    for (method, path, body) in [
        ("POST", "/api/v1/people", Some(json!({"name": "Someone"}))),
        (
            "PATCH",
            "/api/v1/people/kim-lee",
            Some(json!({"name": "Kim"})),
        ),
        ("DELETE", "/api/v1/people/kim-lee", None),
    ] {
        app.api(method, path, Some(&contributor), body, &[])
            .await
            .assert_problem(403);
    }
    app.api("GET", "/api/v1/people", None, None, &[])
        .await
        .assert_problem(401);
}

#[sqlx::test]
async fn articles_credit_authors_in_order_and_a_reviewer(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    for name in ["Lena Okafor", "Sam Whitfield", "Dr. Ana Ribeiro"] {
        add_person(&app, &token, json!({"name": name})).await;
    }
    let article = app
        .create_article(
            &token,
            json!({
                "title": "Trastuzumab and long remission",
                "authors": ["sam-whitfield", "lena-okafor", "sam-whitfield"],
                "review": {"reviewer": "dr-ana-ribeiro", "last_reviewed": "2026-11-02",
                           "next_review_due": "2027-11-02"}
            }),
        )
        .await;
    // Repeats are dropped; the order is kept.
    assert_eq!(article["authors"], json!(["sam-whitfield", "lena-okafor"]));
    assert_eq!(article["review"]["reviewer"], "dr-ana-ribeiro");
    assert_eq!(article["review"]["reviewed_by"], serde_json::Value::Null);
    let id = id_of(&article);

    // Unknown people are a 422 naming the field.
    let unknown = app
        .api(
            "PATCH",
            &format!("/api/v1/articles/{id}"),
            Some(&token),
            Some(json!({"authors": ["nobody"], "review": {"reviewer": "no-one"}})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(unknown.error_fields(), ["authors", "review.reviewer"]);
    let problem = unknown.json();
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nobody")
    );

    // A renamed person is named by their new slug everywhere.
    let renamed = app
        .api(
            "PATCH",
            "/api/v1/people/lena-okafor",
            Some(&token),
            Some(json!({"slug": "lena-okafor-md"})),
            &[],
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    let shown = app
        .api(
            "GET",
            &format!("/api/v1/articles/{id}"),
            Some(&token),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(shown["authors"], json!(["sam-whitfield", "lena-okafor-md"]));

    // Someone credited cannot be deleted: as an author, or as the reviewer.
    for slug in ["sam-whitfield", "dr-ana-ribeiro"] {
        let refused = app
            .api(
                "DELETE",
                &format!("/api/v1/people/{slug}"),
                Some(&token),
                None,
                &[],
            )
            .await;
        let problem = refused.assert_problem(409);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("credited on 1 story"),
            "{problem}"
        );
    }

    // Revisions hold the byline and the reviewer, and a restore brings them back.
    let changed = app
        .api(
            "PATCH",
            &format!("/api/v1/articles/{id}"),
            Some(&token),
            Some(json!({"authors": [], "review": null})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.json()["authors"], json!([]));
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
    let snapshot = first["article"].clone();
    assert_eq!(snapshot["authors"], json!(["sam-whitfield", "lena-okafor"]));
    assert_eq!(snapshot["review"]["reviewer"], "dr-ana-ribeiro");
    // Nobody credited now: the reviewer may go; then restoring revision 1 conflicts.
    let gone = app
        .api(
            "DELETE",
            "/api/v1/people/dr-ana-ribeiro",
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    let conflict = app
        .api(
            "POST",
            &format!("/api/v1/articles/{id}/revisions/1/restore"),
            Some(&token),
            Some(json!({})),
            &[],
        )
        .await;
    // Both people it names are gone under those slugs: the byline's one renamed, the reviewer
    // deleted.
    let fields: Vec<_> = conflict.assert_problem(409)["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["authors", "review.reviewer"]);
    // Revision 1 named the old slug; with the reviewer back under theirs, the restore works
    // and brings the byline back.
    add_person(&app, &token, json!({"name": "Dr. Ana Ribeiro"})).await;
    app.api(
        "PATCH",
        "/api/v1/people/lena-okafor-md",
        Some(&token),
        Some(json!({"slug": "lena-okafor"})),
        &[],
    )
    .await;
    let restored = app
        .api(
            "POST",
            &format!("/api/v1/articles/{id}/revisions/1/restore"),
            Some(&token),
            Some(json!({})),
            &[],
        )
        .await;
    assert_eq!(restored.status, 200, "{}", restored.text);
    assert_eq!(
        restored.json()["authors"],
        json!(["sam-whitfield", "lena-okafor"])
    );
    assert_eq!(restored.json()["review"]["reviewer"], "dr-ana-ribeiro");
}

#[sqlx::test]
async fn review_due_lists_published_stories_due_by_today(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let today = time::OffsetDateTime::now_utc().date();
    let story = |title: &str, due: time::Date| json!({"title": title, "review": {"reviewed_by": "Dr. X", "next_review_due": due.to_string()}});
    let overdue = app
        .create_article(&token, story("Overdue", today - time::Duration::days(30)))
        .await;
    let later = app
        .create_article(&token, story("Later", today + time::Duration::days(30)))
        .await;
    let draft = app
        .create_article(&token, story("Draft due", today - time::Duration::days(3)))
        .await;
    app.create_article(&token, json!({"title": "No review"}))
        .await;
    for story in [&overdue, &later] {
        app.action(&token, &id_of(story), "publish", None).await;
    }
    let due = app
        .api(
            "GET",
            "/api/v1/articles?review_due=true",
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(due.status, 200, "{}", due.text);
    let titles: Vec<_> = due.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(titles, ["Overdue"]);
    let not_due = app
        .api(
            "GET",
            "/api/v1/articles?review_due=false",
            Some(&token),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(not_due["total"], 3);
    assert!(
        not_due["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == draft["id"])
    );
    assert_eq!(
        app.api(
            "GET",
            "/api/v1/articles?review_due=soon",
            Some(&token),
            None,
            &[]
        )
        .await
        .error_fields(),
        ["review_due"]
    );
}

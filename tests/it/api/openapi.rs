//! `/api/openapi.json` stays true: every documented route exists, and every route of the
//! contract is documented.

use dateline::domain::policy::Role;
use sqlx::PgPool;

use crate::helpers::{TestApp, token_for};

/// CONTRACT §4, method and path.
const CONTRACT: [(&str, &str); 26] = [
    ("get", "/api/v1/articles"),
    ("post", "/api/v1/articles"),
    ("get", "/api/v1/articles/{id}"),
    ("patch", "/api/v1/articles/{id}"),
    ("delete", "/api/v1/articles/{id}"),
    ("post", "/api/v1/articles/{id}/submit"),
    ("post", "/api/v1/articles/{id}/publish"),
    ("post", "/api/v1/articles/{id}/unpublish"),
    ("post", "/api/v1/articles/{id}/withdraw"),
    ("post", "/api/v1/articles/{id}/archive"),
    ("post", "/api/v1/articles/{id}/unarchive"),
    ("get", "/api/v1/articles/{id}/revisions"),
    ("get", "/api/v1/articles/{id}/revisions/{n}"),
    ("post", "/api/v1/articles/{id}/revisions/{n}/restore"),
    ("post", "/api/v1/articles/{id}/preview-links"),
    ("delete", "/api/v1/preview-links/{id}"),
    ("get", "/api/v1/topics"),
    ("post", "/api/v1/topics"),
    ("patch", "/api/v1/topics/{slug}"),
    ("get", "/api/v1/feedback"),
    ("patch", "/api/v1/feedback/{id}"),
    ("get", "/api/v1/me"),
    ("post", "/api/v1/articles/{id}/restore"),
    ("get", "/api/v1/articles/{id}/stats"),
    ("get", "/api/openapi.json"),
    ("get", "/api/docs"),
];

#[sqlx::test]
async fn the_document_is_openapi_3_1_and_covers_the_contract(pool: PgPool) {
    let app = TestApp::new(pool);
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status, 200);
    let doc = response.json();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for (method, path) in CONTRACT {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is documented"
        );
    }
    for schema in ["Article", "Problem", "FieldError", "ArticleList"] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "schema {schema}"
        );
    }
}

#[sqlx::test]
async fn every_documented_operation_is_routed(pool: PgPool) {
    let token = token_for(&pool, Role::Admin).await;
    let app = TestApp::new(pool);
    let doc = app.get("/api/openapi.json").await.json();
    let mut seen = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "patch", "put", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            seen += 1;
            let concrete = path
                .replace("{id}", "01900000-0000-7000-8000-000000000000")
                .replace("{n}", "1")
                .replace("{slug}", "some-topic");
            let response = app
                .api(&method.to_uppercase(), &concrete, Some(&token), None, &[])
                .await;
            assert_ne!(response.status, 405, "{method} {path}");
            if response.status == 404 && !path.starts_with("/api/v1/") {
                panic!("{method} {path} is not routed");
            }
            if response.status == 404 {
                let detail = response.json()["detail"].as_str().unwrap().to_owned();
                assert!(
                    !detail.contains("no API endpoint"),
                    "{method} {path} is not routed"
                );
            }
            assert!(
                response.status.as_u16() < 500,
                "{method} {path}: {}",
                response.status
            );
        }
    }
    assert_eq!(
        seen,
        CONTRACT.len(),
        "documented operations = contract operations"
    );
    // And an undocumented address is not routed.
    let unknown = app
        .api("GET", "/api/v1/secrets", Some(&token), None, &[])
        .await;
    assert!(
        unknown.json()["detail"]
            .as_str()
            .unwrap()
            .contains("no API endpoint")
    );
}

#[sqlx::test]
async fn the_docs_page_lists_the_operations(pool: PgPool) {
    let page = TestApp::new(pool).get("/api/docs").await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").starts_with("text/html"));
    page.assert_in_order(&["Editor API", "/api/openapi.json"]);
    assert!(page.text.contains("/api/v1/articles/{id}/publish"));
    assert!(!page.text.contains("<script"), "no inline script, no CDN");
}

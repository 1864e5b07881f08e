//! `/api/openapi.json` stays true: every documented route exists, and every route of the
//! contract is documented.

use dateline::domain::policy::Role;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{TestApp, token_for};

/// CONTRACT §4, §8 and §9, method and path.
const CONTRACT: [(&str, &str); 48] = [
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
    ("get", "/api/v1/articles/{id}/scheduled"),
    ("delete", "/api/v1/articles/{id}/scheduled/{action}"),
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
    ("get", "/api/v1/media"),
    ("post", "/api/v1/media"),
    ("get", "/api/v1/media/{id}"),
    ("patch", "/api/v1/media/{id}"),
    ("delete", "/api/v1/media/{id}"),
    ("get", "/api/v1/people"),
    ("post", "/api/v1/people"),
    ("get", "/api/v1/people/{slug}"),
    ("patch", "/api/v1/people/{slug}"),
    ("delete", "/api/v1/people/{slug}"),
    ("get", "/api/v1/search/synonyms"),
    ("put", "/api/v1/search/synonyms"),
    ("get", "/api/v1/archive-policy"),
    ("put", "/api/v1/archive-policy"),
    ("get", "/api/v1/archive-policy/preview"),
    ("get", "/api/v1/webhooks"),
    ("post", "/api/v1/webhooks"),
    ("delete", "/api/v1/webhooks/{id}"),
    ("post", "/api/v1/webhooks/{id}/test"),
    ("get", "/api/v1/webhooks/{id}/deliveries"),
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

/// Whether `value` satisfies the string rules the document states for it (`type`, `minLength`,
/// `maxLength`, `pattern`; `null` where the type allows it).
fn document_takes(schema: &Value, value: &Value) -> bool {
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(|t| t.as_str()).collect(),
        _ => panic!("no type in {schema}"),
    };
    let Some(text) = value.as_str() else {
        return value.is_null() && types.contains(&"null");
    };
    let chars = text.chars().count() as u64;
    types.contains(&"string")
        && schema["minLength"].as_u64().is_none_or(|min| chars >= min)
        && schema["maxLength"].as_u64().is_none_or(|max| chars <= max)
        && schema["pattern"].as_str().is_none_or(|p| {
            regex::Regex::new(p)
                .unwrap_or_else(|e| panic!("{p}: {e}"))
                .is_match(text)
        })
}

/// Text a client may send: empty, blank, controls, noncharacters, scripts, limits and one past.
fn probes(limit: usize) -> Vec<Value> {
    let mut texts: Vec<String> = [
        "",
        " ",
        "\u{3000}\t\n",
        "\u{1}\u{7f}\u{85}",
        "\u{fffe}\u{10ffff}",
        "\u{1}Visible\u{b}",
        "  padded  ",
        "日本語 ✓",
        "a\u{0}b",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    texts.push("x".repeat(limit));
    texts.push("x".repeat(limit + 1));
    texts.push(format!("{}x", " ".repeat(limit - 1)));
    texts.push(format!("{}x", " ".repeat(limit)));
    texts.push("é".repeat(limit));
    let mut values: Vec<Value> = texts.into_iter().map(Into::into).collect();
    values.push(Value::Null);
    values
}

/// Sends each of [`probes`] as `schema.field` (in the body `make` builds, posted to `path`)
/// and checks that the server takes exactly what the document says it takes.
async fn check_text(
    app: &TestApp,
    token: &str,
    doc: &Value,
    (schema, field, limit): (&str, &str, usize),
    path: &str,
    make: impl Fn(Value, String) -> Value,
) {
    let rule = &doc["components"]["schemas"][schema]["properties"][field];
    for (n, value) in probes(limit).into_iter().enumerate() {
        let body = make(value.clone(), format!("{}-{n}", field.replace('_', "-")));
        let answer = app.api("POST", path, Some(token), Some(body), &[]).await;
        let taken = answer.status.is_success();
        assert!(
            taken || answer.status == 422,
            "{schema}.{field} {value:?}: {}",
            answer.text
        );
        assert_eq!(
            document_takes(rule, &value),
            taken,
            "{schema}.{field} = {value:?}: the server answered {}",
            answer.text
        );
    }
}

#[sqlx::test]
async fn the_document_states_exactly_the_text_the_server_takes(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let doc = app.get("/api/openapi.json").await.json();
    let schemas = &doc["components"]["schemas"];
    // Required and not nullable where the server needs a value.
    assert_eq!(schemas["NewArticle"]["required"], json!(["title"]));
    assert_eq!(schemas["NewTopic"]["required"], json!(["name"]));
    assert_eq!(
        schemas["UpdateFeedback"]["properties"]["email"]["type"],
        "null"
    );
    let articles = "/api/v1/articles";
    let topics = "/api/v1/topics";
    check_text(
        &app,
        &token,
        &doc,
        ("NewArticle", "title", 200),
        articles,
        |v, slug| json!({"title": v, "slug": slug}),
    )
    .await;
    check_text(
        &app,
        &token,
        &doc,
        ("NewArticle", "dek", 400),
        articles,
        |v, slug| json!({"title": "x", "dek": v, "slug": slug}),
    )
    .await;
    check_text(
        &app,
        &token,
        &doc,
        ("NewArticle", "change_note", 2000),
        articles,
        |v, slug| json!({"title": "x", "change_note": v, "slug": slug}),
    )
    .await;
    check_text(
        &app,
        &token,
        &doc,
        ("NewTopic", "name", 120),
        topics,
        |v, slug| json!({"name": v, "slug": slug}),
    )
    .await;
    check_text(
        &app,
        &token,
        &doc,
        ("NewTopic", "description", 2000),
        topics,
        |v, slug| json!({"name": "x", "description": v, "slug": slug}),
    )
    .await;
    check_text(
        &app,
        &token,
        &doc,
        ("Study", "citation", 500),
        articles,
        |v, slug| json!({"title": "x", "study": {"citation": v}, "slug": slug}),
    )
    .await;
    check_text(
        &app,
        &token,
        &doc,
        ("Review", "reviewed_by", 200),
        articles,
        |v, slug| json!({"title": "x", "review": {"reviewed_by": v}, "slug": slug}),
    )
    .await;
}

#[sqlx::test]
async fn the_document_states_exactly_the_identifiers_and_dates_the_server_takes(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let doc = app.get("/api/openapi.json").await.json();
    let study = &doc["components"]["schemas"]["Study"]["properties"];
    let probes: [(&str, &[&str]); 4] = [
        (
            "doi",
            &[
                "10.1056/NEJMoa2110345",
                "10.1000.1/a/b(c)",
                "10./x",
                "10.1056/",
                "10.1056/a b",
                "10.1056/a\u{1}",
                "11.1056/x",
                "10.1056/日本",
                " 10.1056/x",
            ],
        ),
        (
            "pubmed_id",
            &[
                "1",
                "123456789012",
                "1234567890123",
                "",
                "12a",
                "+1",
                "１２",
            ],
        ),
        (
            "url",
            &[
                "https://example.org/a?b=c&d=%20#e",
                "http://a",
                "http://a:8080/",
                "https://www.nejm.org/doi/full/10.1056/NEJMoa2110345",
                "HTTPS://example.org",
                "ftp://example.org",
                "https://exa mple.org",
                "https://example.org/<script>",
                "https://例え.jp/",
                "https://",
                "https://a..b/",
                "javascript:alert(1)",
            ],
        ),
        (
            "presented_at",
            &[
                "2011-09-25",
                "1900-01-01",
                "2199-12-31",
                "1899-12-31",
                "2200-01-01",
                "2023-02-29",
                "2024-02-29",
                "+2011-09-25",
                "2011-9-25",
                "2011-09-25T00:00:00Z",
            ],
        ),
    ];
    for (n, (field, values)) in probes.iter().enumerate() {
        for (m, value) in values.iter().enumerate() {
            let answer = app
                .api(
                    "POST",
                    "/api/v1/articles",
                    Some(&token),
                    Some(json!({"title": "x", "slug": format!("p-{n}-{m}"), "study": {*field: value}})),
                    &[],
                )
                .await;
            let rule = &study[*field];
            let mut expected = document_takes(rule, &json!(value));
            if rule["format"] == "date" {
                // `format: date` adds that the day exists.
                let format = time::macros::format_description!("[year]-[month]-[day]");
                expected &= time::Date::parse(value, format).is_ok();
            }
            assert_eq!(
                answer.status.is_success(),
                expected,
                "study.{field} = {value:?}: {}",
                answer.text
            );
        }
    }
}

#[sqlx::test]
async fn whole_numbers_with_a_zero_fraction_are_taken_as_json_schema_says(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let created = app
        .create_article(
            &token,
            json!({"title": "Sample", "study": {"sample_size": 389.0}}),
        )
        .await;
    assert_eq!(created["study"]["sample_size"], 389);
    let id = created["id"].as_str().unwrap();
    let link = app
        .api(
            "POST",
            &format!("/api/v1/articles/{id}/preview-links"),
            Some(&token),
            Some(json!({"expires_in_hours": 24.0})),
            &[],
        )
        .await;
    assert_eq!(link.status, 201, "{}", link.text);
    for body in [
        json!({"title": "x", "study": {"sample_size": 389.5}}),
        json!({"title": "x", "study": {"sample_size": "389"}}),
        json!({"title": "x", "study": {"sample_size": 1e300}}),
    ] {
        let answer = app
            .api("POST", "/api/v1/articles", Some(&token), Some(body), &[])
            .await;
        assert_eq!(answer.error_fields(), ["study.sample_size"]);
    }
    let hours = &app.get("/api/openapi.json").await.json()["components"]["schemas"]["NewPreviewLink"]
        ["properties"]["expires_in_hours"];
    assert_eq!(
        (hours["minimum"].as_i64(), hours["maximum"].as_i64()),
        (Some(1), Some(720))
    );
}

#[sqlx::test]
async fn list_parameters_are_documented_in_the_query_as_the_server_reads_them(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let doc = app.get("/api/openapi.json").await.json();
    for path in ["/api/v1/articles", "/api/v1/feedback"] {
        for parameter in doc["paths"][path]["get"]["parameters"].as_array().unwrap() {
            assert_eq!(parameter["in"], "query", "{path} {parameter}");
            assert_eq!(parameter["required"], false, "{path} {parameter}");
        }
    }
    for (query, ok) in [
        ("page=2&per_page=5", true),
        ("page=&per_page=", true),
        ("per_page=99999999999999999999999", true),
        ("page=1000000", true),
        ("page=1000001", false),
        ("page=0", false),
        ("page=+2", false),
        ("page=02", false),
        ("page=%202", false),
        ("archived=1&status=", true),
        ("archived=%20true", false),
        ("status=Draft", false),
    ] {
        let answer = app
            .api(
                "GET",
                &format!("/api/v1/articles?{query}"),
                Some(&token),
                None,
                &[],
            )
            .await;
        assert_eq!(answer.status == 200, ok, "{query}: {}", answer.text);
    }
}

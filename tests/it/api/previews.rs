//! Preview links: unguessable, expiring, revocable, noindex, read-only.

use dateline::domain::policy::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, id_of, token_for};

#[sqlx::test]
async fn a_preview_link_shows_a_draft_until_revoked(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    let id = id_of(
        &app.create_article(
            &token,
            json!({"title": "Secret draft", "slug": "secret-draft", "body_markdown": "Embargoed."}),
        )
        .await,
    );
    let created = app
        .api(
            "POST",
            &format!("/api/v1/articles/{id}/preview-links"),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let link = created.json();
    let url = link["url"].as_str().unwrap();
    assert!(
        url.starts_with("https://news.example.org/preview/"),
        "{url}"
    );
    let path = url.trim_start_matches("https://news.example.org");
    assert!(path.len() > "/preview/".len() + 40, "at least 256 bits");
    assert!(link["expires_at"].is_string());

    let page = app.get(path).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Secret draft") && page.text.contains("Embargoed."));
    assert!(
        page.text
            .contains(r#"<meta name="robots" content="noindex">"#)
    );
    assert!(page.header("x-robots-tag").contains("noindex"));
    assert_eq!(page.header("cache-control"), "no-store");
    assert!(
        !page.text.contains("<form class=\"feedback-form\""),
        "read-only"
    );
    assert!(!page.text.contains("rel=\"canonical\""));
    assert_eq!(
        app.get("/research-news/secret-draft").await.status,
        404,
        "still not public"
    );

    let link_id = link["id"].as_str().unwrap();
    assert_eq!(
        app.api(
            "DELETE",
            &format!("/api/v1/preview-links/{link_id}"),
            Some(&token),
            None,
            &[]
        )
        .await
        .status,
        204
    );
    assert_eq!(app.get(path).await.status, 404);
    assert_eq!(app.get("/preview/guessed-token").await.status, 404);
}

#[sqlx::test]
async fn expired_links_stop_working_and_lifetimes_are_bounded(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    let id = id_of(&app.create_article(&token, json!({"title": "Draft"})).await);
    let link = app
        .api(
            "POST",
            &format!("/api/v1/articles/{id}/preview-links"),
            Some(&token),
            Some(json!({"expires_in_hours": 1})),
            &[],
        )
        .await
        .json();
    let path = link["url"]
        .as_str()
        .unwrap()
        .trim_start_matches("https://news.example.org")
        .to_owned();
    assert_eq!(app.get(&path).await.status, 200);
    sqlx::query("UPDATE preview_links SET expires_at = now() - interval '1 second'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(app.get(&path).await.status, 404);
    for hours in [0, 721, -5] {
        let bad = app
            .api(
                "POST",
                &format!("/api/v1/articles/{id}/preview-links"),
                Some(&token),
                Some(json!({"expires_in_hours": hours})),
                &[],
            )
            .await;
        assert_eq!(bad.error_fields(), vec!["expires_in_hours"]);
    }
    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM preview_links")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        !path.contains(&String::from_utf8_lossy(&stored).to_string()),
        "only a digest is stored"
    );
}

//! The story page's head for search engines and social cards (issue 25): the SEO title and meta
//! description when set, the headline and the dek when not, escaped.

use dateline::domain::policy::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, id_of, token_for};

async fn published(app: &TestApp, token: &str, body: serde_json::Value) -> String {
    let article = app.create_article(token, body).await;
    app.action(token, &id_of(&article), "publish", None).await;
    format!("/research-news/{}", article["slug"].as_str().unwrap())
}

#[sqlx::test]
async fn story_head_uses_the_seo_title_and_meta_description_everywhere(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let path = published(
        &app,
        &token,
        json!({"title": "Trastuzumab and remission", "slug": "trastuzumab",
               "dek": "The dek readers see.",
               "seo_title": "Remission for years <on> \"trastuzumab\"",
               "meta_description": "Eleven of 120 & counting."}),
    )
    .await;
    let page = app.get(&path).await;
    assert_eq!(page.status, 200);
    let title = "Remission for years &#60;on&#62; &#34;trastuzumab&#34;";
    let description = "Eleven of 120 &#38; counting.";
    for tag in [
        format!("<title>{title} · Dateline</title>"),
        format!(r#"<meta name="description" content="{description}">"#),
        format!(r#"<meta property="og:title" content="{title}">"#),
        format!(r#"<meta property="og:description" content="{description}">"#),
        format!(r#"<meta name="twitter:title" content="{title}">"#),
        format!(r#"<meta name="twitter:description" content="{description}">"#),
    ] {
        assert!(page.text.contains(&tag), "missing {tag} in {}", page.text);
    }
    // JSON-LD describes the story as the meta description does; its headline stays the page's.
    let start = page
        .text
        .find(r#"<script type="application/ld+json">"#)
        .expect("json-ld")
        + 35;
    let end = start + page.text[start..].find("</script>").unwrap();
    let json: serde_json::Value = serde_json::from_str(&page.text[start..end]).unwrap();
    assert_eq!(json["description"], "Eleven of 120 & counting.");
    assert_eq!(json["headline"], "Trastuzumab and remission");
    // The page itself still shows the headline and the dek.
    assert!(page.text.contains("<h1"), "{}", page.text);
    assert!(page.text.contains("Trastuzumab and remission</h1>"));
    assert!(page.text.contains("The dek readers see."));
    assert!(!page.text.contains("<on>"), "escaped");
}

#[sqlx::test]
async fn story_head_falls_back_to_the_headline_and_the_dek(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let path = published(
        &app,
        &token,
        json!({"title": "Vitamin D and falls", "slug": "vitamin-d",
               "dek": "A trial of vitamin D."}),
    )
    .await;
    let page = app.get(&path).await;
    for tag in [
        "<title>Vitamin D and falls · Dateline</title>",
        r#"<meta name="description" content="A trial of vitamin D.">"#,
        r#"<meta property="og:title" content="Vitamin D and falls">"#,
        r#"<meta property="og:description" content="A trial of vitamin D.">"#,
        r#"<meta name="twitter:title" content="Vitamin D and falls">"#,
        r#"<meta name="twitter:description" content="A trial of vitamin D.">"#,
    ] {
        assert!(page.text.contains(tag), "missing {tag} in {}", page.text);
    }
}

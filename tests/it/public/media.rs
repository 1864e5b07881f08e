//! A story's lead image on its page, its social card, its JSON-LD and its feed entry.

use dateline::domain::policy::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::images::png;
use crate::helpers::{TestApp, id_of, token_for};
use crate::public::people::json_ld;

/// Runs structured-data-testing-tool's presets on a page (`scripts/sdtt-check.js`); the failed
/// tests.
fn social_card_failures(html: &str, presets: &str) -> Vec<String> {
    let modules = std::env::var("DATELINE_SDTT")
        .expect("DATELINE_SDTT names the node_modules with structured-data-testing-tool (make test installs it)");
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    std::fs::write(&page, html).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/sdtt-check.js");
    let output = std::process::Command::new("node")
        .arg(script)
        .arg(&page)
        .arg(presets)
        .env("NODE_PATH", &modules)
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "sdtt: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(report["passed"].as_u64().unwrap() >= 8, "{report}");
    report["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect()
}

#[sqlx::test]
async fn a_lead_image_shows_after_the_dateline_and_makes_the_social_card(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let image = app
        .upload(
            &token,
            Some(("chart.png", "image/png", &png(2000, 1000, None))),
            &[
                ("alt", "Bars of the results"),
                ("caption", "What the trial found."),
                ("credit", "Chart: Dateline"),
            ],
        )
        .await
        .json();
    let story = app
        .create_article(
            &token,
            json!({"title": "Pictured story", "slug": "pictured", "dek": "A dek.", "lead_image": image["id"]}),
        )
        .await;
    let id = id_of(&story);
    app.action(&token, &id, "publish", None).await;
    app.action(&token, &id, "archive", Some(json!({"reason": "Old."})))
        .await;
    let page = app.get("/research-news/pictured").await;
    assert_eq!(page.status, 200);
    let webp_800 = image["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["width"] == 800 && r["content_type"] == "image/png")
        .unwrap()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    page.assert_in_order(&[
        "<p class=\"story-dateline\">",
        "class=\"archive-banner\"",
        "<figure class=\"story-lead\">",
        "<source type=\"image/webp\" srcset=\"",
        &format!("<img src=\"{webp_800}\" srcset=\""),
        "sizes=\"(min-width: 46rem) 42rem, 100vw\" width=\"800\" height=\"400\" alt=\"Bars of the results\"",
        "<figcaption><span class=\"story-lead-caption\">What the trial found.</span> <span class=\"story-lead-credit\">Chart: Dateline</span></figcaption>",
        "<div class=\"story-body prose\">",
    ]);
    // Above the fold: not lazy.
    let figure = &page.text[page.text.find("story-lead").unwrap()..];
    let figure = &figure[..figure.find("</figure>").unwrap()];
    assert!(!figure.contains("loading=\"lazy\""));
    // The card: absolute URL of the 1200-pixel rendition, its size and words.
    let card = image["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["width"] == 1200 && r["content_type"] == "image/png")
        .unwrap()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    for tag in [
        format!("<meta property=\"og:image\" content=\"https://news.example.org{card}\">"),
        "<meta property=\"og:image:width\" content=\"1200\">".to_owned(),
        "<meta property=\"og:image:height\" content=\"600\">".to_owned(),
        "<meta property=\"og:image:alt\" content=\"Bars of the results\">".to_owned(),
        "<meta name=\"twitter:card\" content=\"summary_large_image\">".to_owned(),
        format!("<meta name=\"twitter:image\" content=\"https://news.example.org{card}\">"),
        "<meta name=\"twitter:image:alt\" content=\"Bars of the results\">".to_owned(),
    ] {
        assert!(page.text.contains(&tag), "missing {tag}");
    }
    assert_eq!(
        json_ld(&page)["image"][0]["url"],
        format!("https://news.example.org{card}")
    );
    assert_eq!(json_ld(&page)["image"][0]["width"], 1200);
    // A real social-card checker: no failure for Twitter or Facebook.
    let failures = social_card_failures(&page.text, "Twitter,Facebook");
    assert!(failures.is_empty(), "{failures:#?}");

    // The feed carries it (the story is archived: republish a current one).
    let current = app
        .create_article(
            &token,
            json!({"title": "Current", "lead_image": image["id"]}),
        )
        .await;
    app.action(&token, &id_of(&current), "publish", None).await;
    let feed = app.get("/feed.xml").await;
    assert!(
        feed.text.contains(&format!(
            "<link href=\"https://news.example.org{card}\" rel=\"enclosure\" type=\"image/png\""
        )),
        "{}",
        feed.text
    );
    // A page without an image keeps the small card.
    let plain = app
        .create_article(&token, json!({"title": "Plain", "slug": "plain"}))
        .await;
    app.action(&token, &id_of(&plain), "publish", None).await;
    let page = app.get("/research-news/plain").await;
    assert!(
        page.text
            .contains("<meta name=\"twitter:card\" content=\"summary\">")
    );
    assert!(!page.text.contains("og:image"));

    // Changing the image's words changes the cached page.
    let changed = app
        .api(
            "PATCH",
            &format!("/api/v1/media/{}", image["id"].as_str().unwrap()),
            Some(&token),
            Some(json!({"alt": "New words"})),
            &[],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert!(
        app.get("/research-news/pictured")
            .await
            .text
            .contains("alt=\"New words\"")
    );
}

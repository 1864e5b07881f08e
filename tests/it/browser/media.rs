//! The image flow in Chromium: upload to the library (with its progress), pick the image as a
//! story's lead, insert another into the body, publish, and see the page and its social card.

use fantoccini::{Client, Locator};
use sqlx::PgPool;

use super::admin::{PASSWORD, assert_accessible, sign_in};
use super::{browser, click, serve, submit_and_wait, wait_until};
use crate::helpers::images::png;

async fn attr(client: &Client, css: &str, name: &str) -> Option<String> {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .attr(name)
        .await
        .unwrap()
}

#[sqlx::test]
async fn an_editor_uploads_picks_publishes_and_sees_the_card(pool: PgPool) {
    dateline::service::users::create_user(
        &pool,
        "ada@example.org",
        "Ada Editor",
        dateline::domain::policy::Role::Editor,
        PASSWORD,
    )
    .await
    .unwrap();
    let base = serve(pool.clone()).await;
    let browser = browser().await;
    let client = browser.client.clone();
    sign_in(&client, &base, "ada@example.org").await;

    // Upload with the file picker; the script sends it with a progress bar.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("results-chart.png");
    std::fs::write(&file, png(1600, 900, None)).unwrap();
    client.goto(&format!("{base}/admin/media")).await.unwrap();
    assert_accessible(&client, "media library").await;
    client
        .find(Locator::Css("#m-file"))
        .await
        .unwrap()
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    client
        .find(Locator::Css("#m-alt"))
        .await
        .unwrap()
        .send_keys("Bars of the trial's results")
        .await
        .unwrap();
    click(&client, "#upload-submit").await;
    wait_until(
        &client,
        "return location.pathname.startsWith('/admin/media/') && document.getElementById('media-message') !== null;",
        "the uploaded image's page",
    )
    .await;
    let message = client
        .find(Locator::Css("#media-message"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(message.starts_with("Uploaded."), "{message}");
    assert_accessible(&client, "an image's page").await;
    let image_page = client.current_url().await.unwrap();
    let image_id = image_page.path().rsplit('/').next().unwrap().to_owned();

    // A story: the image as its lead, and inserted into the body at the cursor.
    client
        .goto(&format!("{base}/admin/stories/new"))
        .await
        .unwrap();
    client
        .find(Locator::Css("#title"))
        .await
        .unwrap()
        .send_keys("Pictured results")
        .await
        .unwrap();
    client
        .find(Locator::Css("#body_markdown"))
        .await
        .unwrap()
        .send_keys("The trial found a clear difference.")
        .await
        .unwrap();
    client
        .find(Locator::Css("#lead_image"))
        .await
        .unwrap()
        .select_by_value(&image_id)
        .await
        .unwrap();
    wait_until(
        &client,
        "return document.getElementById('lead-preview') && !document.getElementById('lead-preview').hidden;",
        "the lead image's preview",
    )
    .await;
    click(&client, "#insert-image summary").await;
    click(&client, "#insert-image [data-insert-markdown]").await;
    let body: String = serde_json::from_value(
        client
            .execute(
                "return document.getElementById('body_markdown').value;",
                vec![],
            )
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(
        body.contains("![Bars of the trial's results](/media/"),
        "{body}"
    );
    assert_accessible(&client, "editor with images").await;
    submit_and_wait(&client, "#save-button", "#story-status").await;
    submit_and_wait(&client, "#action-publish", "#story-status").await;
    let status = client
        .find(Locator::Css("#story-status"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(status, "published");

    // The public page: the figure loaded, the card's tags, no accessibility problem.
    client
        .goto(&format!("{base}/research-news/pictured-results"))
        .await
        .unwrap();
    wait_until(
        &client,
        "const img = document.querySelector('.story-lead img'); return img && img.complete && img.naturalWidth > 0;",
        "the lead image to load",
    )
    .await;
    let card = attr(&client, "meta[property='og:image']", "content")
        .await
        .unwrap();
    assert!(card.starts_with(&format!("{base}/media/")), "{card}");
    assert_eq!(
        attr(&client, "meta[name='twitter:card']", "content")
            .await
            .as_deref(),
        Some("summary_large_image")
    );
    assert_eq!(
        attr(&client, "meta[property='og:image:alt']", "content")
            .await
            .as_deref(),
        Some("Bars of the trial's results")
    );
    // The body's image has its size before it loads.
    assert_eq!(
        attr(&client, ".story-body img", "width").await.as_deref(),
        Some("1200")
    );
    assert_accessible(&client, "story with images").await;
    browser.close().await;
}

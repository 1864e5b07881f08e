//! The whole editorial journey in Chromium, and the admin UI driven from the keyboard alone.
//!
//! Sign in → write a story (live preview, slug suggestion, autosave) → preview link → publish →
//! the public page → archive → the banner → a reader's feedback → the inbox → resolved.

use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use sqlx::PgPool;

use super::admin::{PASSWORD, assert_accessible, screenshot, sign_in};
use super::{browser, click, serve, submit_and_wait, wait_until};
use crate::helpers::insert_topic;

async fn editor_account(pool: &PgPool, email: &str) {
    dateline::service::users::create_user(
        pool,
        email,
        "Ada Editor",
        dateline::domain::policy::Role::Editor,
        PASSWORD,
    )
    .await
    .unwrap();
}

async fn text_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn type_into(client: &Client, css: &str, text: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

/// Clicks a button that leads to a new page and waits for `ready` on it.

#[sqlx::test]
async fn an_editor_takes_a_story_from_draft_to_archive_and_triages_a_readers_feedback(
    pool: PgPool,
) {
    editor_account(&pool, "ada@example.org").await;
    insert_topic(&pool, "cancer", "Cancer", "").await;
    let base = serve(pool.clone()).await;
    let browser = browser().await;
    let client = browser.client.clone();
    sign_in(&client, &base, "ada@example.org").await;

    // Write: the slug suggestion follows the headline.
    client
        .goto(&format!("{base}/admin/stories/new"))
        .await
        .unwrap();
    assert_accessible(&client, "new story").await;
    type_into(
        &client,
        "#title",
        "Trastuzumab keeps some women in remission",
    )
    .await;
    let suggestion = client
        .find(Locator::Css("#slug"))
        .await
        .unwrap()
        .attr("placeholder")
        .await
        .unwrap();
    assert_eq!(
        suggestion.as_deref(),
        Some("trastuzumab-keeps-some-women-in-remission")
    );
    type_into(
        &client,
        "#dek",
        "A congress report on women with HER2-positive cancer.",
    )
    .await;
    type_into(
        &client,
        "#body_markdown",
        "About one in eleven women stayed in remission for three years or more.",
    )
    .await;
    click(&client, "input[name=topic][value=cancer]").await;
    submit_and_wait(&client, "#save-button", "#story-status").await;
    assert_eq!(text_of(&client, "#editor-message").await, "Saved.");
    assert_eq!(text_of(&client, "#story-status").await, "draft");
    let editor_url = client.current_url().await.unwrap();

    // The preview beside the form follows the typing, rendered by the server.
    type_into(
        &client,
        "#body_markdown",
        "\n\n**Longer follow-up is planned.**",
    )
    .await;
    wait_until(
        &client,
        "return document.querySelector('#editor-preview strong')?.textContent === 'Longer follow-up is planned.';",
        "the live preview",
    )
    .await;
    // Autosave keeps the unsaved text apart from the revisions.
    wait_until(
        &client,
        "return document.getElementById('autosave-status').textContent.startsWith('Autosaved');",
        "the autosave",
    )
    .await;
    let autosaved: i64 = sqlx::query_scalar("SELECT count(*) FROM article_autosaves")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(autosaved, 1);
    assert_accessible(&client, "editor with preview").await;
    screenshot(&client, "admin-editor").await;
    submit_and_wait(&client, "#save-button", "#editor-message").await;
    let revisions: i64 = sqlx::query_scalar("SELECT count(*) FROM article_revisions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(revisions, 2, "created and saved once: autosaves made none");

    // Preview: a link shown once, opening the unpublished story.
    submit_and_wait(&client, "#create-preview-link", "#new-preview-url").await;
    let preview_url = client
        .find(Locator::Css("#new-preview-url"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    client.goto(&preview_url).await.unwrap();
    assert!(
        text_of(&client, ".preview-banner")
            .await
            .contains("Preview.")
    );
    assert!(
        text_of(&client, "h1")
            .await
            .contains("Trastuzumab keeps some women")
    );
    screenshot(&client, "story-preview").await;

    // Publish, then read it on the site.
    client.goto(editor_url.as_str()).await.unwrap();
    submit_and_wait(
        &client,
        "button[name=action][value=publish]",
        "#public-link",
    )
    .await;
    assert_eq!(text_of(&client, "#story-status").await, "published");
    click(&client, "#public-link").await;
    client
        .wait()
        .for_element(Locator::Css(".feedback-form"))
        .await
        .unwrap();
    assert_eq!(
        client.current_url().await.unwrap().path(),
        "/research-news/trastuzumab-keeps-some-women-in-remission"
    );
    assert!(
        text_of(&client, ".story-body")
            .await
            .contains("Longer follow-up is planned.")
    );

    // Archive with a reason: the public page keeps the story under a banner.
    client.goto(editor_url.as_str()).await.unwrap();
    type_into(
        &client,
        "#reason",
        "A five-year analysis has since been reported.",
    )
    .await;
    submit_and_wait(
        &client,
        "button[name=action][value=archive]",
        "#archive-details",
    )
    .await;
    client
        .goto(&format!(
            "{base}/research-news/trastuzumab-keeps-some-women-in-remission"
        ))
        .await
        .unwrap();
    let banner = text_of(&client, ".archive-banner").await;
    assert!(banner.contains("Archived story"), "{banner}");
    assert!(banner.contains("A five-year analysis has since been reported."));

    // A reader answers the widget under the archived story.
    click(&client, "input[name=helpful][value=no]").await;
    type_into(
        &client,
        "#fb-comment",
        "Please say which chemotherapy was used.",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    click(&client, ".feedback-form button[type=submit]").await;
    wait_until(
        &client,
        "return (document.querySelector('[data-feedback-status]')?.textContent || '').includes('Thank');",
        "the widget's thank-you",
    )
    .await;

    // The editor finds it in the inbox and resolves it.
    client
        .goto(&format!("{base}/admin/feedback?status=new"))
        .await
        .unwrap();
    let inbox = text_of(&client, "main").await;
    assert!(
        inbox.contains("Please say which chemotherapy was used."),
        "{inbox}"
    );
    click(&client, "input[name=id]").await;
    submit_and_wait(&client, "button[name=status][value=resolved]", ".notice").await;
    assert_eq!(text_of(&client, ".notice").await, "1 entry changed.");
    let status: String = sqlx::query_scalar("SELECT status FROM feedback")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "resolved");
    browser.close().await;
}

async fn press_shift_tab(client: &Client) {
    let (shift, tab): (char, char) = (Key::Shift.into(), Key::Tab.into());
    let actions = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: shift })
        .then(KeyAction::Down { value: tab })
        .then(KeyAction::Up { value: tab })
        .then(KeyAction::Up { value: shift });
    client.perform_actions(actions).await.unwrap();
}

async fn press(client: &Client, key: Key) {
    let key: char = key.into();
    let actions = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    client.perform_actions(actions).await.unwrap();
}

async fn type_keys(client: &Client, text: &str) {
    let mut actions = KeyActions::new("keyboard".into());
    for c in text.chars() {
        actions = actions
            .then(KeyAction::Down { value: c })
            .then(KeyAction::Up { value: c });
    }
    client.perform_actions(actions).await.unwrap();
}

/// The focused element as `id` (or tag and name), and whether a focus ring is drawn.
async fn focused(client: &Client) -> (String, bool) {
    let value = client
        .execute(
            "const e = document.activeElement; const s = getComputedStyle(e);
             const label = e.id || (e.tagName.toLowerCase() + (e.name ? '[' + e.name + '=' + (e.value || '') + ']' : ''));
             return [label, (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'];",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(value).unwrap()
}

/// Presses Tab until `target` has focus; answers every stop on the way.
async fn tab_to(client: &Client, target: &str, limit: usize) -> Vec<(String, bool)> {
    let mut stops = Vec::new();
    for _ in 0..limit {
        press(client, Key::Tab).await;
        let stop = focused(client).await;
        let done = stop.0 == target;
        stops.push(stop);
        if done {
            return stops;
        }
    }
    panic!("Tab never reached {target}: {stops:?}");
}

#[sqlx::test]
async fn the_admin_ui_works_from_the_keyboard_alone(pool: PgPool) {
    editor_account(&pool, "ada@example.org").await;
    let story = crate::helpers::ArticleBuilder::new("Sleep and blood sugar")
        .insert(&pool)
        .await;
    sqlx::query(
        "INSERT INTO feedback (id, article_id, revision_number, helpful, comment, client_hash)
         VALUES ($1, $2, 1, false, 'The figure is unclear.', '\\x00')",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(story)
    .execute(&pool)
    .await
    .unwrap();
    let base = serve(pool.clone()).await;
    let browser = browser().await;
    let client = browser.client.clone();

    // Sign in: the skip link first, then the fields in order, Enter to send.
    client.goto(&format!("{base}/admin/login")).await.unwrap();
    press(&client, Key::Tab).await;
    let (first, ring) = focused(&client).await;
    assert_eq!(first, "a", "the skip link comes first");
    assert!(ring, "the skip link shows its focus");
    let stops = tab_to(&client, "email", 10).await;
    assert!(
        stops.iter().all(|(_, ring)| *ring),
        "a visible focus at every stop: {stops:?}"
    );
    type_keys(&client, "ada@example.org").await;
    press(&client, Key::Tab).await;
    assert_eq!(focused(&client).await.0, "password");
    type_keys(&client, PASSWORD).await;
    press(&client, Key::Enter).await;
    client
        .wait()
        .for_element(Locator::Css(".admin-user"))
        .await
        .unwrap();

    // The editor: every field reachable in reading order, none a trap, each visibly focused.
    client
        .goto(&format!("{base}/admin/stories/{story}"))
        .await
        .unwrap();
    let stops = tab_to(&client, "save-button", 80).await;
    let order: Vec<&str> = stops.iter().map(|(id, _)| id.as_str()).collect();
    let position = |id: &str| {
        order
            .iter()
            .position(|stop| *stop == id)
            .unwrap_or_else(|| panic!("{id} is not reachable: {order:?}"))
    };
    let wanted = [
        "title",
        "slug",
        "dek",
        "body_markdown",
        "change_note",
        "save-button",
    ];
    let positions: Vec<usize> = wanted.iter().map(|id| position(id)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    let unringed: Vec<&(String, bool)> = stops.iter().filter(|(_, ring)| !ring).collect();
    assert!(unringed.is_empty(), "no visible focus on {unringed:?}");

    // The inbox: tick an entry with Space, go back to "Resolved" above the list, press Enter.
    client
        .goto(&format!("{base}/admin/feedback"))
        .await
        .unwrap();
    let checkbox = client
        .execute(
            "const box = document.querySelector('input[name=id]'); box.id = 'first-entry'; return true;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(checkbox, serde_json::Value::Bool(true));
    tab_to(&client, "first-entry", 60).await;
    press(&client, Key::Space).await;
    let mut reached = false;
    for _ in 0..20 {
        press_shift_tab(&client).await;
        if focused(&client).await.0 == "button[status=resolved]" {
            reached = true;
            break;
        }
    }
    assert!(
        reached,
        "the Resolved button is reachable after the entries"
    );
    press(&client, Key::Enter).await;
    client
        .wait()
        .for_element(Locator::Css(".notice"))
        .await
        .unwrap();
    let status: String = sqlx::query_scalar("SELECT status FROM feedback")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "resolved");
    browser.close().await;
}

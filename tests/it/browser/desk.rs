//! The editors' desk in Chromium (issue 25): who else is here, refreshed without a reload from
//! a second instance; unpublish on a date; a story sent back with a note. Each page accessible
//! (axe) and without sideways scrolling at 390 px.

use std::time::Duration;

use dateline::domain::article::ArticleStatus;
use dateline::domain::policy::Role;
use fantoccini::{Client, Locator};
use sqlx::PgPool;

use super::admin::{PASSWORD, assert_accessible, screenshot, sign_in};
use super::{browser, serve, submit_and_wait, wait_until};
use crate::helpers::admin::get;
use crate::helpers::{ArticleBuilder, TestApp};

async fn account(pool: &PgPool, email: &str, name: &str, role: Role) {
    dateline::service::users::create_user(pool, email, name, role, PASSWORD)
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

/// How far the page is wider than a 390 px window (0 when it fits).
async fn assert_fits_a_phone(client: &Client, page: &str) {
    client.set_window_size(390, 844).await.unwrap();
    let overflow = client
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        overflow.as_i64().is_some_and(|o| o <= 0),
        "{page}: {overflow} px too wide at 390 px"
    );
    assert_accessible(client, &format!("{page} at 390 px")).await;
    client.set_window_size(1280, 900).await.unwrap();
}

#[sqlx::test]
async fn the_editor_names_who_else_is_here_without_a_reload_and_schedules_an_unpublish(
    pool: PgPool,
) {
    account(&pool, "ana@example.org", "Ana Ortiz", Role::Editor).await;
    account(&pool, "bo@example.org", "Bo Ito", Role::Editor).await;
    let id = ArticleBuilder::new("Aspirin after sixty")
        .status(ArticleStatus::Published)
        .insert(&pool)
        .await;
    let base = serve(pool.clone()).await;
    // Bo works on a second instance on the same database.
    let second = TestApp::new(pool.clone());
    let bo = crate::helpers::admin::sign_in(&second, "bo@example.org").await;
    let browser = browser().await;
    let client = browser.client.clone();
    sign_in(&client, &base, "ana@example.org").await;
    client
        .goto(&format!("{base}/admin/stories/{id}"))
        .await
        .unwrap();
    let hidden = client
        .execute("return document.getElementById('presence').hidden;", vec![])
        .await
        .unwrap();
    assert_eq!(hidden, serde_json::Value::Bool(true), "alone: nothing said");

    // Bo opens the story; Ana's page says so at its next heartbeat (every 15 s), no reload.
    assert_eq!(
        get(&second, &format!("/admin/stories/{id}"), &bo)
            .await
            .status,
        200
    );
    client
        .execute("window.__samePage = true; return true;", vec![])
        .await
        .unwrap();
    let mut said = String::new();
    for _ in 0..250 {
        said = client
            .execute(
                "const p = document.getElementById('presence'); return p.hidden ? '' : p.textContent;",
                vec![],
            )
            .await
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if !said.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(said, "Bo Ito is also editing this story");
    let same = client
        .execute("return window.__samePage === true;", vec![])
        .await
        .unwrap();
    assert_eq!(same, serde_json::Value::Bool(true), "without a reload");
    assert_accessible(&client, "editor with someone else here").await;

    // Unpublish on a date, from the editor's publishing panel.
    client
        .execute(
            "document.getElementById('later_at').value = '2099-03-01T09:00'; return true;",
            vec![],
        )
        .await
        .unwrap();
    submit_and_wait(&client, "#action-unpublish-later", "#later-unpublish").await;
    assert!(
        text_of(&client, "#editor-message")
            .await
            .starts_with("Scheduled: unpublishes on March 1, 2099")
    );
    assert!(
        text_of(&client, "#later-unpublish")
            .await
            .starts_with("Unpublishes on March 1, 2099")
    );
    screenshot(&client, "editor-later").await;
    assert_accessible(&client, "editor with an unpublish scheduled").await;
    assert_fits_a_phone(&client, "editor with an unpublish scheduled").await;
    submit_and_wait(&client, "#action-cancel-unpublish", "#editor-message").await;
    assert_eq!(
        text_of(&client, "#editor-message").await,
        "The scheduled unpublishing is canceled."
    );
    browser.close().await;
}

#[sqlx::test]
async fn an_editor_sends_a_story_back_with_a_note_that_its_author_reads(pool: PgPool) {
    account(&pool, "ana@example.org", "Ana Ortiz", Role::Editor).await;
    account(&pool, "cy@example.org", "Cy Park", Role::Contributor).await;
    let app = TestApp::new(pool.clone());
    let cy = crate::helpers::admin::sign_in(&app, "cy@example.org").await;
    let path =
        crate::helpers::admin::create_story(&app, &cy, &[("title", "Coffee and sleep")]).await;
    crate::helpers::admin::act(&app, &path, &cy, &[("action", "submit")]).await;

    let base = serve(pool.clone()).await;
    let browser = browser().await;
    let client = browser.client.clone();
    sign_in(&client, &base, "ana@example.org").await;
    client.goto(&format!("{base}/admin")).await.unwrap();
    assert!(
        text_of(&client, "#review-queue")
            .await
            .contains("Cy Park asked on")
    );
    assert_fits_a_phone(&client, "dashboard with the review queue").await;
    submit_and_wait(&client, "#review-queue a", "#action-send-back").await;
    client
        .find(Locator::Css("#send_back_note"))
        .await
        .unwrap()
        .send_keys("Please add the trial registration.")
        .await
        .unwrap();
    assert_fits_a_phone(&client, "editor of a story in review").await;
    submit_and_wait(&client, "#action-send-back", "#editor-message").await;
    assert!(
        text_of(&client, "#editor-message")
            .await
            .starts_with("Sent back to draft")
    );
    assert!(
        text_of(&client, "#review-status")
            .await
            .contains("Sent back to draft by Ana Ortiz")
    );

    // The author reads it on the dashboard.
    client.delete_all_cookies().await.unwrap();
    sign_in(&client, &base, "cy@example.org").await;
    client.goto(&format!("{base}/admin")).await.unwrap();
    wait_until(
        &client,
        "return document.getElementById('my-reviews') !== null;",
        "the contributor's dashboard",
    )
    .await;
    let mine = text_of(&client, "#my-reviews").await;
    assert!(mine.contains("Sent back to draft by Ana Ortiz"), "{mine}");
    assert!(
        mine.contains("Please add the trial registration."),
        "{mine}"
    );
    assert_fits_a_phone(&client, "contributor's dashboard").await;
    browser.close().await;
}

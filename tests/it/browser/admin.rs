//! The admin UI in a real browser: sign in, the dashboard, triage in the inbox, and an axe-core
//! accessibility scan of each page.

use fantoccini::{Client, Locator};
use sqlx::PgPool;

use super::{browser, serve};
use crate::helpers::ArticleBuilder;

pub(super) const PASSWORD: &str = "correct horse battery staple 42";

/// Runs axe-core (installed by the test command, path in `DATELINE_AXE`) on the current page;
/// returns the serious and critical violations as "rule: target" lines.
pub(super) async fn serious_violations(client: &Client) -> Vec<String> {
    let path = std::env::var("DATELINE_AXE")
        .expect("DATELINE_AXE names axe.min.js (make test installs axe-core)");
    let source = std::fs::read_to_string(&path).expect("axe.min.js is readable");
    client.execute(&source, vec![]).await.unwrap();
    let result = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
                .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
                .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(result).unwrap()
}

/// Saves a screenshot when `DATELINE_SCREENSHOTS` names a folder (for the README).
pub(super) async fn screenshot(client: &Client, name: &str) {
    if let Ok(dir) = std::env::var("DATELINE_SCREENSHOTS") {
        client
            .execute(
                "window.scrollTo(0, 0); document.activeElement?.blur(); return true;",
                vec![],
            )
            .await
            .unwrap();
        let png = client.screenshot().await.unwrap();
        std::fs::write(format!("{dir}/{name}.png"), png).unwrap();
    }
}

pub(super) async fn assert_accessible(client: &Client, page: &str) {
    let violations = serious_violations(client).await;
    assert!(violations.is_empty(), "{page}: {violations:#?}");
}

#[sqlx::test]
async fn an_editor_signs_in_and_triages_feedback_on_accessible_pages(pool: PgPool) {
    dateline::service::users::create_user(
        &pool,
        "ada@example.org",
        "Ada Editor",
        dateline::domain::policy::Role::Editor,
        PASSWORD,
    )
    .await
    .unwrap();
    let story = ArticleBuilder::new("Tea and blood pressure")
        .insert(&pool)
        .await;
    ArticleBuilder::new("A draft on sleep")
        .status(dateline::domain::article::ArticleStatus::Draft)
        .insert(&pool)
        .await;
    sqlx::query(
        "INSERT INTO feedback (id, article_id, revision_number, helpful, comment, client_hash)
         VALUES ($1, $2, 1, true, 'Please cover the dose used.', '\\x00')",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(story)
    .execute(&pool)
    .await
    .unwrap();
    let base = serve(pool.clone()).await;
    let browser = browser().await;
    let client = browser.client.clone();

    client.goto(&format!("{base}/admin")).await.unwrap();
    assert_eq!(client.current_url().await.unwrap().path(), "/admin/login");
    assert_accessible(&client, "sign-in").await;
    screenshot(&client, "admin-login").await;
    client
        .find(Locator::Css("#email"))
        .await
        .unwrap()
        .send_keys("ada@example.org")
        .await
        .unwrap();
    client
        .find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    client
        .find(Locator::Css(".admin-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css(".admin-user"))
        .await
        .unwrap();
    assert_eq!(client.current_url().await.unwrap().path(), "/admin");
    let total = client.find(Locator::Css("#stories-total")).await.unwrap();
    assert_eq!(total.text().await.unwrap(), "2 stories");
    assert_accessible(&client, "dashboard").await;
    screenshot(&client, "admin-dashboard").await;

    client
        .find(Locator::Css(".admin-nav a[href^='/admin/feedback']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css("#feedback-total"))
        .await
        .unwrap();
    assert_accessible(&client, "feedback inbox").await;
    screenshot(&client, "admin-inbox").await;
    client
        .find(Locator::Css("input[name=id]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Css("button[name=status][value=resolved]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let notice = client
        .wait()
        .for_element(Locator::Css(".notice"))
        .await
        .unwrap();
    assert_eq!(notice.text().await.unwrap(), "1 entry changed.");
    let status: String = sqlx::query_scalar("SELECT status FROM feedback")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "resolved");

    client
        .goto(&format!("{base}/admin/password"))
        .await
        .unwrap();
    assert_accessible(&client, "password").await;
    browser.close().await;
}

/// Signs in through the form.
pub(super) async fn sign_in(client: &Client, base: &str, email: &str) {
    client.goto(&format!("{base}/admin/login")).await.unwrap();
    client
        .find(Locator::Css("#email"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    client
        .find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    client
        .find(Locator::Css(".admin-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css(".admin-user"))
        .await
        .unwrap();
}

/// Replaces the editor's body text and saves.
async fn write_body_and_save(client: &Client, text: &str) {
    let body = client.find(Locator::Css("#body_markdown")).await.unwrap();
    body.clear().await.unwrap();
    body.send_keys(text).await.unwrap();
    // Into view first, as a person would scroll to it.
    client
        .execute(
            "document.querySelector('.editor-form button[type=submit]').scrollIntoView({block: 'center', behavior: 'instant'}); return true;",
            vec![],
        )
        .await
        .unwrap();
    super::submit_and_wait(
        client,
        ".editor-form button[type=submit]",
        "#editor-message",
    )
    .await;
}

#[sqlx::test]
async fn two_browser_sessions_editing_one_story_see_the_conflict_and_lose_nothing(pool: PgPool) {
    for email in ["ada@example.org", "bo@example.org"] {
        dateline::service::users::create_user(
            &pool,
            email,
            "An Editor",
            dateline::domain::policy::Role::Editor,
            PASSWORD,
        )
        .await
        .unwrap();
    }
    let story = ArticleBuilder::new("Cold water swimming")
        .status(dateline::domain::article::ArticleStatus::Draft)
        .insert(&pool)
        .await;
    let base = serve(pool.clone()).await;
    let (ada, bo) = (browser().await, browser().await);
    sign_in(&ada.client, &base, "ada@example.org").await;
    sign_in(&bo.client, &base, "bo@example.org").await;
    let editor = format!("{base}/admin/stories/{story}");
    ada.client.goto(&editor).await.unwrap();
    bo.client.goto(&editor).await.unwrap();
    assert_accessible(&ada.client, "editor").await;

    write_body_and_save(&ada.client, "Ada's paragraph.").await;
    write_body_and_save(&bo.client, "Bo's paragraph.").await;
    let theirs = bo
        .client
        .find(Locator::Css("#theirs-body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(theirs, "Ada's paragraph.");
    let mine = bo
        .client
        .find(Locator::Css("#body_markdown"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        mine.as_deref(),
        Some("Bo's paragraph."),
        "Bo's text is kept"
    );
    assert_accessible(&bo.client, "conflict screen").await;
    screenshot(&bo.client, "admin-conflict").await;

    // Bo keeps Ada's sentence too, then saves deliberately.
    write_body_and_save(&bo.client, "Ada's paragraph.\n\nBo's paragraph.").await;
    let mut message = String::new();
    for _ in 0..50 {
        message = bo
            .client
            .find(Locator::Css("#editor-message"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap_or_default();
        if message == "Saved." {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(message, "Saved.");
    let body: String = sqlx::query_scalar("SELECT body_markdown FROM articles")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(body, "Ada's paragraph.\n\nBo's paragraph.");
    ada.close().await;
    bo.close().await;
}

//! The admin UI in a real browser: sign in, the dashboard, triage in the inbox, and an axe-core
//! accessibility scan of each page.

use fantoccini::{Client, Locator};
use sqlx::PgPool;

use super::{browser, serve};
use crate::helpers::ArticleBuilder;

const PASSWORD: &str = "correct horse battery staple 42";

/// Runs axe-core (installed by the test command, path in `DATELINE_AXE`) on the current page;
/// returns the serious and critical violations as "rule: target" lines.
async fn serious_violations(client: &Client) -> Vec<String> {
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
async fn screenshot(client: &Client, name: &str) {
    if let Ok(dir) = std::env::var("DATELINE_SCREENSHOTS") {
        let png = client.screenshot().await.unwrap();
        std::fs::write(format!("{dir}/{name}.png"), png).unwrap();
    }
}

async fn assert_accessible(client: &Client, page: &str) {
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

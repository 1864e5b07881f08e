//! The editors' desk (issue 25) in a real browser at a laptop's and a phone's width: the
//! feedback inbox with its story picker, reply links and private notes, and a story's
//! revisions with their collapsed diff; each page without sideways scrolling and without a
//! serious or critical axe-core violation.

use fantoccini::{Client, Locator};
use sqlx::PgPool;

use super::admin::{PASSWORD, assert_accessible, sign_in};
use super::{browser, serve, submit_and_wait};
use crate::helpers::ArticleBuilder;

const WIDTHS: [(u32, u32); 2] = [(1280, 900), (390, 844)];

/// Asserts the page is no wider than the window, naming the elements that stick out.
async fn assert_no_sideways_scrolling(client: &Client, page: &str, width: u32) {
    let overflow = client
        .execute(
            "const w = document.documentElement.clientWidth; const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1).map(e => e.tagName + '.' + e.className + '#' + e.id + ':' + Math.round(e.getBoundingClientRect().right)); return document.documentElement.scrollWidth - w + ' ' + wide.slice(0, 12).join(' | ');",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        overflow
            .as_str()
            .is_some_and(|o| o.starts_with("0 ") || o.starts_with('-')),
        "{page} at {width} px: {overflow} px too wide"
    );
}

async fn ada(pool: &PgPool) -> uuid::Uuid {
    dateline::service::users::create_user(
        pool,
        "ada@example.org",
        "Ada Editor",
        dateline::domain::policy::Role::Editor,
        PASSWORD,
    )
    .await
    .unwrap();
    sqlx::query_scalar("SELECT id FROM users WHERE email = 'ada@example.org'")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn the_inbox_picks_a_story_and_keeps_a_note_at_1280_and_390_px(pool: PgPool) {
    ada(&pool).await;
    let long = ArticleBuilder::new(
        "A very long headline about a randomised controlled trial of green tea extract and blood pressure in older adults",
    )
    .insert(&pool)
    .await;
    let other = ArticleBuilder::new("Walking after meals")
        .insert(&pool)
        .await;
    let entry = uuid::Uuid::now_v7();
    sqlx::query(
        "INSERT INTO feedback (id, article_id, revision_number, helpful, comment, email, client_hash, note)
         VALUES ($1, $2, 1, false, $3, 'a.very.long.reader.address.for.replies@research-news-readers.example.org', '\\x00',
                 'Asked the authors; waiting')",
    )
    .bind(entry)
    .bind(long)
    .bind(format!("Pleasecheckthedose{}", "x".repeat(120)))
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO feedback (id, article_id, revision_number, helpful, client_hash)
         VALUES ($1, $2, 1, true, '\\x00')",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(other)
    .execute(&pool)
    .await
    .unwrap();
    let base = serve(pool.clone()).await;
    let browser = browser().await;
    let client = browser.client.clone();
    sign_in(&client, &base, "ada@example.org").await;

    for (width, height) in WIDTHS {
        client.set_window_size(width, height).await.unwrap();
        client
            .goto(&format!("{base}/admin/feedback"))
            .await
            .unwrap();
        assert_no_sideways_scrolling(&client, "inbox", width).await;
        assert_accessible(&client, "inbox").await;
        client
            .goto(&format!("{base}/admin/feedback/entries/{entry}"))
            .await
            .unwrap();
        assert_no_sideways_scrolling(&client, "entry", width).await;
        assert_accessible(&client, "entry").await;
    }

    // The picker filters by headline, as a person chooses it.
    client
        .goto(&format!("{base}/admin/feedback"))
        .await
        .unwrap();
    client
        .find(Locator::Css("#f-story"))
        .await
        .unwrap()
        .select_by_label("Walking after meals (1)")
        .await
        .unwrap();
    submit_and_wait(
        &client,
        ".admin-filters button[type=submit]",
        "#feedback-total",
    )
    .await;
    let url = client.current_url().await.unwrap();
    assert!(
        url.query()
            .unwrap_or_default()
            .contains(&format!("story={other}")),
        "{url}"
    );
    let total = client.find(Locator::Css("#feedback-total")).await.unwrap();
    assert_eq!(total.text().await.unwrap(), "1 entry");

    // A note typed and saved at phone width; a refused one shows its reason beside the field.
    client
        .goto(&format!("{base}/admin/feedback/entries/{entry}"))
        .await
        .unwrap();
    let text = client.find(Locator::Css("#note-text")).await.unwrap();
    text.clear().await.unwrap();
    text.send_keys("n".repeat(2001).as_str()).await.unwrap();
    submit_and_wait(&client, "#note button[type=submit]", "#note-text").await;
    let error = client.find(Locator::Css("#note-error")).await.unwrap();
    assert!(error.text().await.unwrap().contains("2001 characters"));
    assert_no_sideways_scrolling(&client, "refused note", 390).await;
    assert_accessible(&client, "refused note").await;
    let text = client.find(Locator::Css("#note-text")).await.unwrap();
    text.clear().await.unwrap();
    text.send_keys("Replied on Monday.").await.unwrap();
    submit_and_wait(&client, "#note button[type=submit]", "#note-saved").await;
    let note: String = sqlx::query_scalar("SELECT note FROM feedback WHERE id = $1")
        .bind(entry)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(note, "Replied on Monday.");
    let reply = client
        .find(Locator::Css("a.feedback-reply"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(
        reply.starts_with("mailto:a.very.long.reader.address.for.replies@research-news-readers.example.org?subject=Re%3A%20your%20feedback%20on%20"),
        "{reply}"
    );
    browser.close().await;
}

#[sqlx::test]
async fn revisions_show_who_and_a_collapsed_diff_at_1280_and_390_px(pool: PgPool) {
    let ada = ada(&pool).await;
    let newer = ArticleBuilder::new("Five-year follow-up on green tea")
        .insert(&pool)
        .await;
    let story = ArticleBuilder::new("Green tea and memory")
        .insert(&pool)
        .await;
    let body: String = (1..=30)
        .map(|n| format!("Paragraph {n}, long enough to wrap on a phone's narrow screen.\n"))
        .collect();
    let before = serde_json::json!({"title": "Green tea and memory", "archived": false,
        "body_markdown": body, "status": "published"});
    let after = serde_json::json!({"title": "Green tea and memory", "archived": true,
        "archive_reason": "Newer data in a longer study.", "superseded_by": newer,
        "body_markdown": body.replace("Paragraph 15,", "Paragraph fifteen, rewritten,"),
        "status": "published"});
    for (number, snapshot) in [(2, &before), (3, &after)] {
        sqlx::query(
            "INSERT INTO article_revisions (id, article_id, number, snapshot, change_kind, created_by, created_at)
             VALUES ($1, $2, $3, $4, 'minor', $5, now())",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(story)
        .bind(number)
        .bind(snapshot)
        .bind(ada)
        .execute(&pool)
        .await
        .unwrap();
    }
    let base = serve(pool.clone()).await;
    let browser = browser().await;
    let client = browser.client.clone();
    sign_in(&client, &base, "ada@example.org").await;

    for (width, height) in WIDTHS {
        client.set_window_size(width, height).await.unwrap();
        client
            .goto(&format!(
                "{base}/admin/stories/{story}/revisions?from=2&to=3"
            ))
            .await
            .unwrap();
        let gaps = client
            .find_all(Locator::Css("#body-diff .diff-gap"))
            .await
            .unwrap();
        assert_eq!(gaps.len(), 2);
        assert_eq!(gaps[0].text().await.unwrap(), "⋯ 11 unchanged lines hidden");
        let by = client
            .find_all(Locator::Css("#revision-history .revision-by"))
            .await
            .unwrap();
        let mut names = Vec::new();
        for cell in by {
            names.push(cell.text().await.unwrap());
        }
        assert_eq!(names, ["Ada Editor", "Ada Editor", "system"]);
        assert_no_sideways_scrolling(&client, "revisions", width).await;
        assert_accessible(&client, "revisions").await;
    }
    browser.close().await;
}

//! The editor's controls in a real browser at a laptop's and a phone's width: after scrolling,
//! each publishing, preview-link and delete control is on top where it is drawn (the preview
//! never slides over it), and a click on it lands on it.

use fantoccini::{Client, Locator};
use sqlx::PgPool;

use super::admin::{PASSWORD, sign_in};
use super::{browser, serve};
use crate::helpers::ArticleBuilder;

/// Scrolls `css` into view the way a reader scrolls (from the top, down to it), then answers
/// whether the element drawn at its centre is the control itself (or inside it).
async fn on_top_after_scrolling(client: &Client, css: &str) -> bool {
    let script = format!(
        "const el = document.querySelector({css:?});
         if (!el) return 'missing';
         window.scrollTo({{ top: 0, behavior: 'instant' }});
         const details = el.closest('details'); if (details) details.open = true;
         const rect = el.getBoundingClientRect();
         window.scrollTo({{ top: window.scrollY + rect.top - window.innerHeight / 2, behavior: 'instant' }});
         const r = el.getBoundingClientRect();
         const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
         return hit === el || el.contains(hit) ? 'on top' : ('covered by ' + (hit ? hit.outerHTML.slice(0, 80) : 'nothing'));"
    );
    let answer = client.execute(&script, vec![]).await.unwrap();
    assert_eq!(answer.as_str(), Some("on top"), "{css} at this width");
    true
}

#[sqlx::test]
async fn every_editor_control_can_be_clicked_after_scrolling_at_1280_and_390_px(pool: PgPool) {
    dateline::service::users::create_user(
        &pool,
        "ada@example.org",
        "Ada Editor",
        dateline::domain::policy::Role::Editor,
        PASSWORD,
    )
    .await
    .unwrap();
    // A long body, so the preview is tall and the page scrolls.
    let body = (1..=40)
        .map(|n| format!("Paragraph {n} of the story, long enough to wrap on a phone's screen."))
        .collect::<Vec<_>>()
        .join("\n\n");
    let id = ArticleBuilder::new("A long story")
        .body(&body)
        .insert(&pool)
        .await;
    let base = serve(pool.clone()).await;
    let browser = browser().await;
    let client = browser.client.clone();
    sign_in(&client, &base, "ada@example.org").await;
    let controls = [
        "#save-button",
        "#action-unpublish",
        "#reason",
        "#action-archive",
        "#later_at",
        "#action-unpublish-later",
        "#action-archive-later",
        "#withdraw_reason",
        "#action-withdraw",
        "#preview-hours",
        "#create-preview-link",
        "#delete-story",
    ];
    for (width, height) in [(1280, 900), (390, 844)] {
        client.set_window_size(width, height).await.unwrap();
        client
            .goto(&format!("{base}/admin/stories/{id}"))
            .await
            .unwrap();
        for control in controls {
            assert!(
                on_top_after_scrolling(&client, control).await,
                "{control} at {width} px"
            );
        }
        // No sideways scrolling on the phone: the page is as wide as the window.
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
            "{width} px: {overflow} px too wide"
        );
    }
    // And a real click lands: a preview link is made at phone width.
    client
        .find(Locator::Css("#create-preview-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css("#new-preview-url"))
        .await
        .unwrap();
    browser.close().await;
}

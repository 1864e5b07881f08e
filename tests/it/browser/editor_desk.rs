//! The editors' desk in Chromium at a laptop's and a phone's width (issue 25): the bar with
//! Save and the publishing steps stays in reach while scrolling, nothing is wider than the
//! window, choices line up, counters, the body's length, the search result, the social card
//! and the preview follow the typing, and a refused save puts the focus on the first bad field.

use fantoccini::{Client, Locator};
use sqlx::PgPool;

use super::admin::{PASSWORD, assert_accessible, screenshot, sign_in};
use super::{browser, click, serve, submit_and_wait, wait_until};
use crate::helpers::{ArticleBuilder, insert_topic};

async fn editor_account(pool: &PgPool) {
    dateline::service::users::create_user(
        pool,
        "ada@example.org",
        "Ada Editor",
        dateline::domain::policy::Role::Editor,
        PASSWORD,
    )
    .await
    .unwrap();
}

async fn js(client: &Client, script: &str) -> serde_json::Value {
    client.execute(script, vec![]).await.unwrap()
}

/// Whether `#save-button` is in the window and on top where it is drawn, after scrolling so
/// that `css` is in the middle of the window.
async fn save_in_reach_at(client: &Client, css: &str) -> String {
    let script = format!(
        "const el = document.querySelector({css:?});
         if (!el) return 'missing ' + {css:?};
         const details = el.closest('details'); if (details) details.open = true;
         el.scrollIntoView({{ block: 'center', behavior: 'instant' }});
         const save = document.getElementById('save-button').getBoundingClientRect();
         if (save.top < 0 || save.bottom > window.innerHeight) return 'out of the window: ' + save.top;
         const hit = document.elementFromPoint(save.left + save.width / 2, save.top + save.height / 2);
         return hit && hit.id === 'save-button' ? 'in reach' : 'covered by ' + (hit ? hit.outerHTML.slice(0, 80) : 'nothing');"
    );
    js(client, &script)
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// How much wider than the window the page is, with the widest culprits.
async fn overflow(client: &Client) -> String {
    let answer = js(
        client,
        "const w = document.documentElement.clientWidth;
         const wide = [...document.querySelectorAll('body *')]
           .filter(e => e.getBoundingClientRect().right > w + 1 || (getComputedStyle(e).overflowX === 'visible' && e.scrollWidth > e.clientWidth + 1 && e.getBoundingClientRect().left + e.scrollWidth > w + 1))
           .map(e => e.tagName + '.' + e.className + '#' + e.id + ':' + Math.round(e.getBoundingClientRect().right) + '/' + e.scrollWidth);
         return (document.documentElement.scrollWidth - w) + ' ' + wide.slice(0, 12).join(' | ');",
    )
    .await;
    answer.as_str().unwrap_or_default().to_owned()
}

#[sqlx::test]
async fn the_bar_stays_in_reach_nothing_is_too_wide_and_choices_line_up_at_1280_and_390_px(
    pool: PgPool,
) {
    editor_account(&pool).await;
    for (slug, name) in [
        ("cancer", "Cancer"),
        ("heart-disease", "Heart disease and stroke"),
        ("diabetes", "Diabetes"),
        ("mental-health", "Mental health"),
        ("nutrition", "Nutrition"),
    ] {
        insert_topic(&pool, slug, name, "").await;
    }
    let body = (1..=40)
        .map(|n| format!("Paragraph {n} of the story, long enough to wrap on a phone's screen."))
        .collect::<Vec<_>>()
        .join("\n\n");
    let id = ArticleBuilder::new(&format!(
        "A long story whose headline goes on {}to the end",
        "and on ".repeat(20)
    ))
    .body(&body)
    .insert(&pool)
    .await;
    let base = serve(pool.clone()).await;
    let browser = browser().await;
    let client = browser.client.clone();
    sign_in(&client, &base, "ada@example.org").await;
    for (width, height) in [(1280, 900), (390, 844)] {
        client.set_window_size(width, height).await.unwrap();
        client
            .goto(&format!("{base}/admin/stories/{id}"))
            .await
            .unwrap();
        // From the first field to the last of the publishing panel, Save stays in reach.
        for place in [
            "#title",
            "#body_markdown",
            "#topic-1",
            "#seo_title",
            "#card-title",
            "#change_note",
            "#reason",
            "#action-withdraw",
        ] {
            assert_eq!(
                save_in_reach_at(&client, place).await,
                "in reach",
                "Save at {width} px with {place} in view"
            );
        }
        let wide = overflow(&client).await;
        assert!(
            wide.starts_with("0 ") || wide.starts_with('-'),
            "{width} px: {wide} px too wide"
        );
        // The headline shows its whole text: no scrolling inside the box.
        let whole = js(
            &client,
            "const t = document.getElementById('title'); return t.scrollHeight <= t.clientHeight + 1;",
        )
        .await;
        assert_eq!(whole, true, "the whole headline at {width} px");
        // Choices line up: the boxes of each column share their left edge, each row its top.
        let aligned = js(
            &client,
            "const boxes = [...document.querySelectorAll('#topics input, #change-kind input')]
               .map(i => i.getBoundingClientRect());
             const firstTop = Math.min(...boxes.map(b => b.top));
             const columns = boxes.filter(b => Math.abs(b.top - firstTop) < 2).map(b => b.left);
             const off = boxes.filter(b => !columns.some(l => Math.abs(l - b.left) < 1.5));
             return boxes.length === 8 && off.length === 0 ? true : JSON.stringify({columns, off});",
        )
        .await;
        assert_eq!(aligned, true, "choices in columns at {width} px");
        assert_accessible(&client, &format!("the editor at {width} px")).await;
        screenshot(&client, &format!("editor-{width}")).await;
    }
    browser.close().await;
}

#[sqlx::test]
async fn counters_reading_time_search_result_card_and_preview_follow_the_typing(pool: PgPool) {
    editor_account(&pool).await;
    let id = ArticleBuilder::new("Beetroot juice")
        .dek("A small trial.")
        .body("One two three.")
        .insert(&pool)
        .await;
    let base = serve(pool.clone()).await;
    let browser = browser().await;
    let client = browser.client.clone();
    sign_in(&client, &base, "ada@example.org").await;
    client.set_window_size(390, 844).await.unwrap();
    client
        .goto(&format!("{base}/admin/stories/{id}"))
        .await
        .unwrap();
    let field = |css: &'static str| {
        let client = client.clone();
        async move { client.find(Locator::Css(css)).await.unwrap() }
    };
    field("#seo_title")
        .await
        .send_keys("Beetroot lowers blood pressure")
        .await
        .unwrap();
    wait_until(
        &client,
        "return document.getElementById('seo_title-count').textContent === '30 / 70 characters'
           && document.getElementById('serp-title').textContent === 'Beetroot lowers blood pressure · Dateline'
           && document.getElementById('card-title').textContent === 'Beetroot lowers blood pressure';",
        "the counter, the search result and the card",
    )
    .await;
    // Over the limit: said in words, in the error colour, nothing cut off.
    field("#seo_title")
        .await
        .send_keys(&" and more".repeat(5))
        .await
        .unwrap();
    wait_until(
        &client,
        "const c = document.getElementById('seo_title-count');
         return c.textContent === '5 characters too many (75 / 70)' && c.classList.contains('is-over')
           && document.getElementById('serp-title').textContent.endsWith('…')
           && [...document.getElementById('serp-title').textContent].length <= 60;",
        "the counter over the limit and the shortened result title",
    )
    .await;
    field("#body_markdown")
        .await
        .send_keys(" Four five.")
        .await
        .unwrap();
    wait_until(
        &client,
        "return document.getElementById('body-stats').textContent === '5 words · about 1 minute to read';",
        "the body's length",
    )
    .await;
    // The preview shows the headline as typed, not only the body.
    field("#title").await.send_keys(" and blood").await.unwrap();
    wait_until(
        &client,
        "return document.querySelector('#editor-preview .story-title')?.textContent === 'Beetroot juice and blood'
           && document.querySelector('#editor-preview .story-body').textContent.includes('Four five.');",
        "the preview of what readers see",
    )
    .await;
    // Enter does not break the headline's line.
    field("#title").await.send_keys("\u{E007}").await.unwrap();
    let value = js(&client, "return document.getElementById('title').value;").await;
    assert_eq!(value, "Beetroot juice and blood");
    browser.close().await;
}

#[sqlx::test]
async fn a_refused_save_puts_the_focus_on_the_first_bad_field_which_is_marked(pool: PgPool) {
    editor_account(&pool).await;
    let id = ArticleBuilder::new("Beetroot juice").insert(&pool).await;
    let base = serve(pool.clone()).await;
    let browser = browser().await;
    let client = browser.client.clone();
    sign_in(&client, &base, "ada@example.org").await;
    client.set_window_size(390, 844).await.unwrap();
    client
        .goto(&format!("{base}/admin/stories/{id}"))
        .await
        .unwrap();
    js(
        &client,
        "document.getElementById('meta_description').value = 'x'.repeat(161);
         document.getElementById('study_doi').closest('details').open = true;
         document.getElementById('study_doi').value = 'not a doi'; return true;",
    )
    .await;
    submit_and_wait(&client, "#save-button", "#error-summary").await;
    // Once the page has loaded, the first bad field has the focus, in view and marked.
    wait_until(
        &client,
        "const a = document.activeElement; const r = a.getBoundingClientRect();
         return a.id === 'meta_description' && a.getAttribute('aria-invalid') === 'true'
           && r.top >= 0 && r.bottom <= window.innerHeight;",
        "the focus on the first bad field",
    )
    .await;
    // The summary's second link takes the focus to its field, in its opened section.
    click(&client, "#error-summary li:nth-child(2) a").await;
    let focused = js(&client, "return document.activeElement.id;").await;
    assert_eq!(focused, "study_doi");
    assert_accessible(&client, "the editor with errors").await;
    browser.close().await;
}

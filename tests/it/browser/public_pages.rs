//! Reader pages in a real browser, scanned by axe-core with every rule at every impact (not
//! only serious ones): the front page, a story, a topic, the archive and search.

use sqlx::PgPool;

use dateline::domain::policy::Role;
use fantoccini::Locator;
use serde_json::json;

use super::{browser, serve};
use crate::helpers::{ArticleBuilder, TestApp, insert_topic, token_for};

/// Every axe violation on the current page, as "rule (impact): target" lines.
async fn violations(client: &fantoccini::Client) -> Vec<String> {
    let path = std::env::var("DATELINE_AXE")
        .expect("DATELINE_AXE names axe.min.js (make test installs axe-core)");
    let source = std::fs::read_to_string(&path).expect("axe.min.js is readable");
    client.execute(&source, vec![]).await.unwrap();
    let result = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
                .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): '
                    + v.nodes.map(n => n.target.join(' ')).join(', '))))
                .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(result).unwrap()
}

/// Two people, credited on the story `statins` (two authors and a reviewer).
async fn credit_statins(pool: &PgPool) {
    let token = token_for(pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    for person in [
        json!({"name": "Lena Okafor", "credentials": "Health editor", "bio": "Edits our research news.", "same_as": ["https://orcid.org/0000-0002-1825-0097"]}),
        json!({"name": "Sam Whitfield"}),
        json!({"name": "Dr. Ana Ribeiro", "credentials": "MD, medical oncologist"}),
    ] {
        let made = app
            .api("POST", "/api/v1/people", Some(&token), Some(person), &[])
            .await;
        assert_eq!(made.status, 201, "{}", made.text);
    }
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM articles WHERE slug = 'statins'")
        .fetch_one(pool)
        .await
        .unwrap();
    let changed = app
        .api(
            "PATCH",
            &format!("/api/v1/articles/{id}"),
            Some(&token),
            Some(json!({"authors": ["lena-okafor", "sam-whitfield"],
                        "review": {"reviewer": "dr-ana-ribeiro", "last_reviewed": "2026-11-02"}})),
            &[("if-match", "*")],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
}

#[sqlx::test]
async fn reader_pages_have_no_axe_violation_of_any_impact(pool: PgPool) {
    insert_topic(&pool, "heart", "Heart", "Heart and circulation.").await;
    ArticleBuilder::new("Statins and memory in older adults")
        .slug("statins")
        .topics(&["heart"])
        .insert(&pool)
        .await;
    ArticleBuilder::new("Blood pressure targets")
        .topics(&["heart"])
        .insert(&pool)
        .await;
    credit_statins(&pool).await;
    let base = serve(pool.clone()).await;
    let browser = browser().await;
    let client = browser.client.clone();
    for path in [
        "/",
        "/research-news/statins",
        "/people/lena-okafor",
        "/people/dr-ana-ribeiro",
        "/topics/heart",
        "/archive",
        "/search?q=statins",
        "/search?q=trastuzamab",
        "/search",
    ] {
        client.goto(&format!("{base}{path}")).await.unwrap();
        let found = violations(&client).await;
        assert!(found.is_empty(), "{path}: {found:#?}");
    }
    browser.close().await;
}

/// The top of an element on the page, in CSS pixels, and whether it is shown.
async fn top_of(client: &fantoccini::Client, selector: &str) -> (f64, bool) {
    let element = client.find(Locator::Css(selector)).await.unwrap();
    let shown = element.is_displayed().await.unwrap();
    let (_, y, _, height) = element.rectangle().await.unwrap();
    assert!(height > 0.0, "{selector} has no height");
    (y, shown)
}

#[sqlx::test]
async fn the_byline_and_review_line_show_between_dek_and_dateline_on_laptop_and_phone(
    pool: PgPool,
) {
    insert_topic(&pool, "heart", "Heart", "").await;
    ArticleBuilder::new("Statins and memory in older adults")
        .slug("statins")
        .dek("A large trial found no harm to memory.")
        .topics(&["heart"])
        .insert(&pool)
        .await;
    credit_statins(&pool).await;
    let base = serve(pool.clone()).await;
    let browser = browser().await;
    let client = browser.client.clone();
    for (width, height) in [(1280, 900), (390, 844)] {
        client.set_window_size(width, height).await.unwrap();
        client
            .goto(&format!("{base}/research-news/statins"))
            .await
            .unwrap();
        let mut last = f64::MIN;
        for selector in [
            ".story-title",
            ".story-dek",
            ".story-byline",
            ".story-review",
            ".story-dateline",
        ] {
            let (top, shown) = top_of(&client, selector).await;
            assert!(shown, "{selector} hidden at {width} px");
            assert!(top > last, "{selector} out of order at {width} px");
            last = top;
        }
        let byline = client
            .find(Locator::Css(".story-byline"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(byline, "By Lena Okafor and Sam Whitfield");
        let review = client
            .find(Locator::Css(".story-review"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(
            review,
            "Medically reviewed by Dr. Ana Ribeiro, MD, medical oncologist, on November 2, 2026"
        );
        // Nothing spills sideways on a phone.
        let overflow: bool = serde_json::from_value(
            client
                .execute(
                    "return document.documentElement.scrollWidth > window.innerWidth;",
                    vec![],
                )
                .await
                .unwrap(),
        )
        .unwrap();
        assert!(!overflow, "the page scrolls sideways at {width} px");
        // The byline's names lead to their pages.
        client
            .find(Locator::LinkText("Lena Okafor"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let heading = client
            .find(Locator::Css("h1"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(heading, "Lena Okafor");
    }
    browser.close().await;
}

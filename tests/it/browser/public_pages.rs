//! Reader pages in a real browser, scanned by axe-core with every rule at every impact (not
//! only serious ones): the front page, a story, a topic, the archive and search.

use sqlx::PgPool;

use super::{browser, serve};
use crate::helpers::{ArticleBuilder, insert_topic};

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

#[sqlx::test]
async fn reader_pages_have_no_axe_violation_of_any_impact(pool: PgPool) {
    insert_topic(&pool, "heart", "Heart", "Heart and circulation.").await;
    ArticleBuilder::new("Statins and memory in older adults")
        .slug("statins")
        .topics(&["heart"])
        .insert(&pool)
        .await;
    let base = serve(pool.clone()).await;
    let browser = browser().await;
    let client = browser.client.clone();
    for path in [
        "/",
        "/research-news/statins",
        "/topics/heart",
        "/archive",
        "/search?q=statins",
        "/search",
    ] {
        client.goto(&format!("{base}{path}")).await.unwrap();
        let found = violations(&client).await;
        assert!(found.is_empty(), "{path}: {found:#?}");
    }
    browser.close().await;
}

//! The admin's own chrome on every admin page, at 1280 and 390 px: its header and navigation
//! (not the public site's search box and footer), no sideways scrolling on a phone, no serious
//! or critical axe violation, and its own error pages.

use fantoccini::{Client, Locator};
use sqlx::PgPool;

use super::admin::{PASSWORD, assert_accessible, sign_in};
use super::{browser, serve};
use crate::helpers::{ArticleBuilder, insert_topic};

/// How the current page lays out: the document's width against the window's, whether the
/// admin header and navigation are there, whether the public chrome is, and every navigation
/// link fully inside the window.
async fn layout_facts(client: &Client) -> serde_json::Value {
    client
        .execute(
            "const nav = [...document.querySelectorAll('.admin-nav a')];
             return {
               scroll: document.documentElement.scrollWidth,
               width: window.innerWidth,
               header: !!document.querySelector('header.admin-header'),
               nav: nav.length,
               navCut: nav.filter(a => { const r = a.getBoundingClientRect();
                                         return r.left < 0 || r.right > window.innerWidth; })
                          .map(a => a.textContent),
               publicSearch: !!document.querySelector('.site-search'),
               publicFooter: !!document.querySelector('.site-footer'),
               title: document.title,
             };",
            vec![],
        )
        .await
        .unwrap()
}

#[sqlx::test]
async fn every_admin_page_wears_the_admin_layout_and_fits_390_px(pool: PgPool) {
    dateline::service::users::create_user(
        &pool,
        "root@example.org",
        "Rosa Admin",
        dateline::domain::policy::Role::Admin,
        PASSWORD,
    )
    .await
    .unwrap();
    insert_topic(&pool, "heart-health", "Heart health", "Hearts.").await;
    let long = "A headline long enough to wrap several times on a narrow phone screen about \
                antihypertensiveandcardioprotectivemedicationswithoutbreaks";
    let story = ArticleBuilder::new(long)
        .topics(&["heart-health"])
        .body("First paragraph.\n\nA line with a very long address https://example.org/a/really/long/path/that/does/not/break/anywhere/at/all/ever")
        .insert(&pool)
        .await;
    sqlx::query(
        "INSERT INTO feedback (id, article_id, revision_number, helpful, comment, client_hash, email)
         VALUES ($1, $2, 1, false, 'Which dose? averyveryverylongwordwithoutanyspacesinsideitatall', '\\x00', 'reader@example.org')",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(story)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO people (id, slug, name, credentials) VALUES ($1, 'dr-lena-park', 'Dr Lena Park', 'MD, cardiologist')",
    )
    .bind(uuid::Uuid::now_v7())
    .execute(&pool)
    .await
    .unwrap();
    let user: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users LIMIT 1")
        .fetch_one(&pool)
        .await
        .unwrap();

    let base = serve(pool.clone()).await;
    let browser = browser().await;
    let client = browser.client.clone();

    let pages = [
        "/admin".to_owned(),
        "/admin?page=2".to_owned(),
        "/admin/stories/new".to_owned(),
        format!("/admin/stories/{story}"),
        format!("/admin/stories/{story}/revisions"),
        format!("/admin/stories/{story}/revisions/1/restore"),
        "/admin/feedback?status=new".to_owned(),
        format!("/admin/feedback/stories/{story}"),
        "/admin/topics".to_owned(),
        "/admin/topics/heart-health".to_owned(),
        "/admin/media".to_owned(),
        "/admin/people".to_owned(),
        "/admin/people/dr-lena-park".to_owned(),
        "/admin/search/synonyms".to_owned(),
        "/admin/users".to_owned(),
        format!("/admin/users/{user}"),
        "/admin/audit".to_owned(),
        "/admin/deleted".to_owned(),
        "/admin/password".to_owned(),
    ];
    for (width, height) in [(1280, 900), (390, 844)] {
        client.set_window_size(width, height).await.unwrap();
        // Signed out: the sign-in page wears the admin layout too, without the navigation.
        client.delete_all_cookies().await.unwrap();
        client.goto(&format!("{base}/admin/login")).await.unwrap();
        let facts = layout_facts(&client).await;
        assert_eq!(facts["header"], true, "sign-in at {width}: {facts}");
        assert_eq!(facts["nav"], 0, "sign-in at {width}: {facts}");
        assert_eq!(facts["publicSearch"], false, "sign-in at {width}: {facts}");
        assert!(
            facts["scroll"].as_i64() <= facts["width"].as_i64(),
            "sign-in at {width}: {facts}"
        );
        sign_in(&client, &base, "root@example.org").await;
        for page in &pages {
            client.goto(&format!("{base}{page}")).await.unwrap();
            let facts = layout_facts(&client).await;
            let at = format!("{page} at {width} px: {facts}");
            assert_eq!(facts["header"], true, "{at}");
            assert!(facts["nav"].as_i64().unwrap() >= 10, "{at}");
            assert_eq!(facts["navCut"], serde_json::json!([]), "{at}");
            assert_eq!(facts["publicSearch"], false, "{at}");
            assert_eq!(facts["publicFooter"], false, "{at}");
            assert!(
                facts["title"]
                    .as_str()
                    .unwrap()
                    .ends_with("· Dateline admin"),
                "{at}"
            );
            assert!(
                facts["scroll"].as_i64() <= facts["width"].as_i64(),
                "scrolls sideways: {at}"
            );
            assert_accessible(&client, &at).await;
        }
        // An unknown admin address: the admin's own 404, pointing back to the dashboard.
        client
            .goto(&format!("{base}/admin/no-such-page"))
            .await
            .unwrap();
        let facts = layout_facts(&client).await;
        assert_eq!(facts["header"], true, "404 at {width}: {facts}");
        assert_eq!(facts["publicSearch"], false, "404 at {width}: {facts}");
        let back = client
            .find(Locator::Css(".admin-error a.button"))
            .await
            .unwrap();
        assert_eq!(back.attr("href").await.unwrap().as_deref(), Some("/admin"));
        assert_accessible(&client, &format!("admin 404 at {width}")).await;
    }
    browser.close().await;
}

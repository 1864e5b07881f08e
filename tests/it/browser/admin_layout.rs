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

    let webhook = dateline::db::webhooks::insert(
        &pool,
        "https://hooks.example.org/a/really/long/path/that/does/not/break/anywhere/at/all/ever",
        &[
            "article.published".to_owned(),
            "feedback.created".to_owned(),
        ],
        &dateline::domain::webhooks::new_secret(),
        None,
    )
    .await
    .unwrap()
    .id;
    let mut conn = pool.acquire().await.unwrap();
    dateline::db::webhooks::queue(
        &mut conn,
        "webhook.test",
        None,
        &serde_json::json!({}),
        Some(webhook),
    )
    .await
    .unwrap();
    drop(conn);
    sqlx::query(
        "INSERT INTO webhook_attempts (id, delivery_id, webhook_id, attempt, error, duration_ms, outcome, next_retry_at)
         SELECT gen_random_uuid(), id, webhook_id, 1, 'could not connect: averyveryverylongerrormessagewithoutanyspacesinsideitatall', 10000, 'failed', now()
         FROM webhook_deliveries",
    )
    .execute(&pool)
    .await
    .unwrap();

    let base = serve(pool.clone()).await;
    let browser = browser().await;
    let client = browser.client.clone();

    let pages = [
        "/admin".to_owned(),
        "/admin?sort=title&dir=desc".to_owned(),
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
        "/admin/archive-policy".to_owned(),
        "/admin/users".to_owned(),
        format!("/admin/users/{user}"),
        "/admin/audit".to_owned(),
        "/admin/webhooks".to_owned(),
        format!("/admin/webhooks/{webhook}"),
        format!("/admin/webhooks/{webhook}/delete"),
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
        // The answers of two webhook forms: a refused URL, and a test event queued.
        client
            .goto(&format!("{base}/admin/webhooks"))
            .await
            .unwrap();
        client
            .find(Locator::Css("#w-url"))
            .await
            .unwrap()
            .send_keys("https://10.0.0.1/hook")
            .await
            .unwrap();
        client
            .find(Locator::Css("form.admin-form button[type=submit]"))
            .await
            .unwrap()
            .send_keys("\u{E007}")
            .await
            .unwrap();
        client
            .wait()
            .for_element(Locator::Css("#w-url-error"))
            .await
            .unwrap();
        let facts = layout_facts(&client).await;
        assert!(
            facts["scroll"].as_i64() <= facts["width"].as_i64(),
            "refused webhook at {width}: {facts}"
        );
        assert_accessible(&client, &format!("refused webhook at {width}")).await;
        client
            .goto(&format!("{base}/admin/webhooks/{webhook}"))
            .await
            .unwrap();
        client
            .find(Locator::Css("#send-test button[type=submit]"))
            .await
            .unwrap()
            .send_keys("\u{E007}")
            .await
            .unwrap();
        client
            .wait()
            .for_element(Locator::Css("#test-queued"))
            .await
            .unwrap();
        let facts = layout_facts(&client).await;
        assert!(
            facts["scroll"].as_i64() <= facts["width"].as_i64(),
            "test event queued at {width}: {facts}"
        );
        assert_accessible(&client, &format!("test event queued at {width}")).await;

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

/// The dashboard on a phone: 60 stories as cards without sideways scrolling, sorting from the
/// links above the list, and a bulk archive done with the keyboard alone.
#[sqlx::test]
async fn the_dashboard_works_on_a_phone_and_bulk_archives_by_keyboard(pool: PgPool) {
    dateline::service::users::create_user(
        &pool,
        "ada@example.org",
        "Ada Editor",
        dateline::domain::policy::Role::Editor,
        PASSWORD,
    )
    .await
    .unwrap();
    let now = time::OffsetDateTime::now_utc();
    for n in 0..60 {
        ArticleBuilder::new(&format!("Study number {n:02} on blood pressure and sleep"))
            .published_at(now - time::Duration::days(n))
            .insert(&pool)
            .await;
    }
    let base = serve(pool.clone()).await;
    let browser = browser().await;
    let client = browser.client.clone();
    client.set_window_size(390, 844).await.unwrap();
    sign_in(&client, &base, "ada@example.org").await;
    client
        .goto(&format!("{base}/admin?sort=title"))
        .await
        .unwrap();
    let facts = layout_facts(&client).await;
    assert!(
        facts["scroll"].as_i64() <= facts["width"].as_i64(),
        "{facts}"
    );
    assert_accessible(&client, "dashboard at 390 px").await;
    super::admin::screenshot(&client, "admin-dashboard-phone").await;
    // The sort links are shown on a phone; the second page keeps the order.
    let sort_links = client.find(Locator::Css("#sort-links")).await.unwrap();
    assert!(sort_links.is_displayed().await.unwrap());
    super::click(&client, ".pagination a[rel=next]").await;
    client
        .wait()
        .for_url(&url::Url::parse(&format!("{base}/admin?sort=title&dir=asc&page=2")).unwrap())
        .await
        .unwrap();
    let first_title = client
        .find(Locator::Css("table.admin-stories td[data-label=Title] a"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(first_title, "Study number 50 on blood pressure and sleep");

    // Keyboard only: tick two stories with the space bar, choose "Archive", press Enter.
    client
        .goto(&format!("{base}/admin?sort=title"))
        .await
        .unwrap();
    for n in 0..2 {
        let boxes = client
            .find_all(Locator::Css("td.admin-pick input[type=checkbox]"))
            .await
            .unwrap();
        client
            .execute(
                "arguments[0].focus(); return true;",
                vec![serde_json::to_value(&boxes[n]).unwrap()],
            )
            .await
            .unwrap();
        boxes[n].send_keys(" ").await.unwrap();
    }
    let action = client.find(Locator::Css("#bulk-action")).await.unwrap();
    action.select_by_value("archive").await.unwrap();
    // Enter on the focused "Apply" button, as after tabbing to it.
    client
        .find(Locator::Css("#bulk-form button[type=submit]"))
        .await
        .unwrap()
        .send_keys("\u{E007}")
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css("#bulk-done"))
        .await
        .unwrap();
    let done = client
        .find(Locator::Css("#bulk-done"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(done.contains("Archived: 2 stories"), "{done}");
    assert!(done.contains("Study number 00"), "{done}");
    assert!(done.contains("Study number 01"), "{done}");
    let facts = layout_facts(&client).await;
    assert!(
        facts["scroll"].as_i64() <= facts["width"].as_i64(),
        "{facts}"
    );
    assert_accessible(&client, "bulk result at 390 px").await;
    let archived: i64 = sqlx::query_scalar("SELECT count(*) FROM articles WHERE archived")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(archived, 2);
    browser.close().await;
}

//! The archive policy in the admin: shown with its preview before it is switched on, saved
//! with the form token, errors beside their fields, and only for the roles the API allows.

use dateline::domain::policy::Role;
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};

use crate::helpers::admin::{PASSWORD, csrf_in, editor, get, post, sign_in};
use crate::helpers::{ArticleBuilder, TestApp, insert_topic};

#[sqlx::test]
async fn an_editor_previews_and_switches_on_the_policy(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    insert_topic(&pool, "cancer", "Cancer", "Cancer research.").await;
    let at = OffsetDateTime::now_utc() - Duration::days(1000);
    ArticleBuilder::new("Remission after trastuzumab")
        .published_at(at)
        .updated_at(at)
        .topics(&["cancer"])
        .insert(&pool)
        .await;
    let now = OffsetDateTime::now_utc();
    ArticleBuilder::new("This week's study")
        .published_at(now)
        .updated_at(now)
        .insert(&pool)
        .await;
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "ada@example.org").await;
    let page = get(&app, "/admin/archive-policy", &cookie).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("The policy is off."), "{}", page.text);
    let preview = page.text.split("id=\"policy-preview\"").nth(1).unwrap();
    assert!(
        preview.contains("What it would archive now: 1 story"),
        "{preview}"
    );
    assert!(preview.contains("Remission after trastuzumab"));
    assert!(!preview.contains("This week"));
    let csrf = csrf_in(&page.text);

    // A bad number of days: nothing saved, the message beside the field, the typing kept.
    let bad = post(
        &app,
        "/admin/archive-policy",
        &cookie,
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("enabled", "on"),
            ("older_than_days", "soon"),
            ("reason", "Kept text"),
        ],
        &[],
    )
    .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.text
            .contains("id=\"policy-days-error\">must be a whole number of days<"),
        "{}",
        bad.text
    );
    assert!(bad.text.contains(">Kept text</textarea>"));
    assert!(bad.text.contains("href=\"#policy-older_than_days\""));

    let saved = post(
        &app,
        "/admin/archive-policy",
        &cookie,
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("enabled", "on"),
            ("older_than_days", "365"),
            ("topic", "cancer"),
            ("reason", "We keep older studies for the record."),
        ],
        &[],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    let page = get(&app, "/admin/archive-policy?saved=1", &cookie).await;
    assert!(
        page.text
            .contains("The policy is on: within a minute the server archives the 1 story"),
        "{}",
        page.text
    );
    assert!(page.text.contains("id=\"policy-topic-cancer\" checked"));

    // Saved from a stale form: nothing is overwritten silently.
    let stale = post(
        &app,
        "/admin/archive-policy",
        &cookie,
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("older_than_days", "30"),
            ("reason", "Mine"),
        ],
        &[],
    )
    .await;
    assert_eq!(stale.status, 409);
    assert!(
        stale.text.contains("someone else changed the policy"),
        "{}",
        stale.text
    );
    let days: i32 = sqlx::query_scalar("SELECT older_than_days FROM archive_policy")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(days, 365);
}

#[sqlx::test]
async fn contributors_neither_see_nor_change_the_policy(pool: PgPool) {
    dateline::service::users::create_user(
        &pool,
        "cleo@example.org",
        "Cleo",
        Role::Contributor,
        PASSWORD,
    )
    .await
    .unwrap();
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "cleo@example.org").await;
    let dashboard = get(&app, "/admin", &cookie).await;
    assert!(!dashboard.text.contains("/admin/archive-policy"));
    assert_eq!(
        get(&app, "/admin/archive-policy", &cookie).await.status,
        403
    );
    let csrf = csrf_in(&dashboard.text);
    let refused = post(
        &app,
        "/admin/archive-policy",
        &cookie,
        &[
            ("csrf", &csrf),
            ("enabled", "on"),
            ("older_than_days", "1"),
            ("reason", "All of it"),
        ],
        &[],
    )
    .await;
    assert_eq!(refused.status, 403);
    let enabled: bool = sqlx::query_scalar("SELECT enabled FROM archive_policy")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!enabled);
}

//! The dashboard: counts, what is scheduled, and the filtered list of stories.

use dateline::domain::article::ArticleStatus;
use sqlx::PgPool;

use crate::helpers::admin::{editor, get, sign_in};
use crate::helpers::{ArticleBuilder, TestApp};

#[sqlx::test]
async fn the_dashboard_filters_stories_and_counts_what_waits(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    ArticleBuilder::new("A published story").insert(&pool).await;
    ArticleBuilder::new("First draft about sleep")
        .status(ArticleStatus::Draft)
        .insert(&pool)
        .await;
    ArticleBuilder::new("Second draft about diet")
        .status(ArticleStatus::Draft)
        .insert(&pool)
        .await;
    ArticleBuilder::new("Coming soon")
        .status(ArticleStatus::Scheduled)
        .published_at(time::OffsetDateTime::now_utc() + time::Duration::days(2))
        .insert(&pool)
        .await;
    let app = TestApp::new(pool);
    let cookie = sign_in(&app, "ada@example.org").await;

    let all = get(&app, "/admin", &cookie).await;
    assert_eq!(all.status, 200);
    assert!(all.text.contains("4 stories"), "{}", all.text);
    let scheduled = all.text.split("Scheduled next").nth(1).unwrap();
    assert!(scheduled.contains("Coming soon"));
    assert!(all.text.contains("id=\"feedback-waiting\">0<"));

    let drafts = get(&app, "/admin?status=draft", &cookie).await;
    assert!(drafts.text.contains("2 stories"));
    assert!(drafts.text.contains("First draft about sleep"));
    assert!(!drafts.text.contains("A published story"));
    let found = get(&app, "/admin?q=diet", &cookie).await;
    assert!(found.text.contains("1 story"));
    assert!(found.text.contains("Second draft about diet"));
}

/// The dashboard's search knows what the site's search knows: synonyms, and the closest
/// spelling when nothing matches (with a way to search the words exactly).
#[sqlx::test]
async fn the_dashboard_search_uses_synonyms_and_corrects_spelling(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    ArticleBuilder::new("Long remissions")
        .body("Women treated with trastuzumab stayed well.")
        .insert(&pool)
        .await;
    ArticleBuilder::new("Unrelated").insert(&pool).await;
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = 'ada@example.org'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let actor = dateline::domain::policy::Actor {
        id,
        role: dateline::domain::policy::Role::Editor,
    };
    let _ = dateline::service::search::replace_synonyms(
        &pool,
        actor,
        &[vec!["herceptin".to_owned(), "trastuzumab".to_owned()]],
        None,
    )
    .await
    .unwrap();
    let app = TestApp::new(pool);
    let cookie = sign_in(&app, "ada@example.org").await;
    let brand = get(&app, "/admin?q=herceptin", &cookie).await;
    assert!(brand.text.contains("Long remissions"), "{}", brand.text);
    assert!(!brand.text.contains(">Unrelated<"));
    let typo = get(&app, "/admin?q=trastuzamab", &cookie).await;
    assert!(typo.text.contains("Long remissions"));
    assert!(
        typo.text
            .contains("Showing stories for <strong>trastuzumab</strong>"),
        "{}",
        typo.text
    );
    let exact = get(&app, "/admin?q=trastuzamab&exact=1", &cookie).await;
    assert!(!exact.text.contains("Long remissions"));
    assert!(!exact.text.contains("Showing stories for"));
}

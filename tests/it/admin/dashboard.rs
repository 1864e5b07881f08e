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

/// The titles of the dashboard's rows, in order.
fn row_titles(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let cell =
        scraper::Selector::parse("table.admin-stories tbody td[data-label=Title] a").unwrap();
    doc.select(&cell)
        .map(|a| a.text().collect::<String>())
        .collect()
}

#[sqlx::test]
async fn the_dashboard_pages_and_sorts_every_story(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let now = time::OffsetDateTime::now_utc();
    for n in 0..120 {
        ArticleBuilder::new(&format!("Story {n:03}"))
            .published_at(now - time::Duration::days(n))
            .insert(&pool)
            .await;
    }
    ArticleBuilder::new("An unpublished draft")
        .status(ArticleStatus::Draft)
        .insert(&pool)
        .await;
    let app = TestApp::new(pool);
    let cookie = sign_in(&app, "ada@example.org").await;

    let first = get(&app, "/admin?sort=title&dir=asc", &cookie).await;
    assert_eq!(first.status, 200);
    assert!(first.text.contains("121 stories"), "{}", first.text);
    assert!(first.text.contains("Page 1 of 3"));
    let titles = row_titles(&first.text);
    assert_eq!(titles.len(), 50);
    assert_eq!(titles[0], "An unpublished draft");
    assert_eq!(titles[1], "Story 000");
    // The next page keeps the order.
    assert!(
        first
            .text
            .contains("href=\"/admin?sort=title&#38;dir=asc&#38;page=2\""),
        "{}",
        first.text
    );
    let third = get(&app, "/admin?sort=title&dir=asc&page=3", &cookie).await;
    let titles = row_titles(&third.text);
    assert_eq!(titles.len(), 21);
    assert_eq!(titles.last().unwrap(), "Story 119");
    assert!(third.text.contains("101–121 shown"));
    // Pages past the end, and pages that are not numbers, say so.
    assert_eq!(get(&app, "/admin?page=4", &cookie).await.status, 404);
    let bad = get(&app, "/admin?page=two", &cookie).await;
    assert_eq!(bad.status, 400);
    assert!(bad.text.contains("is not a page number"));

    // By dateline, newest first, or oldest first.
    let newest = row_titles(
        &get(&app, "/admin?sort=published&dir=desc", &cookie)
            .await
            .text,
    );
    assert_eq!(newest[0], "Story 000");
    let oldest = get(
        &app,
        "/admin?status=published&sort=published&dir=asc",
        &cookie,
    )
    .await;
    assert_eq!(row_titles(&oldest.text)[0], "Story 119");
    // The sorted column says so, and its header link reverses the order.
    assert!(oldest.text.contains("aria-sort=\"ascending\""));
    assert!(
        oldest
            .text
            .contains("href=\"/admin?status=published&#38;sort=published&#38;dir=desc\"")
    );
    // By status: drafts first.
    let by_status = row_titles(&get(&app, "/admin?sort=status", &cookie).await.text);
    assert_eq!(by_status[0], "An unpublished draft");
    // Filters carry into the page links.
    let filtered = get(&app, "/admin?status=published&sort=title", &cookie).await;
    assert!(
        filtered
            .text
            .contains("href=\"/admin?status=published&#38;sort=title&#38;dir=asc&#38;page=2\""),
        "{}",
        filtered.text
    );
}

#[sqlx::test]
async fn a_contributor_sees_counts_of_their_own_stories_and_linked_schedules(pool: PgPool) {
    use dateline::domain::policy::Role;
    dateline::service::users::create_user(
        &pool,
        "cleo@example.org",
        "Cleo Contributor",
        Role::Contributor,
        crate::helpers::admin::PASSWORD,
    )
    .await
    .unwrap();
    editor(&pool, "ada@example.org").await;
    for n in 0..3 {
        ArticleBuilder::new(&format!("Someone else's draft {n}"))
            .status(ArticleStatus::Draft)
            .insert(&pool)
            .await;
    }
    let scheduled = ArticleBuilder::new("Coming soon")
        .status(ArticleStatus::Scheduled)
        .published_at(time::OffsetDateTime::now_utc() + time::Duration::days(2))
        .insert(&pool)
        .await;
    let app = TestApp::new(pool);
    let cookie = sign_in(&app, "cleo@example.org").await;
    crate::helpers::admin::create_story(&app, &cookie, &[("title", "Cleo's own draft")]).await;
    let page = get(&app, "/admin", &cookie).await;
    assert!(page.text.contains("1 story"), "{}", page.text);
    assert!(
        page.text
            .contains("<a href=\"/admin?status=draft\">Drafts <span class=\"count\">1</span></a>"),
        "{}",
        page.text
    );
    // Contributors are offered exactly what they may do in bulk.
    assert!(page.text.contains("<option value=\"submit\">"));
    assert!(!page.text.contains("<option value=\"archive\">"));

    let editor_cookie = sign_in(&app, "ada@example.org").await;
    let page = get(&app, "/admin", &editor_cookie).await;
    assert!(
        page.text.contains("Drafts <span class=\"count\">4</span>"),
        "{}",
        page.text
    );
    assert!(page.text.contains(&format!(
        "<a href=\"/admin/stories/{scheduled}\">Coming soon</a>"
    )));
    assert!(
        page.text
            .contains("<a href=\"/admin/feedback?status=new\">Feedback waiting")
    );
}

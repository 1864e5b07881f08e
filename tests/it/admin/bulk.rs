//! Bulk actions on the dashboard: archive, unarchive, submit and add to a topic, each a
//! revision per story, each refused per story when the role or the story's state does not allow
//! it, with a page that says exactly what was done to which story.

use dateline::domain::article::ArticleStatus;
use dateline::domain::policy::Role;
use sqlx::PgPool;

use crate::helpers::admin::{PASSWORD, csrf_in, editor, get, post, revisions, sign_in};
use crate::helpers::{ArticleBuilder, TestApp, insert_topic};

#[sqlx::test]
async fn an_editor_archives_several_stories_and_is_told_which_could_not_be(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let one = ArticleBuilder::new("First study").insert(&pool).await;
    let two = ArticleBuilder::new("Second study").insert(&pool).await;
    let draft = ArticleBuilder::new("A draft")
        .status(ArticleStatus::Draft)
        .insert(&pool)
        .await;
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "ada@example.org").await;
    let dashboard = get(&app, "/admin?sort=title", &cookie).await;
    let csrf = csrf_in(&dashboard.text);
    let before = (revisions(&pool, one).await, revisions(&pool, two).await);
    let (one_s, two_s, draft_s) = (one.to_string(), two.to_string(), draft.to_string());
    let answer = post(
        &app,
        "/admin/stories/bulk",
        &cookie,
        &[
            ("csrf", &csrf),
            ("action", "archive"),
            ("id", &one_s),
            ("id", &two_s),
            ("id", &draft_s),
            ("back", "sort=title&dir=asc&evil=1"),
        ],
        &[],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let done = answer.text.split("id=\"bulk-done\"").nth(1).unwrap();
    assert!(done.contains("Archived: 2 stories"), "{}", answer.text);
    assert!(done.contains("First study") && done.contains("Second study"));
    let not_done = answer.text.split("id=\"bulk-not-done\"").nth(1).unwrap();
    assert!(not_done.contains("A draft"), "{}", answer.text);
    assert!(
        answer
            .text
            .contains("href=\"/admin?sort=title&#38;dir=asc\" id=\"bulk-back\""),
        "{}",
        answer.text
    );
    // Each archive is a revision of its story; the draft is untouched.
    assert_eq!(revisions(&pool, one).await, before.0 + 1);
    assert_eq!(revisions(&pool, two).await, before.1 + 1);
    let archived: Vec<bool> =
        sqlx::query_scalar("SELECT archived FROM articles WHERE id = ANY($1) ORDER BY title")
            .bind(vec![draft, one, two])
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(archived, vec![false, true, true]);
    // The public page shows the archive banner now (the cache was told).
    let public = app.get("/research-news/first-study").await;
    assert!(
        public.text.to_lowercase().contains("archived"),
        "{}",
        public.text
    );

    // Unarchive brings one back.
    let answer = post(
        &app,
        "/admin/stories/bulk",
        &cookie,
        &[("csrf", &csrf), ("action", "unarchive"), ("id", &one_s)],
        &[],
    )
    .await;
    assert!(
        answer.text.contains("Unarchived: 1 story"),
        "{}",
        answer.text
    );
}

#[sqlx::test]
async fn bulk_topics_and_submissions_follow_each_role(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    dateline::service::users::create_user(
        &pool,
        "cleo@example.org",
        "Cleo Contributor",
        Role::Contributor,
        PASSWORD,
    )
    .await
    .unwrap();
    insert_topic(&pool, "sleep", "Sleep", "Sleep research.").await;
    let published = ArticleBuilder::new("Naps and memory").insert(&pool).await;
    let app = TestApp::new(pool.clone());

    let cleo = sign_in(&app, "cleo@example.org").await;
    let own = crate::helpers::admin::create_story(&app, &cleo, &[("title", "Cleo's draft")]).await;
    let own = crate::helpers::admin::id_in(&own).to_string();
    let csrf = csrf_in(&get(&app, "/admin", &cleo).await.text);
    // A contributor may not archive: the action is not offered, and posting it is refused.
    let refused = post(
        &app,
        "/admin/stories/bulk",
        &cleo,
        &[("csrf", &csrf), ("action", "archive"), ("id", &own)],
        &[],
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(
        refused.text.contains("must be one of: submit, topic"),
        "{}",
        refused.text
    );
    // A contributor submits their own draft, and cannot touch someone else's story.
    let published_s = published.to_string();
    let answer = post(
        &app,
        "/admin/stories/bulk",
        &cleo,
        &[
            ("csrf", &csrf),
            ("action", "submit"),
            ("id", &own),
            ("id", &published_s),
        ],
        &[],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(
        answer.text.contains("Submitted for review: 1 story"),
        "{}",
        answer.text
    );
    assert!(
        answer.text.contains("Not changed: 1 story"),
        "{}",
        answer.text
    );
    let status: String =
        sqlx::query_scalar("SELECT status FROM articles WHERE title = 'Cleo''s draft'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(status, "in_review");

    // An editor adds stories to a topic; a story already in it is reported, not changed again.
    let ada = sign_in(&app, "ada@example.org").await;
    let csrf = csrf_in(&get(&app, "/admin", &ada).await.text);
    let form = [
        ("csrf", csrf.as_str()),
        ("action", "topic"),
        ("topic", "sleep"),
        ("id", published_s.as_str()),
    ];
    let answer = post(&app, "/admin/stories/bulk", &ada, &form, &[]).await;
    assert!(
        answer.text.contains("Added to Sleep: 1 story"),
        "{}",
        answer.text
    );
    let again = post(&app, "/admin/stories/bulk", &ada, &form, &[]).await;
    assert!(
        again.text.contains("it is already in Sleep"),
        "{}",
        again.text
    );
    let note: String = sqlx::query_scalar(
        "SELECT change_note FROM article_revisions WHERE article_id = $1 ORDER BY number DESC LIMIT 1",
    )
    .bind(published)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(note, "Added to the topic Sleep");

    // Bad input: no story ticked, an unknown topic, no form token.
    let none = post(
        &app,
        "/admin/stories/bulk",
        &ada,
        &[("csrf", &csrf), ("action", "archive")],
        &[],
    )
    .await;
    assert_eq!(none.status, 422);
    assert!(none.text.contains("tick at least one story"));
    let unknown = post(
        &app,
        "/admin/stories/bulk",
        &ada,
        &[
            ("csrf", &csrf),
            ("action", "topic"),
            ("topic", "nope"),
            ("id", &published_s),
        ],
        &[],
    )
    .await;
    assert_eq!(unknown.status, 422);
    let forged = post(
        &app,
        "/admin/stories/bulk",
        &ada,
        &[("action", "archive"), ("id", &published_s)],
        &[],
    )
    .await;
    assert_eq!(forged.status, 403);
}

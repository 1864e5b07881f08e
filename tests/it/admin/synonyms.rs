//! Search synonyms in the admin: one set a line; what was saved, what was wrong (by line) and
//! what someone else saved meanwhile are all said; contributors read only.

use dateline::domain::policy::Role;
use sqlx::PgPool;

use crate::helpers::TestApp;
use crate::helpers::admin::{PASSWORD, csrf_in, editor, get, post, sign_in};

fn version_in(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse("input[name=version]").unwrap();
    doc.select(&selector)
        .next()
        .and_then(|i| i.value().attr("value"))
        .expect("a version field")
        .to_owned()
}

#[sqlx::test]
async fn editors_save_sets_by_line_and_are_told_about_bad_lines_and_conflicts(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool.clone());
    let ada = sign_in(&app, "ada@example.org").await;
    let page = get(&app, "/admin/search/synonyms", &ada).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("id=\"synonyms-form\""));
    let csrf = csrf_in(&page.text);
    let version = version_in(&page.text);

    let saved = post(
        &app,
        "/admin/search/synonyms",
        &ada,
        &[
            ("csrf", &csrf),
            ("version", &version),
            (
                "sets",
                "Herceptin, trastuzumab\n\nheart attack, myocardial infarction\n",
            ),
        ],
        &[],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    let shown = get(&app, saved.header("location"), &ada).await;
    assert!(shown.text.contains("Saved 2 sets."), "{}", shown.text);
    assert!(
        shown
            .text
            .contains("herceptin, trastuzumab\nheart attack, myocardial infarction")
    );

    // A bad line: nothing saved, the line named, the text kept.
    let bad = post(
        &app,
        "/admin/search/synonyms",
        &ada,
        &[
            ("csrf", &csrf),
            ("version", &version_in(&shown.text)),
            ("sets", "a, b\n\nlonely\n"),
        ],
        &[],
    )
    .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.text
            .contains("Line 3: must hold at least two different terms."),
        "{}",
        bad.text
    );
    assert!(bad.text.contains("a, b\n\nlonely"));

    // Written from an old version while someone else saved: nothing saved, both shown.
    let stale = post(
        &app,
        "/admin/search/synonyms",
        &ada,
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("sets", "flu, influenza"),
        ],
        &[],
    )
    .await;
    assert_eq!(stale.status, 409);
    assert!(stale.text.contains("id=\"synonyms-conflict\""));
    assert!(stale.text.contains("herceptin, trastuzumab"), "theirs");
    assert!(
        stale.text.contains(">flu, influenza</textarea>"),
        "mine, kept"
    );
    let sets = dateline::service::search::synonyms(&pool).await.unwrap();
    assert_eq!(sets.sets.len(), 2, "unchanged");
    // Saving again from the page replaces theirs, knowingly.
    let again = post(
        &app,
        "/admin/search/synonyms",
        &ada,
        &[
            ("csrf", &csrf),
            ("version", &version_in(&stale.text)),
            ("sets", "flu, influenza"),
        ],
        &[],
    )
    .await;
    assert_eq!(again.status, 303);
    let sets = dateline::service::search::synonyms(&pool).await.unwrap();
    assert_eq!(sets.sets, [["flu", "influenza"]]);
}

#[sqlx::test]
async fn contributors_read_the_sets_but_cannot_change_them(pool: PgPool) {
    dateline::service::users::create_user(
        &pool,
        "cal@example.org",
        "Cal Contributor",
        Role::Contributor,
        PASSWORD,
    )
    .await
    .unwrap();
    let app = TestApp::new(pool.clone());
    let cal = sign_in(&app, "cal@example.org").await;
    let page = get(&app, "/admin/search/synonyms", &cal).await;
    assert_eq!(page.status, 200);
    assert!(!page.text.contains("id=\"synonyms-form\""));
    assert!(page.text.contains("Editors and admins change these."));
    let csrf = csrf_in(&page.text);
    let refused = post(
        &app,
        "/admin/search/synonyms",
        &cal,
        &[("csrf", &csrf), ("sets", "flu, influenza")],
        &[],
    )
    .await;
    assert_eq!(refused.status, 403);
    assert!(
        dateline::service::search::synonyms(&pool)
            .await
            .unwrap()
            .sets
            .is_empty()
    );
}

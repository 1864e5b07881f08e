//! Revisions: the diff between two, and a restore shown before it is made.

use sqlx::PgPool;

use crate::helpers::TestApp;
use crate::helpers::admin::{
    act, create_story, csrf_in, editor, editor_form, follow, get, id_in, message, post,
    post_fields, sign_in,
};

#[sqlx::test]
async fn revision_history_shows_a_readable_diff_and_restores(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "ada@example.org").await;
    let blank = get(&app, "/admin/stories/new", &cookie).await;
    let created = post_fields(
        &app,
        "/admin/stories",
        &cookie,
        &editor_form(
            &blank.text,
            &[
                ("title", "Green tea"),
                ("body_markdown", "Line one.\nLine two.\n"),
            ],
        ),
    )
    .await;
    let path = created
        .header("location")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let page = get(&app, &path, &cookie).await;
    let saved = post_fields(
        &app,
        &path,
        &cookie,
        &editor_form(
            &page.text,
            &[
                ("title", "Green tea and memory"),
                ("body_markdown", "Line one.\nLine 2, rewritten.\n"),
            ],
        ),
    )
    .await;
    assert_eq!(saved.status, 303);

    let history = get(&app, &format!("{path}/revisions"), &cookie).await;
    assert_eq!(history.status, 200);
    let doc = scraper::Html::parse_document(&history.text);
    let lines: Vec<String> = doc
        .select(&scraper::Selector::parse("#body-diff .diff-line").unwrap())
        .map(|l| l.text().collect::<String>())
        .collect();
    assert_eq!(
        lines,
        ["\u{a0} Line one.", "− Line two.", "+ Line 2, rewritten."]
    );
    let fields: Vec<String> = doc
        .select(&scraper::Selector::parse("#field-changes tbody tr").unwrap())
        .map(|r| r.text().collect::<Vec<_>>().join("|"))
        .collect();
    assert_eq!(fields, ["Headline|Green tea|Green tea and memory"]);

    let csrf = csrf_in(&history.text);
    let restored = post(
        &app,
        &format!("{path}/revisions/1/restore"),
        &cookie,
        &[("csrf", &csrf), ("version", "2")],
        &[],
    )
    .await;
    assert_eq!(restored.status, 303, "{}", restored.text);
    let (title, revisions): (String, i64) = sqlx::query_as(
        "SELECT a.title, (SELECT count(*) FROM article_revisions r WHERE r.article_id = a.id) FROM articles a",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (title.as_str(), revisions),
        ("Green tea", 3),
        "a restore is a new revision"
    );
    let stale = post(
        &app,
        &format!("{path}/revisions/2/restore"),
        &cookie,
        &[("csrf", &csrf), ("version", "2")],
        &[],
    )
    .await;
    assert_eq!(stale.status, 412, "restoring from a stale page is refused");
}

#[sqlx::test]
async fn a_restore_shows_what_it_changes_and_is_described_as_the_editor_chooses(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool.clone());
    let ada = sign_in(&app, "ada@example.org").await;
    let path = create_story(
        &app,
        &ada,
        &[
            ("title", "Remission study"),
            ("body_markdown", "About 1 in 10 stayed in remission."),
        ],
    )
    .await;
    let id = id_in(&path);
    act(&app, &path, &ada, &[("action", "publish")]).await;
    let page = get(&app, &path, &ada).await;
    let corrected = post_fields(
        &app,
        &path,
        &ada,
        &editor_form(
            &page.text,
            &[
                ("body_markdown", "About 1 in 11 stayed in remission."),
                ("change_kind", "correction"),
                ("change_note", "The figure was 1 in 11, not 1 in 10."),
            ],
        ),
    )
    .await;
    assert_eq!(corrected.status, 303);
    let updated_before: time::OffsetDateTime =
        sqlx::query_scalar("SELECT updated_at FROM articles WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();

    // The revisions page links to a confirmation, which shows what the restore would undo.
    let revisions_page = get(&app, &format!("{path}/revisions"), &ada).await;
    assert!(
        revisions_page
            .text
            .contains(&format!("href=\"{path}/revisions/1/restore\""))
    );
    let confirm = get(&app, &format!("{path}/revisions/1/restore"), &ada).await;
    assert_eq!(confirm.status, 200);
    assert!(
        confirm
            .text
            .contains("− About 1 in 11 stayed in remission."),
        "{}",
        confirm.text
    );
    assert!(
        confirm
            .text
            .contains("+ About 1 in 10 stayed in remission.")
    );
    assert!(
        confirm.text.contains("value=\"update\" checked"),
        "an update unless chosen otherwise"
    );

    // A correction needs its note.
    let csrf = csrf_in(&confirm.text);
    let version = sqlx::query_scalar::<_, i32>("SELECT version FROM articles WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap()
        .to_string();
    let refused = post(
        &app,
        &format!("{path}/revisions/1/restore"),
        &ada,
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("change_kind", "correction"),
            ("change_note", ""),
        ],
        &[],
    )
    .await;
    assert_eq!(refused.status, 422);
    assert!(refused.text.contains("id=\"change_note-error\""));
    let restored = post(
        &app,
        &format!("{path}/revisions/1/restore"),
        &ada,
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("change_kind", "correction"),
            (
                "change_note",
                "We restored the earlier figure after checking the paper.",
            ),
        ],
        &[],
    )
    .await;
    assert_eq!(restored.status, 303, "{}", restored.text);
    assert!(message(&follow(&app, &ada, &restored).await).starts_with("Revision 1 restored"));
    let (kind, note): (String, String) = sqlx::query_as(
        "SELECT change_kind, change_note FROM article_revisions WHERE article_id = $1 ORDER BY number DESC LIMIT 1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(kind, "correction");
    assert_eq!(
        note,
        "We restored the earlier figure after checking the paper."
    );
    let updated_after: time::OffsetDateTime =
        sqlx::query_scalar("SELECT updated_at FROM articles WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        updated_after > updated_before,
        "a correction moves Last updated"
    );
    let public = app.get("/research-news/remission-study").await;
    assert!(
        public
            .text
            .contains("We restored the earlier figure after checking the paper.")
    );
}

/// The cells of each row of a table, header cell first.
fn rows(html: &str, table: &str) -> Vec<Vec<String>> {
    let doc = scraper::Html::parse_document(html);
    let row = scraper::Selector::parse(&format!("{table} tbody tr")).unwrap();
    let cell = scraper::Selector::parse("th, td").unwrap();
    doc.select(&row)
        .map(|r| {
            r.select(&cell)
                .map(|c| c.text().collect::<String>().trim().to_owned())
                .collect()
        })
        .collect()
}

fn body_lines(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    doc.select(&scraper::Selector::parse("#body-diff .diff-line").unwrap())
        .map(|l| l.text().collect::<String>())
        .collect()
}

#[sqlx::test]
async fn history_names_who_made_each_revision_and_the_system_when_no_one_did(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let built = crate::helpers::ArticleBuilder::new("Made by an import")
        .insert(&pool)
        .await;
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "ada@example.org").await;
    let path = create_story(&app, &cookie, &[("title", "Tea and memory")]).await;
    act(&app, &path, &cookie, &[("action", "publish")]).await;

    let history = get(&app, &format!("{path}/revisions"), &cookie).await;
    assert_eq!(history.status, 200);
    let by: Vec<String> = rows(&history.text, "#revision-history")
        .into_iter()
        .map(|cells| cells[3].clone())
        .collect();
    assert_eq!(by, ["Ada Editor", "Ada Editor"]);

    let history = get(&app, &format!("/admin/stories/{built}/revisions"), &cookie).await;
    assert_eq!(history.status, 200);
    let by: Vec<String> = rows(&history.text, "#revision-history")
        .into_iter()
        .map(|cells| cells[3].clone())
        .collect();
    assert_eq!(by, ["system"], "a revision no user made");
}

#[sqlx::test]
async fn the_diff_keeps_three_lines_of_context_and_shows_archive_state(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    crate::helpers::ArticleBuilder::new("Five-year follow-up on green tea")
        .slug("five-year-follow-up")
        .insert(&pool)
        .await;
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "ada@example.org").await;
    let body: String = (1..=20).map(|n| format!("Line {n}.\n")).collect();
    let path = create_story(
        &app,
        &cookie,
        &[("title", "Green tea and memory"), ("body_markdown", &body)],
    )
    .await;
    let page = get(&app, &path, &cookie).await;
    let edited = body.replace("Line 10.\n", "Line ten, <b>rewritten</b>.\n");
    let saved = post_fields(
        &app,
        &path,
        &cookie,
        &editor_form(&page.text, &[("body_markdown", &edited)]),
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.text);

    let diff = get(&app, &format!("{path}/revisions?from=1&to=2"), &cookie).await;
    assert_eq!(diff.status, 200);
    assert_eq!(
        body_lines(&diff.text),
        [
            "⋯ 6 unchanged lines hidden",
            "\u{a0} Line 7.",
            "\u{a0} Line 8.",
            "\u{a0} Line 9.",
            "− Line 10.",
            "+ Line ten, <b>rewritten</b>.",
            "\u{a0} Line 11.",
            "\u{a0} Line 12.",
            "\u{a0} Line 13.",
            "⋯ 7 unchanged lines hidden",
        ]
    );
    assert!(!diff.text.contains("<b>rewritten"), "escaped");
    assert!(
        !diff.text.contains("id=\"field-changes\""),
        "no field changed, so no field is listed"
    );

    act(&app, &path, &cookie, &[("action", "publish")]).await;
    let archived = act(
        &app,
        &path,
        &cookie,
        &[
            ("action", "archive"),
            ("reason", "Newer data."),
            ("superseded_by", "five-year-follow-up"),
        ],
    )
    .await;
    assert_eq!(archived.status, 303, "{}", archived.text);
    let diff = get(&app, &format!("{path}/revisions?from=3&to=4"), &cookie).await;
    assert_eq!(
        rows(&diff.text, "#field-changes"),
        [
            ["Archived", "No", "Yes"],
            ["Archive reason", "", "Newer data."],
            ["Superseded by", "", "“Five-year follow-up on green tea”"],
        ]
    );
    assert!(body_lines(&diff.text).is_empty(), "the body did not change");

    // A restore keeps the archive state, so its preview does not list it as a change.
    let restore = get(&app, &format!("{path}/revisions/2/restore"), &cookie).await;
    assert_eq!(restore.status, 200);
    let names: Vec<String> = rows(&restore.text, "#field-changes")
        .into_iter()
        .map(|cells| cells[0].clone())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("Archive") || n == "Superseded by"),
        "{names:?}"
    );
    assert!(body_lines(&restore.text).is_empty());

    // Unarchiving shows the same fields going back.
    act(&app, &path, &cookie, &[("action", "unarchive")]).await;
    let diff = get(&app, &format!("{path}/revisions?from=4&to=5"), &cookie).await;
    let names: Vec<String> = rows(&diff.text, "#field-changes")
        .into_iter()
        .map(|cells| cells[0].clone())
        .collect();
    assert!(names.contains(&"Archived".to_owned()), "{names:?}");
    assert!(names.contains(&"Archive reason".to_owned()), "{names:?}");
}

//! The story editor: writing a story, its fields (study, review, schedule), autosave, the live
//! preview, preview links, and two editors saving at once.

use sqlx::PgPool;

use crate::helpers::TestApp;
use crate::helpers::admin::{
    act, create_story, csrf_in, editor, editor_form, get, id_in, post, post_fields, revisions,
    sign_in,
};

#[sqlx::test]
async fn an_editor_writes_publishes_and_archives_a_story_in_the_admin_ui(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    crate::helpers::insert_topic(&pool, "heart", "Heart", "").await;
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "ada@example.org").await;

    let blank = get(&app, "/admin/stories/new", &cookie).await;
    assert_eq!(blank.status, 200);
    let empty = post_fields(
        &app,
        "/admin/stories",
        &cookie,
        &editor_form(&blank.text, &[("dek", "Kept")]),
    )
    .await;
    assert_eq!(empty.status, 422, "a headline is required");
    assert!(empty.text.contains(">Kept</textarea>"), "the input is kept");

    let edit_path = create_story(
        &app,
        &cookie,
        &[
            ("title", "Beetroot juice and blood pressure"),
            ("dek", "A small trial."),
            ("body_markdown", "Nitrate-rich **juice** lowered pressure."),
            ("topic", "heart"),
        ],
    )
    .await;
    let page = get(&app, &edit_path, &cookie).await;
    assert!(
        page.text.contains("<strong>juice</strong>"),
        "the server's rendering beside the form"
    );
    assert!(page.text.contains("id=\"story-status\">draft<"));

    let action = format!("{edit_path}/action");
    assert_eq!(
        post_fields(
            &app,
            &action,
            &cookie,
            &editor_form(&page.text, &[("action", "publish")])
        )
        .await
        .status,
        303
    );
    let public = app
        .get("/research-news/beetroot-juice-and-blood-pressure")
        .await;
    assert_eq!(public.status, 200);
    assert!(public.text.contains("Beetroot juice and blood pressure"));

    // An edit in the admin UI shows on the (cached) public page at once.
    let page = get(&app, &edit_path, &cookie).await;
    let saved = post_fields(
        &app,
        &edit_path,
        &cookie,
        &editor_form(
            &page.text,
            &[
                ("title", "Beetroot juice lowers blood pressure"),
                ("change_kind", "update"),
                ("change_note", "Clearer headline."),
            ],
        ),
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    let public = app
        .get("/research-news/beetroot-juice-and-blood-pressure")
        .await;
    assert!(public.text.contains("Beetroot juice lowers blood pressure"));

    let page = get(&app, &edit_path, &cookie).await;
    assert_eq!(
        post_fields(
            &app,
            &action,
            &cookie,
            &editor_form(
                &page.text,
                &[
                    ("action", "archive"),
                    ("reason", "A larger trial followed.")
                ]
            )
        )
        .await
        .status,
        303
    );
    let public = app
        .get("/research-news/beetroot-juice-and-blood-pressure")
        .await;
    assert!(
        public.text.contains("A larger trial followed."),
        "the archive banner"
    );
}

#[sqlx::test]
async fn two_editors_saving_one_story_get_a_conflict_screen_and_lose_nothing(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    editor(&pool, "bo@example.org").await;
    let app = TestApp::new(pool.clone());
    let ada = sign_in(&app, "ada@example.org").await;
    let bo = sign_in(&app, "bo@example.org").await;
    let path = create_story(
        &app,
        &ada,
        &[
            ("title", "Cold water swimming"),
            ("body_markdown", "First text."),
        ],
    )
    .await;

    // Both open version 1.
    let ada_page = get(&app, &path, &ada).await;
    let bo_page = get(&app, &path, &bo).await;
    let ada_save = post_fields(
        &app,
        &path,
        &ada,
        &editor_form(&ada_page.text, &[("body_markdown", "Ada's paragraph.")]),
    )
    .await;
    assert_eq!(ada_save.status, 303);
    let bo_save = post_fields(
        &app,
        &path,
        &bo,
        &editor_form(&bo_page.text, &[("body_markdown", "Bo's paragraph.")]),
    )
    .await;
    assert_eq!(bo_save.status, 409, "no silent overwrite");
    let doc = scraper::Html::parse_document(&bo_save.text);
    let theirs = doc
        .select(&scraper::Selector::parse("#theirs-body").unwrap())
        .next()
        .unwrap()
        .text()
        .collect::<String>();
    assert_eq!(theirs, "Ada's paragraph.");
    let form = editor_form(&bo_save.text, &[]);
    assert!(
        form.iter()
            .any(|(k, v)| k == "body_markdown" && v == "Bo's paragraph."),
        "Bo's text is kept"
    );
    // Saving again is Bo's deliberate choice, based on Ada's version.
    let again = post_fields(&app, &path, &bo, &form).await;
    assert_eq!(again.status, 303, "{}", again.text);
    let bodies: Vec<String> = sqlx::query_scalar(
        "SELECT snapshot->>'body_markdown' FROM article_revisions ORDER BY number",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        bodies,
        ["First text.", "Ada's paragraph.", "Bo's paragraph."],
        "every version is a revision"
    );
}

#[sqlx::test]
async fn the_editor_sets_study_review_schedule_and_superseded_by(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "ada@example.org").await;

    // Unreadable study and review fields: each named, the input kept, nothing stored.
    let blank = get(&app, "/admin/stories/new", &cookie).await;
    let bad = post_fields(
        &app,
        "/admin/stories",
        &cookie,
        &editor_form(
            &blank.text,
            &[
                ("title", "Trastuzumab and lasting remission"),
                ("study.presented_at", "June 2nd"),
                ("study.sample_size", "many"),
                ("review.last_reviewed", "2026-02-30"),
            ],
        ),
    )
    .await;
    assert_eq!(bad.status, 422);
    for id in [
        "study_presented_at-error",
        "study_sample_size-error",
        "review_last_reviewed-error",
    ] {
        assert!(bad.text.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(bad.text.contains("value=\"June 2nd\""), "the input is kept");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM articles")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);

    let path = create_story(
        &app,
        &cookie,
        &[
            ("title", "Trastuzumab and lasting remission"),
            (
                "body_markdown",
                "About one in eleven women stayed in remission.",
            ),
            ("study.citation", "Breast cancer congress 2026"),
            ("study.doi", "10.1000/remission.2026"),
            ("study.presented_at", "2026-06-02"),
            ("study.sample_size", "1,240"),
            ("study.study_type", "Cohort study"),
            ("review.reviewed_by", "Dr. Jane Roe, oncologist"),
            ("review.last_reviewed", "2026-11-01"),
        ],
    )
    .await;
    let id = id_in(&path);
    let (study, review): (serde_json::Value, serde_json::Value) =
        sqlx::query_as("SELECT study, review FROM articles WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(study["citation"], "Breast cancer congress 2026");
    assert_eq!(study["presented_at"], "2026-06-02");
    assert_eq!(study["sample_size"], 1240);
    assert_eq!(review["reviewed_by"], "Dr. Jane Roe, oncologist");
    assert_eq!(review["last_reviewed"], "2026-11-01");
    let page = get(&app, &path, &cookie).await;
    assert!(
        page.text.contains("value=\"2026-06-02\""),
        "the form shows it back"
    );
    assert!(page.text.contains("value=\"1240\""));

    // Scheduling: no moment, or one outside the years Dateline takes, is refused (a past one
    // backdates: `publishing_from_the_editor_saves_the_form_first`); a future one schedules.
    for at in ["0001-01-01T09:00", ""] {
        let refused = act(
            &app,
            &path,
            &cookie,
            &[("action", "schedule"), ("publish_at", at)],
        )
        .await;
        assert_eq!(refused.status, 422, "{at:?}");
        assert!(refused.text.contains("id=\"publish_at-error\""));
    }
    let scheduled = act(
        &app,
        &path,
        &cookie,
        &[("action", "schedule"), ("publish_at", "2030-05-04T09:30")],
    )
    .await;
    assert_eq!(scheduled.status, 303, "{}", scheduled.text);
    let page = get(&app, &path, &cookie).await;
    assert!(page.text.contains("id=\"story-status\">scheduled<"));
    assert!(page.text.contains("id=\"scheduled-for\""));
    assert!(
        page.text.contains("value=\"2030-05-04T09:30\""),
        "in the site's time zone"
    );
    let at: time::OffsetDateTime =
        sqlx::query_scalar("SELECT published_at FROM articles WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        at,
        time::macros::datetime!(2030-05-04 13:30 UTC),
        "09:30 in New York"
    );
    assert_eq!(
        app.get("/research-news/trastuzumab-and-lasting-remission")
            .await
            .status,
        404
    );

    assert_eq!(
        act(&app, &path, &cookie, &[("action", "publish")])
            .await
            .status,
        303
    );
    let newer = create_story(
        &app,
        &cookie,
        &[("title", "Five-year follow-up on trastuzumab")],
    )
    .await;
    assert_eq!(
        act(&app, &newer, &cookie, &[("action", "publish")])
            .await
            .status,
        303
    );

    // The picker offers recent stories; an unknown one is refused with the reason kept.
    let page = get(&app, &path, &cookie).await;
    assert!(
        page.text
            .contains("<option value=\"five-year-follow-up-on-trastuzumab\">")
    );
    let refused = act(
        &app,
        &path,
        &cookie,
        &[
            ("action", "archive"),
            ("reason", "Newer data."),
            ("superseded_by", "no-such-story"),
        ],
    )
    .await;
    assert_eq!(refused.status, 422);
    assert!(refused.text.contains("id=\"superseded_by-error\""));
    assert!(refused.text.contains("value=\"Newer data.\""));

    let archived = act(
        &app,
        &path,
        &cookie,
        &[
            ("action", "archive"),
            ("reason", "Newer data."),
            (
                "superseded_by",
                "http://localhost/research-news/five-year-follow-up-on-trastuzumab",
            ),
        ],
    )
    .await;
    assert_eq!(archived.status, 303, "{}", archived.text);
    let public = app
        .get("/research-news/trastuzumab-and-lasting-remission")
        .await;
    assert!(public.text.contains("archive-banner"));
    assert!(
        public
            .text
            .contains("href=\"/research-news/five-year-follow-up-on-trastuzumab\"")
    );
    let page = get(&app, &path, &cookie).await;
    assert!(page.text.contains("id=\"archive-details\""));
}

#[sqlx::test]
async fn autosave_keeps_text_apart_from_revisions_until_saved(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    editor(&pool, "bo@example.org").await;
    let app = TestApp::new(pool.clone());
    let ada = sign_in(&app, "ada@example.org").await;
    let bo = sign_in(&app, "bo@example.org").await;
    let path = create_story(
        &app,
        &ada,
        &[
            ("title", "Walking and memory"),
            ("body_markdown", "First text."),
        ],
    )
    .await;
    let id = id_in(&path);
    let before = revisions(&pool, id).await;

    let page = get(&app, &path, &ada).await;
    for n in 0..5 {
        let typed = format!("Second text, typed {n}.");
        let saved = post_fields(
            &app,
            &format!("{path}/autosave"),
            &ada,
            &editor_form(&page.text, &[("body_markdown", &typed)]),
        )
        .await;
        assert_eq!(saved.status, 200, "{}", saved.text);
        assert!(saved.json()["saved_at"].is_string());
    }
    assert_eq!(
        revisions(&pool, id).await,
        before,
        "autosaves are not revisions"
    );
    let body: String = sqlx::query_scalar("SELECT body_markdown FROM articles WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(body, "First text.");

    // Reopened, the editor offers the text back; another editor sees nothing of it.
    let page = get(&app, &path, &ada).await;
    assert!(page.text.contains("id=\"autosave-notice\""));
    assert!(page.text.contains(">First text.</textarea>"));
    assert!(!get(&app, &path, &bo).await.text.contains("autosave-notice"));
    let restored = get(&app, &format!("{path}?restore=autosave"), &ada).await;
    assert!(restored.text.contains(">Second text, typed 4.</textarea>"));

    // Bo saves meanwhile; Ada's restored text then meets the conflict screen, not an overwrite.
    let bo_page = get(&app, &path, &bo).await;
    let bo_saved = post_fields(
        &app,
        &path,
        &bo,
        &editor_form(&bo_page.text, &[("dek", "Bo's summary.")]),
    )
    .await;
    assert_eq!(bo_saved.status, 303);
    let conflict = post_fields(&app, &path, &ada, &editor_form(&restored.text, &[])).await;
    assert_eq!(conflict.status, 409);
    assert!(
        conflict.text.contains(">Second text, typed 4.</textarea>"),
        "nothing lost"
    );
    let saved = post_fields(&app, &path, &ada, &editor_form(&conflict.text, &[])).await;
    assert_eq!(saved.status, 303);
    assert_eq!(
        revisions(&pool, id).await,
        before + 2,
        "one revision per save"
    );
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM article_autosaves WHERE user_id IN (SELECT id FROM users WHERE email = 'ada@example.org')")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "saving clears the autosave");
    assert!(
        !get(&app, &path, &ada)
            .await
            .text
            .contains("autosave-notice")
    );

    // Discarding removes it; an autosave needs the form token.
    let page = get(&app, &path, &ada).await;
    let fields = editor_form(&page.text, &[("body_markdown", "Third.")]);
    assert_eq!(
        post_fields(&app, &format!("{path}/autosave"), &ada, &fields)
            .await
            .status,
        200
    );
    // A lifecycle action whose form text is the saved text saves nothing, so an autosave of
    // other text survives it.
    assert_eq!(
        act(&app, &path, &ada, &[("action", "submit")]).await.status,
        303
    );
    assert!(
        get(&app, &path, &ada)
            .await
            .text
            .contains("autosave-notice")
    );
    let csrf = csrf_in(&page.text);
    let discarded = post(
        &app,
        &format!("{path}/autosave/discard"),
        &ada,
        &[("csrf", &csrf)],
        &[],
    )
    .await;
    assert_eq!(discarded.status, 303);
    assert!(
        !get(&app, &path, &ada)
            .await
            .text
            .contains("autosave-notice")
    );
    let forged = post(
        &app,
        &format!("{path}/autosave"),
        &ada,
        &[("body_markdown", "x")],
        &[],
    )
    .await;
    assert_eq!(forged.status, 403);
}

#[sqlx::test]
async fn the_live_preview_and_preview_links_work_from_the_editor(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "ada@example.org").await;
    let path = create_story(
        &app,
        &cookie,
        &[
            ("title", "Coffee and heart rhythm"),
            ("body_markdown", "Draft **body**."),
        ],
    )
    .await;
    let page = get(&app, &path, &cookie).await;
    assert!(
        page.text.contains("<strong>body</strong>"),
        "the preview beside the form"
    );
    let csrf = csrf_in(&page.text);

    let preview = post(
        &app,
        "/admin/preview",
        &cookie,
        &[
            ("csrf", &csrf),
            (
                "body_markdown",
                "Hello **there** <script>alert(1)</script><img src=x onerror=alert(2)>",
            ),
        ],
        &[],
    )
    .await;
    assert_eq!(preview.status, 200);
    assert!(preview.header("content-type").starts_with("text/html"));
    assert_eq!(preview.header("cache-control"), "no-store");
    assert!(preview.text.contains("<strong>there</strong>"));
    assert!(!preview.text.contains("<script") && !preview.text.contains("onerror"));
    let forged = post(
        &app,
        "/admin/preview",
        &cookie,
        &[("body_markdown", "x")],
        &[],
    )
    .await;
    assert_eq!(forged.status, 403);

    let made = post(
        &app,
        &format!("{path}/preview-links"),
        &cookie,
        &[("csrf", &csrf), ("hours", "24")],
        &[],
    )
    .await;
    assert_eq!(made.status, 303);
    let page = get(&app, &path, &cookie).await;
    let doc = scraper::Html::parse_document(&page.text);
    let url = doc
        .select(&scraper::Selector::parse("#new-preview-url").unwrap())
        .next()
        .and_then(|input| input.value().attr("value"))
        .expect("the new link, shown once")
        .to_owned();
    let preview_path = &url[url.find("/preview/").unwrap()..];
    let shown = app.get(preview_path).await;
    assert_eq!(shown.status, 200);
    assert!(shown.text.contains("Coffee and heart rhythm"));
    assert!(shown.text.contains("noindex"));

    let again = get(&app, &path, &cookie).await;
    assert!(
        !again.text.contains("new-preview-url"),
        "the token is shown only once"
    );
    let revoke = again
        .text
        .split("action=\"")
        .filter_map(|rest| rest.split('"').next())
        .find(|action| action.ends_with("/revoke"))
        .expect("a revoke button")
        .to_owned();
    assert_eq!(
        post(&app, &revoke, &cookie, &[("csrf", &csrf)], &[])
            .await
            .status,
        303
    );
    assert_eq!(app.get(preview_path).await.status, 404);
    assert!(
        get(&app, &path, &cookie)
            .await
            .text
            .contains("No live preview links.")
    );
    let too_long = post(
        &app,
        &format!("{path}/preview-links"),
        &cookie,
        &[("csrf", &csrf), ("hours", "9999")],
        &[],
    )
    .await;
    assert_eq!(too_long.status, 422);
}

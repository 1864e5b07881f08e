//! The story editor's fields and tools over HTTP: study and review metadata, scheduling, the
//! superseded-by picker, autosave kept apart from revisions, the live preview and preview links.

use sqlx::PgPool;
use uuid::Uuid;

use crate::admin::{csrf_in, editor, editor_form, get, post, post_fields, sign_in};
use crate::helpers::TestApp;

/// Creates a story through the editor form; answers its editor path.
async fn create(app: &TestApp, cookie: &str, fields: &[(&str, &str)]) -> String {
    let blank = get(app, "/admin/stories/new", cookie).await;
    let created = post_fields(
        app,
        "/admin/stories",
        cookie,
        &editor_form(&blank.text, fields),
    )
    .await;
    assert_eq!(created.status, 303, "{}", created.text);
    created
        .header("location")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

fn id_in(path: &str) -> Uuid {
    Uuid::parse_str(path.rsplit('/').next().unwrap()).unwrap()
}

async fn act(
    app: &TestApp,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> crate::helpers::TestResponse {
    // As a browser sends a publishing button: the whole editor form, with the button's value.
    let page = get(app, path, cookie).await;
    let fields = editor_form(&page.text, form);
    post_fields(app, &format!("{path}/action"), cookie, &fields).await
}

async fn revisions(pool: &PgPool, id: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM article_revisions WHERE article_id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
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

    let path = create(
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
    let newer = create(
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
    let path = create(
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
    let path = create(
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

#[sqlx::test]
async fn an_editor_deletes_a_story_from_the_browser_and_an_admin_restores_it(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    dateline::service::users::create_user(
        &pool,
        "root@example.org",
        "Ro Admin",
        dateline::domain::policy::Role::Admin,
        crate::admin::PASSWORD,
    )
    .await
    .unwrap();
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "ada@example.org").await;
    let path = create(&app, &cookie, &[("title", "Salt and stroke")]).await;
    assert_eq!(
        act(&app, &path, &cookie, &[("action", "publish")])
            .await
            .status,
        303
    );
    assert_eq!(app.get("/research-news/salt-and-stroke").await.status, 200);

    // The editor offers it, and a forged form (no CSRF token) is refused.
    let page = get(&app, &path, &cookie).await;
    assert!(page.text.contains(&format!("action=\"{path}/delete\"")));
    let forged = post(
        &app,
        &format!("{path}/delete"),
        &cookie,
        &[("csrf", "nope")],
        &[],
    )
    .await;
    assert_eq!(forged.status, 403);
    let csrf = csrf_in(&page.text);
    let deleted = post(
        &app,
        &format!("{path}/delete"),
        &cookie,
        &[("csrf", &csrf)],
        &[],
    )
    .await;
    assert_eq!(deleted.status, 303);
    assert_eq!(deleted.header("location"), "/admin?deleted=1");
    assert!(
        get(&app, "/admin?deleted=1", &cookie)
            .await
            .text
            .contains("id=\"deleted-notice\"")
    );
    assert_eq!(app.get("/research-news/salt-and-stroke").await.status, 404);

    // Editors may not restore; the list of deleted stories is the admins'.
    assert_eq!(get(&app, "/admin/deleted", &cookie).await.status, 403);
    let restore = format!("{path}/restore");
    assert_eq!(
        post(&app, &restore, &cookie, &[("csrf", &csrf)], &[])
            .await
            .status,
        403
    );

    let admin = sign_in(&app, "root@example.org").await;
    let list = get(&app, "/admin/deleted", &admin).await;
    assert_eq!(list.status, 200);
    assert!(list.text.contains("Salt and stroke"), "{}", list.text);
    assert!(list.text.contains("by Ada Editor"));
    let csrf = csrf_in(&list.text);
    let restored = post(&app, &restore, &admin, &[("csrf", &csrf)], &[]).await;
    assert_eq!(restored.status, 303);
    assert_eq!(app.get("/research-news/salt-and-stroke").await.status, 200);
    assert!(
        get(&app, "/admin/deleted", &admin)
            .await
            .text
            .contains("No story has been deleted")
    );
}

/// The editor page's confirmation or error message.
fn message(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    doc.select(&scraper::Selector::parse("#editor-message").unwrap())
        .next()
        .map(|m| m.text().collect::<String>())
        .unwrap_or_default()
}

/// Follows an admin redirect and answers the page it leads to.
async fn follow(app: &TestApp, cookie: &str, answer: &crate::helpers::TestResponse) -> String {
    assert_eq!(answer.status, 303, "{}", answer.text);
    get(app, answer.header("location"), cookie).await.text
}

#[sqlx::test]
async fn publishing_from_the_editor_saves_the_form_first_and_says_what_happened(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    editor(&pool, "bo@example.org").await;
    let app = TestApp::new(pool.clone());
    let ada = sign_in(&app, "ada@example.org").await;
    let bo = sign_in(&app, "bo@example.org").await;
    let path = create(
        &app,
        &ada,
        &[("title", "Draft headline"), ("body_markdown", "Old.")],
    )
    .await;
    let id = id_in(&path);

    // Typed, autosaved, never saved: "Publish now" publishes the form's text, not the saved one.
    let page = get(&app, &path, &ada).await;
    let typed = [
        ("title", "Trastuzumab keeps one in eleven in remission"),
        ("body_markdown", "New."),
    ];
    post_fields(
        &app,
        &format!("{path}/autosave"),
        &ada,
        &editor_form(&page.text, &typed),
    )
    .await;
    let mut form = editor_form(&page.text, &typed);
    form.push(("action".into(), "publish".into()));
    let published = post_fields(&app, &format!("{path}/action"), &ada, &form).await;
    let after = follow(&app, &ada, &published).await;
    assert_eq!(message(&after), "Saved and published.");
    let public = app.get("/research-news/draft-headline").await;
    assert_eq!(public.status, 200);
    assert!(
        public
            .text
            .contains("Trastuzumab keeps one in eleven in remission")
    );
    assert!(public.text.contains("<p>New.</p>"));
    // The autosave was of that text: nothing is offered back, and no conflict screen follows.
    assert!(!after.contains("autosave-notice"));
    let restored = get(&app, &format!("{path}?restore=autosave"), &ada).await;
    assert_eq!(restored.status, 200);
    assert!(!restored.text.contains("theirs-heading"));

    // Unchanged text: only the step is taken, and the message says just that.
    let page = get(&app, &path, &ada).await;
    let archived = act(
        &app,
        &path,
        &ada,
        &[("action", "archive"), ("reason", "Newer data.")],
    )
    .await;
    assert_eq!(message(&follow(&app, &ada, &archived).await), "Archived.");
    let page_after = get(&app, &path, &ada).await;
    let unarchived = post_fields(
        &app,
        &format!("{path}/action"),
        &ada,
        &editor_form(&page_after.text, &[("action", "unarchive")]),
    )
    .await;
    assert_eq!(
        message(&follow(&app, &ada, &unarchived).await),
        "Unarchived."
    );

    // A form loaded before someone else's save: refused, with both versions shown, nothing lost.
    let bo_page = get(&app, &path, &bo).await;
    let bo_saved = post_fields(
        &app,
        &path,
        &bo,
        &editor_form(&bo_page.text, &[("dek", "Bo's summary.")]),
    )
    .await;
    assert_eq!(bo_saved.status, 303);
    let stale = editor_form(
        &page.text,
        &[("action", "archive"), ("dek", "Ada's summary.")],
    );
    let refused = post_fields(&app, &format!("{path}/action"), &ada, &stale).await;
    assert_eq!(refused.status, 409);
    assert!(message(&refused.text).starts_with("Not archived: someone else saved this story"));
    assert!(
        refused.text.contains("value=\"Ada&#39;s summary.\""),
        "the form keeps Ada's text"
    );
    let archived: bool = sqlx::query_scalar("SELECT archived FROM articles WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!archived, "nothing was archived");

    // A bad field in the form: refused beside the field, nothing published.
    let second = create(&app, &ada, &[("title", "Second story")]).await;
    let bad = act(&app, &second, &ada, &[("action", "publish"), ("title", "")]).await;
    assert_eq!(bad.status, 422);
    assert_eq!(
        message(&bad.text),
        "Not published: correct the fields marked below."
    );
    assert!(bad.text.contains("id=\"title-error\""));

    // Schedule says when; a past moment backdates, and says so.
    let scheduled = act(
        &app,
        &second,
        &ada,
        &[("action", "schedule"), ("publish_at", "2031-03-02T08:15")],
    )
    .await;
    assert_eq!(
        message(&follow(&app, &ada, &scheduled).await),
        "Scheduled for March 2, 2031, 8:15 AM."
    );
    let third = create(&app, &ada, &[("title", "Third story")]).await;
    let page = get(&app, &third, &ada).await;
    assert!(
        page.text.contains("A past time backdates it"),
        "the backdating is labelled"
    );
    let backdated = act(
        &app,
        &third,
        &ada,
        &[("action", "schedule"), ("publish_at", "2011-09-26T09:05")],
    )
    .await;
    assert_eq!(
        message(&follow(&app, &ada, &backdated).await),
        "Published, dated September 26, 2011, 9:05 AM."
    );
    let public = app.get("/research-news/third-story").await;
    assert!(
        public.text.contains("Sep 26, 2011"),
        "the backdated dateline"
    );
}

#[sqlx::test]
async fn a_restore_shows_what_it_changes_and_is_described_as_the_editor_chooses(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool.clone());
    let ada = sign_in(&app, "ada@example.org").await;
    let path = create(
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

#[sqlx::test]
async fn withdrawing_asks_for_a_reason_that_readers_see_and_unpublish_undoes_it(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool.clone());
    let ada = sign_in(&app, "ada@example.org").await;
    let path = create(&app, &ada, &[("title", "A retracted trial")]).await;
    act(&app, &path, &ada, &[("action", "publish")]).await;
    let page = get(&app, &path, &ada).await;
    // Not one click: the button sits inside a disclosure that explains it and asks why.
    let doc = scraper::Html::parse_document(&page.text);
    let inside = scraper::Selector::parse("details#withdraw button[value=withdraw]").unwrap();
    assert!(
        doc.select(&inside).next().is_some(),
        "Withdraw is behind a confirmation"
    );
    assert!(page.text.contains("id=\"withdraw_reason\""));
    let withdrawn = act(
        &app,
        &path,
        &ada,
        &[
            ("action", "withdraw"),
            ("withdraw_reason", "The journal retracted the study."),
        ],
    )
    .await;
    let after = follow(&app, &ada, &withdrawn).await;
    assert!(message(&after).starts_with("Withdrawn"));
    assert!(
        after.contains("id=\"action-unpublish\""),
        "unpublish is offered from withdrawn"
    );
    assert!(!after.contains("id=\"action-publish\""));
    let gone = app.get("/research-news/a-retracted-trial").await;
    assert_eq!(gone.status, 410);
    gone.assert_in_order(&[
        "This story has been withdrawn",
        "<h1>A retracted trial</h1>",
        "withdrawn",
        "The journal retracted the study.",
    ]);
    assert!(gone.text.contains("noindex"));
    let unpublished = act(&app, &path, &ada, &[("action", "unpublish")]).await;
    assert!(message(&follow(&app, &ada, &unpublished).await).starts_with("Unpublished"));
    assert_eq!(
        app.get("/research-news/a-retracted-trial").await.status,
        404
    );
}

#[sqlx::test]
async fn each_role_is_offered_only_what_the_policy_lets_it_do(pool: PgPool) {
    use dateline::domain::policy::Role;
    dateline::service::users::create_user(
        &pool,
        "cy@example.org",
        "Cy Contributor",
        Role::Contributor,
        crate::admin::PASSWORD,
    )
    .await
    .unwrap();
    editor(&pool, "ada@example.org").await;
    dateline::service::users::create_user(
        &pool,
        "al@example.org",
        "Al Admin",
        Role::Admin,
        crate::admin::PASSWORD,
    )
    .await
    .unwrap();
    let app = TestApp::new(pool.clone());
    let cy = sign_in(&app, "cy@example.org").await;
    let ada = sign_in(&app, "ada@example.org").await;
    let al = sign_in(&app, "al@example.org").await;
    let nav = |html: &str| -> Vec<String> {
        let doc = scraper::Html::parse_document(html);
        doc.select(&scraper::Selector::parse("nav.admin-nav a").unwrap())
            .map(|a| a.text().collect())
            .collect()
    };
    assert_eq!(
        nav(&get(&app, "/admin", &cy).await.text),
        ["Dashboard", "New story", "Password"]
    );
    assert_eq!(
        nav(&get(&app, "/admin", &ada).await.text),
        ["Dashboard", "New story", "Feedback", "Topics", "Password"]
    );
    assert_eq!(
        nav(&get(&app, "/admin", &al).await.text),
        [
            "Dashboard",
            "New story",
            "Feedback",
            "Topics",
            "Users",
            "Audit log",
            "Deleted stories",
            "Password"
        ]
    );
    assert!(
        !get(&app, "/admin", &cy)
            .await
            .text
            .contains("Feedback waiting")
    );

    // A contributor's draft: save, submit, preview links, delete; no publishing steps.
    let path = create(&app, &cy, &[("title", "Cy's draft")]).await;
    let page = get(&app, &path, &cy).await;
    for offered in [
        "save-button",
        "action-submit",
        "create-preview-link",
        "delete-story",
    ] {
        assert!(
            page.text.contains(&format!("id=\"{offered}\"")),
            "{offered}"
        );
    }
    for hidden in [
        "action-publish",
        "action-schedule",
        "action-unpublish",
        "action-archive",
        "action-withdraw",
    ] {
        assert!(!page.text.contains(&format!("id=\"{hidden}\"")), "{hidden}");
    }
    let submitted = act(&app, &path, &cy, &[("action", "submit")]).await;
    let locked = follow(&app, &cy, &submitted).await;
    assert_eq!(message(&locked), "Submitted for review.");
    // Locked for review: it says so, and offers nothing the server would refuse.
    assert!(locked.contains("id=\"read-only\""));
    assert!(locked.contains("with the editors for review"));
    for hidden in [
        "save-button",
        "action-submit",
        "delete-story",
        "create-preview-link",
        "data-autosave-url",
    ] {
        assert!(!locked.contains(hidden), "{hidden}");
    }
    assert!(locked.contains("<fieldset class=\"editor-fields\" disabled>"));
    // The server refuses what is not offered, as before.
    let forced = post_fields(&app, &path, &cy, &editor_form(&page.text, &[])).await;
    assert_eq!(forced.status, 403);

    // The editor sees it with the steps an editor may take.
    let page = get(&app, &path, &ada).await;
    for offered in [
        "save-button",
        "action-publish",
        "action-schedule",
        "action-unpublish",
    ] {
        assert!(
            page.text.contains(&format!("id=\"{offered}\"")),
            "{offered}"
        );
    }
    assert!(
        !page.text.contains("id=\"action-submit\""),
        "already in review"
    );
}

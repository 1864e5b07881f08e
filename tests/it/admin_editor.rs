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
    let page = get(app, path, cookie).await;
    let csrf = csrf_in(&page.text);
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend_from_slice(form);
    post(app, &format!("{path}/action"), cookie, &fields, &[]).await
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

    // Scheduling: a moment in the past or none is refused, a future one schedules.
    for at in ["2020-01-01T09:00", ""] {
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
    // A lifecycle action does not carry the form's text, so the autosave survives it.
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

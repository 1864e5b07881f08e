//! The admin UI: sessions, sign-in throttling, CSRF, password change and the dashboard.

use axum::body::Body;
use axum::http::Request;
use dateline::domain::article::ArticleStatus;
use dateline::domain::policy::Role;
use sqlx::PgPool;

use crate::helpers::{ArticleBuilder, TestApp, TestResponse};

pub(crate) const PASSWORD: &str = "correct horse battery staple 42";

pub(crate) async fn editor(pool: &PgPool, email: &str) {
    dateline::service::users::create_user(pool, email, "Ada Editor", Role::Editor, PASSWORD)
        .await
        .unwrap();
}

/// The session cookie (`name=value`) a response sets.
pub(crate) fn session_cookie(response: &TestResponse) -> Option<String> {
    response
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("dateline_session="))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

pub(crate) fn csrf_in(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse("input[name=csrf]").unwrap();
    doc.select(&selector)
        .next()
        .and_then(|input| input.value().attr("value"))
        .expect("a CSRF field")
        .to_owned()
}

pub(crate) async fn get(app: &TestApp, path: &str, cookie: &str) -> TestResponse {
    app.request(
        Request::get(path)
            .header("cookie", cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

pub(crate) async fn post(
    app: &TestApp,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> TestResponse {
    let mut builder = Request::post(path)
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let body = serde_urlencoded::to_string(form).unwrap();
    app.request(builder.body(Body::from(body)).unwrap()).await
}

/// Opens the sign-in page; returns its session cookie and form token.
async fn login_page(app: &TestApp) -> (String, String) {
    let page = app.get("/admin/login").await;
    assert_eq!(page.status, 200);
    (
        session_cookie(&page).expect("a session"),
        csrf_in(&page.text),
    )
}

/// Signs in; returns the new session cookie.
pub(crate) async fn sign_in(app: &TestApp, email: &str) -> String {
    let (cookie, csrf) = login_page(app).await;
    let response = post(
        app,
        "/admin/login",
        &cookie,
        &[
            ("email", email),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", "/admin"),
        ],
        &[],
    )
    .await;
    assert_eq!(response.status, 303, "{}", response.text);
    session_cookie(&response).expect("a fresh session cookie")
}

#[sqlx::test]
async fn signing_in_starts_a_new_session_and_signing_out_ends_it(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool.clone());

    let anonymous = app.get("/admin").await;
    assert_eq!(anonymous.status, 303);
    assert_eq!(anonymous.header("location"), "/admin/login?next=%2Fadmin");

    let (before, csrf) = login_page(&app).await;
    let page = app.get("/admin/login").await;
    let set_cookie = page.header("set-cookie").to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(
        set_cookie.starts_with("__Host-"),
        "https base URL: {set_cookie}"
    );

    // A wrong password and an unknown email get the very same answer.
    let mut answers = Vec::new();
    for (email, password) in [
        ("ada@example.org", "wrong password 123"),
        ("nobody@example.org", PASSWORD),
    ] {
        let response = post(
            &app,
            "/admin/login",
            &before,
            &[("email", email), ("password", password), ("csrf", &csrf)],
            &[],
        )
        .await;
        assert_eq!(response.status, 401);
        let doc = scraper::Html::parse_document(&response.text);
        let error = doc
            .select(&scraper::Selector::parse(".form-error").unwrap())
            .next()
            .unwrap()
            .text()
            .collect::<String>();
        answers.push(error);
        assert!(
            response.text.contains(&format!("value=\"{email}\"")),
            "email kept"
        );
    }
    assert_eq!(answers[0], answers[1]);

    let response = post(
        &app,
        "/admin/login",
        &before,
        &[
            ("email", "ADA@example.org"),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", "/admin?status=draft"),
        ],
        &[],
    )
    .await;
    assert_eq!(response.status, 303);
    assert_eq!(response.header("location"), "/admin?status=draft");
    let after = session_cookie(&response).unwrap();
    assert_ne!(after, before, "a new session id at sign-in");
    assert_eq!(
        get(&app, "/admin", &before).await.status,
        303,
        "the old id is dead"
    );

    let dashboard = get(&app, "/admin", &after).await;
    assert_eq!(dashboard.status, 200);
    assert!(dashboard.text.contains("Signed in as Ada Editor"));
    assert_eq!(dashboard.header("cache-control"), "no-store");

    let csrf = csrf_in(&dashboard.text);
    let out = post(&app, "/admin/logout", &after, &[("csrf", &csrf)], &[]).await;
    assert_eq!(out.status, 303);
    assert_eq!(
        get(&app, "/admin", &after).await.status,
        303,
        "signed out on the server"
    );
    let audit: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'user.login%' ORDER BY created_at",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        audit,
        ["user.login_failed", "user.login_failed", "user.login"]
    );
}

#[sqlx::test]
async fn forms_without_the_token_or_from_another_site_are_refused(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool);
    let (cookie, csrf) = login_page(&app).await;
    let form = [
        ("email", "ada@example.org"),
        ("password", PASSWORD),
        ("csrf", csrf.as_str()),
    ];
    let forged = [
        ("email", "ada@example.org"),
        ("password", PASSWORD),
        ("csrf", "0000"),
    ];
    assert_eq!(
        post(&app, "/admin/login", &cookie, &forged, &[])
            .await
            .status,
        403
    );
    assert_eq!(
        post(&app, "/admin/login", "", &form, &[]).await.status,
        403,
        "no session"
    );
    for headers in [
        [("origin", "https://evil.example")],
        [("sec-fetch-site", "cross-site")],
    ] {
        assert_eq!(
            post(&app, "/admin/login", &cookie, &form, &headers)
                .await
                .status,
            403
        );
    }
    let ok = post(
        &app,
        "/admin/login",
        &cookie,
        &form,
        &[
            ("origin", crate::helpers::BASE_URL),
            ("sec-fetch-site", "same-origin"),
        ],
    )
    .await;
    assert_eq!(ok.status, 303);
}

#[sqlx::test]
async fn failed_sign_ins_are_throttled_with_growing_delays(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool);
    let (cookie, csrf) = login_page(&app).await;
    let attempt = |password: &'static str| {
        let (cookie, csrf) = (cookie.clone(), csrf.clone());
        let app = &app;
        async move {
            post(
                app,
                "/admin/login",
                &cookie,
                &[
                    ("email", "ada@example.org"),
                    ("password", password),
                    ("csrf", &csrf),
                ],
                &[],
            )
            .await
        }
    };
    for _ in 0..5 {
        assert_eq!(attempt("wrong password 123").await.status, 401);
    }
    // Now even the right password waits: no oracle while throttled.
    let throttled = attempt(PASSWORD).await;
    assert_eq!(throttled.status, 429);
    let retry: u64 = throttled.header("retry-after").parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    assert!(throttled.text.contains("Too many failed attempts"));
}

#[sqlx::test]
async fn a_password_change_needs_the_current_password_and_ends_other_sessions(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool.clone());
    let laptop = sign_in(&app, "ada@example.org").await;
    let tablet = sign_in(&app, "ada@example.org").await;

    let page = get(&app, "/admin/password", &laptop).await;
    assert_eq!(page.status, 200);
    let csrf = csrf_in(&page.text);
    let new = "a brand new passphrase for ada 7";
    let wrong = post(
        &app,
        "/admin/password",
        &laptop,
        &[
            ("csrf", &csrf),
            ("current_password", "not it at all 1"),
            ("new_password", new),
            ("confirm_password", new),
        ],
        &[],
    )
    .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.text.contains("is not your current password"));

    let done = post(
        &app,
        "/admin/password",
        &laptop,
        &[
            ("csrf", &csrf),
            ("current_password", PASSWORD),
            ("new_password", new),
            ("confirm_password", new),
        ],
        &[],
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.text);
    let laptop = session_cookie(&done).unwrap_or(laptop);
    assert_eq!(
        get(&app, "/admin", &laptop).await.status,
        200,
        "this session goes on"
    );
    assert_eq!(
        get(&app, "/admin", &tablet).await.status,
        303,
        "the other one ended"
    );

    // Disabling a user ends their sessions too.
    sqlx::query("UPDATE users SET disabled_at = now()")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(get(&app, "/admin", &laptop).await.status, 303);
}

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

async fn feedback_entry(
    pool: &PgPool,
    article: uuid::Uuid,
    helpful: bool,
    comment: &str,
) -> uuid::Uuid {
    let id = uuid::Uuid::now_v7();
    sqlx::query(
        "INSERT INTO feedback (id, article_id, revision_number, helpful, comment, email, client_hash, user_agent_family)
         VALUES ($1, $2, 1, $3, $4, 'reader@example.org', '\\x00', 'Firefox')",
    )
    .bind(id)
    .bind(article)
    .bind(helpful)
    .bind(comment)
    .execute(pool)
    .await
    .unwrap();
    id
}

#[sqlx::test]
async fn the_inbox_lists_filters_triages_in_bulk_and_exports_csv(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let story = ArticleBuilder::new("Tea and blood pressure")
        .insert(&pool)
        .await;
    let other = ArticleBuilder::new("Walking after meals")
        .insert(&pool)
        .await;
    let a = feedback_entry(&pool, story, true, "Clear and useful").await;
    let b = feedback_entry(&pool, story, false, "<script>alert(1)</script>").await;
    let c = feedback_entry(&pool, other, true, "=HYPERLINK(\"http://evil\")").await;
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "ada@example.org").await;

    let inbox = get(&app, "/admin/feedback?status=new", &cookie).await;
    assert_eq!(inbox.status, 200);
    assert!(inbox.text.contains("3 entries"));
    assert!(inbox.text.contains("alert(1)"), "the comment is shown");
    assert!(!inbox.text.contains("<script>alert(1)"), "as escaped text");
    let by_story = get(&app, &format!("/admin/feedback?story={story}"), &cookie).await;
    assert!(by_story.text.contains("2 entries"));
    assert!(by_story.text.contains("on “Tea and blood pressure”"));

    let csrf = csrf_in(&inbox.text);
    let (a_id, b_id) = (a.to_string(), b.to_string());
    let marked = post(
        &app,
        "/admin/feedback?status=new",
        &cookie,
        &[
            ("csrf", &csrf),
            ("id", &a_id),
            ("id", &b_id),
            ("status", "resolved"),
        ],
        &[],
    )
    .await;
    assert_eq!(marked.status, 303, "{}", marked.text);
    assert_eq!(
        marked.header("location"),
        "/admin/feedback?status=new&done=2"
    );
    let statuses: Vec<(uuid::Uuid, String)> =
        sqlx::query_as("SELECT id, status FROM feedback ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        statuses,
        [
            (a, "resolved".into()),
            (b, "resolved".into()),
            (c, "new".into())
        ]
    );
    let forged = post(
        &app,
        "/admin/feedback",
        &cookie,
        &[("csrf", "nope"), ("id", &c.to_string()), ("status", "spam")],
        &[],
    )
    .await;
    assert_eq!(forged.status, 403);

    let csv = get(&app, "/admin/feedback.csv", &cookie).await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(csv.header("content-disposition").contains("attachment"));
    let mut reader = csv::Reader::from_reader(csv.text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    let evil = rows.iter().find(|r| r[0] == c.to_string()).unwrap();
    assert_eq!(
        &evil[6], "'=HYPERLINK(\"http://evil\")",
        "formulas are defused"
    );

    let chart = get(&app, &format!("/admin/feedback/stories/{story}"), &cookie).await;
    assert_eq!(chart.status, 200);
    assert!(chart.text.contains("id=\"helpful-yes\">1<"));
    assert!(chart.text.contains("id=\"helpful-no\">1<"));
    assert!(chart.text.contains("<svg role=\"img\""));
}

#[sqlx::test]
async fn contributors_cannot_open_the_inbox(pool: PgPool) {
    dateline::service::users::create_user(
        &pool,
        "cy@example.org",
        "Cy",
        Role::Contributor,
        PASSWORD,
    )
    .await
    .unwrap();
    let app = TestApp::new(pool);
    let cookie = sign_in(&app, "cy@example.org").await;
    assert_eq!(get(&app, "/admin/feedback", &cookie).await.status, 403);
    assert_eq!(get(&app, "/admin/feedback.csv", &cookie).await.status, 403);
}

#[sqlx::test]
async fn admins_manage_users_and_tokens_and_disabling_ends_access(pool: PgPool) {
    dateline::service::users::create_user(
        &pool,
        "root@example.org",
        "Rita Admin",
        Role::Admin,
        PASSWORD,
    )
    .await
    .unwrap();
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool.clone());
    let editor_cookie = sign_in(&app, "ada@example.org").await;
    assert_eq!(
        get(&app, "/admin/users", &editor_cookie).await.status,
        403,
        "admins only"
    );
    let admin = sign_in(&app, "root@example.org").await;

    // A new user; a weak password is refused with the input kept.
    let page = get(&app, "/admin/users", &admin).await;
    assert_eq!(page.status, 200);
    let csrf = csrf_in(&page.text);
    let weak = post(
        &app,
        "/admin/users",
        &admin,
        &[
            ("csrf", &csrf),
            ("email", "cy@example.org"),
            ("name", "Cy"),
            ("role", "contributor"),
            ("password", "short"),
        ],
        &[],
    )
    .await;
    assert_eq!(weak.status, 422);
    assert!(weak.text.contains("value=\"cy@example.org\""));
    let made = post(
        &app,
        "/admin/users",
        &admin,
        &[
            ("csrf", &csrf),
            ("email", "cy@example.org"),
            ("name", "Cy"),
            ("role", "contributor"),
            ("password", PASSWORD),
        ],
        &[],
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.text);
    let cy = made
        .header("location")
        .trim_start_matches("/admin/users/")
        .to_owned();

    // Ada's role and a token for Ada.
    let ada: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'ada@example.org'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let role = post(
        &app,
        &format!("/admin/users/{ada}/role"),
        &admin,
        &[("csrf", &csrf), ("role", "contributor")],
        &[],
    )
    .await;
    assert_eq!(role.status, 303);
    let token_page = post(
        &app,
        &format!("/admin/users/{ada}/tokens"),
        &admin,
        &[("csrf", &csrf), ("name", "laptop")],
        &[],
    )
    .await;
    assert_eq!(token_page.status, 200);
    let doc = scraper::Html::parse_document(&token_page.text);
    let token = doc
        .select(&scraper::Selector::parse("#new-token").unwrap())
        .next()
        .unwrap()
        .text()
        .collect::<String>();
    assert!(token.starts_with("dl_"));
    let api = app
        .api("GET", "/api/v1/articles", Some(&token), None, &[])
        .await;
    assert_eq!(api.status, 200, "the new token works");
    let again = get(&app, &format!("/admin/users/{ada}"), &admin).await;
    assert!(!again.text.contains(&token), "shown once only");

    // Revoking stops the token.
    let token_id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM api_tokens WHERE name = 'laptop'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let revoked = post(
        &app,
        &format!("/admin/users/{ada}/tokens/{token_id}/revoke"),
        &admin,
        &[("csrf", &csrf)],
        &[],
    )
    .await;
    assert_eq!(revoked.status, 303);
    assert_eq!(
        app.api("GET", "/api/v1/articles", Some(&token), None, &[])
            .await
            .status,
        401
    );

    // Disabling ends Ada's session at once.
    assert_eq!(get(&app, "/admin", &editor_cookie).await.status, 200);
    let disabled = post(
        &app,
        &format!("/admin/users/{ada}/disable"),
        &admin,
        &[("csrf", &csrf)],
        &[],
    )
    .await;
    assert_eq!(disabled.status, 303);
    assert_eq!(get(&app, "/admin", &editor_cookie).await.status, 303);

    // No one disables or demotes themselves.
    let me: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'root@example.org'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let myself = post(
        &app,
        &format!("/admin/users/{me}/disable"),
        &admin,
        &[("csrf", &csrf)],
        &[],
    )
    .await;
    assert_eq!(myself.status, 409);
    assert!(
        get(&app, &format!("/admin/users/{cy}"), &admin)
            .await
            .text
            .contains("contributor")
    );
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action IN ('user.create', 'user.role_change', 'token.create', 'token.revoke', 'user.disable') ORDER BY created_at",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "user.create",
            "user.create",
            "user.create",
            "user.role_change",
            "token.create",
            "token.revoke",
            "user.disable"
        ]
    );
}

/// The editor form's fields as a list, from its page, with some replaced.
pub(crate) fn editor_form(html: &str, replace: &[(&str, &str)]) -> Vec<(String, String)> {
    let doc = scraper::Html::parse_document(html);
    let form = doc
        .select(&scraper::Selector::parse("form.editor-form").unwrap())
        .next()
        .expect("the editor form");
    let mut fields = Vec::new();
    for input in form.select(&scraper::Selector::parse("input, textarea").unwrap()) {
        let el = input.value();
        let Some(name) = el.attr("name") else {
            continue;
        };
        let kind = el.attr("type").unwrap_or("text");
        if (kind == "checkbox" || kind == "radio") && el.attr("checked").is_none() {
            continue;
        }
        let value = if el.name() == "textarea" {
            input.text().collect::<String>()
        } else {
            el.attr("value").unwrap_or("").to_owned()
        };
        fields.push((name.to_owned(), value));
    }
    for (name, value) in replace {
        fields.retain(|(n, _)| n != name);
        fields.push(((*name).to_owned(), (*value).to_owned()));
    }
    fields
}

pub(crate) async fn post_fields(
    app: &TestApp,
    path: &str,
    cookie: &str,
    fields: &[(String, String)],
) -> TestResponse {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    post(app, path, cookie, &pairs, &[]).await
}

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
    assert!(empty.text.contains("value=\"Kept\""), "the input is kept");

    let fields = editor_form(
        &blank.text,
        &[
            ("title", "Beetroot juice and blood pressure"),
            ("dek", "A small trial."),
            ("body_markdown", "Nitrate-rich **juice** lowered pressure."),
            ("topic", "heart"),
        ],
    );
    let created = post_fields(&app, "/admin/stories", &cookie, &fields).await;
    assert_eq!(created.status, 303, "{}", created.text);
    let edit_path = created
        .header("location")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
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
    let blank = get(&app, "/admin/stories/new", &ada).await;
    let created = post_fields(
        &app,
        "/admin/stories",
        &ada,
        &editor_form(
            &blank.text,
            &[
                ("title", "Cold water swimming"),
                ("body_markdown", "First text."),
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
async fn editors_create_and_rename_topics_and_readers_see_it_at_once(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "ada@example.org").await;
    let page = get(&app, "/admin/topics", &cookie).await;
    assert_eq!(page.status, 200);
    let csrf = csrf_in(&page.text);
    let bad = post(
        &app,
        "/admin/topics",
        &cookie,
        &[("csrf", &csrf), ("name", ""), ("description", "Kept")],
        &[],
    )
    .await;
    assert_eq!(bad.status, 422);
    assert!(bad.text.contains(">Kept</textarea>"));
    let made = post(
        &app,
        "/admin/topics",
        &cookie,
        &[
            ("csrf", &csrf),
            ("name", "Eye health"),
            ("slug", ""),
            ("description", ""),
        ],
        &[],
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.text);
    assert!(app.get("/topics").await.text.contains("Eye health"));
    let renamed = post(
        &app,
        "/admin/topics/eye-health",
        &cookie,
        &[
            ("csrf", &csrf),
            ("name", "Eyes and vision"),
            ("slug", "eye-health"),
            ("description", "Sight and its troubles."),
        ],
        &[],
    )
    .await;
    assert_eq!(renamed.status, 303, "{}", renamed.text);
    let public = app.get("/topics/eye-health").await;
    assert!(
        public.text.contains("Eyes and vision"),
        "the cached topic page was dropped"
    );
    assert!(app.get("/topics").await.text.contains("Eyes and vision"));
}

//! Signing in and out, sessions, CSRF, throttled sign-ins and the password change.

use sqlx::PgPool;

use crate::helpers::TestApp;
use crate::helpers::admin::{
    PASSWORD, csrf_in, editor, get, login_page, post, session_cookie, sign_in,
};

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

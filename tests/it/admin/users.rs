//! Users and API tokens, for admins.

use dateline::domain::policy::Role;
use sqlx::PgPool;

use crate::helpers::TestApp;
use crate::helpers::admin::{PASSWORD, csrf_in, editor, get, post, sign_in};

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

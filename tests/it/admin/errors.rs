//! The admin's own error pages: the same status and message as anywhere, in the admin's layout
//! (its header, no public search box or footer), pointing back to the dashboard.

use dateline::domain::policy::Role;
use sqlx::PgPool;

use crate::helpers::TestApp;
use crate::helpers::admin::{PASSWORD, get, sign_in};

fn assert_admin_chrome(html: &str) {
    assert!(html.contains("class=\"admin-header\""), "{html}");
    assert!(html.contains("· Dateline admin</title>"), "{html}");
    assert!(!html.contains("class=\"site-search\""), "{html}");
    assert!(!html.contains("class=\"site-footer\""), "{html}");
    assert!(
        html.contains("<a class=\"button\" href=\"/admin\">Back to the dashboard</a>"),
        "{html}"
    );
}

#[sqlx::test]
async fn a_page_the_role_may_not_open_is_an_admin_403(pool: PgPool) {
    dateline::service::users::create_user(
        &pool,
        "cleo@example.org",
        "Cleo Contributor",
        Role::Contributor,
        PASSWORD,
    )
    .await
    .unwrap();
    let app = TestApp::new(pool);
    let cookie = sign_in(&app, "cleo@example.org").await;
    for path in [
        "/admin/users",
        "/admin/audit",
        "/admin/feedback",
        "/admin/topics/x",
    ] {
        let page = get(&app, path, &cookie).await;
        assert_eq!(page.status, 403, "{path}");
        assert_admin_chrome(&page.text);
        assert!(
            page.text.contains("Sign in as someone else"),
            "{path}: {}",
            page.text
        );
    }
}

#[sqlx::test]
async fn an_unknown_admin_address_is_an_admin_404_and_public_pages_keep_theirs(pool: PgPool) {
    crate::helpers::admin::editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool);
    let cookie = sign_in(&app, "ada@example.org").await;
    for path in [
        "/admin/nope",
        "/admin/stories/not-a-uuid/revisions/x",
        "/admin/stories/01900000-0000-7000-8000-000000000000",
    ] {
        let page = get(&app, path, &cookie).await;
        assert!(
            page.status == 404 || page.status == 400,
            "{path}: {}",
            page.status
        );
        assert_admin_chrome(&page.text);
    }
    // Signed out, an unknown admin address still asks for a sign-in first.
    let signed_out = app.get("/admin/nope").await;
    assert_eq!(signed_out.status, 303);
    // The public site's error pages are unchanged.
    let public = app.get("/research-news/no-such-story").await;
    assert_eq!(public.status, 404);
    assert!(public.text.contains("class=\"site-footer\""));
    assert!(!public.text.contains("admin-header"));
}

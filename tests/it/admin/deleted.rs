//! Deleting a story from the editor, and an admin restoring it.

use sqlx::PgPool;

use crate::helpers::TestApp;
use crate::helpers::admin::{act, create_story, csrf_in, editor, get, post, sign_in};

#[sqlx::test]
async fn an_editor_deletes_a_story_from_the_browser_and_an_admin_restores_it(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    dateline::service::users::create_user(
        &pool,
        "root@example.org",
        "Ro Admin",
        dateline::domain::policy::Role::Admin,
        crate::helpers::admin::PASSWORD,
    )
    .await
    .unwrap();
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "ada@example.org").await;
    let path = create_story(&app, &cookie, &[("title", "Salt and stroke")]).await;
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

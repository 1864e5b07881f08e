//! Topics in the admin UI.

use sqlx::PgPool;

use crate::helpers::TestApp;
use crate::helpers::admin::{csrf_in, editor, get, post, sign_in};

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

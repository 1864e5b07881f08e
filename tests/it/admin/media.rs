//! The media library in the admin UI, and the lead image picked in the story editor.

use axum::body::Body;
use axum::http::Request;
use dateline::domain::policy::Role;
use sqlx::PgPool;

use crate::helpers::admin::{
    PASSWORD, create_story, csrf_in, editor, editor_form, get, id_in, post, post_fields, sign_in,
};
use crate::helpers::images::{SVG_WITH_SCRIPT, png};
use crate::helpers::{TestApp, TestResponse, multipart};

/// The library's upload form, posted as a browser posts it.
async fn upload(
    app: &TestApp,
    cookie: &str,
    csrf: &str,
    file: Option<(&str, &str, &[u8])>,
    fields: &[(&str, &str)],
) -> TestResponse {
    let mut all = vec![("csrf", csrf)];
    all.extend_from_slice(fields);
    let (content_type, body) = multipart(&all, file);
    app.request(
        Request::post("/admin/media")
            .header("cookie", cookie)
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

#[sqlx::test]
async fn editors_upload_describe_and_delete_images_and_are_told_what_happened(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "ada@example.org").await;
    let library = get(&app, "/admin/media", &cookie).await;
    assert_eq!(library.status, 200);
    assert!(library.text.contains("enctype=\"multipart/form-data\""));
    let csrf = csrf_in(&library.text);
    let bytes = png(1400, 700, None);
    let file = Some(("chart.png", "image/png", &bytes[..]));

    // No alt text: refused, the other words kept.
    let refused = upload(&app, &cookie, &csrf, file, &[("caption", "Kept caption")]).await;
    assert_eq!(refused.status, 422);
    assert!(refused.text.contains("id=\"m-alt-error\""));
    assert!(refused.text.contains("value=\"Kept caption\""));
    // Not an image: refused, said why.
    let svg = upload(
        &app,
        &cookie,
        &csrf,
        Some(("x.png", "image/png", SVG_WITH_SCRIPT)),
        &[("alt", "x")],
    )
    .await;
    assert_eq!(svg.status, 415);
    assert!(svg.text.contains("SVG is not taken"));
    // Without the form's token: refused.
    let forged = upload(&app, &cookie, "forged", file, &[("alt", "x")]).await;
    assert_eq!(forged.status, 403);

    let made = upload(
        &app,
        &cookie,
        &csrf,
        file,
        &[("alt", "Bars of the results"), ("caption", "Results.")],
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.text);
    let location = made.header("location").to_owned();
    assert!(location.ends_with("?saved=added"), "{location}");
    let page = get(&app, &location, &cookie).await;
    assert!(page.text.contains("Uploaded. Its renditions are ready"));
    assert!(
        page.text
            .contains("<code id=\"media-markdown\">![Bars of the results](/media/")
    );
    assert!(page.text.contains("Nowhere yet."));
    let item = location.split('?').next().unwrap().to_owned();
    assert!(
        get(&app, "/admin/media?q=bars", &cookie)
            .await
            .text
            .contains(&item)
    );
    assert!(
        !get(&app, "/admin/media?q=nothing", &cookie)
            .await
            .text
            .contains(&item)
    );

    // Described anew; a stale form is a conflict that keeps its text.
    let saved = post(
        &app,
        &item,
        &cookie,
        &[
            ("csrf", &csrf),
            ("alt", "Two bars"),
            ("caption", "Results."),
            ("credit", "Dateline"),
            ("version", "1"),
        ],
        &[],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    let stale = post(
        &app,
        &item,
        &cookie,
        &[
            ("csrf", &csrf),
            ("alt", "Mine"),
            ("caption", ""),
            ("credit", ""),
            ("version", "1"),
        ],
        &[],
    )
    .await;
    assert_eq!(stale.status, 409);
    assert!(stale.text.contains("value=\"Mine\""));

    // Picked as a lead image in the editor and published: not deleted, and told where.
    let id = id_in(&item);
    let blank = get(&app, "/admin/stories/new", &cookie).await;
    assert!(
        blank
            .text
            .contains(&format!("<option value=\"{id}\" data-thumbnail=\"/media/"))
    );
    assert!(
        blank
            .text
            .contains("data-insert-markdown=\"![Two bars](/media/")
    );
    let story = create_story(
        &app,
        &cookie,
        &[("title", "Pictured"), ("lead_image", &id.to_string())],
    )
    .await;
    let editor_page = get(&app, &story, &cookie).await;
    assert!(
        editor_page
            .text
            .contains(&format!("<option value=\"{id}\" data-thumbnail=\"/media/"))
    );
    assert!(editor_page.text.contains("id=\"lead-preview\""));
    let published =
        crate::helpers::admin::act(&app, &story, &cookie, &[("action", "publish")]).await;
    assert_eq!(published.status, 303, "{}", published.text);
    let public = app.get("/research-news/pictured").await;
    assert!(public.text.contains("<figure class=\"story-lead\">"));
    let uses = get(&app, &item, &cookie).await;
    assert!(uses.text.contains("Pictured (lead image)"));
    let kept = post(
        &app,
        &format!("{item}/delete"),
        &cookie,
        &[("csrf", &csrf)],
        &[],
    )
    .await;
    assert_eq!(kept.status, 409);
    assert!(
        kept.text
            .contains("Not deleted: the image is used by the story “Pictured”")
    );

    // Unused: deleted.
    let spare = upload(
        &app,
        &cookie,
        &csrf,
        Some(("s.png", "image/png", &png(300, 300, None))),
        &[("alt", "Spare")],
    )
    .await;
    let spare_item = spare
        .header("location")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let gone = post(
        &app,
        &format!("{spare_item}/delete"),
        &cookie,
        &[("csrf", &csrf)],
        &[],
    )
    .await;
    assert_eq!(gone.status, 303);
    assert_eq!(get(&app, &spare_item, &cookie).await.status, 404);

    // The editor refuses an image that is not in the library.
    let page = get(&app, "/admin/stories/new", &cookie).await;
    let fields = editor_form(
        &page.text,
        &[("title", "Bad pick"), ("lead_image", "not-an-id")],
    );
    let bad = post_fields(&app, "/admin/stories", &cookie, &fields).await;
    assert_eq!(bad.status, 422);
    assert!(bad.text.contains("id=\"lead-image-error\""));
}

#[sqlx::test]
async fn contributors_upload_but_are_offered_no_changes(pool: PgPool) {
    dateline::service::users::create_user(
        &pool,
        "cal@example.org",
        "Cal Contributor",
        Role::Contributor,
        PASSWORD,
    )
    .await
    .unwrap();
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "cal@example.org").await;
    let csrf = csrf_in(&get(&app, "/admin/media", &cookie).await.text);
    let made = upload(
        &app,
        &cookie,
        &csrf,
        Some(("c.png", "image/png", &png(500, 300, None))),
        &[("alt", "A chart")],
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.text);
    let item = made
        .header("location")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let page = get(&app, &item, &cookie).await;
    assert!(!page.text.contains("id=\"media-form\""));
    assert!(!page.text.contains("id=\"media-delete\""));
    let refused = post(&app, &item, &cookie, &[("csrf", &csrf), ("alt", "X")], &[]).await;
    assert_eq!(refused.status, 403);
    let refused = post(
        &app,
        &format!("{item}/delete"),
        &cookie,
        &[("csrf", &csrf)],
        &[],
    )
    .await;
    assert_eq!(refused.status, 403);
}

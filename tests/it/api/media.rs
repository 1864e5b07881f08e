//! `/api/v1/media` and `/media/…` (CONTRACT §9): formats by their bytes, limits, metadata
//! removed from every served file, renditions, immutable serving, and who may do what.

use dateline::domain::policy::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::images::{
    CAMERA_WORDS, GIF_POLYGLOT, SVG_WITH_SCRIPT, jpeg, jpeg_with_exif, png, png_bomb,
};
use crate::helpers::{TestApp, id_of, token_for};

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[sqlx::test]
async fn an_upload_is_made_upright_stripped_of_metadata_and_served_immutable(pool: PgPool) {
    let token = token_for(&pool, Role::Contributor).await;
    let app = TestApp::new(pool.clone());
    let original = jpeg_with_exif(1800, 1200);
    assert!(contains(&original, CAMERA_WORDS.as_bytes()));
    let created = app
        .upload(
            &token,
            Some(("holiday.jpg", "image/jpeg", &original)),
            &[
                ("alt", "A red and blue card"),
                ("caption", "The card."),
                ("credit", "Photo: a reader"),
            ],
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let media = created.json();
    assert!(created.header("location").starts_with("/api/v1/media/"));
    // EXIF orientation 6 turns it a quarter: 1200 wide, 1800 tall.
    assert_eq!(
        (media["width"].as_u64(), media["height"].as_u64()),
        (Some(1200), Some(1800))
    );
    assert_eq!(media["content_type"], "image/jpeg");
    assert_eq!(media["alt"], "A red and blue card");
    assert_eq!(media["caption"], "The card.");
    assert_eq!(media["credit"], "Photo: a reader");
    let renditions = media["renditions"].as_array().unwrap();
    let widths: Vec<(u64, &str)> = renditions
        .iter()
        .map(|r| {
            (
                r["width"].as_u64().unwrap(),
                r["content_type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        widths,
        [
            (480, "image/jpeg"),
            (480, "image/webp"),
            (800, "image/jpeg"),
            (800, "image/webp"),
            (1200, "image/jpeg"),
            (1200, "image/webp"),
        ]
    );
    assert!(media["url"].as_str().unwrap().ends_with(".jpg"));

    for rendition in renditions {
        let url = rendition["url"].as_str().unwrap();
        assert!(url.starts_with("/media/"), "{url}");
        let served = app.get(url).await;
        assert_eq!(served.status, 200, "{url}");
        assert_eq!(served.header("content-type"), rendition["content_type"]);
        assert_eq!(
            served.header("cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(served.header("x-content-type-options"), "nosniff");
        let etag = served.header("etag").to_owned();
        assert!(!etag.is_empty());
        // Nothing of the upload's metadata survives.
        for marker in [
            &b"Exif\0\0"[..],
            CAMERA_WORDS.as_bytes(),
            b"DatelineTestCam",
        ] {
            assert!(!contains(&served.bytes, marker), "{url} keeps {marker:?}");
        }
        // Upright: as wide and tall as the API says.
        let decoded = image::load_from_memory(&served.bytes).unwrap();
        assert_eq!(
            (u64::from(decoded.width()), u64::from(decoded.height())),
            (
                rendition["width"].as_u64().unwrap(),
                rendition["height"].as_u64().unwrap()
            )
        );
        // Turned clockwise: the original's left half (red) is now on top.
        let top = decoded.to_rgb8().get_pixel(decoded.width() / 2, 2).0;
        assert!(top[0] > 150 && top[2] < 100, "{url}: top is {top:?}");
        let again = app.get_with(url, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, 304);
        assert!(again.bytes.is_empty());
    }
    // The upload itself is never served, and nothing else under /media is.
    let original_hash = dateline::media::store::hash(&original);
    assert_eq!(
        app.get(&format!("/media/{original_hash}.jpg")).await.status,
        404
    );
    assert_eq!(app.get("/media/../../etc/passwd").await.status, 404);
    assert_eq!(
        app.get(&format!("/media/{}.svg", "a".repeat(64)))
            .await
            .status,
        404
    );
    // A rendition's hash under another extension names nothing.
    let url = renditions[0]["url"]
        .as_str()
        .unwrap()
        .replace(".jpg", ".png");
    assert_eq!(app.get(&url).await.status, 404);
}

#[sqlx::test]
async fn the_same_bytes_uploaded_twice_are_stored_once(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    let bytes = png(900, 600, None);
    let first = app.upload_image(&token, &bytes, "A gradient").await;
    let blobs: i64 = sqlx::query_scalar("SELECT count(*) FROM media_blobs")
        .fetch_one(&pool)
        .await
        .unwrap();
    let second = app.upload_image(&token, &bytes, "The same gradient").await;
    assert_ne!(first["id"], second["id"]);
    assert_eq!(first["renditions"], second["renditions"]);
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM media_blobs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(blobs, after, "nothing stored twice");
    assert_eq!(second["alt"], "The same gradient");
}

#[sqlx::test]
async fn files_that_are_not_images_we_take_are_refused_by_their_bytes(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    let alt = [("alt", "x")];
    // Not an image we take, whatever the name and declared type say.
    for (name, declared, bytes) in [
        ("cute.png", "image/png", SVG_WITH_SCRIPT),
        ("cute.svg", "image/svg+xml", SVG_WITH_SCRIPT),
        (
            "page.jpg",
            "image/jpeg",
            &b"<!doctype html><script>alert(1)</script>"[..],
        ),
        ("paper.gif", "image/gif", &b"%PDF-1.7\n"[..]),
    ] {
        let refused = app
            .upload(&token, Some((name, declared, bytes)), &alt)
            .await;
        let problem = refused.assert_problem(415);
        assert_eq!(problem["errors"][0]["field"], "file", "{name}");
    }
    // A GIF's signature in front of a script: not a readable image.
    let polyglot = app
        .upload(&token, Some(("x.gif", "image/gif", GIF_POLYGLOT)), &alt)
        .await;
    assert_eq!(polyglot.error_fields(), ["file"]);
    // A real image with HTML after its end: what is served is made anew, without it.
    let mut tailed = png(640, 480, None);
    tailed.extend(b"<html><script>alert(document.domain)</script></html>");
    let made = app.upload_image(&token, &tailed, "A gradient").await;
    for rendition in made["renditions"].as_array().unwrap() {
        let served = app.get(rendition["url"].as_str().unwrap()).await;
        assert!(!contains(&served.bytes, b"<script"));
    }
    // Truncated: refused, named.
    let whole = jpeg(800, 600);
    let truncated = app
        .upload(
            &token,
            Some(("half.jpg", "image/jpeg", &whole[..whole.len() / 2])),
            &alt,
        )
        .await;
    assert_eq!(truncated.error_fields(), ["file"]);
    // A bomb's header: refused from the header, before any pixel is decoded.
    let started = std::time::Instant::now();
    let bomb = app
        .upload(
            &token,
            Some(("bomb.png", "image/png", &png_bomb(100_000, 100_000))),
            &alt,
        )
        .await;
    assert_eq!(bomb.error_fields(), ["file"]);
    assert!(
        bomb.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("50 megapixels")
    );
    let just_over = app
        .upload(
            &token,
            Some(("big.png", "image/png", &png_bomb(8_000, 6_251))),
            &alt,
        )
        .await;
    assert_eq!(just_over.error_fields(), ["file"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    // Over 20 MiB: 413.
    let huge = vec![0xFFu8; 20 * 1024 * 1024 + 1];
    let too_large = app
        .upload(&token, Some(("huge.jpg", "image/jpeg", &huge)), &alt)
        .await;
    too_large.assert_problem(413);
    // A huge ICC profile: taken, and dropped from what is served.
    let icc: Vec<u8> = (0..4_000_000u32).map(|n| (n % 251) as u8).collect();
    let profiled = app
        .upload_image(&token, &png(500, 400, Some(icc)), "Profiled")
        .await;
    for rendition in profiled["renditions"].as_array().unwrap() {
        let served = app.get(rendition["url"].as_str().unwrap()).await;
        assert!(!contains(&served.bytes, b"iCCP"));
        assert!(served.bytes.len() < 1_000_000);
    }
    // Nothing was stored for what was refused.
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM media")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 2);
}

#[sqlx::test]
async fn alt_text_is_required_unless_the_image_is_decorative(pool: PgPool) {
    let token = token_for(&pool, Role::Contributor).await;
    let app = TestApp::new(pool);
    let bytes = png(300, 200, None);
    let file = Some(("a.png", "image/png", &bytes[..]));
    assert_eq!(app.upload(&token, file, &[]).await.error_fields(), ["alt"]);
    assert_eq!(
        app.upload(&token, file, &[("alt", "  ")])
            .await
            .error_fields(),
        ["alt"]
    );
    assert_eq!(
        app.upload(&token, file, &[("alt", &"x".repeat(251))])
            .await
            .error_fields(),
        ["alt"]
    );
    assert_eq!(
        app.upload(&token, None, &[("alt", "x")])
            .await
            .error_fields(),
        ["file"]
    );
    assert_eq!(
        app.upload(&token, file, &[("alt", "x"), ("size", "big")])
            .await
            .error_fields(),
        ["size"]
    );
    // A field sent twice, or a decorative that is not spelled true or false: refused, named.
    assert_eq!(
        app.upload(&token, file, &[("alt", "one"), ("alt", "two")])
            .await
            .error_fields(),
        ["alt"]
    );
    for odd in ["1", "on", "", "null"] {
        assert_eq!(
            app.upload(&token, file, &[("alt", "x"), ("decorative", odd)])
                .await
                .error_fields(),
            ["decorative"],
            "{odd:?}"
        );
    }
    let decorative = app
        .upload(&token, file, &[("decorative", "true"), ("alt", "ignored")])
        .await;
    assert_eq!(decorative.status, 201, "{}", decorative.text);
    assert_eq!(decorative.json()["alt"], "");
    assert_eq!(decorative.json()["decorative"], true);
    // JSON is not how images are sent.
    app.api(
        "POST",
        "/api/v1/media",
        Some(&token),
        Some(json!({"alt": "x"})),
        &[],
    )
    .await
    .assert_problem(415);
}

#[sqlx::test]
async fn editors_change_what_an_image_says_and_delete_only_what_nothing_public_shows(pool: PgPool) {
    let editor = token_for(&pool, Role::Editor).await;
    let contributor = token_for(&pool, Role::Contributor).await;
    let app = TestApp::new(pool);
    let image = app
        .upload_image(&contributor, &png(1300, 700, None), "A chart")
        .await;
    let id = image["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/media/{id}");
    // Contributors upload and read, but do not change or delete.
    app.api(
        "PATCH",
        &path,
        Some(&contributor),
        Some(json!({"alt": "X"})),
        &[],
    )
    .await
    .assert_problem(403);
    app.api("DELETE", &path, Some(&contributor), None, &[])
        .await
        .assert_problem(403);
    let listed = app
        .api(
            "GET",
            "/api/v1/media?q=chart",
            Some(&contributor),
            None,
            &[],
        )
        .await;
    assert_eq!(listed.json()["total"], 1);

    let changed = app
        .api(
            "PATCH",
            &path,
            Some(&editor),
            Some(json!({"alt": "A bar chart", "caption": "Results."})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.json()["alt"], "A bar chart");
    assert_eq!(changed.json()["version"], 2);
    app.api(
        "PATCH",
        &path,
        Some(&editor),
        Some(json!({"alt": "Stale"})),
        &[("if-match", "\"1\"")],
    )
    .await
    .assert_problem(412);
    assert_eq!(
        app.api("PATCH", &path, Some(&editor), Some(json!({"alt": ""})), &[])
            .await
            .error_fields(),
        ["alt"]
    );

    // Used as the lead image of a published story: not deleted, and told where.
    let story = app
        .create_article(&editor, json!({"title": "Charted", "lead_image": id}))
        .await;
    app.action(&editor, &id_of(&story), "publish", None).await;
    let shown = app.api("GET", &path, Some(&editor), None, &[]).await.json();
    assert_eq!(shown["used_by"][0]["kind"], "lead_image");
    assert_eq!(shown["used_by"][0]["published"], true);
    let refused = app.api("DELETE", &path, Some(&editor), None, &[]).await;
    assert!(
        refused.assert_problem(409)["detail"]
            .as_str()
            .unwrap()
            .contains("Charted")
    );
    // A person's photo: the same.
    let other = app
        .upload_image(&editor, &png(400, 400, None), "A portrait")
        .await;
    let other_id = other["id"].as_str().unwrap();
    let person = app
        .api(
            "POST",
            "/api/v1/people",
            Some(&editor),
            Some(json!({"name": "Kim Lee", "photo": other_id})),
            &[],
        )
        .await;
    assert_eq!(person.status, 201, "{}", person.text);
    app.api(
        "DELETE",
        &format!("/api/v1/media/{other_id}"),
        Some(&editor),
        None,
        &[],
    )
    .await
    .assert_problem(409);
    // Unused: deleted; its files stay served at their addresses.
    let spare = app
        .upload_image(&editor, &png(500, 300, None), "Spare")
        .await;
    let spare_id = spare["id"].as_str().unwrap();
    let gone = app
        .api(
            "DELETE",
            &format!("/api/v1/media/{spare_id}"),
            Some(&editor),
            None,
            &[],
        )
        .await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    app.api(
        "GET",
        &format!("/api/v1/media/{spare_id}"),
        Some(&editor),
        None,
        &[],
    )
    .await
    .assert_problem(404);
    assert_eq!(app.get(spare["url"].as_str().unwrap()).await.status, 200);
    // A deleted image cannot be picked.
    assert_eq!(
        app.api(
            "POST",
            "/api/v1/articles",
            Some(&editor),
            Some(json!({"title": "T", "lead_image": spare_id})),
            &[]
        )
        .await
        .error_fields(),
        ["lead_image"]
    );
    assert_eq!(
        app.api(
            "PATCH",
            "/api/v1/people/kim-lee",
            Some(&editor),
            Some(json!({"photo": spare_id})),
            &[]
        )
        .await
        .error_fields(),
        ["photo"]
    );
}

#[sqlx::test]
async fn a_story_with_an_image_lacking_alt_text_is_not_published(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let chart = app
        .upload_image(&token, &png(1300, 700, None), "A chart")
        .await;
    let pattern = app
        .upload(
            &token,
            Some(("p.png", "image/png", &png(600, 300, None))),
            &[("decorative", "true")],
        )
        .await
        .json();
    let chart_url = chart["renditions"][4]["url"].as_str().unwrap().to_owned();
    let pattern_url = pattern["url"].as_str().unwrap().to_owned();
    let story = app
        .create_article(
            &token,
            json!({"title": "Pictured", "body_markdown": format!("Text.\n\n![]({chart_url})\n\n![](https://elsewhere.example/x.png)")}),
        )
        .await;
    let id = id_of(&story);
    let refused = app
        .api(
            "POST",
            &format!("/api/v1/articles/{id}/publish"),
            Some(&token),
            None,
            &[],
        )
        .await;
    let problem = refused.assert_problem(409);
    assert_eq!(problem["errors"][0]["field"], "body_markdown");
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains(&chart_url) && message.contains("elsewhere.example"),
        "{message}"
    );
    // Described (and a decorative image of the library left without words): published.
    let fixed = app
        .api(
            "PATCH",
            &format!("/api/v1/articles/{id}"),
            Some(&token),
            Some(json!({"body_markdown": format!("Text.\n\n![A chart of the results]({chart_url})\n\n![]({pattern_url})")})),
            &[("if-match", "*")],
        )
        .await;
    assert_eq!(fixed.status, 200, "{}", fixed.text);
    // The library's images get their size in the body, so nothing shifts while loading.
    let html = fixed.json()["body_html"].as_str().unwrap().to_owned();
    assert!(
        html.contains(&format!(
            "src=\"{chart_url}\" alt=\"A chart of the results\" width=\"1200\" height=\"646\""
        )),
        "{html}"
    );
    app.action(&token, &id, "publish", None).await;
    // Once published, an edit cannot take an image's words away.
    let edit = app
        .api(
            "PATCH",
            &format!("/api/v1/articles/{id}"),
            Some(&token),
            Some(json!({"body_markdown": format!("![]({chart_url})")})),
            &[("if-match", "*")],
        )
        .await;
    assert_eq!(
        edit.assert_problem(409)["errors"][0]["field"],
        "body_markdown"
    );
}

//! The rendered-page cache: HTTP caching headers, `304`, compressed variants, eviction by the
//! service layer's changes, and several instances kept fresh through LISTEN/NOTIFY.

use std::io::Read;
use std::time::{Duration, Instant};

use dateline::domain::policy::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::server::exchange;
use crate::helpers::server::start_server;
use crate::helpers::{ArticleBuilder, TestApp, id_of, insert_topic, token_for};

#[sqlx::test]
async fn public_pages_carry_strong_etags_cdn_headers_and_answer_304(pool: PgPool) {
    insert_topic(&pool, "heart", "Heart", "").await;
    let id = ArticleBuilder::new("Statins and memory")
        .slug("statins")
        .topics(&["heart"])
        .insert(&pool)
        .await;
    let app = TestApp::new(pool.clone());
    let first = app.get("/research-news/statins").await;
    assert_eq!(first.status, 200);
    let etag = first.header("etag").to_owned();
    assert!(!etag.is_empty(), "an ETag");
    assert!(
        etag.starts_with('"') && !etag.starts_with("W/"),
        "strong: {etag}"
    );
    let cache_control = first.header("cache-control");
    for part in ["public", "max-age=", "s-maxage=", "stale-while-revalidate="] {
        assert!(cache_control.contains(part), "{cache_control}");
    }
    assert_eq!(first.header("vary"), "Accept-Encoding");
    let keys = first.header("surrogate-key");
    assert!(
        keys.split(' ').any(|k| k == format!("article-{id}")),
        "{keys}"
    );
    // The topics it links to, whose names it shows: a topic rename purges it.
    assert!(keys.split(' ').any(|k| k == "topic-heart"), "{keys}");

    // From the cache: the same bytes and the same ETag.
    let second = app.get("/research-news/statins").await;
    assert_eq!(second.text, first.text);
    assert_eq!(second.header("etag"), etag);

    let not_modified = app
        .get_with("/research-news/statins", &[("if-none-match", &etag)])
        .await;
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.text.is_empty());
    assert_eq!(not_modified.header("etag"), etag);
    // RFC 9110 (8.6): a `304` may only carry the length the `200` would have; it carries none.
    assert!(!not_modified.headers.contains_key("content-length"));
    let changed = app
        .get_with("/research-news/statins", &[("if-none-match", "\"other\"")])
        .await;
    assert_eq!(changed.status, 200);
    // Rendered through the whole stack (no cache), a `304` has no length either.
    let mut config = dateline::config::Config::for_tests(crate::helpers::BASE_URL);
    config.cache_bytes = 0;
    let uncached = TestApp::with_config(pool.clone(), config);
    // The page carries a form token stamped to the second: asked for twice within one second,
    // it is the same page (a loaded machine may need another try).
    let mut tries = 0;
    let not_modified = loop {
        let etag = uncached
            .get("/research-news/statins")
            .await
            .header("etag")
            .to_owned();
        let answer = uncached
            .get_with("/research-news/statins", &[("if-none-match", &etag)])
            .await;
        tries += 1;
        if answer.status == 304 || tries == 5 {
            break answer;
        }
    };
    assert_eq!(not_modified.status, 304);
    assert!(!not_modified.headers.contains_key("content-length"));

    // Every cacheable page kind gets the headers and its keys.
    for (path, key) in [
        ("/", "list"),
        ("/research-news", "list"),
        ("/archive", "list"),
        ("/topics/heart", "topic-heart"),
        ("/feed.xml", "feed"),
        ("/topics/heart/feed.xml", "topic-heart"),
        ("/sitemap.xml", "sitemap"),
        ("/news-sitemap.xml", "sitemap"),
        ("/corrections", "corrections"),
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(!page.header("etag").is_empty(), "{path}");
        let keys = page.header("surrogate-key");
        assert!(keys.split(' ').any(|k| k == key), "{path}: {keys}");
    }
}

/// Cache hits are answered at the front of the stack (`web::front`); the answer must be the
/// one the whole stack gives on a miss: every header, the same bytes.
#[sqlx::test]
async fn a_cache_hit_carries_every_header_the_full_stack_gives(pool: PgPool) {
    ArticleBuilder::new("Walking after meals")
        .slug("walking")
        .insert(&pool)
        .await;
    let names = |response: &crate::helpers::TestResponse| {
        let mut names: Vec<String> = response
            .headers
            .keys()
            .map(|n| n.as_str().to_owned())
            .collect();
        names.sort();
        names
    };
    for accept in ["br, gzip", "gzip", "identity"] {
        let headers = [("accept-encoding", accept)];
        // A new app: an empty cache.
        let app = TestApp::new(pool.clone());
        let miss = app.get_with("/research-news/walking", &headers).await;
        let hit = app.get_with("/research-news/walking", &headers).await;
        assert_eq!(miss.status, 200);
        assert_eq!(hit.status, 200);
        assert_eq!(names(&hit), names(&miss), "{accept}");
        for (name, value) in &miss.headers {
            if name != "x-request-id" {
                assert_eq!(hit.headers.get(name), Some(value), "{accept}: {name}");
            }
        }
        assert_ne!(hit.header("x-request-id"), miss.header("x-request-id"));
        assert_eq!(hit.bytes, miss.bytes, "{accept}");
        for name in [
            "content-security-policy",
            "x-content-type-options",
            "referrer-policy",
            "permissions-policy",
            "x-frame-options",
            "surrogate-key",
        ] {
            assert!(!hit.header(name).is_empty(), "{accept}: {name}");
        }
    }
    // A client's request id is kept; a `304` from the cache carries the same headers too.
    let app = TestApp::new(pool);
    let etag = app
        .get("/research-news/walking")
        .await
        .header("etag")
        .to_owned();
    let not_modified = app
        .get_with(
            "/research-news/walking",
            &[("if-none-match", &etag), ("x-request-id", "trace-42")],
        )
        .await;
    assert_eq!(not_modified.status, 304);
    assert!(!not_modified.headers.contains_key("content-length"));
    assert_eq!(not_modified.header("x-request-id"), "trace-42");
    assert!(!not_modified.header("content-security-policy").is_empty());
    // Limits hold for cached pages as for any other.
    let huge = "x".repeat(9 * 1024);
    let refused = app
        .get_with("/research-news/walking", &[("x-padding", &huge)])
        .await;
    assert_eq!(refused.status, 431);
}

#[sqlx::test]
async fn compressed_variants_decode_to_the_same_page(pool: PgPool) {
    ArticleBuilder::new("Coffee and heart rhythm")
        .slug("coffee")
        .insert(&pool)
        .await;
    let app = TestApp::new(pool);
    let plain = app.get("/research-news/coffee").await;
    for (accept, coding) in [("gzip, deflate, br", "br"), ("gzip", "gzip")] {
        // Twice: the render, then the cache.
        for _ in 0..2 {
            let response = app
                .get_with("/research-news/coffee", &[("accept-encoding", accept)])
                .await;
            assert_eq!(response.header("content-encoding"), coding);
            assert_ne!(
                response.header("etag"),
                plain.header("etag"),
                "variants have their own ETag"
            );
            let mut decoded = String::new();
            match coding {
                "br" => brotli::Decompressor::new(&response.bytes[..], 4096)
                    .read_to_string(&mut decoded)
                    .unwrap(),
                _ => flate2::read::GzDecoder::new(&response.bytes[..])
                    .read_to_string(&mut decoded)
                    .unwrap(),
            };
            assert_eq!(decoded, plain.text);
        }
    }
}

#[sqlx::test]
async fn an_edit_shows_at_once_on_its_page_lists_topic_pages_and_feeds(pool: PgPool) {
    insert_topic(&pool, "sleep", "Sleep", "").await;
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let created = app
        .create_article(
            &token,
            json!({"title": "Naps and blood pressure", "slug": "naps", "topics": ["sleep"]}),
        )
        .await;
    let id = id_of(&created);
    app.action(&token, &id, "publish", None).await;
    let pages = [
        "/research-news/naps",
        "/",
        "/topics/sleep",
        "/feed.xml",
        "/research-news",
    ];
    for path in pages {
        assert!(
            app.get(path).await.text.contains("Naps and blood pressure"),
            "{path}"
        );
    }
    let edited = app
        .api(
            "PATCH",
            &format!("/api/v1/articles/{id}"),
            Some(&token),
            Some(
                json!({"title": "Afternoon naps and blood pressure", "change_kind": "update",
                        "change_note": "Clearer title."}),
            ),
            &[("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.text);
    for path in pages {
        assert!(
            app.get(path)
                .await
                .text
                .contains("Afternoon naps and blood pressure"),
            "{path} still shows the old title"
        );
    }
    app.action(&token, &id, "withdraw", None).await;
    assert_eq!(app.get("/research-news/naps").await.status, 410);
    assert!(!app.get("/").await.text.contains("Afternoon naps"));
}

#[sqlx::test]
async fn an_api_edit_evicts_what_its_change_event_names_and_nothing_else(pool: PgPool) {
    insert_topic(&pool, "heart", "Heart", "Heart studies.").await;
    insert_topic(&pool, "skin", "Skin", "Skin studies.").await;
    let a = ArticleBuilder::new("Statins and memory")
        .slug("a")
        .topics(&["heart"])
        .insert(&pool)
        .await;
    ArticleBuilder::new("Sunscreen and melanoma")
        .slug("b")
        .topics(&["skin"])
        .insert(&pool)
        .await;
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    for path in [
        "/topics/skin",
        "/research-news/b",
        "/topics/heart",
        "/research-news/a",
    ] {
        assert_eq!(app.get(path).await.status, 200);
    }
    // Changed behind the cache's back: a page still cached shows the old text.
    sqlx::query("UPDATE topics SET description = 'Changed behind the cache.' WHERE slug = 'skin'")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE articles SET title = 'B, changed behind the cache' WHERE slug = 'b'")
        .execute(&pool)
        .await
        .unwrap();
    let edited = app
        .api(
            "PATCH",
            &format!("/api/v1/articles/{a}"),
            Some(&token),
            Some(json!({"title": "Statins and memory, revisited"})),
            &[("if-match", "*")],
        )
        .await;
    assert_eq!(edited.status, 200);
    // The story's page and its topic's list change at once…
    assert!(
        app.get("/research-news/a")
            .await
            .text
            .contains("Statins and memory, revisited")
    );
    assert!(
        app.get("/topics/heart")
            .await
            .text
            .contains("Statins and memory, revisited")
    );
    // …and pages the event does not name stay cached (not every topic's list, as when the
    // eviction was guessed from the request's address).
    assert!(app.get("/topics/skin").await.text.contains("Skin studies."));
    assert!(
        app.get("/research-news/b")
            .await
            .text
            .contains("Sunscreen and melanoma")
    );
}

#[sqlx::test]
async fn cached_story_pages_still_count_views(pool: PgPool) {
    let id = ArticleBuilder::new("Walking pace")
        .slug("walking")
        .insert(&pool)
        .await;
    let state = dateline::state::AppState::new(
        dateline::config::Config::for_tests(crate::helpers::BASE_URL),
        pool.clone(),
    );
    let app = TestApp::from_state(state.clone());
    for _ in 0..3 {
        assert_eq!(app.get("/research-news/walking").await.status, 200);
    }
    let bot = app
        .get_with("/research-news/walking", &[("user-agent", "Googlebot/2.1")])
        .await;
    assert_eq!(bot.status, 200);
    state.views.flush(&pool).await.unwrap();
    let views: i64 =
        sqlx::query_scalar("SELECT sum(views)::bigint FROM page_views WHERE article_id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        views, 3,
        "one render and two cached answers; the bot is left out"
    );
}

#[sqlx::test]
async fn api_preview_and_feedback_answers_are_never_stored(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let list = app
        .api("GET", "/api/v1/articles", Some(&token), None, &[])
        .await;
    assert_eq!(list.header("cache-control"), "no-store");
    let unauthorised = app.api("GET", "/api/v1/articles", None, None, &[]).await;
    assert_eq!(unauthorised.header("cache-control"), "no-store");
    let preview = app.get("/preview/not-a-token").await;
    assert_eq!(preview.header("cache-control"), "no-store");
    assert!(preview.header("etag").is_empty());
}

/// Polls `path` on `address` until its body contains `text`; returns how long it took.
async fn wait_for(address: &str, path: &str, text: &str, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        let (status, body) = exchange(address, "GET", path, &[], None).await;
        if status == 200 && body.contains(text) {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[sqlx::test]
async fn an_edit_through_one_instance_is_served_by_another_within_a_second(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let (_a, _a_log, a) = start_server(&pool).await;
    let (_b, _b_log, b) = start_server(&pool).await;
    let auth = format!("Bearer {token}");
    let auth = [("Authorization", auth.as_str())];

    let (status, body) = exchange(
        &a,
        "POST",
        "/api/v1/articles",
        &auth,
        Some(&json!({"title": "Fasting and migraine", "slug": "fasting"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = exchange(
        &a,
        "POST",
        &format!("/api/v1/articles/{id}/publish"),
        &auth,
        None,
    )
    .await;
    assert_eq!(status, 200);

    // B renders and caches the story and its front page.
    for _ in 0..2 {
        assert!(
            wait_for(
                &b,
                "/research-news/fasting",
                "Fasting and migraine",
                Duration::from_secs(2)
            )
            .await
            .is_some()
        );
        assert!(
            wait_for(&b, "/", "Fasting and migraine", Duration::from_secs(2))
                .await
                .is_some()
        );
    }

    let (status, body) = exchange(
        &a,
        "PATCH",
        &format!("/api/v1/articles/{id}"),
        &[auth[0], ("If-Match", "\"2\"")],
        Some(
            &json!({"title": "Intermittent fasting and migraine", "change_kind": "update",
                     "change_note": "Clearer title."}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let story = wait_for(
        &b,
        "/research-news/fasting",
        "Intermittent fasting",
        Duration::from_secs(1),
    )
    .await;
    let front = wait_for(&b, "/", "Intermittent fasting", Duration::from_secs(1)).await;
    assert!(
        story.is_some() && front.is_some(),
        "B still serves the old title after 1 s"
    );
}

#[sqlx::test]
async fn a_topic_renamed_through_one_instance_shows_on_another_s_story_pages_within_a_second(
    pool: PgPool,
) {
    insert_topic(&pool, "heart", "Heart health", "").await;
    ArticleBuilder::new("Statins and memory")
        .slug("statins")
        .topics(&["heart"])
        .insert(&pool)
        .await;
    let token = token_for(&pool, Role::Editor).await;
    let (_a, _a_log, a) = start_server(&pool).await;
    let (_b, _b_log, b) = start_server(&pool).await;
    // B caches the story page and the topic index, both showing the old name.
    for _ in 0..2 {
        for path in ["/research-news/statins", "/topics"] {
            assert!(
                wait_for(&b, path, "Heart health", Duration::from_secs(2))
                    .await
                    .is_some(),
                "{path}"
            );
        }
    }
    let auth = format!("Bearer {token}");
    let (status, body) = exchange(
        &a,
        "PATCH",
        "/api/v1/topics/heart",
        &[("Authorization", auth.as_str())],
        Some(&json!({"name": "Cardiology"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for path in ["/research-news/statins", "/topics"] {
        assert!(
            wait_for(&b, path, "Cardiology", Duration::from_secs(1))
                .await
                .is_some(),
            "B still shows the old topic name on {path} after 1 s"
        );
    }
}

#[sqlx::test]
async fn after_losing_its_listener_connection_an_instance_drops_its_cache(pool: PgPool) {
    let id = ArticleBuilder::new("Salt substitutes")
        .slug("salt")
        .insert(&pool)
        .await;
    let (_server, _log, address) = start_server(&pool).await;
    for _ in 0..2 {
        assert!(
            wait_for(
                &address,
                "/research-news/salt",
                "Salt substitutes",
                Duration::from_secs(2)
            )
            .await
            .is_some()
        );
    }
    // Cut the LISTEN connection, then change the story behind the server's back (no event).
    let cut: i64 = sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
         WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(cut, 1, "one listener connection");
    sqlx::query("UPDATE articles SET title = 'Potassium-rich salt substitutes' WHERE id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    assert!(
        wait_for(
            &address,
            "/research-news/salt",
            "Potassium-rich",
            Duration::from_secs(5)
        )
        .await
        .is_some(),
        "the cache was not dropped after the listener reconnected"
    );
}

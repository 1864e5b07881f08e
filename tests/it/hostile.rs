//! Classes of input that used to break a page, a feed or an editor's list after they were
//! accepted: dates outside the years Dateline takes, control characters pasted from PDFs,
//! bodies that never arrive, and what stored values of those kinds do to every later read.
//! Each test sends the class, then reads back everything that shows the value.

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use dateline::domain::policy::Role;
use serde_json::json;
use sqlx::PgPool;
use time::macros::datetime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::admin::{editor, get, sign_in};
use crate::helpers::{ArticleBuilder, TestApp, id_of, insert_topic, token_for};

/// Every `datetime="…"` value in a page.
fn datetimes(html: &str) -> Vec<String> {
    html.split("datetime=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap_or_default().to_owned())
        .collect()
}

/// Whether an XML document is well-formed (roxmltree refuses every character XML forbids).
fn well_formed(xml: &str) -> Result<(), String> {
    roxmltree::Document::parse(xml)
        .map(|_| ())
        .map_err(|err| err.to_string())
}

#[sqlx::test]
async fn dates_outside_the_years_dateline_takes_are_refused_with_the_field_named(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let story = app
        .create_article(&token, json!({"title": "A story"}))
        .await;
    let id = id_of(&story);
    for at in [
        // Year 0 with a positive offset is year -1 in UTC.
        "0000-01-01T00:00:00+01:00",
        // Year 9999 with a negative offset is year 10000 in UTC.
        "9999-12-31T23:00:00-05:00",
        "1899-12-31T23:59:59Z",
        "2200-01-01T00:00:00Z",
    ] {
        let answer = app
            .api(
                "POST",
                &format!("/api/v1/articles/{id}/publish"),
                Some(&token),
                Some(json!({ "at": at })),
                &[],
            )
            .await;
        assert_eq!(answer.error_fields(), ["at"], "{at}: {}", answer.text);
    }
    for (body, field) in [
        (
            json!({"study": {"presented_at": "0001-01-01"}}),
            "study.presented_at",
        ),
        (
            json!({"review": {"last_reviewed": "9999-12-31"}}),
            "review.last_reviewed",
        ),
        (
            json!({"review": {"next_review_due": "2200-01-01"}}),
            "review.next_review_due",
        ),
    ] {
        let answer = app
            .api(
                "PATCH",
                &format!("/api/v1/articles/{id}"),
                Some(&token),
                Some(body),
                &[("if-match", "*")],
            )
            .await;
        assert_eq!(answer.error_fields(), [field], "{}", answer.text);
        let created = app
            .api(
                "POST",
                "/api/v1/articles",
                Some(&token),
                Some(json!({"title": "Another", "study": {"presented_at": "0001-01-01"}})),
                &[],
            )
            .await;
        assert_eq!(created.error_fields(), ["study.presented_at"]);
    }
    // The window's edges are taken.
    let published = app
        .action(
            &token,
            &id,
            "publish",
            Some(json!({"at": "1900-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(published["published_at"], "1900-01-01T00:00:00Z");
    // Nothing broke: the editors' list still answers.
    let list = app
        .api("GET", "/api/v1/articles", Some(&token), None, &[])
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
}

#[sqlx::test]
async fn a_stored_date_outside_the_window_breaks_no_read(pool: PgPool) {
    // Rows written before the window was enforced: a dateline in year -1 (UTC) and review dates
    // in year 0 and 9999.
    let id = ArticleBuilder::new("An ancient story")
        .slug("ancient")
        .published_at(datetime!(-0001-12-31 23:00 UTC))
        .insert(&pool)
        .await;
    sqlx::query(
        "UPDATE articles SET review = '{\"reviewed_by\": \"Dr. A\", \"last_reviewed\": \"0000-01-01\", \"next_review_due\": \"9999-12-31\"}' WHERE id = $1",
    )
    .bind(id)
    .execute(&pool)
    .await
    .unwrap();
    let token = token_for(&pool, Role::Admin).await;
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool.clone());

    let list = app
        .api("GET", "/api/v1/articles", Some(&token), None, &[])
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(
        list.json()["items"][0]["published_at"],
        "-0001-12-31T23:00:00Z"
    );
    let one = app
        .api(
            "GET",
            &format!("/api/v1/articles/{id}"),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(one.status, 200, "{}", one.text);
    for path in [
        "/",
        "/research-news",
        "/research-news/ancient",
        "/archive",
        "/feed.xml",
        "/sitemap.xml",
        "/news-sitemap.xml",
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.text);
    }
    assert!(well_formed(&app.get("/feed.xml").await.text).is_ok());
    let cookie = sign_in(&app, "ada@example.org").await;
    for path in ["/admin", &format!("/admin/stories/{id}")] {
        let page = get(&app, path, &cookie).await;
        assert_eq!(page.status, 200, "{path}: {}", page.text);
    }
    // A change writes a revision of the whole story, dates included.
    let unpublished = app
        .api(
            "POST",
            &format!("/api/v1/articles/{id}/unpublish"),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(unpublished.status, 200, "{}", unpublished.text);
}

#[sqlx::test]
async fn control_characters_pasted_from_pdfs_are_stripped_on_the_way_in(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let pasted = "Remission\u{c}rates\u{b}rose\u{1}\u{7f}\u{85}in\u{fffe}\u{ffff}\u{9f} the trial";
    let topic = app
        .api(
            "POST",
            "/api/v1/topics",
            Some(&token),
            Some(
                json!({"name": format!("Breast\u{c}cancer\u{fffe}"), "slug": "breast-cancer",
                        "description": "Line one\u{c}line two\u{1}"}),
            ),
            &[],
        )
        .await;
    assert_eq!(topic.status, 201, "{}", topic.text);
    assert_eq!(topic.json()["name"], "Breast cancer");
    assert_eq!(topic.json()["description"], "Line one\nline two");
    let story = app
        .create_article(
            &token,
            json!({
                "title": pasted, "dek": pasted, "body_markdown": format!("{pasted}\u{c}\r\nNext line"),
                "topics": ["breast-cancer"],
                "study": {"citation": pasted}, "review": {"reviewed_by": pasted},
            }),
        )
        .await;
    let clean = "Remission rates rose in the trial";
    assert_eq!(story["title"], clean);
    assert_eq!(story["dek"], clean);
    // In a body, page and line breaks stay breaks.
    assert_eq!(
        story["body_markdown"],
        "Remission\nrates\nrose\nin the trial\n\nNext line"
    );
    assert_eq!(story["study"]["citation"], clean);
    assert_eq!(story["review"]["reviewed_by"], clean);
    let id = id_of(&story);
    let corrected = app
        .api(
            "PATCH",
            &format!("/api/v1/articles/{id}"),
            Some(&token),
            Some(json!({"change_kind": "correction", "change_note": "Fixed\u{c}the \u{1}rate", "dek": "x"})),
            &[("if-match", "*")],
        )
        .await;
    assert_eq!(corrected.status, 200, "{}", corrected.text);
    let revisions = app
        .api(
            "GET",
            &format!("/api/v1/articles/{id}/revisions"),
            Some(&token),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(revisions["items"][0]["change_note"], "Fixed the rate");
}

#[sqlx::test]
async fn feeds_and_sitemaps_stay_well_formed_whatever_text_was_stored(pool: PgPool) {
    insert_topic(&pool, "heart", "Heart", "").await;
    let now = time::OffsetDateTime::now_utc();
    let id = ArticleBuilder::new("Stored before cleaning")
        .slug("stored")
        .topics(&["heart"])
        .published_at(now - time::Duration::hours(1))
        .insert(&pool)
        .await;
    // Rows written before input was cleaned.
    let dirty = "Pasted\u{c}from\u{b}a\u{1}PDF\u{fffe}\u{ffff}\u{85}";
    sqlx::query(
        "UPDATE articles SET title = $2, dek = $2, body_html = '<p>' || $2 || '</p>' WHERE id = $1",
    )
    .bind(id)
    .bind(dirty)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("UPDATE topics SET name = $1 WHERE slug = 'heart'")
        .bind(dirty)
        .execute(&pool)
        .await
        .unwrap();
    let app = TestApp::new(pool);
    for path in [
        "/feed.xml",
        "/topics/heart/feed.xml",
        "/news-sitemap.xml",
        "/sitemap.xml",
    ] {
        let xml = app.get(path).await;
        assert_eq!(xml.status, 200, "{path}");
        assert_eq!(well_formed(&xml.text), Ok(()), "{path}:\n{}", xml.text);
    }
    let feed = crate::public::discovery::feedparser(&app.get("/feed.xml").await.text);
    assert_eq!(feed["bozo"], false, "{feed}");
    assert_eq!(feed["entries"][0]["title"], "PastedfromaPDF");
}

#[sqlx::test]
async fn html_datetimes_never_carry_more_than_three_fraction_digits(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let topic = app
        .api(
            "POST",
            "/api/v1/topics",
            Some(&token),
            Some(json!({"name": "Heart", "slug": "heart"})),
            &[],
        )
        .await;
    assert_eq!(topic.status, 201);
    // Published through the API: every stored moment has microseconds.
    let story = app
        .create_article(
            &token,
            json!({"title": "Statins and memory", "body_markdown": "Statins.", "topics": ["heart"]}),
        )
        .await;
    let id = id_of(&story);
    app.action(&token, &id, "publish", None).await;
    let corrected = app
        .api(
            "PATCH",
            &format!("/api/v1/articles/{id}"),
            Some(&token),
            Some(json!({"change_kind": "correction", "change_note": "A figure was wrong."})),
            &[("if-match", "*")],
        )
        .await;
    assert_eq!(corrected.status, 200);
    app.action(&token, &id, "archive", None).await;
    let mut seen = 0;
    for path in [
        "/",
        "/research-news",
        "/research-news/statins-and-memory",
        "/topics/heart",
        "/archive",
        "/corrections",
        "/search?q=statins",
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        for value in datetimes(&page.text) {
            seen += 1;
            let fraction = value
                .split_once('.')
                .map_or(0, |(_, rest)| rest.trim_end_matches('Z').len());
            assert!(fraction <= 3, "{path}: datetime=\"{value}\"");
        }
    }
    assert!(seen >= 7, "{seen} datetime attributes");
}

/// A request body that never ends: it sends `first`, then waits forever.
fn endless_body(first: &'static [u8]) -> Body {
    let stream = futures_util::stream::unfold(Some(first), |first| async move {
        match first {
            Some(bytes) => Some((
                Ok::<_, std::io::Error>(axum::body::Bytes::from_static(bytes)),
                None,
            )),
            None => std::future::pending().await,
        }
    });
    Body::from_stream(stream)
}

#[sqlx::test]
async fn a_body_declared_over_the_limit_is_refused_at_once(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    ArticleBuilder::new("Story")
        .slug("story")
        .insert(&pool)
        .await;
    let app = TestApp::new(pool);
    for (path, content_type, problem) in [
        ("/api/v1/articles", "application/json", true),
        ("/admin/login", "application/x-www-form-urlencoded", false),
        (
            "/research-news/story/feedback",
            "application/x-www-form-urlencoded",
            false,
        ),
        ("/research-news/story/feedback", "application/json", true),
    ] {
        let request = Request::post(path)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", content_type)
            .header("content-length", "50000000")
            .body(endless_body(b"{"))
            .unwrap();
        // Before, this waited for the 30-second time-out and answered 503.
        let answer = tokio::time::timeout(Duration::from_secs(5), app.request(request))
            .await
            .unwrap_or_else(|_| panic!("{path}: no answer while the body was still coming"));
        assert_eq!(answer.status, 413, "{path}: {}", answer.text);
        assert_eq!(answer.header("connection"), "close");
        if problem {
            answer.assert_problem(413);
        } else {
            assert!(answer.header("content-type").starts_with("text/html"));
        }
    }
}

#[sqlx::test]
async fn a_body_that_stops_arriving_is_answered_408(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let mut config = dateline::config::Config::for_tests(crate::helpers::BASE_URL);
    config.body_timeout = Duration::from_secs(1);
    let app = TestApp::with_config(pool, config);
    let request = Request::post("/api/v1/articles")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("content-length", "100")
        .body(endless_body(b"{\"title\": \"Half"))
        .unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(10), app.request(request))
        .await
        .expect("answered after the body time-out");
    answer.assert_problem(408);
}

#[sqlx::test(migrations = false)]
async fn a_connection_that_never_finishes_its_headers_is_closed(pool: PgPool) {
    let (_child, _lines, address) =
        crate::helpers::server::start_server_with(&pool, &[("DATELINE_HEADER_TIMEOUT_SECS", "1")])
            .await;
    let mut slow = tokio::net::TcpStream::connect(&address).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let mut buffer = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(10), slow.read(&mut buffer))
        .await
        .expect("the server closes the connection");
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "closed, not answered: {read:?}"
    );
    // A whole request on a fresh connection is still answered.
    let answer = crate::helpers::server::http_get(&address, "/healthz").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

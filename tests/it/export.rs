//! `dateline export FILE` and `dateline import dateline FILE` (CONTRACT §11): a rich site goes
//! out and back into a second, empty database and every public page reads the same, byte for
//! byte; what is refused (a database with content, a damaged file, another format or version)
//! writes nothing.

use std::collections::{BTreeSet, VecDeque};
use std::io::Read;
use std::path::Path;

use dateline::domain::policy::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::images::jpeg;
use crate::helpers::server::dateline;
use crate::helpers::{BASE_URL, TestApp, id_of, token_for};

/// A second database beside the test's own, created empty and dropped with the value.
struct SecondDatabase {
    admin: PgPool,
    name: String,
    pool: PgPool,
}

impl SecondDatabase {
    async fn new(pool: &PgPool) -> Self {
        // Test databases' names are near PostgreSQL's 63-byte limit: a short one of its own.
        let name = format!("_export_copy_{}", uuid::Uuid::now_v7().simple());
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(pool)
            .await
            .unwrap();
        let options = (*pool.connect_options()).clone().database(&name);
        let copy = sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .unwrap();
        Self {
            admin: pool.clone(),
            name,
            pool: copy,
        }
    }

    async fn drop(self) {
        self.pool.close().await;
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ))
        .execute(&self.admin)
        .await
        .unwrap();
    }
}

/// Runs the binary; returns (success, stdout, stderr).
async fn run(pool: &PgPool, args: &[&str]) -> (bool, String, String) {
    let output = dateline(pool).args(args).output().await.unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The demo plus what it lacks: a story by a user with a new lead image, a correction, a
/// renamed slug, a story archived with a superseding one, a withdrawn story, reader feedback
/// and an enabled archive policy.
async fn rich_site(pool: &PgPool) -> TestApp {
    dateline::demo::load(pool).await.unwrap();
    let app = TestApp::new(pool.clone());
    let token = token_for(pool, Role::Editor).await;
    let people: Vec<String> = sqlx::query_scalar("SELECT slug FROM people ORDER BY slug LIMIT 2")
        .fetch_all(pool)
        .await
        .unwrap();
    let image = app
        .upload_image(&token, &jpeg(1600, 900), "A red and blue test card")
        .await;

    let story = app
        .create_article(
            &token,
            json!({
                "title": "Exported with its lead image",
                "slug": "exported-story",
                "dek": "A story written over the API.",
                "body_markdown": format!("First paragraph.\n\n![A test card]({})", image["url"].as_str().unwrap()),
                "topics": ["breast-cancer"],
                "authors": [people[0]],
                "review": {"reviewer": people[1], "last_reviewed": "2026-11-02"},
                "lead_image": image["id"],
                "study": {"citation": "Journal of Tests, 2026", "doi": "10.1000/test.1"}
            }),
        )
        .await;
    let id = id_of(&story);
    app.action(&token, &id, "publish", None).await;
    let patch = |body: serde_json::Value, version: i64| {
        let app = &app;
        let token = &token;
        let path = format!("/api/v1/articles/{id}");
        async move {
            let etag = format!("\"{version}\"");
            let response = app
                .api(
                    "PATCH",
                    &path,
                    Some(token),
                    Some(body),
                    &[("if-match", etag.as_str())],
                )
                .await;
            assert_eq!(response.status, 200, "{}", response.text);
        }
    };
    patch(
        json!({"dek": "A story written over the API, corrected.", "change_kind": "correction",
               "change_note": "We gave the wrong journal."}),
        2,
    )
    .await;
    patch(json!({"slug": "exported-story-renamed"}), 3).await;

    let older = app
        .create_article(
            &token,
            json!({"title": "An older finding", "slug": "older-finding"}),
        )
        .await;
    let older_id = id_of(&older);
    app.action(&token, &older_id, "publish", None).await;
    app.action(
        &token,
        &older_id,
        "archive",
        Some(json!({"reason": "Newer trials overtook it.", "superseded_by": id})),
    )
    .await;
    let gone = app
        .create_article(
            &token,
            json!({"title": "A withdrawn claim", "slug": "withdrawn-claim"}),
        )
        .await;
    app.action(&token, &id_of(&gone), "publish", None).await;
    app.action(
        &token,
        &id_of(&gone),
        "withdraw",
        Some(json!({"reason": "The study was retracted."})),
    )
    .await;

    let policy = app
        .api(
            "PUT",
            "/api/v1/archive-policy",
            Some(&token),
            Some(
                json!({"enabled": true, "older_than_days": 3650, "topics": [],
                        "reason": "Kept as a record of earlier research."}),
            ),
            &[],
        )
        .await;
    assert_eq!(policy.status, 200, "{}", policy.text);
    let feedback = app
        .api(
            "POST",
            "/research-news/exported-story-renamed/feedback",
            None,
            Some(json!({"helpful": true, "comment": "Clear.", "email": "reader@example.org"})),
            &[],
        )
        .await;
    assert_eq!(feedback.status, 201, "{}", feedback.text);
    app
}

/// The site-local links of a page (`href`, `src`, the first URL of each `srcset` entry,
/// sitemap `<loc>`s), as paths.
fn links(body: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (open, close) in [
        ("href=\"", "\""),
        ("src=\"", "\""),
        ("srcset=\"", "\""),
        ("<loc>", "</loc>"),
    ] {
        let mut rest = body;
        while let Some(at) = rest.find(open) {
            rest = &rest[at + open.len()..];
            let Some(end) = rest.find(close) else { break };
            for candidate in rest[..end].split(',') {
                let url = candidate.split_whitespace().next().unwrap_or_default();
                let url = url.replace("&amp;", "&");
                let path = url.strip_prefix(BASE_URL).unwrap_or(&url);
                let path = path.split('#').next().unwrap_or_default();
                if path.starts_with('/')
                    && !path.starts_with("//")
                    && !path.starts_with("/admin")
                    && !path.starts_with("/api")
                    && !path.starts_with("/assets")
                {
                    found.push(path.to_owned());
                }
            }
            rest = &rest[end..];
        }
    }
    found
}

/// A page without what differs between two servers by design: the feedback form's token
/// (signed with the instance's own key, with the time).
fn without_form_tokens(body: &[u8]) -> Vec<u8> {
    let marker = b"name=\"token\" value=\"";
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.windows(marker.len()).position(|w| w == marker) {
        out.extend_from_slice(&rest[..at + marker.len()]);
        rest = &rest[at + marker.len()..];
        let end = rest.iter().position(|&b| b == b'"').unwrap_or(rest.len());
        out.extend_from_slice(b"TOKEN");
        rest = &rest[end..];
    }
    out.extend_from_slice(rest);
    out
}

/// Every public page reachable from the usual entry points, with its status, type, location
/// and body, in the order met.
async fn crawl(app: &TestApp) -> Vec<(String, u16, String, String, Vec<u8>)> {
    let mut queue: VecDeque<String> = [
        "/",
        "/research-news",
        "/topics",
        "/archive",
        "/feed.xml",
        "/sitemap.xml",
        "/news-sitemap.xml",
        "/robots.txt",
        "/search?q=trastuzumab",
        "/search?q=herceptin",
        "/search?q=exported",
        "/search?q=trastuzumob",
        "/research-news/exported-story",
        "/research-news/withdrawn-claim",
        "/research-news/older-finding",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    let mut seen: BTreeSet<String> = queue.iter().cloned().collect();
    let mut pages = Vec::new();
    while let Some(path) = queue.pop_front() {
        let page = app.get(&path).await;
        if page.header("content-type").starts_with("text/")
            || page.header("content-type").contains("xml")
        {
            for link in links(&page.text) {
                if seen.len() < 600 && seen.insert(link.clone()) {
                    queue.push_back(link);
                }
            }
        }
        pages.push((
            path,
            page.status.as_u16(),
            page.header("content-type").to_owned(),
            page.header("location").to_owned(),
            without_form_tokens(&page.bytes),
        ));
    }
    pages
}

#[sqlx::test]
async fn an_exported_site_imported_into_an_empty_database_serves_the_same_pages(pool: PgPool) {
    let source = rich_site(&pool).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("site.tar.gz");
    let file = file.to_str().unwrap();

    let stories = count(&pool, "articles").await;
    let (ok, out, err) = run(&pool, &["export", file]).await;
    assert!(ok, "{err}");
    assert!(
        out.starts_with(&format!("exported {stories} stories (")),
        "{out}"
    );

    let copy = SecondDatabase::new(&pool).await;
    let (ok, out, err) = run(&copy.pool, &["import", "dateline", file]).await;
    assert!(ok, "{err}");
    assert!(
        out.starts_with(&format!("imported {stories} stories (")),
        "{out}"
    );

    let before = crawl(&source).await;
    let after = crawl(&TestApp::new(copy.pool.clone())).await;
    let paths: Vec<&str> = before.iter().map(|p| p.0.as_str()).collect();
    for must in [
        "/research-news/exported-story-renamed",
        "/people/",
        "/topics/breast-cancer",
        "/media/",
        "/topics/breast-cancer/feed.xml",
    ] {
        assert!(
            paths.iter().any(|p| p.starts_with(must)),
            "the crawl reached no {must}: {paths:?}"
        );
    }
    assert_eq!(before.len(), after.len(), "the same pages are reachable");
    for (one, two) in before.iter().zip(&after) {
        assert_eq!(
            (&one.0, one.1, &one.2, &one.3),
            (&two.0, two.1, &two.2, &two.3),
            "status, type and location of {}",
            one.0
        );
        if one.4 != two.4 {
            let (a, b) = (
                String::from_utf8_lossy(&one.4),
                String::from_utf8_lossy(&two.4),
            );
            let line = a.lines().zip(b.lines()).position(|(x, y)| x != y);
            panic!(
                "{} differs at line {line:?}:\n--- before\n{}\n--- after\n{}",
                one.0,
                line.and_then(|n| a.lines().nth(n)).unwrap_or_default(),
                line.and_then(|n| b.lines().nth(n)).unwrap_or_default(),
            );
        }
    }
    let statuses: Vec<(&str, u16)> = before.iter().map(|p| (p.0.as_str(), p.1)).collect();
    assert!(statuses.contains(&("/research-news/withdrawn-claim", 410)));
    assert!(statuses.contains(&("/research-news/exported-story", 301)));

    // Ids, versions and revisions as they were; the archive policy on; no feedback, and users
    // without credentials.
    let revisions = "SELECT coalesce(string_agg(concat_ws(' ', article_id, number, change_kind, \
                     change_note, created_by, created_at, md5(snapshot::text)), ',' \
                     ORDER BY article_id, number), '') FROM article_revisions";
    let versions = "SELECT string_agg(concat_ws(' ', id, slug, version, status, updated_at, \
                    modified_at, superseded_by, created_by), ',' ORDER BY id) FROM articles";
    for sql in [revisions, versions] {
        let one: String = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
        let two: String = sqlx::query_scalar(sql).fetch_one(&copy.pool).await.unwrap();
        assert_eq!(one, two);
    }
    let enabled: bool = sqlx::query_scalar("SELECT enabled FROM archive_policy")
        .fetch_one(&copy.pool)
        .await
        .unwrap();
    assert!(enabled);
    assert_eq!(count(&pool, "feedback").await, 1);
    assert_eq!(count(&copy.pool, "feedback").await, 0);
    assert_eq!(count(&copy.pool, "api_tokens").await, 0);
    let users: Vec<(String, bool, String)> =
        sqlx::query_as("SELECT email, disabled_at IS NOT NULL, password_hash FROM users")
            .fetch_all(&copy.pool)
            .await
            .unwrap();
    assert_eq!(users.len(), 1);
    assert!(users[0].1, "imported accounts are disabled");
    assert!(
        !users[0].2.starts_with("$argon2"),
        "no password hash travels"
    );

    // The file itself holds no password hash and no feedback.
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();
    let mut contents = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(file).unwrap())
        .read_to_end(&mut contents)
        .unwrap();
    let contents = String::from_utf8_lossy(&contents);
    assert!(!contents.contains(&hash));
    assert!(!contents.contains("reader@example.org"));
    copy.drop().await;
}

#[sqlx::test]
async fn import_into_a_database_that_holds_stories_is_refused(pool: PgPool) {
    dateline::demo::load(&pool).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("site.tar.gz");
    let file = file.to_str().unwrap();
    let (ok, _, err) = run(&pool, &["export", file]).await;
    assert!(ok, "{err}");
    let stories = count(&pool, "articles").await;

    let output = dateline(&pool)
        .args(["import", "dateline", file])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("already holds stories"), "{err}");
    assert_eq!(count(&pool, "articles").await, stories);
}

/// Imports `file` into a fresh database; returns standard error after checking that the
/// command failed with status 1 and wrote nothing.
async fn refused(pool: &PgPool, file: &Path) -> String {
    let copy = SecondDatabase::new(pool).await;
    let output = dateline(&copy.pool)
        .args(["import", "dateline", file.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    for table in [
        "articles",
        "topics",
        "people",
        "media",
        "media_blobs",
        "users",
    ] {
        assert_eq!(count(&copy.pool, table).await, 0, "{table} is empty");
    }
    let synonyms: i64 = count(&copy.pool, "search_synonym_sets").await;
    assert_eq!(synonyms, 0);
    copy.drop().await;
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[sqlx::test]
async fn a_truncated_or_foreign_file_is_refused_and_nothing_is_written(pool: PgPool) {
    dateline::demo::load(&pool).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("site.tar.gz");
    let (ok, _, err) = run(&pool, &["export", file.to_str().unwrap()]).await;
    assert!(ok, "{err}");
    let bytes = std::fs::read(&file).unwrap();

    let truncated = dir.path().join("truncated.tar.gz");
    std::fs::write(&truncated, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let err = refused(&pool, &truncated).await;
    assert!(err.contains("damaged or truncated"), "{err}");

    // Cut cleanly after the stories: a well-formed tar.gz missing the rest.
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_slice()));
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        if path.starts_with("article_revisions/") {
            break;
        }
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        let mut header = entry.header().clone();
        builder
            .append_data(&mut header, &path, data.as_slice())
            .unwrap();
    }
    let short = dir.path().join("short.tar.gz");
    std::fs::write(&short, builder.into_inner().unwrap().finish().unwrap()).unwrap();
    let err = refused(&pool, &short).await;
    assert!(err.contains("article_revisions expected, 0 found"), "{err}");

    let foreign = dir.path().join("wordpress.xml");
    std::fs::write(&foreign, "<?xml version=\"1.0\"?><rss></rss>").unwrap();
    let err = refused(&pool, &foreign).await;
    assert!(err.contains("not a Dateline export"), "{err}");
}

#[sqlx::test]
async fn a_file_of_another_format_version_is_refused(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("future.tar.gz");
    let manifest = json!({"format": "dateline-export", "format_version": 99, "counts": []});
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    let bytes = serde_json::to_vec(&manifest).unwrap();
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o644);
    builder
        .append_data(&mut header, "manifest.json", bytes.as_slice())
        .unwrap();
    std::fs::write(&file, builder.into_inner().unwrap().finish().unwrap()).unwrap();
    let err = refused(&pool, &file).await;
    assert!(
        err.contains("this export is format version 99; this Dateline reads version 1"),
        "{err}"
    );
}

#[sqlx::test]
async fn users_arrive_disabled_without_passwords_unless_the_target_already_has_their_email(
    pool: PgPool,
) {
    let app = TestApp::new(pool.clone());
    let token = token_for(&pool, Role::Editor).await;
    let story = app
        .create_article(&token, json!({"title": "Written by an editor"}))
        .await;
    let _other = token_for(&pool, Role::Contributor).await;
    let (editor_id, email): (uuid::Uuid, String) =
        sqlx::query_as("SELECT id, email FROM users WHERE role = 'editor'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("site.tar.gz");
    let file = file.to_str().unwrap();
    let (ok, _, err) = run(&pool, &["export", file]).await;
    assert!(ok, "{err}");

    // The target has the editor's account already (created before the import to sign in).
    let copy = SecondDatabase::new(&pool).await;
    let (ok, _, err) = run(&copy.pool, &["migrate"]).await;
    assert!(ok, "{err}");
    let own_id = dateline::service::users::create_user(
        &copy.pool,
        &email,
        "The Editor",
        Role::Editor,
        "a-new-password-for-this-site",
    )
    .await
    .unwrap();
    let (ok, _, err) = run(&copy.pool, &["import", "dateline", file]).await;
    assert!(ok, "{err}");

    let credited: Option<uuid::Uuid> = sqlx::query_scalar(
        "SELECT created_by FROM article_revisions WHERE article_id = $1 AND number = 1",
    )
    .bind(uuid::Uuid::parse_str(&id_of(&story)).unwrap())
    .fetch_one(&copy.pool)
    .await
    .unwrap();
    assert_eq!(
        credited,
        Some(own_id),
        "credited to the account already there"
    );
    assert_ne!(own_id, editor_id);
    let accounts: Vec<(String, bool, bool)> = sqlx::query_as(
        "SELECT role, disabled_at IS NULL, password_hash LIKE '$argon2%' FROM users ORDER BY role",
    )
    .fetch_all(&copy.pool)
    .await
    .unwrap();
    assert_eq!(
        accounts,
        vec![
            ("contributor".to_owned(), false, false),
            ("editor".to_owned(), true, true),
        ],
        "the contributor arrives disabled without a password; the editor's own account stays"
    );
    copy.drop().await;
}

//! Feeds, sitemaps, robots.txt, metadata and the corrections page, checked with the parsers
//! the outside world uses (Python's feedparser; a strict XML parser for sitemaps).

use std::io::Write;
use std::process::{Command, Stdio};

use dateline::domain::article::{ArticleStatus, ChangeKind, Study};
use sqlx::PgPool;
use time::OffsetDateTime;
use time::macros::datetime;

use crate::helpers::{ArticleBuilder, TestApp, insert_topic};

/// Parses a feed with feedparser (installed by `make test`); returns its JSON summary.
pub(crate) fn feedparser(xml: &str) -> serde_json::Value {
    let python = std::env::var("DATELINE_PYTHON")
        .expect("DATELINE_PYTHON is set by `make test` (a venv with feedparser)");
    let script = r#"
import feedparser, json, sys
d = feedparser.parse(sys.stdin.buffer.read())
print(json.dumps({
    "bozo": bool(d.bozo), "error": str(d.get("bozo_exception", "")), "version": d.version,
    "title": d.feed.get("title"), "self": [l.href for l in d.feed.get("links", []) if l.rel == "self"],
    "entries": [{"id": e.id, "title": e.title, "link": e.link, "updated": e.updated,
                 "published": e.get("published"), "summary": e.get("summary"),
                 "content": e.content[0].value if e.get("content") else None} for e in d.entries],
}))
"#;
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(xml.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    serde_json::from_slice(&output.stdout).unwrap()
}

#[sqlx::test]
async fn feeds_are_valid_atom_with_full_content_and_stable_ids(pool: PgPool) {
    insert_topic(&pool, "diabetes", "Diabetes", "").await;
    let current = ArticleBuilder::new("Remission in type 2 diabetes & <diet>")
        .slug("diabetes-remission")
        .body("**Eleven** of 120 <script>x</script>")
        .topics(&["diabetes"])
        .published_at(datetime!(2024-05-01 12:00 UTC))
        .updated_at(datetime!(2024-06-01 12:00 UTC))
        .insert(&pool)
        .await;
    ArticleBuilder::new("Older heart story")
        .published_at(datetime!(2023-01-01 12:00 UTC))
        .insert(&pool)
        .await;
    ArticleBuilder::new("Archived story")
        .archived(datetime!(2024-01-01 0:00 UTC), None)
        .topics(&["diabetes"])
        .insert(&pool)
        .await;
    ArticleBuilder::new("Draft story")
        .status(ArticleStatus::Draft)
        .topics(&["diabetes"])
        .insert(&pool)
        .await;
    let app = TestApp::new(pool);

    let site = app.get("/feed.xml").await;
    assert_eq!(site.status, 200);
    assert_eq!(
        site.header("content-type"),
        "application/atom+xml; charset=utf-8"
    );
    let parsed = feedparser(&site.text);
    assert_eq!(parsed["bozo"], false, "{}", parsed["error"]);
    assert_eq!(parsed["version"], "atom10");
    assert_eq!(parsed["self"][0], "https://news.example.org/feed.xml");
    let entries = parsed["entries"].as_array().unwrap();
    let titles: Vec<&str> = entries
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        vec!["Remission in type 2 diabetes & <diet>", "Older heart story"],
        "no archived, no drafts"
    );
    let first = &entries[0];
    assert_eq!(first["id"], format!("urn:uuid:{current}"));
    assert_eq!(
        first["link"],
        "https://news.example.org/research-news/diabetes-remission"
    );
    assert!(
        first["updated"]
            .as_str()
            .unwrap()
            .starts_with("2024-06-01T12:00:00")
    );
    assert!(
        first["published"]
            .as_str()
            .unwrap()
            .starts_with("2024-05-01T12:00:00")
    );
    let content = first["content"].as_str().unwrap();
    assert!(
        content.contains("<strong>Eleven</strong>"),
        "full content: {content}"
    );
    assert!(!content.contains("<script"));

    let topic = app.get("/topics/diabetes/feed.xml").await;
    let parsed = feedparser(&topic.text);
    assert_eq!(parsed["bozo"], false);
    assert_eq!(parsed["entries"].as_array().unwrap().len(), 1);
    assert_eq!(app.get("/topics/nope/feed.xml").await.status, 404);
    // The same story keeps its entry id after a slug change.
    assert_eq!(
        feedparser(&app.get("/feed.xml").await.text)["entries"][0]["id"],
        format!("urn:uuid:{current}")
    );
}

fn locs(xml: &str, namespace: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    assert_eq!(doc.root_element().tag_name().namespace(), Some(namespace));
    doc.descendants()
        .filter(|n| n.tag_name().name() == "loc")
        .map(|n| n.text().unwrap().to_owned())
        .collect()
}

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

#[sqlx::test]
async fn the_sitemap_lists_every_public_url_and_no_other(pool: PgPool) {
    insert_topic(&pool, "nutrition", "Nutrition", "").await;
    ArticleBuilder::new("Current")
        .slug("current")
        .insert(&pool)
        .await;
    ArticleBuilder::new("Archived")
        .slug("archived")
        .archived(datetime!(2024-01-01 0:00 UTC), None)
        .insert(&pool)
        .await;
    ArticleBuilder::new("Withdrawn")
        .slug("withdrawn")
        .status(ArticleStatus::Withdrawn)
        .insert(&pool)
        .await;
    ArticleBuilder::new("Draft")
        .slug("draft")
        .status(ArticleStatus::Draft)
        .insert(&pool)
        .await;
    let app = TestApp::new(pool);
    let sitemap = app.get("/sitemap.xml").await;
    assert_eq!(sitemap.status, 200);
    assert!(
        sitemap
            .header("content-type")
            .starts_with("application/xml")
    );
    let urls = locs(&sitemap.text, SITEMAP_NS);
    for url in [
        "/",
        "/research-news",
        "/topics",
        "/archive",
        "/topics/nutrition",
        "/research-news/current",
        "/research-news/archived",
    ] {
        assert!(
            urls.contains(&format!("https://news.example.org{url}")),
            "{url} in {urls:?}"
        );
    }
    assert!(
        !urls
            .iter()
            .any(|u| u.ends_with("/withdrawn") || u.ends_with("/draft"))
    );
    assert!(sitemap.text.contains("<lastmod>"));
}

#[sqlx::test]
async fn past_50000_urls_the_sitemap_becomes_an_index(pool: PgPool) {
    ArticleBuilder::new("Seed").slug("seed").insert(&pool).await;
    // 50,001 published stories, inserted in bulk.
    sqlx::query(
        "INSERT INTO articles (id, slug, title, status, published_at)
         SELECT gen_random_uuid(), 'bulk-' || n, 'Bulk ' || n, 'published', now() - n * interval '1 minute'
         FROM generate_series(1, 50000) AS n",
    )
    .execute(&pool)
    .await
    .unwrap();
    let app = TestApp::new(pool);
    let index = app.get("/sitemap.xml").await;
    let doc = roxmltree::Document::parse(&index.text).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "sitemapindex");
    let parts = locs(&index.text, SITEMAP_NS);
    assert_eq!(
        parts,
        vec![
            "https://news.example.org/sitemaps/pages.xml",
            "https://news.example.org/sitemaps/stories-1.xml",
            "https://news.example.org/sitemaps/stories-2.xml",
        ]
    );
    let first = locs(&app.get("/sitemaps/stories-1.xml").await.text, SITEMAP_NS);
    let second = locs(&app.get("/sitemaps/stories-2.xml").await.text, SITEMAP_NS);
    assert_eq!((first.len(), second.len()), (50_000, 1));
    assert_eq!(app.get("/sitemaps/stories-3.xml").await.status, 404);
    assert_eq!(app.get("/sitemaps/../Cargo.toml").await.status, 404);
    assert!(
        locs(&app.get("/sitemaps/pages.xml").await.text, SITEMAP_NS)
            .contains(&"https://news.example.org/".to_owned())
    );
}

#[sqlx::test]
async fn the_news_sitemap_lists_the_last_two_days_in_google_news_format(pool: PgPool) {
    let now = OffsetDateTime::now_utc();
    ArticleBuilder::new("Fresh & new")
        .slug("fresh")
        .published_at(now - time::Duration::hours(5))
        .insert(&pool)
        .await;
    ArticleBuilder::new("Last week")
        .slug("old")
        .published_at(now - time::Duration::days(7))
        .insert(&pool)
        .await;
    let app = TestApp::new(pool);
    let news = app.get("/news-sitemap.xml").await;
    let doc = roxmltree::Document::parse(&news.text).expect("well-formed");
    let news_ns = "http://www.google.com/schemas/sitemap-news/0.9";
    let titles: Vec<&str> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "title" && n.tag_name().namespace() == Some(news_ns))
        .map(|n| n.text().unwrap())
        .collect();
    assert_eq!(titles, vec!["Fresh & new"]);
    assert!(
        doc.descendants()
            .any(|n| n.tag_name().name() == "publication_date"
                && n.tag_name().namespace() == Some(news_ns))
    );
    assert_eq!(
        locs(&news.text, SITEMAP_NS),
        vec!["https://news.example.org/research-news/fresh"]
    );

    let robots = app.get("/robots.txt").await;
    assert!(robots.header("content-type").starts_with("text/plain"));
    assert!(
        robots
            .text
            .contains("Sitemap: https://news.example.org/sitemap.xml")
    );
    assert!(
        robots
            .text
            .contains("Sitemap: https://news.example.org/news-sitemap.xml")
    );
    assert!(robots.text.contains("Disallow: /admin"));
}

#[sqlx::test]
async fn story_json_ld_carries_review_and_study_and_every_page_its_metadata(pool: PgPool) {
    let review_id = ArticleBuilder::new("Reviewed")
        .slug("reviewed")
        .dek("A summary.")
        .study(Study {
            doi: Some("10.5555/lancet.2020".into()),
            ..Study::default()
        })
        .insert(&pool)
        .await;
    sqlx::query(r#"UPDATE articles SET review = '{"reviewed_by": "Dr. Ana Ribeiro", "last_reviewed": "2022-02-22"}' WHERE id = $1"#)
        .bind(review_id)
        .execute(&pool)
        .await
        .unwrap();
    insert_topic(&pool, "heart", "Heart", "Heart things.").await;
    let app = TestApp::new(pool);
    let page = app.get("/research-news/reviewed").await;
    let start = page
        .text
        .find(r#"<script type="application/ld+json">"#)
        .unwrap()
        + 35;
    let end = start + page.text[start..].find("</script>").unwrap();
    let json: serde_json::Value = serde_json::from_str(&page.text[start..end]).unwrap();
    // The item stays a plain NewsArticle; the review belongs to the page it is the main
    // entity of.
    assert_eq!(json["@type"], "NewsArticle");
    let page_item = &json["mainEntityOfPage"];
    assert_eq!(page_item["@type"], "MedicalWebPage");
    assert_eq!(page_item["reviewedBy"]["name"], "Dr. Ana Ribeiro");
    assert_eq!(page_item["lastReviewed"], "2022-02-22");
    assert_eq!(json["publisher"]["name"], "Dateline");
    assert_eq!(json["isAccessibleForFree"], true);
    // A study without a citation text is still cited, by its DOI.
    assert_eq!(json["citation"]["name"], "doi:10.5555/lancet.2020");
    assert_eq!(json["citation"]["identifier"], "doi:10.5555/lancet.2020");

    for path in [
        "/",
        "/research-news",
        "/research-news/reviewed",
        "/topics",
        "/topics/heart",
        "/archive",
        "/corrections",
        "/search?q=heart",
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        for needle in [
            "<link rel=\"canonical\"",
            "<meta name=\"description\"",
            "<meta property=\"og:title\"",
            "<meta property=\"og:url\"",
            "<meta name=\"twitter:card\"",
        ] {
            assert!(page.text.contains(needle), "{path} lacks {needle}");
        }
    }
}

#[sqlx::test]
async fn the_corrections_page_lists_every_correction_with_the_policy(pool: PgPool) {
    ArticleBuilder::new("Corrected")
        .slug("corrected")
        .change(
            ChangeKind::Correction,
            "We said 19%; it was 9%.",
            datetime!(2024-03-02 12:00 UTC),
        )
        .change(
            ChangeKind::Update,
            "Added new data.",
            datetime!(2024-03-03 12:00 UTC),
        )
        .insert(&pool)
        .await;
    ArticleBuilder::new("Hidden")
        .status(ArticleStatus::Draft)
        .change(
            ChangeKind::Correction,
            "Draft fix",
            datetime!(2024-03-02 12:00 UTC),
        )
        .insert(&pool)
        .await;
    let page = TestApp::new(pool).get("/corrections").await;
    assert_eq!(page.status, 200);
    page.assert_in_order(&[
        "Our corrections policy",
        "Every correction",
        "href=\"/research-news/corrected\"",
        "We said 19%; it was 9%.",
    ]);
    assert!(
        !page.text.contains("Added new data."),
        "updates are not corrections"
    );
    assert!(!page.text.contains("Draft fix"));
}

//! `dateline import ghost` (CONTRACT §11) on a Ghost export written for these tests
//! (tests/fixtures/ghost/site.json).

use std::path::{Path, PathBuf};

use sqlx::PgPool;

use crate::helpers::TestApp;
use crate::helpers::server::dateline;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ghost/site.json")
}

async fn import(pool: &PgPool, file: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let output = dateline(pool)
        .args(["import", "ghost"])
        .arg(file)
        .args(extra)
        .output()
        .await
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn rows(pool: &PgPool) -> (i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM article_revisions), \
         (SELECT count(*) FROM topics), (SELECT count(*) FROM people)",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn import_ghost_maps_posts_tags_and_authors_html_first(pool: PgPool) {
    let (code, out, err) = import(&pool, &fixture(), &[]).await;
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.starts_with("imported 3, updated 0, skipped 2\n"),
        "{out}"
    );
    assert!(
        out.contains("a page") && out.contains("newsletter"),
        "{out}"
    );

    let story: (String, String, String, Option<time::OffsetDateTime>) = sqlx::query_as(
        "SELECT status::text, dek, body_markdown, published_at FROM articles WHERE slug = 'cold-water-swims-mood'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(story.0, "published");
    assert_eq!(
        story.1,
        "Winter swimmers felt better, in a study without a control group."
    );
    assert!(
        story
            .2
            .contains("![A lake in winter](https://ghost.example/content/images/2023/01/lake.jpg)"),
        "{}",
        story.2
    );
    assert!(
        story.2.contains("## Caveats") && !story.2.contains("NOT USED"),
        "html preferred: {}",
        story.2
    );
    assert_eq!(
        story.3.unwrap(),
        time::macros::datetime!(2023-01-20 08:15 UTC)
    );

    let lexical: (String, String) =
        sqlx::query_as("SELECT dek, body_markdown FROM articles WHERE slug = 'fibre-gut'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        lexical.1,
        "Fibre feeds the bacteria of the gut.\n\n## How much\n\nAbout 30 grams a day."
    );
    assert_eq!(lexical.0, "Fibre feeds the bacteria of the gut.");
    let mobiledoc: (String, String) =
        sqlx::query_as("SELECT status::text, body_markdown FROM articles WHERE slug = 'vitamin-d'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        mobiledoc,
        (
            "draft".to_owned(),
            "Sunlight makes most of it.\n\nVitamin D **in winter**: a review.".to_owned()
        )
    );

    let topics: Vec<String> = sqlx::query_scalar("SELECT slug FROM topics ORDER BY slug")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(
        topics,
        vec!["mental-health", "nutrition"],
        "internal tags left out"
    );
    let app = TestApp::new(pool.clone());
    let page = app.get("/research-news/fibre-gut").await;
    assert!(
        page.text.contains("Tom Berg") && page.text.contains("Priya Natarajan"),
        "both authors"
    );
    let old = app.get("/cold-water-swims-mood/").await;
    assert_eq!(old.status, 301);
    assert_eq!(
        old.header("location"),
        "/research-news/cold-water-swims-mood"
    );
    assert_eq!(
        app.get("/vitamin-d/").await.status,
        404,
        "a draft gives nothing away"
    );

    let before = rows(&pool).await;
    let (code, out, _) = import(&pool, &fixture(), &[]).await;
    assert_eq!(code, Some(0));
    assert!(
        out.starts_with("imported 0, updated 0, skipped 2\nunchanged 3"),
        "{out}"
    );
    assert_eq!(rows(&pool).await, before, "a second run writes nothing");
}

#[sqlx::test]
async fn a_ghost_dry_run_writes_nothing_and_bad_json_exits_1(pool: PgPool) {
    let empty = rows(&pool).await;
    let (code, out, _) = import(&pool, &fixture(), &["--dry-run"]).await;
    assert_eq!(code, Some(0));
    assert!(
        out.starts_with("imported 3, updated 0, skipped 2\n"),
        "{out}"
    );
    assert_eq!(rows(&pool).await, empty);
    let dir = tempfile::tempdir().unwrap();
    let wxr = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wordpress/site.wxr");
    let whole = std::fs::read_to_string(fixture()).unwrap();
    let cut = dir.path().join("cut.json");
    std::fs::write(&cut, &whole[..whole.len() / 2]).unwrap();
    let other = dir.path().join("other.json");
    std::fs::write(&other, "{\"hello\": [1, 2, 3]}").unwrap();
    for file in [wxr, cut, other] {
        let (code, _, err) = import(&pool, &file, &[]).await;
        assert_eq!(code, Some(1), "{err}");
        assert!(err.contains("not a Ghost export"), "{err}");
        assert_eq!(rows(&pool).await, empty);
    }
}

//! `dateline import wordpress --media-from DIR` (CONTRACT §11): the export's image attachments
//! imported from a copy of the old `uploads/` folder with their alt text, bodies and featured
//! images pointed at them; idempotent, dry-run safe, and never reading outside the folder.
//! The fixture is tests/fixtures/wordpress/media.wxr; the image files are drawn here.

use std::path::{Path, PathBuf};

use sqlx::PgPool;

use crate::helpers::TestApp;
use crate::import::{Run, import};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wordpress/media.wxr")
}

/// An uploads folder as copied from the old server: the chart (PNG) and the clinic photo
/// (JPEG) of the fixture, and a secret beside the folder that a path must not reach.
fn uploads() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("uploads/2020/03");
    std::fs::create_dir_all(&dir).unwrap();
    let chart = image::RgbImage::from_fn(1600, 1000, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 120])
    });
    chart.save(dir.join("screening-chart.png")).unwrap();
    let photo = image::RgbImage::from_fn(800, 600, |x, y| {
        image::Rgb([200, (x / 4) as u8, (y / 3) as u8])
    });
    photo.save(dir.join("clinic-visit.jpg")).unwrap();
    chart.save(root.path().join("secret.png")).unwrap();
    root
}

async fn with_media(pool: &PgPool, file: &Path, uploads: &Path, extra: &[&str]) -> Run {
    let dir = uploads.join("uploads");
    let mut args = vec!["--media-from", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let run = import(pool, file, &args).await;
    assert!(run.ok, "{}\n{}", run.stdout, run.stderr);
    run
}

async fn media_rows(pool: &PgPool) -> Vec<(uuid::Uuid, String, String, String, i32)> {
    sqlx::query_as("SELECT id, filename, alt, caption, version FROM media ORDER BY filename")
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn story(pool: &PgPool) -> (String, Option<uuid::Uuid>, i32) {
    sqlx::query_as(
        "SELECT body_markdown, lead_image, version FROM articles WHERE slug = 'screening-hours'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn attachments_become_images_with_their_alt_text_and_bodies_point_at_them(pool: PgPool) {
    let uploads = uploads();
    let run = with_media(&pool, &fixture(), uploads.path(), &[]).await;
    assert!(
        run.stdout.starts_with("imported 1, updated 0, skipped 4\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("images: imported 2, updated 0, unchanged 0"),
        "{}",
        run.stdout
    );
    for (what, why) in [
        ("attachment 203", "2020/03/not-copied.png is not in"),
        ("attachment 204", "is not an image"),
        ("attachment 205", "has no alt text (nor a caption)"),
        ("attachment 206", "names no file under uploads/"),
    ] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.contains(what) && l.contains(why)),
            "{what}: {why}\n{}",
            run.stdout
        );
    }

    // The alt text is WordPress's own, else the caption; the caption is kept.
    let media = media_rows(&pool).await;
    assert_eq!(media.len(), 2, "{media:?}");
    let (photo, chart) = (&media[0], &media[1]);
    assert_eq!(photo.1, "clinic-visit.jpg");
    assert_eq!(photo.2, "A nurse measures a patient's blood pressure");
    assert_eq!(chart.1, "screening-chart.png");
    assert_eq!(
        chart.2,
        "Bar chart: screening rates by region, highest in the north"
    );
    assert_eq!(chart.3, "Screening rose fastest in the north.");
    let renditions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM media_renditions WHERE media_id = $1")
            .bind(chart.0)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(renditions >= 2, "renditions were made: {renditions}");

    // The body points at the imported images (resized copies and links included), the empty
    // alt text is filled from the image, and a file that was not copied keeps its address.
    let (body, lead, _) = story(&pool).await;
    assert_eq!(lead, Some(chart.0), "the featured image is the lead image");
    assert!(
        body.contains("![Bar chart: screening rates by region, highest in the north](/media/"),
        "{body}"
    );
    assert!(
        body.contains("[![An evening clinic visit](/media/"),
        "{body}"
    );
    assert!(
        !body.contains("wp-content/uploads/2020/03/screening-chart")
            && !body.contains("wp-content/uploads/2020/03/clinic-visit"),
        "{body}"
    );
    assert!(
        body.contains(
            "![A map of the study sites](https://old-news.example/wp-content/uploads/2020/03/not-copied.png)"
        ),
        "{body}"
    );
    // Every address in the body that is Dateline's serves an image.
    let app = TestApp::new(pool.clone());
    let page = app.get("/research-news/screening-hours").await;
    assert_eq!(page.status, 200);
    let mut served = 0;
    for part in body.split("](/media/").skip(1) {
        let name = part.split([')', ' ']).next().unwrap();
        let file = app.get(&format!("/media/{name}")).await;
        assert_eq!(file.status, 200, "/media/{name}");
        assert!(page.text.contains(&format!("/media/{name}")), "{name}");
        served += 1;
    }
    assert_eq!(served, 3, "the chart, the photo and the photo's link");
}

#[sqlx::test]
async fn a_second_run_changes_nothing_and_a_changed_alt_text_updates_the_image(pool: PgPool) {
    let uploads = uploads();
    with_media(&pool, &fixture(), uploads.path(), &[]).await;
    let before = media_rows(&pool).await;
    let (body, _, version) = story(&pool).await;

    let run = with_media(&pool, &fixture(), uploads.path(), &[]).await;
    assert!(
        run.stdout
            .contains("images: imported 0, updated 0, unchanged 2")
            && run
                .stdout
                .starts_with("imported 0, updated 0, skipped 4\nunchanged 1;"),
        "{}",
        run.stdout
    );
    assert_eq!(
        media_rows(&pool).await,
        before,
        "no new images, none changed"
    );
    assert_eq!(
        story(&pool).await,
        (body.clone(), Some(before[1].0), version)
    );

    // The alt text changed in WordPress: the same image says the new words, as a new version.
    let changed = tempfile::NamedTempFile::new().unwrap();
    let xml = std::fs::read_to_string(fixture()).unwrap().replace(
        "highest in the north]]",
        "highest in the north, lowest in the south]]",
    );
    std::fs::write(changed.path(), xml).unwrap();
    let run = with_media(&pool, changed.path(), uploads.path(), &[]).await;
    assert!(
        run.stdout
            .contains("images: imported 0, updated 1, unchanged 1"),
        "{}",
        run.stdout
    );
    let after = media_rows(&pool).await;
    assert_eq!(after.len(), 2);
    assert_eq!(after[1].0, before[1].0, "the same image");
    assert!(
        after[1].2.ends_with("lowest in the south"),
        "{:?}",
        after[1]
    );
    assert_eq!(after[1].4, before[1].4 + 1, "a new version of the image");
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'media.update' AND target_id = $1",
    )
    .bind(after[1].0)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

#[sqlx::test]
async fn a_dry_run_with_media_checks_the_files_and_writes_nothing(pool: PgPool) {
    let uploads = uploads();
    let run = with_media(&pool, &fixture(), uploads.path(), &["--dry-run"]).await;
    assert!(
        run.stdout
            .contains("images: imported 2, updated 0, unchanged 0")
            && run.stdout.contains("dry run: nothing was written"),
        "{}",
        run.stdout
    );
    for table in ["media", "media_blobs", "articles", "import_sources"] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(n, 0, "{table}");
    }
}

#[sqlx::test]
async fn a_media_folder_that_is_not_there_is_an_error_before_anything_is_written(pool: PgPool) {
    let run = import(&pool, &fixture(), &["--media-from", "/nonexistent/uploads"]).await;
    assert!(!run.ok);
    assert!(run.stderr.contains("not a folder"), "{}", run.stderr);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM articles")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[sqlx::test]
async fn without_media_from_images_keep_their_old_addresses(pool: PgPool) {
    let run = import(&pool, &fixture(), &[]).await;
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stdout.contains("--media-from imports the files"),
        "{}",
        run.stdout
    );
    let (body, lead, _) = story(&pool).await;
    assert_eq!(lead, None);
    assert!(
        body.contains("wp-content/uploads/2020/03/clinic-visit-300x200.jpg"),
        "{body}"
    );
}

//! `dateline import wordpress` (CONTRACT §11), run as the binary on a fixture written for these
//! tests (tests/fixtures/wordpress/site.wxr) and on a made-up export of a few hundred posts.

use std::path::{Path, PathBuf};

use sqlx::PgPool;

use crate::helpers::TestApp;
use crate::helpers::server::dateline;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wordpress/site.wxr")
}

/// What a run of `dateline import wordpress` did.
pub(crate) struct Run {
    pub(crate) ok: bool,
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `dateline import wordpress FILE` with `extra` arguments on the test's database.
pub(crate) async fn import(pool: &PgPool, file: &Path, extra: &[&str]) -> Run {
    let output = dateline(pool)
        .args(["import", "wordpress"])
        .arg(file)
        .args(extra)
        .output()
        .await
        .unwrap();
    Run {
        ok: output.status.success(),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

async fn imported(pool: &PgPool, file: &Path) -> Run {
    let run = import(pool, file, &[]).await;
    assert!(run.ok, "{}\n{}", run.stdout, run.stderr);
    run
}

/// Rows in the tables an import writes.
async fn counts(pool: &PgPool) -> Vec<i64> {
    let mut out = Vec::new();
    for table in [
        "articles",
        "article_revisions",
        "topics",
        "people",
        "audit_log",
        "import_sources",
        "import_redirects",
        "slug_history",
    ] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(pool)
            .await
            .unwrap();
        out.push(n);
    }
    out
}

async fn story(
    pool: &PgPool,
    slug: &str,
) -> (String, String, String, Option<time::OffsetDateTime>, String) {
    sqlx::query_as(
        "SELECT status::text, dek, body_markdown, published_at, body_html FROM articles WHERE slug = $1",
    )
    .bind(slug)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn wordpress_posts_become_stories_in_their_status_with_dates_deks_and_bodies(pool: PgPool) {
    let run = imported(&pool, &fixture()).await;
    assert!(
        run.stdout.starts_with("imported 6, updated 0, skipped 5\n"),
        "{}",
        run.stdout
    );
    for reason in [
        "private",
        "in the trash",
        "a page",
        "an attachment",
        "title must be at most 200",
    ] {
        assert!(run.stdout.contains(reason), "{reason}: {}", run.stdout);
    }

    let (status, dek, body, at, html) = story(&pool, "short-naps-memory").await;
    assert_eq!(status, "published");
    assert_eq!(
        at.unwrap(),
        time::macros::datetime!(2019-05-14 09:30 UTC),
        "the GMT date"
    );
    assert_eq!(
        dek,
        "A half-hour nap improved memory scores in a year-long study of older adults."
    );
    // Paragraphs, the caption as an image with alt text and its caption, the embed as a link;
    // the gallery and unknown shortcodes gone, their words kept when they enclosed some.
    assert!(
        body.starts_with("Researchers followed 300 people"),
        "{body}"
    );
    assert!(body.contains("![A volunteer resting during the nap study](https://old-news.example/wp-content/uploads/2019/05/nap-study-640x400.jpg)"), "{body}");
    assert!(
        body.contains("*A volunteer resting during the nap study*"),
        "{body}"
    );
    assert!(
        body.contains(
            "[https://video.example/watch?v=nap123](https://video.example/watch?v=nap123)"
        ),
        "{body}"
    );
    assert!(
        body.contains("Half an hour was enough. Longer naps did not help more."),
        "{body}"
    );
    for raw in [
        "[caption",
        "[/caption]",
        "[embed",
        "[gallery",
        "[pullquote",
        "[contact-form",
        "<!--",
    ] {
        assert!(
            !body.contains(raw) && !html.contains(raw),
            "{raw} shown raw: {body}"
        );
    }

    let (status, dek, body, _, _) = story(&pool, "walking-after-meals").await;
    assert_eq!(status, "published");
    assert_eq!(
        dek, "A ten-minute walk after dinner lowered blood sugar in a trial of 40 adults.",
        "derived from the body"
    );
    assert!(
        !body.contains("wp:") && body.contains("## What they measured"),
        "{body}"
    );
    assert!(body.contains("![Two people walking in a park]("), "{body}");

    let (_, _, body, _, _) = story(&pool, "home-blood-pressure").await;
    assert!(body.contains("![home cuff](https://old-news.example/wp-content/uploads/2021/07/home_cuff-300x200.png)"), "alt from the file name: {body}");
    assert!(
        body.contains("(https://journal.example/articles/bp-at-home)"),
        "a bare URL is a link: {body}"
    );

    let (status, _, _, at, _) = story(&pool, "coffee-and-heart-rhythm-draft").await;
    assert_eq!(
        (status.as_str(), at),
        ("draft", None),
        "no slug in the export: one from the title"
    );
    let (status, _, _, at, _) = story(&pool, "screen-time-teen-sleep").await;
    assert_eq!((status.as_str(), at), ("in_review", None));
    let (status, _, _, at, _) = story(&pool, "salt-guidance").await;
    assert_eq!(status, "scheduled");
    assert_eq!(at.unwrap(), time::macros::datetime!(2031-01-15 06:00 UTC));
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM scheduled_jobs j JOIN articles a ON a.id = j.article_id WHERE a.slug = 'salt-guidance'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(jobs, 1, "the scheduled story publishes on its date");

    // Revision 1 of each story names its source.
    let notes: Vec<String> = sqlx::query_scalar(
        "SELECT change_note FROM article_revisions WHERE number = 1 ORDER BY change_note",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(notes.len(), 6);
    assert!(
        notes
            .iter()
            .all(|n| n.starts_with("Imported from WordPress (https://old-news.example, post ")),
        "{notes:?}"
    );
}

#[sqlx::test]
async fn categories_and_tags_become_topics_and_authors_bylines(pool: PgPool) {
    imported(&pool, &fixture()).await;
    let topics: Vec<(String, String, String)> =
        sqlx::query_as("SELECT slug, name, description FROM topics ORDER BY slug")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        topics,
        vec![
            (
                "clinical-trials".into(),
                "Clinical trials".into(),
                "Randomised trials and what they found.".into()
            ),
            ("heart".into(), "Heart health".into(), String::new()),
            (
                "sleep-and-rest".into(),
                "Sleep & rest".into(),
                "Studies of sleep, naps and the body at rest.".into()
            ),
        ],
        "slugs kept, names and descriptions carried, WordPress's 'Uncategorized' left out"
    );
    let app = TestApp::new(pool.clone());
    let page = app.get("/research-news/short-naps-memory").await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Ana Ruiz"), "the byline");
    assert!(
        page.text.contains("/topics/sleep-and-rest")
            && page.text.contains("/topics/clinical-trials")
    );
    let page = app.get("/research-news/walking-after-meals").await;
    assert!(
        page.text.contains("Ben Okafor"),
        "the second author, matched by login"
    );
    let people: Vec<String> = sqlx::query_scalar("SELECT slug FROM people ORDER BY slug")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(people, vec!["ana-ruiz", "ben-okafor"]);
}

#[sqlx::test]
async fn old_permalinks_and_post_ids_answer_301_to_the_story(pool: PgPool) {
    imported(&pool, &fixture()).await;
    let app = TestApp::new(pool.clone());
    for (old, story) in [
        ("/2019/05/short-naps-memory/", "short-naps-memory"),
        ("/2019/05/short-naps-memory", "short-naps-memory"),
        ("/?p=101", "short-naps-memory"),
        ("/2020/02/walking-after-meals/", "walking-after-meals"),
        ("/?p=110", "home-blood-pressure"),
    ] {
        let answer = app.get(old).await;
        assert_eq!(answer.status, 301, "{old}");
        assert_eq!(
            answer.header("location"),
            format!("/research-news/{story}"),
            "{old}"
        );
    }
    // The story's current URL, after a rename.
    sqlx::query("UPDATE articles SET slug = 'naps-and-memory' WHERE slug = 'short-naps-memory'")
        .execute(&pool)
        .await
        .unwrap();
    let answer = app.get("/?p=101").await;
    assert_eq!(answer.header("location"), "/research-news/naps-and-memory");
    // Stories readers cannot see, and unknown ids and paths, are 404s.
    for missing in [
        "/?p=103",
        "/?p=105",
        "/?p=999",
        "/2021/08/too-long/",
        "/staff-notes/",
        "/no/such/page",
    ] {
        assert_eq!(app.get(missing).await.status, 404, "{missing}");
    }
    assert_eq!(app.get("/").await.status, 200, "the front page itself");
}

#[sqlx::test]
async fn a_second_run_of_the_same_file_creates_and_changes_nothing(pool: PgPool) {
    imported(&pool, &fixture()).await;
    let before = counts(&pool).await;
    let versions: Vec<i32> = sqlx::query_scalar("SELECT version FROM articles ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    let run = imported(&pool, &fixture()).await;
    assert!(
        run.stdout.starts_with(
            "imported 0, updated 0, skipped 5\nunchanged 6; topics added 0, people added 0"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(counts(&pool).await, before, "no new rows, no new revisions");
    let again: Vec<i32> = sqlx::query_scalar("SELECT version FROM articles ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(again, versions);
}

#[sqlx::test]
async fn a_changed_post_updates_its_story_as_a_new_revision(pool: PgPool) {
    imported(&pool, &fixture()).await;
    let changed = std::fs::read_to_string(fixture())
        .unwrap()
        .replace("Longer naps did not help more.", "Longer naps did not help more, the team found.")
        .replace("<wp:status><![CDATA[pending]]></wp:status>", "<wp:status><![CDATA[publish]]></wp:status>\n<wp:post_date_gmt><![CDATA[2021-04-01 10:00:00]]></wp:post_date_gmt>");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("changed.wxr");
    std::fs::write(&file, changed).unwrap();
    let before = counts(&pool).await;
    let run = imported(&pool, &file).await;
    assert!(
        run.stdout.starts_with("imported 0, updated 2, skipped 5"),
        "{}",
        run.stdout
    );
    let after = counts(&pool).await;
    assert_eq!(after[0], before[0], "no new story");
    assert_eq!(
        after[1],
        before[1] + 2,
        "one revision for each changed post"
    );
    let (_, _, body, _, _) = story(&pool, "short-naps-memory").await;
    assert!(body.contains("the team found."), "{body}");
    let note: String = sqlx::query_scalar(
        "SELECT r.change_note FROM article_revisions r JOIN articles a ON a.id = r.article_id WHERE a.slug = 'short-naps-memory' ORDER BY r.number DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        note,
        "Re-imported from WordPress (https://old-news.example, post 101): changed at the source"
    );
    let (status, _, _, _, _) = story(&pool, "screen-time-teen-sleep").await;
    assert_eq!(
        status, "published",
        "a status changed at the source follows"
    );
    assert_eq!(TestApp::new(pool.clone()).get("/?p=104").await.status, 301);
}

#[sqlx::test]
async fn bad_input_is_a_clear_error_with_exit_status_1_and_nothing_written(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read_to_string(fixture()).unwrap();
    let cases = [
        ("not-xml.txt", "just some words, not XML at all".to_owned(), "not a WordPress export"),
        ("page.html", "<html><body><p>hello</p></body></html>".to_owned(), "not a WordPress export"),
        ("feed.xml", "<rss version=\"2.0\"><channel><title>t</title><item><title>x</title></item></channel></rss>".to_owned(), "not a WordPress export"),
        ("ghost.json", "{\"db\": [{\"data\": {\"posts\": []}}]}".to_owned(), "not a WordPress export"),
        // Cut short after its first items: the good items before the break are not written either.
        ("cut.wxr", whole[..whole.len() * 2 / 3].to_owned(), "broken XML"),
    ];
    let empty = counts(&pool).await;
    for (name, text, says) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        let run = import(&pool, &file, &[]).await;
        assert_eq!(run.code, Some(1), "{name}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{name}: {}", run.stderr);
        assert_eq!(counts(&pool).await, empty, "{name}: nothing written");
    }
    let run = import(&pool, &dir.path().join("missing.wxr"), &[]).await;
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("cannot read the file"),
        "{}",
        run.stderr
    );
}

#[sqlx::test]
async fn a_dry_run_prints_the_same_summary_and_writes_nothing(pool: PgPool) {
    let empty = counts(&pool).await;
    let dry = import(&pool, &fixture(), &["--dry-run"]).await;
    assert!(dry.ok, "{}", dry.stderr);
    assert_eq!(counts(&pool).await, empty);
    assert!(
        dry.stdout.contains("dry run: nothing was written"),
        "{}",
        dry.stdout
    );
    let real = imported(&pool, &fixture()).await;
    let first_line = |s: &str| s.lines().next().unwrap_or_default().to_owned();
    assert_eq!(first_line(&dry.stdout), first_line(&real.stdout));
    assert_eq!(first_line(&dry.stdout), "imported 6, updated 0, skipped 5");
}

#[sqlx::test]
async fn a_few_hundred_posts_import_once_and_a_second_run_is_idempotent(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sample.wxr");
    let made = dateline(&pool)
        .args(["import-sample", "--posts", "300", "--out"])
        .arg(&file)
        .output()
        .await
        .unwrap();
    assert!(made.status.success());
    let run = imported(&pool, &file).await;
    // Of every 20 posts, one is private and one a page.
    assert!(
        run.stdout
            .starts_with("imported 270, updated 0, skipped 30\n"),
        "{}",
        run.stdout
    );
    let published: i64 =
        sqlx::query_scalar("SELECT count(*) FROM articles WHERE status = 'published'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(published, 300 - 30 - 15 * 3);
    let before = counts(&pool).await;
    let run = imported(&pool, &file).await;
    assert!(
        run.stdout
            .starts_with("imported 0, updated 0, skipped 30\nunchanged 270"),
        "{}",
        run.stdout
    );
    assert_eq!(counts(&pool).await, before);
}

//! Story pages' rows read in batches (`dateline::db::batch`): many reads at once share few
//! queries, each still gets its own story read after it was asked for, and a failed batch
//! is a `503` for each of its readers, never a hang.

use std::sync::Arc;

use dateline::db::batch::StoryReads;
use dateline::error::AppError;
use futures_util::future::join_all;
use sqlx::PgPool;

use crate::helpers::{ArticleBuilder, insert_topic};

#[sqlx::test]
async fn concurrent_reads_share_a_few_batches_and_each_gets_its_own_story(pool: PgPool) {
    insert_topic(&pool, "heart", "Heart", "").await;
    for n in 0..20_usize {
        ArticleBuilder::new(&format!("Story number {n}"))
            .slug(&format!("story-{n}"))
            .topics(if n.is_multiple_of(2) { &["heart"] } else { &[] })
            .insert(&pool)
            .await;
    }
    let reads = StoryReads::new(pool.clone());
    // 300 reads at once: the 20 stories many times over, and slugs that do not exist.
    let slugs: Vec<String> = (0..300)
        .map(|i| match i % 25 {
            n @ 0..20 => format!("story-{n}"),
            n => format!("no-such-story-{n}"),
        })
        .collect();
    let answers = join_all(slugs.iter().map(|slug| {
        let reads = Arc::clone(&reads);
        async move { reads.load(slug).await.unwrap() }
    }))
    .await;

    for (slug, answer) in slugs.iter().zip(&answers) {
        match slug.strip_prefix("story-") {
            Some(n) => {
                let story = answer
                    .as_ref()
                    .unwrap_or_else(|| panic!("{slug} was found"));
                assert_eq!(story.article.slug, *slug);
                assert_eq!(story.article.title, format!("Story number {n}"));
                let n: usize = n.parse().unwrap();
                assert_eq!(
                    story.topics.len(),
                    usize::from(n.is_multiple_of(2)),
                    "{slug}'s topics"
                );
            }
            None => assert!(answer.is_none(), "{slug} does not exist"),
        }
    }
    let sent = reads.batches_sent();
    assert!(
        sent <= 10,
        "300 reads at once took {sent} queries; batches of up to {} expected",
        dateline::db::batch::MAX_BATCH
    );
}

#[sqlx::test]
async fn a_read_sees_what_was_committed_before_it_was_asked_for(pool: PgPool) {
    ArticleBuilder::new("Before the edit")
        .slug("edited")
        .insert(&pool)
        .await;
    let reads = StoryReads::new(pool.clone());
    let before = reads.load("edited").await.unwrap().unwrap();
    assert_eq!(before.article.title, "Before the edit");

    sqlx::query("UPDATE articles SET title = 'After the edit' WHERE slug = 'edited'")
        .execute(&pool)
        .await
        .unwrap();
    let after = reads.load("edited").await.unwrap().unwrap();
    assert_eq!(after.article.title, "After the edit");

    sqlx::query("UPDATE articles SET deleted_at = now() WHERE slug = 'edited'")
        .execute(&pool)
        .await
        .unwrap();
    assert!(
        reads.load("edited").await.unwrap().is_none(),
        "a deleted story is not read"
    );
}

#[sqlx::test]
async fn a_failed_batch_answers_each_reader_unavailable(pool: PgPool) {
    ArticleBuilder::new("Anything")
        .slug("any")
        .insert(&pool)
        .await;
    let closed = PgPool::connect_with((*pool.connect_options()).clone())
        .await
        .unwrap();
    closed.close().await;
    let reads = StoryReads::new(closed);
    let answers = join_all((0..50).map(|_| reads.load("any"))).await;
    for answer in answers {
        let err = answer.expect_err("the pool is closed");
        assert!(
            matches!(AppError::from(err), AppError::Unavailable),
            "a closed pool is a 503"
        );
    }
    // The reader is not stuck: with a working pool the next reads are answered.
    let reads = StoryReads::new(pool);
    assert!(reads.load("any").await.unwrap().is_some());
}

#[sqlx::test]
async fn a_server_without_its_cache_answers_concurrent_story_requests_each_rightly(pool: PgPool) {
    for (slug, title) in [("first", "The first story"), ("second", "The second story")] {
        ArticleBuilder::new(title).slug(slug).insert(&pool).await;
    }
    let renamed = ArticleBuilder::new("A renamed story")
        .slug("renamed")
        .insert(&pool)
        .await;
    let mut conn = pool.acquire().await.unwrap();
    dateline::db::slug_history::record_previous_slug(&mut conn, renamed, "old-name")
        .await
        .unwrap();
    drop(conn);
    // Every request renders its page: story pages on the HTTP threads, their rows in batches.
    let (_server, _log, address) =
        crate::helpers::server::start_server_with(&pool, &[("DATELINE_CACHE_MB", "0")]).await;

    let paths = ["first", "second", "old-name", "no-such-story", "renamed"];
    let answers = join_all((0..60).map(|i| {
        let address = address.clone();
        async move {
            let path = format!("/research-news/{}", paths[i % paths.len()]);
            let answer = crate::helpers::server::exchange(&address, "GET", &path, &[], None).await;
            (path, answer)
        }
    }))
    .await;
    for (path, (status, body)) in answers {
        match path.as_str() {
            "/research-news/first" => {
                assert_eq!(status, 200, "{path}");
                assert!(body.contains("The first story") && !body.contains("The second story"));
            }
            "/research-news/second" => {
                assert_eq!(status, 200, "{path}");
                assert!(body.contains("The second story") && !body.contains("The first story"));
            }
            "/research-news/renamed" => {
                assert_eq!(status, 200, "{path}");
                assert!(body.contains("A renamed story"));
            }
            "/research-news/old-name" => assert_eq!(status, 301, "{path}"),
            _ => assert_eq!(status, 404, "{path}"),
        }
    }
}

/// The backends that have run the story query, by the start of the query text PostgreSQL
/// shows for them (only the story query reads an empty `body_markdown`).
async fn story_reading_backends(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()
           AND query LIKE '%'''' AS \"body_' || 'markdown!\"%'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn a_threads_own_reader_keeps_one_connection_and_replaces_a_lost_one(pool: PgPool) {
    ArticleBuilder::new("Read on its own thread")
        .slug("own")
        .insert(&pool)
        .await;
    let shared = StoryReads::new(pool.clone());
    assert!(
        Arc::ptr_eq(&shared.here(), &shared),
        "without adopting, a thread uses the instance's reader"
    );
    shared.adopt_on_this_thread();
    let own = shared.here();
    assert!(!Arc::ptr_eq(&own, &shared), "the thread's own reader");
    assert!(
        Arc::ptr_eq(&own, &shared.here()),
        "the same own reader each time"
    );
    let other = StoryReads::new(pool.clone());
    assert!(
        Arc::ptr_eq(&other.here(), &other),
        "another instance's reader is not stood in for"
    );

    for _ in 0..20 {
        let story = own.load("own").await.unwrap().expect("the story is read");
        assert_eq!(story.article.title, "Read on its own thread");
    }
    assert_eq!(
        story_reading_backends(&pool).await,
        1,
        "twenty reads, one after another, over one kept connection"
    );
    assert_eq!(
        shared.batches_sent(),
        0,
        "the instance's reader was not used"
    );

    // PostgreSQL ends every other backend (as a restart would): the next read is still
    // answered, over a new connection.
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .execute(&pool)
    .await
    .unwrap();
    let story = own
        .load("own")
        .await
        .unwrap()
        .expect("read again after the loss");
    assert_eq!(story.article.slug, "own");
    // A previous slug is looked up by the instance's reader.
    assert!(
        own.current_slug_for_previous("never-used")
            .await
            .unwrap()
            .is_none()
    );

    StoryReads::leave_this_thread();
    assert!(Arc::ptr_eq(&shared.here(), &shared));
    drop(own);
    // Its connection closes with it.
    let mut closed = false;
    for _ in 0..50 {
        if story_reading_backends(&pool).await == 0 {
            closed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        closed,
        "the own reader's connection was closed when it was dropped"
    );
}

#[sqlx::test]
async fn a_threads_own_reader_that_cannot_connect_answers_unavailable(pool: PgPool) {
    let options = (*pool.connect_options()).clone().port(1);
    let unreachable = sqlx::postgres::PgPoolOptions::new().connect_lazy_with(options);
    let shared = StoryReads::new(unreachable);
    shared.adopt_on_this_thread();
    let answers = join_all((0..10).map(|_| {
        let own = shared.here();
        async move { own.load("any").await }
    }))
    .await;
    StoryReads::leave_this_thread();
    for answer in answers {
        let err = answer.expect_err("nothing listens there");
        assert!(matches!(AppError::from(err), AppError::Unavailable));
    }
}

//! Story pages read their row in batches when many are asked for at once ([`StoryReads`]): a
//! read is sent at once when no batch is running; otherwise it waits for the next batch, which
//! the running one sends as soon as it ends, with every read that queued meanwhile. Each HTTP
//! thread reads over a connection of its own ([`StoryReads::adopt_on_this_thread`]). Why, and
//! what it measured: docs/DESIGN.md ("Story reads in batches").

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::FutureExt as _;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions as _, PgPool};
use tokio::sync::oneshot;

use crate::db::stories::Story;

/// Batches running at once. One: under load batches grow and round trips shrink, and a read
/// alone waits at most for the batch running when it came (docs/BENCHMARKS.md).
pub const IN_FLIGHT: usize = 1;

/// The most stories one batch reads.
pub const MAX_BATCH: usize = 64;

/// Why a batched read failed; every read of the batch gets the same error.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Database(Arc<sqlx::Error>),
    /// The batch's task ended without an answer (it panicked, or the runtime is shutting down).
    #[error("the batch ended without an answer")]
    Lost,
}

type Answer = Result<Option<Story>, ReadError>;

/// Batched reads of story pages' rows. Cheap to share (`Arc`).
#[derive(Debug)]
pub struct StoryReads {
    via: Via,
    /// Where batches run (`None` outside a runtime: the caller's runtime).
    runtime: Option<tokio::runtime::Handle>,
    queue: Mutex<Queue>,
    /// Batches sent so far.
    sent: AtomicU64,
}

#[derive(Debug, Default)]
struct Queue {
    waiting: Vec<(String, oneshot::Sender<Answer>)>,
    running: usize,
}

/// Where a reader's batches get their connection.
#[derive(Debug)]
enum Via {
    /// From a pool: the instance's reader.
    Pool(PgPool),
    /// One connection of the thread's own (see the module's documentation).
    Own(Box<OwnConnection>),
}

#[derive(Debug)]
struct OwnConnection {
    options: PgConnectOptions,
    /// `None` until the first batch, and after a failed one.
    kept: Mutex<Option<PgConnection>>,
    /// The instance's reader, which this one stands in for on its thread.
    shared: Arc<StoryReads>,
}

thread_local! {
    /// The calling thread's own reader, on the HTTP threads.
    static THIS_THREAD: std::cell::RefCell<Option<Arc<StoryReads>>> =
        const { std::cell::RefCell::new(None) };
}

impl StoryReads {
    pub fn new(pool: PgPool) -> Arc<Self> {
        Self::with(Via::Pool(pool))
    }

    fn with(via: Via) -> Arc<Self> {
        Arc::new(Self {
            via,
            runtime: tokio::runtime::Handle::try_current().ok(),
            queue: Mutex::default(),
            sent: AtomicU64::new(0),
        })
    }

    /// Gives the calling thread a reader of its own, standing in for this one there: its
    /// batches run on the thread's runtime (call this inside it) over one connection of its
    /// own, opened with this reader's pool's settings when first needed and kept.
    pub fn adopt_on_this_thread(self: &Arc<Self>) {
        let Via::Pool(pool) = &self.via else {
            return;
        };
        let own = Self::with(Via::Own(Box::new(OwnConnection {
            options: (*pool.connect_options()).clone(),
            kept: Mutex::new(None),
            shared: self.clone(),
        })));
        THIS_THREAD.with_borrow_mut(|reader| *reader = Some(own));
    }

    /// Drops the calling thread's own reader and its connection (before its runtime ends).
    pub fn leave_this_thread() {
        THIS_THREAD.with_borrow_mut(|reader| *reader = None);
    }

    /// The reader to use on the calling thread: its own one standing in for this one, if it
    /// has one, or else this one.
    pub fn here(self: &Arc<Self>) -> Arc<Self> {
        THIS_THREAD
            .with_borrow(|reader| {
                reader.as_ref().and_then(|own| match &own.via {
                    Via::Own(own_connection) if Arc::ptr_eq(&own_connection.shared, self) => {
                        Some(own.clone())
                    }
                    _ => None,
                })
            })
            .unwrap_or_else(|| self.clone())
    }

    /// Reads the stories of one batch.
    async fn read(&self, slugs: &[String]) -> sqlx::Result<Vec<Story>> {
        match &self.via {
            Via::Pool(pool) => crate::db::stories::stories_by_slugs(pool, slugs).await,
            Via::Own(own) => own.read(slugs).await,
        }
    }

    /// How many batches (queries) this reader has sent.
    pub fn batches_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// The story at `slug` (not deleted), as [`crate::db::stories::stories_by_slugs`] reads it.
    pub async fn load(self: &Arc<Self>, slug: &str) -> Answer {
        let (answer, answered) = oneshot::channel();
        let start = {
            let mut queue = self
                .queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            queue.waiting.push((slug.to_owned(), answer));
            let start = queue.running < IN_FLIGHT;
            if start {
                queue.running += 1;
            }
            start
        };
        if start {
            let batches = Batches {
                reads: self.clone(),
                done: false,
            };
            let run = batches.run();
            match &self.runtime {
                Some(runtime) => drop(runtime.spawn(run)),
                None => drop(tokio::spawn(run)),
            }
        }
        answered.await.unwrap_or(Err(ReadError::Lost))
    }
}

impl StoryReads {
    /// The current slug of the story that used to live at `old_slug` (a `301`), read on the
    /// batches' runtime too: story pages are rendered on the HTTP threads, which never use
    /// the pool themselves (a connection opened there would belong to that thread's loop).
    pub async fn current_slug_for_previous(
        &self,
        old_slug: &str,
    ) -> Result<Option<String>, ReadError> {
        let pool = match &self.via {
            Via::Pool(pool) => pool.clone(),
            // Rare (an old link): the instance's reader answers it on the main runtime.
            Via::Own(own) => return Box::pin(own.shared.current_slug_for_previous(old_slug)).await,
        };
        let old_slug = old_slug.to_owned();
        let read = async move {
            crate::db::slug_history::current_slug_for_previous(&pool, &old_slug).await
        };
        let task = match &self.runtime {
            Some(runtime) => runtime.spawn(read),
            None => tokio::spawn(read),
        };
        match task.await {
            Ok(answer) => answer.map_err(|err| ReadError::Database(Arc::new(err))),
            Err(_) => Err(ReadError::Lost),
        }
    }
}

impl OwnConnection {
    /// One batch's read over the kept connection. A failed read drops it; the next batch opens
    /// a new one. A kept connection that was lost meanwhile (PostgreSQL restarted, or closed
    /// it) is replaced at once and the read, which changes nothing, sent again.
    async fn read(&self, slugs: &[String]) -> sqlx::Result<Vec<Story>> {
        let kept = self.take();
        let reused = kept.is_some();
        let mut connection = match kept {
            Some(connection) => connection,
            None => self.connect().await?,
        };
        let read = crate::db::stories::stories_by_slugs(&mut connection, slugs).await;
        let stories = match read {
            Ok(stories) => stories,
            Err(err) if reused && connection_lost(&err) => {
                drop(connection);
                connection = self.connect().await?;
                crate::db::stories::stories_by_slugs(&mut connection, slugs).await?
            }
            Err(err) => return Err(err),
        };
        *self
            .kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(connection);
        Ok(stories)
    }

    fn take(&self) -> Option<PgConnection> {
        self.kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }

    /// A new connection, or `PoolTimedOut` (a `503`) after as long as the pools wait.
    async fn connect(&self) -> sqlx::Result<PgConnection> {
        tokio::time::timeout(crate::db::ACQUIRE_TIMEOUT, self.options.connect())
            .await
            .unwrap_or(Err(sqlx::Error::PoolTimedOut))
    }
}

/// Whether the error says the connection itself is gone, not the query.
fn connection_lost(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) => true,
        // `57P…`: the server is shutting down or ended the session; `08…`: connection errors.
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("57P") || code.starts_with("08")),
        _ => false,
    }
}

/// One running sender of batches: it sends until nothing waits. Should it end otherwise (its
/// runtime shutting down drops it), it frees its place and fails what waits.
struct Batches {
    reads: Arc<StoryReads>,
    done: bool,
}

impl Batches {
    async fn run(mut self) {
        while let Some(batch) = self.next_batch() {
            // A panic fails this batch's reads (their answers are dropped), not the next ones.
            let _ = AssertUnwindSafe(self.send(batch)).catch_unwind().await;
        }
    }

    /// Reads one batch and answers each of its reads.
    async fn send(&self, batch: Vec<(String, oneshot::Sender<Answer>)>) {
        let mut slugs: Vec<String> = batch.iter().map(|(slug, _)| slug.clone()).collect();
        slugs.sort_unstable();
        slugs.dedup();
        self.reads.sent.fetch_add(1, Ordering::Relaxed);
        match self.reads.read(&slugs).await {
            Ok(stories) => {
                let by_slug: HashMap<&str, &Story> = stories
                    .iter()
                    .map(|story| (story.article.slug.as_str(), story))
                    .collect();
                for (slug, answer) in batch {
                    let story = by_slug.get(slug.as_str()).map(|story| (*story).clone());
                    let _ = answer.send(Ok(story));
                }
            }
            Err(err) => {
                let err = ReadError::Database(Arc::new(err));
                for (_, answer) in batch {
                    let _ = answer.send(Err(err.clone()));
                }
            }
        }
    }

    /// The reads waiting now, up to [`MAX_BATCH`]; `None`, with this sender's place freed, when
    /// none wait.
    fn next_batch(&mut self) -> Option<Vec<(String, oneshot::Sender<Answer>)>> {
        let mut queue = self
            .reads
            .queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if queue.waiting.is_empty() {
            queue.running -= 1;
            self.done = true;
            return None;
        }
        let take = queue.waiting.len().min(MAX_BATCH);
        Some(queue.waiting.drain(..take).collect())
    }
}

impl Drop for Batches {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut queue = self
            .reads
            .queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        queue.running -= 1;
        if queue.running == 0 {
            // Nobody is left to send them: their readers get `Lost`, not a wait without end.
            queue.waiting.clear();
        }
    }
}

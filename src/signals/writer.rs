//! Feedback entries written in batches, the way PostgreSQL groups commits: while one batch is
//! being written, the entries that arrive meanwhile wait and go together in the next
//! statement. Under load that is one round trip, one plan and one commit for many entries
//! instead of one each; a lone entry goes at once, alone.
//!
//! Nothing is acknowledged before it is committed: each request waits for its own batch's
//! outcome, so a crash loses no entry a reader was told was received, and a batch that fails
//! fails as a whole (one statement) and every request in it gets the error. Each entry is still
//! checked on its own (rate limits, duplicates, the story's status); entries from the same
//! client are never written at the same time, so that each sees the ones before it. An entry
//! whose reader gave up waiting (its request timed out) is not written.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use sqlx::PgPool;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use crate::db::feedback::{InsertOutcome, NewFeedback};
use crate::error::AppError;

/// The most entries in one statement.
pub const MAX_BATCH: usize = 64;
/// Batches written at once (each holds one pooled connection).
pub const CONCURRENT_BATCHES: usize = 2;

type Reply = oneshot::Sender<Result<InsertOutcome, AppError>>;

struct Job {
    entry: NewFeedback,
    reply: Reply,
}

/// The queue in front of the batches; started on first use.
#[derive(Debug, Default)]
pub struct FeedbackWriter {
    queue: OnceLock<mpsc::Sender<Job>>,
}

impl FeedbackWriter {
    /// Stores one entry (checked as [`crate::db::feedback::insert_batch`] describes) and
    /// returns what became of it, once its batch is committed.
    pub async fn submit(
        &self,
        pool: &PgPool,
        entry: NewFeedback,
    ) -> Result<InsertOutcome, AppError> {
        let queue = self.queue.get_or_init(|| spawn_batcher(pool.clone()));
        let (reply, answer) = oneshot::channel();
        // Waiting or being written: counted until this request has its outcome (or gives up).
        let _depth = QueueDepth::enter();
        if queue.send(Job { entry, reply }).await.is_err() {
            return Err(AppError::Unavailable);
        }
        answer.await.unwrap_or(Err(AppError::Unavailable))
    }
}

/// One entry in `dateline_feedback_queue_depth`, for as long as it lives.
struct QueueDepth(metrics::Gauge);

impl QueueDepth {
    fn enter() -> Self {
        let gauge = metrics::gauge!(crate::metrics::FEEDBACK_QUEUE);
        gauge.increment(1.0);
        Self(gauge)
    }
}

impl Drop for QueueDepth {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

fn spawn_batcher(pool: PgPool) -> mpsc::Sender<Job> {
    let (sender, receiver) = mpsc::channel(4 * MAX_BATCH);
    tokio::spawn(batch_loop(pool, receiver));
    sender
}

/// Entries a client may have waiting; more at once are over its limit anyway and are
/// answered `429` at once, so that one client cannot fill the queue.
pub const MAX_WAITING_PER_CLIENT: usize = 2 * crate::db::feedback::PER_MINUTE as usize;

/// Entries waiting for a batch: a queue per client, and the clients in the order they came.
#[derive(Default)]
struct Waiting {
    by_client: HashMap<Vec<u8>, VecDeque<Job>>,
    order: VecDeque<Vec<u8>>,
}

impl Waiting {
    fn push(&mut self, job: Job) {
        // The reader gave up (the request timed out or the connection closed): not stored.
        if job.reply.is_closed() {
            return;
        }
        let queue = self
            .by_client
            .entry(job.entry.client_hash.clone())
            .or_default();
        if queue.len() >= MAX_WAITING_PER_CLIENT {
            let _ = job.reply.send(Ok(InsertOutcome::RateLimited(60)));
            return;
        }
        if queue.is_empty() {
            self.order.push_back(job.entry.client_hash.clone());
        }
        queue.push_back(job);
    }

    fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The next batch: the oldest entry of each client that has none being written, clients
    /// in the order they came, at most [`MAX_BATCH`]. Their clients are marked as being written.
    fn take_batch(&mut self, writing: &mut HashSet<Vec<u8>>) -> Vec<Job> {
        let mut batch = Vec::new();
        let mut still_waiting = VecDeque::with_capacity(self.order.len());
        while let Some(client) = self.order.pop_front() {
            if batch.len() == MAX_BATCH || writing.contains(&client) {
                still_waiting.push_back(client);
                continue;
            }
            let Some(queue) = self.by_client.get_mut(&client) else {
                continue;
            };
            while let Some(job) = queue.pop_front() {
                if !job.reply.is_closed() {
                    batch.push(job);
                    writing.insert(client.clone());
                    break;
                }
            }
            if queue.is_empty() {
                self.by_client.remove(&client);
            } else {
                still_waiting.push_back(client);
            }
        }
        self.order = still_waiting;
        batch
    }
}

/// Marks a batch's clients as written and frees its slot when the batch ends, however it ends.
struct BatchDone {
    clients: Vec<Vec<u8>>,
    writing: Arc<Mutex<HashSet<Vec<u8>>>>,
    written: Arc<Notify>,
    _slot: OwnedSemaphorePermit,
}

impl Drop for BatchDone {
    fn drop(&mut self) {
        let mut writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        for client in &self.clients {
            writing.remove(client);
        }
        drop(writing);
        self.written.notify_one();
    }
}

/// Takes what is waiting as the next batch whenever a batch slot is free. An entry whose client
/// has one in a batch being written waits for a later batch: one client's entries are written
/// one after another, so each sees the ones before it (exact rate limits and duplicate checks
/// on this instance), and a client with many entries waiting holds up nobody else.
async fn batch_loop(pool: PgPool, mut receiver: mpsc::Receiver<Job>) {
    let slots = Arc::new(Semaphore::new(CONCURRENT_BATCHES));
    let writing: Arc<Mutex<HashSet<Vec<u8>>>> = Arc::default();
    let written = Arc::new(Notify::new());
    let mut waiting = Waiting::default();
    // False once every sender is gone (the application is shutting down).
    let mut open = true;
    loop {
        while let Ok(job) = receiver.try_recv() {
            waiting.push(job);
        }
        if waiting.is_empty() {
            if !open {
                return;
            }
            match receiver.recv().await {
                Some(job) => waiting.push(job),
                None => open = false,
            }
            continue;
        }
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        // What came while the slot was busy goes in this batch too.
        while let Ok(job) = receiver.try_recv() {
            waiting.push(job);
        }
        let batch = waiting.take_batch(&mut writing.lock().unwrap_or_else(PoisonError::into_inner));
        if batch.is_empty() {
            drop(slot);
            if waiting.is_empty() {
                continue;
            }
            // Every waiting client has an entry being written: wait for a batch to end (or,
            // while open, for a new entry).
            if open {
                tokio::select! {
                    () = written.notified() => {}
                    job = receiver.recv() => match job {
                        Some(job) => waiting.push(job),
                        None => open = false,
                    },
                }
            } else {
                written.notified().await;
            }
            continue;
        }
        let done = BatchDone {
            clients: batch
                .iter()
                .map(|job| job.entry.client_hash.clone())
                .collect(),
            writing: writing.clone(),
            written: written.clone(),
            _slot: slot,
        };
        let pool = pool.clone();
        tokio::spawn(async move {
            write_batch(&pool, batch).await;
            drop(done);
        });
    }
}

async fn write_batch(pool: &PgPool, batch: Vec<Job>) {
    let (entries, replies): (Vec<NewFeedback>, Vec<Reply>) =
        batch.into_iter().map(|job| (job.entry, job.reply)).unzip();
    match crate::db::feedback::insert_batch(pool, &entries).await {
        Ok(outcomes) => {
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                let _ = reply.send(Ok(outcome));
            }
        }
        Err(err) => {
            let unavailable = crate::error::database_unavailable(&err);
            if unavailable {
                tracing::warn!(error = %err, entries = entries.len(), "database unavailable; feedback not stored");
            } else {
                tracing::error!(error = %err, entries = entries.len(), "could not store feedback");
            }
            for reply in replies {
                let _ = reply.send(Err(if unavailable {
                    AppError::Unavailable
                } else {
                    AppError::Internal(anyhow::anyhow!("could not store feedback"))
                }));
            }
        }
    }
}

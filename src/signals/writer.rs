//! Feedback entries written in batches, the way PostgreSQL groups commits: while one batch is
//! being written, the entries that arrive meanwhile wait and go together in the next
//! statement. Under load that is one round trip, one plan and one commit for many entries
//! instead of one each; a lone entry goes at once, alone.
//!
//! Nothing is acknowledged before it is committed: each request waits for its own batch's
//! outcome, so a crash loses no entry a reader was told was received, and a batch that fails
//! fails as a whole (one statement) and every request in it gets the error. Each entry is still
//! checked on its own (rate limits, duplicates, the story's status); entries from the same
//! client are never written at the same time, so that each sees the ones before it.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

use sqlx::PgPool;
use tokio::sync::{Notify, Semaphore, mpsc, oneshot};

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
        if queue.send(Job { entry, reply }).await.is_err() {
            return Err(AppError::Unavailable);
        }
        answer.await.unwrap_or(Err(AppError::Unavailable))
    }
}

fn spawn_batcher(pool: PgPool) -> mpsc::Sender<Job> {
    let (sender, receiver) = mpsc::channel(4 * MAX_BATCH);
    tokio::spawn(batch_loop(pool, receiver));
    sender
}

/// Takes whatever is waiting (at least one entry) as the next batch, whenever a batch slot is
/// free. An entry whose client already has one in this batch or in a batch being written waits
/// for a later batch: one client's entries are written one after another, so each sees the
/// ones before it (exact rate limits and duplicate checks on this instance).
async fn batch_loop(pool: PgPool, mut receiver: mpsc::Receiver<Job>) {
    let slots = Arc::new(Semaphore::new(CONCURRENT_BATCHES));
    let writing: Arc<Mutex<HashSet<Vec<u8>>>> = Arc::default();
    let written = Arc::new(Notify::new());
    let mut held: VecDeque<Job> = VecDeque::new();
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        if held.is_empty() {
            match receiver.recv().await {
                Some(job) => held.push_back(job),
                // Every sender is gone: the application is shutting down.
                None => return,
            }
        }
        while held.len() < 4 * MAX_BATCH {
            match receiver.try_recv() {
                Ok(job) => held.push_back(job),
                Err(_) => break,
            }
        }
        let mut batch: Vec<Job> = Vec::with_capacity(held.len().min(MAX_BATCH));
        let mut later = VecDeque::new();
        {
            let mut writing = writing.lock().expect("writing lock");
            while let Some(job) = held.pop_front() {
                if batch.len() == MAX_BATCH || writing.contains(&job.entry.client_hash) {
                    later.push_back(job);
                } else {
                    writing.insert(job.entry.client_hash.clone());
                    batch.push(job);
                }
            }
        }
        held = later;
        if batch.is_empty() {
            // Everything waiting belongs to clients being written: wait for a batch to end
            // (or for a new entry).
            drop(slot);
            tokio::select! {
                () = written.notified() => {}
                job = receiver.recv() => match job {
                    Some(job) => held.push_back(job),
                    None if held.is_empty() => return,
                    None => {}
                },
            }
            continue;
        }
        let (pool, writing, written) = (pool.clone(), writing.clone(), written.clone());
        tokio::spawn(async move {
            let clients: Vec<Vec<u8>> = batch
                .iter()
                .map(|job| job.entry.client_hash.clone())
                .collect();
            write_batch(&pool, batch).await;
            let mut writing = writing.lock().expect("writing lock");
            for client in &clients {
                writing.remove(client);
            }
            drop(writing);
            drop(slot);
            written.notify_one();
        });
    }
}

async fn write_batch(pool: &PgPool, batch: Vec<Job>) {
    let entries: Vec<NewFeedback> = batch.iter().map(|job| job.entry.clone()).collect();
    match crate::db::feedback::insert_batch(pool, &entries).await {
        Ok(outcomes) => {
            for (job, outcome) in batch.into_iter().zip(outcomes) {
                let _ = job.reply.send(Ok(outcome));
            }
        }
        Err(err) => {
            let unavailable = crate::error::database_unavailable(&err);
            if unavailable {
                tracing::warn!(error = %err, entries = batch.len(), "database unavailable; feedback not stored");
            } else {
                tracing::error!(error = %err, entries = batch.len(), "could not store feedback");
            }
            for job in batch {
                let _ = job.reply.send(Err(if unavailable {
                    AppError::Unavailable
                } else {
                    AppError::Internal(anyhow::anyhow!("could not store feedback"))
                }));
            }
        }
    }
}

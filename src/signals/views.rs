//! Page views counted in memory per story per day and flushed in one batched upsert, never a
//! write per view. Counts that fail to flush are kept for the next try; a graceful shutdown
//! flushes what is left.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use sqlx::PgPool;

use crate::slots::{Padded, SLOTS};
use tokio::task::JoinHandle;
use uuid::Uuid;

type Counts = HashMap<(Uuid, time::Date), i64>;

/// Pending counts, one map per thread slot (`crate::slots`): every cache hit of a story counts
/// here, and one lock shared by the HTTP threads cost more than the count.
#[derive(Debug, Default)]
pub struct ViewCounter {
    pending: [Padded<Mutex<Counts>>; SLOTS],
}

fn lock(counts: &Mutex<Counts>) -> std::sync::MutexGuard<'_, Counts> {
    counts
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl ViewCounter {
    /// Counts one view of a story today (UTC).
    pub fn record(&self, article_id: Uuid) {
        let day = time::OffsetDateTime::now_utc().date();
        *lock(&self.pending[crate::slots::mine()])
            .entry((article_id, day))
            .or_default() += 1;
    }

    /// Views counted but not yet written.
    pub fn pending(&self) -> i64 {
        self.pending
            .iter()
            .map(|counts| lock(counts).values().sum::<i64>())
            .sum()
    }

    /// Writes everything counted so far; returns how many views were written.
    pub async fn flush(&self, pool: &PgPool) -> sqlx::Result<i64> {
        let mut batch = Counts::new();
        for counts in &self.pending {
            let taken = std::mem::take(&mut *lock(counts));
            if batch.is_empty() {
                batch = taken;
            } else {
                for (key, count) in taken {
                    *batch.entry(key).or_default() += count;
                }
            }
        }
        if batch.is_empty() {
            return Ok(0);
        }
        let total = batch.values().sum();
        let (mut ids, mut days, mut counts) = (Vec::new(), Vec::new(), Vec::new());
        for ((id, day), count) in &batch {
            ids.push(*id);
            days.push(*day);
            counts.push(*count);
        }
        if let Err(err) = crate::db::page_views::add(pool, &ids, &days, &counts).await {
            // Keep the counts for the next flush.
            let mut pending = lock(&self.pending[0]);
            for (key, count) in batch {
                *pending.entry(key).or_default() += count;
            }
            return Err(err);
        }
        Ok(total)
    }

    /// Flushes every `every` until `stop` is notified. A flush under way finishes first (an
    /// aborted one could lose the batch it took), so await the handle after notifying.
    pub fn spawn_flusher(
        self: std::sync::Arc<Self>,
        pool: PgPool,
        every: Duration,
        stop: std::sync::Arc<tokio::sync::Notify>,
    ) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            interval.tick().await;
            loop {
                tokio::select! {
                    _ = interval.tick() => {}
                    () = stop.notified() => return,
                }
                if let Err(err) = self.flush(&pool).await {
                    tracing::warn!(error = %err, pending = self.pending(), "could not write page views; will retry");
                }
            }
        })
    }
}

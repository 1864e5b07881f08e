//! Request limits shared by every instance (`/search` per client address): each instance counts
//! a client's hits of the current minute in memory and adds them to PostgreSQL a moment later
//! (in one statement for every client), learning the other instances' hits as it does; a
//! client's total is read before its first hit of the minute on an instance and again at most
//! once a second.
//! A hit is refused when the client's known total reaches the limit. Windows are clock minutes;
//! other instances' hits of the last 200 ms may not be known yet.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use time::OffsetDateTime;

/// How long hits wait in memory before they are added to the shared counts.
const SYNC_AFTER: Duration = Duration::from_millis(200);

#[derive(Debug, Default, Clone, Copy)]
struct Count {
    /// Hits here not yet added to the shared count.
    pending: i32,
    /// Hits of every instance, as last read.
    known: i32,
    /// When `known` was last read from the database.
    read_at: Option<std::time::Instant>,
}

/// How long a client's known total is trusted before it is read again (once a second at most
/// per client and instance, however many hits it sends).
const REREAD_AFTER: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
struct Window {
    /// Unix time of the minute's start.
    minute: i64,
    clients: HashMap<Vec<u8>, Count>,
}

/// One shared limit, e.g. searches a minute per client.
#[derive(Debug)]
pub struct SharedLimit {
    scope: &'static str,
    per_minute: i32,
    window: Mutex<Window>,
    sync_scheduled: AtomicBool,
}

/// A hit over the limit: retry after this many seconds (the rest of the minute).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverLimit(pub u64);

fn minute_start(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix - unix.rem_euclid(60))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl SharedLimit {
    /// `per_minute` 0: no limit.
    pub fn new(scope: &'static str, per_minute: u32) -> Arc<Self> {
        Arc::new(Self {
            scope,
            per_minute: i32::try_from(per_minute).unwrap_or(i32::MAX),
            window: Mutex::new(Window::default()),
            sync_scheduled: AtomicBool::new(false),
        })
    }

    /// No limit (`per_minute` 0).
    pub fn is_off(&self) -> bool {
        self.per_minute == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        self.window
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts a hit of `client`, or refuses it. A database error never refuses a reader: the
    /// hit is then judged by this instance's counts alone.
    pub async fn hit(self: &Arc<Self>, pool: &PgPool, client: &[u8]) -> Result<(), OverLimit> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let minute = now - now.rem_euclid(60);
        let fresh = {
            let mut window = self.lock();
            if window.minute != minute {
                window.minute = minute;
                window.clients.clear();
            }
            window
                .clients
                .get(client)
                .and_then(|c| c.read_at)
                .is_some_and(|at| at.elapsed() < REREAD_AFTER)
        };
        if !fresh {
            let known = crate::db::ratelimit::hits(pool, self.scope, minute_start(now), client)
                .await
                .unwrap_or(0);
            let mut window = self.lock();
            if window.minute == minute {
                let count = window.clients.entry(client.to_vec()).or_default();
                count.known = count.known.max(known);
                count.read_at = Some(std::time::Instant::now());
            }
        }
        let verdict = {
            let mut window = self.lock();
            let count = window.clients.entry(client.to_vec()).or_default();
            if count.known.saturating_add(count.pending) >= self.per_minute {
                Err(OverLimit(
                    u64::try_from(60 - now.rem_euclid(60)).unwrap_or(60).max(1),
                ))
            } else {
                count.pending += 1;
                Ok(())
            }
        };
        if verdict.is_ok() && !self.sync_scheduled.swap(true, Ordering::AcqRel) {
            let limit = Arc::clone(self);
            let pool = pool.clone();
            tokio::spawn(async move {
                tokio::time::sleep(SYNC_AFTER).await;
                limit.sync_scheduled.store(false, Ordering::Release);
                limit.sync(&pool).await;
            });
        }
        verdict
    }

    /// Adds the pending hits to the shared counts and learns the totals.
    pub async fn sync(&self, pool: &PgPool) {
        let (minute, clients, hits) = {
            let mut window = self.lock();
            let mut clients = Vec::new();
            let mut hits = Vec::new();
            for (client, count) in &mut window.clients {
                if count.pending > 0 {
                    clients.push(client.clone());
                    hits.push(count.pending);
                    count.known += count.pending;
                    count.pending = 0;
                }
            }
            (window.minute, clients, hits)
        };
        if clients.is_empty() {
            return;
        }
        match crate::db::ratelimit::add(pool, self.scope, minute_start(minute), &clients, &hits)
            .await
        {
            Ok(totals) => {
                let mut window = self.lock();
                if window.minute == minute {
                    for (client, total) in totals {
                        if let Some(count) = window.clients.get_mut(&client) {
                            count.known = count.known.max(total);
                        }
                    }
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, scope = self.scope, "could not share request counts")
            }
        }
        if minute.rem_euclid(600) == 0 {
            let _ = crate::db::ratelimit::prune(pool).await;
        }
    }
}

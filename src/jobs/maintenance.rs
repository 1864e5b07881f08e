//! Periodic upkeep, run by one instance for all: each task is claimed in `maintenance_runs`
//! ([`crate::db::maintenance::claim`]) before it runs, so however many instances share the
//! database, a task runs once per period; one that fell due while no server ran runs at
//! start-up.

use std::time::Duration;

use sqlx::PgPool;
use tokio::task::JoinHandle;

use crate::jobs::scheduler::counted_run;

/// How often each instance asks whether a task is due.
pub const TICK: Duration = Duration::from_secs(60);

/// Expired admin sessions are deleted this often (they are refused as soon as they expire;
/// this only keeps the table small).
pub const SESSIONS_EVERY: Duration = Duration::from_secs(3600);

/// The archive policy, when enabled, runs this often (CONTRACT §11: once a day).
pub const ARCHIVE_POLICY_EVERY: Duration = Duration::from_secs(24 * 3600);

/// The start of the recent stories of search moves this often (it steers only the work of a
/// search, so an hour's new stories in the recent part cost nothing but a little speed).
pub const SEARCH_WINDOW_EVERY: Duration = Duration::from_secs(3600);

/// Runs every task that is due and claimed by this instance; returns the names of those run.
pub async fn run_due(pool: &PgPool) -> Vec<&'static str> {
    let mut ran = Vec::new();
    // Claimed only while enabled, so a policy switched on runs within a minute, then daily.
    // Each archive commits on its own and announces its change to every instance's cache.
    let enabled = crate::db::archive_policy::get(pool)
        .await
        .map(|p| p.enabled)
        .unwrap_or(false);
    if enabled {
        let apply = async {
            crate::service::archive_policy::apply(pool)
                .await
                .map(|done| done.value)
        };
        claimed(
            pool,
            "archive_policy.apply",
            ARCHIVE_POLICY_EVERY,
            apply,
            &mut ran,
        )
        .await;
    }
    let sessions = crate::db::maintenance::delete_expired_sessions(pool);
    claimed(
        pool,
        "sessions.delete_expired",
        SESSIONS_EVERY,
        sessions,
        &mut ran,
    )
    .await;
    let window = crate::db::search::move_recent_window(pool, crate::db::search::RECENT_STORIES);
    claimed(
        pool,
        "search.move_recent_window",
        SEARCH_WINDOW_EVERY,
        window,
        &mut ran,
    )
    .await;
    ran
}

/// Runs `task` when this instance claims `name` for the period `every` (it is not started
/// otherwise), adds `name` to `ran` when it succeeds, and counts and logs the outcome.
async fn claimed<T: std::fmt::Debug, E: std::fmt::Display>(
    pool: &PgPool,
    name: &'static str,
    every: Duration,
    task: impl std::future::Future<Output = Result<T, E>>,
    ran: &mut Vec<&'static str>,
) {
    match crate::db::maintenance::claim(pool, name, every).await {
        Ok(true) => match task.await {
            Ok(result) => {
                tracing::info!(task = name, ?result, "upkeep task done");
                ran.push(name);
                counted_run(name, "ok");
            }
            Err(err) => {
                counted_run(name, "error");
                tracing::warn!(task = name, error = %err, "upkeep task failed");
            }
        },
        Ok(false) => {}
        Err(err) => tracing::warn!(task = name, error = %err, "could not claim an upkeep task"),
    }
}

/// Starts the upkeep loop; abort the handle to stop it.
pub fn spawn(pool: PgPool) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(TICK);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            run_due(&pool).await;
        }
    })
}

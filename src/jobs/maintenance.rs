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
        match crate::db::maintenance::claim(pool, "archive_policy.apply", ARCHIVE_POLICY_EVERY)
            .await
        {
            Ok(true) => match crate::service::archive_policy::apply(pool).await {
                Ok(done) => {
                    tracing::info!(archived = done.value, "archive policy applied");
                    ran.push("archive_policy.apply");
                    counted_run("archive_policy.apply", "ok");
                }
                Err(err) => {
                    counted_run("archive_policy.apply", "error");
                    tracing::warn!(error = %err, "could not apply the archive policy");
                }
            },
            Ok(false) => {}
            Err(err) => tracing::warn!(error = %err, "could not claim the archive policy run"),
        }
    }
    match crate::db::maintenance::claim(pool, "sessions.delete_expired", SESSIONS_EVERY).await {
        Ok(true) => match crate::db::maintenance::delete_expired_sessions(pool).await {
            Ok(deleted) => {
                tracing::info!(deleted, "expired admin sessions deleted");
                ran.push("sessions.delete_expired");
                counted_run("sessions.delete_expired", "ok");
            }
            Err(err) => {
                counted_run("sessions.delete_expired", "error");
                tracing::warn!(error = %err, "could not delete expired sessions");
            }
        },
        Ok(false) => {}
        Err(err) => tracing::warn!(error = %err, "could not claim the session clean-up"),
    }
    match crate::db::maintenance::claim(pool, "search.move_recent_window", SEARCH_WINDOW_EVERY)
        .await
    {
        Ok(true) => {
            match crate::db::search::move_recent_window(pool, crate::db::search::RECENT_STORIES)
                .await
            {
                Ok(since) => {
                    tracing::info!(since = ?since, "search's recent stories moved");
                    ran.push("search.move_recent_window");
                    counted_run("search.move_recent_window", "ok");
                }
                Err(err) => {
                    counted_run("search.move_recent_window", "error");
                    tracing::warn!(error = %err, "could not move search's recent stories");
                }
            }
        }
        Ok(false) => {}
        Err(err) => tracing::warn!(error = %err, "could not claim the search window move"),
    }
    ran
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

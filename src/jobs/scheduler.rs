//! Runs scheduled publications on time: every second it claims due jobs with
//! `FOR UPDATE SKIP LOCKED` (so several instances never run one job twice) and runs them. Jobs
//! that fell due while no server ran are picked up at start-up, on the first tick.

use std::time::Duration;

use sqlx::PgPool;
use tokio::task::JoinHandle;

use crate::service::articles::run_due_job;

/// How often due jobs are looked for.
pub const TICK: Duration = Duration::from_secs(1);

/// Runs every job that is due now; returns how many ran.
pub async fn run_due(pool: &PgPool) -> usize {
    let mut ran = 0;
    loop {
        match run_due_job(pool).await {
            Ok(true) => {
                ran += 1;
                counted_run("scheduled_job", "ok");
            }
            Ok(false) => return ran,
            Err(err) => {
                counted_run("scheduled_job", "error");
                tracing::warn!(error = %err, "scheduler could not run due jobs");
                return ran;
            }
        }
    }
}

/// Counts one run of a background task in `dateline_scheduler_runs_total`.
pub fn counted_run(task: &'static str, outcome: &'static str) {
    metrics::counter!(crate::metrics::SCHEDULER_RUNS, "task" => task, "outcome" => outcome)
        .increment(1);
}

/// Starts the scheduler loop; abort the handle to stop it.
pub fn spawn(pool: PgPool) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(TICK);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let ran = run_due(&pool).await;
            if ran > 0 {
                tracing::info!(ran, "scheduled jobs ran");
            }
        }
    })
}

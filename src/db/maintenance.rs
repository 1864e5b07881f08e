//! `maintenance_runs` and the upkeep it schedules: periodic tasks that one instance runs for all.

use sqlx::PgPool;

/// Claims the task `name` when it last ran at least `every` ago (or never): `true` for exactly
/// one caller per period, however many instances ask at once (the row's lock orders them, and
/// the second finds the time already moved).
pub async fn claim(pool: &PgPool, name: &str, every: std::time::Duration) -> sqlx::Result<bool> {
    let seconds = every.as_secs_f64();
    let claimed = sqlx::query_scalar!(
        r#"INSERT INTO maintenance_runs (name, last_run_at) VALUES ($1, now())
           ON CONFLICT (name) DO UPDATE SET last_run_at = now()
           WHERE maintenance_runs.last_run_at <= now() - make_interval(secs => $2)
           RETURNING name"#,
        name,
        seconds,
    )
    .fetch_optional(pool)
    .await?;
    Ok(claimed.is_some())
}

/// Deletes admin sessions past their expiry; returns how many went.
pub async fn delete_expired_sessions(pool: &PgPool) -> sqlx::Result<u64> {
    let done = sqlx::query!("DELETE FROM tower_sessions.session WHERE expiry_date < now()")
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

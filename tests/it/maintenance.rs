//! Periodic upkeep that one instance does for all: expired admin sessions are deleted, and
//! search's recent stories moved, once per period, however many instances ask at the same
//! moment.

use sqlx::PgPool;

async fn add_session(pool: &PgPool, id: &str, expires_in_secs: i64) {
    sqlx::query(
        "INSERT INTO tower_sessions.session (id, data, expiry_date)
         VALUES ($1, '\\x00', now() + make_interval(secs => $2))",
    )
    .bind(id)
    .bind(expires_in_secs as f64)
    .execute(pool)
    .await
    .unwrap();
}

async fn sessions(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT id FROM tower_sessions.session ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn expired_sessions_are_deleted_once_across_instances(pool: PgPool) {
    add_session(&pool, "expired-a", -3600).await;
    add_session(&pool, "expired-b", -1).await;
    add_session(&pool, "live", 3600).await;
    // Four instances ask at once: exactly one runs each task.
    let runs =
        futures_util::future::join_all((0..4).map(|_| dateline::jobs::maintenance::run_due(&pool)))
            .await;
    let mut ran: Vec<_> = runs.into_iter().flatten().collect();
    ran.sort_unstable();
    assert_eq!(
        ran,
        ["search.move_recent_window", "sessions.delete_expired"]
    );
    assert_eq!(sessions(&pool).await, ["live"]);
    // Within the period nobody runs it again; once the period has passed, someone does.
    add_session(&pool, "expired-c", -1).await;
    assert!(dateline::jobs::maintenance::run_due(&pool).await.is_empty());
    sqlx::query("UPDATE maintenance_runs SET last_run_at = now() - interval '2 hours'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        dateline::jobs::maintenance::run_due(&pool).await,
        ["sessions.delete_expired", "search.move_recent_window"]
    );
    assert_eq!(sessions(&pool).await, ["live"]);
}

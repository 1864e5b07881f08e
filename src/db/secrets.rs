//! `app_secrets` and `feedback_keys`: keys shared by every instance through the database.

use sqlx::PgPool;

/// The secret called `name`, created (randomly, once) on first use.
pub async fn get_or_create(pool: &PgPool, name: &str, fresh: &[u8]) -> sqlx::Result<Vec<u8>> {
    sqlx::query!(
        "INSERT INTO app_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        name,
        fresh
    )
    .execute(pool)
    .await?;
    sqlx::query_scalar!("SELECT value FROM app_secrets WHERE name = $1", name)
        .fetch_one(pool)
        .await
}

/// Today's (UTC) client-hash key, created on first use; keys older than two days are deleted.
pub async fn day_key(pool: &PgPool, day: time::Date, fresh: &[u8]) -> sqlx::Result<Vec<u8>> {
    sqlx::query!(
        "INSERT INTO feedback_keys (day, key) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING",
        day,
        fresh
    )
    .execute(pool)
    .await?;
    sqlx::query!("DELETE FROM feedback_keys WHERE day < $1::date - 1", day)
        .execute(pool)
        .await?;
    sqlx::query_scalar!("SELECT key FROM feedback_keys WHERE day = $1", day)
        .fetch_one(pool)
        .await
}

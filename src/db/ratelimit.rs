//! Request counts shared by every instance: hits per scope (e.g. `search`), client and minute.

use sqlx::PgPool;
use time::OffsetDateTime;

/// Adds each client's hits in `minute` and answers the totals of every instance.
pub async fn add(
    pool: &PgPool,
    scope: &str,
    minute: OffsetDateTime,
    clients: &[Vec<u8>],
    hits: &[i32],
) -> sqlx::Result<Vec<(Vec<u8>, i32)>> {
    let rows = sqlx::query!(
        r#"
        INSERT INTO rate_limit_hits (scope, client, minute, hits)
        SELECT $1, c, $2, h FROM unnest($3::bytea[], $4::int[]) AS x(c, h) ORDER BY c
        ON CONFLICT (scope, client, minute)
            DO UPDATE SET hits = rate_limit_hits.hits + EXCLUDED.hits
        RETURNING client, hits
        "#,
        scope,
        minute,
        clients,
        hits
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.client, r.hits)).collect())
}

/// A client's hits in `minute` on every instance.
pub async fn hits(
    pool: &PgPool,
    scope: &str,
    minute: OffsetDateTime,
    client: &[u8],
) -> sqlx::Result<i32> {
    Ok(sqlx::query_scalar!(
        "SELECT hits FROM rate_limit_hits WHERE scope = $1 AND client = $2 AND minute = $3",
        scope,
        client,
        minute
    )
    .fetch_optional(pool)
    .await?
    .unwrap_or(0))
}

/// Forgets minutes long past.
pub async fn prune(pool: &PgPool) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM rate_limit_hits WHERE minute < now() - interval '10 minutes'")
        .execute(pool)
        .await?;
    Ok(())
}

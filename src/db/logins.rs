//! The `login_failures` table and the user lookups of the admin login.

use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::policy::Role;

/// Failed attempts in the last 15 minutes, for this account and for this client.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecentFailures {
    pub account: i64,
    pub client: i64,
    /// Seconds since the latest failure of either kind.
    pub seconds_since_last: i64,
}

pub async fn recent_failures(
    pool: &PgPool,
    email: &str,
    client_hash: &[u8],
) -> sqlx::Result<RecentFailures> {
    let row = sqlx::query!(
        r#"
        SELECT count(*) FILTER (WHERE lower(email) = lower($1)) AS "account!",
               count(*) FILTER (WHERE client_hash = $2) AS "client!",
               coalesce(extract(epoch FROM now() - max(created_at))::bigint, 1000000) AS "since!"
        FROM login_failures
        WHERE created_at > now() - interval '15 minutes'
          AND (lower(email) = lower($1) OR client_hash = $2)
        "#,
        email,
        client_hash
    )
    .fetch_one(pool)
    .await?;
    Ok(RecentFailures {
        account: row.account,
        client: row.client,
        seconds_since_last: row.since,
    })
}

pub async fn record_failure(pool: &PgPool, email: &str, client_hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query!(
        "WITH old AS (DELETE FROM login_failures WHERE created_at < now() - interval '1 day')
         INSERT INTO login_failures (email, client_hash) VALUES ($1, $2)",
        email,
        client_hash
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// A successful login clears the account's failures.
pub async fn clear_failures(pool: &PgPool, email: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM login_failures WHERE lower(email) = lower($1)",
        email
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// What the login needs of a user: the hash and whether the account is usable.
#[derive(Debug, Clone)]
pub struct LoginUser {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub session_epoch: i32,
}

impl LoginUser {
    /// The user as the policy sees them.
    pub fn actor(&self) -> crate::domain::policy::Actor {
        crate::domain::policy::Actor {
            id: self.id,
            role: self.role,
        }
    }
}

pub async fn find_for_login(pool: &PgPool, email: &str) -> sqlx::Result<Option<LoginUser>> {
    sqlx::query_as!(
        LoginUser,
        r#"SELECT id, email, name, role AS "role: Role", password_hash, session_epoch
           FROM users WHERE lower(email) = lower($1) AND disabled_at IS NULL"#,
        email
    )
    .fetch_optional(pool)
    .await
}

/// The active user of a session, if the session's epoch is still current.
pub async fn find_session_user(
    pool: &PgPool,
    id: Uuid,
    epoch: i32,
) -> sqlx::Result<Option<LoginUser>> {
    sqlx::query_as!(
        LoginUser,
        r#"SELECT id, email, name, role AS "role: Role", password_hash, session_epoch
           FROM users WHERE id = $1 AND disabled_at IS NULL AND session_epoch = $2"#,
        id,
        epoch
    )
    .fetch_optional(pool)
    .await
}

/// Sets a new password hash and ends every session of the user.
pub async fn set_password(pool: &PgPool, id: Uuid, hash: &str) -> sqlx::Result<i32> {
    sqlx::query_scalar!(
        "UPDATE users SET password_hash = $2, session_epoch = session_epoch + 1, updated_at = now()
         WHERE id = $1 RETURNING session_epoch",
        id,
        hash
    )
    .fetch_one(pool)
    .await
}

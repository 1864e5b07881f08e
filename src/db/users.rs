//! The `users` and `api_tokens` tables.

use sqlx::{PgExecutor, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::policy::Role;

/// A user as the application sees it (no password hash).
#[derive(Debug, Clone)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// An API token's public facts.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub id: Uuid,
    pub name: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    email: &str,
    name: &str,
    role: Role,
    password_hash: &str,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO users (id, email, name, role, password_hash) VALUES ($1, $2, $3, $4, $5)",
        id,
        email,
        name,
        role as Role,
        password_hash
    )
    .execute(db)
    .await?;
    Ok(id)
}

/// An active (not disabled) user by email, case-insensitively.
pub async fn find_active_by_email(pool: &PgPool, email: &str) -> sqlx::Result<Option<User>> {
    sqlx::query_as!(
        User,
        r#"SELECT id, email, name, role AS "role: Role" FROM users
           WHERE lower(email) = lower($1) AND disabled_at IS NULL"#,
        email
    )
    .fetch_optional(pool)
    .await
}

/// The active user holding the token with this digest, and the token's id; the token's
/// last-used time is refreshed at most once a minute (not a write per request).
pub async fn find_by_token_digest(
    pool: &PgPool,
    digest: &[u8],
) -> sqlx::Result<Option<(User, Uuid)>> {
    let row = sqlx::query!(
        r#"
        SELECT u.id, u.email, u.name, u.role AS "role: Role", t.id AS token_id,
               (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute') AS "stale!"
        FROM api_tokens t JOIN users u ON u.id = t.user_id
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL
        "#,
        digest
    )
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    if row.stale {
        sqlx::query!(
            "UPDATE api_tokens SET last_used_at = now() WHERE id = $1",
            row.token_id
        )
        .execute(pool)
        .await?;
    }
    let user = User {
        id: row.id,
        email: row.email,
        name: row.name,
        role: row.role,
    };
    Ok(Some((user, row.token_id)))
}

pub async fn insert_token(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    name: &str,
    digest: &[u8],
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO api_tokens (id, user_id, name, token_hash) VALUES ($1, $2, $3, $4)",
        id,
        user_id,
        name,
        digest
    )
    .execute(db)
    .await?;
    Ok(id)
}

pub async fn list_tokens(pool: &PgPool, user_id: Uuid) -> sqlx::Result<Vec<TokenInfo>> {
    sqlx::query_as!(
        TokenInfo,
        "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens
         WHERE user_id = $1 ORDER BY created_at",
        user_id
    )
    .fetch_all(pool)
    .await
}

/// Revokes a token; returns whether an active token was revoked.
pub async fn revoke_token(db: impl PgExecutor<'_>, token_id: Uuid) -> sqlx::Result<bool> {
    let result = sqlx::query!(
        "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
        token_id
    )
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// A user as the admin pages list them.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub disabled_at: Option<OffsetDateTime>,
}

pub async fn list_all(pool: &PgPool) -> sqlx::Result<Vec<UserRow>> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id, email, name, role AS "role: Role", disabled_at FROM users
           ORDER BY disabled_at IS NOT NULL, lower(name)"#
    )
    .fetch_all(pool)
    .await
}

pub async fn find_row(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id, email, name, role AS "role: Role", disabled_at FROM users WHERE id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await
}

pub async fn set_role(pool: &PgPool, id: Uuid, role: Role) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE users SET role = $2, updated_at = now() WHERE id = $1",
        id,
        role as Role
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Disables a user: their sessions end (new epoch) and their tokens stop working.
pub async fn disable(pool: &PgPool, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE users SET disabled_at = now(), session_epoch = session_epoch + 1, updated_at = now()
         WHERE id = $1 AND disabled_at IS NULL",
        id
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

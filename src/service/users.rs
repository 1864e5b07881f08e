//! Users and API tokens, for the command line and (later) the admin UI.

use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::domain::policy::Role;
use crate::domain::secret;
use crate::error::{AppError, FieldError};

/// Prefix of API tokens, so that leaked ones are easy to recognise in logs and scanners.
pub const TOKEN_PREFIX: &str = "dl_";

fn check_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Creates a user with an Argon2id hash of `password` (checked for length and strength), from
/// the command line.
pub async fn create_user(
    pool: &PgPool,
    email: &str,
    name: &str,
    role: Role,
    password: &str,
) -> Result<Uuid, AppError> {
    create_user_by(pool, None, email, name, role, password).await
}

/// [`create_user`] by `actor` (an admin), who is named in the audit log.
pub async fn create_user_by(
    pool: &PgPool,
    actor: Option<Uuid>,
    email: &str,
    name: &str,
    role: Role,
    password: &str,
) -> Result<Uuid, AppError> {
    let email = email.trim();
    let name = name.trim();
    let mut errors = Vec::new();
    if !check_email(email) {
        errors.push(FieldError::new("email", "must be an email address"));
    }
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(FieldError::new("name", "must be 1 to 200 characters"));
    }
    if let Err(err) = secret::check_password(password, &[email, name]) {
        errors.push(FieldError::new("password", err.to_string()));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || secret::hash_password(&password))
        .await
        .map_err(anyhow::Error::from)?;
    let id = db::users::insert(pool, email, name, role, &hash).await?;
    db::audit::record(
        pool,
        actor,
        "user.create",
        "user",
        Some(id),
        serde_json::json!({ "role": role }),
    )
    .await?;
    Ok(id)
}

/// Creates an API token for the user with `email`; returns the secret, which is not stored.
pub async fn create_token(
    pool: &PgPool,
    email: &str,
    name: &str,
) -> Result<(Uuid, String), AppError> {
    create_token_by(pool, None, email, name).await
}

/// [`create_token`] by `actor` (an admin; `None` from the command line).
pub async fn create_token_by(
    pool: &PgPool,
    actor: Option<Uuid>,
    email: &str,
    name: &str,
) -> Result<(Uuid, String), AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::field("name", "must be 1 to 100 characters"));
    }
    let user = db::users::find_active_by_email(pool, email)
        .await?
        .ok_or_else(|| AppError::field("email", "no active user has this email"))?;
    let (secret, digest) = secret::new_token(TOKEN_PREFIX);
    let id = db::users::insert_token(pool, user.id, name, &digest).await?;
    db::audit::record(
        pool,
        actor,
        "token.create",
        "api_token",
        Some(id),
        serde_json::json!({ "name": name, "owner": user.id }),
    )
    .await?;
    Ok((id, secret))
}

/// Revokes an API token (from the command line).
pub async fn revoke_token(pool: &PgPool, id: Uuid) -> Result<(), AppError> {
    revoke_token_by(pool, None, id).await
}

/// [`revoke_token`] by `actor` (an admin).
pub async fn revoke_token_by(pool: &PgPool, actor: Option<Uuid>, id: Uuid) -> Result<(), AppError> {
    if !db::users::revoke_token(pool, id).await? {
        return Err(AppError::NotFound);
    }
    db::audit::record(
        pool,
        actor,
        "token.revoke",
        "api_token",
        Some(id),
        serde_json::json!({}),
    )
    .await?;
    Ok(())
}

/// Changes a user's role (admins only; the caller checks).
pub async fn change_role(pool: &PgPool, actor: Uuid, id: Uuid, role: Role) -> Result<(), AppError> {
    if actor == id {
        return Err(AppError::field(
            "role",
            "cannot be changed on your own account",
        ));
    }
    if !db::users::set_role(pool, id, role).await? {
        return Err(AppError::NotFound);
    }
    db::audit::record(
        pool,
        Some(actor),
        "user.role_change",
        "user",
        Some(id),
        serde_json::json!({ "role": role }),
    )
    .await?;
    Ok(())
}

/// Disables a user: their sessions end and their API tokens stop working. An admin cannot
/// disable their own account (there would be no one left to undo it).
pub async fn disable_user(pool: &PgPool, actor: Uuid, id: Uuid) -> Result<(), AppError> {
    if actor == id {
        return Err(AppError::Conflict(
            "You cannot disable your own account.".into(),
        ));
    }
    if !db::users::disable(pool, id).await? {
        return Err(AppError::NotFound);
    }
    db::audit::record(
        pool,
        Some(actor),
        "user.disable",
        "user",
        Some(id),
        serde_json::json!({}),
    )
    .await?;
    Ok(())
}

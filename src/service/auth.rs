//! Admin sign-in: password check with throttling per account and per client, and password
//! changes. Both leave an audit entry.

use sqlx::PgPool;

use crate::db;
use crate::db::logins::LoginUser;
use crate::domain::secret;
use crate::error::{AppError, FieldError};

/// Failures allowed in 15 minutes before delays start, per account and per client.
pub const FREE_ACCOUNT_FAILURES: i64 = 5;
pub const FREE_CLIENT_FAILURES: i64 = 20;
/// Failed API token uses per client in 15 minutes before the audit log notes it.
pub const FREE_TOKEN_FAILURES: i64 = 10;
/// The `login_failures` mark of a failed API token (an email always has an `@`).
const TOKEN_FAILURE_MARK: &str = "api-token";
/// The longest delay, in seconds.
pub const MAX_DELAY_SECS: i64 = 900;

/// What a sign-in attempt came to.
#[derive(Debug)]
pub enum LoginOutcome {
    SignedIn(Box<LoginUser>),
    /// Unknown email or wrong password: the same answer for both.
    Invalid,
    /// Too many recent failures: try again after this many seconds.
    Throttled(u64),
}

/// The delay owed after `failures` failures when `free` are allowed: 1, 2, 4 … seconds.
pub fn delay_after(failures: i64, free: i64) -> i64 {
    if failures < free {
        0
    } else {
        let exponent = u32::try_from((failures - free).min(20)).unwrap_or(20);
        2_i64.pow(exponent).min(MAX_DELAY_SECS)
    }
}

async fn verify(password: &str, hash: &str) -> Result<bool, AppError> {
    let password = password.to_owned();
    let hash = hash.to_owned();
    tokio::task::spawn_blocking(move || secret::verify_password(&password, &hash))
        .await
        .map_err(|e| AppError::Internal(e.into()))
}

pub async fn login(
    pool: &PgPool,
    email: &str,
    password: &str,
    client_hash: &[u8],
) -> Result<LoginOutcome, AppError> {
    let email = email.trim();
    let recent = db::logins::recent_failures(pool, email, client_hash).await?;
    let owed = delay_after(recent.account, FREE_ACCOUNT_FAILURES)
        .max(delay_after(recent.client, FREE_CLIENT_FAILURES));
    if owed > recent.seconds_since_last {
        return Ok(LoginOutcome::Throttled(
            u64::try_from(owed - recent.seconds_since_last).unwrap_or(1),
        ));
    }
    let user = db::logins::find_for_login(pool, email).await?;
    // An unknown email costs the same Argon2 work as a wrong password.
    let hash = user
        .as_ref()
        .map_or(secret::dummy_hash(), |u| u.password_hash.as_str());
    let matches = verify(password, hash).await?;
    match user {
        Some(user) if matches => {
            db::logins::clear_failures(pool, email).await?;
            db::audit::record(
                pool,
                Some(user.id),
                "user.login",
                "user",
                Some(user.id),
                serde_json::json!({}),
            )
            .await?;
            Ok(LoginOutcome::SignedIn(Box::new(user)))
        }
        user => {
            let known = user.is_some();
            db::logins::record_failure(pool, email, client_hash).await?;
            db::audit::record(
                pool,
                None,
                "user.login_failed",
                "user",
                user.map(|u| u.id),
                serde_json::json!({ "known_email": known }),
            )
            .await?;
            Ok(LoginOutcome::Invalid)
        }
    }
}

/// Changes a user's password after checking the current one; ends every session of the user
/// (the caller starts a fresh one). Returns the new session epoch.
pub async fn change_password(
    pool: &PgPool,
    user: &LoginUser,
    current: &str,
    new: &str,
    confirm: &str,
) -> Result<i32, AppError> {
    let mut errors = Vec::new();
    if !verify(current, &user.password_hash).await? {
        errors.push(FieldError::new(
            "current_password",
            "is not your current password",
        ));
    }
    if let Err(err) = secret::check_password(new, &[&user.email, &user.name]) {
        errors.push(FieldError::new("new_password", err.to_string()));
    } else if new != confirm {
        errors.push(FieldError::new(
            "confirm_password",
            "does not match the new password",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let new = new.to_owned();
    let hash = tokio::task::spawn_blocking(move || secret::hash_password(&new))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let epoch = db::logins::set_password(pool, user.id, &hash).await?;
    db::audit::record(
        pool,
        Some(user.id),
        "user.password_change",
        "user",
        Some(user.id),
        serde_json::json!({}),
    )
    .await?;
    Ok(epoch)
}

/// Records a request that sent an unknown or revoked API token (or one of a disabled user).
/// The answer stays `401` however often it happens (the contract's answer to a bad token, and
/// 256-bit tokens cannot be guessed); the audit log notes once when a client passes
/// [`FREE_TOKEN_FAILURES`] misses in 15 minutes (`token.guessing`), for an admin to look into.
pub async fn token_rejected(pool: &PgPool, client_hash: &[u8]) -> Result<(), AppError> {
    db::logins::record_failure(pool, TOKEN_FAILURE_MARK, client_hash).await?;
    let recent = db::logins::recent_failures(pool, TOKEN_FAILURE_MARK, client_hash).await?;
    if recent.client == FREE_TOKEN_FAILURES + 1 {
        db::audit::record(
            pool,
            None,
            "token.guessing",
            "api_token",
            None,
            serde_json::json!({ "failures": recent.client }),
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_after_the_free_attempts_and_stop_growing() {
        assert_eq!(delay_after(4, 5), 0);
        assert_eq!(delay_after(5, 5), 1);
        assert_eq!(delay_after(6, 5), 2);
        assert_eq!(delay_after(9, 5), 16);
        assert_eq!(delay_after(40, 5), MAX_DELAY_SECS);
    }
}

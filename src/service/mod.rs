//! The service layer: one function per editorial action, each one transaction that checks the
//! actor's rights, applies the domain rules, writes the article, a revision of the whole article,
//! an audit entry and the slug history, and emits a change event. The API and the admin UI both
//! change stories only through here.

pub mod archive_policy;
pub mod articles;
pub mod auth;
pub mod autosaves;
pub mod feedback;
pub mod import;
pub mod media;
pub mod people;
pub mod previews;
pub mod search;
pub mod topics;
pub mod users;
pub mod webhooks;

/// `Forbidden` unless `actor` may do `action` (an action not on one article).
pub(crate) fn require(
    actor: crate::domain::policy::Actor,
    action: crate::domain::policy::Action,
) -> Result<(), crate::error::AppError> {
    if crate::domain::policy::can(actor, action, None) {
        Ok(())
    } else {
        Err(crate::error::AppError::Forbidden)
    }
}

/// Now, at the microsecond precision PostgreSQL stores, so that what a write answers equals
/// what a later read answers.
pub fn now() -> time::OffsetDateTime {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}

//! Webhook subscriptions through one service, whichever door (API or admin page): adding one
//! (its URL checked against the address rules, its host looked up), listing, deleting, the
//! "send test event" action and the delivery log. Admins only; each change is audited.

use std::net::IpAddr;

use sqlx::PgPool;
use uuid::Uuid;

use crate::db;
use crate::db::webhooks::{LogEntry, Webhook};
use crate::domain::policy::{Action, Actor};
use crate::domain::webhooks as rules;
use crate::error::{AppError, FieldError};

/// A webhook just added, with its signing secret (shown this once).
#[derive(Debug, Clone)]
pub struct Created {
    pub webhook: Webhook,
    pub secret: String,
}

/// Checks a webhook URL: the rules of [`rules::check_url`], then, unless the host is allowed,
/// every address its name resolves to (a name that does not resolve yet is accepted: each
/// delivery checks the addresses again). The error message says what is wrong.
pub async fn check_url(raw: &str, allow_hosts: &[String]) -> Result<rules::Target, String> {
    let target = rules::check_url(raw, allow_hosts)?;
    if target.allowed_host || target.ip.is_some() {
        return Ok(target);
    }
    // A name that does not resolve now (no DNS here yet, a receiver still being set up) may
    // resolve later; every delivery checks what it resolves to then, so it is accepted.
    let Ok(addresses) = resolve(&target.host, target.port).await else {
        return Ok(target);
    };
    if let Some(ip) = rules::first_forbidden(&addresses) {
        return Err(format!(
            "must not resolve to a loopback, private or link-local address ({} resolves to {ip})",
            target.host
        ));
    }
    Ok(target)
}

/// The longest wait for a name lookup.
pub const LOOKUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The addresses `host` resolves to (at least one).
pub async fn resolve(host: &str, port: u16) -> std::io::Result<Vec<IpAddr>> {
    // A resolver that does not answer is an error, not a request left hanging.
    let found = tokio::time::timeout(LOOKUP_TIMEOUT, tokio::net::lookup_host((host, port)))
        .await
        .map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::TimedOut, "name lookup timed out")
        })??;
    let addresses: Vec<IpAddr> = found.map(|a| a.ip()).collect();
    if addresses.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no address",
        ));
    }
    Ok(addresses)
}

/// Adds a webhook for `events` (each a known event; repeats are dropped) at `url`.
pub async fn create(
    pool: &PgPool,
    actor: Actor,
    url: &str,
    events: &[String],
    allow_hosts: &[String],
) -> Result<Created, AppError> {
    crate::service::require(actor, Action::ManageWebhooks)?;
    let mut errors = Vec::new();
    let mut chosen: Vec<String> = Vec::new();
    if events.is_empty() {
        errors.push(FieldError::new("events", "must name at least one event"));
    }
    for (index, name) in events.iter().enumerate() {
        match rules::event(name) {
            Some(known) if !chosen.iter().any(|c| c == known) => chosen.push(known.to_owned()),
            Some(_) => {}
            None => errors.push(FieldError::new(
                format!("events[{index}]"),
                format!("is not a known event (known: {})", rules::EVENTS.join(", ")),
            )),
        }
    }
    let target = match check_url(url, allow_hosts).await {
        Ok(target) => Some(target),
        Err(message) => {
            errors.push(FieldError::new("url", message));
            None
        }
    };
    let Some(target) = target.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let secret = rules::new_secret();
    let mut tx = pool.begin().await?;
    let webhook = db::webhooks::insert(
        &mut *tx,
        target.url.as_str(),
        &chosen,
        &secret,
        Some(actor.id),
    )
    .await?;
    db::audit::record(
        &mut *tx,
        Some(actor.id),
        "webhook.create",
        "webhook",
        Some(webhook.id),
        serde_json::json!({ "url": webhook.url, "events": webhook.events }),
    )
    .await?;
    tx.commit().await?;
    Ok(Created { webhook, secret })
}

/// Every active webhook.
pub async fn list(pool: &PgPool, actor: Actor) -> Result<Vec<Webhook>, AppError> {
    crate::service::require(actor, Action::ManageWebhooks)?;
    Ok(db::webhooks::list(pool).await?)
}

/// One active webhook.
pub async fn find(pool: &PgPool, actor: Actor, id: Uuid) -> Result<Webhook, AppError> {
    crate::service::require(actor, Action::ManageWebhooks)?;
    db::webhooks::find(pool, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Deletes a webhook: nothing more is sent to it (deliveries waiting are given up).
pub async fn delete(pool: &PgPool, actor: Actor, id: Uuid) -> Result<(), AppError> {
    crate::service::require(actor, Action::ManageWebhooks)?;
    let mut tx = pool.begin().await?;
    if !db::webhooks::delete(&mut tx, id).await? {
        return Err(AppError::NotFound);
    }
    db::audit::record(
        &mut *tx,
        Some(actor.id),
        "webhook.delete",
        "webhook",
        Some(id),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What "send test event" queued.
#[derive(Debug, Clone)]
pub struct TestQueued {
    pub webhook: Webhook,
    /// The event's id: the `webhook-id` header the receiver will see.
    pub event_id: Uuid,
    pub event_type: &'static str,
    pub data: serde_json::Value,
}

/// Queues a `webhook.test` event for this webhook alone (whatever it subscribes to); it is
/// delivered, signed and retried like any other.
pub async fn send_test(pool: &PgPool, actor: Actor, id: Uuid) -> Result<TestQueued, AppError> {
    crate::service::require(actor, Action::ManageWebhooks)?;
    let mut tx = pool.begin().await?;
    let webhook = db::webhooks::find(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let data = serde_json::json!({
        "webhook_id": webhook.id,
        "message": "A test event sent from Dateline.",
    });
    let (event_id, _) =
        db::webhooks::queue(&mut tx, rules::TEST_EVENT, None, &data, Some(webhook.id)).await?;
    db::audit::record(
        &mut *tx,
        Some(actor.id),
        "webhook.test",
        "webhook",
        Some(webhook.id),
        serde_json::json!({ "event_id": event_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(TestQueued {
        webhook,
        event_id,
        event_type: rules::TEST_EVENT,
        data,
    })
}

/// A page of a webhook's delivery log, newest first, and the number of entries in all.
pub async fn deliveries(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    limit: i64,
    offset: i64,
) -> Result<(Webhook, Vec<LogEntry>, i64), AppError> {
    let webhook = find(pool, actor, id).await?;
    let entries = db::webhooks::log(pool, id, limit, offset).await?;
    let total = db::webhooks::log_count(pool, id).await?;
    Ok((webhook, entries, total))
}

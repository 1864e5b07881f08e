//! Sends webhook deliveries: every instance runs this loop, which claims due deliveries from
//! the outbox (`FOR UPDATE SKIP LOCKED`, with a lease, so each attempt is sent by one instance
//! and one cut short by a crash is tried again once its lease runs out), signs and posts each
//! (Standard Webhooks), and records the attempt: delivered on a 2xx answer, otherwise retried
//! with exponential backoff and jitter, and given up after more than 24 hours of failures.
//!
//! The HTTP client looks names up itself and refuses a host that resolves to a forbidden
//! address, then connects to exactly the addresses it checked, so a name that changes its
//! answer between the check and the connection (DNS rebinding) cannot reach the inside.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::db::webhooks::{AttemptResult, Claimed};
use crate::domain::webhooks as rules;

/// How often due deliveries are looked for (new events are sent within this).
pub const TICK: Duration = Duration::from_millis(500);

/// Attempts in flight at once per instance.
pub const IN_FLIGHT: usize = 16;

/// What the delivery loop needs to know.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Makes each story's `url` absolute.
    pub base_url: String,
    /// `DATELINE_WEBHOOK_ALLOW_HOSTS`.
    pub allow_hosts: Vec<String>,
    /// Longest wait for an answer.
    pub timeout: Duration,
    /// The wait before the first retry.
    pub retry_base: Duration,
    /// How long after it was queued a delivery still failing is given up (at least 24 hours
    /// but in tests: [`rules::GIVE_UP_AFTER`]).
    pub give_up_after: Duration,
}

impl Settings {
    /// How long a claimed attempt is held before another instance may take it over: longer
    /// than any attempt lasts.
    pub fn lease(&self) -> Duration {
        self.timeout * 2 + Duration::from_secs(5)
    }
}

/// Resolves names for the client, refusing any that resolves to a forbidden address unless
/// its host is allowed.
struct CheckedResolver {
    allow_hosts: Vec<String>,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
        let allowed = self.allow_hosts.contains(&host);
        Box::pin(async move {
            let addresses = crate::service::webhooks::resolve(&host, 0).await?;
            if !allowed && let Some(ip) = rules::first_forbidden(&addresses) {
                let refused: Box<dyn std::error::Error + Send + Sync> =
                    format!("refused: {host} resolves to a forbidden address ({ip})").into();
                return Err(refused);
            }
            let addrs: Vec<SocketAddr> = addresses
                .into_iter()
                .map(|ip| SocketAddr::new(ip, 0))
                .collect();
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The client every attempt uses: no redirects followed, no proxies, checked name lookups.
pub fn client(settings: &Settings) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(CheckedResolver {
            allow_hosts: settings.allow_hosts.clone(),
        }))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        .user_agent(concat!("Dateline-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Starts the delivery loop; abort the handle to stop it (an attempt cut short is retried
/// after its lease).
pub fn spawn(pool: PgPool, settings: Settings) -> JoinHandle<()> {
    tokio::spawn(async move {
        let client = match client(&settings) {
            Ok(client) => client,
            Err(err) => {
                tracing::error!(error = %err, "webhook deliveries are off: no HTTP client");
                return;
            }
        };
        let settings = Arc::new(settings);
        let permits = Arc::new(Semaphore::new(IN_FLIGHT));
        let mut interval = tokio::time::interval(TICK);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            loop {
                let free = permits.available_permits();
                if free == 0 {
                    break;
                }
                let claimed = match crate::db::webhooks::claim_due(
                    &pool,
                    i64::try_from(free).unwrap_or(1),
                    settings.lease().as_secs_f64(),
                )
                .await
                {
                    Ok(claimed) => claimed,
                    Err(err) => {
                        tracing::warn!(error = %err, "could not claim webhook deliveries");
                        break;
                    }
                };
                if claimed.is_empty() {
                    break;
                }
                for delivery in claimed {
                    let Ok(permit) = permits.clone().acquire_owned().await else {
                        return;
                    };
                    let (pool, client, settings) = (pool.clone(), client.clone(), settings.clone());
                    tokio::spawn(async move {
                        attempt(&pool, &client, &settings, &delivery).await;
                        drop(permit);
                    });
                }
            }
        }
    })
}

/// Sends one attempt of a claimed delivery and records how it went.
pub async fn attempt(
    pool: &PgPool,
    client: &reqwest::Client,
    settings: &Settings,
    delivery: &Claimed,
) {
    let started = Instant::now();
    let sent = send(client, settings, delivery).await;
    let duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    let (status_code, error) = match &sent {
        Ok(status) => (Some(i32::from(*status)), None),
        Err(message) => (None, Some(message.as_str())),
    };
    let delivered = matches!(sent, Ok(status) if (200..300).contains(&status));
    let now = time::OffsetDateTime::now_utc();
    let given_up = !delivered
        && now - delivery.created_at
            >= time::Duration::try_from(settings.give_up_after).unwrap_or(time::Duration::DAY);
    let (outcome, next_retry_at) = if delivered {
        ("delivered", None)
    } else if given_up {
        ("gave_up", None)
    } else {
        let jitter = 0.8 + rand::random::<f64>() * 0.4;
        let delay = rules::retry_delay(delivery.attempt, settings.retry_base, jitter);
        let delay = time::Duration::try_from(delay).unwrap_or(time::Duration::HOUR);
        ("failed", Some(now + delay))
    };
    metrics::counter!("dateline_webhook_deliveries_total", "outcome" => outcome).increment(1);
    tracing::info!(
        webhook_id = %delivery.webhook_id,
        event_id = %delivery.event_id,
        event_type = %delivery.event_type,
        attempt = delivery.attempt,
        status = status_code,
        error = error,
        duration_ms,
        outcome,
        "webhook delivery attempt"
    );
    let result = AttemptResult {
        status_code,
        error,
        duration_ms,
        outcome,
        next_retry_at,
    };
    if let Err(err) = crate::db::webhooks::record_attempt(pool, delivery, &result).await {
        // The lease runs out and the attempt is made again: at least once, never lost.
        tracing::warn!(error = %err, delivery_id = %delivery.id, "could not record a webhook attempt");
    }
}

/// Posts the signed body; the receiver's status, or what went wrong.
async fn send(
    client: &reqwest::Client,
    settings: &Settings,
    delivery: &Claimed,
) -> Result<u16, String> {
    // The URL's own address (when it is one) is checked here; names, by the resolver.
    let target = rules::check_url(&delivery.url, &settings.allow_hosts)?;
    let body = rules::body(
        &delivery.event_type,
        delivery.event_created_at,
        delivery.data.clone(),
        &settings.base_url,
    );
    let id = delivery.event_id.to_string();
    let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let key = rules::secret_key(&delivery.secret).unwrap_or_default();
    let signature = rules::signature(&key, &id, timestamp, &body);
    let response = client
        .post(target.url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|err| describe(&err))?;
    Ok(response.status().as_u16())
}

/// A short account of a failed request: time-out, refused address, or the innermost cause.
fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        return "timed out".to_owned();
    }
    let mut source: Option<&dyn std::error::Error> = Some(err);
    let mut message = err.to_string();
    while let Some(current) = source {
        message = current.to_string();
        source = current.source();
    }
    let kind = if err.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    format!("{kind}: {message}").chars().take(500).collect()
}

//! Change events on the wire: PostgreSQL `NOTIFY` on one channel, sent inside the writing
//! transaction so that every instance hears of a change only if it commits, and `LISTEN` for
//! the instances' listeners (the page cache's among them).

use std::time::Duration;

use futures_util::Stream;
use sqlx::PgPool;

use crate::domain::events::ChangeEvent;

/// The channel changes are announced on.
pub const CHANNEL: &str = "dateline_changes";

/// Queues the event on the transaction; PostgreSQL sends it at commit.
pub async fn emit(db: &mut sqlx::PgConnection, event: &ChangeEvent) -> sqlx::Result<()> {
    let payload = serde_json::to_string(event).unwrap_or_default();
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload)
        .execute(db)
        .await?;
    Ok(())
}

/// What a listener hears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// A change committed by some instance.
    Change(ChangeEvent),
    /// Listening (again) after a time without a connection, or an announcement that could not
    /// be read: changes may have been missed meanwhile.
    MayHaveMissed,
}

/// Every change announced from now on, forever: connects (and reconnects after a lost
/// connection, waiting a second between tries) and says [`Heard::MayHaveMissed`] each time it
/// listens anew, the first time included.
pub fn listen(pool: PgPool) -> impl Stream<Item = Heard> {
    futures_util::stream::unfold((pool, None), |(pool, mut listener)| async move {
        loop {
            let Some(active) = listener.as_mut() else {
                match connect(&pool).await {
                    Ok(connected) => {
                        listener = Some(connected);
                        return Some((Heard::MayHaveMissed, (pool, listener)));
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "change listener could not connect; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                }
            };
            match active.try_recv().await {
                Ok(Some(notification)) => {
                    let heard = serde_json::from_str(notification.payload())
                        .map_or(Heard::MayHaveMissed, Heard::Change);
                    return Some((heard, (pool, listener)));
                }
                Ok(None) => {
                    tracing::warn!("change listener lost its connection; reconnecting");
                    listener = None;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "change listener failed; reconnecting");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    listener = None;
                }
            }
        }
    })
}

async fn connect(pool: &PgPool) -> sqlx::Result<sqlx::postgres::PgListener> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

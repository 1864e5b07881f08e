//! All SQL lives here, one module per table, as free async functions
//! (`db::articles::find_by_slug`). Queries are checked at compile time against `.sqlx/`.

pub mod archive;
pub mod archive_policy;
pub mod articles;
pub mod audit;
pub mod autosaves;
pub mod batch;
pub mod dashboard;
pub mod discovery;
pub mod events;
pub mod feedback;
pub mod imports;
pub mod jobs;
pub mod logins;
pub mod maintenance;
pub mod media;
pub mod page_views;
pub mod people;
pub mod presence;
pub mod previews;
pub mod ratelimit;
pub mod review_requests;
pub mod revisions;
pub mod search;
pub mod secrets;
pub mod slug_history;
pub mod stories;
pub mod synonyms;
pub mod topics;
pub mod users;
pub mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgPool};

use crate::config::Config;

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!();

/// How long a request waits for a pooled connection before it fails (instead of hanging).
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// The longest one statement of the pool may run (PostgreSQL's `statement_timeout`).
pub const STATEMENT_TIMEOUT: &str = "30s";

/// Connects to `DATABASE_URL`, or to the project-local cluster when it is unset (starting it when
/// needed), and applies pending migrations.
pub async fn connect_and_migrate(config: &Config) -> anyhow::Result<PgPool> {
    let url = match &config.database_url {
        Some(url) => url.clone(),
        None => crate::localpg::ensure_running(&config.local_pg)
            .await
            .context(
                "DATABASE_URL is unset and the project-local PostgreSQL could not be started",
            )?,
    };
    let options = PgConnectOptions::from_str(&url)
        .context("DATABASE_URL is not a valid PostgreSQL URL")?
        // Web requests are short: starting parallel workers costs more (5-10 ms on two cores)
        // than they save, and they take cores from concurrent requests.
        .options([("max_parallel_workers_per_gather", "0")]);
    // Migrations may take long on a big table: they run on their own connection, without the
    // statement time-out of the pool.
    let mut migrating = sqlx::PgConnection::connect_with(&options)
        .await
        .context("could not connect to PostgreSQL (check DATABASE_URL)")?;
    MIGRATOR
        .run(&mut migrating)
        .await
        .context("could not apply the database migrations")?;
    migrating.close().await.ok();
    // No statement may hold a connection (and its locks) longer than a request may take, and
    // a transaction left idle is ended.
    let limits = options.options([
        ("statement_timeout", STATEMENT_TIMEOUT),
        ("idle_in_transaction_session_timeout", STATEMENT_TIMEOUT),
    ]);
    let pool = PgPoolOptions::new()
        .max_connections(config.db_pool_size)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(limits)
        .await
        .context("could not connect to PostgreSQL (check DATABASE_URL)")?;
    Ok(pool)
}

/// Connections the instance's story reads ([`batch::StoryReads`]) may hold: one batch runs at a
/// time, and the rare read of a previous slug may run beside it. (Each HTTP thread's reader has
/// one connection of its own besides.)
pub const STORY_READ_CONNECTIONS: u32 = 2;

/// A small pool of its own for the story reads, on the same database as `pool`, connecting
/// only when first used, whose connections keep one generic plan per statement
/// (`plan_cache_mode = force_generic_plan`). PostgreSQL otherwise plans the story query anew
/// on every execution, because a custom plan for the given slugs looks cheaper than the
/// generic one: planning took 0.17 ms against 0.04 ms to run it, and the generic plan (the same
/// index lookups) is planned once. Only these reads get it: a generic plan could serve other
/// queries (filtered lists) worse. (Search keeps its plan through the function it calls,
/// `dateline_search`, which sets the same for itself.)
pub fn story_read_pool(pool: &PgPool) -> PgPool {
    let options = (*pool.connect_options())
        .clone()
        .options([("plan_cache_mode", "force_generic_plan")]);
    PgPoolOptions::new()
        .max_connections(STORY_READ_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_lazy_with(options)
}

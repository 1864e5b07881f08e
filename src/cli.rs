//! The command line of CONTRACT §7: `serve`, `migrate`, `demo`, plus `local-db`.

use clap::{Parser, Subcommand};

use crate::config::{Config, ConfigArgs};
use crate::telemetry::LogArgs;

/// Dateline: a CMS server for research-news articles.
#[derive(Debug, Parser)]
#[command(name = "dateline", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub log: LogArgs,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (applies pending migrations first).
    Serve {
        /// Load the demo stories and topics before serving (idempotent).
        #[arg(long, env = "DATELINE_DEMO")]
        demo: bool,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Load the demo stories and topics (idempotent).
    Demo,
    /// Start (or reuse) the project-local PostgreSQL and print its connection URL.
    LocalDb {
        /// Stop the project-local cluster instead.
        #[arg(long)]
        stop: bool,
    },
}

/// Runs one subcommand to completion.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::from_args(&cli.config)?;
    match cli.command {
        Command::Serve { demo } => {
            let pool = crate::db::connect_and_migrate(&config).await?;
            if demo {
                let report = crate::demo::load(&pool).await?;
                tracing::info!(%report, "demo content");
            }
            crate::server::serve(config, pool).await
        }
        Command::Migrate => {
            crate::db::connect_and_migrate(&config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Demo => {
            let pool = crate::db::connect_and_migrate(&config).await?;
            let report = crate::demo::load(&pool).await?;
            println!("{report}");
            Ok(())
        }
        Command::LocalDb { stop } => {
            if stop {
                crate::localpg::stop(&config.local_pg).await?;
                println!("stopped");
            } else {
                let url = crate::localpg::ensure_running(&config.local_pg).await?;
                println!("{url}");
            }
            Ok(())
        }
    }
}

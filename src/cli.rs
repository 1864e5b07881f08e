//! The command line of CONTRACT §7: `serve`, `migrate`, `demo`, `user add`, `token add`, plus
//! `token list`, `token revoke`, `local-db`, `export` and `import` (CONTRACT §11), and
//! `healthcheck` for containers.

use clap::{Parser, Subcommand};

use crate::config::{Config, ConfigArgs};
use crate::domain::policy::Role;
use crate::error::AppError;
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
    /// Check the settings for a production deployment (as `serve` does at start-up when the
    /// base URL is https); exits 1 and prints what to fix when one is unsafe.
    Check,
    /// Ask the server on this machine (the port of DATELINE_BIND) whether it is ready
    /// (`/readyz`); exits 0 when it is, 1 otherwise. The container's HEALTHCHECK.
    Healthcheck,
    /// Load the demo stories and topics (idempotent).
    Demo,
    /// Generate a large data set of published stories for benchmarks (loads the demo topics first).
    Generate {
        /// How many stories.
        #[arg(long, default_value_t = 10_000)]
        stories: u64,
    },
    /// Image processing figures for `make bench-media`.
    #[command(subcommand, hide = true)]
    MediaBench(MediaBenchCommand),
    /// Write every story (with its revisions), topic, person, image, synonym set and the archive
    /// policy to FILE, a portable copy (docs/EXPORT_FORMAT.md).
    Export { file: std::path::PathBuf },
    /// Import another system's site (stories, topics, people and old links), or a Dateline export.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Write a made-up WordPress export of this many posts (tests and `dateline import`'s
    /// benchmark).
    #[command(hide = true)]
    ImportSample {
        #[arg(long)]
        posts: usize,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Start (or reuse) the project-local PostgreSQL and print its connection URL.
    LocalDb {
        /// Stop the project-local cluster instead.
        #[arg(long)]
        stop: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum MediaBenchCommand {
    /// Write a photo-like JPEG of this many megapixels.
    Make {
        #[arg(long)]
        megapixels: f64,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Make the renditions of a file; print milliseconds, files, bytes and peak MB.
    Process { file: std::path::PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Restore a `dateline export` file into an empty database.
    Dateline { file: std::path::PathBuf },
    /// A WordPress export (WXR 1.1 or 1.2, from Tools → Export): posts become stories,
    /// categories and tags topics, authors people; old permalinks and `/?p=ID` answer 301.
    /// Running it again imports only what changed.
    Wordpress {
        file: std::path::PathBuf,
        /// Read and check everything, print the summary, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// A copy of the old site's `wp-content/uploads/` folder: the export's image
        /// attachments are imported from it with their alt text, and bodies and featured
        /// images point at them. Without it images keep their old addresses.
        #[arg(long, value_name = "DIR")]
        media_from: Option<std::path::PathBuf>,
    },
    /// A Ghost JSON export (Settings → Labs → Export): posts become stories, tags topics,
    /// authors people; `/{slug}/` answers 301. Running it again imports only what changed.
    Ghost {
        file: std::path::PathBuf,
        /// Read and check everything, print the summary, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input (at least 8 characters).
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, editor or contributor.
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user; it is printed once, on the last line.
    Add {
        /// The user's email.
        #[arg(long)]
        email: String,
        /// A name for the token (what uses it).
        #[arg(long)]
        name: String,
    },
    /// List a user's tokens.
    List {
        #[arg(long)]
        email: String,
    },
    /// Revoke a token by its id.
    Revoke {
        #[arg(long)]
        id: uuid::Uuid,
    },
}

fn parse_role(raw: &str) -> Result<Role, String> {
    Role::parse(raw).ok_or_else(|| "must be admin, editor or contributor".to_owned())
}

fn field_errors(err: AppError) -> anyhow::Error {
    match err {
        AppError::Validation(errors) | AppError::FieldConflict(errors) => anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|e| format!("{} {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        AppError::NotFound => anyhow::anyhow!("not found"),
        other => anyhow::anyhow!("{other}"),
    }
}

/// The `RUST_LOG` filter in effect (`info` when unset).
fn rust_log() -> String {
    std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned())
}

/// Runs one subcommand to completion.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::from_args(&cli.config)?;
    match cli.command {
        Command::Serve { demo } => {
            let findings = crate::deploy_check::check(&config, &rust_log(), demo);
            if !findings.is_empty() {
                let report = crate::deploy_check::report(&findings);
                // On standard error as well as in the log: it must not scroll by unseen.
                eprintln!("warning: {}", report.trim_end());
                tracing::warn!(
                    findings = findings.len(),
                    "unsafe production settings; run `dateline check`"
                );
            }
            let pool = crate::db::connect_and_migrate(&config).await?;
            if demo {
                let report = crate::demo::load(&pool).await?;
                tracing::info!(%report, "demo content");
            }
            crate::server::serve(config, pool).await
        }
        Command::Check => {
            let findings = crate::deploy_check::check(&config, &rust_log(), false);
            if findings.is_empty() {
                if crate::deploy_check::is_production(&config) {
                    println!("ok: the settings are fit for production");
                } else {
                    println!(
                        "ok: DATELINE_BASE_URL is not https, so this is a development set-up \
                         (production checks apply to https base URLs)"
                    );
                }
                Ok(())
            } else {
                anyhow::bail!("{}", crate::deploy_check::report(&findings).trim_end());
            }
        }
        Command::Healthcheck => crate::healthcheck::check(config.bind).await,
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
        Command::MediaBench(MediaBenchCommand::Make { megapixels, out }) => {
            crate::media::bench::make(megapixels, &out)
        }
        Command::MediaBench(MediaBenchCommand::Process { file }) => {
            crate::media::bench::process(&file)
        }
        Command::Generate { stories } => {
            let pool = crate::db::connect_and_migrate(&config).await?;
            crate::demo::load(&pool).await?;
            crate::generate::generate(&pool, stories).await
        }
        Command::Export { file } => {
            let pool = crate::db::connect_and_migrate(&config).await?;
            crate::archive::export(&pool, &file).await
        }
        Command::Import(ImportCommand::Dateline { file }) => {
            let pool = crate::db::connect_and_migrate(&config).await?;
            crate::archive::import(&pool, &file).await
        }
        Command::Import(ImportCommand::Wordpress {
            file,
            dry_run,
            media_from,
        }) => {
            let pool = crate::db::connect_and_migrate(&config).await?;
            let summary =
                crate::import::wordpress(&pool, &file, dry_run, media_from.as_deref()).await?;
            print!("{summary}");
            Ok(())
        }
        Command::Import(ImportCommand::Ghost { file, dry_run }) => {
            let pool = crate::db::connect_and_migrate(&config).await?;
            let summary = crate::import::ghost(&pool, &file, dry_run).await?;
            print!("{summary}");
            Ok(())
        }
        Command::ImportSample { posts, out } => {
            let mut file = std::io::BufWriter::new(std::fs::File::create(&out)?);
            crate::import::sample::write_wxr(&mut file, posts)?;
            std::io::Write::flush(&mut file)?;
            Ok(())
        }
        Command::User(UserCommand::Add { email, name, role }) => {
            let mut password = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            let pool = crate::db::connect_and_migrate(&config).await?;
            let id = crate::service::users::create_user(&pool, &email, &name, role, password)
                .await
                .map_err(field_errors)?;
            println!("created {} user {email} ({id})", role.as_str());
            Ok(())
        }
        Command::Token(TokenCommand::Add { email, name }) => {
            let pool = crate::db::connect_and_migrate(&config).await?;
            let (id, secret) = crate::service::users::create_token(&pool, &email, &name)
                .await
                .map_err(field_errors)?;
            println!("created token {id} for {email}; it is shown only once:");
            println!("{secret}");
            Ok(())
        }
        Command::Token(TokenCommand::List { email }) => {
            let pool = crate::db::connect_and_migrate(&config).await?;
            let user = crate::db::users::find_active_by_email(&pool, &email)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no active user has this email"))?;
            for token in crate::db::users::list_tokens(&pool, user.id).await? {
                let state = if token.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                let used = token
                    .last_used_at
                    .map(crate::domain::dates::rfc3339)
                    .unwrap_or_else(|| "never".into());
                println!(
                    "{}  {state:7}  last used {used:20}  {}",
                    token.id, token.name
                );
            }
            Ok(())
        }
        Command::Token(TokenCommand::Revoke { id }) => {
            let pool = crate::db::connect_and_migrate(&config).await?;
            crate::service::users::revoke_token(&pool, id)
                .await
                .map_err(field_errors)?;
            println!("revoked {id}");
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

//! A project-local PostgreSQL cluster for when `DATABASE_URL` is unset.
//!
//! The cluster lives in a git-ignored folder of the checkout (`.dateline/postgres` by default),
//! listens on a private loopback port and a private socket, and is started from the system's
//! PostgreSQL server binaries. As root, PostgreSQL refuses to run, so every server command runs as
//! the `postgres` user through `runuser`. A cluster that is already running is reused.

use std::path::{Path, PathBuf};
use std::process::Output;

use tokio::process::Command;

/// Where and how to run the local cluster.
#[derive(Debug, Clone)]
pub struct LocalPgConfig {
    /// Data folder (relative paths are taken from the working directory).
    pub dir: PathBuf,
    /// Loopback TCP port.
    pub port: u16,
    /// Folder of `initdb` and `pg_ctl`; searched for when `None`.
    pub bin_dir: Option<PathBuf>,
}

/// Why the local cluster could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LocalPgError {
    #[error(
        "the PostgreSQL server binaries (initdb, pg_ctl) were not found in {searched}. \
         Install them with the Debian/Ubuntu package `postgresql` (`apt-get install postgresql`), \
         point DATELINE_PG_BIN at the folder that holds them, or set DATABASE_URL to an existing database"
    )]
    BinariesMissing { searched: String },
    #[error("{what} failed: {detail}")]
    Command { what: String, detail: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("could not create the `dateline` database in the local cluster: {0}")]
    CreateDatabase(#[from] sqlx::Error),
}

const REQUIRED: [&str; 2] = ["initdb", "pg_ctl"];

fn has_binaries(dir: &Path) -> bool {
    REQUIRED.iter().all(|name| dir.join(name).is_file())
}

/// Finds the folder of `initdb` and `pg_ctl`: the explicit one, else the newest
/// `/usr/lib/postgresql/<version>/bin`, else the first match on `PATH`.
pub fn find_bin_dir(explicit: Option<&Path>) -> Result<PathBuf, LocalPgError> {
    if let Some(dir) = explicit {
        return if has_binaries(dir) {
            Ok(dir.to_path_buf())
        } else {
            Err(LocalPgError::BinariesMissing {
                searched: dir.display().to_string(),
            })
        };
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            has_binaries(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(dir) = std::env::split_paths(&path).find(|dir| has_binaries(dir)) {
        return Ok(dir);
    }
    Err(LocalPgError::BinariesMissing {
        searched: "/usr/lib/postgresql/*/bin or PATH".to_owned(),
    })
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // /proc/self is owned by the effective user of this process.
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

/// A command that runs as the `postgres` user when we are root.
fn server_command(program: &Path, as_postgres: bool) -> Command {
    if as_postgres {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

async fn checked(mut cmd: Command, what: &str) -> Result<Output, LocalPgError> {
    let output = cmd.output().await.map_err(|err| LocalPgError::Command {
        what: what.to_owned(),
        detail: err.to_string(),
    })?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(LocalPgError::Command {
            what: what.to_owned(),
            detail: format!(
                "{}{}",
                String::from_utf8_lossy(&output.stderr).trim(),
                String::from_utf8_lossy(&output.stdout).trim()
            ),
        })
    }
}

/// The data folder, made absolute. As root, when the `postgres` user cannot reach the folder
/// (a checkout under a private home such as /root), the cluster goes to /var/lib/dateline instead.
async fn resolve_data_dir(
    config: &LocalPgConfig,
    as_postgres: bool,
) -> Result<PathBuf, LocalPgError> {
    let dir = std::path::absolute(&config.dir)?;
    let parent = dir.parent().unwrap_or(Path::new("/")).to_path_buf();
    tokio::fs::create_dir_all(&parent).await?;
    if !as_postgres {
        return Ok(dir);
    }
    let reachable = Command::new("runuser")
        .args(["-u", "postgres", "--", "test", "-x"])
        .arg(&parent)
        .status()
        .await
        .is_ok_and(|status| status.success());
    if reachable {
        return Ok(dir);
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(dir.as_os_str().as_encoded_bytes());
    let fallback = PathBuf::from("/var/lib/dateline").join(&hex::encode(digest)[..12]);
    tracing::warn!(
        wanted = %dir.display(),
        using = %fallback.display(),
        "the postgres user cannot reach the checkout; keeping the local cluster outside it"
    );
    tokio::fs::create_dir_all(fallback.parent().unwrap_or(Path::new("/"))).await?;
    Ok(fallback)
}

fn database_url(port: u16, database: &str) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/{database}")
}

/// Starts the local cluster unless it already runs, makes sure the `dateline` database exists,
/// and returns its connection URL.
pub async fn ensure_running(config: &LocalPgConfig) -> Result<String, LocalPgError> {
    let bin = find_bin_dir(config.bin_dir.as_deref())?;
    let as_postgres = running_as_root();
    let dir = resolve_data_dir(config, as_postgres).await?;

    if !dir.join("PG_VERSION").is_file() {
        tracing::info!(dir = %dir.display(), "creating the local PostgreSQL cluster");
        tokio::fs::create_dir_all(&dir).await?;
        if as_postgres {
            checked(
                {
                    let mut cmd = Command::new("chown");
                    cmd.arg("postgres:postgres").arg(&dir);
                    cmd
                },
                "chown of the data folder to postgres",
            )
            .await?;
        }
        let mut initdb = server_command(&bin.join("initdb"), as_postgres);
        initdb.arg("-D").arg(&dir).args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
        ]);
        checked(initdb, "initdb").await?;
        let conf = dir.join("postgresql.conf");
        let mut text = tokio::fs::read_to_string(&conf).await?;
        text.push_str("\ninclude_if_exists = 'dateline.conf'\n");
        tokio::fs::write(&conf, text).await?;
    }

    if let Some(port) = running_port(&bin, &dir, as_postgres).await {
        tracing::debug!(port, "reusing the running local PostgreSQL cluster");
        create_database(port).await?;
        return Ok(database_url(port, "dateline"));
    }

    // The configured port may be held by something else (another checkout's cluster): then any
    // free port will do, since reuse reads the port back from postmaster.pid.
    let port = if port_is_free(config.port) {
        config.port
    } else {
        let free = free_port()?;
        tracing::warn!(
            wanted = config.port,
            using = free,
            "port taken; the local cluster uses another"
        );
        free
    };

    // Settings that may change between starts (the port) live in an included file.
    let socket_dir = dir.display().to_string();
    let sockets = if socket_dir.len() < 90 && !socket_dir.contains('\'') {
        socket_dir
    } else {
        String::new()
    };
    let settings = format!(
        "# Written by dateline before each start of the local cluster.\n\
         listen_addresses = '127.0.0.1'\n\
         port = {port}\n\
         unix_socket_directories = '{sockets}'\n\
         max_connections = 200\n\
         # PostgreSQL's default of 128MB cannot hold a 100,000-story working set; a quarter of a\n\
         # small machine's memory is the usual advice.\n\
         shared_buffers = 512MB\n\
         effective_cache_size = 2GB\n",
    );
    tokio::fs::write(dir.join("dateline.conf"), settings).await?;

    tracing::info!(port, dir = %dir.display(), "starting the local PostgreSQL cluster");
    let log = dir.join("server.log");
    let mut start = server_command(&bin.join("pg_ctl"), as_postgres);
    start
        .arg("start")
        .arg("-D")
        .arg(&dir)
        .arg("-l")
        .arg(&log)
        .args(["-w", "-t", "60"]);
    if let Err(err) = checked(start, "pg_ctl start").await {
        // A concurrent start by another process is fine.
        if running_port(&bin, &dir, as_postgres).await.is_none() {
            let tail = tokio::fs::read_to_string(&log).await.unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(5).collect();
            return Err(LocalPgError::Command {
                what: "starting the local PostgreSQL".to_owned(),
                detail: format!(
                    "{err}; last lines of {}: {}",
                    log.display(),
                    tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
                ),
            });
        }
    }
    let port = running_port(&bin, &dir, as_postgres).await.unwrap_or(port);
    create_database(port).await?;
    Ok(database_url(port, "dateline"))
}

fn port_is_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind(("127.0.0.1", 0))?
        .local_addr()?
        .port())
}

/// The port of the running cluster in `dir`, or `None` when it is not running.
async fn running_port(bin: &Path, dir: &Path, as_postgres: bool) -> Option<u16> {
    let mut status = server_command(&bin.join("pg_ctl"), as_postgres);
    status.arg("status").arg("-D").arg(dir);
    let output = status.output().await.ok()?;
    if !output.status.success() {
        return None;
    }
    // postmaster.pid: pid, data dir, start time, port, socket dir, listen address, shmem, status.
    let pid_file = tokio::fs::read_to_string(dir.join("postmaster.pid"))
        .await
        .ok()?;
    pid_file.lines().nth(3)?.trim().parse().ok()
}

async fn create_database(port: u16) -> Result<(), LocalPgError> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&database_url(port, "postgres")).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'dateline')")
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        match sqlx::query("CREATE DATABASE dateline")
            .execute(&mut conn)
            .await
        {
            Ok(_) => {}
            // Created meanwhile by a concurrent start.
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42P04") => {}
            Err(err) => return Err(err.into()),
        }
    }
    conn.close().await?;
    Ok(())
}

/// Stops the local cluster (fast shutdown). Stopping one that does not run is not an error.
pub async fn stop(config: &LocalPgConfig) -> Result<(), LocalPgError> {
    let bin = find_bin_dir(config.bin_dir.as_deref())?;
    let as_postgres = running_as_root();
    let dir = resolve_data_dir(config, as_postgres).await?;
    if running_port(&bin, &dir, as_postgres).await.is_none() {
        return Ok(());
    }
    let mut stop = server_command(&bin.join("pg_ctl"), as_postgres);
    stop.arg("stop")
        .arg("-D")
        .arg(&dir)
        .args(["-m", "fast", "-w"]);
    checked(stop, "pg_ctl stop").await?;
    Ok(())
}

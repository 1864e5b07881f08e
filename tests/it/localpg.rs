//! The project-local PostgreSQL helper.

use std::time::Duration;

use dateline::localpg::{self, LocalPgConfig, LocalPgError};
use sqlx::Connection;

#[tokio::test]
async fn missing_server_binaries_give_an_error_that_names_the_package() {
    let config = LocalPgConfig {
        dir: std::env::temp_dir().join("dateline-never-created"),
        port: 1,
        bin_dir: Some("/nonexistent/postgresql/bin".into()),
    };
    let err = localpg::ensure_running(&config).await.unwrap_err();
    assert!(
        matches!(err, LocalPgError::BinariesMissing { .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("apt-get install postgresql"), "{message}");
    assert!(message.contains("DATABASE_URL"), "{message}");
    assert!(!config.dir.exists(), "nothing was created");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn a_local_cluster_is_created_started_and_then_reused() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    // The postgres user (when we run as root) must be able to reach the folder.
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = LocalPgConfig {
        dir: root.path().join("pgdata"),
        port: free_port(),
        bin_dir: None,
    };

    let url = localpg::ensure_running(&config).await.expect("starts");
    assert_eq!(
        url,
        format!("postgres://postgres@127.0.0.1:{}/dateline", config.port)
    );
    let pid_before = std::fs::read_to_string(config.dir.join("postmaster.pid")).unwrap();

    let again = localpg::ensure_running(&config).await.expect("reuses");
    assert_eq!(again, url);
    let pid_after = std::fs::read_to_string(config.dir.join("postmaster.pid")).unwrap();
    assert_eq!(
        pid_before.lines().next(),
        pid_after.lines().next(),
        "same server process"
    );

    let mut conn = sqlx::PgConnection::connect(&url)
        .await
        .expect("the dateline database exists");
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(one, 1);
    conn.close().await.unwrap();

    localpg::stop(&config).await.expect("stops");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(sqlx::PgConnection::connect(&url).await.is_err(), "stopped");
}

#[tokio::test]
async fn a_taken_port_makes_the_cluster_start_on_a_free_one() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = squatter.local_addr().unwrap().port();
    let config = LocalPgConfig {
        dir: root.path().join("pgdata"),
        port: taken,
        bin_dir: None,
    };

    let url = localpg::ensure_running(&config)
        .await
        .expect("starts elsewhere");
    assert!(!url.contains(&format!(":{taken}/")), "{url}");
    let conn = sqlx::PgConnection::connect(&url).await.expect("connects");
    conn.close().await.unwrap();
    // Reuse finds the same cluster on its actual port.
    assert_eq!(localpg::ensure_running(&config).await.unwrap(), url);
    localpg::stop(&config).await.expect("stops");
}

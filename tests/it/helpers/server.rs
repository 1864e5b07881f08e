//! A real server for tests that need a socket: the `dateline` binary started on a free port,
//! and raw HTTP/1.1 exchanges with it.

use std::process::Stdio;
use std::time::Duration;

use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

/// The URL of this test's database: the suite's DATABASE_URL with the database name replaced.
pub fn database_url(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL is set by the test command");
    let mut url = url::Url::parse(&base).expect("DATABASE_URL is a URL");
    url.set_path(
        pool.connect_options()
            .get_database()
            .expect("test database name"),
    );
    url.to_string()
}

pub fn dateline(pool: &PgPool) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dateline"));
    cmd.env("DATABASE_URL", database_url(pool))
        .env("RUST_LOG", "info")
        .env_remove("DATELINE_BIND")
        .env_remove("DATELINE_BASE_URL")
        .kill_on_drop(true);
    cmd
}

/// Starts `dateline serve` on a free loopback port with JSON logs; returns the process, its
/// remaining log lines and its `host:port`.
pub async fn start_server(
    pool: &PgPool,
) -> (
    tokio::process::Child,
    tokio::io::Lines<BufReader<tokio::process::ChildStderr>>,
    String,
) {
    start_server_with(pool, &[]).await
}

/// [`start_server`] with extra environment variables.
pub async fn start_server_with(
    pool: &PgPool,
    env: &[(&str, &str)],
) -> (
    tokio::process::Child,
    tokio::io::Lines<BufReader<tokio::process::ChildStderr>>,
    String,
) {
    let mut command = dateline(pool);
    command
        .args(["serve", "--bind", "127.0.0.1:0", "--log-format", "json"])
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let address = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let json: serde_json::Value =
                serde_json::from_str(&line).expect("every log line is JSON");
            if json["fields"]["message"] == "Dateline is serving" {
                let address = json["fields"]["address"].as_str().unwrap();
                return address.trim_start_matches("http://").to_owned();
            }
        }
        panic!("the server exited before serving");
    })
    .await
    .expect("the server starts within 30 s");
    (child, lines, address)
}

pub async fn http_get(address: &str, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

/// A raw HTTP/1.1 exchange with `Connection: close`: status and body.
pub async fn exchange(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&serde_json::Value>,
) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

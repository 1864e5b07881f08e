//! Graceful failure: `dateline serve` reaches PostgreSQL through a TCP proxy that the test cuts
//! (every connection dropped, new ones refused) and restores. While the database is
//! unreachable, cached public pages are still served, everything else answers `503` with
//! `Retry-After` (HTML or problem+json), `/readyz` answers `503`; once it is back, everything
//! recovers without a restart.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

use crate::helpers::server::{database_url, start_server_with};
use crate::helpers::{ArticleBuilder, token_for};

/// A TCP proxy in front of PostgreSQL that can play an outage.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Proxy {
    async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (up_, links_) = (up.clone(), links.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                if !up_.load(Ordering::SeqCst) {
                    drop(inbound); // refused: the client sees the connection closed at once
                    continue;
                }
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                links_.lock().unwrap().push(link.abort_handle());
            }
        });
        Self { port, up, links }
    }

    /// Drops every open connection and refuses new ones.
    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// A raw HTTP/1.1 request; answers the status, the headers (lower-cased) and the body.
async fn request(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head[9..12].parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_owned())
}

async fn get(address: &str, path: &str) -> (u16, String, String) {
    request(address, "GET", path, &[], "").await
}

#[sqlx::test]
async fn without_postgres_cached_pages_stay_up_the_rest_answers_503_and_all_recovers(pool: PgPool) {
    ArticleBuilder::new("Statins and memory")
        .slug("statins")
        .insert(&pool)
        .await;
    ArticleBuilder::new("Iron and fatigue")
        .slug("iron")
        .insert(&pool)
        .await;
    let token = token_for(&pool, dateline::domain::policy::Role::Editor).await;
    let direct = url::Url::parse(&database_url(&pool)).unwrap();
    let target: SocketAddr = format!(
        "{}:{}",
        direct.host_str().unwrap(),
        direct.port().unwrap_or(5432)
    )
    .parse()
    .unwrap();
    let proxy = Proxy::start(target).await;
    let mut through_proxy = direct.clone();
    through_proxy.set_port(Some(proxy.port)).unwrap();

    let (mut child, mut lines, address) =
        start_server_with(&pool, &[("DATABASE_URL", through_proxy.as_str())]).await;
    // Keep reading the logs so the server never blocks on a full pipe.
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            if std::env::var("OUTAGE_LOGS").is_ok() && line.contains("ERROR") {
                eprintln!("{line}");
            }
        }
    });
    let bearer = format!("Bearer {token}");

    // Warm: the story is in the page cache.
    let (status, _, cached_body) = get(&address, "/research-news/statins").await;
    assert_eq!(status, 200);
    assert_eq!(get(&address, "/research-news/statins").await.2, cached_body);
    assert_eq!(get(&address, "/readyz").await.0, 200);

    proxy.cut();
    let (status, _, body) = get(&address, "/research-news/statins").await;
    assert_eq!(status, 200, "a cached page is served without the database");
    assert_eq!(body, cached_body);
    let (status, head, body) = get(&address, "/research-news/iron").await;
    assert_eq!(status, 503, "{body}");
    assert!(head.contains("retry-after:"), "{head}");
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(
        !body.contains("sqlx") && !body.contains("Io("),
        "no internals: {body}"
    );
    let (status, head, _) = request(
        &address,
        "GET",
        "/api/v1/articles",
        &[("Authorization", &bearer)],
        "",
    )
    .await;
    assert_eq!(status, 503);
    assert!(
        head.contains("retry-after:") && head.contains("application/problem+json"),
        "{head}"
    );
    let (status, head, _) = get(&address, "/readyz").await;
    assert_eq!(status, 503);
    assert!(head.contains("retry-after:"), "{head}");
    let (status, head, _) = get(&address, "/admin/login").await;
    assert_eq!(status, 503, "the session store is the database too");
    assert!(head.contains("retry-after:"), "{head}");

    // Back: everything recovers, without a restart, within a few seconds.
    proxy.restore();
    let back = Instant::now();
    loop {
        let ready = get(&address, "/readyz").await.0 == 200;
        let page = get(&address, "/research-news/iron").await.0 == 200;
        if ready && page {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "recovered within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, _, _) = request(
        &address,
        "GET",
        "/api/v1/articles",
        &[("Authorization", &bearer)],
        "",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(get(&address, "/admin/login").await.0, 200);
    child.kill().await.unwrap();
}

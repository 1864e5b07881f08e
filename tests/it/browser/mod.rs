//! Tests in a real headless Chromium, driven over WebDriver (chromedriver) with fantoccini,
//! against the real router served on a loopback socket. `make test` installs Debian's
//! `chromium` and `chromium-driver`.

mod admin;
mod admin_layout;
mod desk;
mod editor_desk;
mod editor_layout;
mod editorial;
mod editors_desk;
mod feedback_widget;
mod media;
mod public_pages;
mod xss;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::ServiceExt as _;
use dateline::app::build_app;
use dateline::config::Config;
use dateline::state::AppState;
use fantoccini::{Client, ClientBuilder};
use sqlx::PgPool;

/// A chromedriver and one Chromium session, for one test. Dropping it stops chromedriver and
/// with it the browser, even when the test panics, so no browser outlives its test.
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: std::path::PathBuf,
}

impl Browser {
    /// Ends the session cleanly.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // Chromium outlives a killed chromedriver: end this session's browser processes too
        // (found by their profile folder), so a failed test leaves nothing burning CPU.
        let _ = Command::new("pkill")
            .args(["-f", "--"])
            .arg(format!("--user-data-dir={}", self.profile.display()))
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Starts chromedriver and a new headless Chromium session.
pub async fn browser() -> Browser {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let driver =
        Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (make test installs chromium-driver)");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let profile = tempfile::tempdir().unwrap().keep();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                "--disable-sync", "--disable-quic", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a Chromium session");
    Browser {
        client,
        driver,
        profile,
    }
}

/// Serves the app on a loopback port for the browser; returns its base URL.
pub async fn serve(pool: PgPool) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let app = build_app(AppState::new(Config::for_tests(&base), pool));
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    base
}

/// Scrolls an element into the middle of the viewport and clicks it, as a person would.
pub async fn click(client: &Client, css: &str) {
    let script = format!(
        "const el = document.querySelector({css:?}); el.scrollIntoView({{block: 'center', behavior: 'instant'}}); return true;"
    );
    client.execute(&script, vec![]).await.unwrap();
    client
        .find(fantoccini::Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Waits (up to 10 seconds) until `script` returns true in the page.
pub async fn wait_until(client: &Client, script: &str, what: &str) {
    for _ in 0..100 {
        if client.execute(script, vec![]).await.unwrap() == serde_json::Value::Bool(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Clicks a submit button and waits for the page it leads to. The current
/// document is marked first, so an element that is already on it (the
/// editor's "Saved." message, say) cannot satisfy the wait early.
pub async fn submit_and_wait(client: &Client, button: &str, ready: &str) {
    client
        .execute("window.__datelineOldPage = true;", vec![])
        .await
        .unwrap();
    click(client, button).await;
    let ready = serde_json::to_string(ready).unwrap();
    wait_until(
        client,
        &format!(
            "return !window.__datelineOldPage && document.readyState === 'complete' \
             && document.querySelector({ready}) !== null;"
        ),
        &format!("the page after submitting, with {ready}"),
    )
    .await;
}

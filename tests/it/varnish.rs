//! Varnish in front (docs/deploy/dateline.vcl): the real `dateline` binary behind a real
//! `varnishd` running as its own user. Pages are cached by Dateline's headers, and a change
//! committed through either of two instances purges exactly the pages it alters.
//!
//! Skipped with a message when varnishd is not installed (`scripts/test.sh` installs it).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

use dateline::domain::policy::Role;

use crate::helpers::server::{exchange, start_server_with};
use crate::helpers::token_for;

/// A `varnishd` in the foreground, killed when dropped.
struct Varnish {
    child: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl Drop for Varnish {
    fn drop(&mut self) {
        // The manager's child (the cache process) exits when its manager is gone.
        let _ = self.child.start_kill();
    }
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The `varnishd` to run: on PATH, else Debian's /usr/sbin (not on a normal user's PATH).
fn varnishd() -> Option<PathBuf> {
    ["varnishd", "/usr/sbin/varnishd"]
        .into_iter()
        .map(PathBuf::from)
        .find(|candidate| {
            std::process::Command::new(candidate)
                .arg("-V")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        })
}

fn varnishd_installed() -> bool {
    varnishd().is_some()
}

fn running_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// The shipped VCL with the backend at `backend_port`.
fn render_vcl(backend_port: u16) -> String {
    let vcl = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/deploy/dateline.vcl"),
    )
    .unwrap();
    assert!(vcl.contains(".port = \"3000\";"), "the VCL's backend port");
    vcl.replace(".port = \"3000\";", &format!(".port = \"{backend_port}\";"))
}

impl Varnish {
    /// Starts varnishd on `port` in front of Dateline at `backend_port`, as the `varnish`
    /// user when run as root (as the current, unprivileged user otherwise).
    async fn start(port: u16, backend_port: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let readable = |path: &Path, mode: u32| {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        };
        readable(dir.path(), 0o755);
        let vcl: PathBuf = dir.path().join("dateline.vcl");
        std::fs::write(&vcl, render_vcl(backend_port)).unwrap();
        readable(&vcl, 0o644);
        let address = format!("127.0.0.1:{port}");
        let jail = if running_as_root() {
            "unix,user=varnish"
        } else {
            "none"
        };
        let child = Command::new(varnishd().expect("varnishd is installed"))
            .args(["-F", "-a", &address, "-f"])
            .arg(&vcl)
            .arg("-n")
            .arg(dir.path().join("work"))
            .args(["-j", jail, "-s", "malloc,64m", "-T", "127.0.0.1:0"])
            .args(["-p", "http_gzip_support=off", "-p", "vsl_space=4m"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("varnishd starts");
        let varnish = Self {
            child,
            address,
            _dir: dir,
        };
        let started = Instant::now();
        while tokio::net::TcpStream::connect(&varnish.address)
            .await
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "varnishd listens within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        varnish
    }

    /// A GET through Varnish: status, `X-Cache`, body.
    async fn get(&self, path: &str) -> (u16, String, String) {
        self.get_with(path, "").await
    }

    /// A GET through Varnish with one more header line (`Name: value`, or empty).
    async fn get_with(&self, path: &str, header: &str) -> (u16, String, String) {
        let mut stream = tokio::net::TcpStream::connect(&self.address).await.unwrap();
        let header = if header.is_empty() {
            String::new()
        } else {
            format!("{header}\r\n")
        };
        stream
            .write_all(
                format!(
                    "GET {path} HTTP/1.1\r\nHost: news.test\r\nAccept-Encoding: identity\r\n\
                     {header}Connection: close\r\n\r\n"
                )
                .as_bytes(),
            )
            .await
            .unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        let response = String::from_utf8_lossy(&response).into_owned();
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status = head[9..12].parse().unwrap();
        let x_cache = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("x-cache")
                    .then(|| value.trim().to_owned())
            })
            .unwrap_or_default();
        (status, x_cache, body.to_owned())
    }

    /// Asks for `path` until Varnish answers it from its cache.
    async fn cached_within(&self, path: &str, limit: Duration) {
        let started = Instant::now();
        while self.get(path).await.1 != "HIT" {
            assert!(
                started.elapsed() < limit,
                "{path} is cached again within {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Polls `path` until its body contains `text`; how long that took.
    async fn visible_within(&self, path: &str, text: &str, limit: Duration) -> Option<Duration> {
        let started = Instant::now();
        while started.elapsed() < limit {
            let (status, _, body) = self.get(path).await;
            if status == 200 && body.contains(text) {
                return Some(started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        None
    }
}

/// Creates and publishes a story through the API at `address`; its id.
async fn publish(address: &str, auth: &str, title: &str, slug: &str) -> String {
    let auth = [("Authorization", auth)];
    let (status, body) = exchange(
        address,
        "POST",
        "/api/v1/articles",
        &auth,
        Some(&json!({"title": title, "slug": slug})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/articles/{id}/publish");
    let (status, body) = exchange(address, "POST", &path, &auth, None).await;
    assert_eq!(status, 200, "{body}");
    id
}

/// Retitles a story through the API at `address`.
async fn retitle(address: &str, auth: &str, id: &str, title: &str) {
    let path = format!("/api/v1/articles/{id}");
    let (status, body) = exchange(address, "GET", &path, &[("Authorization", auth)], None).await;
    assert_eq!(status, 200, "{body}");
    let version = serde_json::from_str::<serde_json::Value>(&body).unwrap()["version"]
        .as_i64()
        .expect("the article's version");
    let if_match = format!("\"{version}\"");
    let (status, body) = exchange(
        address,
        "PATCH",
        &path,
        &[("Authorization", auth), ("If-Match", &if_match)],
        Some(&json!({"title": title, "change_kind": "update", "change_note": "Retitled."})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

fn port_of(address: &str) -> u16 {
    address.rsplit_once(':').unwrap().1.parse().unwrap()
}

/// Edits that a test makes and measures.
const EDITS: usize = 20;

#[sqlx::test]
async fn varnish_caches_pages_and_every_instance_purges_what_an_edit_changes(pool: PgPool) {
    if !varnishd_installed() {
        eprintln!(
            "varnish not installed: skipping the Varnish test (scripts/ensure-varnish.sh \
             installs it; `make test` does)"
        );
        return;
    }
    let token = token_for(&pool, Role::Editor).await;
    let auth = format!("Bearer {token}");
    let varnish_port = free_port();
    let purge_url = format!("http://127.0.0.1:{varnish_port}/");
    let purge = [("DATELINE_PURGE_URL", purge_url.as_str())];
    let (_a, _a_log, a) = start_server_with(&pool, &purge).await;
    let varnish = Varnish::start(varnish_port, port_of(&a)).await;

    let edited = publish(&a, &auth, "Fasting and migraine", "fasting").await;
    publish(&a, &auth, "Sleep and memory", "sleep").await;
    let story = "/research-news/fasting";
    let other = "/research-news/sleep";

    // A miss, then a hit; the same for the other story.
    for path in [story, other] {
        let (status, x_cache, _) = varnish.get(path).await;
        assert_eq!((status, x_cache.as_str()), (200, "MISS"), "{path}");
        let (status, x_cache, _) = varnish.get(path).await;
        assert_eq!((status, x_cache.as_str()), (200, "HIT"), "{path}");
    }
    // The admin and the API are never cached, nor anything asked for with a session.
    for _ in 0..2 {
        let (_, x_cache, _) = varnish.get("/admin/login").await;
        assert_eq!(x_cache, "PASS", "/admin/login");
        let (status, x_cache, _) = varnish.get("/api/v1/articles").await;
        assert_eq!(
            (status, x_cache.as_str()),
            (401, "PASS"),
            "/api/v1/articles"
        );
        let (status, x_cache, _) = varnish
            .get_with(other, "Cookie: theme=dark; dateline_session=abc")
            .await;
        assert_eq!((status, x_cache.as_str()), (200, "PASS"), "with a session");
    }
    // Other cookies do not keep a reader from the cache.
    let (_, x_cache, _) = varnish.get_with(other, "Cookie: theme=dark").await;
    assert_eq!(x_cache, "HIT", "with an unrelated cookie");

    // Edits through A: each new headline shows through Varnish within a second.
    let mut took = Vec::with_capacity(EDITS);
    for n in 1..=EDITS {
        let (_, x_cache, _) = varnish.get(story).await;
        assert_eq!(x_cache, "HIT", "the story is cached before edit {n}");
        let title = format!("Fasting and migraine, take {n}");
        retitle(&a, &auth, &edited, &title).await;
        let visible = varnish
            .visible_within(story, &title, Duration::from_secs(1))
            .await;
        took.push(visible.unwrap_or_else(|| {
            panic!("edit {n}: Varnish still serves the old headline after 1 s")
        }));
        // The other story's page is not purged by the edit.
        let (_, x_cache, body) = varnish.get(other).await;
        assert_eq!(
            x_cache, "HIT",
            "after edit {n}, the other story is still cached"
        );
        assert!(body.contains("Sleep and memory"));
    }
    took.sort();
    eprintln!(
        "purge through Varnish, {EDITS} edits: edit answered → new headline through Varnish: \
         median {:.1} ms, max {:.1} ms",
        took[EDITS / 2].as_secs_f64() * 1000.0,
        took[EDITS - 1].as_secs_f64() * 1000.0
    );

    // A second instance on the same database: its edit purges Varnish too.
    let (_b, _b_log, b) = start_server_with(&pool, &purge).await;
    let (_, x_cache, _) = varnish.get(story).await;
    assert_eq!(x_cache, "HIT");
    retitle(&b, &auth, &edited, "Fasting and migraine, edited on B").await;
    assert!(
        varnish
            .visible_within(story, "edited on B", Duration::from_secs(1))
            .await
            .is_some(),
        "an edit through instance B shows through Varnish within 1 s"
    );
    let (_, x_cache, _) = varnish.get(other).await;
    assert_eq!(x_cache, "HIT", "B's edit leaves the other story cached");

    // A change no request makes: the scheduler archives the story. No after-commit hook runs
    // for it; the instances' change listeners purge it. Both instances purged B's edit, so the
    // later of the two purges may have dropped the copy fetched after the first: cache it again.
    varnish.cached_within(story, Duration::from_secs(1)).await;
    let at = (time::OffsetDateTime::now_utc() + time::Duration::seconds(3))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let (status, body) = exchange(
        &a,
        "POST",
        &format!("/api/v1/articles/{edited}/archive"),
        &[("Authorization", &auth)],
        Some(&json!({ "at": at })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, _, body) = varnish.get(story).await;
    assert!(!body.contains("Archived story"), "archived only when due");
    assert!(
        varnish
            .visible_within(story, "Archived story", Duration::from_secs(8))
            .await
            .is_some(),
        "the scheduled archiving shows through Varnish within a second of running"
    );
}

#[sqlx::test]
async fn an_instance_purges_the_changes_another_instance_commits(pool: PgPool) {
    if !varnishd_installed() {
        eprintln!("varnish not installed: skipping the Varnish test (scripts/ensure-varnish.sh)");
        return;
    }
    let token = token_for(&pool, Role::Editor).await;
    let auth = format!("Bearer {token}");
    let varnish_port = free_port();
    let purge_url = format!("http://127.0.0.1:{varnish_port}/");
    // A serves Varnish and sends no purges; B, which serves nobody, is the only one purging.
    // A keeps no pages of its own: with every instance purging (as deployed), each purge
    // follows its own instance's eviction, but here B's purge could reach Varnish before A has
    // evicted its copy, and Varnish would fetch that copy again. What this test shows is B's
    // purge alone.
    let (_a, _a_log, a) = start_server_with(&pool, &[("DATELINE_CACHE_MB", "0")]).await;
    let (_b, _b_log, b) = start_server_with(&pool, &[("DATELINE_PURGE_URL", &purge_url)]).await;
    let varnish = Varnish::start(varnish_port, port_of(&a)).await;
    let id = publish(&a, &auth, "Fasting and migraine", "fasting").await;
    let story = "/research-news/fasting";

    for (through, title) in [(&a, "Retitled on A"), (&b, "Retitled on B")] {
        varnish.cached_within(story, Duration::from_secs(1)).await;
        retitle(through, &auth, &id, title).await;
        assert!(
            varnish
                .visible_within(story, title, Duration::from_secs(1))
                .await
                .is_some(),
            "{title}: B's purge shows through Varnish within 1 s"
        );
    }
}

#[sqlx::test]
async fn an_unreachable_purge_endpoint_never_holds_up_an_edit_and_is_logged(pool: PgPool) {
    let token = token_for(&pool, Role::Editor).await;
    let auth = format!("Bearer {token}");
    let nobody = format!("http://127.0.0.1:{}/", free_port());
    let (_a, mut log, a) =
        start_server_with(&pool, &[("DATELINE_PURGE_URL", nobody.as_str())]).await;
    let started = Instant::now();
    let id = publish(&a, &auth, "Fasting and migraine", "fasting").await;
    retitle(&a, &auth, &id, "Fasting and migraine, retitled").await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the edits answered without waiting for the purges"
    );
    let warned = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(line) = log.next_line().await.unwrap() {
            let json: serde_json::Value = serde_json::from_str(&line).unwrap();
            if json["level"] == "WARN" && json["fields"]["message"] == "purge failed; retrying" {
                return json;
            }
        }
        panic!("the server exited");
    })
    .await
    .expect("a failed purge is logged at warn");
    assert_eq!(warned["fields"]["endpoint"], nobody.as_str());
    assert!(
        warned["fields"]["keys"]
            .as_str()
            .unwrap()
            .contains(&format!("article-{id}")),
        "{warned}"
    );
}

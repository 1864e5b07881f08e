//! The `dateline` binary itself: subcommands, JSON logs and graceful shutdown on SIGTERM.

use std::process::Stdio;
use std::time::Duration;

use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

use crate::helpers::server::{dateline, http_get, start_server, start_server_with};

#[sqlx::test(migrations = false)]
async fn migrate_and_demo_subcommands_work_and_demo_is_idempotent(pool: PgPool) {
    let migrate = dateline(&pool).arg("migrate").output().await.unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    assert!(String::from_utf8_lossy(&migrate.stdout).contains("migrations applied"));

    let first = dateline(&pool).arg("demo").output().await.unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = dateline(&pool).arg("demo").output().await.unwrap();
    let second = String::from_utf8_lossy(&second.stdout);
    assert!(
        second.contains(
            "0 topics added, 0 people added, 0 images added, 0 synonym sets added, 0 stories added"
        ),
        "{second}"
    );
}

#[sqlx::test(migrations = false)]
async fn serve_logs_json_answers_and_exits_cleanly_on_sigterm(pool: PgPool) {
    let (mut child, mut lines, address) = start_server(&pool).await;

    let response = http_get(&address, "/healthz").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let response = http_get(&address, "/").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    let pid = child.id().unwrap().to_string();
    let kill = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(kill.success());
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("exits within 15 s of SIGTERM")
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
    let mut rest = String::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        rest.push_str(&line);
    }
    assert!(rest.contains("shut down cleanly"), "{rest}");
}

#[sqlx::test]
async fn page_views_counted_before_sigterm_are_written_at_shutdown(pool: PgPool) {
    crate::helpers::ArticleBuilder::new("Counted")
        .slug("counted")
        .insert(&pool)
        .await;
    let mut child = dateline(&pool)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--views-flush-secs",
            "3600",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let address = loop {
        let line = lines.next_line().await.unwrap().expect("server output");
        let json: serde_json::Value = serde_json::from_str(&line).unwrap();
        if json["fields"]["message"] == "Dateline is serving" {
            break json["fields"]["address"]
                .as_str()
                .unwrap()
                .trim_start_matches("http://")
                .to_owned();
        }
    };
    for _ in 0..5 {
        assert!(
            http_get(&address, "/research-news/counted")
                .await
                .starts_with("HTTP/1.1 200")
        );
    }
    let before: i64 = sqlx::query_scalar("SELECT coalesce(sum(views), 0)::bigint FROM page_views")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(before, 0, "not flushed yet (hourly)");
    let pid = child.id().unwrap().to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    let after: i64 = sqlx::query_scalar("SELECT coalesce(sum(views), 0)::bigint FROM page_views")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(after, 5, "flushed on graceful shutdown");
}

#[sqlx::test(migrations = false)]
async fn the_http_threads_start_and_answer_every_connection(pool: PgPool) {
    let (mut child, _lines, address) =
        start_server_with(&pool, &[("DATELINE_HTTP_THREADS", "3")]).await;
    let pid = child.id().expect("running");
    // A thread takes its name once it runs, which may be just after the server says it serves.
    let http_threads = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/task"))
            .expect("the server's threads")
            .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
            .map(|name| name.trim().to_owned())
            .filter(|name| name.starts_with("dateline-http-"))
            .collect();
        names.sort();
        names
    };
    let mut names = http_threads();
    for _ in 0..50 {
        if names.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        names = http_threads();
    }
    assert_eq!(
        names,
        ["dateline-http-0", "dateline-http-1", "dateline-http-2"]
    );

    // Nine connections open at once (three per thread, handed out in turn), each asked twice
    // over keep-alive: every one is answered.
    let mut streams = Vec::new();
    for _ in 0..9 {
        streams.push(tokio::net::TcpStream::connect(&address).await.unwrap());
    }
    for round in 0..2 {
        for stream in &mut streams {
            stream
                .write_all(format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\n\r\n").as_bytes())
                .await
                .unwrap();
        }
        for stream in &mut streams {
            let mut buffer = vec![0u8; 4096];
            let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer))
                .await
                .expect("answered within 10 s")
                .unwrap();
            let answer = String::from_utf8_lossy(&buffer[..read]);
            assert!(
                answer.starts_with("HTTP/1.1 200"),
                "round {round}: {answer}"
            );
        }
    }
    drop(streams);
    child.start_kill().unwrap();
    let _ = child.wait().await;
}

#[tokio::test]
async fn bad_settings_are_refused_with_a_message_naming_the_setting() {
    for (name, value, message) in [
        (
            "DATELINE_TIMEZONE",
            "Mars/Olympus_Mons",
            "DATELINE_TIMEZONE",
        ),
        (
            "DATELINE_HTTP_THREADS",
            "0",
            "DATELINE_HTTP_THREADS must be at least 1",
        ),
        (
            "DATELINE_PURGE_URL",
            "http://127.0.0.1:6081/,https://cdn.example.org/",
            "DATELINE_PURGE_URL entries must be http://host:port/",
        ),
        ("DATELINE_PURGE_URL", "varnish:6081", "DATELINE_PURGE_URL"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_dateline"))
            .args(["migrate"])
            .env(name, value)
            .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
            .output()
            .await
            .unwrap();
        assert!(!output.status.success(), "{name}={value} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{name}={value}: {stderr}");
    }
}

#[sqlx::test(migrations = false)]
async fn healthcheck_exits_0_when_the_server_is_ready_and_1_when_nothing_answers(pool: PgPool) {
    let (_server, _lines, address) = start_server(&pool).await;
    let port = address.rsplit_once(':').unwrap().1;
    // As in the container: the server listens on every address, the check asks the loopback.
    let ready = dateline(&pool)
        .arg("healthcheck")
        .env("DATELINE_BIND", format!("0.0.0.0:{port}"))
        .output()
        .await
        .unwrap();
    assert!(
        ready.status.success(),
        "{}",
        String::from_utf8_lossy(&ready.stderr)
    );

    let nobody = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let down = dateline(&pool)
        .arg("healthcheck")
        .env("DATELINE_BIND", nobody.to_string())
        .output()
        .await
        .unwrap();
    assert_eq!(down.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&down.stderr);
    assert!(stderr.contains("/readyz"), "{stderr}");
}

#[tokio::test]
async fn an_https_deployment_with_unsafe_settings_is_warned_and_check_fails_saying_what_to_fix() {
    let run = |secret: Option<&'static str>, rust_log: &'static str, command: &'static str| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dateline"));
        cmd.args([command, "--bind", "127.0.0.1:0"])
            .env("DATELINE_BASE_URL", "https://news.example.org")
            .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
            .env("RUST_LOG", rust_log)
            .env_remove("DATELINE_SECRET_KEY")
            .env_remove("DATELINE_DEMO")
            .kill_on_drop(true);
        if let Some(secret) = secret {
            cmd.env("DATELINE_SECRET_KEY", secret);
        }
        cmd.output()
    };
    // `serve` warns and goes on to start (here it then fails to reach the database).
    let warned = tokio::time::timeout(Duration::from_secs(30), run(None, "debug", "serve"))
        .await
        .expect("gives up on the unreachable database")
        .unwrap();
    let stderr = String::from_utf8_lossy(&warned.stderr);
    assert!(
        stderr.contains("warning: DATELINE_BASE_URL is https"),
        "{stderr}"
    );
    assert!(
        stderr.contains("DATELINE_SECRET_KEY: is not set"),
        "{stderr}"
    );
    assert!(stderr.contains("fix: "), "{stderr}");
    assert!(
        stderr.contains("could not connect to PostgreSQL"),
        "it went on to connect: {stderr}"
    );

    let refused = run(None, "debug", "check").await.unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("DATELINE_SECRET_KEY: is not set"),
        "{stderr}"
    );
    assert!(stderr.contains("RUST_LOG"), "{stderr}");
    assert!(stderr.contains("fix: "), "{stderr}");

    let short = run(Some("too-short"), "info", "check").await.unwrap();
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("9 characters"));

    let sound = run(
        Some("8c1f0e6b4a92d37e5f18c6a0b2d4e6f8a1c3e5b7"),
        "info",
        "check",
    )
    .await
    .unwrap();
    assert!(
        sound.status.success(),
        "{}",
        String::from_utf8_lossy(&sound.stderr)
    );
    assert!(String::from_utf8_lossy(&sound.stdout).contains("fit for production"));
}

#[sqlx::test(migrations = false)]
async fn sigterm_cuts_requests_that_outlive_the_grace_period_and_exits_0(pool: PgPool) {
    let (mut child, mut lines, address) =
        start_server_with(&pool, &[("DATELINE_SHUTDOWN_GRACE_SECS", "2")]).await;
    // A request whose body never finishes arriving: in flight until cut.
    let mut slow = tokio::net::TcpStream::connect(&address).await.unwrap();
    slow.write_all(
        format!(
            "POST /research-news/any/feedback HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nhelpful=yes&comment="
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let pid = child.id().unwrap().to_string();
    let signalled = std::time::Instant::now();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap()
            .success()
    );
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits within the grace period and a little")
        .unwrap();
    let took = signalled.elapsed();
    assert!(status.success(), "exit code 0: {status:?}");
    assert!(
        took >= Duration::from_millis(1900),
        "waited for the request: {took:?}"
    );
    assert!(
        took < Duration::from_secs(6),
        "but no longer than the grace: {took:?}"
    );
    let mut rest = String::new();
    while let Ok(Some(line)) = lines.next_line().await {
        rest.push_str(&line);
    }
    assert!(rest.contains("did not finish in time"), "{rest}");
    assert!(rest.contains("shut down cleanly"), "{rest}");
}

#[sqlx::test]
async fn user_add_reads_the_password_from_stdin_and_token_add_prints_it_once(pool: PgPool) {
    let add_user = |password: &'static str| {
        let mut cmd = dateline(&pool);
        cmd.args([
            "user",
            "add",
            "--email",
            "Ana@Example.org",
            "--name",
            "Ana Ribeiro",
            "--role",
            "editor",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        async move {
            let mut child = cmd.spawn().unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(password.as_bytes())
                .await
                .unwrap();
            child.wait_with_output().await.unwrap()
        }
    };
    for weak in [
        "short\n",
        "password\n",
        "ana@example.org\n",
        "Ana Ribeiro\n",
    ] {
        let output = add_user(weak).await;
        assert!(!output.status.success(), "{weak:?} accepted");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("password"),
            "{weak:?}"
        );
    }
    let output = add_user("plover-quartz-lantern-47\n").await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"));
    assert!(
        !add_user("plover-quartz-lantern-47\n")
            .await
            .status
            .success(),
        "email is unique, case-insensitively"
    );

    let token = dateline(&pool)
        .args([
            "token",
            "add",
            "--email",
            "ana@example.org",
            "--name",
            "importer",
        ])
        .output()
        .await
        .unwrap();
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let stdout = String::from_utf8_lossy(&token.stdout);
    let secret = stdout.lines().last().unwrap();
    assert!(secret.starts_with("dl_") && secret.len() >= 40, "{secret}");
    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM api_tokens")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, dateline::domain::secret::token_digest(secret));

    let unknown = dateline(&pool)
        .args([
            "token",
            "add",
            "--email",
            "nobody@example.org",
            "--name",
            "x",
        ])
        .output()
        .await
        .unwrap();
    assert!(!unknown.status.success());
}

#[test]
fn make_db_stop_uses_a_built_binary_and_never_compiles() {
    let makefile =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Makefile")).unwrap();
    let recipe: Vec<&str> = makefile
        .lines()
        .skip_while(|line| !line.starts_with("db-stop:"))
        .skip(1)
        .take_while(|line| line.starts_with('\t'))
        .collect();
    assert!(!recipe.is_empty(), "make db-stop has a recipe");
    let script =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/db-stop.sh"))
            .unwrap();
    for line in recipe.iter().copied().chain(script.lines()) {
        let code = line.split('#').next().unwrap_or_default();
        assert!(!code.contains("cargo "), "db-stop compiles: {line}");
    }
    assert!(script.contains("target/release/dateline") && script.contains("target/debug/dateline"));
}

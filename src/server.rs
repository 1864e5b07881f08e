//! Runs the HTTP server until SIGTERM or Ctrl-C, then drains in-flight requests. HTTP is
//! served as nginx's worker processes serve it: `DATELINE_HTTP_THREADS` threads, each with its
//! own event loop, fed connections in turn by one accept loop; routes that use the pool run on
//! the main runtime (`crate::web::runtime`). Why: docs/DESIGN.md.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot, watch};

use crate::app::{App, build_app};
use crate::config::Config;
use crate::state::AppState;

/// Connections accepted but not yet taken up by their thread, per thread.
const HANDOFF_QUEUE: usize = 1024;

/// Serves until a shutdown signal arrives.
pub async fn serve(config: Config, pool: PgPool) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("could not listen on {} (DATELINE_BIND)", config.bind))?;
    let local = listener.local_addr()?;
    let flush_every = Duration::from_secs(config.views_flush_secs);
    let grace = config.shutdown_grace;
    let header_timeout = config.header_timeout;
    let threads = config.http_threads;
    let base_url = config.base_url.clone();
    let metrics_bind = config.metrics_bind;
    // Before the state: the caches resolve their series as they are made.
    let metrics_handle = metrics_bind.map(|_| crate::metrics::install());
    let state = AppState::new(config, pool.clone());
    // Story pages are rendered on the HTTP threads, which must not use the pool: the form
    // key their feedback widget signs with is read now, once.
    state
        .feedback_keys
        .form_key(&pool)
        .await
        .context("could not read the feedback form key")?;
    let metrics_listener = match (metrics_bind, metrics_handle) {
        (Some(address), Some(handle)) => Some(
            crate::metrics::spawn_listener(
                address,
                crate::metrics::Sampled {
                    handle,
                    pool: pool.clone(),
                    caches: vec![
                        ("pages", {
                            let cache = state.cache.clone();
                            Arc::new(move || cache.entry_count())
                        }),
                        ("media", {
                            let cache = state.media_cache.clone();
                            Arc::new(move || cache.entry_count())
                        }),
                    ],
                },
            )
            .await?,
        ),
        _ => None,
    };
    let views = state.views.clone();
    let stories = state.stories.clone();
    let purger = crate::cache::purge::Purger::new(&state.config.purge_urls)
        .context("could not set up the purges (DATELINE_PURGE_URL)")?;
    let listener_task =
        crate::cache::invalidate::spawn_listener(pool.clone(), state.cache.clone(), purger);
    let state_config = state.config.clone();
    let app = build_app(state);
    let scheduler = crate::jobs::scheduler::spawn(pool.clone());
    let upkeep = crate::jobs::maintenance::spawn(pool.clone());
    let webhooks = crate::jobs::webhooks::spawn(
        pool.clone(),
        crate::jobs::webhooks::Settings {
            base_url: state_config.base_url.clone(),
            allow_hosts: state_config.webhook_allow_hosts.clone(),
            timeout: state_config.webhook_timeout,
            retry_base: state_config.webhook_retry_base,
            give_up_after: state_config.webhook_give_up,
        },
    );
    let stop_flusher = std::sync::Arc::new(tokio::sync::Notify::new());
    let flusher = views
        .clone()
        .spawn_flusher(pool.clone(), flush_every, stop_flusher.clone());

    // On SIGTERM: stop accepting, let in-flight requests finish, but for at most `grace`.
    let (signalled, on_signal) = watch::channel(false);
    let mut handoffs = Vec::with_capacity(threads);
    let mut finished = Vec::with_capacity(threads);
    for index in 0..threads {
        let (handoff, incoming) = mpsc::channel(HANDOFF_QUEUE);
        let listener = Handoff { incoming };
        finished.push(spawn_http_thread(
            index,
            listener,
            app.clone(),
            stories.clone(),
            header_timeout,
            on_signal.clone(),
        )?);
        handoffs.push(handoff);
    }
    let acceptor = tokio::spawn(hand_out(listener, handoffs));
    tracing::info!(address = %format!("http://{local}"), %base_url, http_threads = threads, "Dateline is serving");
    let all_finished = futures_util::future::join_all(finished);
    tokio::pin!(all_finished);

    let served = tokio::select! {
        results = &mut all_finished => threads_ended(results, "before any shutdown signal"),
        () = shutdown_signal() => {
            acceptor.abort();
            let _ = signalled.send(true);
            tokio::select! {
                results = &mut all_finished => threads_ended(results, "while draining"),
                () = tokio::time::sleep(grace) => {
                    tracing::warn!(grace_secs = grace.as_secs(), "in-flight requests did not finish in time; cutting them");
                    Ok(())
                }
            }
        }
    };
    acceptor.abort();
    scheduler.abort();
    upkeep.abort();
    webhooks.abort();
    listener_task.abort();
    if let Some(metrics_listener) = metrics_listener {
        metrics_listener.abort();
    }
    stop_flusher.notify_one();
    let _ = flusher.await;
    match views.flush(&pool).await {
        Ok(written) => tracing::info!(written, "page views flushed"),
        Err(err) => {
            tracing::error!(error = %err, lost = views.pending(), "could not flush page views at shutdown")
        }
    }
    served?;
    pool.close().await;
    tracing::info!("shut down cleanly");
    Ok(())
}

/// `Ok` when every HTTP thread stopped cleanly.
fn threads_ended(
    results: Vec<Result<std::io::Result<()>, oneshot::error::RecvError>>,
    when: &str,
) -> anyhow::Result<()> {
    for result in results {
        match result {
            Ok(Ok(())) => {}
            Ok(Err(err)) => return Err(err).context(format!("an HTTP thread failed {when}")),
            Err(_) => anyhow::bail!("an HTTP thread stopped {when}"),
        }
    }
    Ok(())
}

/// Starts one HTTP thread serving the connections `listener` hands it; the receiver gets how
/// serving ended (after the graceful drain that `stop` starts).
fn spawn_http_thread(
    index: usize,
    listener: Handoff,
    app: App,
    stories: std::sync::Arc<crate::db::batch::StoryReads>,
    header_timeout: Duration,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<oneshot::Receiver<std::io::Result<()>>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("could not start an HTTP thread's event loop")?;
    let (done, finished) = oneshot::channel();
    std::thread::Builder::new()
        .name(format!("dateline-http-{index}"))
        .spawn(move || {
            let served = runtime.block_on(async move {
                // Story pages rendered here read over a connection of this thread's own.
                stories.adopt_on_this_thread();
                serve_connections(listener, app, header_timeout, stop).await;
                Ok(())
            });
            // The access lines this thread has not sent yet.
            crate::web::access::line::flush_this_thread();
            // Its connection belongs to the runtime, which ends with this closure.
            crate::db::batch::StoryReads::leave_this_thread();
            drop(runtime);
            let _ = done.send(served);
        })
        .context("could not start an HTTP thread")?;
    Ok(finished)
}

/// Serves HTTP/1.1 on every connection handed to this thread until `stop`, then lets each
/// finish its request in flight. As `axum::serve` does, with hyper's header-read time-out on
/// (axum sets no timer, so it never fires there): a client that has not sent a whole request
/// head within `header_timeout` (a slow-loris, or a kept-alive connection left idle) is closed.
async fn serve_connections(
    mut listener: Handoff,
    app: App,
    header_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use tower::ServiceExt as _;

    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    // Dropping `draining` tells every connection to finish; `closed` ends when all have.
    let (draining, signal) = watch::channel(());
    let (all_closed, closed) = watch::channel(());
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|signalled| *signalled) => break,
        };
        // Handlers read the peer address as `ConnectInfo<SocketAddr>`.
        let service =
            app.clone()
                .map_request(move |request: axum::http::Request<hyper::body::Incoming>| {
                    let mut request = request.map(axum::body::Body::new);
                    request
                        .extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    request
                });
        let service = hyper_util::service::TowerToHyperService::new(service);
        let builder = builder.clone();
        let draining = draining.clone();
        let closed = closed.clone();
        tokio::spawn(async move {
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                () = draining.closed() => {
                    // Finishes the request in flight, then closes.
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.as_mut().await;
                }
            }
            drop(closed);
        });
    }
    drop(signal);
    drop(closed);
    all_closed.closed().await;
}

/// Accepts connections and hands them to the HTTP threads in turn.
async fn hand_out(
    listener: tokio::net::TcpListener,
    threads: Vec<mpsc::Sender<(std::net::TcpStream, SocketAddr)>>,
) {
    let mut next = 0;
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                // As axum does: a failed connection is the client's business; anything else
                // (out of file descriptors) is waited out.
                if !matches!(
                    err.kind(),
                    std::io::ErrorKind::ConnectionRefused
                        | std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::ConnectionReset
                ) {
                    tracing::error!(error = %err, "could not accept a connection");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                continue;
            }
        };
        let Ok(stream) = stream.into_std() else {
            continue;
        };
        let thread = &threads[next % threads.len()];
        next = next.wrapping_add(1);
        if thread.send((stream, peer)).await.is_err() {
            return;
        }
    }
}

/// The connections handed to one HTTP thread.
struct Handoff {
    incoming: mpsc::Receiver<(std::net::TcpStream, SocketAddr)>,
}

impl Handoff {
    /// The next connection, registered with this thread's event loop.
    async fn accept(&mut self) -> (tokio::net::TcpStream, SocketAddr) {
        loop {
            let Some((stream, peer)) = self.incoming.recv().await else {
                // No more connections will come (shutting down): wait to be stopped.
                return std::future::pending().await;
            };
            // Registers the connection with this thread's event loop. No `TCP_NODELAY`: hyper
            // writes an answer in one `writev`, and setting it cost 304s (docs/BENCHMARKS.md).
            match tokio::net::TcpStream::from_std(stream) {
                Ok(stream) => return (stream, peer),
                Err(err) => tracing::warn!(error = %err, "could not take up a connection"),
            }
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "could not listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "could not listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}

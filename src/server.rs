//! Runs the HTTP server until SIGTERM or Ctrl-C, then drains in-flight requests.

use std::net::SocketAddr;

use anyhow::Context;
use sqlx::PgPool;

use axum::ServiceExt as _;

use crate::app::{AppState, build_app};
use crate::config::Config;

/// Serves until a shutdown signal arrives.
pub async fn serve(config: Config, pool: PgPool) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("could not listen on {} (DATELINE_BIND)", config.bind))?;
    let local = listener.local_addr()?;
    tracing::info!(address = %format!("http://{local}"), base_url = %config.base_url, "Dateline is serving");
    let flush_every = std::time::Duration::from_secs(config.views_flush_secs);
    let grace = config.shutdown_grace;
    let state = AppState::new(config, pool.clone());
    let views = state.views.clone();
    let listener_task = crate::cache::spawn_listener(pool.clone(), state.cache.clone());
    let app = build_app(state);
    let scheduler = crate::jobs::scheduler::spawn(pool.clone());
    let stop_flusher = std::sync::Arc::new(tokio::sync::Notify::new());
    let flusher = views
        .clone()
        .spawn_flusher(pool.clone(), flush_every, stop_flusher.clone());

    // On SIGTERM: stop accepting, let in-flight requests finish, but for at most `grace`.
    let (signalled, mut on_signal) = tokio::sync::watch::channel(false);
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        let _ = signalled.send(true);
    });
    let deadline = async move {
        let _ = on_signal.wait_for(|signalled| *signalled).await;
        tokio::time::sleep(grace).await;
    };
    let served = tokio::select! {
        served = std::future::IntoFuture::into_future(server) => {
            served.context("the server stopped with an error")
        }
        () = deadline => {
            tracing::warn!(grace_secs = grace.as_secs(), "in-flight requests did not finish in time; cutting them");
            Ok(())
        }
    };
    scheduler.abort();
    listener_task.abort();
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

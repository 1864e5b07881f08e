//! Where a route's handler runs. The server reads and answers requests on its HTTP threads
//! (`crate::server`); a handler that uses the database pool must not run there: a pooled
//! connection opened on an HTTP thread would be tied to that thread's event loop, and one
//! handed back there waits behind every task queued before it (docs/DESIGN.md). Such
//! routes carry [`OnMainRuntime`], which runs them as tasks on the main runtime; the story page
//! reads through its thread's own connection (`crate::db::batch`) and stays on the HTTP thread.

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::{IntoResponse as _, Response};
use futures_util::future::BoxFuture;
use tower::{Layer, Service};

/// The layer: routes under it run on the runtime it was made on.
#[derive(Debug, Clone)]
pub struct OnMainRuntime {
    /// `None` outside a runtime: the route runs where it is called.
    handle: Option<tokio::runtime::Handle>,
}

impl OnMainRuntime {
    /// Runs routes on the runtime this is called on (the server builds its router on the main
    /// runtime).
    pub fn current() -> Self {
        Self {
            handle: tokio::runtime::Handle::try_current().ok(),
        }
    }
}

impl<S> Layer<S> for OnMainRuntime {
    type Service = OnMain<S>;

    fn layer(&self, inner: S) -> Self::Service {
        OnMain {
            handle: self.handle.clone(),
            inner,
        }
    }
}

/// The service [`OnMainRuntime`] makes.
#[derive(Debug, Clone)]
pub struct OnMain<S> {
    handle: Option<tokio::runtime::Handle>,
    inner: S,
}

impl<S> Service<Request> for OnMain<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let answer = self.inner.call(request);
        let Some(handle) = &self.handle else {
            return Box::pin(answer);
        };
        // The request's span (its id in every log line) goes with it.
        let answer = tracing::Instrument::instrument(answer, tracing::Span::current());
        let mut task = AbortOnDrop(handle.spawn(answer));
        Box::pin(async move {
            match (&mut task.0).await {
                Ok(answer) => answer,
                // A panic is the stack's to answer (its panic layer renders the 500).
                Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
                // Only at shutdown.
                Err(err) => {
                    tracing::error!(error = %err, "a request's task ended without an answer");
                    Ok(
                        crate::error::AppError::Internal(anyhow::anyhow!("request task ended"))
                            .into_response(),
                    )
                }
            }
        })
    }
}

/// A request's task on the main runtime, cancelled when the connection gives up on it (as the
/// request's future would be if it ran on the connection's own task).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

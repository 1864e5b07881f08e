//! The front of the stack: the first code every request meets.
//!
//! A `GET` or `HEAD` of a page the rendered-page cache holds is answered here, before the
//! router and the middleware stack, the way a caching proxy in the same process would: the
//! same bytes, ETag, `304`, cache headers, security headers and request id the full stack
//! gives (the cache middleware in the router answers exactly the same way; tests compare the
//! two). What the stack would add around such an answer is not needed for it: it runs no
//! handler that could time out, fail or touch the database, and a hit is not logged (the
//! request log is written at `debug` level anyway). Requests over the header limits, every
//! miss, every other method and every other path go through the whole stack.
//!
//! The whole stack runs on the runtime the front was made on (the server's main, work-stealing
//! one), not on the HTTP thread that read the request: handlers wait on the database, and on a
//! single-threaded event loop a pooled connection is only handed back once every task queued
//! before its clean-up has run, which halved the throughput of uncached pages. Story pages are
//! the exception: their handler reads only through `crate::db::batch::StoryReads`, which on an
//! HTTP thread reads in batches over a connection of that thread's own (no pool), so the HTTP
//! thread renders them itself and a page costs no hand-over between threads (13,400 instead
//! of 10,900 uncached pages a second when the batches still ran on the main runtime; 16,700 →
//! 23,200 since they run on the HTTP thread). See `crate::server`.

use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::HttpBody as _;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Either, Ready, ready};
use tower::Service;

use crate::app::{AppState, RequestIds, SecurityHeaders};
use crate::cache::PageCache;
use crate::signals::views::ViewCounter;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the front needs, shared by every connection.
#[derive(Debug)]
pub struct Front {
    /// Where the full stack runs (`None` outside a runtime: on the caller's task).
    runtime: Option<tokio::runtime::Handle>,
    cache: Arc<PageCache>,
    views: Arc<ViewCounter>,
    security: SecurityHeaders,
    ids: RequestIds,
}

impl Front {
    pub fn new(state: &AppState, security: SecurityHeaders, ids: RequestIds) -> Self {
        Self {
            runtime: tokio::runtime::Handle::try_current().ok(),
            cache: state.cache.clone(),
            views: state.views.clone(),
            security,
            ids,
        }
    }

    /// Puts the front before `inner`.
    pub fn wrap<S>(self, inner: S) -> CacheFront<S> {
        CacheFront {
            front: Arc::new(self),
            inner,
        }
    }

    /// The cached answer to this request, with every header the stack adds, if there is one.
    fn answer(&self, request: &Request) -> Option<Response> {
        if !self.cache.enabled()
            || crate::web::limits::over_limits(request.uri(), request.headers()).is_some()
        {
            return None;
        }
        let mut response = crate::cache::answer_hit(
            &self.cache,
            &self.views,
            request.method(),
            request.uri(),
            request.headers(),
        )?;
        // As the router does for every answer it makes, but a `304` (see `without_zero_length`).
        let length = response.body().size_hint().exact();
        let not_modified = response.status() == StatusCode::NOT_MODIFIED;
        let headers = response.headers_mut();
        if let Some(length) = length
            && !not_modified
            && !headers.contains_key(header::CONTENT_LENGTH)
        {
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        }
        self.security.apply(headers);
        // As the request-id layers do: the client's id is kept, or one is made.
        if let Some(id) = request
            .headers()
            .get(&X_REQUEST_ID)
            .cloned()
            .or_else(|| self.ids.next_id())
        {
            headers.insert(X_REQUEST_ID, id);
        }
        Some(response)
    }
}

/// The service [`Front::wrap`] makes.
#[derive(Debug, Clone)]
pub struct CacheFront<S> {
    front: Arc<Front>,
    inner: S,
}

impl<S> Service<Request> for CacheFront<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<
        Ready<Result<Response, Infallible>>,
        BoxFuture<'static, Result<Response, Infallible>>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // A fault here must not cost the connection: the full stack (with its panic
        // catching) answers instead.
        let hit = std::panic::catch_unwind(AssertUnwindSafe(|| self.front.answer(&request)));
        if let Ok(Some(response)) = hit {
            return Either::Left(ready(Ok(response)));
        }
        let here = renders_here(&request);
        let stack = self
            .inner
            .call(request)
            .map(|answer| answer.map(without_zero_length));
        if here {
            return Either::Right(Box::pin(stack));
        }
        let Some(runtime) = &self.front.runtime else {
            return Either::Right(Box::pin(stack));
        };
        let mut task = AbortOnDrop(runtime.spawn(stack));
        Either::Right(Box::pin(async move {
            match (&mut task.0).await {
                Ok(answer) => answer,
                // Only at shutdown, or if the stack's own panic catching failed.
                Err(err) => {
                    tracing::error!(error = %err, "a request's task ended without an answer");
                    Ok(
                        crate::error::AppError::Internal(anyhow::anyhow!("request task ended"))
                            .into_response(),
                    )
                }
            }
        }))
    }
}

/// A `304` goes without `Content-Length`: axum's router gives every answer one from its body's
/// size, 0 here, but RFC 9110 (8.6) allows one on a `304` only with the length the `200` would
/// have had.
fn without_zero_length(mut response: Response) -> Response {
    if response.status() == StatusCode::NOT_MODIFIED {
        response.headers_mut().remove(header::CONTENT_LENGTH);
    }
    response
}

/// Whether the request is a story page, which the HTTP thread that read it renders itself:
/// its handler reads the database only through [`crate::db::batch::StoryReads`], which on an
/// HTTP thread sends its batches over a connection of the thread's own, so the page never
/// leaves the thread (one batch answers many pages). Every other request that misses the
/// cache runs on the main runtime.
fn renders_here(request: &Request) -> bool {
    matches!(*request.method(), Method::GET | Method::HEAD)
        && request
            .uri()
            .path()
            .strip_prefix("/research-news/")
            .is_some_and(|slug| !slug.is_empty() && !slug.contains('/'))
}

/// A request's task on the main runtime, cancelled when the connection gives up on it (as the
/// stack's future would be if it ran on the connection's own task).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

//! The front of the stack: the first code every request meets.
//!
//! A `GET` or `HEAD` of a page the rendered-page cache holds is answered here, before the
//! router and the middleware stack, the way a caching proxy in the same process would: the
//! same bytes, ETag, `304`, cache headers, security headers and request id the full stack
//! gives (the cache middleware in the router answers exactly the same way; tests compare the
//! two). A hit runs no handler that could time out, fail or touch the database. Requests over
//! the header limits, every miss, every other method and every other path go through the whole
//! stack (where each route says on which runtime it runs: `crate::web::runtime`).
//!
//! Every request, hit or not, is logged and counted here once, when its answer is ready
//! (`crate::web::access`).

use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::HttpBody as _;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Either, Ready, ready};
use tower::Service;

use crate::cache::CacheState;
use crate::web::headers::{RequestIds, SecurityHeaders};

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the front needs, shared by every connection.
#[derive(Debug)]
pub struct Front {
    cache: CacheState,
    /// Image files, kept apart (`/media/…`).
    media: CacheState,
    security: SecurityHeaders,
    ids: RequestIds,
}

impl Front {
    pub fn new(
        cache: CacheState,
        media: CacheState,
        security: SecurityHeaders,
        ids: RequestIds,
    ) -> Self {
        Self {
            cache,
            media,
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

    /// The cached answer to this request, with every header the stack adds, and the series of
    /// the route it was rendered under, if there is one.
    fn answer(
        &self,
        request: &Request,
    ) -> Option<(Response, Option<&'static crate::metrics::RouteSeries>)> {
        let cache = if request.uri().path().starts_with("/media/") {
            &self.media
        } else {
            &self.cache
        };
        // Searches are counted against the client's limit before the cache is asked.
        if !cache.cache.enabled()
            || request.uri().path() == "/search"
            || crate::web::limits::over_limits(request.uri(), request.headers()).is_some()
        {
            return None;
        }
        let (mut response, route) = crate::cache::http::answer_hit(
            &cache.cache,
            &cache.views,
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
        Some((response, route))
    }
}

/// The service [`Front::wrap`] makes.
#[derive(Debug, Clone)]
pub struct CacheFront<S> {
    front: Arc<Front>,
    inner: S,
}

type Answer = Result<Response, Infallible>;

impl<S> Service<Request> for CacheFront<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Answer>, BoxFuture<'static, Answer>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let started = Instant::now();
        // A fault here must not cost the connection: the full stack (with its panic
        // catching) answers instead.
        let hit = std::panic::catch_unwind(AssertUnwindSafe(|| self.front.answer(&request)));
        if let Ok(Some((response, route))) = hit {
            crate::web::access::record(
                request.method(),
                request.uri().path(),
                started,
                &response,
                route.unwrap_or_else(crate::metrics::unmatched),
            );
            return Either::Left(ready(Ok(response)));
        }
        let method = request.method().clone();
        let uri = request.uri().clone();
        Either::Right(
            self.inner
                .call(request)
                .map(move |answer| {
                    let response =
                        without_zero_length(answer.unwrap_or_else(|never| match never {}));
                    let route = crate::web::access::route_of(&response);
                    crate::web::access::record(&method, uri.path(), started, &response, route);
                    Ok(response)
                })
                .boxed(),
        )
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

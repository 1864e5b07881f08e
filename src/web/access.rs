//! The access log and the request series: every request, answered by the cache front or by
//! the router, is logged once at `info` (target `dateline::access`: method, path, status,
//! duration in ms, request id, route template) and counted once under its route template
//! ([`crate::metrics::RouteSeries`]). Both happen in the front ([`crate::web::front`]), the
//! only place every request passes; the router tells it the route by [`tag_route`].

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, Method};
use axum::middleware::Next;
use axum::response::Response;

use crate::metrics::RouteSeries;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Middleware on every route and the fallback: hands the matched route's series (resolved once
/// per template) to the front with the answer.
pub async fn tag_route(request: Request, next: Next) -> Response {
    let series = crate::metrics::route(
        request
            .extensions()
            .get::<MatchedPath>()
            .map_or(crate::metrics::UNMATCHED, MatchedPath::as_str),
    );
    let mut response = next.run(request).await;
    response.extensions_mut().insert(series);
    response
}

/// Logs and counts one answered request.
pub fn record(method: &Method, path: &str, started: Instant, response: &Response) {
    let elapsed = started.elapsed();
    let status = response.status();
    let unmatched;
    let series = match response.extensions().get::<Arc<RouteSeries>>() {
        Some(series) => series,
        None => {
            unmatched = crate::metrics::route(crate::metrics::UNMATCHED);
            &unmatched
        }
    };
    series.record(status, elapsed);
    let request_id = response
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|id| id.to_str().ok())
        .unwrap_or("-");
    tracing::info!(
        target: "dateline::access",
        method = method.as_str(),
        path,
        status = status.as_u16(),
        duration_ms = elapsed.as_secs_f64() * 1000.0,
        request_id,
        route = &*series.route,
        "request"
    );
}

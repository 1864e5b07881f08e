//! The application: the router with its middleware stack, in one readable function, behind the
//! cache front.

use std::time::Duration;

use axum::Router;
use axum::extract::FromRef;
use axum::http::{HeaderName, Request};
use axum::routing::get;
use tower::ServiceBuilder;
use tower::util::MapResponseLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::cache::CacheState;
use crate::state::AppState;
use crate::web::headers::{RequestIds, SecurityHeaders};

/// How long one request may take before it is answered 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The whole application: the cache front ([`crate::web::front`]) over the router with its
/// middleware stack.
pub fn build_app(state: AppState) -> App {
    let security = SecurityHeaders::new(&state.config);
    let ids = RequestIds::default();
    let cache = CacheState::from_ref(&state);
    let media = state.media_cache_state();
    let front = crate::web::front::Front::new(cache, media, security.clone(), ids.clone());
    front.wrap(router_with(state, security, ids))
}

/// The router with its middleware stack, without the cache front (tests that rewrite
/// answers wrap this one).
pub fn build_router(state: AppState) -> Router {
    let security = SecurityHeaders::new(&state.config);
    router_with(state, security, RequestIds::default())
}

/// What [`build_app`] makes: a `tower::Service` of HTTP requests.
pub type App = crate::web::front::CacheFront<Router>;

/// Routes, then (outermost last) security headers, time-out, panic catching, request ids and
/// tracing.
fn router_with(state: AppState, security: SecurityHeaders, ids: RequestIds) -> Router {
    let x_request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(crate::web::api::routes(state.clone()))
        .merge(crate::web::admin::routes(state.clone()))
        .merge(crate::web::public::routes(state.clone()))
        .merge(crate::web::health::routes().layer(crate::web::runtime::OnMainRuntime::current()))
        .route("/assets/{*path}", get(crate::assets::serve_asset))
        // Unknown paths: an imported story's old link (301), else the 404 page.
        .fallback_service(
            axum::routing::any(crate::web::public::old_links::old_path)
                .with_state(state.clone())
                .layer(crate::web::runtime::OnMainRuntime::current()),
        )
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                // The route's series, for the access log the front writes.
                .layer(axum::middleware::from_fn(crate::web::access::tag_route))
                .layer(SetRequestIdLayer::new(x_request_id.clone(), ids))
                .layer(
                    // A span only: the access log line is the front's (`crate::web::access`),
                    // so no event here, whatever the level.
                    TraceLayer::new_for_http()
                        .on_request(())
                        .on_response(())
                        .make_span_with(|request: &Request<_>| {
                            let request_id = request
                                .headers()
                                .get("x-request-id")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("-");
                            tracing::info_span!(
                                "request",
                                method = %request.method(),
                                path = %request.uri().path(),
                                request_id,
                            )
                        }),
                )
                .layer(PropagateRequestIdLayer::new(x_request_id))
                .layer(MapResponseLayer::new(
                    move |mut response: axum::http::Response<_>| {
                        security.apply(response.headers_mut());
                        response
                    },
                ))
                .layer(CatchPanicLayer::custom(crate::web::errors::panic_response))
                .layer(axum::middleware::from_fn(
                    crate::web::limits::complete_unavailable,
                ))
                .layer(axum::middleware::from_fn(crate::web::limits::header_limits))
                .layer(TimeoutLayer::with_status_code(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    REQUEST_TIMEOUT,
                )),
        )
}

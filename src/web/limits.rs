//! Limits shared by every route: header sizes, request bodies (size and pace), the answer of a
//! request that ran out of time, and the client key used by the throttles (sign-in, API tokens).

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::{Body, HttpBody as _};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::state::AppState;
use crate::web::errors::ApiError;

/// The longest single header value, and all headers together (the request target aside), in
/// bytes. Browsers send a few KiB; a cookie jar of the admin is well under this.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;
pub const MAX_HEADERS_TOTAL_BYTES: usize = 32 * 1024;
/// The longest request target (path and query): room for a search of 10 KB of text, encoded.
pub const MAX_URI_BYTES: usize = 32 * 1024;

fn answer(api: bool, error: AppError) -> Response {
    if api {
        ApiError(error).into_response()
    } else {
        error.into_response()
    }
}

/// Refuses overlong request lines (`414`) and header fields (`431`) before any handler runs.
pub async fn header_limits(request: Request, next: Next) -> Response {
    match over_limits(request.uri(), request.headers()) {
        Some(error) => answer(request.uri().path().starts_with("/api"), error),
        None => next.run(request).await,
    }
}

/// What is wrong with a request's target or header fields, if anything.
pub fn over_limits(uri: &Uri, headers: &HeaderMap) -> Option<AppError> {
    let uri_len = uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    if uri_len > MAX_URI_BYTES {
        return Some(AppError::UriTooLong);
    }
    // No address of ours holds a NUL character (and PostgreSQL text cannot): `%00` in a path
    // names nothing.
    let path = uri.path();
    if path.contains('%') && path.to_ascii_lowercase().contains("%00") {
        return Some(if path.starts_with("/api") {
            AppError::NoRoute
        } else {
            AppError::NotFound
        });
    }
    let mut total = 0;
    for (name, value) in headers {
        if value.len() > MAX_HEADER_BYTES {
            return Some(AppError::HeadersTooLarge);
        }
        total += name.as_str().len() + value.len();
    }
    (total > MAX_HEADERS_TOTAL_BYTES).then_some(AppError::HeadersTooLarge)
}

/// How a router reads request bodies: at most `limit` bytes, with no pause longer than `idle`;
/// an upload path takes `upload_limit` instead (image uploads).
#[derive(Debug, Clone, Copy)]
pub struct BodyRules {
    pub limit: usize,
    pub idle: Duration,
    /// A path (under this router) whose `POST` takes a larger body, and how large.
    pub upload: Option<(&'static str, usize)>,
}

impl BodyRules {
    fn limit_for(&self, request: &Request) -> usize {
        match self.upload {
            Some((path, limit))
                if request.method() == axum::http::Method::POST && request.uri().path() == path =>
            {
                limit
            }
            _ => self.limit,
        }
    }
}

/// The body limit of an image upload: the image's limit and room for the form's other fields
/// and the multipart framing.
pub const UPLOAD_BODY_LIMIT: usize = crate::domain::media::limits::MAX_BYTES + 64 * 1024;

/// Reads a request's body before anything else runs: a declared `Content-Length` over the
/// limit is answered `413` at once (the body is never read), a body that grows past it `413`,
/// and one that stops arriving for `idle` `408`. Handlers then get the whole body at once.
/// Answers are problems under `/api` and for JSON bodies, styled pages otherwise.
pub async fn read_body(State(rules): State<BodyRules>, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let chunked = request.headers().contains_key(header::TRANSFER_ENCODING);
    if declared.is_none_or(|n| n == 0) && !chunked {
        return next.run(request).await;
    }
    let api = request.uri().path().starts_with("/api")
        || request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("json"));
    let refuse = |error: AppError| {
        let mut response = answer(api, error);
        // The rest of the body is never read: the connection cannot carry another request.
        response.headers_mut().insert(
            header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
        response
    };
    let limit = rules.limit_for(&request);
    if declared.is_some_and(|n| n > limit as u64) {
        return refuse(AppError::PayloadTooLarge);
    }
    let (parts, mut body) = request.into_parts();
    let mut bytes = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    loop {
        let frame = match tokio::time::timeout(
            rules.idle,
            std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)),
        )
        .await
        {
            Err(_) => return refuse(AppError::RequestTimeout),
            Ok(None) => break,
            Ok(Some(Err(_))) => {
                return refuse(AppError::BadRequest(
                    "The request body could not be read.".into(),
                ));
            }
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limit {
                return refuse(AppError::PayloadTooLarge);
            }
            bytes.extend_from_slice(&data);
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// A `503` made below the handlers (the request time-out) has no body: it gets the same answer
/// as a database outage, with `Retry-After`, as HTML or `application/problem+json`.
pub async fn complete_unavailable(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api");
    let response = next.run(request).await;
    if response.status() == StatusCode::SERVICE_UNAVAILABLE
        && !response.headers().contains_key(header::RETRY_AFTER)
    {
        return answer(api, AppError::Unavailable);
    }
    response
}

/// Counts a search against the client's limit (shared by every instance): over it, `429` with
/// `Retry-After`, before the page cache is asked.
pub async fn search_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let connect = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .cloned();
    let client = match client_hash(&state, connect.as_ref(), request.headers()).await {
        Ok(client) => client,
        Err(error) => return error.into_response(),
    };
    if let Err(crate::signals::ratelimit::OverLimit(secs)) =
        state.search_limit.hit(&state.pool, &client).await
    {
        return AppError::TooManyRequests {
            retry_after_secs: secs,
        }
        .into_response();
    }
    next.run(request).await
}

/// The client's keyed hash (the feedback day key over its address, from a trusted proxy's
/// header only when configured), for the sign-in and API token throttles.
pub async fn client_hash(
    state: &AppState,
    connect: Option<&ConnectInfo<SocketAddr>>,
    headers: &HeaderMap,
) -> Result<Vec<u8>, AppError> {
    let peer = connect.map(|c| c.0.ip());
    let client = client_address(peer, headers, &state.config.trusted_proxies);
    let key = state.feedback_keys.day_key(&state.pool).await?;
    Ok(crate::domain::feedback::client_hash(&key, &client))
}

/// The client's address: the peer, or, behind a configured trusted proxy, the nearest
/// untrusted address in X-Forwarded-For. A client-sent header is never trusted by default.
pub fn client_address(
    peer: Option<std::net::IpAddr>,
    headers: &HeaderMap,
    trusted: &[std::net::IpAddr],
) -> String {
    let Some(peer) = peer else {
        return "unknown".to_owned();
    };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter_map(|v| v.parse::<std::net::IpAddr>().ok())
        .collect::<Vec<_>>();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "198.51.100.7, 10.0.0.2".parse().unwrap());
        let peer: std::net::IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(client_address(Some(peer), &headers, &[]), "10.0.0.2");
        assert_eq!(
            client_address(Some(peer), &headers, &[peer]),
            "198.51.100.7"
        );
        assert_eq!(client_address(None, &headers, &[peer]), "unknown");
        assert_eq!(
            client_address(Some(peer), &HeaderMap::new(), &[peer]),
            "10.0.0.2"
        );
    }
}

//! Who is asking: the guard layer of `/api/v1` resolves a bearer token to a [`CurrentUser`],
//! which handlers take as an extractor.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{HeaderMap, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use crate::db;
use crate::domain::policy::{Actor, Role};
use crate::domain::secret;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::errors::ApiError;

/// The authenticated user of this request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
}

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        Actor {
            id: self.id,
            role: self.role,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = ApiError;

    /// Fails closed: without the guard layer's extension the request is unauthenticated.
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or(ApiError(AppError::Unauthorized))
    }
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The guard layer of `/api/v1`: resolves `Authorization: Bearer <token>` to a `CurrentUser`
/// or answers `401` with `WWW-Authenticate: Bearer`. Every call counts against
/// `DATELINE_API_PER_MINUTE` (shared by every instance): a valid token's calls by the token, any
/// other call by the client's address (the same address as `/search` uses); past the limit,
/// `429` with `Retry-After`.
pub async fn require_api_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let found = match bearer_token(request.headers()) {
        Some(token) => {
            let digest = secret::token_digest(token);
            match db::users::find_by_token_digest(&state.pool, &digest).await {
                Ok(found) => found,
                Err(err) => return ApiError(err.into()).into_response(),
            }
        }
        None => None,
    };
    let Some((user, token_id)) = found else {
        let connect = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .cloned();
        return refuse_unknown(&state, connect.as_ref(), request.headers()).await;
    };
    if let Err(over) = state
        .api_limit
        .hit(&state.pool, &limit_key(b"token:", token_id.as_bytes()))
        .await
    {
        return over_limit(over);
    }
    request.extensions_mut().insert(CurrentUser {
        id: user.id,
        email: user.email,
        name: user.name,
        role: user.role,
    });
    next.run(request).await
}

/// A call without a valid token: `401`, or `429` once its client address is over the limit.
/// Misses of a token that was sent are counted per client for the audit log.
async fn refuse_unknown(
    state: &AppState,
    connect: Option<&ConnectInfo<SocketAddr>>,
    headers: &HeaderMap,
) -> Response {
    let sent_token = bearer_token(headers).is_some();
    if !sent_token && state.api_limit.is_off() {
        return ApiError(AppError::Unauthorized).into_response();
    }
    let client = match crate::web::limits::client_hash(state, connect, headers).await {
        Ok(client) => client,
        // Without a token there is nothing to look up: the answer is `401` even so.
        Err(_) if !sent_token => return ApiError(AppError::Unauthorized).into_response(),
        Err(err) => return ApiError(err).into_response(),
    };
    if let Err(over) = state
        .api_limit
        .hit(&state.pool, &limit_key(b"client:", &client))
        .await
    {
        return over_limit(over);
    }
    if sent_token && let Err(err) = crate::service::auth::token_rejected(&state.pool, &client).await
    {
        return ApiError(err).into_response();
    }
    ApiError(AppError::Unauthorized).into_response()
}

/// The limit's key: what is counted (a token, a client), then its id.
fn limit_key(kind: &[u8], id: &[u8]) -> Vec<u8> {
    [kind, id].concat()
}

fn over_limit(
    crate::signals::ratelimit::OverLimit(secs): crate::signals::ratelimit::OverLimit,
) -> Response {
    ApiError(AppError::TooManyRequests {
        retry_after_secs: secs,
    })
    .into_response()
}

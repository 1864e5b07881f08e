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
/// or answers `401` with `WWW-Authenticate: Bearer`.
pub async fn require_api_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(token) = bearer_token(request.headers()) else {
        return ApiError(AppError::Unauthorized).into_response();
    };
    let digest = secret::token_digest(token);
    match db::users::find_by_token_digest(&state.pool, &digest).await {
        Ok(Some((user, _token_id))) => {
            request.extensions_mut().insert(CurrentUser {
                id: user.id,
                email: user.email,
                name: user.name,
                role: user.role,
            });
            next.run(request).await
        }
        Ok(None) => {
            // Every miss is `401`; misses are counted per client for the audit log.
            let connect = request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .cloned();
            let headers = request.headers().clone();
            let noted = async {
                let client =
                    crate::web::limits::client_hash(&state, connect.as_ref(), &headers).await?;
                crate::service::auth::token_rejected(&state.pool, &client).await
            }
            .await;
            match noted {
                Ok(()) => ApiError(AppError::Unauthorized).into_response(),
                Err(err) => ApiError(err).into_response(),
            }
        }
        Err(err) => ApiError(err.into()).into_response(),
    }
}

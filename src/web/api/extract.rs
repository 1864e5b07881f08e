//! Our extractors: the authenticated `CurrentUser` (set by the API's guard layer), `AppJson`
//! whose rejections are RFC 9457 problems with field errors, and `If-Match` parsing.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State};
use axum::http::{HeaderMap, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::db;
use crate::domain::policy::{Actor, Role};
use crate::domain::secret;
use crate::error::{AppError, FieldError};
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

/// Fields that exist on the article but are not written by the client.
const READ_ONLY: [&str; 13] = [
    "withdrawn_at",
    "withdraw_reason",
    "id",
    "body_html",
    "status",
    "version",
    "created_at",
    "created_by",
    "updated_by",
    "updated_at",
    "archived",
    "archived_at",
    "published_at",
];

fn field_error(err: &serde_path_to_error::Error<serde_json::Error>) -> FieldError {
    let message = err.inner().to_string();
    let path = err.path().to_string();
    let prefix = if path == "." {
        String::new()
    } else {
        format!("{path}.")
    };
    let quoted = |msg: &str, lead: &str| {
        msg.strip_prefix(lead)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned)
    };
    if let Some(name) = quoted(&message, "unknown field `") {
        let why = if READ_ONLY.contains(&name.as_str()) {
            "is read-only (status, dates and archive state change through their own actions)"
        } else {
            "is not a known field"
        };
        // The path already ends at the unknown field.
        let field = if path == "." { name } else { path };
        return FieldError::new(field, why);
    }
    if let Some(name) = quoted(&message, "missing field `") {
        return FieldError::new(format!("{prefix}{name}"), "is required");
    }
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned();
    FieldError::new(if path == "." { "body".to_owned() } else { path }, message)
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime_guess::mime::Mime>().ok())
        .is_some_and(|mime| {
            mime.type_() == "application"
                && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"))
        })
}

/// Parses JSON bytes: malformed → 400; wrong shape, unknown or missing fields → 422.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|err| AppError::BadRequest(format!("The body is not valid JSON: {err}.")))?;
    if !value.is_object() {
        return Err(AppError::field("body", "must be a JSON object"));
    }
    if let Some(path) = nul_path(&value, String::new()) {
        // PostgreSQL text cannot hold NUL: refuse it here, with the field, instead of failing later.
        return Err(AppError::field(&path, "must not contain NUL characters"));
    }
    serde_path_to_error::deserialize(value)
        .map_err(|err| AppError::Validation(vec![field_error(&err)]))
}

/// The dotted path of the first string (or key) holding a NUL character.
fn nul_path(value: &serde_json::Value, path: String) -> Option<String> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        serde_json::Value::String(s) if s.contains('\0') => {
            Some(if path.is_empty() { "body".into() } else { path })
        }
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_path(v, format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                Some(join("body"))
            } else {
                nul_path(v, join(k))
            }
        }),
        _ => None,
    }
}

/// A JSON body: `application/json` (415 otherwise), within the body limit (413), well-formed
/// (400), and of the right shape with no unknown fields (422 with the field).
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers()) {
            return Err(ApiError(AppError::UnsupportedMediaType(
                "application/json".into(),
            )));
        }
        let bytes = read_body(request, state).await?;
        Ok(Self(parse_json(&bytes)?))
    }
}

/// Like [`AppJson`], but an empty body means `T::default()` (for actions whose options are all
/// optional, such as `/publish`).
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionalJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = is_json(request.headers());
        let bytes = read_body(request, state).await?;
        // No body at all: no options. (Whitespace alone is not JSON: 400 below.)
        if bytes.is_empty() {
            return Ok(Self(T::default()));
        }
        if !json {
            return Err(ApiError(AppError::UnsupportedMediaType(
                "application/json".into(),
            )));
        }
        // The body is optional: JSON `null` is the same as none.
        if bytes.trim_ascii() == b"null" {
            return Ok(Self(T::default()));
        }
        Ok(Self(parse_json(&bytes)?))
    }
}

async fn read_body<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError(AppError::PayloadTooLarge)
            } else {
                ApiError(AppError::BadRequest(
                    "The request body could not be read.".into(),
                ))
            }
        })
}

/// A nested object field (`study`, `review`): only an object or `null`. (Serde alone would also
/// read a struct from an array of its fields in order.) Absent → `None`.
pub fn object_or_null<'de, T, D>(deserializer: D) -> Result<Option<T>, D::Error>
where
    T: DeserializeOwned,
    D: serde::Deserializer<'de>,
{
    struct ObjectOrNull<T>(std::marker::PhantomData<T>);

    impl<'de, T: DeserializeOwned> serde::de::Visitor<'de> for ObjectOrNull<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object or null")
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        // The same map access goes on, so errors keep their path (`study.sample_size`).
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }

    deserializer.deserialize_any(ObjectOrNull(std::marker::PhantomData))
}

/// [`object_or_null`] for PATCH: absent → `None`, `null` → `Some(None)`, an object →
/// `Some(Some(value))`.
pub fn double_object_or_null<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: DeserializeOwned,
    D: serde::Deserializer<'de>,
{
    object_or_null(deserializer).map(Some)
}

/// For PATCH fields where `null` means "clear": absent → `None`, `null` → `Some(None)`,
/// a value → `Some(Some(value))`. Use with `#[serde(default, deserialize_with = …)]`.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// What `If-Match` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMatch {
    Missing,
    Version(i32),
    /// `*`: any current version (RFC 9110).
    Any,
    /// Present but not one of our ETags: it matches nothing.
    Unknown,
}

impl IfMatch {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let Some(value) = headers.get(header::IF_MATCH) else {
            return Self::Missing;
        };
        let Ok(value) = value.to_str() else {
            return Self::Unknown;
        };
        let value = value.trim();
        // An empty list names no version at all: the same as no header.
        if value.is_empty() {
            return Self::Missing;
        }
        if value == "*" {
            return Self::Any;
        }
        let tag = value.strip_prefix("W/").unwrap_or(value);
        // Our ETags are quoted; a bare number is accepted too, as clients often drop quotes.
        let tag = tag
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(tag);
        tag.parse::<i32>().map_or(Self::Unknown, Self::Version)
    }

    /// The version to check, or `None` when no check was asked for.
    pub fn optional(self) -> Option<i32> {
        match self {
            Self::Missing | Self::Any => None,
            Self::Version(v) => Some(v),
            Self::Unknown => Some(-1),
        }
    }

    /// The version to check (`None` for `*`); a missing header is a `428`.
    pub fn required(self) -> Result<Option<i32>, AppError> {
        match self {
            Self::Missing => Err(AppError::PreconditionRequired),
            other => Ok(other.optional()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Input {
        title: String,
        nested: Option<Nested>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Nested {
        size: i64,
    }

    fn errors(json: &str) -> AppError {
        parse_json::<Input>(json.as_bytes()).unwrap_err()
    }

    #[test]
    fn json_errors_name_the_field() {
        assert!(matches!(errors("{"), AppError::BadRequest(_)));
        let AppError::Validation(e) = errors(r#"{"title":"x","bogus":1}"#) else {
            panic!()
        };
        assert_eq!(e, vec![FieldError::new("bogus", "is not a known field")]);
        let AppError::Validation(e) = errors(r#"{"title":"x","version":1}"#) else {
            panic!()
        };
        assert_eq!(e[0].field, "version");
        assert!(e[0].message.contains("read-only"));
        let AppError::Validation(e) = errors(r#"{}"#) else {
            panic!()
        };
        assert_eq!(e, vec![FieldError::new("title", "is required")]);
        let AppError::Validation(e) = errors(r#"{"title":"x","nested":{"size":"big"}}"#) else {
            panic!()
        };
        assert_eq!(e[0].field, "nested.size");
        let AppError::Validation(e) = errors(r#"{"title":"a\u0000b"}"#) else {
            panic!()
        };
        assert_eq!(e[0].field, "title");
        let AppError::Validation(e) = errors(r#"[1]"#) else {
            panic!()
        };
        assert_eq!(e[0].field, "body");
    }

    #[test]
    fn if_match_parses_our_etags() {
        let headers = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::IF_MATCH, v.parse().unwrap());
            h
        };
        assert_eq!(IfMatch::from_headers(&HeaderMap::new()), IfMatch::Missing);
        assert_eq!(
            IfMatch::from_headers(&headers("\"3\"")),
            IfMatch::Version(3)
        );
        assert_eq!(
            IfMatch::from_headers(&headers("W/\"12\"")),
            IfMatch::Version(12)
        );
        assert_eq!(IfMatch::from_headers(&headers("3")), IfMatch::Version(3));
        assert_eq!(IfMatch::from_headers(&headers("*")), IfMatch::Any);
        assert_eq!(IfMatch::from_headers(&headers("")), IfMatch::Missing);
        assert_eq!(IfMatch::from_headers(&headers("\"abc\"")), IfMatch::Unknown);
        assert!(matches!(
            IfMatch::Missing.required(),
            Err(AppError::PreconditionRequired)
        ));
    }
}

/// `Query` whose rejection (a malformed or repeated parameter) is a `400` problem.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|_| {
                ApiError(AppError::BadRequest(
                    "The query string could not be read.".into(),
                ))
            })
    }
}

/// `Path` whose rejection (say, a segment that is not UTF-8) is a `404` problem: such an address
/// names nothing.
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|_| ApiError(AppError::NotFound))
    }
}

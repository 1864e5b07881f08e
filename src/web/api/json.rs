//! JSON bodies: [`AppJson`] and [`OptionalJson`], whose rejections are RFC 9457 problems that
//! name the field (415 wrong type, 413 too large, 400 malformed, 422 wrong shape).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;

use crate::error::{AppError, FieldError};
use crate::web::errors::ApiError;

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
}

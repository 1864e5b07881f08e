//! Request parts: `If-Match`, and `Query`/`Path` whose rejections are problems (400, 404).
//! The body extractors are in `json`, the user in `auth`.

use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, header, request::Parts};
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::web::errors::ApiError;

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

#[cfg(test)]
mod tests {
    use super::*;

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

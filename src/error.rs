//! One error type for every handler and service function, with what it means to a user: a
//! status, a title and a detail that never show internals (the detail of a server error is
//! logged, not sent). How it is answered (a styled page, or an RFC 9457 problem) is the web
//! layer's: `crate::web::errors`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;

/// One field's problem, as listed in a `422`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field, as a dotted path (`title`, `study.sample_size`).
    pub field: String,
    pub message: String,
}

/// The message for `field` among `errors`, for re-rendered forms.
pub fn message_for<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|e| e.field == field)
        .map(|e| e.message.as_str())
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// No route matches (under `/api`).
    #[error("no such endpoint")]
    NoRoute,
    #[error("gone")]
    Gone,
    /// A request we understood but cannot accept; the message is shown to the user.
    #[error("{0}")]
    BadRequest(String),
    /// No or bad credentials.
    #[error("authentication required")]
    Unauthorized,
    /// Authenticated, but the role may not do this.
    #[error("forbidden")]
    Forbidden,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A state conflict, such as an illegal lifecycle transition.
    #[error("{0}")]
    Conflict(String),
    /// `If-Match` did not match: carries the current representation.
    #[error("the story was changed by someone else")]
    PreconditionFailed(Box<serde_json::Value>, i32),
    /// `If-Match` is required and missing.
    #[error("If-Match required")]
    PreconditionRequired,
    #[error("request body too large")]
    PayloadTooLarge,
    /// The request body stopped arriving (`408`).
    #[error("request body timed out")]
    RequestTimeout,
    /// A header field, or all of them, over the limit (`431`).
    #[error("request headers too large")]
    HeadersTooLarge,
    /// The request target over the limit (`414`).
    #[error("request target too long")]
    UriTooLong,
    #[error("unsupported media type")]
    UnsupportedMediaType(String),
    /// An upload that is not a JPEG, PNG, WebP or GIF image by its bytes (`415`).
    #[error("unsupported image")]
    UnsupportedImage,
    /// Field errors (`422`).
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// Field values that conflict with what is stored, in a request that is itself valid: a
    /// slug another record holds, or a restored revision's topic that is gone. `409`, with the
    /// fields named as in a `422`; a request that is also invalid otherwise is a `422`.
    #[error("conflicting fields")]
    FieldConflict(Vec<FieldError>),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// The database could not be reached in time.
    #[error("service unavailable")]
    Unavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Whether a database error means "unavailable for now" (a `503`) rather than a bug: the
/// database unreachable, closed, or a connection that broke mid-handshake (a protocol or TLS
/// error); the server shutting down or restarting (SQLSTATE class 57), a broken connection
/// (08), or out of connections or memory (53).
pub fn database_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::Io(_)
        | sqlx::Error::PoolClosed
        | sqlx::Error::Protocol(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| ["57", "08", "53"].iter().any(|c| code.starts_with(c))),
        _ => false,
    }
}

/// What an upload that is not an image we take is told.
pub const IMAGE_FORMATS: &str = "The file is not a JPEG, PNG, WebP or GIF image: its bytes decide, \
     not its name or declared type (SVG is not taken).";

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => Self::NotFound,
            ref unavailable if database_unavailable(unavailable) => {
                tracing::warn!(error = %err, "database unavailable");
                Self::Unavailable
            }
            sqlx::Error::Database(ref db) => match db.constraint() {
                Some("articles_slug_key" | "slug_history_pkey") => {
                    Self::FieldConflict(vec![FieldError::new(
                        "slug",
                        "is already used by another story",
                    )])
                }
                Some("topics_slug_key") => Self::FieldConflict(vec![FieldError::new(
                    "slug",
                    "is already used by another topic",
                )]),
                Some("people_slug_key") => Self::FieldConflict(vec![FieldError::new(
                    "slug",
                    "is already used by another person",
                )]),
                Some("users_email_key") => {
                    Self::Validation(vec![FieldError::new("email", "is already registered")])
                }
                _ => Self::Internal(err.into()),
            },
            other => Self::Internal(other.into()),
        }
    }
}

impl From<crate::db::batch::ReadError> for AppError {
    fn from(err: crate::db::batch::ReadError) -> Self {
        match err {
            crate::db::batch::ReadError::Database(db) if database_unavailable(&db) => {
                tracing::warn!(error = %db, "database unavailable");
                Self::Unavailable
            }
            other => Self::Internal(anyhow::Error::new(other).context("could not read a story")),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(err: askama::Error) -> Self {
        Self::Internal(anyhow::Error::new(err).context("template rendering failed"))
    }
}

impl AppError {
    /// One field error.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// A `422` of the `(field, message)` pairs a domain check returned.
    pub fn fields<F: Into<String>>(errors: Vec<(F, String)>) -> Self {
        Self::Validation(
            errors
                .into_iter()
                .map(|(field, message)| FieldError::new(field, message))
                .collect(),
        )
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound | Self::NoRoute => StatusCode::NOT_FOUND,
            Self::Gone => StatusCode::GONE,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) | Self::FieldConflict(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed(..) => StatusCode::PRECONDITION_FAILED,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::UnsupportedMediaType(_) | Self::UnsupportedImage => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::UriTooLong => StatusCode::URI_TOO_LONG,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the user is told: safe to show, never internals.
    pub fn detail(&self) -> String {
        match self {
            Self::NotFound => "We could not find that. It may have moved, or the address may be mistyped.".into(),
            Self::NoRoute => "There is no API endpoint at this address; see /api/docs.".into(),
            Self::Gone => "The editors withdrew this story. It is no longer available.".into(),
            Self::BadRequest(message) | Self::Conflict(message) => message.clone(),
            Self::Unauthorized => "Send a valid API token as `Authorization: Bearer <token>`.".into(),
            Self::Forbidden => "Your role does not allow this.".into(),
            Self::MethodNotAllowed => "This address does not accept that method.".into(),
            Self::PreconditionFailed(..) => {
                "The story was changed since you loaded it. The current version is included; merge your changes into it and send them again with its ETag.".into()
            }
            Self::PreconditionRequired => {
                "Send `If-Match: \"<version>\"` with the ETag you read, so that concurrent edits are detected.".into()
            }
            Self::PayloadTooLarge => "The request body is larger than this endpoint accepts.".into(),
            Self::RequestTimeout => "The request body stopped arriving before it was complete. Please send it again.".into(),
            Self::HeadersTooLarge => "A request header, or all of them together, is larger than we accept (8 KiB each, 32 KiB in all).".into(),
            Self::UriTooLong => "The address is longer than we accept (32 KiB).".into(),
            Self::UnsupportedMediaType(expected) => format!("Send the body as {expected}."),
            Self::UnsupportedImage => IMAGE_FORMATS.into(),
            Self::Validation(errors) | Self::FieldConflict(errors) => match errors.as_slice() {
                [one] => format!("{} {}", one.field, one.message),
                _ => format!("{} fields are invalid.", errors.len()),
            },
            Self::TooManyRequests { retry_after_secs } => {
                format!("Too many requests. Try again in {retry_after_secs} seconds.")
            }
            Self::Unavailable => "We cannot reach our database right now. Please try again in a moment.".into(),
            Self::Internal(_) => {
                "An error on our side stopped this request. It has been logged; please try again later.".into()
            }
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            Self::NotFound | Self::NoRoute => "Page not found",
            Self::Gone => "This story has been withdrawn",
            Self::BadRequest(_) => "That request did not work",
            Self::Unauthorized => "Authentication required",
            Self::Forbidden => "Not allowed",
            Self::MethodNotAllowed => "Method not allowed",
            Self::Conflict(_) => "Conflict",
            Self::FieldConflict(_) => "Conflict",
            Self::PreconditionFailed(..) => "Edit conflict",
            Self::PreconditionRequired => "If-Match required",
            Self::PayloadTooLarge => "Request too large",
            Self::RequestTimeout => "Request timed out",
            Self::HeadersTooLarge => "Request headers too large",
            Self::UriTooLong => "Address too long",
            Self::UnsupportedMediaType(_) => "Unsupported media type",
            Self::UnsupportedImage => "Unsupported image",
            Self::Validation(_) => "Invalid input",
            Self::TooManyRequests { .. } => "Too many requests",
            Self::Unavailable => "Temporarily unavailable",
            Self::Internal(_) => "Something went wrong",
        }
    }

    /// Logs a server error once, inside the request's span (which carries its id).
    pub fn log(&self) {
        if let Self::Internal(err) = self {
            tracing::error!(error = ?err, "request failed");
        }
    }

    /// The headers the status calls for: `Retry-After`, `WWW-Authenticate`, the current ETag.
    pub fn extra_headers(&self, response: &mut Response) {
        let retry_after = match self {
            Self::Unavailable => Some(5),
            Self::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        match self {
            Self::Unauthorized => {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"dateline\""),
                );
            }
            Self::PreconditionFailed(_, version) => {
                if let Ok(etag) = HeaderValue::from_str(&format!("\"{version}\"")) {
                    response.headers_mut().insert(header::ETAG, etag);
                }
            }
            _ => {}
        }
    }
}

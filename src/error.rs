//! One error type for every handler. It renders a styled HTML page (or, for the API, an RFC 9457
//! problem) and never shows internals: the detail of a server error is logged, not sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::web::pages::ErrorPage;

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("gone")]
    Gone,
    /// A request we understood but cannot accept; the message is shown to the user.
    #[error("{0}")]
    BadRequest(String),
    /// The database could not be reached in time.
    #[error("service unavailable")]
    Unavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                tracing::warn!(error = %err, "database unavailable");
                Self::Unavailable
            }
            other => Self::Internal(other.into()),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(err: askama::Error) -> Self {
        Self::Internal(anyhow::Error::new(err).context("template rendering failed"))
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Gone => StatusCode::GONE,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn page(&self) -> ErrorPage {
        let status = self.status();
        let (title, message) = match self {
            Self::NotFound => (
                "Page not found",
                "We could not find that page. It may have moved, or the address may be mistyped.".to_owned(),
            ),
            Self::Gone => (
                "This story has been withdrawn",
                "The editors withdrew this story. It is no longer available.".to_owned(),
            ),
            Self::BadRequest(message) => ("That request did not work", message.clone()),
            Self::Unavailable => (
                "Temporarily unavailable",
                "We cannot reach our database right now. Please try again in a moment.".to_owned(),
            ),
            Self::Internal(_) => (
                "Something went wrong",
                "An error on our side stopped this page from loading. It has been logged; please try again later.".to_owned(),
            ),
        };
        ErrorPage::new(status, title, message)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Self::Internal(err) = &self {
            tracing::error!(error = ?err, "request failed");
        }
        let status = self.status();
        let mut response = (status, self.page()).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

/// The styled 500 page for a panic caught by the middleware. It says nothing about the panic.
pub fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    let page = AppError::Internal(anyhow::anyhow!("panic")).page();
    (StatusCode::INTERNAL_SERVER_ERROR, page).into_response()
}

//! How an [`AppError`] is answered: a styled HTML page for readers and editors, or an RFC 9457
//! problem (`application/problem+json`) through [`ApiError`] for the API and the JSON answers of
//! public endpoints. Neither ever shows internals.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::{AppError, FieldError};
use crate::web::pages::ErrorPage;

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        let page = ErrorPage::new(status, self.title(), self.detail());
        let shown = ShownError {
            heading: page.heading.clone(),
            message: page.message.clone(),
        };
        let mut response = (status, page).into_response();
        self.extra_headers(&mut response);
        response.extensions_mut().insert(shown);
        response
    }
}

/// What an HTML error page said, kept on the response so that the admin can answer the same
/// error in its own layout ([`crate::web::admin`]'s error pages).
#[derive(Debug, Clone)]
pub struct ShownError {
    pub heading: String,
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Field errors (with `422`, and with a `409` for conflicting fields), else empty.
    pub errors: Vec<FieldError>,
    /// With `412`: the story as it is now.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub current: Option<serde_json::Value>,
}

/// [`AppError`] answered as `application/problem+json`: for `/api` and the JSON answers of
/// public endpoints.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(err: E) -> Self {
        Self(err.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let err = self.0;
        err.log();
        let status = err.status();
        let (errors, current) = match &err {
            AppError::Validation(errors) | AppError::FieldConflict(errors) => {
                (errors.clone(), None)
            }
            AppError::PreconditionFailed(current, _) => (Vec::new(), Some((**current).clone())),
            AppError::UnsupportedImage => (
                vec![FieldError::new(
                    "file",
                    "must be a JPEG, PNG, WebP or GIF image (by its bytes)",
                )],
                None,
            ),
            _ => (Vec::new(), None),
        };
        let problem = Problem {
            kind: "about:blank".to_owned(),
            title: err.title().to_owned(),
            status: status.as_u16(),
            detail: err.detail(),
            errors,
            current,
        };
        let mut document = serde_json::to_value(&problem).unwrap_or_default();
        // A `412` also carries the current story's members at the top level (as RFC 9457
        // extension members), all but `title` and `status`, which are the problem's own: a
        // client can read `version` and retry without digging into `current`.
        if let (Some(current), Some(document)) = (
            problem.current.as_ref().and_then(|c| c.as_object()),
            document.as_object_mut(),
        ) {
            for (name, value) in current {
                if !document.contains_key(name) {
                    document.insert(name.clone(), value.clone());
                }
            }
        }
        let body = serde_json::to_vec(&document).unwrap_or_default();
        let mut response = (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/problem+json"),
            )],
            body,
        )
            .into_response();
        err.extra_headers(&mut response);
        response
    }
}

/// The styled 500 page for a panic caught by the middleware. It says nothing about the panic.
pub fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    let err = AppError::Internal(anyhow::anyhow!("panic"));
    let page = ErrorPage::new(StatusCode::INTERNAL_SERVER_ERROR, err.title(), err.detail());
    (StatusCode::INTERNAL_SERVER_ERROR, page).into_response()
}

/// [`panic_response`] for the API: a problem document that says nothing about the panic.
pub fn api_panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("an API handler panicked");
    ApiError(AppError::Internal(anyhow::anyhow!("panic"))).into_response()
}

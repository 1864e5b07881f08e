//! `POST /research-news/{slug}/feedback`: the widget under every story, as a plain form (no
//! JavaScript: 303 back to the story, or 422 with the form re-shown) or as JSON (201 / 422
//! problem). What is done with an entry (checks, spam, limits) is `service::feedback`'s.

use std::net::{IpAddr, SocketAddr};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::feedback::{self as rules, RawFeedback};
use crate::error::AppError;
use crate::service;
use crate::service::feedback::Submitted;
use crate::state::AppState;
use crate::web::api::json::parse_json;
use crate::web::errors::ApiError;
use crate::web::public::articles::{FeedbackWidget, render_story};

/// Largest feedback body: the longest entry the contract allows, written the costliest way.
/// A character is at most 12 bytes on the wire (4 UTF-8 bytes percent-encoded as `%F0%9F%98%80`
/// in a form, or a surrogate pair `\uD83D\uDE00` in JSON), so a 2,000-character comment and a
/// 254-character email take at most 27,048 bytes; 4 KiB more covers the field names, `helpful`,
/// the honeypot, the form token and the revision. 2,000 CJK characters (18 KB once
/// percent-encoded) fit with room to spare.
pub const BODY_LIMIT: usize =
    (rules::COMMENT_CHARS + rules::EMAIL_CHARS) * MAX_BYTES_PER_CHAR + 4 * 1024;

/// The most bytes one character can take in a form or JSON body.
const MAX_BYTES_PER_CHAR: usize = 12;

/// The widget's fields as a form.
#[derive(Debug, Default, Deserialize)]
struct FeedbackForm {
    helpful: Option<String>,
    comment: Option<String>,
    email: Option<String>,
    website: Option<String>,
    token: Option<String>,
    revision: Option<String>,
}

/// The widget's fields as JSON (CONTRACT §3, plus the widget's token and revision).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackJson {
    pub helpful: Option<bool>,
    pub comment: Option<String>,
    pub email: Option<String>,
    /// Honeypot: must be empty.
    pub website: Option<String>,
    /// The signed form token of the rendered widget.
    pub token: Option<String>,
    /// The revision of the story the reader saw.
    pub revision: Option<i64>,
}

#[derive(Debug, Serialize)]
struct Created {
    id: Uuid,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Form,
    Json,
}

fn encoding(headers: &HeaderMap) -> Option<Encoding> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let mime: mime_guess::mime::Mime = value.parse().ok()?;
    match (mime.type_().as_str(), mime.subtype().as_str()) {
        ("application", "x-www-form-urlencoded") => Some(Encoding::Form),
        ("application", "json") => Some(Encoding::Json),
        _ => None,
    }
}

fn reject(encoding: Encoding, err: AppError) -> Response {
    match encoding {
        Encoding::Json => ApiError(err).into_response(),
        Encoding::Form => err.into_response(),
    }
}

pub async fn post_feedback(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let Some(encoding) = encoding(&headers) else {
        return ApiError(AppError::UnsupportedMediaType(
            "application/x-www-form-urlencoded or application/json".into(),
        ))
        .into_response();
    };
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let body = match Bytes::from_request(request, &state).await {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return reject(encoding, AppError::PayloadTooLarge);
        }
        Err(_) => {
            return reject(
                encoding,
                AppError::BadRequest("The request body could not be read.".into()),
            );
        }
    };
    match handle(&state, &slug, encoding, peer, &headers, &body).await {
        Ok(response) => response,
        Err(err) => reject(encoding, err),
    }
}

async fn handle(
    state: &AppState,
    slug: &str,
    encoding: Encoding,
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, AppError> {
    let (raw, token, revision) = match encoding {
        Encoding::Form => {
            let form: FeedbackForm = serde_urlencoded::from_bytes(body)
                .map_err(|_| AppError::BadRequest("The form could not be read.".into()))?;
            let revision = form.revision.as_deref().and_then(|r| r.parse::<i64>().ok());
            (
                RawFeedback {
                    helpful: form.helpful,
                    comment: form.comment,
                    email: form.email,
                    website: form.website,
                },
                form.token,
                revision,
            )
        }
        Encoding::Json => {
            let json: FeedbackJson = parse_json(body)?;
            (
                RawFeedback {
                    helpful: json.helpful.map(|h| h.to_string()),
                    comment: json.comment,
                    email: json.email,
                    website: json.website,
                },
                json.token,
                json.revision,
            )
        }
    };
    let entry = service::feedback::Entry {
        raw,
        token,
        revision,
        client_address: crate::web::limits::client_address(
            peer,
            headers,
            &state.config.trusted_proxies,
        ),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned(),
    };
    let intake = service::feedback::Intake {
        pool: &state.pool,
        keys: &state.feedback_keys,
        writer: &state.feedback_writer,
    };
    let (id, slug) = match service::feedback::submit(&intake, slug, &entry).await? {
        Submitted::Stored { id, slug } => (id, slug),
        Submitted::Invalid { errors, .. } if encoding == Encoding::Json => {
            return Err(AppError::Validation(errors));
        }
        Submitted::Invalid { article, errors } => {
            // The form again, with the messages and everything the reader typed.
            let widget = FeedbackWidget {
                helpful: match entry.raw.helpful.as_deref() {
                    Some("yes") => Some(true),
                    Some("no") => Some(false),
                    _ => None,
                },
                comment: entry.raw.comment.unwrap_or_default(),
                email: entry.raw.email.unwrap_or_default(),
                errors,
                ..FeedbackWidget::default()
            };
            let mut response = render_story(state, *article, widget).await?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(response);
        }
    };
    Ok(match encoding {
        Encoding::Json => (StatusCode::CREATED, Json(Created { id })).into_response(),
        Encoding::Form => {
            let location = format!("/research-news/{slug}?feedback=thanks#feedback");
            (
                StatusCode::SEE_OTHER,
                [(
                    header::LOCATION,
                    HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static("/")),
                )],
            )
                .into_response()
        }
    })
}

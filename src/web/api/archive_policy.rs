//! `/api/v1/archive-policy` (CONTRACT §11): the rule by which older stories are archived,
//! and a preview of what it would archive now. Editors and admins read and change it.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::db::archive_policy::{ArchivePolicy, Candidate, PolicySettings};
use crate::domain::policy::Action;
use crate::error::AppError;
use crate::service;
use crate::state::AppState;
use crate::web::api::auth::CurrentUser;
use crate::web::api::extract::{ApiQuery, IfMatch};
use crate::web::api::json::AppJson;
use crate::web::errors::{ApiError, Problem};

/// The whole policy (every field required: a `PUT` replaces it).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewArchivePolicy {
    /// Whether the server applies it, once a day.
    pub enabled: bool,
    /// Archive published stories not published, updated or corrected for this many days.
    #[serde(deserialize_with = "crate::domain::numbers::whole_number")]
    #[schema(value_type = i32)]
    pub older_than_days: i64,
    /// Topic slugs (existing topics): only stories in one of them. Empty: every story.
    pub topics: Vec<String>,
    /// Shown on each archived story's banner.
    pub reason: String,
}

fn with_etag(policy: ArchivePolicy) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{}\"", policy.version)).ok();
    let mut response = Json(policy).into_response();
    if let Some(etag) = etag {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

#[utoipa::path(get, path = "/api/v1/archive-policy", tag = "archive policy",
    responses((status = 200, body = ArchivePolicy, description = "The policy, with its version as the ETag"),
        (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn show_archive_policy(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    service::require(user.actor(), Action::ArchiveArticle)?;
    Ok(with_etag(service::archive_policy::get(&state.pool).await?))
}

#[utoipa::path(put, path = "/api/v1/archive-policy", tag = "archive policy", request_body = NewArchivePolicy,
    params(("If-Match" = Option<String>, Header, description = "The version the change was made from; without it the policy is replaced whatever it is")),
    responses((status = 200, body = ArchivePolicy, description = "Replaced (audited)"),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 412, body = Problem, description = "Stale: `current` holds the policy as it is now"),
        (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn replace_archive_policy(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    AppJson(input): AppJson<NewArchivePolicy>,
) -> Result<Response, ApiError> {
    let if_match = IfMatch::from_headers(&headers).optional();
    let settings = PolicySettings {
        enabled: input.enabled,
        // Out of range (and beyond i32) is refused by the service, naming the field.
        older_than_days: i32::try_from(input.older_than_days).unwrap_or(0),
        topics: input.topics,
        reason: input.reason,
    };
    let policy = state.after_commit(
        service::archive_policy::update(&state.pool, user.actor(), settings, if_match).await?,
    );
    Ok(with_etag(policy))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    /// From 1.
    page: Option<String>,
    /// From 1 to 100 (default 20; larger values are capped at 100).
    per_page: Option<String>,
}

/// What the policy would archive now, longest unchanged first (whether or not it is enabled).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ArchivePreview {
    pub items: Vec<Candidate>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

#[utoipa::path(get, path = "/api/v1/archive-policy/preview", tag = "archive policy", params(PreviewQuery),
    responses((status = 200, body = ArchivePreview), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn preview_archive_policy(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<PreviewQuery>,
) -> Result<Json<ArchivePreview>, ApiError> {
    service::require(user.actor(), Action::ArchiveArticle)?;
    let mut errors = Vec::new();
    let super::ListPage { page, per_page } = super::parse_page(
        query.page.as_deref(),
        query.per_page.as_deref(),
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(AppError::Validation(errors).into());
    }
    let (_, items, total) =
        service::archive_policy::preview(&state.pool, per_page, (page - 1) * per_page).await?;
    Ok(Json(ArchivePreview {
        items,
        page,
        per_page,
        total,
    }))
}

//! `/api/v1/webhooks` (CONTRACT §12), admins only: subscribe a URL to events (the signing
//! secret is answered once), list, delete, send a test event, and read the delivery log.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::webhooks::{LogEntry, Webhook};
use crate::service;
use crate::state::AppState;
use crate::web::api::auth::CurrentUser;
use crate::web::api::extract::{ApiPath, ApiQuery};
use crate::web::api::json::AppJson;
use crate::web::api::{ListPage, page_or_422};
use crate::web::errors::{ApiError, Problem};

/// A new subscription.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where deliveries are posted: `https`, not resolving to a loopback, private or
    /// link-local address (unless its host is in `DATELINE_WEBHOOK_ALLOW_HOSTS`).
    pub url: String,
    /// One or more of `article.published`, `article.updated`, `article.corrected`,
    /// `article.archived`, `article.withdrawn`, `feedback.created`.
    pub events: Vec<String>,
}

/// A subscription just made, with the secret its deliveries are signed with: shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedWebhook {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: String,
    /// `whsec_<base64>`: the Standard Webhooks signing secret. Not shown again.
    pub secret: String,
}

/// Every active webhook (without secrets).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookList {
    pub items: Vec<Webhook>,
}

#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = NewWebhook,
    responses((status = 201, body = CreatedWebhook, headers(("Location" = String)),
            description = "Subscribed; `secret` is shown only in this answer"),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 415, body = Problem),
        (status = 422, body = Problem, description = "An unknown event or a URL the rules refuse: `errors` names the field")),
    security(("bearer" = [])))]
pub async fn create_webhook(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson(input): AppJson<NewWebhook>,
) -> Result<Response, ApiError> {
    let created = service::webhooks::create(
        &state.pool,
        user.actor(),
        &input.url,
        &input.events,
        &state.config.webhook_allow_hosts,
    )
    .await?;
    let webhook = created.webhook;
    let location = HeaderValue::from_str(&format!("/api/v1/webhooks/{}", webhook.id)).ok();
    let body = CreatedWebhook {
        id: webhook.id,
        created_at: crate::domain::dates::rfc3339(webhook.created_at),
        url: webhook.url,
        events: webhook.events,
        secret: created.secret,
    };
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Some(location) = location {
        response.headers_mut().insert(header::LOCATION, location);
    }
    // The secret must not be kept by a cache on the way.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = WebhookList), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list_webhooks(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<WebhookList>, ApiError> {
    let items = service::webhooks::list(&state.pool, user.actor()).await?;
    Ok(Json(WebhookList { items }))
}

#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted: nothing more is sent to it"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    service::webhooks::delete(&state.pool, user.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What "send test event" queued.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QueuedTest {
    pub webhook_id: Uuid,
    /// The `webhook-id` header the receiver will see.
    pub event_id: Uuid,
    /// Always `webhook.test`.
    pub event_type: String,
    /// The `data` of the body.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 202, body = QueuedTest, description = "A `webhook.test` event is queued for this webhook alone; it is delivered, signed and retried like any other"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn test_webhook(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let queued = service::webhooks::send_test(&state.pool, user.actor(), id).await?;
    let body = QueuedTest {
        webhook_id: queued.webhook.id,
        event_id: queued.event_id,
        event_type: queued.event_type.to_owned(),
        data: queued.data,
    };
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// From 1.
    page: Option<String>,
    /// From 1 to 100 (default 20; larger values are capped at 100).
    per_page: Option<String>,
}

/// A page of the delivery log, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryLog {
    pub items: Vec<LogEntry>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = Uuid, Path), DeliveriesQuery),
    responses((status = 200, body = DeliveryLog, description = "Every attempt (event, attempt number, status code or error, duration, time, next retry), newest first, and deliveries not attempted yet"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<DeliveriesQuery>,
) -> Result<Json<DeliveryLog>, ApiError> {
    let ListPage { page, per_page } =
        page_or_422(query.page.as_deref(), query.per_page.as_deref())?;
    let (_, items, total) = service::webhooks::deliveries(
        &state.pool,
        user.actor(),
        id,
        per_page,
        (page - 1) * per_page,
    )
    .await?;
    Ok(Json(DeliveryLog {
        items,
        page,
        per_page,
        total,
    }))
}

//! `/api/v1/topics`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::db;
use crate::state::AppState;
use crate::web::api::auth::CurrentUser;
use crate::web::api::extract::ApiPath;
use crate::web::api::json::AppJson;
use crate::web::errors::{ApiError, Problem};

/// A topic.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TopicResponse {
    pub slug: String,
    pub name: String,
    pub description: String,
}

impl From<db::topics::Topic> for TopicResponse {
    fn from(topic: db::topics::Topic) -> Self {
        Self {
            slug: topic.slug,
            name: topic.name,
            description: topic.description,
        }
    }
}

/// All topics.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TopicList {
    pub items: Vec<TopicResponse>,
}

/// A new topic.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTopic {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
}

/// Changes to a topic.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTopic {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/topics", tag = "topics",
    responses((status = 200, body = TopicList), (status = 401, body = Problem)), security(("bearer" = [])))]
pub async fn list_topics(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<Json<TopicList>, ApiError> {
    let items = db::topics::list(&state.pool)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(TopicList { items }))
}

#[utoipa::path(post, path = "/api/v1/topics", tag = "topics", request_body = NewTopic,
    responses((status = 201, body = TopicResponse, headers(("Location" = String))), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 409, body = Problem, description = "The slug is taken: `errors` names it"),
        (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create_topic(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson(input): AppJson<NewTopic>,
) -> Result<Response, ApiError> {
    let topic = crate::service::topics::create(
        &state.pool,
        user.actor(),
        input.slug,
        input.name.as_deref(),
        input.description.as_deref(),
    )
    .await?;
    let topic = state.after_commit(topic);
    let slug = topic.slug.clone();
    let location = HeaderValue::from_str(&format!("/api/v1/topics/{slug}")).ok();
    let mut response = (StatusCode::CREATED, Json(TopicResponse::from(topic))).into_response();
    if let Some(location) = location {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

#[utoipa::path(patch, path = "/api/v1/topics/{slug}", tag = "topics", request_body = UpdateTopic,
    params(("slug" = String, Path)),
    responses((status = 200, body = TopicResponse), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "The slug is taken: `errors` names it"),
        (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update_topic(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(slug): ApiPath<String>,
    AppJson(input): AppJson<UpdateTopic>,
) -> Result<Json<TopicResponse>, ApiError> {
    let topic = crate::service::topics::update(
        &state.pool,
        user.actor(),
        &slug,
        input.slug,
        input.name,
        input.description,
    )
    .await?;
    let topic = state.after_commit(topic);
    Ok(Json(topic.into()))
}

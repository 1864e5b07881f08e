//! `/api/v1/topics`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::db;
use crate::domain::policy::{Action, can};
use crate::domain::slug::Slug;
use crate::error::{ApiError, AppError, FieldError, Problem};
use crate::extract::{ApiPath, AppJson, CurrentUser};

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

fn check(
    slug: Option<&str>,
    name: Option<&str>,
    description: Option<&str>,
) -> Result<(), AppError> {
    let mut errors = Vec::new();
    if let Some(slug) = slug
        && let Err(err) = Slug::parse(slug)
    {
        errors.push(FieldError::new("slug", err.to_string()));
    }
    if let Some(name) = name {
        let n = name.trim().chars().count();
        if n == 0 || n > 120 {
            errors.push(FieldError::new("name", "must be 1 to 120 characters"));
        }
    }
    if description.is_some_and(|d| d.chars().count() > 2000) {
        errors.push(FieldError::new(
            "description",
            "must be at most 2000 characters",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

fn require(user: &CurrentUser) -> Result<(), AppError> {
    if can(user.actor(), Action::ManageTopics, None) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
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
        (status = 403, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create_topic(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson(input): AppJson<NewTopic>,
) -> Result<Response, ApiError> {
    require(&user)?;
    let name = input
        .name
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    if name.is_empty() {
        return Err(AppError::field("name", "is required").into());
    }
    let slug = match input.slug {
        Some(slug) => slug,
        None => Slug::from_title(&name)
            .map(|s| s.to_string())
            .ok_or(AppError::field("slug", "is required"))?,
    };
    let description = input.description.unwrap_or_default();
    check(Some(&slug), Some(&name), Some(&description))?;
    if !db::topics::insert_if_absent(&state.pool, &slug, &name, description.trim()).await? {
        return Err(AppError::field("slug", "is already used by another topic").into());
    }
    db::audit::record(
        &state.pool,
        Some(user.id),
        "topic.create",
        "topic",
        None,
        serde_json::json!({ "slug": slug }),
    )
    .await?;
    let topic = db::topics::find_by_slug(&state.pool, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
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
        (status = 404, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update_topic(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(slug): ApiPath<String>,
    AppJson(input): AppJson<UpdateTopic>,
) -> Result<Json<TopicResponse>, ApiError> {
    require(&user)?;
    let current = db::topics::find_by_slug(&state.pool, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    check(
        input.slug.as_deref(),
        input.name.as_deref(),
        input.description.as_deref(),
    )?;
    let new_slug = input.slug.unwrap_or(current.slug);
    let name = input
        .name
        .map(|n| n.trim().to_owned())
        .unwrap_or(current.name);
    let description = input
        .description
        .map(|d| d.trim().to_owned())
        .unwrap_or(current.description);
    let topic = db::topics::update(&state.pool, &slug, &new_slug, &name, &description)
        .await?
        .ok_or(AppError::NotFound)?;
    db::audit::record(
        &state.pool,
        Some(user.id),
        "topic.update",
        "topic",
        Some(topic.id),
        serde_json::json!({ "slug": new_slug }),
    )
    .await?;
    Ok(Json(topic.into()))
}

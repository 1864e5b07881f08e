//! `/api/v1/people`: the people credited on stories (CONTRACT §8). Everyone with a token reads;
//! editors and admins write.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ListPage, page_or_422};
use crate::db;
use crate::domain::person::{Person, PersonChanges};
use crate::service;
use crate::state::AppState;
use crate::web::api::auth::CurrentUser;
use crate::web::api::extract::{ApiPath, ApiQuery, IfMatch};
use crate::web::api::json::AppJson;
use crate::web::errors::{ApiError, Problem};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    /// Part of a name or of credentials.
    q: Option<String>,
    /// From 1.
    page: Option<String>,
    /// From 1 to 100 (default 20; larger values are capped at 100).
    per_page: Option<String>,
}

/// A page of people, by name.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonList {
    pub items: Vec<Person>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

/// A new person. Only `name` is required; the slug is derived from it when omitted.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub credentials: Option<String>,
    /// Markdown.
    pub bio: Option<String>,
    pub photo: Option<Uuid>,
    pub same_as: Option<Vec<String>>,
}

/// Changes to a person; absent fields stay as they are.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePerson {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub credentials: Option<String>,
    /// Markdown.
    pub bio: Option<String>,
    #[serde(default, deserialize_with = "crate::web::api::fields::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub photo: Option<Option<Uuid>>,
    pub same_as: Option<Vec<String>>,
}

/// The person with their ETag (and `Location` when just added).
fn person_response(status: StatusCode, person: Person, location: bool) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{}\"", person.version)).ok();
    let place = HeaderValue::from_str(&format!("/api/v1/people/{}", person.slug)).ok();
    let mut response = (status, Json(person)).into_response();
    if let Some(etag) = etag {
        response.headers_mut().insert(header::ETAG, etag);
    }
    if location && let Some(place) = place {
        response.headers_mut().insert(header::LOCATION, place);
    }
    response
}

#[utoipa::path(get, path = "/api/v1/people", tag = "people", params(PeopleQuery),
    responses((status = 200, body = PersonList), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list_people(
    State(state): State<AppState>,
    _user: CurrentUser,
    ApiQuery(query): ApiQuery<PeopleQuery>,
) -> Result<Json<PersonList>, ApiError> {
    let ListPage { page, per_page } =
        page_or_422(query.page.as_deref(), query.per_page.as_deref())?;
    let q = query
        .q
        .map(|q| crate::domain::search::clean_query(&q))
        .filter(|q| !q.is_empty());
    let (items, total) = tokio::try_join!(
        db::people::list(&state.pool, q.as_deref(), per_page, (page - 1) * per_page),
        db::people::count(&state.pool, q.as_deref()),
    )?;
    Ok(Json(PersonList {
        items,
        page,
        per_page,
        total,
    }))
}

#[utoipa::path(post, path = "/api/v1/people", tag = "people", request_body = NewPerson,
    responses((status = 201, body = Person, headers(("ETag" = String), ("Location" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem, description = "The slug is taken: `errors` names it"),
        (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create_person(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson(input): AppJson<NewPerson>,
) -> Result<Response, ApiError> {
    let changes = PersonChanges {
        slug: input.slug,
        name: input.name,
        credentials: input.credentials,
        bio: input.bio,
        photo: input.photo.map(Some),
        same_as: input.same_as,
    };
    let person =
        state.after_commit(service::people::create(&state.pool, user.actor(), changes).await?);
    Ok(person_response(StatusCode::CREATED, person, true))
}

#[utoipa::path(get, path = "/api/v1/people/{slug}", tag = "people", params(("slug" = String, Path)),
    responses((status = 200, body = Person, headers(("ETag" = String))), (status = 401, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn show_person(
    State(state): State<AppState>,
    _user: CurrentUser,
    ApiPath(slug): ApiPath<String>,
) -> Result<Response, ApiError> {
    let person = service::people::get(&state.pool, &slug).await?;
    Ok(person_response(StatusCode::OK, person, false))
}

#[utoipa::path(patch, path = "/api/v1/people/{slug}", tag = "people", request_body = UpdatePerson,
    params(("slug" = String, Path),
        ("If-Match" = Option<String>, Header, description = "Optional: the ETag you read, \"<version>\"; stale → 412")),
    responses((status = 200, body = Person, headers(("ETag" = String))), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "The slug is taken: `errors` names it"),
        (status = 412, body = Problem, description = "Stale: `current` holds the person as they are now"),
        (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update_person(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(slug): ApiPath<String>,
    headers: HeaderMap,
    AppJson(input): AppJson<UpdatePerson>,
) -> Result<Response, ApiError> {
    let if_match = IfMatch::from_headers(&headers).optional();
    let changes = PersonChanges {
        slug: input.slug,
        name: input.name,
        credentials: input.credentials,
        bio: input.bio,
        photo: input.photo,
        same_as: input.same_as,
    };
    let person = state.after_commit(
        service::people::update(&state.pool, user.actor(), &slug, if_match, changes).await?,
    );
    Ok(person_response(StatusCode::OK, person, false))
}

#[utoipa::path(delete, path = "/api/v1/people/{slug}", tag = "people", params(("slug" = String, Path)),
    responses((status = 204, description = "Deleted (their page goes; old revisions still name them)"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "Credited on a story (as an author or the reviewer)")),
    security(("bearer" = [])))]
pub async fn delete_person(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(slug): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.after_commit(service::people::delete(&state.pool, user.actor(), &slug).await?);
    Ok(StatusCode::NO_CONTENT)
}

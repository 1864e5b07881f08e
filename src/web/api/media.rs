//! `/api/v1/media`: images (CONTRACT §9). Everyone with a token uploads and reads; editors and
//! admins change what an image says and delete it.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ListPage, page_or_422};
use crate::db;
use crate::domain::media::{Media, MediaText};
use crate::service;
use crate::state::AppState;
use crate::web::api::auth::CurrentUser;
use crate::web::api::extract::{ApiPath, ApiQuery, IfMatch};
use crate::web::api::json::AppJson;
use crate::web::errors::{ApiError, Problem};

/// The upload form (`multipart/form-data`).
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The image: JPEG, PNG, WebP or GIF, at most 20 MiB and 50 megapixels. Its bytes decide
    /// its format, not its name or declared type.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// What the image shows, for people who cannot see it; required unless `decorative`.
    alt: Option<String>,
    /// `true` for an image that adds nothing a reader would miss (shown with empty alt text).
    decorative: Option<bool>,
    caption: Option<String>,
    credit: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MediaQuery {
    /// Words of the alt text, caption, credit or file name.
    q: Option<String>,
    /// From 1.
    page: Option<String>,
    /// From 1 to 100 (default 20; larger values are capped at 100).
    per_page: Option<String>,
}

/// A page of images, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MediaList {
    pub items: Vec<Media>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

/// Changes to what an image says.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMedia {
    pub alt: Option<String>,
    pub decorative: Option<bool>,
    pub caption: Option<String>,
    pub credit: Option<String>,
}

/// Where an image is used.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MediaUse {
    /// `lead_image`, `body` or `photo`.
    pub kind: &'static str,
    /// The story's id, or the person's slug.
    pub id: String,
    pub title: String,
    /// For stories: whether readers see it now.
    pub published: bool,
}

/// An image and where it is used.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MediaDetail {
    #[serde(flatten)]
    pub media: Media,
    pub used_by: Vec<MediaUse>,
}

fn media_response(status: StatusCode, media: &Media, location: bool) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{}\"", media.version)).ok();
    let place = HeaderValue::from_str(&format!("/api/v1/media/{}", media.id)).ok();
    let mut response = (status, Json(media)).into_response();
    if let Some(etag) = etag {
        response.headers_mut().insert(header::ETAG, etag);
    }
    if location && let Some(place) = place {
        response.headers_mut().insert(header::LOCATION, place);
    }
    response
}

#[utoipa::path(post, path = "/api/v1/media", tag = "media",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Media, headers(("Location" = String), ("ETag" = String))),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 413, body = Problem, description = "Over 20 MiB"),
        (status = 415, body = Problem, description = "Not a JPEG, PNG, WebP or GIF image by its bytes (SVG included)"),
        (status = 422, body = Problem, description = "Alt text missing, damaged file, or over 50 megapixels")),
    security(("bearer" = [])))]
pub async fn upload_media(
    State(state): State<AppState>,
    user: CurrentUser,
    request: Request,
) -> Result<Response, ApiError> {
    let (upload, _) = crate::web::upload::read_upload(request, &state, &[]).await?;
    let media = state.after_commit(
        service::media::upload(&state.pool, state.blobs.as_ref(), user.actor(), upload).await?,
    );
    Ok(media_response(StatusCode::CREATED, &media, true))
}

#[utoipa::path(get, path = "/api/v1/media", tag = "media", params(MediaQuery),
    responses((status = 200, body = MediaList), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list_media(
    State(state): State<AppState>,
    _user: CurrentUser,
    ApiQuery(query): ApiQuery<MediaQuery>,
) -> Result<Json<MediaList>, ApiError> {
    let ListPage { page, per_page } =
        page_or_422(query.page.as_deref(), query.per_page.as_deref())?;
    let q = query
        .q
        .map(|q| crate::domain::search::clean_query(&q))
        .filter(|q| !q.is_empty());
    let (items, total) = tokio::try_join!(
        db::media::list(&state.pool, q.as_deref(), per_page, (page - 1) * per_page),
        db::media::count(&state.pool, q.as_deref()),
    )?;
    Ok(Json(MediaList {
        items,
        page,
        per_page,
        total,
    }))
}

fn uses(places: Vec<db::media::Use>) -> Vec<MediaUse> {
    places
        .into_iter()
        .map(|place| match place {
            db::media::Use::Story {
                id,
                title,
                published,
                lead,
            } => MediaUse {
                kind: if lead { "lead_image" } else { "body" },
                id: id.to_string(),
                title,
                published,
            },
            db::media::Use::Person { slug, name } => MediaUse {
                kind: "photo",
                id: slug,
                title: name,
                published: true,
            },
        })
        .collect()
}

#[utoipa::path(get, path = "/api/v1/media/{id}", tag = "media", params(("id" = Uuid, Path)),
    responses((status = 200, body = MediaDetail, headers(("ETag" = String))), (status = 401, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn show_media(
    State(state): State<AppState>,
    _user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let media = service::media::get(&state.pool, id).await?;
    let used_by = uses(service::media::usage(&state.pool, id).await?);
    let etag = format!("\"{}\"", media.version);
    let mut response = Json(MediaDetail { media, used_by }).into_response();
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    Ok(response)
}

#[utoipa::path(patch, path = "/api/v1/media/{id}", tag = "media", request_body = UpdateMedia,
    params(("id" = Uuid, Path),
        ("If-Match" = Option<String>, Header, description = "Optional: the ETag you read, \"<version>\"; stale → 412")),
    responses((status = 200, body = Media, headers(("ETag" = String))), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update_media(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    AppJson(input): AppJson<UpdateMedia>,
) -> Result<Response, ApiError> {
    let if_match = IfMatch::from_headers(&headers).optional();
    let text = MediaText {
        alt: input.alt,
        decorative: input.decorative,
        caption: input.caption,
        credit: input.credit,
    };
    let media = state
        .after_commit(service::media::update(&state.pool, user.actor(), id, if_match, text).await?);
    Ok(media_response(StatusCode::OK, &media, false))
}

#[utoipa::path(delete, path = "/api/v1/media/{id}", tag = "media", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted (its files stay at their addresses)"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "Used by a published story or a person")),
    security(("bearer" = [])))]
pub async fn delete_media(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    state.after_commit(service::media::delete(&state.pool, user.actor(), id).await?);
    Ok(StatusCode::NO_CONTENT)
}

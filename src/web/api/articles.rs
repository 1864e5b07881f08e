//! `/api/v1/articles…`: stories, their lifecycle, revisions and preview links.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{ListPage, parse_bool, parse_page};
use crate::db;
use crate::domain::article::{Article, ArticleStatus, ChangeKind, Review, Study};
use crate::domain::lifecycle::Transition;
use crate::domain::policy::Role;
use crate::error::{AppError, FieldError};
use crate::service::articles::{
    self as service, ArticleChanges, ChangeMeta, Later, TransitionOptions,
};
use crate::state::AppState;
use crate::web::api::auth::CurrentUser;
use crate::web::api::extract::{ApiPath, ApiQuery, IfMatch};
use crate::web::api::json::{AppJson, OptionalJson};
use crate::web::errors::{ApiError, Problem};

/// Query of the story list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `draft`, `in_review`, `scheduled`, `published` or `withdrawn`.
    status: Option<String>,
    /// A topic slug.
    topic: Option<String>,
    /// `true` or `false`.
    archived: Option<String>,
    /// Words in the title, dek or body.
    q: Option<String>,
    /// `true`: published stories whose `review.next_review_due` is today or earlier (site time
    /// zone); `false`: every other story.
    review_due: Option<String>,
    /// From 1.
    page: Option<String>,
    /// From 1 to 100 (default 20; larger values are capped at 100).
    per_page: Option<String>,
}

/// A page of stories.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ArticleList {
    pub items: Vec<Article>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

/// A new story. Only `title` is required; the slug is derived from it when omitted.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewArticle {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub dek: Option<String>,
    pub body_markdown: Option<String>,
    pub topics: Option<Vec<String>>,
    /// The byline: person slugs (`/api/v1/people`), in order.
    pub authors: Option<Vec<String>>,
    /// A media id (`/api/v1/media`): shown after the dateline and on social cards.
    pub lead_image: Option<Uuid>,
    /// The title of search results and social cards, at most 70 characters; absent or `null`:
    /// the headline.
    pub seo_title: Option<String>,
    /// The description of search results and social cards, at most 160 characters; absent or
    /// `null`: the dek.
    pub meta_description: Option<String>,
    #[serde(default, deserialize_with = "crate::web::api::fields::object_or_null")]
    pub study: Option<Study>,
    #[serde(default, deserialize_with = "crate::web::api::fields::object_or_null")]
    pub review: Option<Review>,
    /// Only `draft`, where every story starts; the lifecycle actions (`/submit`, `/publish`)
    /// move it on.
    pub status: Option<String>,
    /// How revision 1 is described: `minor` (default), `update` or `correction`.
    pub change_kind: Option<ChangeKind>,
    /// Note of revision 1; required with `correction`.
    pub change_note: Option<String>,
}

/// Changes to a story; absent fields stay as they are, `null` clears `study` or `review`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArticle {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub dek: Option<String>,
    pub body_markdown: Option<String>,
    pub topics: Option<Vec<String>>,
    /// The byline: person slugs (`/api/v1/people`), in order; `[]` removes it.
    pub authors: Option<Vec<String>>,
    /// A media id; `null` removes the lead image.
    #[serde(default, deserialize_with = "crate::web::api::fields::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub lead_image: Option<Option<Uuid>>,
    /// The title of search results and social cards, at most 70 characters; `null` or empty
    /// clears it (the headline is used).
    #[serde(default, deserialize_with = "crate::web::api::fields::double_option")]
    #[schema(value_type = Option<String>)]
    pub seo_title: Option<Option<String>>,
    /// The description of search results and social cards, at most 160 characters; `null` or
    /// empty clears it (the dek is used).
    #[serde(default, deserialize_with = "crate::web::api::fields::double_option")]
    #[schema(value_type = Option<String>)]
    pub meta_description: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "crate::web::api::fields::double_object_or_null"
    )]
    #[schema(value_type = Option<Study>)]
    pub study: Option<Option<Study>>,
    #[serde(
        default,
        deserialize_with = "crate::web::api::fields::double_object_or_null"
    )]
    #[schema(value_type = Option<Review>)]
    pub review: Option<Option<Review>>,
    /// `minor` (default), `update` or `correction`.
    pub change_kind: Option<ChangeKind>,
    /// Public note; required with `correction`.
    pub change_note: Option<String>,
}

/// Options of `/publish`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// A future moment schedules the story; a past one backdates it.
    #[serde(
        default,
        deserialize_with = "crate::domain::dates::deserialize_moment_option"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub at: Option<OffsetDateTime>,
}

/// Options of `/unpublish`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnpublishRequest {
    /// A future moment schedules the unpublishing of a published story (cancel it with
    /// `DELETE /api/v1/articles/{id}/scheduled/unpublish`); absent, null or past: now.
    #[serde(
        default,
        deserialize_with = "crate::domain::dates::deserialize_moment_option"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub at: Option<OffsetDateTime>,
    /// For the author of a story in review that is sent back to draft: shown on their
    /// dashboard and editor page. Only when the story is in review.
    pub note: Option<String>,
}

/// Options of `/archive`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveRequest {
    /// A future moment schedules the archiving of a published story (cancel it with
    /// `DELETE /api/v1/articles/{id}/scheduled/archive`); absent, null or past: now.
    #[serde(
        default,
        deserialize_with = "crate::domain::dates::deserialize_moment_option"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub at: Option<OffsetDateTime>,
    /// Shown on the archive banner.
    pub reason: Option<String>,
    /// The newer story the banner links to.
    pub superseded_by: Option<Uuid>,
}

/// Options of `/withdraw`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    /// Shown to readers on the story's `410` page; at most 500 characters.
    pub reason: Option<String>,
}

/// Options of a restore: how the new revision is described. Without a body, or without
/// `change_kind`, a restore is an `update` (it changes what readers see, so "Last updated"
/// moves) noted as the restore of that revision.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreRequest {
    /// `minor`, `update` (default) or `correction`.
    pub change_kind: Option<ChangeKind>,
    /// Public note for `update` and `correction`; required with `correction`.
    pub change_note: Option<String>,
}

/// One revision in a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RevisionSummary {
    pub number: i32,
    pub change_kind: ChangeKind,
    pub change_note: Option<String>,
    pub created_by: Option<Uuid>,
    #[serde(with = "crate::domain::dates::serde_rfc3339")]
    pub created_at: OffsetDateTime,
}

/// One revision with the whole article as it was.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RevisionDetail {
    #[serde(flatten)]
    pub summary: RevisionSummary,
    #[schema(value_type = Object)]
    pub article: serde_json::Value,
}

/// The revisions of a story, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RevisionList {
    pub items: Vec<RevisionSummary>,
}

/// Options of a new preview link.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPreviewLink {
    /// Hours until the link stops working: 1 to 720, default 72.
    #[serde(
        default,
        deserialize_with = "crate::domain::numbers::whole_number_option"
    )]
    pub expires_in_hours: Option<i64>,
}

/// A new preview link: the URL is shown once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PreviewLinkResponse {
    pub id: Uuid,
    pub url: String,
    #[serde(with = "crate::domain::dates::serde_rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// The article with its ETag (and `Location` when just created).
fn article_response(status: StatusCode, doc: Article, location: bool) -> Response {
    let etag = HeaderValue::from_str(&doc.etag()).ok();
    let mut response = (status, Json(&doc)).into_response();
    if let Some(etag) = etag {
        response.headers_mut().insert(header::ETAG, etag);
    }
    if location && let Ok(value) = HeaderValue::from_str(&format!("/api/v1/articles/{}", doc.id)) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

#[utoipa::path(get, path = "/api/v1/articles", tag = "articles", params(ListQuery),
    responses((status = 200, body = ArticleList), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list_articles(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<ArticleList>, ApiError> {
    let mut errors = Vec::new();
    let status = match query.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => match ArticleStatus::ALL.into_iter().find(|s| s.as_str() == raw) {
            Some(status) => Some(status),
            None => {
                errors.push(FieldError::new(
                    "status",
                    "must be one of draft, in_review, scheduled, published, withdrawn",
                ));
                None
            }
        },
    };
    let archived = parse_bool(query.archived.as_deref(), "archived", &mut errors);
    let review_due = parse_bool(query.review_due.as_deref(), "review_due", &mut errors);
    let ListPage { page, per_page } = parse_page(
        query.page.as_deref(),
        query.per_page.as_deref(),
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(AppError::Validation(errors).into());
    }
    let filter = db::articles::ArticleFilter {
        status,
        topic: query
            .topic
            .map(|t| crate::domain::search::clean_query(&t))
            .filter(|t| !t.is_empty()),
        archived,
        q: query
            .q
            .map(|q| crate::domain::search::clean_query(&q))
            .filter(|q| !q.is_empty()),
        created_by: (user.role == Role::Contributor).then_some(user.id),
        review_due: review_due.map(|due| {
            let today = crate::domain::dates::local_date(
                time::OffsetDateTime::now_utc(),
                &state.config.timezone,
            );
            (due, today)
        }),
        sort: db::articles::ArticleSort::default(),
    };
    let total = db::articles::count_filtered(&state.pool, &filter).await?;
    let rows =
        db::articles::list_filtered(&state.pool, &filter, per_page, (page - 1) * per_page).await?;
    Ok(Json(ArticleList {
        items: rows,
        page,
        per_page,
        total,
    }))
}

#[utoipa::path(post, path = "/api/v1/articles", tag = "articles", request_body = NewArticle,
    responses((status = 201, body = Article, headers(("ETag" = String), ("Location" = String))),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem, description = "The slug is taken: `errors` names it"),
        (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create_article(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson(input): AppJson<NewArticle>,
) -> Result<Response, ApiError> {
    if let Some(status) = input.status.as_deref()
        && status != "draft"
    {
        return Err(AppError::field(
            "status",
            "must be `draft`: a new story starts as a draft; submit or publish it with \
             POST /api/v1/articles/{id}/submit or /publish",
        )
        .into());
    }
    let meta = ChangeMeta {
        kind: input.change_kind.unwrap_or_default(),
        note: input.change_note,
    };
    let changes = ArticleChanges {
        title: input.title,
        slug: input.slug,
        dek: input.dek,
        body_markdown: input.body_markdown,
        topics: input.topics,
        authors: input.authors,
        study: input.study.map(Some),
        review: input.review.map(Some),
        lead_image: input.lead_image.map(Some),
        seo_title: input.seo_title.map(Some),
        meta_description: input.meta_description.map(Some),
    };
    let doc = state.after_commit(service::create(&state.pool, user.actor(), changes, meta).await?);
    Ok(article_response(StatusCode::CREATED, doc, true))
}

#[utoipa::path(get, path = "/api/v1/articles/{id}", tag = "articles", params(("id" = Uuid, Path)),
    responses((status = 200, body = Article, headers(("ETag" = String))), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn show_article(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let doc = service::get(&state.pool, user.actor(), id).await?;
    Ok(article_response(StatusCode::OK, doc, false))
}

#[utoipa::path(patch, path = "/api/v1/articles/{id}", tag = "articles", request_body = UpdateArticle,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The ETag you read: \"<version>\"")),
    responses((status = 200, body = Article, headers(("ETag" = String))), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "The slug is taken: `errors` names it"),
        (status = 412, body = Problem, description = "Stale: `current` holds the story as it is now"),
        (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem),
        (status = 428, body = Problem)),
    security(("bearer" = [])))]
pub async fn update_article(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    AppJson(input): AppJson<UpdateArticle>,
) -> Result<Response, ApiError> {
    let if_match = IfMatch::from_headers(&headers).required()?;
    let changes = ArticleChanges {
        title: input.title,
        slug: input.slug,
        dek: input.dek,
        body_markdown: input.body_markdown,
        topics: input.topics,
        authors: input.authors,
        study: input.study,
        review: input.review,
        lead_image: input.lead_image,
        seo_title: input.seo_title,
        meta_description: input.meta_description,
    };
    let meta = ChangeMeta {
        kind: input.change_kind.unwrap_or_default(),
        note: input.change_note,
    };
    let doc = state.after_commit(
        service::update(&state.pool, user.actor(), id, if_match, changes, meta).await?,
    );
    Ok(article_response(StatusCode::OK, doc, false))
}

#[utoipa::path(delete, path = "/api/v1/articles/{id}", tag = "articles", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted (soft: an admin can restore it)"), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn delete_article(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    state.after_commit(service::delete(&state.pool, user.actor(), id).await?);
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/articles/{id}/restore", tag = "articles", params(("id" = Uuid, Path)),
    responses((status = 200, body = Article), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn restore_article(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let doc = state.after_commit(service::restore_deleted(&state.pool, user.actor(), id).await?);
    Ok(article_response(StatusCode::OK, doc, false))
}

async fn run_transition(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    headers: &HeaderMap,
    transition: Transition,
    archive: TransitionOptions,
) -> Result<Response, ApiError> {
    let if_match = IfMatch::from_headers(headers).optional();
    let doc =
        service::transition(&state.pool, user.actor(), id, transition, archive, if_match).await?;
    Ok(article_response(
        StatusCode::OK,
        state.after_commit(doc),
        false,
    ))
}

#[utoipa::path(post, path = "/api/v1/articles/{id}/submit", tag = "lifecycle", params(("id" = Uuid, Path)),
    responses((status = 200, body = Article), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn submit_article(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    run_transition(
        &state,
        &user,
        id,
        &headers,
        Transition::Submit,
        TransitionOptions::default(),
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/articles/{id}/publish", tag = "lifecycle", params(("id" = Uuid, Path)),
    request_body(content = Option<PublishRequest>, description = "Optional: `at` in the future schedules"),
    responses((status = 200, body = Article), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn publish_article(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    OptionalJson(input): OptionalJson<PublishRequest>,
) -> Result<Response, ApiError> {
    let transition = Transition::Publish { at: input.at };
    run_transition(
        &state,
        &user,
        id,
        &headers,
        transition,
        TransitionOptions::default(),
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/articles/{id}/unpublish", tag = "lifecycle", params(("id" = Uuid, Path)),
    request_body(content = Option<UnpublishRequest>, description = "Optional: `at` in the future schedules; `note` for the author of a story sent back from review"),
    responses((status = 200, body = Article), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn unpublish_article(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    OptionalJson(input): OptionalJson<UnpublishRequest>,
) -> Result<Response, ApiError> {
    let options = TransitionOptions {
        note: input.note,
        ..TransitionOptions::default()
    };
    if let Some(at) = input.at.filter(|at| *at > crate::service::now()) {
        return run_later(&state, &user, id, &headers, Later::Unpublish, at, options).await;
    }
    run_transition(&state, &user, id, &headers, Transition::Unpublish, options).await
}

/// Schedules an unpublish or archive for later.
async fn run_later(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    headers: &HeaderMap,
    later: Later,
    at: OffsetDateTime,
    options: TransitionOptions,
) -> Result<Response, ApiError> {
    let if_match = IfMatch::from_headers(headers).optional();
    let doc = service::later::schedule(&state.pool, user.actor(), id, later, at, options, if_match)
        .await?;
    Ok(article_response(
        StatusCode::OK,
        state.after_commit(doc),
        false,
    ))
}

/// A step scheduled for later.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScheduledStep {
    /// `publish`, `unpublish` or `archive`.
    pub action: String,
    #[serde(with = "crate::domain::dates::serde_rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// An archive's reason.
    pub reason: Option<String>,
    /// The newer story an archive's banner will link to.
    pub superseded_by: Option<Uuid>,
}

/// What is scheduled for a story.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScheduledList {
    pub items: Vec<ScheduledStep>,
}

#[utoipa::path(get, path = "/api/v1/articles/{id}/scheduled", tag = "lifecycle", params(("id" = Uuid, Path)),
    responses((status = 200, body = ScheduledList), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn list_scheduled(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let items = service::later::pending(&state.pool, user.actor(), id)
        .await?
        .into_iter()
        .map(|job| ScheduledStep {
            action: job.action,
            at: job.run_at,
            reason: job.reason,
            superseded_by: job.superseded_by,
        })
        .collect();
    Ok(Json(ScheduledList { items }).into_response())
}

/// A step that can be scheduled for later, and canceled.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LaterAction {
    Unpublish,
    Archive,
}

impl From<LaterAction> for Later {
    fn from(action: LaterAction) -> Self {
        match action {
            LaterAction::Unpublish => Later::Unpublish,
            LaterAction::Archive => Later::Archive,
        }
    }
}

#[utoipa::path(delete, path = "/api/v1/articles/{id}/scheduled/{action}", tag = "lifecycle",
    params(("id" = Uuid, Path), ("action" = inline(LaterAction), Path, description = "The scheduled step to cancel (a scheduled publication is canceled by `/unpublish`)")),
    responses((status = 200, body = Article), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn cancel_scheduled(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath((id, action)): ApiPath<(Uuid, LaterAction)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let if_match = IfMatch::from_headers(&headers).optional();
    let doc =
        service::later::cancel(&state.pool, user.actor(), id, action.into(), if_match).await?;
    Ok(article_response(
        StatusCode::OK,
        state.after_commit(doc),
        false,
    ))
}

#[utoipa::path(post, path = "/api/v1/articles/{id}/withdraw", tag = "lifecycle", params(("id" = Uuid, Path)),
    request_body(content = Option<WithdrawRequest>, description = "Optional: the reason readers see"),
    responses((status = 200, body = Article), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn withdraw_article(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    OptionalJson(input): OptionalJson<WithdrawRequest>,
) -> Result<Response, ApiError> {
    let options = TransitionOptions {
        reason: input.reason,
        superseded_by: None,
        ..TransitionOptions::default()
    };
    run_transition(&state, &user, id, &headers, Transition::Withdraw, options).await
}

#[utoipa::path(post, path = "/api/v1/articles/{id}/archive", tag = "lifecycle", params(("id" = Uuid, Path)),
    request_body(content = Option<ArchiveRequest>, description = "Optional: `at` in the future schedules"),
    responses((status = 200, body = Article), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn archive_article(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    OptionalJson(input): OptionalJson<ArchiveRequest>,
) -> Result<Response, ApiError> {
    let options = TransitionOptions {
        reason: input.reason,
        superseded_by: input.superseded_by,
        ..TransitionOptions::default()
    };
    if let Some(at) = input.at.filter(|at| *at > crate::service::now()) {
        return run_later(&state, &user, id, &headers, Later::Archive, at, options).await;
    }
    run_transition(&state, &user, id, &headers, Transition::Archive, options).await
}

#[utoipa::path(post, path = "/api/v1/articles/{id}/unarchive", tag = "lifecycle", params(("id" = Uuid, Path)),
    responses((status = 200, body = Article), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn unarchive_article(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    run_transition(
        &state,
        &user,
        id,
        &headers,
        Transition::Unarchive,
        TransitionOptions::default(),
    )
    .await
}

fn summary(rev: db::revisions::RevisionSummary) -> RevisionSummary {
    RevisionSummary {
        number: rev.number,
        change_kind: rev.change_kind,
        change_note: rev.change_note,
        created_by: rev.created_by,
        created_at: rev.created_at,
    }
}

#[utoipa::path(get, path = "/api/v1/articles/{id}/revisions", tag = "revisions", params(("id" = Uuid, Path)),
    responses((status = 200, body = RevisionList), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn list_revisions(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<RevisionList>, ApiError> {
    let article = service::get(&state.pool, user.actor(), id).await?;
    let items = db::revisions::list(&state.pool, article.id).await?;
    Ok(Json(RevisionList {
        items: items.into_iter().map(summary).collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/articles/{id}/revisions/{n}", tag = "revisions",
    params(("id" = Uuid, Path), ("n" = i32, Path)),
    responses((status = 200, body = RevisionDetail), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn show_revision(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath((id, number)): ApiPath<(Uuid, i32)>,
) -> Result<Json<RevisionDetail>, ApiError> {
    service::get(&state.pool, user.actor(), id).await?;
    let rev = db::revisions::find(&state.pool, id, number)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(RevisionDetail {
        summary: RevisionSummary {
            number: rev.number,
            change_kind: rev.change_kind,
            change_note: rev.change_note,
            created_by: rev.created_by,
            created_at: rev.created_at,
        },
        article: rev.snapshot,
    }))
}

#[utoipa::path(post, path = "/api/v1/articles/{id}/revisions/{n}/restore", tag = "revisions",
    params(("id" = Uuid, Path), ("n" = i32, Path)),
    request_body(content = Option<RestoreRequest>, description = "Optional: how the restore is described (default: an update)"),
    responses((status = 200, body = Article, description = "Restored as a new revision"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "The revision no longer fits: its slug is another story's, or a topic of it is gone"),
        (status = 412, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn restore_revision(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath((id, number)): ApiPath<(Uuid, i32)>,
    headers: HeaderMap,
    OptionalJson(input): OptionalJson<RestoreRequest>,
) -> Result<Response, ApiError> {
    let if_match = IfMatch::from_headers(&headers).optional();
    let meta = ChangeMeta {
        kind: input.change_kind.unwrap_or(service::DEFAULT_RESTORE_KIND),
        note: input.change_note,
    };
    let doc =
        service::restore_revision(&state.pool, user.actor(), id, number, if_match, meta).await?;
    let doc = state.after_commit(doc);
    Ok(article_response(StatusCode::OK, doc, false))
}

#[utoipa::path(post, path = "/api/v1/articles/{id}/preview-links", tag = "preview links", params(("id" = Uuid, Path)),
    request_body(content = Option<NewPreviewLink>),
    responses((status = 201, body = PreviewLinkResponse), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create_preview_link(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    OptionalJson(input): OptionalJson<NewPreviewLink>,
) -> Result<Response, ApiError> {
    let hours = input
        .expires_in_hours
        .unwrap_or(crate::service::previews::DEFAULT_HOURS);
    let link = crate::service::previews::create(
        &state.pool,
        user.actor(),
        id,
        hours,
        &state.config.base_url,
    )
    .await?;
    let body = PreviewLinkResponse {
        id: link.id,
        url: link.url,
        expires_at: link.expires_at,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[utoipa::path(delete, path = "/api/v1/preview-links/{id}", tag = "preview links", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Revoked"), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn delete_preview_link(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    crate::service::previews::revoke(&state.pool, user.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

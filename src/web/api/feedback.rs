//! `/api/v1/feedback`: reader feedback for editors to triage.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ListPage, parse_page};
use crate::db;
use crate::db::feedback::Feedback;
use crate::domain::feedback::FeedbackStatus;
use crate::domain::policy::{Action, can};
use crate::error::{AppError, FieldError};
use crate::service;
use crate::state::AppState;
use crate::web::api::auth::CurrentUser;
use crate::web::api::extract::{ApiPath, ApiQuery};
use crate::web::api::json::AppJson;
use crate::web::errors::{ApiError, Problem};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedbackQuery {
    article_id: Option<String>,
    /// `new`, `read`, `resolved` or `spam`.
    status: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

/// A page of feedback.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FeedbackList {
    pub items: Vec<Feedback>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

/// A triage decision, and/or deleting the reader's email (`"email": null`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFeedback {
    /// `new`, `read`, `resolved` or `spam`.
    #[schema(value_type = Option<FeedbackStatus>)]
    pub status: Option<String>,
    /// Only `null`: deletes the reply address the reader gave.
    #[serde(default, deserialize_with = "crate::web::api::fields::double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub email: Option<Option<String>>,
}

/// Reader signals of one story.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ArticleStats {
    pub helpful_yes: i64,
    pub helpful_no: i64,
    pub comments: i64,
    pub views_total: i64,
    /// The last 30 days (UTC), days without views left out.
    pub views_by_day: Vec<db::page_views::DayViews>,
}

#[utoipa::path(get, path = "/api/v1/articles/{id}/stats", tag = "feedback", params(("id" = Uuid, Path)),
    responses((status = 200, body = ArticleStats), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn show_article_stats(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ArticleStats>, ApiError> {
    if !can(user.actor(), Action::ViewFeedback, None) {
        return Err(AppError::Forbidden.into());
    }
    db::articles::find_by_id(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let summary = db::feedback::summary(&state.pool, id).await?;
    let since = time::OffsetDateTime::now_utc().date() - time::Duration::days(29);
    Ok(Json(ArticleStats {
        helpful_yes: summary.helpful_yes,
        helpful_no: summary.helpful_no,
        comments: summary.comments,
        views_total: db::page_views::total(&state.pool, id).await?,
        views_by_day: db::page_views::by_day(&state.pool, id, since).await?,
    }))
}

#[utoipa::path(get, path = "/api/v1/feedback", tag = "feedback", params(FeedbackQuery),
    responses((status = 200, body = FeedbackList), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list_feedback(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<FeedbackQuery>,
) -> Result<Json<FeedbackList>, ApiError> {
    if !can(user.actor(), Action::ViewFeedback, None) {
        return Err(AppError::Forbidden.into());
    }
    let mut errors = Vec::new();
    let article_id = match query.article_id.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        // Hyphenated only, as the document states (`Uuid` also reads other spellings).
        Some(raw) => match uuid::Uuid::parse_str(raw).ok().filter(|_| raw.len() == 36) {
            Some(id) => Some(id),
            None => {
                errors.push(FieldError::new("article_id", "must be a UUID"));
                None
            }
        },
    };
    let status = match query.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => {
            let status = FeedbackStatus::parse(raw);
            if status.is_none() {
                errors.push(FieldError::new(
                    "status",
                    "must be one of new, read, resolved, spam",
                ));
            }
            status
        }
    };
    let ListPage { page, per_page } = parse_page(
        query.page.as_deref(),
        query.per_page.as_deref(),
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(AppError::Validation(errors).into());
    }
    let filter = db::feedback::FeedbackFilter { article_id, status };
    let total = db::feedback::count(&state.pool, &filter).await?;
    let items = db::feedback::list(&state.pool, &filter, per_page, (page - 1) * per_page).await?;
    Ok(Json(FeedbackList {
        items,
        page,
        per_page,
        total,
    }))
}

#[utoipa::path(patch, path = "/api/v1/feedback/{id}", tag = "feedback", request_body = UpdateFeedback,
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Feedback), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update_feedback(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    AppJson(input): AppJson<UpdateFeedback>,
) -> Result<Json<Feedback>, ApiError> {
    // A role that may not triage learns nothing more than that.
    if !can(user.actor(), Action::TriageFeedback, None) {
        return Err(AppError::Forbidden.into());
    }
    let mut errors = Vec::new();
    let status = match input.status.as_deref() {
        None => None,
        Some(raw) => match FeedbackStatus::parse(raw) {
            Some(status) => Some(status),
            None => {
                errors.push(FieldError::new(
                    "status",
                    "must be one of new, read, resolved, spam",
                ));
                None
            }
        },
    };
    if matches!(input.email, Some(Some(_))) {
        errors.push(FieldError::new("email", "can only be deleted (null)"));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors).into());
    }
    let decision = service::feedback::Triage {
        status,
        delete_email: input.email.is_some(),
    };
    Ok(Json(
        service::feedback::triage(&state.pool, user.actor(), id, decision).await?,
    ))
}

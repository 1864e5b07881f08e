//! The editor API under `/api/v1` (JSON, bearer tokens), its OpenAPI document at
//! `/api/openapi.json` and a docs page at `/api/docs`. Every error is an RFC 9457 problem.

pub mod archive_policy;
pub mod articles;
pub mod auth;
pub mod extract;
pub mod feedback;
pub mod fields;
pub mod json;
pub mod media;
pub mod people;
pub mod rules;
pub mod search;
pub mod topics;
pub mod webhooks;

use std::sync::Arc;

use askama::Template;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router, middleware};
use serde::Serialize;
use tower_http::catch_panic::CatchPanicLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::domain::policy::Role;
use crate::error::{AppError, FieldError};
use crate::state::AppState;
use crate::web::api::auth::{CurrentUser, require_api_token};
use crate::web::errors::{ApiError, Problem};
use crate::web::pages::{Layout, render};

/// Largest JSON body the API reads (a 200,000-byte Markdown body, JSON-escaped, fits).
pub const BODY_LIMIT: usize = 1024 * 1024;
/// Largest page size.
pub const MAX_PER_PAGE: i64 = 100;
/// Largest page number.
pub const MAX_PAGE: i64 = 1_000_000;

#[derive(OpenApi)]
#[openapi(
    info(title = "Dateline editor API", version = "1", description = "Write, review, schedule, publish, correct and archive research-news stories."),
    paths(openapi_document, api_docs),
    modifiers(&BearerAuth),
    components(schemas(Problem, FieldError))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The caller.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeResponse {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "me",
    responses((status = 200, body = MeResponse), (status = 401, body = Problem)), security(("bearer" = [])))]
async fn show_me(user: CurrentUser) -> Json<MeResponse> {
    Json(MeResponse {
        id: user.id,
        email: user.email,
        name: user.name,
        role: user.role,
    })
}

/// The routes of `/api/v1` and the OpenAPI document generated from the same declarations, so
/// that every route is documented and every documented route exists.
pub fn v1_router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(articles::list_articles, articles::create_article))
        .routes(routes!(
            articles::show_article,
            articles::update_article,
            articles::delete_article
        ))
        .routes(routes!(articles::restore_article))
        .routes(routes!(articles::submit_article))
        .routes(routes!(articles::publish_article))
        .routes(routes!(articles::unpublish_article))
        .routes(routes!(articles::withdraw_article))
        .routes(routes!(articles::archive_article))
        .routes(routes!(articles::unarchive_article))
        .routes(routes!(articles::list_scheduled))
        .routes(routes!(articles::cancel_scheduled))
        .routes(routes!(articles::list_revisions))
        .routes(routes!(articles::show_revision))
        .routes(routes!(articles::restore_revision))
        .routes(routes!(articles::create_preview_link))
        .routes(routes!(articles::delete_preview_link))
        .routes(routes!(topics::list_topics, topics::create_topic))
        .routes(routes!(topics::update_topic))
        // Uploads read bodies up to the image limit (the rest of the API: `BODY_LIMIT`).
        .merge(
            OpenApiRouter::new()
                .routes(routes!(media::list_media, media::upload_media))
                .layer(DefaultBodyLimit::max(crate::web::limits::UPLOAD_BODY_LIMIT)),
        )
        .routes(routes!(
            media::show_media,
            media::update_media,
            media::delete_media
        ))
        .routes(routes!(people::list_people, people::create_person))
        .routes(routes!(
            people::show_person,
            people::update_person,
            people::delete_person
        ))
        .routes(routes!(search::show_synonyms, search::replace_synonyms))
        .routes(routes!(
            archive_policy::show_archive_policy,
            archive_policy::replace_archive_policy
        ))
        .routes(routes!(archive_policy::preview_archive_policy))
        .routes(routes!(feedback::list_feedback))
        .routes(routes!(feedback::update_feedback))
        .routes(routes!(feedback::show_article_stats))
        .routes(routes!(webhooks::list_webhooks, webhooks::create_webhook))
        .routes(routes!(webhooks::delete_webhook))
        .routes(routes!(webhooks::test_webhook))
        .routes(routes!(webhooks::list_deliveries))
        .routes(routes!(show_me))
        .split_for_parts()
        .map_second(document_problems)
}

trait MapSecond<A, B> {
    fn map_second(self, f: impl FnOnce(B) -> B) -> (A, B);
}

impl<A, B> MapSecond<A, B> for (A, B) {
    fn map_second(self, f: impl FnOnce(B) -> B) -> (A, B) {
        (self.0, f(self.1))
    }
}

/// Makes the document say what every operation really answers: problems as
/// `application/problem+json`; `400`, `413` and `415` wherever a body is read; `400` wherever a
/// query string is read; `429` on every `/api/v1` operation (the per-token limit); `503`
/// everywhere (the database unreachable).
fn document_problems(mut openapi: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let problem = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    PROBLEM_JSON,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build(),
        )
    };
    for (path, item) in &mut openapi.paths.paths {
        let guarded = path.starts_with("/api/v1/");
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.patch,
            &mut item.put,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            for response in operation.responses.responses.values_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                let is_problem = response.content.get("application/json").is_some_and(|c| {
                    matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem"))
                });
                if is_problem
                    && let Some(content) = response.content.shift_remove("application/json")
                {
                    response.content.insert(PROBLEM_JSON.to_owned(), content);
                }
            }
            let mut extra = vec![(
                "503",
                "The database cannot be reached; try again after Retry-After.",
            )];
            let reads_query = operation
                .parameters
                .iter()
                .flatten()
                .any(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query));
            if reads_query {
                extra.push((
                    "400",
                    "The query string could not be read (a parameter given twice, say).",
                ));
            }
            if guarded {
                extra.push((
                    "429",
                    "Over DATELINE_API_PER_MINUTE calls this minute (per token; per client address without one); try again after Retry-After.",
                ));
            }
            if operation.request_body.is_some() {
                extra.push(("400", "The body is not valid JSON."));
                extra.push(("413", "The body is larger than 1 MiB."));
                extra.push(("415", "The body is not JSON."));
            }
            for (status, description) in extra {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| problem(description));
            }
        }
    }
    openapi
}

/// The media type of every error answer (RFC 9457).
const PROBLEM_JSON: &str = "application/problem+json";

/// One documented operation, for the docs page.
pub struct DocOperation {
    pub method: &'static str,
    pub path: String,
    pub summary: String,
    pub tag: String,
}

#[derive(Template)]
#[template(path = "api/docs.html")]
struct DocsPage {
    layout: Layout,
    operations: Vec<DocOperation>,
}

fn operations(openapi: &utoipa::openapi::OpenApi) -> Vec<DocOperation> {
    let mut out = Vec::new();
    for (path, item) in &openapi.paths.paths {
        let methods = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PATCH", &item.patch),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
        ];
        for (method, op) in methods {
            if let Some(op) = op {
                out.push(DocOperation {
                    method,
                    path: path.clone(),
                    summary: op
                        .summary
                        .clone()
                        .or(op.description.clone())
                        .unwrap_or_default(),
                    tag: op
                        .tags
                        .as_ref()
                        .and_then(|t| t.first().cloned())
                        .unwrap_or_default(),
                });
            }
        }
    }
    out.sort_by(|a, b| (a.tag.as_str(), a.path.as_str()).cmp(&(b.tag.as_str(), b.path.as_str())));
    out
}

/// `/api/…`: the authenticated v1 routes behind their guard layer, the OpenAPI document and the
/// docs page; anything else under `/api` is a `404` problem.
pub fn routes(state: AppState) -> Router<AppState> {
    let (v1, openapi) = v1_router();
    let body = crate::web::limits::BodyRules {
        limit: BODY_LIMIT,
        idle: state.config.body_timeout,
        upload: Some(("/api/v1/media", crate::web::limits::UPLOAD_BODY_LIMIT)),
    };
    let v1 = v1
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            require_api_token,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(
            body,
            crate::web::limits::read_body,
        ));
    let document = serde_json::to_value(&openapi).unwrap_or_default();
    let json = Arc::new(serde_json::to_vec_pretty(&rules::apply(document)).unwrap_or_default());
    let docs = Arc::new(operations(&openapi));
    Router::new()
        .merge(v1)
        .route("/api/openapi.json", get(openapi_document).with_state(json))
        .route("/api/docs", get(api_docs).with_state(docs))
        .route("/api", get(api_not_found))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .method_not_allowed_fallback(method_not_allowed)
        // A fault in an API handler is answered as a problem, like every other API error.
        .layer(CatchPanicLayer::custom(
            crate::web::errors::api_panic_response,
        ))
        .layer(middleware::from_fn(crate::cache::http::no_store))
        .layer(crate::web::runtime::OnMainRuntime::current())
}

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "docs",
    responses((status = 200, description = "The OpenAPI 3.1 document of the editor API", content_type = "application/json")))]
async fn openapi_document(State(json): State<Arc<Vec<u8>>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        (*json).clone(),
    )
        .into_response()
}

/// A page listing every operation.
#[utoipa::path(get, path = "/api/docs", tag = "docs",
    responses((status = 200, description = "The API's documentation page", content_type = "text/html")))]
async fn api_docs(State(docs): State<Arc<Vec<DocOperation>>>) -> Response {
    show_docs(&docs)
}

fn show_docs(operations: &[DocOperation]) -> Response {
    let page = DocsPage {
        layout: Layout::new("Editor API", ""),
        operations: operations
            .iter()
            .map(|op| DocOperation {
                method: op.method,
                path: op.path.clone(),
                summary: op.summary.clone(),
                tag: op.tag.clone(),
            })
            .collect(),
    };
    render(&page).unwrap_or_else(IntoResponse::into_response)
}

async fn api_not_found() -> ApiError {
    ApiError(AppError::NoRoute)
}

async fn method_not_allowed() -> ApiError {
    ApiError(AppError::MethodNotAllowed)
}

/// Page and page size of a list.
pub struct ListPage {
    pub page: i64,
    pub per_page: i64,
}

/// A whole number as JSON writes one (digits, no sign, no leading zero), as the OpenAPI
/// document's `integer` query parameters state; `Err(true)` when it is one but past `i64`.
fn parse_whole(raw: &str) -> Result<i64, bool> {
    let canonical = !raw.is_empty()
        && raw.bytes().all(|b| b.is_ascii_digit())
        && (raw == "0" || !raw.starts_with('0'));
    if !canonical {
        return Err(false);
    }
    raw.parse::<i64>().map_err(|_| true)
}

/// `page` (from 1) and `per_page` (1 to 100; larger is capped), with field errors for junk. An
/// empty value is the default, as an absent one.
pub fn parse_page(
    page: Option<&str>,
    per_page: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> ListPage {
    let page = match page.filter(|p| !p.is_empty()) {
        None => 1,
        Some(raw) => match parse_whole(raw) {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => {
                errors.push(FieldError::new(
                    "page",
                    format!("must be a whole number from 1 to {MAX_PAGE}"),
                ));
                1
            }
        },
    };
    let per_page = match per_page.filter(|p| !p.is_empty()) {
        None => 20,
        Some(raw) => match parse_whole(raw) {
            Ok(n) if n >= 1 => n.min(MAX_PER_PAGE),
            Err(true) => MAX_PER_PAGE,
            _ => {
                errors.push(FieldError::new(
                    "per_page",
                    "must be a whole number from 1 to 100",
                ));
                20
            }
        },
    };
    ListPage { page, per_page }
}

/// [`parse_page`] for a list with no other query value to check: junk is a `422` naming the
/// field.
pub fn page_or_422(page: Option<&str>, per_page: Option<&str>) -> Result<ListPage, ApiError> {
    let mut errors = Vec::new();
    let page = parse_page(page, per_page, &mut errors);
    if errors.is_empty() {
        Ok(page)
    } else {
        Err(AppError::Validation(errors).into())
    }
}

/// `true` / `false` (or `1` / `0`) query values; empty is none.
pub fn parse_bool(raw: Option<&str>, field: &str, errors: &mut Vec<FieldError>) -> Option<bool> {
    match raw.filter(|v| !v.is_empty()) {
        None => None,
        Some("true" | "1") => Some(true),
        Some("false" | "0") => Some(false),
        Some(_) => {
            errors.push(FieldError::new(field, "must be true or false"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_numbers_are_whole_numbers_as_json_writes_them() {
        let read = |page: &str, per_page: &str| {
            let mut errors = Vec::new();
            let ListPage { page, per_page } = parse_page(Some(page), Some(per_page), &mut errors);
            (errors.is_empty()).then_some((page, per_page))
        };
        assert_eq!(read("2", "5"), Some((2, 5)));
        assert_eq!(read("", ""), Some((1, 20)));
        assert_eq!(read("1000000", "100"), Some((1_000_000, 100)));
        // Larger pages are capped, however large.
        assert_eq!(read("1", "101"), Some((1, 100)));
        assert_eq!(read("1", "99999999999999999999999"), Some((1, 100)));
        for bad in ["0", "1000001", "+2", "02", " 2", "2 ", "2.0", "-1", "two"] {
            assert_eq!(read(bad, "5"), None, "page {bad:?}");
        }
        for bad in ["0", "+5", "05", "5.0", "-5"] {
            assert_eq!(read("1", bad), None, "per_page {bad:?}");
        }
    }

    #[test]
    fn flags_are_true_false_one_or_zero() {
        let mut errors = Vec::new();
        assert_eq!(parse_bool(Some("true"), "f", &mut errors), Some(true));
        assert_eq!(parse_bool(Some("0"), "f", &mut errors), Some(false));
        assert_eq!(parse_bool(Some(""), "f", &mut errors), None);
        assert!(errors.is_empty());
        assert_eq!(parse_bool(Some(" true"), "f", &mut errors), None);
        assert_eq!(errors.len(), 1);
    }
}

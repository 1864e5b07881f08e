//! `/api/v1/search/synonyms`: the synonym sets search applies to readers' words (CONTRACT
//! §10). Everyone with a token reads; editors and admins replace them.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::db::synonyms::SynonymSets;
use crate::service;
use crate::state::AppState;
use crate::web::api::auth::CurrentUser;
use crate::web::api::extract::IfMatch;
use crate::web::api::json::AppJson;
use crate::web::errors::{ApiError, Problem};

/// The new sets, replacing all of them. Terms are kept in lower case with white space folded;
/// a term may be in one set only.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSynonyms {
    /// E.g. `[["herceptin", "trastuzumab"], ["heart attack", "myocardial infarction"]]`.
    /// Besides what the schema states: a term needs a letter or a digit and a word search
    /// does not ignore ("the" alone is refused), a set two different terms (case aside), and a
    /// term may be in one set only.
    pub sets: Vec<Vec<String>>,
}

fn with_etag(sets: SynonymSets) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{}\"", sets.version)).ok();
    let mut response = Json(sets).into_response();
    if let Some(etag) = etag {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

#[utoipa::path(get, path = "/api/v1/search/synonyms", tag = "search",
    responses((status = 200, body = SynonymSets, description = "The sets, with their version as the ETag"),
        (status = 401, body = Problem)),
    security(("bearer" = [])))]
pub async fn show_synonyms(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<Response, ApiError> {
    Ok(with_etag(service::search::synonyms(&state.pool).await?))
}

#[utoipa::path(put, path = "/api/v1/search/synonyms", tag = "search", request_body = NewSynonyms,
    params(("If-Match" = Option<String>, Header, description = "The version the change was made from; without it the sets are replaced whatever they are")),
    responses((status = 200, body = SynonymSets, description = "Replaced; the next search on every instance uses them"),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 412, body = Problem, description = "Stale: `current` holds the sets as they are now"),
        (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn replace_synonyms(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    AppJson(input): AppJson<NewSynonyms>,
) -> Result<Response, ApiError> {
    let if_match = IfMatch::from_headers(&headers).optional();
    let sets = state.after_commit(
        service::search::replace_synonyms(&state.pool, user.actor(), &input.sets, if_match).await?,
    );
    Ok(with_etag(sets))
}

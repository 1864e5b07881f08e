//! Search synonyms: the sets a search applies to readers' words, one set a line. Everyone
//! signed in reads them; editors and admins change them (as in the API). A change made while
//! someone else saved is never applied silently: the page shows both and asks again.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::auth::admin_layout;
use super::extract::{Admin, AdminForm};
use crate::domain::policy::{Action, can};
use crate::domain::synonyms;
use crate::error::AppError;
use crate::service;
use crate::state::AppState;
use crate::web::pages::{Layout, render};

#[derive(Debug, Default, Deserialize)]
pub struct SynonymsForm {
    #[serde(default)]
    sets: String,
    /// The version the text was written from.
    #[serde(default)]
    version: Option<i32>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Shown {
    /// Set after a save: the number of sets saved.
    saved: Option<usize>,
}

#[derive(Template)]
#[template(path = "admin/synonyms.html")]
pub struct SynonymsPage {
    pub layout: Layout,
    pub nav: super::AdminNav,
    pub csrf: String,
    pub may_edit: bool,
    pub text: String,
    pub version: i32,
    pub count: usize,
    pub message: Option<String>,
    /// Problems, each naming its line.
    pub errors: Vec<String>,
    /// Someone else's sets, saved while this text was being written.
    pub theirs: Option<String>,
}

fn page(admin: &Admin, text: String, version: i32, count: usize) -> SynonymsPage {
    SynonymsPage {
        layout: admin_layout("Search synonyms"),
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        may_edit: can(admin.actor(), Action::ManageSynonyms, None),
        text,
        version,
        count,
        message: None,
        errors: Vec::new(),
        theirs: None,
    }
}

pub async fn show(
    State(state): State<AppState>,
    admin: Admin,
    Query(shown): Query<Shown>,
) -> Result<Response, AppError> {
    let current = service::search::synonyms(&state.pool).await?;
    let mut page = page(
        &admin,
        synonyms::to_lines(&current.sets),
        current.version,
        current.sets.len(),
    );
    page.message = shown.saved.map(|n| {
        format!(
            "Saved {n} {}. The next search on the site uses them.",
            if n == 1 { "set" } else { "sets" }
        )
    });
    render(&page)
}

/// `sets[3][1]` → "Line 7, term 2" (the text's line of the fourth set).
fn where_is(field: &str, lines: &[usize]) -> String {
    let numbers: Vec<usize> = field
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    match numbers.as_slice() {
        [set, term] => format!(
            "Line {}, term {}",
            lines.get(*set).copied().unwrap_or(set + 1),
            term + 1
        ),
        [set] => format!("Line {}", lines.get(*set).copied().unwrap_or(set + 1)),
        _ => "The list".to_owned(),
    }
}

pub async fn save(
    State(state): State<AppState>,
    admin: Admin,
    AdminForm(form): AdminForm<SynonymsForm>,
) -> Result<Response, AppError> {
    let sets = synonyms::from_lines(&form.sets);
    // The line of each set in the text, for messages.
    let lines: Vec<usize> = form
        .sets
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, _)| n + 1)
        .collect();
    let result =
        service::search::replace_synonyms(&state.pool, admin.actor(), &sets, form.version).await;
    match result.map(|done| state.after_commit(done)) {
        Ok(saved) => Ok(Redirect::to(&format!(
            "/admin/search/synonyms?saved={}",
            saved.sets.len()
        ))
        .into_response()),
        Err(AppError::Validation(errors)) => {
            let current = service::search::synonyms(&state.pool).await?;
            let mut page = page(
                &admin,
                form.sets.clone(),
                form.version.unwrap_or(current.version),
                current.sets.len(),
            );
            page.errors = errors
                .iter()
                .map(|e| format!("{}: {}.", where_is(&e.field, &lines), e.message))
                .collect();
            let mut response = render(&page)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(AppError::PreconditionFailed(..)) => {
            let current = service::search::synonyms(&state.pool).await?;
            // Saving again replaces theirs with this text: the version is now theirs.
            let mut page = page(
                &admin,
                form.sets.clone(),
                current.version,
                current.sets.len(),
            );
            page.theirs = Some(synonyms::to_lines(&current.sets));
            let mut response = render(&page)?;
            *response.status_mut() = StatusCode::CONFLICT;
            Ok(response)
        }
        Err(other) => Err(other),
    }
}

//! Topics: list with story counts, create, edit (name, slug, description).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::auth::admin_layout;
use super::extract::{Admin, AdminForm, AdminPath};
use super::require;
use crate::db;
use crate::domain::policy::Action;
use crate::error::{AppError, FieldError};
use crate::service;
use crate::state::AppState;
use crate::web::pages::{Layout, render};

#[derive(Debug, Default, Deserialize)]
pub struct TopicForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

pub struct TopicLine {
    pub slug: String,
    pub name: String,
    pub stories: i64,
}

#[derive(Template)]
#[template(path = "admin/topics.html")]
pub struct TopicsPage {
    pub layout: Layout,
    pub nav: super::AdminNav,
    pub csrf: String,
    pub topics: Vec<TopicLine>,
    /// The topic being edited, or `None` on the list.
    pub editing: Option<String>,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub errors: Vec<FieldError>,
}

impl TopicsPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        crate::error::message_for(&self.errors, field)
    }
}

async fn page(
    state: &AppState,
    admin: &Admin,
    editing: Option<String>,
    form: &TopicForm,
    errors: Vec<FieldError>,
) -> Result<TopicsPage, AppError> {
    let topics = db::topics::list_with_counts(&state.pool).await?;
    Ok(TopicsPage {
        layout: admin_layout("Topics"),
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        topics: topics
            .into_iter()
            .map(|t| TopicLine {
                slug: t.slug,
                name: t.name,
                stories: t.story_count,
            })
            .collect(),
        editing,
        slug: form.slug.clone(),
        name: form.name.clone(),
        description: form.description.clone(),
        errors,
    })
}

pub async fn list(State(state): State<AppState>, admin: Admin) -> Result<Response, AppError> {
    require(&admin.user, Action::ManageTopics)?;
    render(&page(&state, &admin, None, &TopicForm::default(), Vec::new()).await?)
}

pub async fn create(
    State(state): State<AppState>,
    admin: Admin,
    AdminForm(form): AdminForm<TopicForm>,
) -> Result<Response, AppError> {
    let created = service::topics::create(
        &state.pool,
        admin.actor(),
        // A blank slug is made from the name.
        Some(form.slug.trim().to_owned()).filter(|s| !s.is_empty()),
        Some(&form.name),
        Some(&form.description),
    )
    .await;
    match created.map(|done| state.after_commit(done)) {
        Ok(_) => Ok(Redirect::to("/admin/topics").into_response()),
        Err(AppError::Validation(errors) | AppError::FieldConflict(errors)) => {
            let mut response = render(&page(&state, &admin, None, &form, errors).await?)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(other) => Err(other),
    }
}

pub async fn edit(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(slug): AdminPath<String>,
) -> Result<Response, AppError> {
    require(&admin.user, Action::ManageTopics)?;
    let topic = db::topics::find_by_slug(&state.pool, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = TopicForm {
        slug: topic.slug.clone(),
        name: topic.name,
        description: topic.description,
    };
    render(&page(&state, &admin, Some(topic.slug), &form, Vec::new()).await?)
}

pub async fn update(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(slug): AdminPath<String>,
    AdminForm(form): AdminForm<TopicForm>,
) -> Result<Response, AppError> {
    let updated = service::topics::update(
        &state.pool,
        admin.actor(),
        &slug,
        Some(form.slug.clone()),
        Some(form.name.clone()),
        Some(form.description.clone()),
    )
    .await;
    match updated.map(|done| state.after_commit(done)) {
        Ok(_) => Ok(Redirect::to("/admin/topics").into_response()),
        Err(AppError::Validation(errors) | AppError::FieldConflict(errors)) => {
            let mut response = render(&page(&state, &admin, Some(slug), &form, errors).await?)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(other) => Err(other),
    }
}

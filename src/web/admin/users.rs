//! Users and API tokens, for admins: create a user, change a role, disable a user (which ends
//! their sessions and stops their tokens), create a token (shown once) and revoke one.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::auth::admin_layout;
use super::extract::{Admin, AdminForm, AdminPath, NoFields};
use super::require;
use crate::db;
use crate::domain::policy::{Action, Role};
use crate::error::{AppError, FieldError};
use crate::service;
use crate::state::AppState;
use crate::web::pages::{Layout, render};

pub const ROLES: [&str; 3] = ["admin", "editor", "contributor"];

pub struct UserLine {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub disabled: bool,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    pub layout: Layout,
    pub nav: super::AdminNav,
    pub csrf: String,
    pub users: Vec<UserLine>,
    pub errors: Vec<FieldError>,
    pub email: String,
    pub name: String,
    pub role: String,
}

impl UsersPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        crate::error::message_for(&self.errors, field)
    }
}

async fn users_page(
    state: &AppState,
    admin: &Admin,
    errors: Vec<FieldError>,
    form: Option<&NewUserForm>,
) -> Result<UsersPage, AppError> {
    let users = db::users::list_all(&state.pool).await?;
    Ok(UsersPage {
        layout: admin_layout("Users"),
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        users: users
            .into_iter()
            .map(|u| UserLine {
                id: u.id.to_string(),
                name: u.name,
                email: u.email,
                role: u.role.as_str(),
                disabled: u.disabled_at.is_some(),
            })
            .collect(),
        errors,
        email: form.map(|f| f.email.clone()).unwrap_or_default(),
        name: form.map(|f| f.name.clone()).unwrap_or_default(),
        role: form.map_or_else(|| "editor".to_owned(), |f| f.role.clone()),
    })
}

pub async fn list(State(state): State<AppState>, admin: Admin) -> Result<Response, AppError> {
    require(&admin.user, Action::ManageUsers)?;
    render(&users_page(&state, &admin, Vec::new(), None).await?)
}

#[derive(Debug, Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

pub async fn create(
    State(state): State<AppState>,
    admin: Admin,
    AdminForm(form): AdminForm<NewUserForm>,
) -> Result<Response, AppError> {
    require(&admin.user, Action::ManageUsers)?;
    let Some(role) = Role::parse(&form.role) else {
        let errors = vec![FieldError::new(
            "role",
            "must be admin, editor or contributor",
        )];
        let mut response = render(&users_page(&state, &admin, errors, Some(&form)).await?)?;
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    };
    match service::users::create_user_by(
        &state.pool,
        Some(admin.user.id),
        &form.email,
        &form.name,
        role,
        &form.password,
    )
    .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/admin/users/{id}")).into_response()),
        Err(AppError::Validation(errors)) => {
            let mut response = render(&users_page(&state, &admin, errors, Some(&form)).await?)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(AppError::Conflict(_)) => {
            let errors = vec![FieldError::new("email", "already belongs to an account")];
            let mut response = render(&users_page(&state, &admin, errors, Some(&form)).await?)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(other) => Err(other),
    }
}

pub struct TokenLine {
    pub id: String,
    pub name: String,
    pub created: String,
    pub last_used: String,
    pub revoked: bool,
}

#[derive(Template)]
#[template(path = "admin/user.html")]
pub struct UserPage {
    pub layout: Layout,
    pub nav: super::AdminNav,
    pub csrf: String,
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub disabled: bool,
    pub myself: bool,
    pub tokens: Vec<TokenLine>,
    /// A token just created: shown this once.
    pub new_token: Option<String>,
    pub error: Option<String>,
}

async fn user_page(
    state: &AppState,
    admin: &Admin,
    id: Uuid,
    new_token: Option<String>,
    error: Option<String>,
) -> Result<UserPage, AppError> {
    let target = db::users::find_row(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let tokens = db::users::list_tokens(&state.pool, id).await?;
    let tz = &state.config.timezone;
    Ok(UserPage {
        layout: admin_layout(&target.name),
        myself: admin.user.id == id,
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        id: id.to_string(),
        name: target.name,
        email: target.email,
        role: target.role.as_str(),
        disabled: target.disabled_at.is_some(),
        tokens: tokens
            .into_iter()
            .map(|t| TokenLine {
                id: t.id.to_string(),
                name: t.name,
                created: crate::domain::dates::long_datetime(t.created_at, tz),
                last_used: t
                    .last_used_at
                    .map(|at| crate::domain::dates::long_datetime(at, tz))
                    .unwrap_or_else(|| "never".to_owned()),
                revoked: t.revoked_at.is_some(),
            })
            .collect(),
        new_token,
        error,
    })
}

pub async fn show(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
) -> Result<Response, AppError> {
    require(&admin.user, Action::ManageUsers)?;
    render(&user_page(&state, &admin, id, None, None).await?)
}

#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
    AdminForm(form): AdminForm<RoleForm>,
) -> Result<Response, AppError> {
    require(&admin.user, Action::ManageUsers)?;
    let outcome = match Role::parse(&form.role) {
        Some(role) => service::users::change_role(&state.pool, admin.user.id, id, role).await,
        None => Err(AppError::field(
            "role",
            "must be admin, editor or contributor",
        )),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/admin/users/{id}")).into_response()),
        Err(AppError::Validation(errors)) => {
            let message = errors
                .first()
                .map(|e| format!("The role {}.", e.message))
                .unwrap_or_default();
            let mut response = render(&user_page(&state, &admin, id, None, Some(message)).await?)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(other) => Err(other),
    }
}

pub async fn disable(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
    _: AdminForm<NoFields>,
) -> Result<Response, AppError> {
    require(&admin.user, Action::ManageUsers)?;
    service::users::disable_user(&state.pool, admin.user.id, id).await?;
    Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
    AdminForm(form): AdminForm<TokenForm>,
) -> Result<Response, AppError> {
    require(&admin.user, Action::ManageUsers)?;
    let target = db::users::find_row(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    match service::users::create_token_by(
        &state.pool,
        Some(admin.user.id),
        &target.email,
        &form.name,
    )
    .await
    {
        // Rendered, not redirected: the secret is shown this once and stored nowhere.
        Ok((_, secret)) => render(&user_page(&state, &admin, id, Some(secret), None).await?),
        Err(AppError::Validation(errors)) => {
            let message = errors
                .first()
                .map(|e| format!("The token's {} {}.", e.field, e.message))
                .unwrap_or_default();
            let mut response = render(&user_page(&state, &admin, id, None, Some(message)).await?)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(other) => Err(other),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath((id, token)): AdminPath<(Uuid, Uuid)>,
    _: AdminForm<NoFields>,
) -> Result<Response, AppError> {
    require(&admin.user, Action::ManageUsers)?;
    // Only a token of this user.
    let owned = db::users::list_tokens(&state.pool, id)
        .await?
        .iter()
        .any(|t| t.id == token);
    if !owned {
        return Err(AppError::NotFound);
    }
    service::users::revoke_token_by(&state.pool, Some(admin.user.id), token).await?;
    Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
}

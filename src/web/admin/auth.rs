//! Sign-in, sign-out and password change.

use std::net::SocketAddr;

use askama::Template;
use axum::Extension;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::extract::{Admin, AdminForm, NoFields};
use super::{csrf_token, safe_next, start_session};
use crate::error::{AppError, FieldError};
use crate::service::auth::LoginOutcome;
use crate::state::AppState;
use crate::web::pages::{Layout, render};

#[derive(Template)]
#[template(path = "admin/login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub csrf: String,
    pub email: String,
    pub next: String,
    pub error: Option<String>,
    pub notice: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    signed_out: Option<String>,
}

pub async fn show_login(
    session: Session,
    Query(query): Query<LoginQuery>,
) -> Result<Response, AppError> {
    render(&LoginPage {
        layout: admin_layout("Sign in"),
        csrf: csrf_token(&session).await?,
        email: String::new(),
        next: safe_next(query.next.as_deref()),
        error: None,
        notice: query
            .signed_out
            .is_some()
            .then(|| "You have signed out.".to_owned()),
    })
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    session: Session,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    AdminForm(form): AdminForm<LoginForm>,
) -> Result<Response, AppError> {
    let next = safe_next(form.next.as_deref());
    let client =
        crate::web::limits::client_hash(&state, connect.as_ref().map(|c| &c.0), &headers).await?;
    let again = |status: StatusCode, message: &str, csrf: String| {
        let page = LoginPage {
            layout: admin_layout("Sign in"),
            csrf,
            email: form.email.chars().take(254).collect(),
            next: next.clone(),
            error: Some(message.to_owned()),
            notice: None,
        };
        render(&page).map(|mut response| {
            *response.status_mut() = status;
            response
        })
    };
    match crate::service::auth::login(&state.pool, &form.email, &form.password, &client).await? {
        LoginOutcome::SignedIn(user) => {
            start_session(&session, &user).await?;
            Ok(Redirect::to(&next).into_response())
        }
        LoginOutcome::Invalid => again(
            StatusCode::UNAUTHORIZED,
            "That email and password do not match an account.",
            csrf_token(&session).await?,
        ),
        LoginOutcome::Throttled(secs) => {
            let mut response = again(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "Too many failed attempts. Try again in {secs} second{}.",
                    if secs == 1 { "" } else { "s" }
                ),
                csrf_token(&session).await?,
            )?;
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            Ok(response)
        }
    }
}

pub async fn logout(
    State(state): State<AppState>,
    admin: Admin,
    _: AdminForm<NoFields>,
) -> Result<Response, AppError> {
    crate::db::audit::record(
        &state.pool,
        Some(admin.user.id),
        "user.logout",
        "user",
        Some(admin.user.id),
        serde_json::json!({}),
    )
    .await?;
    // Deletes the session row: the cookie is worthless from now on.
    admin.session.flush().await.map_err(super::session_failed)?;
    Ok(Redirect::to("/admin/login?signed_out=1").into_response())
}

#[derive(Template)]
#[template(path = "admin/password.html")]
pub struct PasswordPage {
    pub layout: Layout,
    pub nav: super::AdminNav,
    pub csrf: String,
    pub errors: Vec<FieldError>,
    pub done: bool,
}

impl PasswordPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        crate::error::message_for(&self.errors, field)
    }
}

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn show_password(
    admin: Admin,
    Query(query): Query<DoneQuery>,
) -> Result<Response, AppError> {
    render(&PasswordPage {
        layout: admin_layout("Change your password"),
        nav: admin.nav,
        csrf: admin.csrf,
        errors: Vec::new(),
        done: query.done.is_some(),
    })
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    admin: Admin,
    AdminForm(form): AdminForm<PasswordForm>,
) -> Result<Response, AppError> {
    match crate::service::auth::change_password(
        &state.pool,
        &admin.user,
        &form.current_password,
        &form.new_password,
        &form.confirm_password,
    )
    .await
    {
        Ok(epoch) => {
            // Every other session of this user has ended; this one starts afresh.
            let mut user = admin.user;
            user.session_epoch = epoch;
            start_session(&admin.session, &user).await?;
            Ok(Redirect::to("/admin/password?done=1").into_response())
        }
        Err(AppError::Validation(errors)) => {
            let page = PasswordPage {
                layout: admin_layout("Change your password"),
                nav: admin.nav,
                csrf: admin.csrf,
                errors,
                done: false,
            };
            let mut response = render(&page)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(other) => Err(other),
    }
}

/// The admin pages' layout data: never indexed.
pub fn admin_layout(title: &str) -> Layout {
    let mut layout = Layout::new(title, "admin");
    layout.noindex = true;
    layout
}

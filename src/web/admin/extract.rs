//! What every admin handler starts with, said once: [`Admin`] (the signed-in user, their
//! navigation and the session's form token), [`AdminForm`] (a form whose CSRF token is checked
//! and whose fields serde reads) and [`AdminPath`] (a path value that names nothing when it does
//! not parse: `404`). As the API's extractors do for it (`crate::web::api::{auth, json, extract}`).

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use tower_sessions::Session;

use super::{ADMIN_BODY_LIMIT, AdminNav, AdminUser, check_csrf, csrf_token};
use crate::db::logins::LoginUser;
use crate::domain::policy::Actor;
use crate::error::{AppError, FieldError};

/// The signed-in user of an admin page, with what every page shows them.
#[derive(Debug, Clone)]
pub struct Admin {
    pub user: LoginUser,
    /// The navigation their role is offered.
    pub nav: AdminNav,
    /// The session's form token, for the page's forms (sign-out among them).
    pub csrf: String,
    pub session: Session,
}

impl Admin {
    pub fn actor(&self) -> Actor {
        self.user.actor()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = AppError;

    /// Fails closed: without the user the session guard found, the request is refused.
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let AdminUser(user) = parts
            .extensions
            .get::<AdminUser>()
            .cloned()
            .ok_or(AppError::Forbidden)?;
        let session = session(parts, state).await?;
        Ok(Self {
            nav: AdminNav::new(&user),
            csrf: csrf_token(&session).await?,
            user,
            session,
        })
    }
}

async fn session<S: Send + Sync>(parts: &mut Parts, state: &S) -> Result<Session, AppError> {
    Session::from_request_parts(parts, state)
        .await
        .map_err(|_| {
            AppError::Internal(anyhow::anyhow!("the admin routes lost their session layer"))
        })
}

/// A form posted from an admin page: a value holding NUL is refused naming its field (`422`,
/// as the API does, since PostgreSQL text cannot hold it), the `csrf` field must match the
/// session's token (`403`), and serde reads the fields (a repeated one into a `Vec`).
#[derive(Debug, Clone)]
pub struct AdminForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for AdminForm<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let session = session(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, ADMIN_BODY_LIMIT)
            .await
            .map_err(|_| AppError::PayloadTooLarge)?;
        let (errors, csrf) = scan(&bytes);
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        check_csrf(&session, &csrf).await?;
        serde_html_form::from_bytes(&bytes)
            .map(Self)
            .map_err(|err| AppError::BadRequest(format!("The form could not be read: {err}.")))
    }
}

/// The fields holding NUL, and the form token.
fn scan(body: &[u8]) -> (Vec<FieldError>, String) {
    let mut errors = Vec::new();
    let mut csrf = String::new();
    for (key, value) in url::form_urlencoded::parse(body) {
        if value.contains('\0') {
            errors.push(FieldError::new(
                key.into_owned(),
                "must not contain NUL characters",
            ));
        } else if key == "csrf" {
            csrf = value.into_owned();
        }
    }
    (errors, csrf)
}

/// A value from the path; one that does not parse (an id that is not a UUID, say) names no page
/// there is: `404`.
#[derive(Debug, Clone)]
pub struct AdminPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for AdminPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Self(value))
            .map_err(|_| AppError::NotFound)
    }
}

/// The form of a page whose only field is its token (sign out, disable, revoke, delete).
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
pub struct NoFields {}

/// For a form field where an empty value means none (an unselected choice).
pub fn empty_as_none<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    let raw = <String as serde::Deserialize>::deserialize(deserializer)?;
    if raw.trim().is_empty() {
        return Ok(None);
    }
    T::deserialize(serde::de::value::StringDeserializer::<D::Error>::new(raw)).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_finds_the_token_and_every_field_holding_nul() {
        let (errors, csrf) = scan(b"title=a%00b&csrf=t0k&dek=ok&slug=%00");
        assert_eq!(csrf, "t0k");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "slug"]);
    }
}

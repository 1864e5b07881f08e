//! The admin web UI: sign-in with sessions in PostgreSQL, CSRF protection on every form, and
//! the editors' pages. Server-rendered; every write goes through the service layer.

mod archive_policy;
mod audit;
pub(crate) mod auth;
mod dashboard;
mod deleted;
mod editor;
pub mod extract;
pub mod feedback;
mod media;
mod people;
mod review_queue;
mod revisions;
mod synonyms;
mod topics;
pub mod users;
mod webhooks;

use axum::Router;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use rand::RngCore;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

use crate::db::logins::LoginUser;
use crate::error::AppError;
use crate::state::AppState;

/// Session keys.
const USER_ID: &str = "user_id";
const EPOCH: &str = "epoch";
const SIGNED_IN_AT: &str = "signed_in_at";
const CSRF: &str = "csrf";

/// A session ends after two idle hours, and twelve hours after sign-in whatever happens.
pub const IDLE_TIMEOUT: time::Duration = time::Duration::hours(2);
pub const ABSOLUTE_TIMEOUT_SECS: i64 = 12 * 3600;

/// A session store that cannot be read or written is the database being unreachable: `503`
/// with `Retry-After`, never a `500`.
pub(crate) fn session_failed(err: tower_sessions::session::Error) -> AppError {
    tracing::warn!(error = %err, "session store unavailable");
    AppError::Unavailable
}

/// The session cookie's name and whether it is `Secure`: over https, `__Host-` prefixed (bound
/// to this host, path `/`, never sent over http).
pub fn session_cookie(base_url: &str) -> (&'static str, bool) {
    if base_url.starts_with("https://") {
        ("__Host-dateline_session", true)
    } else {
        ("dateline_session", false)
    }
}

/// The largest admin form accepted (`413` above).
pub const ADMIN_BODY_LIMIT: usize = 1024 * 1024;

/// tower-sessions answers a bare `500` (no body) when it cannot save a session; that is the
/// database being unreachable, so it becomes our `503` page with `Retry-After`. Every `500` of
/// our own has a body and a content type, so none is mistaken for it.
async fn session_save_failed(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() == StatusCode::INTERNAL_SERVER_ERROR
        && !response.headers().contains_key(header::CONTENT_TYPE)
    {
        return AppError::Unavailable.into_response();
    }
    response
}

/// Error pages under `/admin` in the admin's own layout (its header, no public search box or
/// footer, a way back to the dashboard). The status and headers (`Retry-After`, `Allow` …) are
/// kept; only the HTML is rendered again.
async fn admin_error_pages(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let Some(shown) = response
        .extensions_mut()
        .remove::<crate::web::errors::ShownError>()
    else {
        return response;
    };
    let status = response.status();
    let mut layout = crate::web::pages::Layout::new(&shown.heading, "");
    layout.noindex = true;
    let page = crate::web::pages::AdminErrorPage {
        layout,
        code: status.as_u16(),
        heading: shown.heading,
        message: shown.message,
    };
    let Ok(html) = askama::Template::render(&page) else {
        return response;
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(html))
}

/// The admin navigation: who is signed in, and the sections their role may open (each asked
/// of [`crate::domain::policy::can`], so the browser offers exactly what the server allows).
#[derive(Debug, Clone)]
pub struct AdminNav {
    pub user_name: String,
    pub role: &'static str,
    pub feedback: bool,
    pub topics: bool,
    /// May add, change and delete people (everyone may read them).
    pub people: bool,
    pub users: bool,
    pub audit: bool,
    pub deleted: bool,
    /// May see and change the archive policy.
    pub archive_policy: bool,
    /// May manage webhooks (admins).
    pub webhooks: bool,
}

impl AdminNav {
    pub fn new(user: &LoginUser) -> Self {
        use crate::domain::policy::{Action, can};
        let actor = user.actor();
        let allows = |action| can(actor, action, None);
        Self {
            user_name: user.name.clone(),
            role: user.role.as_str(),
            feedback: allows(Action::ViewFeedback),
            topics: allows(Action::ManageTopics),
            people: allows(Action::ManagePeople),
            users: allows(Action::ManageUsers),
            audit: allows(Action::ViewAuditLog),
            deleted: allows(Action::RestoreDeletedArticle),
            archive_policy: allows(Action::ArchiveArticle),
            webhooks: allows(Action::ManageWebhooks),
        }
    }
}

/// The signed-in user, set by `require_session`.
#[derive(Debug, Clone)]
pub struct AdminUser(pub LoginUser);

pub fn routes(state: AppState) -> Router<AppState> {
    let body = crate::web::limits::BodyRules {
        limit: ADMIN_BODY_LIMIT,
        idle: state.config.body_timeout,
        upload: Some(("/admin/media", crate::web::limits::UPLOAD_BODY_LIMIT)),
    };
    let (cookie, secure) = session_cookie(&state.config.base_url);
    let store = PostgresStore::new(state.pool.clone());
    let sessions = SessionManagerLayer::new(store)
        .with_name(cookie)
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(IDLE_TIMEOUT));
    let signed_in = Router::new()
        .route("/admin", get(dashboard::show))
        .route("/admin/", get(dashboard::show))
        .route(
            "/admin/password",
            get(auth::show_password).post(auth::change_password),
        )
        .route("/admin/logout", post(auth::logout))
        .route(
            "/admin/feedback",
            get(feedback::show_inbox).post(feedback::triage),
        )
        .route("/admin/feedback.csv", get(feedback::export_csv))
        .route("/admin/stories", post(editor::create))
        .route("/admin/stories/bulk", post(dashboard::bulk))
        .route("/admin/stories/new", get(editor::new_story))
        .route("/admin/stories/{id}", get(editor::edit).post(editor::save))
        .route("/admin/stories/{id}/action", post(editor::publishing::act))
        .route("/admin/stories/{id}/delete", post(deleted::delete_story))
        .route("/admin/stories/{id}/restore", post(deleted::restore_story))
        .route("/admin/deleted", get(deleted::list_deleted))
        .route(
            "/admin/stories/{id}/autosave",
            post(editor::tools::autosave),
        )
        .route(
            "/admin/stories/{id}/autosave/discard",
            post(editor::tools::discard_autosave),
        )
        .route(
            "/admin/stories/{id}/preview-links",
            post(editor::tools::create_preview_link),
        )
        .route(
            "/admin/preview-links/{id}/revoke",
            post(editor::tools::revoke_preview_link),
        )
        .route("/admin/preview", post(editor::tools::preview))
        .route(
            "/admin/stories/{id}/presence",
            post(editor::presence::heartbeat),
        )
        .route("/admin/stories/{id}/revisions", get(revisions::show))
        .route(
            "/admin/stories/{id}/revisions/{number}/restore",
            get(revisions::confirm_restore).post(revisions::restore),
        )
        .route("/admin/topics", get(topics::list).post(topics::create))
        .route(
            "/admin/topics/{slug}",
            get(topics::edit).post(topics::update),
        )
        .route(
            "/admin/media",
            get(media::list)
                .post(media::upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::web::limits::UPLOAD_BODY_LIMIT,
                )),
        )
        .route("/admin/media/{id}", get(media::show).post(media::update))
        .route("/admin/media/{id}/delete", post(media::delete))
        .route("/admin/people", get(people::list).post(people::create))
        .route(
            "/admin/people/{slug}",
            get(people::edit).post(people::update),
        )
        .route("/admin/people/{slug}/delete", post(people::delete))
        .route(
            "/admin/search/synonyms",
            get(synonyms::show).post(synonyms::save),
        )
        .route(
            "/admin/archive-policy",
            get(archive_policy::show).post(archive_policy::save),
        )
        .route(
            "/admin/webhooks",
            get(webhooks::list).post(webhooks::create),
        )
        .route("/admin/webhooks/{id}", get(webhooks::show))
        .route(
            "/admin/webhooks/{id}/delete",
            get(webhooks::confirm_delete).post(webhooks::delete),
        )
        .route("/admin/webhooks/{id}/test", post(webhooks::send_test))
        .route("/admin/audit", get(audit::show))
        .route("/admin/users", get(users::list).post(users::create))
        .route("/admin/users/{id}", get(users::show))
        .route("/admin/users/{id}/role", post(users::change_role))
        .route("/admin/users/{id}/disable", post(users::disable))
        .route("/admin/users/{id}/tokens", post(users::create_token))
        .route(
            "/admin/users/{id}/tokens/{token}/revoke",
            post(users::revoke_token),
        )
        .route("/admin/feedback/stories/{id}", get(feedback::show_story))
        .route("/admin/feedback/entries/{id}", get(feedback::show_entry))
        .route(
            "/admin/feedback/entries/{id}/note",
            post(feedback::update_note),
        )
        .route("/admin/{*rest}", axum::routing::any(crate::web::not_found))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            require_session,
        ));
    Router::new()
        .route("/admin/login", get(auth::show_login).post(auth::login))
        .merge(signed_in)
        .layer(middleware::from_fn_with_state(state, same_origin_writes))
        .layer(sessions)
        .layer(middleware::from_fn(session_save_failed))
        .layer(middleware::from_fn(admin_error_pages))
        .layer(middleware::from_fn(crate::cache::http::no_store))
        // A story body is at most 200,000 bytes; with the other fields, form-encoded, 1 MiB.
        .layer(axum::extract::DefaultBodyLimit::max(ADMIN_BODY_LIMIT))
        .layer(middleware::from_fn_with_state(
            body,
            crate::web::limits::read_body,
        ))
        // Sessions, the editors' pages and their writes use the pool.
        .layer(crate::web::runtime::OnMainRuntime::current())
}

/// `403` unless the signed-in user may do `action`.
pub(crate) fn require(
    user: &LoginUser,
    action: crate::domain::policy::Action,
) -> Result<(), AppError> {
    if crate::domain::policy::can(user.actor(), action, None) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Refuses state-changing requests sent from another site: `Sec-Fetch-Site` when the browser
/// sends it, else `Origin` against the configured base URL. The form token is checked by each
/// handler ([`check_csrf`]).
async fn same_origin_writes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    if !same_origin(request.headers(), &state.config.base_url) {
        return AppError::Forbidden.into_response();
    }
    next.run(request).await
}

fn same_origin(headers: &HeaderMap, base_url: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) => origin == base_url || origin_of(base_url) == origin,
        // Neither header: not a browser form post from another site.
        None => true,
    }
}

fn origin_of(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}

/// The session's CSRF token, created when missing.
pub async fn csrf_token(session: &Session) -> Result<String, AppError> {
    if let Some(token) = session.get::<String>(CSRF).await.map_err(session_failed)? {
        return Ok(token);
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    session.insert(CSRF, &token).await.map_err(session_failed)?;
    Ok(token)
}

/// Checks a form's CSRF token against the session's, in constant time.
pub async fn check_csrf(session: &Session, sent: &str) -> Result<(), AppError> {
    let expected = session
        .get::<String>(CSRF)
        .await
        .map_err(session_failed)?
        .unwrap_or_default();
    let equal = !expected.is_empty()
        && expected.len() == sent.len()
        && expected
            .bytes()
            .zip(sent.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if equal {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Lets signed-in users through (as [`AdminUser`]); sends everyone else to the sign-in page.
async fn require_session(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    match session_user(&state, &session).await {
        Ok(Some(user)) => {
            request.extensions_mut().insert(AdminUser(user));
            next.run(request).await
        }
        Ok(None) => {
            let next_path = request
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            let target = format!(
                "/admin/login?next={}",
                url::form_urlencoded::byte_serialize(next_path.as_bytes()).collect::<String>()
            );
            if request.method() == Method::GET {
                Redirect::to(&target).into_response()
            } else {
                (StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response()
            }
        }
        Err(err) => err.into_response(),
    }
}

async fn session_user(state: &AppState, session: &Session) -> Result<Option<LoginUser>, AppError> {
    let internal = session_failed;
    let Some(id) = session.get::<uuid::Uuid>(USER_ID).await.map_err(internal)? else {
        return Ok(None);
    };
    let epoch = session
        .get::<i32>(EPOCH)
        .await
        .map_err(internal)?
        .unwrap_or(-1);
    let signed_in_at = session
        .get::<i64>(SIGNED_IN_AT)
        .await
        .map_err(internal)?
        .unwrap_or(0);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if now - signed_in_at > ABSOLUTE_TIMEOUT_SECS {
        session.flush().await.map_err(internal)?;
        return Ok(None);
    }
    let user = crate::db::logins::find_session_user(&state.pool, id, epoch).await?;
    if user.is_none() {
        // Disabled, or the password changed: this session is over.
        session.flush().await.map_err(internal)?;
    }
    Ok(user)
}

/// Starts a fresh session (a new id) for `user`.
async fn start_session(session: &Session, user: &LoginUser) -> Result<(), AppError> {
    let internal = session_failed;
    session.cycle_id().await.map_err(internal)?;
    session.insert(USER_ID, user.id).await.map_err(internal)?;
    session
        .insert(EPOCH, user.session_epoch)
        .await
        .map_err(internal)?;
    session
        .insert(
            SIGNED_IN_AT,
            time::OffsetDateTime::now_utc().unix_timestamp(),
        )
        .await
        .map_err(internal)?;
    // A new form token too: one seen before sign-in is not trusted after it.
    session.remove::<String>(CSRF).await.map_err(internal)?;
    csrf_token(session).await?;
    Ok(())
}

/// Only paths inside the admin UI are followed after sign-in (no open redirects).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with("/admin")
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.starts_with("/admin/login")
                && !path.starts_with("/admin/logout") =>
        {
            path.to_owned()
        }
        _ => "/admin".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn only_admin_paths_are_followed_after_sign_in() {
        assert_eq!(
            safe_next(Some("/admin?status=draft")),
            "/admin?status=draft"
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/research-news",
            "/admin/logout",
        ] {
            assert_eq!(safe_next(Some(bad)), "/admin", "{bad}");
        }
        assert_eq!(safe_next(None), "/admin");
    }

    #[test]
    fn cross_site_writes_are_told_apart() {
        let base = "https://news.example.org";
        let mut headers = HeaderMap::new();
        assert!(same_origin(&headers, base));
        headers.insert(
            "origin",
            HeaderValue::from_static("https://news.example.org"),
        );
        assert!(same_origin(&headers, base));
        headers.insert("origin", HeaderValue::from_static("https://evil.example"));
        assert!(!same_origin(&headers, base));
        headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&headers, base));
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_origin(&headers, base));
    }
}

//! People credited on stories: the list, adding someone, editing and deleting them. Everyone
//! signed in may read; editors and admins change (as in the API).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::auth::admin_layout;
use super::extract::{Admin, AdminForm, AdminPath, NoFields};
use crate::db;
use crate::domain::person::{Person, PersonChanges};
use crate::error::{AppError, FieldError};
use crate::service;
use crate::state::AppState;
use crate::web::pages::{Layout, render};

/// The person form as posted.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct PersonForm {
    pub slug: String,
    pub name: String,
    pub credentials: String,
    pub bio: String,
    /// One link per line.
    pub same_as: String,
    /// A media id, or empty.
    pub photo: String,
    /// The version the form was loaded at (editing only).
    pub version: Option<i32>,
}

impl PersonForm {
    fn of(person: &Person) -> Self {
        Self {
            slug: person.slug.clone(),
            name: person.name.clone(),
            credentials: person.credentials.clone(),
            bio: person.bio.clone(),
            same_as: person.same_as.join("\n"),
            photo: person.photo.map(|id| id.to_string()).unwrap_or_default(),
            version: Some(person.version),
        }
    }

    fn changes(&self) -> PersonChanges {
        let photo = match self.photo.trim() {
            "" => None,
            // Not an id: no image of the library, which the service says (422, `photo`).
            raw => Some(uuid::Uuid::parse_str(raw).unwrap_or(uuid::Uuid::nil())),
        };
        PersonChanges {
            slug: Some(self.slug.trim().to_owned()).filter(|s| !s.is_empty()),
            name: Some(self.name.clone()),
            credentials: Some(self.credentials.clone()),
            bio: Some(self.bio.replace("\r\n", "\n")),
            photo: Some(photo),
            same_as: Some(
                self.same_as
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
        }
    }
}

pub struct PersonLine {
    pub slug: String,
    pub name: String,
    pub credentials: String,
}

#[derive(Template)]
#[template(path = "admin/people.html")]
pub struct PeoplePage {
    pub layout: Layout,
    pub nav: super::AdminNav,
    pub csrf: String,
    pub people: Vec<PersonLine>,
    /// Recent images of the library, for the photo picker.
    pub library: Vec<crate::domain::media::Media>,
    /// The person being edited (their slug as stored), or `None` on the list.
    pub editing: Option<String>,
    pub form: PersonForm,
    pub errors: Vec<FieldError>,
    /// A whole-form message (a conflict, a person still credited).
    pub problem: Option<String>,
    pub message: Option<String>,
}

impl PeoplePage {
    /// How an image is named in the photo picker.
    pub fn media_label(&self, media: &crate::domain::media::Media) -> String {
        let name: String = if media.decorative {
            "Decorative image".to_owned()
        } else {
            media.alt.chars().take(80).collect()
        };
        format!("{name} ({} × {})", media.width, media.height)
    }

    pub fn error_for(&self, field: &str) -> Option<&str> {
        // `same_as[2]` and `same_as` both belong to the links field.
        if field == "same_as" {
            return self
                .errors
                .iter()
                .find(|e| e.field == "same_as" || e.field.starts_with("same_as["))
                .map(|e| e.message.as_str());
        }
        crate::error::message_for(&self.errors, field)
    }
}

async fn page(
    state: &AppState,
    admin: &Admin,
    editing: Option<String>,
    form: PersonForm,
    errors: Vec<FieldError>,
) -> Result<PeoplePage, AppError> {
    let (people, mut library) = tokio::try_join!(
        db::people::all_credits(&state.pool),
        db::media::list(&state.pool, None, 60, 0),
    )?;
    // The photo they have is offered even when it is not among the newest images.
    if let Ok(photo) = uuid::Uuid::parse_str(form.photo.trim())
        && !library.iter().any(|m| m.id == photo)
        && let Some(media) = db::media::find(&state.pool, photo).await?
    {
        library.insert(0, media);
    }
    Ok(PeoplePage {
        layout: admin_layout(if editing.is_some() {
            "Edit person"
        } else {
            "People"
        }),
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        people: people
            .into_iter()
            .map(|p| PersonLine {
                slug: p.slug,
                name: p.name,
                credentials: p.credentials,
            })
            .collect(),
        library,
        editing,
        form,
        errors,
        problem: None,
        message: None,
    })
}

fn unprocessable(mut response: Response, status: StatusCode) -> Response {
    *response.status_mut() = status;
    response
}

pub async fn list(State(state): State<AppState>, admin: Admin) -> Result<Response, AppError> {
    render(&page(&state, &admin, None, PersonForm::default(), Vec::new()).await?)
}

pub async fn create(
    State(state): State<AppState>,
    admin: Admin,
    AdminForm(form): AdminForm<PersonForm>,
) -> Result<Response, AppError> {
    match service::people::create(&state.pool, admin.actor(), form.changes()).await {
        Ok(done) => {
            let person = state.after_commit(done);
            Ok(Redirect::to(&format!("/admin/people/{}?saved=added", person.slug)).into_response())
        }
        Err(AppError::Validation(errors) | AppError::FieldConflict(errors)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(unprocessable(
                render(&page(&state, &admin, None, form, errors).await?)?,
                status,
            ))
        }
        Err(other) => Err(other),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn edit(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(slug): AdminPath<String>,
    axum::extract::Query(query): axum::extract::Query<SavedQuery>,
) -> Result<Response, AppError> {
    let person = service::people::get(&state.pool, &slug).await?;
    let mut page = page(
        &state,
        &admin,
        Some(person.slug.clone()),
        PersonForm::of(&person),
        Vec::new(),
    )
    .await?;
    page.message = match query.saved.as_deref() {
        Some("added") => Some(format!(
            "Added {}. Their page is /people/{}.",
            person.name, person.slug
        )),
        Some("saved") => Some(format!(
            "Saved {}: their page and their stories' bylines show the change.",
            person.name
        )),
        _ => None,
    };
    render(&page)
}

pub async fn update(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(slug): AdminPath<String>,
    AdminForm(form): AdminForm<PersonForm>,
) -> Result<Response, AppError> {
    let result = service::people::update(
        &state.pool,
        admin.actor(),
        &slug,
        form.version,
        form.changes(),
    )
    .await;
    match result {
        Ok(done) => {
            let person = state.after_commit(done);
            Ok(Redirect::to(&format!("/admin/people/{}?saved=saved", person.slug)).into_response())
        }
        Err(AppError::Validation(errors) | AppError::FieldConflict(errors)) => Ok(unprocessable(
            render(&page(&state, &admin, Some(slug), form, errors).await?)?,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(AppError::PreconditionFailed(..)) => {
            // Someone saved meanwhile: show theirs, keep nothing silently.
            let current = service::people::get(&state.pool, &slug).await?;
            let mut page = page(
                &state,
                &admin,
                Some(current.slug.clone()),
                PersonForm {
                    version: Some(current.version),
                    ..form
                },
                Vec::new(),
            )
            .await?;
            page.problem = Some(format!(
                "Someone else saved {} while you were editing. Your text is still in the form; \
                 saving again replaces theirs.",
                current.name
            ));
            Ok(unprocessable(render(&page)?, StatusCode::CONFLICT))
        }
        Err(other) => Err(other),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(slug): AdminPath<String>,
    _: AdminForm<NoFields>,
) -> Result<Response, AppError> {
    match service::people::delete(&state.pool, admin.actor(), &slug).await {
        Ok(done) => {
            state.after_commit(done);
            Ok(Redirect::to("/admin/people").into_response())
        }
        Err(AppError::Conflict(why)) => {
            let person = service::people::get(&state.pool, &slug).await?;
            let mut page = page(
                &state,
                &admin,
                Some(person.slug.clone()),
                PersonForm::of(&person),
                Vec::new(),
            )
            .await?;
            page.problem = Some(format!("Not deleted: {why}."));
            Ok(unprocessable(render(&page)?, StatusCode::CONFLICT))
        }
        Err(other) => Err(other),
    }
}

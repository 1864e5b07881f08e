//! The media library: upload (drag and drop or the file picker, with alt text required),
//! search, edit what an image says, see where it is used, delete it while nothing public shows
//! it. Everyone signed in uploads; editors and admins edit and delete (as in the API).

use askama::Template;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::auth::admin_layout;
use super::extract::{Admin, AdminForm, AdminPath, NoFields};
use super::{check_csrf, require};
use crate::db;
use crate::domain::media::{Media, MediaText};
use crate::domain::policy::Action;
use crate::error::{AppError, FieldError};
use crate::service;
use crate::state::AppState;
use crate::web::pages::{Layout, render};

/// Images a library page shows.
const PER_PAGE: i64 = 24;

#[derive(Debug, Default, Deserialize)]
pub struct LibraryQuery {
    q: Option<String>,
    page: Option<String>,
}

/// What the upload form keeps when it is shown again.
#[derive(Debug, Default, Clone)]
pub struct UploadFields {
    pub alt: String,
    pub decorative: bool,
    pub caption: String,
    pub credit: String,
}

#[derive(Template)]
#[template(path = "admin/media.html")]
pub struct LibraryPage {
    pub layout: Layout,
    pub nav: super::AdminNav,
    pub csrf: String,
    pub items: Vec<Media>,
    pub total: i64,
    pub q: String,
    pub page: i64,
    pub pages: i64,
    pub upload: UploadFields,
    pub errors: Vec<FieldError>,
    /// A whole-form problem (not an image, too large).
    pub problem: Option<String>,
}

impl LibraryPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        crate::error::message_for(&self.errors, field)
    }

    /// The smallest rendition, for the grid.
    pub fn thumbnail<'a>(&self, media: &'a Media) -> &'a str {
        media
            .in_format(&media.content_type)
            .next()
            .map_or(media.url.as_str(), |r| r.url.as_str())
    }

    /// The grid shows images 240 pixels wide.
    pub fn thumbnail_height(&self, media: &Media) -> u32 {
        crate::domain::media::height_for(240, media.width, media.height)
    }

    pub fn page_link(&self, page: i64) -> String {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &self.q)
            .append_pair("page", &page.to_string())
            .finish();
        format!("/admin/media?{query}")
    }
}

async fn library(
    state: &AppState,
    admin: &Admin,
    query: &LibraryQuery,
    upload: UploadFields,
    errors: Vec<FieldError>,
) -> Result<LibraryPage, AppError> {
    let q = query
        .q
        .as_deref()
        .map(crate::domain::search::clean_query)
        .filter(|q| !q.is_empty());
    let page = query
        .page
        .as_deref()
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1);
    let (items, total) = tokio::try_join!(
        db::media::list(&state.pool, q.as_deref(), PER_PAGE, (page - 1) * PER_PAGE),
        db::media::count(&state.pool, q.as_deref()),
    )?;
    Ok(LibraryPage {
        layout: admin_layout("Media library"),
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        items,
        total,
        q: q.unwrap_or_default(),
        page,
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
        upload,
        errors,
        problem: None,
    })
}

pub async fn list(
    State(state): State<AppState>,
    admin: Admin,
    Query(query): Query<LibraryQuery>,
) -> Result<Response, AppError> {
    render(&library(&state, &admin, &query, UploadFields::default(), Vec::new()).await?)
}

/// `POST /admin/media`: the upload form (or the script sending it with a progress bar).
pub async fn upload(
    State(state): State<AppState>,
    admin: Admin,
    request: Request,
) -> Result<Response, AppError> {
    let (upload, extras) = crate::web::upload::read_upload(request, &state, &["csrf"]).await?;
    check_csrf(
        &admin.session,
        extras.get("csrf").map(String::as_str).unwrap_or_default(),
    )
    .await?;
    let kept = UploadFields {
        alt: upload.text.alt.clone().unwrap_or_default(),
        decorative: upload.text.decorative.unwrap_or(false),
        caption: upload.text.caption.clone().unwrap_or_default(),
        credit: upload.text.credit.clone().unwrap_or_default(),
    };
    let refused = |status: StatusCode, errors: Vec<FieldError>, problem: Option<String>| {
        let state = state.clone();
        let admin = admin.clone();
        let kept = kept.clone();
        async move {
            let mut page = library(&state, &admin, &LibraryQuery::default(), kept, errors).await?;
            page.problem = problem;
            let mut response = render(&page)?;
            *response.status_mut() = status;
            Ok::<Response, AppError>(response)
        }
    };
    match service::media::upload(&state.pool, state.blobs.as_ref(), admin.actor(), upload).await {
        Ok(done) => {
            let media = state.after_commit(done);
            Ok(Redirect::to(&format!("/admin/media/{}?saved=added", media.id)).into_response())
        }
        Err(AppError::Validation(errors)) => {
            refused(StatusCode::UNPROCESSABLE_ENTITY, errors, None).await
        }
        Err(AppError::UnsupportedImage) => {
            refused(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                vec![FieldError::new(
                    "file",
                    "is not a JPEG, PNG, WebP or GIF image",
                )],
                Some(crate::error::IMAGE_FORMATS.to_owned()),
            )
            .await
        }
        Err(AppError::PayloadTooLarge) => {
            refused(
                StatusCode::PAYLOAD_TOO_LARGE,
                vec![FieldError::new("file", "is larger than 20 MiB")],
                None,
            )
            .await
        }
        Err(other) => Err(other),
    }
}

/// The form of one image.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct TextForm {
    pub alt: String,
    /// A checkbox: present when ticked.
    pub decorative: Option<String>,
    pub caption: String,
    pub credit: String,
    pub version: Option<i32>,
}

pub struct UseLine {
    pub href: String,
    pub label: String,
    pub public: bool,
}

#[derive(Template)]
#[template(path = "admin/media_item.html")]
pub struct ItemPage {
    pub layout: Layout,
    pub nav: super::AdminNav,
    pub csrf: String,
    pub media: Media,
    pub form: TextForm,
    pub uses: Vec<UseLine>,
    pub errors: Vec<FieldError>,
    pub message: Option<String>,
    pub problem: Option<String>,
    /// May edit and delete (editors and admins).
    pub manage: bool,
}

impl ItemPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        crate::error::message_for(&self.errors, field)
    }

    /// The Markdown that shows this image in a story's body (the 1200-pixel rendition, or
    /// the widest below it).
    pub fn markdown(&self) -> String {
        let url = self.media.body_url();
        let alt = self.media.alt_text().replace(['[', ']'], "");
        format!("![{alt}]({url})")
    }
}

async fn item_page(
    state: &AppState,
    admin: &Admin,
    media: Media,
    form: Option<TextForm>,
    errors: Vec<FieldError>,
) -> Result<ItemPage, AppError> {
    let uses = service::media::usage(&state.pool, media.id)
        .await?
        .into_iter()
        .map(|place| match place {
            db::media::Use::Story {
                id,
                title,
                published,
                lead,
            } => UseLine {
                href: format!("/admin/stories/{id}"),
                label: format!(
                    "{title} ({})",
                    if lead { "lead image" } else { "in the body" }
                ),
                public: published,
            },
            db::media::Use::Person { slug, name } => UseLine {
                href: format!("/admin/people/{slug}"),
                label: format!("{name} (photo)"),
                public: true,
            },
        })
        .collect();
    let form = form.unwrap_or_else(|| TextForm {
        alt: media.alt.clone(),
        decorative: media.decorative.then(|| "on".to_owned()),
        caption: media.caption.clone(),
        credit: media.credit.clone(),
        version: Some(media.version),
    });
    Ok(ItemPage {
        layout: admin_layout("Image"),
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        manage: crate::domain::policy::can(admin.actor(), Action::ManageMedia, None),
        media,
        form,
        uses,
        errors,
        message: None,
        problem: None,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
    Query(query): Query<SavedQuery>,
) -> Result<Response, AppError> {
    let media = service::media::get(&state.pool, id).await?;
    let mut page = item_page(&state, &admin, media, None, Vec::new()).await?;
    page.message = match query.saved.as_deref() {
        Some("added") => Some(
            "Uploaded. Its renditions are ready; pick it as a story's lead image, or copy the \
             Markdown below into a body."
                .to_owned(),
        ),
        Some("saved") => Some("Saved: pages showing this image show the change.".to_owned()),
        _ => None,
    };
    render(&page)
}

pub async fn update(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
    AdminForm(form): AdminForm<TextForm>,
) -> Result<Response, AppError> {
    let text = MediaText {
        alt: Some(form.alt.clone()),
        decorative: Some(form.decorative.is_some()),
        caption: Some(form.caption.clone()),
        credit: Some(form.credit.clone()),
    };
    match service::media::update(&state.pool, admin.actor(), id, form.version, text).await {
        Ok(done) => {
            state.after_commit(done);
            Ok(Redirect::to(&format!("/admin/media/{id}?saved=saved")).into_response())
        }
        Err(AppError::Validation(errors)) => {
            let media = service::media::get(&state.pool, id).await?;
            let mut response =
                render(&item_page(&state, &admin, media, Some(form), errors).await?)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(AppError::PreconditionFailed(..)) => {
            let media = service::media::get(&state.pool, id).await?;
            let version = media.version;
            let mut page = item_page(
                &state,
                &admin,
                media,
                Some(TextForm {
                    version: Some(version),
                    ..form
                }),
                Vec::new(),
            )
            .await?;
            page.problem = Some(
                "Someone else saved this image while you were editing. Your text is still in \
                 the form; saving again replaces theirs."
                    .to_owned(),
            );
            let mut response = render(&page)?;
            *response.status_mut() = StatusCode::CONFLICT;
            Ok(response)
        }
        Err(other) => Err(other),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
    _: AdminForm<NoFields>,
) -> Result<Response, AppError> {
    require(&admin.user, Action::ManageMedia)?;
    match service::media::delete(&state.pool, admin.actor(), id).await {
        Ok(done) => {
            state.after_commit(done);
            Ok(Redirect::to("/admin/media?deleted=1").into_response())
        }
        Err(AppError::Conflict(why)) => {
            let media = service::media::get(&state.pool, id).await?;
            let mut page = item_page(&state, &admin, media, None, Vec::new()).await?;
            page.problem = Some(format!("Not deleted: {why}."));
            let mut response = render(&page)?;
            *response.status_mut() = StatusCode::CONFLICT;
            Ok(response)
        }
        Err(other) => Err(other),
    }
}

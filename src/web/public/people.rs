//! `GET /people/{slug}`: who a person is, and the published stories they wrote or reviewed.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;

use super::articles::JsonLd;
use super::{PageQuery, Pagination, StoryCard};
use crate::cache::CacheTags;
use crate::db;
use crate::db::stories::ArticleSummary;
use crate::domain::markdown::SafeHtml;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::pages::{Layout, render};

#[derive(Template)]
#[template(path = "public/person.html")]
pub struct PersonPage {
    pub layout: Layout,
    pub name: String,
    pub credentials: String,
    /// `src`, `srcset`, width and height of the photo's `<img>`.
    pub photo: Option<(String, String, u32, u32)>,
    pub bio: SafeHtml,
    pub same_as: Vec<String>,
    pub stories: Vec<StoryCard>,
    pub pagination: Pagination,
    pub json_ld: JsonLd,
}

impl PersonPage {
    /// A link's host, as its text (`orcid.org`).
    pub fn link_label(&self, link: &str) -> String {
        url::Url::parse(link)
            .ok()
            .and_then(|u| {
                u.host_str()
                    .map(|h| h.trim_start_matches("www.").to_owned())
            })
            .unwrap_or_else(|| link.to_owned())
    }
}

pub async fn show_person(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, AppError> {
    let page = query.page()?;
    let person = db::people::find_by_slug(&state.pool, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let path = person.path();
    let total = db::people::count_stories(&state.pool, person.id).await?;
    let pagination = Pagination::new(&path, page, total)?;
    let credited =
        db::people::stories(&state.pool, person.id, super::PER_PAGE, pagination.offset()).await?;
    let summaries: Vec<ArticleSummary> = credited.iter().map(|c| c.summary.clone()).collect();
    let (mut stories, named) = StoryCard::list(&state, &summaries).await?;
    for (card, credit) in stories.iter_mut().zip(&credited) {
        card.role = match (credit.wrote, credit.reviewed) {
            (true, true) => "both",
            (true, false) => "wrote",
            (false, true) => "reviewed",
            (false, false) => "",
        };
    }
    let base = &state.config.base_url;
    let url = format!("{base}{path}");
    let photo = match person.photo {
        Some(id) => db::media::find(&state.pool, id).await?,
        None => None,
    };
    // A portrait: shown 160 pixels wide (twice that for sharp screens).
    let portrait = photo.as_ref().and_then(|media| {
        let own: Vec<_> = media.in_format(&media.content_type).collect();
        let src = own
            .iter()
            .find(|r| r.width >= 320)
            .or(own.last())
            .copied()?;
        let height = crate::domain::media::height_for(160, src.width, src.height);
        Some((
            src.url.clone(),
            media.srcset(&media.content_type, ""),
            160,
            height,
        ))
    });
    let mut person_ld = serde_json::json!({
        "@type": "Person",
        "name": person.name,
        "url": url,
    });
    if !person.credentials.is_empty() {
        person_ld["description"] = person.credentials.clone().into();
    }
    if !person.same_as.is_empty() {
        person_ld["sameAs"] = person.same_as.clone().into();
    }
    if let Some(card) = photo.as_ref().and_then(|m| m.card()) {
        person_ld["image"] = format!("{base}{}", card.url).into();
    }
    let json_ld = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "ProfilePage",
        "url": url,
        "dateModified": crate::domain::dates::rfc3339(person.updated_at),
        "mainEntity": person_ld,
    });
    let description = if person.credentials.is_empty() {
        format!("Research news by and reviewed by {}.", person.name)
    } else {
        format!(
            "{}, {}: research news they wrote or reviewed.",
            person.name, person.credentials
        )
    };
    let canonical = if page == 1 {
        path.clone()
    } else {
        format!("{path}?page={page}")
    };
    let mut layout = Layout::new(person.name.clone(), "")
        .description(description)
        .canonical(base, &canonical);
    layout.og_type = "profile";
    let tags = named
        .tag(CacheTags::person_page(&person.slug))
        .showing(person.photo);
    let page = render(&PersonPage {
        layout,
        name: person.name,
        credentials: person.credentials,
        photo: portrait,
        bio: SafeHtml::from_stored(person.bio_html),
        same_as: person.same_as,
        stories,
        pagination,
        json_ld: JsonLd::new(&json_ld),
    })?;
    Ok(tags.attach(page))
}

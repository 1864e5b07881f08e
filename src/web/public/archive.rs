//! `GET /archive`: archived stories grouped by the year they were published.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::StoryCard;
use crate::cache::CacheTags;
use crate::db;
use crate::domain::dates;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::pages::{Layout, render};

pub struct ArchiveYear {
    pub year: i32,
    pub stories: Vec<StoryCard>,
}

#[derive(Template)]
#[template(path = "public/archive.html")]
pub struct ArchivePage {
    pub layout: Layout,
    pub years: Vec<ArchiveYear>,
}

pub async fn show_archive(State(state): State<AppState>) -> Result<Response, AppError> {
    let tz = &state.config.timezone;
    let stories = db::stories::list_archived(&state.pool).await?;
    let (cards, named) = StoryCard::list(&state, &stories).await?;
    let mut years: Vec<ArchiveYear> = Vec::new();
    for (story, card) in stories.iter().zip(cards) {
        let year = dates::year(story.published_at, tz);
        match years.last_mut() {
            Some(group) if group.year == year => group.stories.push(card),
            _ => years.push(ArchiveYear {
                year,
                stories: vec![card],
            }),
        }
    }
    let layout = Layout::new("Archive", "archive")
        .description("Archived research news, kept online as a record of earlier findings.")
        .canonical(&state.config.base_url, "/archive");
    Ok(named
        .tag(CacheTags::list())
        .attach(render(&ArchivePage { layout, years })?))
}

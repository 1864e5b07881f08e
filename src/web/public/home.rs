//! `GET /`: the front page.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::StoryCard;
use crate::cache::CacheTags;
use crate::db;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::pages::{Layout, render};

/// Stories on the front page: the lead across the grid, then five rows of two (with fewer
/// stories, the last card spans its row: see `.story-list--lead` in site.css).
const FRONT_PAGE_STORIES: i64 = 11;

#[derive(Template)]
#[template(path = "public/home.html")]
pub struct HomePage {
    pub layout: Layout,
    pub stories: Vec<StoryCard>,
}

/// The latest published stories, newest first. Archived ones are published stories too (the
/// contract leaves them out of feeds only): they are listed, marked, as on `/research-news`,
/// and being old, they seldom reach the front page.
/// WordPress's `/?p=<id>` of an imported post answers 301 to its story
/// ([`super::old_links`]).
pub async fn show_front_page(
    State(state): State<AppState>,
    uri: axum::http::Uri,
) -> Result<Response, AppError> {
    if let Some(answer) = super::old_links::post_id_query(&state, uri.query()).await {
        return answer;
    }
    let stories = db::stories::list_published(&state.pool, true, FRONT_PAGE_STORIES, 0).await?;
    let layout = Layout::new("Research news", "home")
        .description("News about new medical and health research, in plain words.")
        .canonical(&state.config.base_url, "/");
    let (stories, named) = StoryCard::list(&state, &stories).await?;
    let page = render(&HomePage { layout, stories })?;
    Ok(named.tag(CacheTags::list()).attach(page))
}

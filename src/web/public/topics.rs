//! `GET /topics` and `GET /topics/{slug}`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;

use super::{PageQuery, Pagination, StoryCard};
use crate::cache::CacheTags;
use crate::db;
use crate::db::topics::TopicWithCount;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::pages::{Layout, render};

#[derive(Template)]
#[template(path = "public/topics.html")]
pub struct TopicsPage {
    pub layout: Layout,
    pub topics: Vec<TopicWithCount>,
}

pub async fn list_topics(State(state): State<AppState>) -> Result<Response, AppError> {
    let topics = db::topics::list_with_counts(&state.pool).await?;
    let layout = Layout::new("Topics", "topics")
        .description("Research news by topic.")
        .canonical(&state.config.base_url, "/topics");
    Ok(CacheTags::list().attach(render(&TopicsPage { layout, topics })?))
}

#[derive(Template)]
#[template(path = "public/topic.html")]
pub struct TopicPage {
    pub layout: Layout,
    pub name: String,
    pub description: String,
    pub current: Vec<StoryCard>,
    pub archived: Vec<StoryCard>,
    pub pagination: Pagination,
}

/// One topic: its description, then its stories, current before archived.
pub async fn show_topic(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, AppError> {
    let page = query.page()?;
    let topic = db::topics::find_by_slug(&state.pool, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let total = db::stories::count_for_topic(&state.pool, topic.id).await?;
    let path = format!("/topics/{}", topic.slug);
    let pagination = Pagination::new(&path, page, total)?;
    let stories =
        db::stories::list_for_topic(&state.pool, topic.id, super::PER_PAGE, pagination.offset())
            .await?;
    let (cards, named) = StoryCard::list(&state, &stories).await?;
    let (archived, current): (Vec<_>, Vec<_>) = cards.into_iter().partition(|card| card.archived);
    let description = if topic.description.is_empty() {
        format!("Research news about {}.", topic.name)
    } else {
        topic.description.clone()
    };
    let canonical = if page == 1 {
        path.clone()
    } else {
        format!("{path}?page={page}")
    };
    let layout = Layout::new(topic.name.clone(), "topics")
        .description(description.clone())
        .canonical(&state.config.base_url, &canonical)
        .feed(
            format!("Dateline: {}", topic.name),
            format!("{path}/feed.xml"),
        );
    let tags = named.tag(CacheTags::topic_page(&topic.slug));
    let page = render(&TopicPage {
        layout,
        name: topic.name,
        description: topic.description,
        current,
        archived,
        pagination,
    })?;
    Ok(tags.attach(page))
}

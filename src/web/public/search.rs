//! `GET /search?q=…&page=N&topic=…&archived=…`: ranked full-text search with highlighted
//! snippets. Any query, however odd, gets a page: never an error from the database.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{PageQuery, Pagination, StoryCard};
use crate::db;
use crate::db::search::SearchFilter;
use crate::db::stories::ArticleSummary;
use crate::domain::search::{Snippet, clean_query};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::pages::{Layout, render};

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    topic: Option<String>,
    archived: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

pub struct SearchHitView {
    pub card: StoryCard,
    pub snippet: Snippet,
}

#[derive(Template)]
#[template(path = "public/search.html")]
pub struct SearchPage {
    pub layout: Layout,
    pub q: String,
    pub topic: Option<String>,
    pub hits: Vec<SearchHitView>,
    pub total: i64,
    /// More matches than were counted.
    pub capped: bool,
    pub pagination: Pagination,
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

pub async fn search(
    State(state): State<AppState>,
    Query(query): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let page = query.page.page()?;
    let q = clean_query(query.q.as_deref().unwrap_or_default());
    let filter = SearchFilter {
        topic: query
            .topic
            .map(|t| clean_query(&t))
            .filter(|t| !t.is_empty() && t.len() <= 120),
        archived: match query.archived.as_deref() {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        },
    };
    let mut path = format!("/search?q={}", encode(&q));
    if let Some(topic) = &filter.topic {
        path.push_str(&format!("&topic={}", encode(topic)));
    }
    if let Some(archived) = filter.archived {
        path.push_str(&format!("&archived={archived}"));
    }
    let (hits, total, pagination) = if q.is_empty() {
        (Vec::new(), 0, Pagination::new(&path, 1, 0)?)
    } else {
        // Counts stop at COUNT_CAP, so no page beyond it can exist.
        if page > db::search::COUNT_CAP / super::PER_PAGE {
            return Err(AppError::NotFound);
        }
        let recent_since = state.search_window.since(&state.pool).await;
        // The count and the page of results are independent: ask for both at once.
        let (total, rows) = tokio::try_join!(
            db::search::count(&state.pool, &q, &filter),
            db::search::search(
                &state.pool,
                &q,
                &filter,
                super::PER_PAGE,
                (page - 1) * super::PER_PAGE,
                recent_since,
            ),
        )?;
        let total = total.min(db::search::COUNT_CAP + 1);
        let pagination = Pagination::new(&path, page, total.min(db::search::COUNT_CAP))?;
        let snippets: Vec<Snippet> = rows
            .iter()
            .map(|row| Snippet::from_headline(&row.headline))
            .collect();
        let summaries: Vec<ArticleSummary> = rows
            .into_iter()
            .map(|row| ArticleSummary {
                id: row.id,
                slug: row.slug,
                title: row.title,
                dek: row.dek,
                published_at: row.published_at,
                archived: row.archived,
            })
            .collect();
        let (cards, _) = StoryCard::list(&state, &summaries).await?;
        let hits = snippets
            .into_iter()
            .zip(cards)
            .map(|(snippet, card)| SearchHitView { snippet, card })
            .collect();
        (hits, total, pagination)
    };
    // Pagination links carry the query; the separator is `&` since the path has one already.
    let pagination = Pagination {
        prev_url: pagination
            .prev_url
            .map(|u| u.replacen("?page=", "&page=", 1)),
        next_url: pagination
            .next_url
            .map(|u| u.replacen("?page=", "&page=", 1)),
        ..pagination
    };
    let mut layout = Layout::new(
        if q.is_empty() {
            "Search".to_owned()
        } else {
            format!("Search: {q}")
        },
        "search",
    )
    .description("Search every research-news story we have published.");
    layout.noindex = true;
    layout.hide_search = true;
    layout = layout.canonical(&state.config.base_url, &path);
    render(&SearchPage {
        layout,
        q,
        topic: filter.topic,
        hits,
        total: total.min(db::search::COUNT_CAP),
        capped: total > db::search::COUNT_CAP,
        pagination,
    })
}

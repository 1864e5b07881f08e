//! `GET /search?q=…&page=N&topic=…&archived=…&exact=1`: ranked full-text search with synonyms,
//! spelling correction and highlighted snippets. Any query, however odd, gets a page: never an
//! error from the database. Pages with results are kept in the page cache under the query's
//! normal form ([`canonical`]); every change of a story or of the synonyms drops them.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::Uri;
use axum::middleware::Next;
use axum::response::Response;

use super::{Pagination, StoryCard};
use crate::cache::CacheTags;
use crate::db;
use crate::db::search::SearchFilter;
use crate::db::stories::ArticleSummary;
use crate::db::topics::Topic;
use crate::domain::search::{BLOCK, Snippet, clean_query, mark_matches, query_lexemes};
use crate::error::AppError;
use crate::service::search::{Found, PageOf};
use crate::state::AppState;
use crate::web::pages::{Layout, render};

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
    pub archived: Option<bool>,
    pub topics: Vec<Topic>,
    pub hits: Vec<SearchHitView>,
    pub total: i64,
    /// More matches than were counted.
    pub capped: bool,
    /// The corrected words the results are for, and the address that searches the words as
    /// typed.
    pub corrected: Option<(String, String)>,
    pub pagination: Pagination,
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A search as asked: the words cleaned, the filters, the page and whether spelling may be
/// corrected.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchAsked {
    pub q: String,
    pub filter_topic: Option<String>,
    pub archived: Option<bool>,
    /// The page as sent (checked by the handler).
    pub page: Option<String>,
    pub exact: bool,
}

impl SearchAsked {
    /// Reads a query string; unknown parameters are ignored, a repeated one counts once (the
    /// first).
    pub fn parse(query: Option<&str>) -> Self {
        let mut asked = Self::default();
        let mut seen: Vec<String> = Vec::new();
        for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            if seen.iter().any(|k| *k == key) {
                continue;
            }
            seen.push(key.to_string());
            match key.as_ref() {
                "q" => asked.q = clean_query(&value),
                "topic" => {
                    asked.filter_topic =
                        Some(clean_query(&value)).filter(|t| !t.is_empty() && t.len() <= 120);
                }
                "archived" => {
                    asked.archived = match value.as_ref() {
                        "true" => Some(true),
                        "false" => Some(false),
                        _ => None,
                    };
                }
                "page" => {
                    asked.page = Some(value.trim().to_owned()).filter(|p| !p.is_empty() && p != "1")
                }
                "exact" => asked.exact = matches!(value.as_ref(), "1" | "true"),
                _ => {}
            }
        }
        asked
    }

    /// The query string of this search without its page: `q=…&topic=…&archived=…&exact=1`.
    pub fn query_string(&self, exact: bool) -> String {
        let mut out = format!("q={}", encode(&self.q));
        if let Some(topic) = &self.filter_topic {
            out.push_str(&format!("&topic={}", encode(topic)));
        }
        if let Some(archived) = self.archived {
            out.push_str(&format!("&archived={archived}"));
        }
        if exact {
            out.push_str("&exact=1");
        }
        out
    }

    /// The normal form of the address: parameters in one order, words cleaned, defaults left
    /// out. Two addresses asking the same search have the same normal form.
    pub fn canonical(&self) -> String {
        let mut out = format!("/search?{}", self.query_string(self.exact));
        if let Some(page) = &self.page {
            out.push_str(&format!("&page={}", encode(page)));
        }
        out
    }
}

/// Rewrites a search's address to its normal form before the page cache looks it up, so that
/// `?q=Remission&page=1` and `?page=1&q=Remission+` are one page, and junk parameters make no
/// page of their own.
pub async fn canonical(mut request: Request, next: Next) -> Response {
    let asked = SearchAsked::parse(request.uri().query());
    if let Ok(uri) = asked.canonical().parse::<Uri>() {
        *request.uri_mut() = uri;
    }
    next.run(request).await
}

pub async fn search(State(state): State<AppState>, uri: Uri) -> Result<Response, AppError> {
    let asked = SearchAsked::parse(uri.query());
    let page = super::PageQuery::from(asked.page.clone()).page()?;
    let q = asked.q.clone();
    let filter = SearchFilter {
        topic: asked.filter_topic.clone(),
        archived: asked.archived,
    };
    let path = format!("/search?{}", asked.query_string(asked.exact));
    // One connection for every statement of the search: the pool checks a connection each
    // time it is taken and given back, a round trip each (six for the three statements).
    let mut conn = state.pool.acquire().await?;
    let topics = db::topics::list(&mut *conn).await?;
    let (found, hits, named, pagination) = if q.is_empty() {
        (
            Found::default(),
            Vec::new(),
            super::Named::default(),
            Pagination::new(&path, 1, 0)?,
        )
    } else {
        // Counts stop at COUNT_CAP, so no page beyond it can exist.
        if page > db::search::COUNT_CAP / super::PER_PAGE {
            return Err(AppError::NotFound);
        }
        let mut found = crate::service::search::find(
            &mut conn,
            &q,
            &filter,
            PageOf {
                limit: super::PER_PAGE,
                offset: (page - 1) * super::PER_PAGE,
                correct_spelling: !asked.exact,
            },
        )
        .await?;
        found.total = found.total.min(db::search::COUNT_CAP + 1);
        let pagination = Pagination::new(&path, page, found.total.min(db::search::COUNT_CAP))?;
        let rows = std::mem::take(&mut found.hits);
        let snippets: Vec<Snippet> = rows
            .iter()
            .map(|row| {
                let lexemes = query_lexemes(&row.query);
                let text = format!(
                    "{}{BLOCK}{}",
                    row.dek,
                    crate::domain::markdown::snippet_blocks(&row.body)
                );
                Snippet::from_marked(&mark_matches(&text, &lexemes), row.truncated)
            })
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
        let (cards, named) = StoryCard::list_on(&state, &mut *conn, &summaries).await?;
        let hits: Vec<SearchHitView> = snippets
            .into_iter()
            .zip(cards)
            .map(|(snippet, card)| SearchHitView { snippet, card })
            .collect();
        (found, hits, named, pagination)
    };
    drop(conn);
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
    let corrected = found.corrected.map(|words| {
        let exact = format!("/search?{}", asked.query_string(true));
        (words, exact)
    });
    let keep = !hits.is_empty();
    let page = render(&SearchPage {
        layout,
        q,
        topic: filter.topic,
        archived: filter.archived,
        topics,
        hits,
        total: found.total.min(db::search::COUNT_CAP),
        capped: found.total > db::search::COUNT_CAP,
        corrected,
        pagination,
    })?;
    // A page without results is not kept: it is cheap to make, and a synonym or story added
    // a moment later (on any instance) must be found at once.
    Ok(if keep {
        named.tag(CacheTags::search()).attach(page)
    } else {
        page
    })
}

//! Pages for readers: front page, story lists and pages, topics and the archive.

mod archive;
pub mod articles;
mod discovery;
pub mod feedback;
mod home;
mod media;
pub mod old_links;
mod people;
mod preview;
mod search;
mod topics;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::get;
use serde::Deserialize;

use crate::cache::CacheState;
use crate::cache::CacheTags;
use crate::db;
use crate::db::stories::{ArticleSummary, CardExtras};
use crate::db::topics::TopicLink;
use crate::domain::dates;
use crate::domain::person::Credit;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::runtime::OnMainRuntime;

/// The reader's routes. Each says once what it is: cached pages sit under the cache's
/// middleware and attach their own tags (`crate::cache::CacheTags`); each route runs on the
/// main runtime ([`OnMainRuntime`]) but the story page, which its HTTP thread renders itself.
pub fn routes(state: AppState) -> Router<AppState> {
    let cache = || {
        axum::middleware::from_fn_with_state(
            CacheState::from_ref(&state),
            crate::cache::http::serve,
        )
    };
    let main = OnMainRuntime::current();
    let feedback_body = crate::web::limits::BodyRules {
        limit: feedback::BODY_LIMIT,
        idle: state.config.body_timeout,
        upload: None,
    };
    // The story page reads only through `crate::db::batch::StoryReads`, over a connection of
    // its HTTP thread's own: it never leaves that thread.
    let story = Router::new()
        .route("/research-news/{slug}", get(articles::show_article))
        .layer(cache());
    // Pages served from the rendered-page cache (and given ETags, 304s and CDN headers).
    let cached = Router::new()
        .route("/", get(home::show_front_page))
        .route("/research-news", get(articles::list_articles))
        .route("/research-news/", get(articles::list_articles))
        .route("/topics", get(topics::list_topics))
        .route("/topics/{slug}", get(topics::show_topic))
        .route("/archive", get(archive::show_archive))
        .route("/people/{slug}", get(people::show_person))
        .route("/feed.xml", get(discovery::site_feed))
        .route("/topics/{slug}/feed.xml", get(discovery::topic_feed))
        .route("/sitemap.xml", get(discovery::sitemap))
        .route("/sitemaps/{name}", get(discovery::sitemap_part))
        .route("/news-sitemap.xml", get(discovery::news_sitemap))
        .route("/robots.txt", get(discovery::robots))
        .route("/corrections", get(discovery::corrections))
        .layer(cache())
        .layer(main.clone());
    // Image files, from a cache of their own.
    let media_state = state.media_cache_state();
    let files = Router::new()
        .route("/media/{name}", get(media::serve_file))
        .layer(axum::middleware::from_fn_with_state(
            media_state,
            crate::cache::http::serve,
        ))
        .layer(main.clone());
    // Never stored anywhere: previews are private, the feedback answer is per reader.
    let private = Router::new()
        .route(
            "/research-news/{slug}/feedback",
            axum::routing::post(feedback::post_feedback)
                .layer(axum::extract::DefaultBodyLimit::max(feedback::BODY_LIMIT))
                .layer(axum::middleware::from_fn_with_state(
                    feedback_body,
                    crate::web::limits::read_body,
                )),
        )
        .route("/preview/{token}", get(preview::show_preview))
        .layer(axum::middleware::from_fn(crate::cache::http::no_store));
    // Searches: counted against the client's limit first, then named in their normal form,
    // then served from the page cache when a page with results is kept there.
    let search = Router::new()
        .route("/search", get(search::search))
        .layer(cache())
        .layer(axum::middleware::from_fn(search::canonical))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::web::limits::search_limit,
        ));
    Router::new()
        .merge(story)
        .merge(cached)
        .merge(files)
        .merge(private.layer(main.clone()))
        .merge(search.layer(main))
}

/// Stories per list page.
pub const PER_PAGE: i64 = 20;

/// `?page=N` as sent; parsed by [`PageQuery::page`] so that junk gets a clear 400.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    page: Option<String>,
}

impl From<Option<String>> for PageQuery {
    fn from(page: Option<String>) -> Self {
        Self { page }
    }
}

impl PageQuery {
    /// The 1-based page number. `0`, negatives and non-numbers are a 400 with a clear message.
    pub fn page(&self) -> Result<i64, AppError> {
        match self.page.as_deref().map(str::trim) {
            None | Some("") => Ok(1),
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
                _ => Err(AppError::BadRequest(format!(
                    "“{}” is not a page number: use a whole number from 1 up.",
                    raw.chars().take(40).collect::<String>()
                ))),
            },
        }
    }
}

/// Previous / next links and "Page 2 of 5".
#[derive(Debug, Clone)]
pub struct Pagination {
    pub page: i64,
    pub pages: i64,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
}

impl Pagination {
    /// Pagination for `total` items at `page`; a page past the last (other than page 1) is a 404.
    pub fn new(path: &str, page: i64, total: i64) -> Result<Self, AppError> {
        let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
        if page > pages {
            return Err(AppError::NotFound);
        }
        let link = |n: i64| {
            if n == 1 {
                path.to_owned()
            } else {
                format!("{path}?page={n}")
            }
        };
        Ok(Self {
            page,
            pages,
            prev_url: (page > 1).then(|| link(page - 1)),
            next_url: (page < pages).then(|| link(page + 1)),
        })
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1) * PER_PAGE
    }
}

/// One story in a list: its headline, dek, dateline, first topic and byline.
#[derive(Debug, Clone)]
pub struct StoryCard {
    pub url: String,
    pub title: String,
    pub dek: String,
    pub dateline: String,
    pub published_iso: String,
    pub archived: bool,
    pub topic: Option<TopicLink>,
    /// "A", "A and B", "A, B and C"; empty without a byline.
    pub byline: String,
    /// What else the card says: `wrote`, `reviewed` (a person's page).
    pub role: &'static str,
}

/// The topics and people a list of cards names, for its cache tags.
#[derive(Debug, Default)]
pub struct Named {
    pub topics: Vec<String>,
    pub people: Vec<String>,
}

impl Named {
    /// `tags` plus the keys of what the cards name.
    pub fn tag(&self, tags: CacheTags) -> CacheTags {
        tags.naming(
            self.topics.iter().map(String::as_str),
            self.people.iter().map(String::as_str),
        )
    }
}

/// Names joined as a byline says them: "A", "A and B", "A, B and C".
pub fn names(people: &[Credit]) -> String {
    match people {
        [] => String::new(),
        [one] => one.name.clone(),
        [rest @ .., last] => format!(
            "{} and {}",
            rest.iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            last.name
        ),
    }
}

impl StoryCard {
    fn new(summary: &ArticleSummary, extras: CardExtras, tz: &jiff::tz::TimeZone) -> Self {
        Self {
            url: format!("/research-news/{}", summary.slug),
            title: summary.title.clone(),
            dek: summary.dek.clone(),
            dateline: dates::dateline(summary.published_at, tz),
            published_iso: dates::rfc3339(summary.published_at),
            archived: summary.archived,
            byline: names(&extras.authors),
            topic: extras.topic,
            role: "",
        }
    }

    /// The cards of `summaries`, in order, and what they name.
    pub async fn list(
        state: &AppState,
        summaries: &[ArticleSummary],
    ) -> Result<(Vec<Self>, Named), AppError> {
        Self::list_on(state, &state.pool, summaries).await
    }

    /// [`Self::list`], read through `db` (e.g. the connection a handler already holds).
    pub async fn list_on(
        state: &AppState,
        db: impl sqlx::PgExecutor<'_>,
        summaries: &[ArticleSummary],
    ) -> Result<(Vec<Self>, Named), AppError> {
        let ids: Vec<_> = summaries.iter().map(|s| s.id).collect();
        let mut extras = db::stories::card_extras(db, &ids).await?;
        let mut named = Named::default();
        let cards = summaries
            .iter()
            .map(|summary| {
                let extra = extras.remove(&summary.id).unwrap_or_default();
                if let Some(topic) = &extra.topic
                    && !named.topics.contains(&topic.slug)
                {
                    named.topics.push(topic.slug.clone());
                }
                for person in &extra.authors {
                    if !named.people.contains(&person.slug) {
                        named.people.push(person.slug.clone());
                    }
                }
                Self::new(summary, extra, &state.config.timezone)
            })
            .collect();
        Ok((cards, named))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(raw: &str) -> PageQuery {
        PageQuery {
            page: Some(raw.to_owned()),
        }
    }

    #[test]
    fn page_numbers_must_be_positive_whole_numbers() {
        assert_eq!(PageQuery { page: None }.page().unwrap(), 1);
        assert_eq!(query("3").page().unwrap(), 3);
        for bad in ["0", "-1", "abc", "1.5", "99999999999999999999"] {
            assert!(
                matches!(query(bad).page(), Err(AppError::BadRequest(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn pagination_links_and_bounds() {
        let p = Pagination::new("/research-news", 2, 45).unwrap();
        assert_eq!(p.pages, 3);
        assert_eq!(p.prev_url.as_deref(), Some("/research-news"));
        assert_eq!(p.next_url.as_deref(), Some("/research-news?page=3"));
        assert_eq!(p.offset(), 20);
        assert!(matches!(
            Pagination::new("/x", 4, 45),
            Err(AppError::NotFound)
        ));
        // An empty list still has a first page.
        assert_eq!(Pagination::new("/x", 1, 0).unwrap().pages, 1);
    }
}

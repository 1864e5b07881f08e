//! What search engines, news aggregators and feed readers read: Atom feeds, sitemaps (with an
//! index past 50,000 URLs), the Google News sitemap, robots.txt, and the corrections page.

use askama::Template;
use atom_syndication::{Content, Entry, Feed, FixedDateTime, Link, Person, Text};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

use crate::cache::CacheTags;
use crate::db;
use crate::domain::dates;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::pages::{Layout, SITE_NAME, render};

/// Stories in a feed.
const FEED_ENTRIES: i64 = 30;
/// URLs in one sitemap file (the protocol's limit).
pub const SITEMAP_URLS: i64 = 50_000;

/// Text for a double-quoted HTML attribute.
fn escape_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn atom_time(at: OffsetDateTime) -> FixedDateTime {
    FixedDateTime::parse_from_rfc3339(&dates::rfc3339(at)).unwrap_or_default()
}

fn link(href: String, rel: &str, mime: Option<&str>) -> Link {
    let mut link = Link::default();
    link.set_href(href);
    link.set_rel(rel);
    link.set_mime_type(mime.map(str::to_owned));
    link
}

/// An XML answer. Whatever was stored (a control character pasted before input was cleaned),
/// the document holds no character XML forbids.
fn xml(content_type: &'static str, body: String) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        crate::domain::text::xml_safe(body),
    )
        .into_response()
}

async fn feed(state: &AppState, topic: Option<db::topics::Topic>) -> Result<Response, AppError> {
    let base = &state.config.base_url;
    let entries =
        db::discovery::feed_entries(&state.pool, topic.as_ref().map(|t| t.id), FEED_ENTRIES)
            .await?;
    let (self_path, alternate, title) = match &topic {
        Some(t) => (
            format!("/topics/{}/feed.xml", t.slug),
            format!("/topics/{}", t.slug),
            format!("{SITE_NAME}: {}", t.name),
        ),
        None => (
            "/feed.xml".to_owned(),
            "/".to_owned(),
            format!("{SITE_NAME}: research news"),
        ),
    };
    let mut feed = Feed::default();
    feed.set_title(Text::plain(title));
    feed.set_id(format!("{base}{self_path}"));
    feed.set_links(vec![
        link(
            format!("{base}{self_path}"),
            "self",
            Some("application/atom+xml"),
        ),
        link(format!("{base}{alternate}"), "alternate", Some("text/html")),
    ]);
    feed.set_subtitle(Some(Text::plain(
        "New medical and health research, explained.",
    )));
    feed.set_lang(Some("en".to_owned()));
    let updated = entries
        .iter()
        .map(|e| e.updated_at.max(e.published_at))
        .max()
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    feed.set_updated(atom_time(updated));
    let mut author = Person::default();
    author.set_name(SITE_NAME);
    feed.set_authors(vec![author]);
    let ids: Vec<_> = entries.iter().map(|e| e.id).collect();
    let mut bylines = db::stories::card_extras(&state.pool, &ids).await?;
    let image_ids: Vec<_> = entries.iter().filter_map(|e| e.lead_image).collect();
    let images = if image_ids.is_empty() {
        Vec::new()
    } else {
        db::media::find_many(&state.pool, &image_ids).await?
    };
    let card_hashes: Vec<String> = images
        .iter()
        .filter_map(|m| m.card())
        .filter_map(|c| c.url.strip_prefix("/media/"))
        .filter_map(|name| name.split_once('.').map(|(hash, _)| hash.to_owned()))
        .collect();
    let sizes: std::collections::HashMap<String, i32> =
        db::media::blob_sizes(&state.pool, &card_hashes)
            .await?
            .into_iter()
            .filter_map(|(hash, size)| {
                images
                    .iter()
                    .filter_map(|m| m.card())
                    .find(|c| c.url.contains(&hash))
                    .map(|c| (c.url.clone(), size))
            })
            .collect();
    let mut people: Vec<String> = Vec::new();
    feed.set_entries(
        entries
            .into_iter()
            .map(|story| {
                let credits = bylines.remove(&story.id).unwrap_or_default().authors;
                let url = format!("{base}/research-news/{}", story.slug);
                let mut entry = Entry::default();
                // Stable across slug changes and edits.
                entry.set_id(format!("urn:uuid:{}", story.id));
                entry.set_title(Text::plain(story.title));
                entry.set_published(Some(atom_time(story.published_at)));
                // Never before the dateline (a story edited as a draft, published later).
                entry.set_updated(atom_time(story.updated_at.max(story.published_at)));
                if !story.dek.is_empty() {
                    entry.set_summary(Some(Text::plain(story.dek)));
                }
                let lead = story
                    .lead_image
                    .and_then(|id| images.iter().find(|m| m.id == id));
                let mut links = vec![link(url, "alternate", Some("text/html"))];
                let mut html = String::new();
                if let Some((media, card)) = lead.and_then(|m| m.card().map(|c| (m, c))) {
                    // The lead image: an enclosure for readers that show one, and at the top of
                    // the content for those that show the story.
                    let href = format!("{base}{}", card.url);
                    let mut enclosure = link(href.clone(), "enclosure", Some(&card.content_type));
                    if let Some(size) = sizes.get(card.url.as_str()) {
                        enclosure.set_length(Some(size.to_string()));
                    }
                    links.push(enclosure);
                    html.push_str(&format!(
                        "<figure><img src=\"{}\" width=\"{}\" height=\"{}\" alt=\"{}\"></figure>",
                        escape_attribute(&href),
                        card.width,
                        card.height,
                        escape_attribute(media.alt_text())
                    ));
                }
                entry.set_links(links);
                html.push_str(&story.body_html);
                let mut content = Content::default();
                content.set_content_type(Some("html".to_owned()));
                content.set_value(Some(html));
                entry.set_content(Some(content));
                // The byline; without one, the feed's author (the site) stands for the entry.
                entry.set_authors(
                    credits
                        .into_iter()
                        .map(|credit| {
                            if !people.contains(&credit.slug) {
                                people.push(credit.slug.clone());
                            }
                            let mut person = Person::default();
                            person.set_uri(Some(format!("{base}{}", credit.path())));
                            person.set_name(credit.name);
                            person
                        })
                        .collect::<Vec<_>>(),
                );
                entry
            })
            .collect::<Vec<_>>(),
    );
    let tags = match &topic {
        Some(t) => CacheTags::topic_feed(&t.slug),
        None => CacheTags::page("feed"),
    }
    .naming([], people.iter().map(String::as_str))
    .showing(image_ids.iter().copied());
    Ok(tags.attach(xml("application/atom+xml; charset=utf-8", feed.to_string())))
}

/// `GET /feed.xml`: published, non-archived stories, newest first.
pub async fn site_feed(State(state): State<AppState>) -> Result<Response, AppError> {
    feed(&state, None).await
}

/// `GET /topics/{slug}/feed.xml`.
pub async fn topic_feed(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let topic = db::topics::find_by_slug(&state.pool, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    feed(&state, Some(topic)).await
}

pub struct SitemapUrl {
    pub loc: String,
    pub lastmod: Option<String>,
}

#[derive(Template)]
#[template(path = "public/sitemap.xml")]
pub struct SitemapPage {
    pub urls: Vec<SitemapUrl>,
}

#[derive(Template)]
#[template(path = "public/sitemap_index.xml")]
pub struct SitemapIndexPage {
    pub sitemaps: Vec<String>,
}

/// A sitemap (or the news sitemap), cached as one.
fn render_sitemap(template: &impl Template) -> Result<Response, AppError> {
    let page = xml("application/xml; charset=utf-8", template.render()?);
    Ok(CacheTags::page("sitemap").attach(page))
}

async fn page_urls(state: &AppState) -> Result<Vec<SitemapUrl>, AppError> {
    let base = &state.config.base_url;
    let mut urls: Vec<SitemapUrl> = ["/", "/research-news", "/topics", "/archive", "/corrections"]
        .into_iter()
        .map(|path| SitemapUrl {
            loc: format!("{base}{path}"),
            lastmod: None,
        })
        .collect();
    for topic in db::topics::list(&state.pool).await? {
        urls.push(SitemapUrl {
            loc: format!("{base}/topics/{}", topic.slug),
            lastmod: None,
        });
    }
    for (slug, updated_at) in db::people::sitemap_entries(&state.pool).await? {
        urls.push(SitemapUrl {
            loc: format!("{base}{}", crate::domain::person::path(&slug)),
            lastmod: Some(dates::rfc3339(updated_at)),
        });
    }
    Ok(urls)
}

async fn story_urls(
    state: &AppState,
    limit: i64,
    offset: i64,
) -> Result<Vec<SitemapUrl>, AppError> {
    let base = &state.config.base_url;
    Ok(db::discovery::sitemap_entries(&state.pool, limit, offset)
        .await?
        .into_iter()
        .map(|entry| SitemapUrl {
            loc: format!("{base}/research-news/{}", entry.slug),
            lastmod: Some(dates::rfc3339(entry.modified_at)),
        })
        .collect())
}

/// `GET /sitemap.xml`: every public URL (archived stories included, withdrawn ones not); a
/// sitemap index of `/sitemaps/…` files once that is more than 50,000 URLs.
pub async fn sitemap(State(state): State<AppState>) -> Result<Response, AppError> {
    let stories = db::stories::count_published(&state.pool, true).await?;
    let mut urls = page_urls(&state).await?;
    if stories + urls.len() as i64 <= SITEMAP_URLS {
        urls.extend(story_urls(&state, SITEMAP_URLS, 0).await?);
        return render_sitemap(&SitemapPage { urls });
    }
    let base = &state.config.base_url;
    let files = (stories + SITEMAP_URLS - 1) / SITEMAP_URLS;
    let mut sitemaps = vec![format!("{base}/sitemaps/pages.xml")];
    sitemaps.extend((1..=files).map(|n| format!("{base}/sitemaps/stories-{n}.xml")));
    render_sitemap(&SitemapIndexPage { sitemaps })
}

/// `GET /sitemaps/pages.xml` and `GET /sitemaps/stories-{n}.xml`, the parts of a large sitemap.
pub async fn sitemap_part(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    if name == "pages.xml" {
        return render_sitemap(&SitemapPage {
            urls: page_urls(&state).await?,
        });
    }
    let n: i64 = name
        .strip_prefix("stories-")
        .and_then(|rest| rest.strip_suffix(".xml"))
        .and_then(|n| n.parse().ok())
        .filter(|n| (1..=1_000).contains(n))
        .ok_or(AppError::NotFound)?;
    let urls = story_urls(&state, SITEMAP_URLS, (n - 1) * SITEMAP_URLS).await?;
    if urls.is_empty() {
        return Err(AppError::NotFound);
    }
    render_sitemap(&SitemapPage { urls })
}

pub struct NewsStory {
    pub loc: String,
    pub title: String,
    pub published: String,
}

#[derive(Template)]
#[template(path = "public/news_sitemap.xml")]
pub struct NewsSitemapPage {
    pub stories: Vec<NewsStory>,
}

/// `GET /news-sitemap.xml`: stories published in the last two days (Google News format).
pub async fn news_sitemap(State(state): State<AppState>) -> Result<Response, AppError> {
    let since = OffsetDateTime::now_utc() - time::Duration::days(2);
    let base = &state.config.base_url;
    let stories = db::discovery::news_entries(&state.pool, since)
        .await?
        .into_iter()
        .map(|s| NewsStory {
            loc: format!("{base}/research-news/{}", s.slug),
            title: s.title,
            published: dates::rfc3339(s.published_at),
        })
        .collect();
    render_sitemap(&NewsSitemapPage { stories })
}

/// `GET /robots.txt`: everything public may be crawled; the admin UI, the API and previews not.
pub async fn robots(State(state): State<AppState>) -> Response {
    let base = &state.config.base_url;
    let body = format!(
        "User-agent: *\nAllow: /\nDisallow: /admin\nDisallow: /api/\nDisallow: /preview/\nDisallow: /search\n\n\
         Sitemap: {base}/sitemap.xml\nSitemap: {base}/news-sitemap.xml\n"
    );
    let page = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        body,
    )
        .into_response();
    CacheTags::page("robots").attach(page)
}

pub struct CorrectionView {
    pub url: String,
    pub title: String,
    pub note: String,
    pub date: String,
    pub iso: String,
}

#[derive(Template)]
#[template(path = "public/corrections.html")]
pub struct CorrectionsPage {
    pub layout: Layout,
    pub corrections: Vec<CorrectionView>,
}

/// `GET /corrections`: the corrections policy and every correction we have published.
pub async fn corrections(State(state): State<AppState>) -> Result<Response, AppError> {
    let tz = &state.config.timezone;
    let corrections = db::discovery::corrections(&state.pool)
        .await?
        .into_iter()
        .map(|c| CorrectionView {
            url: format!("/research-news/{}", c.slug),
            title: c.title,
            note: c.change_note,
            date: dates::long_datetime(c.created_at, tz),
            iso: dates::rfc3339(c.created_at),
        })
        .collect();
    let layout = Layout::new("Corrections", "")
        .description("How we correct mistakes, and every correction we have made.")
        .canonical(&state.config.base_url, "/corrections");
    let page = render(&CorrectionsPage {
        layout,
        corrections,
    })?;
    Ok(CacheTags::page("corrections").attach(page))
}

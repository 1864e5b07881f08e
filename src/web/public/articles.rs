//! `GET /research-news` (all published stories) and `GET /research-news/{slug}` (one story).

use std::fmt;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{PageQuery, Pagination, StoryCard};
use crate::cache::CacheTags;
use crate::db;
use crate::db::stories::{RelatedStory, Story};
use crate::db::topics::TopicLink;
use crate::domain::article::{self as article_rules, Article};
use crate::domain::article::{ChangeKind, Study, Visibility};
use crate::domain::dates;
use crate::domain::markdown::SafeHtml;
use crate::domain::person::Credit;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::pages::{Layout, SITE_NAME, render};

#[derive(Template)]
#[template(path = "public/articles.html")]
pub struct ArticlesPage {
    pub layout: Layout,
    pub stories: Vec<StoryCard>,
    pub pagination: Pagination,
}

/// All published stories, archived ones marked, 20 a page.
pub async fn list_articles(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
) -> Result<Response, AppError> {
    let page = query.page()?;
    let total = db::stories::count_published(&state.pool, true).await?;
    let pagination = Pagination::new("/research-news", page, total)?;
    let stories =
        db::stories::list_published(&state.pool, true, super::PER_PAGE, pagination.offset())
            .await?;
    let canonical = if page == 1 {
        "/research-news".to_owned()
    } else {
        format!("/research-news?page={page}")
    };
    let mut layout = Layout::new("All research news", "news")
        .description("Every research-news story we have published, newest first.")
        .canonical(&state.config.base_url, &canonical);
    if page > 1 {
        layout.title = format!("All research news, page {page}");
    }
    let (stories, named) = StoryCard::list(&state, &stories).await?;
    let page = render(&ArticlesPage {
        layout,
        stories,
        pagination,
    })?;
    Ok(named.tag(CacheTags::list()).attach(page))
}

/// The archive banner's content.
pub struct ArchiveBanner {
    pub date: String,
    pub iso: String,
    pub reason: Option<String>,
    /// URL and title of the newer story.
    pub superseded_by: Option<(String, String)>,
}

/// One line of the "About this study" box.
pub struct StudyFact {
    pub label: &'static str,
    pub value: String,
    pub href: Option<String>,
}

/// One entry under "Updates and corrections".
pub struct ChangeNoteView {
    pub kind: ChangeKind,
    pub date: String,
    pub iso: String,
    pub note: String,
}

/// JSON-LD, serialised so that it cannot end its `<script>` element early.
pub struct JsonLd(String);

impl JsonLd {
    pub fn new(value: &serde_json::Value) -> Self {
        let json = value.to_string();
        Self(
            json.replace('<', "\\u003c")
                .replace('>', "\\u003e")
                .replace('&', "\\u0026"),
        )
    }
}

impl fmt::Display for JsonLd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// Safe in a <script type="application/ld+json">: `<`, `>` and `&` are escaped above.
impl askama::filters::HtmlSafe for JsonLd {}

#[derive(Template)]
#[template(path = "public/article.html")]
pub struct ArticlePage {
    pub layout: Layout,
    pub title: String,
    pub dek: String,
    pub dateline: String,
    pub published_iso: String,
    pub archive: Option<ArchiveBanner>,
    pub body: SafeHtml,
    pub study: Vec<StudyFact>,
    pub notes: Vec<ChangeNoteView>,
    pub topics: Vec<TopicLink>,
    /// The byline's names, each after its separator (`""`, `", "` or `" and "`).
    pub byline: Vec<(&'static str, Credit)>,
    pub lead: Option<LeadFigure>,
    pub review_line: Option<ReviewLine>,
    pub related: Vec<RelatedStory>,
    pub last_updated: String,
    pub updated_iso: String,
    pub feedback: FeedbackWidget,
    pub json_ld: JsonLd,
    /// Seen through a preview link: read-only, no feedback form, `noindex`.
    pub preview: bool,
}

/// The lead image as the page shows it: a `<picture>` with WebP first and the original's
/// format as the `<img>`.
pub struct LeadFigure {
    pub src: String,
    pub srcset: String,
    pub webp_srcset: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
    pub caption: String,
    pub credit: String,
}

/// The story column's width, for `sizes`: the image fills the column, or the screen on a phone.
pub const LEAD_SIZES: &str = "(min-width: 46rem) 42rem, 100vw";

impl LeadFigure {
    pub fn of(media: &crate::domain::media::Media) -> Option<Self> {
        let own: Vec<_> = media.in_format(&media.content_type).collect();
        // The `src` for browsers without `srcset`: the narrowest of at least 800 pixels.
        let src = own
            .iter()
            .find(|r| r.width >= 800)
            .or(own.last())
            .copied()?;
        let webp = if media.content_type == "image/webp" {
            String::new()
        } else {
            media.srcset("image/webp", "")
        };
        Some(Self {
            src: src.url.clone(),
            srcset: media.srcset(&media.content_type, ""),
            webp_srcset: webp,
            width: src.width,
            height: src.height,
            alt: media.alt_text().to_owned(),
            caption: media.caption.clone(),
            credit: media.credit.clone(),
        })
    }
}

/// The social card of a page showing `media`, described by `fallback` when it is decorative.
pub fn social_image(
    media: &crate::domain::media::Media,
    base: &str,
    fallback: &str,
) -> Option<crate::web::pages::SocialImage> {
    let card = media.card()?;
    Some(crate::web::pages::SocialImage {
        url: format!("{base}{}", card.url),
        width: card.width,
        height: card.height,
        alt: if media.decorative || media.alt.is_empty() {
            fallback.to_owned()
        } else {
            media.alt.clone()
        },
    })
}

/// "Medically reviewed by <name>, <credentials>, on <date>".
pub struct ReviewLine {
    /// Empty when the review names nobody (then only the date shows).
    pub name: String,
    /// The reviewer's page, when they have one.
    pub href: Option<String>,
    pub credentials: String,
    pub date: Option<String>,
    pub iso: Option<String>,
}

/// The byline's separators: "A", "A and B", "A, B and C".
pub fn byline(authors: Vec<Credit>) -> Vec<(&'static str, Credit)> {
    let count = authors.len();
    authors
        .into_iter()
        .enumerate()
        .map(|(i, person)| {
            let separator = match i {
                0 => "",
                i if i + 1 == count => " and ",
                _ => ", ",
            };
            (separator, person)
        })
        .collect()
}

/// The feedback widget's state: empty, thanked, or re-shown with the reader's text and errors.
#[derive(Debug, Clone, Default)]
pub struct FeedbackWidget {
    pub action: String,
    /// The revision the reader sees, sent back with the entry.
    pub revision: i32,
    /// Signed, time-stamped form token.
    pub token: String,
    pub helpful: Option<bool>,
    pub comment: String,
    pub email: String,
    pub errors: Vec<crate::error::FieldError>,
    pub thanks: bool,
}

impl FeedbackWidget {
    pub fn helpful_is(&self, value: bool) -> bool {
        self.helpful == Some(value)
    }

    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

/// `?feedback=thanks` after a feedback form was sent without JavaScript.
#[derive(Debug, serde::Deserialize)]
pub struct StoryQuery {
    feedback: Option<String>,
}

/// The story. A previous slug answers 301; withdrawn 410; not public or unknown 404.
pub async fn show_article(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(query): Query<StoryQuery>,
    headers: axum::http::HeaderMap,
) -> Result<Response, AppError> {
    // On an HTTP thread, its own reader (`crate::db::batch`).
    let stories = state.stories.here();
    let Some(story) = stories.load(&slug).await? else {
        return match stories.current_slug_for_previous(&slug).await? {
            // 301, not axum's 308: the contract and search engines expect "Moved Permanently".
            Some(current) => Ok((
                StatusCode::MOVED_PERMANENTLY,
                [(header::LOCATION, format!("/research-news/{current}"))],
            )
                .into_response()),
            None => Err(AppError::NotFound),
        };
    };
    if story.article.status.public_visibility() == Visibility::Gone {
        return Ok(withdrawn_page(&state, &story.article));
    }
    check_visible(&story.article)?;
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let id = story.article.id;
    if crate::domain::feedback::browser_family(user_agent) != "Bot or script" {
        state.views.record(id);
    }
    let widget = FeedbackWidget {
        thanks: query.feedback.as_deref() == Some("thanks"),
        ..FeedbackWidget::default()
    };
    let people = story.article.credited();
    let tags = CacheTags::story(
        id,
        story.topics.iter().map(|t| t.slug.as_str()),
        people.iter().map(String::as_str),
        story
            .related
            .iter()
            .map(|r| r.id)
            .chain(story.article.superseded_by),
    )
    .showing(
        story
            .article
            .lead_image
            .into_iter()
            .chain(story.body_media.iter().copied()),
    );
    Ok(tags.attach(render_story_parts(&state, story, widget).await?))
}

/// What a withdrawn story's address shows: its headline, when it was published and withdrawn,
/// and why (`410`, kept out of search engines).
#[derive(Template)]
#[template(path = "public/withdrawn.html")]
pub struct WithdrawnPage {
    pub layout: Layout,
    pub title: String,
    pub published: String,
    pub published_iso: String,
    pub withdrawn: Option<String>,
    pub withdrawn_iso: String,
    pub reason: Option<String>,
}

fn withdrawn_page(state: &AppState, article: &Article) -> Response {
    let tz = &state.config.timezone;
    let published_at = article.published_at.unwrap_or(article.created_at);
    let mut layout = Layout::new(format!("Withdrawn: {}", article.title), "news");
    layout.noindex = true;
    let page = WithdrawnPage {
        layout,
        title: article.title.clone(),
        published: dates::long_date(published_at, tz),
        published_iso: dates::rfc3339(published_at),
        withdrawn: article.withdrawn_at.map(|at| dates::long_date(at, tz)),
        withdrawn_iso: article.withdrawn_at.map(dates::rfc3339).unwrap_or_default(),
        reason: article
            .withdraw_reason
            .clone()
            .filter(|r| !r.trim().is_empty()),
    };
    match render(&page) {
        Ok(mut response) => {
            *response.status_mut() = StatusCode::GONE;
            response
        }
        Err(err) => err.into_response(),
    }
}

/// Readers may see published stories; withdrawn ones are gone, the rest do not exist for them.
pub fn check_visible(article: &Article) -> Result<(), AppError> {
    match article.status.public_visibility() {
        Visibility::Visible => Ok(()),
        Visibility::Gone => Err(AppError::Gone),
        Visibility::Hidden => Err(AppError::NotFound),
    }
}

/// A story page's data for an article already in hand (a preview, a feedback form shown
/// again): the same one query the page reads, with this article's fields kept.
async fn story_of(state: &AppState, article: Article) -> Result<Story, AppError> {
    let found = db::stories::stories_by_slugs(&state.pool, std::slice::from_ref(&article.slug))
        .await?
        .into_iter()
        .find(|s| s.article.id == article.id)
        .ok_or(AppError::NotFound)?;
    Ok(Story { article, ..found })
}

/// Renders the story page with the feedback widget in the given state.
pub async fn render_story(
    state: &AppState,
    article: Article,
    widget: FeedbackWidget,
) -> Result<Response, AppError> {
    let story = story_of(state, article).await?;
    render_story_parts(state, story, widget).await
}

/// Renders a story already loaded with its parts (the uncached page's single query).
async fn render_story_parts(
    state: &AppState,
    story: Story,
    mut widget: FeedbackWidget,
) -> Result<Response, AppError> {
    let key = state.feedback_keys.form_key(&state.pool).await?;
    widget.token = crate::domain::feedback::form_token(
        key,
        &story.article.slug,
        time::OffsetDateTime::now_utc().unix_timestamp(),
    );
    let mut page = article_page(state, story);
    widget.action = std::mem::take(&mut page.feedback.action);
    widget.revision = page.feedback.revision;
    page.feedback = widget;
    render(&page)
}

/// The story page of an article in any status, for a live preview link.
pub async fn preview_page(state: &AppState, article: Article) -> Result<ArticlePage, AppError> {
    let story = story_of(state, article).await?;
    let mut page = article_page(state, story);
    page.preview = true;
    page.layout.noindex = true;
    page.layout.canonical = None;
    page.layout.title = format!("Preview: {}", page.title);
    Ok(page)
}

fn article_page(state: &AppState, story: Story) -> ArticlePage {
    let Story {
        article,
        topics,
        authors,
        reviewer,
        notes,
        superseded: superseded_by,
        related,
        lead,
        body_media: _,
    } = story;
    let tz = &state.config.timezone;
    let base = &state.config.base_url;
    let path = format!("/research-news/{}", article.slug);
    let url = format!("{base}{path}");
    let published_at = article.published_at.unwrap_or(article.created_at);
    let last_updated = article.last_updated();
    let study = article.study.clone();

    let archive = article.archived.then(|| {
        let at = article.archived_at.unwrap_or(article.updated_at);
        ArchiveBanner {
            date: dates::long_date(at, tz),
            iso: dates::rfc3339(at),
            reason: article
                .archive_reason
                .clone()
                .filter(|r| !r.trim().is_empty()),
            superseded_by: superseded_by
                .map(|(slug, title)| (format!("/research-news/{slug}"), title)),
        }
    });

    let person_ld = |person: &Credit| {
        let mut ld = serde_json::json!({
            "@type": "Person",
            "name": person.name,
            "url": format!("{base}{}", person.path()),
        });
        if !person.credentials.is_empty() {
            ld["description"] = person.credentials.clone().into();
        }
        ld
    };
    let mut json_ld = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article_rules::json_ld_headline(&article.title),
        "description": article_rules::meta_description(&article),
        "datePublished": dates::rfc3339(published_at),
        "dateModified": dates::rfc3339(last_updated),
        "mainEntityOfPage": url,
        "url": url,
        "isAccessibleForFree": true,
        "publisher": { "@type": "Organization", "name": SITE_NAME },
    });
    if !authors.is_empty() {
        json_ld["author"] = authors.iter().map(person_ld).collect();
    }
    if let Some(media) = lead.as_ref() {
        // The card's rendition and the widest, as search engines take several sizes.
        let own: Vec<_> = media.in_format(&media.content_type).collect();
        let mut images: Vec<serde_json::Value> = Vec::new();
        for rendition in media.card().into_iter().chain(own.last().copied()) {
            let image = serde_json::json!({
                "@type": "ImageObject",
                "url": format!("{base}{}", rendition.url),
                "width": rendition.width,
                "height": rendition.height,
            });
            if !images.contains(&image) {
                images.push(image);
            }
        }
        json_ld["image"] = images.into();
    }
    if let Some(study) = study.as_ref() {
        json_ld["citation"] = study_citation(study, &article.title);
    }
    let free_text_reviewer = article
        .review
        .as_ref()
        .and_then(|r| r.reviewed_by.as_deref())
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(str::to_owned);
    if let Some(review) = article.review.as_ref() {
        // Medical review belongs to the page (schema.org's MedicalWebPage), not the article:
        // the item itself stays a plain `NewsArticle`.
        let mut page = serde_json::json!({ "@type": "MedicalWebPage", "@id": url, "url": url });
        if let Some(person) = reviewer.as_ref() {
            page["reviewedBy"] = person_ld(person);
        } else if let Some(by) = free_text_reviewer.as_deref() {
            page["reviewedBy"] = serde_json::json!({ "@type": "Person", "name": by });
        }
        if let Some(last) = review.last_reviewed {
            page["lastReviewed"] = last.to_string().into();
        }
        json_ld["mainEntityOfPage"] = page;
    }
    let review_line = article.review.as_ref().and_then(|review| {
        let (name, href, credentials) = match (&reviewer, &free_text_reviewer) {
            (Some(person), _) => (
                person.name.clone(),
                Some(person.path()),
                person.credentials.clone(),
            ),
            (None, Some(by)) => (by.clone(), None, String::new()),
            (None, None) => (String::new(), None, String::new()),
        };
        (!name.is_empty() || review.last_reviewed.is_some()).then(|| ReviewLine {
            name,
            href,
            credentials,
            date: review.last_reviewed.map(dates::calendar_date),
            iso: review.last_reviewed.map(|d| d.to_string()),
        })
    });

    // Search results and social cards: the story's own SEO title and meta description when
    // set, else the headline and the dek.
    let mut layout = Layout::new(article_rules::seo_title(&article).to_owned(), "news")
        .description(article_rules::meta_description(&article).to_owned())
        .canonical(base, &path);
    layout.og_type = "article";
    layout.image = lead
        .as_ref()
        .and_then(|media| social_image(media, base, &article.title));

    ArticlePage {
        layout,
        dateline: dates::dateline(published_at, tz),
        published_iso: dates::rfc3339(published_at),
        archive,
        body: SafeHtml::from_stored(article.body_html),
        study: study.as_ref().map(study_facts).unwrap_or_default(),
        notes: notes
            .into_iter()
            .map(|n| ChangeNoteView {
                kind: n.change_kind,
                date: dates::long_datetime(n.created_at, tz),
                iso: dates::rfc3339(n.created_at),
                note: n.change_note,
            })
            .collect(),
        topics,
        byline: byline(authors),
        lead: lead.as_ref().and_then(LeadFigure::of),
        review_line,
        related,
        last_updated: dates::long_datetime(last_updated, tz),
        updated_iso: dates::rfc3339(last_updated),
        feedback: FeedbackWidget {
            action: format!("{path}/feedback"),
            revision: article.version,
            ..FeedbackWidget::default()
        },
        json_ld: JsonLd::new(&json_ld),
        preview: false,
        title: article.title,
        dek: article.dek,
    }
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

pub fn study_facts(study: &Study) -> Vec<StudyFact> {
    let mut facts = Vec::new();
    let mut push = |label, value: Option<String>, href: Option<String>| {
        if let Some(value) = value {
            facts.push(StudyFact { label, value, href });
        }
    };
    push("Source", non_empty(&study.citation), None);
    push("Type of study", non_empty(&study.study_type), None);
    push(
        "Participants",
        study.sample_size.map(|n| n.to_string()),
        None,
    );
    push(
        "Presented",
        study.presented_at.map(dates::calendar_date),
        None,
    );
    push(
        "DOI",
        non_empty(&study.doi),
        non_empty(&study.doi).map(|doi| format!("https://doi.org/{doi}")),
    );
    push(
        "PubMed",
        non_empty(&study.pubmed_id),
        non_empty(&study.pubmed_id)
            .filter(|id| id.bytes().all(|b| b.is_ascii_digit()))
            .map(|id| format!("https://pubmed.ncbi.nlm.nih.gov/{id}/")),
    );
    push(
        "Trial registration",
        non_empty(&study.trial_id),
        non_empty(&study.trial_id).and_then(|id| article_rules::trial_registry_url(&id)),
    );
    // The study's own page, beside its DOI when it has both.
    let url =
        non_empty(&study.url).filter(|u| u.starts_with("https://") || u.starts_with("http://"));
    push("Link", url.clone(), url);
    facts
}

/// The study as a `ScholarlyArticle`, named by its citation, or else by the first identifier
/// it has, or else after the story: a story with a study always cites it.
fn study_citation(study: &Study, headline: &str) -> serde_json::Value {
    let name = non_empty(&study.citation)
        .or_else(|| non_empty(&study.doi).map(|doi| format!("doi:{doi}")))
        .or_else(|| non_empty(&study.pubmed_id).map(|id| format!("PubMed {id}")))
        .or_else(|| non_empty(&study.trial_id))
        .or_else(|| study.link())
        .unwrap_or_else(|| format!("The study reported in \"{headline}\""));
    let mut citation = serde_json::json!({ "@type": "ScholarlyArticle", "name": name });
    if let Some(link) = study.link() {
        citation["url"] = link.into();
    }
    if let Some(doi) = non_empty(&study.doi) {
        citation["identifier"] = format!("doi:{doi}").into();
    }
    citation
}

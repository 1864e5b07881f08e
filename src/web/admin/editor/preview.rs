//! What the editor previews from the form as it stands: the story as readers will see it
//! (headline, summary line, byline, lead image, body, study box, with the story page's own
//! partials), and how it will look in a search result and on a social card.

use askama::Template;

use super::form::Draft;
use crate::domain::article::limits;
use crate::domain::markdown::{self, SafeHtml};
use crate::domain::media::Media;
use crate::domain::person::Credit;
use crate::domain::seo;
use crate::web::pages::SITE_NAME;
use crate::web::public::articles::{LeadFigure, StudyFact, byline, study_facts};

/// The story as readers will see it, for the panel beside the form (`POST /admin/preview`
/// answers it alone, for the live preview).
#[derive(Template)]
#[template(path = "admin/story_preview.html")]
pub struct StoryPreview {
    pub title: String,
    pub dek: String,
    pub byline: Vec<(&'static str, Credit)>,
    pub lead: Option<LeadFigure>,
    pub body: SafeHtml,
    pub study: Vec<StudyFact>,
}

impl StoryPreview {
    /// `draft` as readers will see it; `people` and `images` hold the byline's people and the
    /// lead image (others are left out, as the page would not show them).
    pub fn of(draft: &Draft, people: &[Credit], images: &[Media]) -> Self {
        let authors = draft
            .authors
            .iter()
            .filter_map(|slug| people.iter().find(|p| &p.slug == slug).cloned())
            .collect();
        let lead = uuid::Uuid::parse_str(draft.lead_image.trim())
            .ok()
            .and_then(|id| images.iter().find(|m| m.id == id))
            .and_then(LeadFigure::of);
        Self {
            title: draft.title.trim().to_owned(),
            dek: draft.dek.trim().to_owned(),
            byline: byline(authors),
            lead,
            body: markdown::render(&draft.body_markdown),
            study: draft
                .study
                .preview()
                .as_ref()
                .map(study_facts)
                .unwrap_or_default(),
        }
    }
}

/// The story in a search result and on a social card, as the form stands.
#[derive(Debug, Clone)]
pub struct SeoPreview {
    /// The page's `<title>`, shortened as a search result shows it.
    pub result_title: String,
    /// "news.example.org › research-news › the-slug".
    pub result_url: String,
    pub result_description: String,
    /// The social card's title and description (`og:title`, `og:description`), whole: the
    /// card's style clamps them to its lines.
    pub card_title: String,
    pub card_description: String,
    /// The card's image (a lead image rendition's URL), when there is one.
    pub card_image: Option<String>,
    /// The site's host, in capitals as the cards show it.
    pub card_site: String,
    /// The host, for the script's live result.
    pub host: String,
}

impl SeoPreview {
    /// `slug` is the form's, or the one the headline would give.
    pub fn of(draft: &Draft, slug: &str, base_url: &str, images: &[Media]) -> Self {
        // As the story page does (`domain::article::seo_title`, `meta_description`).
        let stand_in = |own: &str, fallback: &str| {
            let own = own.trim();
            if own.is_empty() {
                fallback.trim().to_owned()
            } else {
                own.to_owned()
            }
        };
        let title = stand_in(&draft.seo_title, &draft.title);
        let description = stand_in(&draft.meta_description, &draft.dek);
        let host = host_of(base_url);
        let card_image = uuid::Uuid::parse_str(draft.lead_image.trim())
            .ok()
            .and_then(|id| images.iter().find(|m| m.id == id))
            .and_then(|media| {
                media
                    .card()
                    .or_else(|| media.in_format(&media.content_type).last())
                    .map(|r| r.url.clone())
            });
        Self {
            result_title: seo::shorten(&format!("{title} · {SITE_NAME}"), seo::RESULT_TITLE_CHARS),
            result_url: format!("{host} › research-news › {slug}"),
            result_description: seo::shorten(&description, seo::RESULT_DESCRIPTION_CHARS),
            card_title: title,
            card_description: description,
            card_image,
            card_site: host.to_uppercase(),
            host,
        }
    }
}

/// `https://news.example.org:8443/x` → `news.example.org:8443`.
fn host_of(base_url: &str) -> String {
    let rest = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest).to_owned()
}

/// A field's length as the server counts it (characters as sent) against its limit, in
/// words: "12 / 70 characters", or "3 characters too many (73 / 70)".
pub fn count_text(value: &str, limit: usize) -> String {
    let count = value.chars().count();
    if count > limit {
        let over = count - limit;
        format!(
            "{over} {} too many ({count} / {limit})",
            if over == 1 { "character" } else { "characters" }
        )
    } else {
        format!("{count} / {limit} characters")
    }
}

/// The limits the counters show, by field name.
pub fn limit_of(field: &str) -> usize {
    match field {
        "title" => limits::TITLE_CHARS,
        "dek" => limits::DEK_CHARS,
        "seo_title" => limits::SEO_TITLE_CHARS,
        "meta_description" => limits::META_DESCRIPTION_CHARS,
        _ => limits::CHANGE_NOTE_CHARS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_result_falls_back_to_headline_and_dek_and_is_shortened() {
        let draft = Draft {
            title: "Trastuzumab with chemotherapy kept one in eleven women in remission for years"
                .into(),
            dek: "Dek.".into(),
            ..Draft::default()
        };
        let seo = SeoPreview::of(&draft, "trastuzumab", "https://news.example.org", &[]);
        assert_eq!(
            seo.result_title,
            "Trastuzumab with chemotherapy kept one in eleven women in…"
        );
        assert_eq!(
            seo.result_url,
            "news.example.org › research-news › trastuzumab"
        );
        assert_eq!(seo.result_description, "Dek.");
        assert_eq!(seo.card_site, "NEWS.EXAMPLE.ORG");
        let own = Draft {
            seo_title: "Short".into(),
            meta_description: "Own description.".into(),
            ..draft
        };
        let seo = SeoPreview::of(&own, "s", "http://127.0.0.1:3000", &[]);
        assert_eq!(seo.result_title, "Short · Dateline");
        assert_eq!(seo.card_description, "Own description.");
        assert_eq!(seo.host, "127.0.0.1:3000");
    }

    #[test]
    fn counters_say_how_many_characters_are_too_many() {
        assert_eq!(count_text("ééé", 70), "3 / 70 characters");
        assert_eq!(
            count_text(&"x".repeat(71), 70),
            "1 character too many (71 / 70)"
        );
    }
}

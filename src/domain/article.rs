//! The article and its vocabulary: lifecycle status, kinds of change, and study and review
//! metadata.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// The whole article: the row with its topics, what the API answers and what every revision
/// stores (one type from the database to the JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Article {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub dek: String,
    pub body_markdown: String,
    /// The sanitised rendering the site shows (read-only).
    pub body_html: String,
    pub status: ArticleStatus,
    /// The dateline; in the future while `scheduled`.
    #[serde(with = "crate::domain::dates::serde_rfc3339::option")]
    pub published_at: Option<OffsetDateTime>,
    /// "Last updated": moves only on `update` and `correction` changes.
    #[serde(with = "crate::domain::dates::serde_rfc3339")]
    pub updated_at: OffsetDateTime,
    pub archived: bool,
    #[serde(with = "crate::domain::dates::serde_rfc3339::option")]
    pub archived_at: Option<OffsetDateTime>,
    pub archive_reason: Option<String>,
    pub superseded_by: Option<Uuid>,
    /// When the story was withdrawn, while it is.
    #[serde(default, with = "crate::domain::dates::serde_rfc3339::option")]
    pub withdrawn_at: Option<OffsetDateTime>,
    /// Why, as the `410` page says; null when none was given.
    #[serde(default)]
    pub withdraw_reason: Option<String>,
    /// Topic slugs.
    pub topics: Vec<String>,
    /// The byline: person slugs, in order.
    #[serde(default)]
    pub authors: Vec<String>,
    pub study: Option<Study>,
    pub review: Option<Review>,
    /// The lead image (a media id), shown after the dateline and on social cards.
    #[serde(default)]
    pub lead_image: Option<Uuid>,
    /// The title of search results and social cards (≤ 70 characters); null: the headline.
    #[serde(default)]
    pub seo_title: Option<String>,
    /// The meta description of search results and social cards (≤ 160 characters); null: the
    /// dek.
    #[serde(default)]
    pub meta_description: Option<String>,
    /// Bumps on every change; the ETag is `"<version>"`.
    pub version: i32,
    #[serde(with = "crate::domain::dates::serde_rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
    pub updated_by: Option<Uuid>,
}

impl Article {
    /// The "Last updated" moment readers see: `updated_at`, which only an `update` or a
    /// `correction` moves, but never before the dateline (a story written as a draft and
    /// published days later was not updated before it appeared).
    pub fn last_updated(&self) -> OffsetDateTime {
        self.published_at
            .map_or(self.updated_at, |published| published.max(self.updated_at))
    }

    /// The slugs of the people the story credits: its authors, then its reviewer.
    pub fn credited(&self) -> Vec<String> {
        let mut people = self.authors.clone();
        if let Some(reviewer) = self.review.as_ref().and_then(|r| r.reviewer.as_ref())
            && !people.contains(reviewer)
        {
            people.push(reviewer.clone());
        }
        people
    }

    /// The ETag value: `"<version>"`.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.version)
    }
}

/// Where a story is in its lifecycle.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum ArticleStatus {
    Draft,
    InReview,
    Scheduled,
    Published,
    Withdrawn,
}

impl ArticleStatus {
    pub const ALL: [Self; 5] = [
        Self::Draft,
        Self::InReview,
        Self::Scheduled,
        Self::Published,
        Self::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::InReview => "in_review",
            Self::Scheduled => "scheduled",
            Self::Published => "published",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// What a reader gets at the story's URL.
    pub fn public_visibility(self) -> Visibility {
        match self {
            Self::Published => Visibility::Visible,
            Self::Withdrawn => Visibility::Gone,
            Self::Draft | Self::InReview | Self::Scheduled => Visibility::Hidden,
        }
    }
}

impl fmt::Display for ArticleStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the public URL of a story answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// `200`: the story.
    Visible,
    /// `410`: withdrawn.
    Gone,
    /// `404`: not (yet) public.
    Hidden,
}

/// How much a change matters to readers.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Serialize,
    Deserialize,
    sqlx::Type,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum ChangeKind {
    /// Typo, formatting: "Last updated" stays.
    #[default]
    Minor,
    /// New information: moves "Last updated".
    Update,
    /// A fix of something wrong: moves "Last updated" and lists a public note.
    Correction,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minor => "minor",
            Self::Update => "update",
            Self::Correction => "correction",
        }
    }

    /// Whether this change moves the public `updated_at`.
    pub fn moves_updated_at(self) -> bool {
        !matches!(self, Self::Minor)
    }

    /// The label readers see in "Updates and corrections".
    pub fn label(self) -> &'static str {
        match self {
            Self::Minor => "Edit",
            Self::Update => "Update",
            Self::Correction => "Correction",
        }
    }
}

/// What the story reports on. Every key is always written, `null` when not known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Study {
    /// Free text: journal, congress, year.
    #[serde(default)]
    pub citation: Option<String>,
    #[serde(default)]
    pub doi: Option<String>,
    #[serde(default)]
    pub pubmed_id: Option<String>,
    #[serde(default)]
    pub trial_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::domain::dates::deserialize_date_option"
    )]
    pub presented_at: Option<time::Date>,
    #[serde(default)]
    pub study_type: Option<String>,
    /// A whole number; `120.0` is read as `120`, as JSON Schema's `integer` counts it.
    #[serde(
        default,
        deserialize_with = "crate::domain::numbers::whole_number_option"
    )]
    pub sample_size: Option<i64>,
    #[serde(default)]
    pub url: Option<String>,
}

fn clean(value: Option<String>) -> Option<String> {
    value.map(|v| super::text::clean_line(&v).into_owned())
}

impl Study {
    /// The study with control characters removed from its text (`crate::domain::text`).
    pub fn cleaned(self) -> Self {
        Self {
            citation: clean(self.citation),
            doi: clean(self.doi),
            pubmed_id: clean(self.pubmed_id),
            trial_id: clean(self.trial_id),
            study_type: clean(self.study_type),
            url: clean(self.url),
            ..self
        }
    }

    /// A link to the study: its DOI, else its URL when that is http(s).
    pub fn link(&self) -> Option<String> {
        if let Some(doi) = self.doi.as_deref().filter(|d| !d.is_empty()) {
            return Some(format!("https://doi.org/{doi}"));
        }
        self.url
            .as_deref()
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .map(str::to_owned)
    }
}

/// Medical review of the story.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// The reviewer as free text, for one who has no person record.
    #[serde(default)]
    pub reviewed_by: Option<String>,
    /// The reviewer's person slug (`/people/{slug}`), when they have a record.
    #[serde(default)]
    pub reviewer: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::domain::dates::deserialize_date_option"
    )]
    pub last_reviewed: Option<time::Date>,
    #[serde(
        default,
        deserialize_with = "crate::domain::dates::deserialize_date_option"
    )]
    pub next_review_due: Option<time::Date>,
}

impl Review {
    /// The review with control characters removed from its text.
    pub fn cleaned(self) -> Self {
        Self {
            reviewed_by: clean(self.reviewed_by),
            ..self
        }
    }

    /// Whether the review names anyone.
    pub fn names_someone(&self) -> bool {
        self.reviewer.is_some()
            || self
                .reviewed_by
                .as_deref()
                .is_some_and(|by| !by.trim().is_empty())
    }
}

/// Where a trial registration id is registered, for a link: ClinicalTrials.gov (`NCT` and eight
/// digits) and the ISRCTN registry (`ISRCTN` and eight digits). Others stay plain text.
pub fn trial_registry_url(trial_id: &str) -> Option<String> {
    let id = trial_id.trim();
    let digits = |rest: &str| rest.len() == 8 && rest.bytes().all(|b| b.is_ascii_digit());
    let upper = id.to_ascii_uppercase();
    if let Some(rest) = upper.strip_prefix("NCT")
        && digits(rest)
    {
        return Some(format!("https://clinicaltrials.gov/study/{upper}"));
    }
    if let Some(rest) = upper.strip_prefix("ISRCTN")
        && digits(rest)
    {
        return Some(format!("https://www.isrctn.com/{upper}"));
    }
    None
}

/// The longest headline search engines take in structured data.
pub const JSON_LD_HEADLINE_CHARS: usize = 110;

/// `title` cut to at most [`JSON_LD_HEADLINE_CHARS`] characters at a word boundary (a single
/// word longer than that is cut where the limit falls).
pub fn json_ld_headline(title: &str) -> String {
    let title = title.trim();
    if title.chars().count() <= JSON_LD_HEADLINE_CHARS {
        return title.to_owned();
    }
    let end = title
        .char_indices()
        .nth(JSON_LD_HEADLINE_CHARS)
        .map_or(title.len(), |(i, _)| i);
    let cut = &title[..end];
    // At a boundary when the next character is a space; else back to the last space.
    let at_word = title[end..].starts_with(char::is_whitespace);
    let cut = if at_word {
        cut
    } else {
        cut.rfind(char::is_whitespace).map_or(cut, |i| &cut[..i])
    };
    cut.trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, ',' | ';' | ':' | '-' | '–' | '—')
    })
    .to_owned()
}

/// The title of a story's search result and social card: its SEO title when set, else its
/// headline.
pub fn seo_title(article: &Article) -> &str {
    article
        .seo_title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or(&article.title)
}

/// The description of a story's search result and social card: its meta description when
/// set, else its dek.
pub fn meta_description(article: &Article) -> &str {
    article
        .meta_description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .unwrap_or(&article.dek)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_published_stories_are_visible_and_withdrawn_ones_are_gone() {
        for status in ArticleStatus::ALL {
            let expected = match status {
                ArticleStatus::Published => Visibility::Visible,
                ArticleStatus::Withdrawn => Visibility::Gone,
                _ => Visibility::Hidden,
            };
            assert_eq!(status.public_visibility(), expected, "{status}");
        }
    }

    #[test]
    fn search_and_social_fall_back_to_headline_and_dek_also_for_old_revisions() {
        // A revision written before the fields existed still reads.
        let mut article: Article = serde_json::from_value(serde_json::json!({
            "id": "0193a0a0-0000-7000-8000-000000000001", "slug": "s", "title": "Headline",
            "dek": "The dek.", "body_markdown": "", "body_html": "", "status": "draft",
            "published_at": null, "updated_at": "2026-12-01T00:00:00Z", "archived": false,
            "archived_at": null, "archive_reason": null, "superseded_by": null, "topics": [],
            "study": null, "review": null, "version": 1,
            "created_at": "2026-12-01T00:00:00Z", "created_by": null, "updated_by": null
        }))
        .unwrap();
        assert_eq!(article.seo_title, None);
        assert_eq!(seo_title(&article), "Headline");
        assert_eq!(meta_description(&article), "The dek.");
        article.seo_title = Some("Short title".into());
        article.meta_description = Some("  ".into());
        assert_eq!(seo_title(&article), "Short title");
        assert_eq!(meta_description(&article), "The dek.");
    }

    #[test]
    fn only_updates_and_corrections_move_updated_at() {
        assert!(!ChangeKind::Minor.moves_updated_at());
        assert!(ChangeKind::Update.moves_updated_at());
        assert!(ChangeKind::Correction.moves_updated_at());
    }

    #[test]
    fn trial_ids_link_to_their_registry() {
        assert_eq!(
            trial_registry_url("NCT01234567").as_deref(),
            Some("https://clinicaltrials.gov/study/NCT01234567")
        );
        assert_eq!(
            trial_registry_url(" nct01234567 ").as_deref(),
            Some("https://clinicaltrials.gov/study/NCT01234567")
        );
        assert_eq!(
            trial_registry_url("ISRCTN12345678").as_deref(),
            Some("https://www.isrctn.com/ISRCTN12345678")
        );
        for plain in ["NCT123", "EudraCT 2010-012345-67", "NCT0123456789", ""] {
            assert_eq!(trial_registry_url(plain), None, "{plain}");
        }
    }

    #[test]
    fn json_ld_headlines_are_cut_at_a_word_boundary() {
        let short = "Remission for years";
        assert_eq!(json_ld_headline(short), short);
        let long = "word ".repeat(40);
        let cut = json_ld_headline(&long);
        assert!(cut.chars().count() <= JSON_LD_HEADLINE_CHARS);
        assert!(long.starts_with(&cut) && cut.ends_with("word"), "{cut}");
        let exact = format!("{} tail", "a".repeat(110));
        assert_eq!(json_ld_headline(&exact), "a".repeat(110));
        let one_word = "x".repeat(150);
        assert_eq!(json_ld_headline(&one_word).chars().count(), 110);
        let accented = "é".repeat(60) + " " + &"ü".repeat(60);
        assert_eq!(json_ld_headline(&accented), "é".repeat(60));
    }

    #[test]
    fn study_links_prefer_the_doi_and_ignore_non_http_urls() {
        let mut study = Study {
            url: Some("javascript:alert(1)".into()),
            ..Study::default()
        };
        assert_eq!(study.link(), None);
        study.doi = Some("10.5555/x".into());
        assert_eq!(study.link().as_deref(), Some("https://doi.org/10.5555/x"));
    }

    #[test]
    fn study_dates_round_trip_as_iso_dates() {
        let study: Study = serde_json::from_str(
            r#"{"citation":"ECCO 2011","presented_at":"2011-09-25","sample_size":120}"#,
        )
        .unwrap();
        assert_eq!(
            study.presented_at,
            Some(time::macros::date!(2011 - 09 - 25))
        );
        let json = serde_json::to_string(&study).unwrap();
        assert!(json.contains(r#""presented_at":"2011-09-25""#), "{json}");
    }
}

/// Limits of CONTRACT §1.
pub mod limits {
    pub const TITLE_CHARS: usize = 200;
    pub const DEK_CHARS: usize = 400;
    /// What search engines show of a title, about.
    pub const SEO_TITLE_CHARS: usize = 70;
    /// What search engines show of a description, about.
    pub const META_DESCRIPTION_CHARS: usize = 160;
    pub const BODY_BYTES: usize = 200_000;
    pub const TOPICS: usize = 20;
    pub const AUTHORS: usize = 10;
    pub const CHANGE_NOTE_CHARS: usize = 2_000;
    pub const ARCHIVE_REASON_CHARS: usize = 500;
    pub const SHORT_TEXT_CHARS: usize = 500;
    pub const DOI_CHARS: usize = 200;
    pub const TRIAL_ID_CHARS: usize = 100;
    pub const STUDY_TYPE_CHARS: usize = 200;
    pub const URL_CHARS: usize = 2_000;
    pub const REVIEWED_BY_CHARS: usize = 200;
    pub const TOPIC_NAME_CHARS: usize = 120;
    pub const TOPIC_DESCRIPTION_CHARS: usize = 2_000;
}

/// The largest study sample size.
pub const MAX_SAMPLE_SIZE: i64 = 100_000_000_000;

/// Rules of the study's identifiers, as regular expressions: the server checks them and the
/// OpenAPI document states them, from this one spelling.
pub mod patterns {
    use std::sync::LazyLock;

    use regex::Regex;

    /// `10.<digits and dots>/<visible characters>`, such as `10.1056/NEJMoa2110345`.
    pub fn doi() -> String {
        format!("^10\\.[0-9.]+/{}+$", crate::domain::text::visible_class())
    }

    /// A PubMed ID: 1 to 12 digits.
    pub const PUBMED_ID: &str = "^[0-9]{1,12}$";

    /// An `http` or `https` URL in ASCII: a host of letters, digits, hyphens and dots, an
    /// optional port, then an optional path, query or fragment of the characters RFC 3986
    /// allows (others percent-encoded).
    pub const URL: &str =
        r"^https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?([/?#][!#-;=?-\[\]_a-z~]*)?$";

    pub(super) static DOI: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(&doi()).expect("valid pattern"));
    pub(super) static PUBMED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(PUBMED_ID).expect("valid pattern"));
    pub(super) static HTTP_URL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(URL).expect("valid pattern"));
}

/// Checks study metadata as the client sent it (before [`Study::cleaned`], so that lengths are
/// those the OpenAPI document states); returns `(field, message)` pairs under `study.`.
pub fn study_errors(study: &Study) -> Vec<(&'static str, String)> {
    let mut errors = Vec::new();
    let long = |value: &Option<String>, max: usize| {
        value.as_ref().is_some_and(|v| v.chars().count() > max)
    };
    if long(&study.citation, limits::SHORT_TEXT_CHARS) {
        errors.push((
            "study.citation",
            format!("must be at most {} characters", limits::SHORT_TEXT_CHARS),
        ));
    }
    if let Some(doi) = &study.doi {
        let valid = doi.chars().count() <= limits::DOI_CHARS && patterns::DOI.is_match(doi);
        if !valid {
            errors.push((
                "study.doi",
                "must be a DOI such as 10.1056/NEJMoa2110345".to_owned(),
            ));
        }
    }
    if let Some(pmid) = &study.pubmed_id
        && !patterns::PUBMED.is_match(pmid)
    {
        errors.push((
            "study.pubmed_id",
            "must be a PubMed ID (digits only)".to_owned(),
        ));
    }
    if long(&study.trial_id, limits::TRIAL_ID_CHARS) {
        errors.push((
            "study.trial_id",
            "must be at most 100 characters".to_owned(),
        ));
    }
    if long(&study.study_type, limits::STUDY_TYPE_CHARS) {
        errors.push((
            "study.study_type",
            "must be at most 200 characters".to_owned(),
        ));
    }
    if let Some(n) = study.sample_size
        && !(0..=MAX_SAMPLE_SIZE).contains(&n)
    {
        errors.push((
            "study.sample_size",
            format!("must be a whole number from 0 to {MAX_SAMPLE_SIZE}"),
        ));
    }
    if study
        .presented_at
        .is_some_and(|d| !crate::domain::dates::date_in_range(d))
    {
        errors.push((
            "study.presented_at",
            crate::domain::dates::out_of_range_message(),
        ));
    }
    if let Some(url) = &study.url {
        let ok = url.len() <= limits::URL_CHARS && patterns::HTTP_URL.is_match(url);
        if !ok {
            errors.push((
                "study.url",
                format!(
                    "must be an http or https URL of at most {} characters (percent-encode \
                     others than ASCII)",
                    limits::URL_CHARS
                ),
            ));
        }
    }
    errors
}

/// Checks review metadata; returns `(field, message)` pairs under `review.`.
pub fn review_errors(review: &Review) -> Vec<(&'static str, String)> {
    let mut errors = Vec::new();
    if review
        .reviewed_by
        .as_ref()
        .is_some_and(|v| v.chars().count() > limits::REVIEWED_BY_CHARS)
    {
        errors.push((
            "review.reviewed_by",
            format!("must be at most {} characters", limits::REVIEWED_BY_CHARS),
        ));
    }
    for (field, date) in [
        ("review.last_reviewed", review.last_reviewed),
        ("review.next_review_due", review.next_review_due),
    ] {
        if date.is_some_and(|d| !crate::domain::dates::date_in_range(d)) {
            errors.push((field, crate::domain::dates::out_of_range_message()));
        }
    }
    if let (Some(last), Some(next)) = (review.last_reviewed, review.next_review_due)
        && next < last
    {
        errors.push((
            "review.next_review_due",
            "must not be before last_reviewed".to_owned(),
        ));
    }
    errors
}

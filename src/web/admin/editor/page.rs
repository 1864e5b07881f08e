//! The editor page: what it shows of a story and the controls its user is offered, and the
//! words of a confirmation.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::FLASH_PREVIEW_URL;
use super::form::Draft;
use super::preview::{self, SeoPreview, StoryPreview};
use crate::db;
use crate::domain::article::Article;
use crate::domain::article::ArticleStatus;
use crate::domain::dates;
use crate::domain::seo;
use crate::domain::slug::Slug;
use crate::error::{AppError, FieldError};
use crate::service::articles;
use crate::service::previews;
use crate::state::AppState;
use crate::web::admin::auth::admin_layout;
use crate::web::admin::extract::Admin;
use crate::web::pages::{Layout, render};

pub struct TopicChoice {
    pub slug: String,
    pub name: String,
    pub checked: bool,
}

/// A published story offered by the superseded-by picker.
pub struct StoryChoice {
    pub slug: String,
    pub title: String,
}

/// A live preview link, as listed beside the editor.
pub struct PreviewLinkRow {
    pub id: String,
    pub expires: String,
}

/// What the publishing panel shows and keeps.
#[derive(Debug, Clone, Default)]
pub struct PublishForm {
    pub publish_at: String,
    /// The archive reason.
    pub reason: String,
    pub superseded_by: String,
    /// The reason readers see on a withdrawn story's page.
    pub withdraw_reason: String,
    /// The note for the author when a story in review is sent back.
    pub send_back_note: String,
    /// When a published story is to be unpublished or archived (local time input).
    pub later_at: String,
}

#[derive(Template)]
#[template(path = "admin/editor.html")]
pub struct EditorPage {
    pub layout: Layout,
    pub nav: crate::web::admin::AdminNav,
    pub csrf: String,
    /// `None` for a new story.
    pub id: Option<String>,
    pub status: String,
    pub archived: bool,
    pub draft: Draft,
    pub slug_suggestion: String,
    pub topics: Vec<TopicChoice>,
    /// Everyone the byline and review pickers offer.
    pub people: Vec<crate::domain::person::Credit>,
    /// "Last reviewed …; next review due … (overdue)", when the review has dates.
    pub review_dates: Option<String>,
    /// Recent images of the library (and the story's lead image), for the pickers.
    pub library: Vec<crate::domain::media::Media>,
    pub errors: Vec<FieldError>,
    pub message: Option<String>,
    /// The story in the form as readers will see it ([`StoryPreview`], with the body
    /// sanitised as the site renders it), refreshed live by `editor.js`.
    pub preview_html: String,
    /// The story in a search result and on a social card.
    pub seo: SeoPreview,
    /// The body's words and reading time.
    pub reading: String,
    pub public_url: Option<String>,
    /// A conflict: the story as someone else saved it.
    pub theirs: Option<Draft>,
    /// "Scheduled for …" while scheduled.
    pub scheduled_for: Option<String>,
    /// "Archived on …" and the archive details.
    pub archived_on: Option<String>,
    pub archive_reason: Option<String>,
    pub superseded_by_url: Option<String>,
    pub publish: PublishForm,
    pub recent_stories: Vec<StoryChoice>,
    pub preview_links: Vec<PreviewLinkRow>,
    /// A preview URL made a moment ago: its only showing.
    pub new_preview_url: Option<String>,
    /// When an autosave newer than the saved story exists (and is not in the form).
    pub autosaved_at: Option<String>,
    pub site_timezone: String,
    /// The controls this user is offered for this story: what the policy allows and the
    /// lifecycle permits, no more (`service::articles::offered`).
    pub offers: articles::Offered,
    /// Why the form cannot be saved, when it cannot.
    pub read_only: Option<String>,
    /// When withdrawn: the date and the reason readers see.
    pub withdrawn_on: Option<String>,
    pub withdraw_reason: Option<String>,
    /// The review request, who else is here, what is scheduled for later.
    pub desk: super::desk::Desk,
}

/// One line of the error summary above the form: the field's name and message, linked to the
/// field when the form shows it.
pub struct ErrorLink {
    pub href: Option<String>,
    pub text: String,
}

impl EditorPage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        crate::error::message_for(&self.errors, field)
    }

    /// "12 / 200 characters" for the counter of `field` holding `value`.
    pub fn count_text(&self, value: &str, field: &str) -> String {
        preview::count_text(value, preview::limit_of(field))
    }

    /// Whether `value` is over the limit of `field`.
    pub fn over(&self, value: &str, field: &str) -> bool {
        value.chars().count() > preview::limit_of(field)
    }

    pub fn limit(&self, field: &str) -> usize {
        preview::limit_of(field)
    }

    /// The summary of the errors, first to last as the form shows the fields: each links to
    /// its field (where the same message is shown beside it); a field the form does not show
    /// has its message here only.
    pub fn error_summary(&self) -> Vec<ErrorLink> {
        let mut lines: Vec<(usize, ErrorLink)> = self
            .errors
            .iter()
            .map(|error| {
                let (order, label, id) = self.field_place(&error.field);
                let link = ErrorLink {
                    href: id.map(|id| format!("#{id}")),
                    text: format!("{label}: {}.", error.message),
                };
                (order, link)
            })
            .collect();
        // Ordered by where the fields are on the form (a stable sort keeps the rest).
        lines.sort_by_key(|(order, _)| *order);
        lines.into_iter().map(|(_, link)| link).collect()
    }

    /// Where the form shows `field`: its rank from the top, its label, and the id of its
    /// control (`None` when the form does not show it).
    fn field_place(&self, field: &str) -> (usize, String, Option<String>) {
        let editing = self.id.is_some();
        let (order, label, id, shown): (usize, &str, &str, bool) = match field {
            "title" => (0, "Headline", "title", true),
            "slug" => (1, "Address", "slug", true),
            "dek" => (2, "Summary line", "dek", true),
            "body_markdown" => (3, "Body", "body_markdown", true),
            "topics" => (4, "Topics", "topics", !self.topics.is_empty()),
            "authors" => (
                5,
                "Byline",
                if self.people.is_empty() {
                    "byline"
                } else {
                    "author-1"
                },
                true,
            ),
            "lead_image" => (6, "Lead image", "lead_image", true),
            "seo_title" => (7, "Search and social title", "seo_title", true),
            "meta_description" => (8, "Meta description", "meta_description", true),
            "change_kind" => (30, "Change kind", "change_kind-minor", editing),
            "change_note" => (31, "Change note", "change_note", editing),
            "publish_at" => (
                40,
                "Publish at",
                "publish_at",
                editing && self.offers.publish,
            ),
            "reason" => (
                41,
                "Archive reason",
                "reason",
                editing && self.offers.archive,
            ),
            "superseded_by" => (
                42,
                "Superseded by",
                "superseded_by",
                editing && self.offers.archive,
            ),
            "withdraw_reason" => (
                43,
                "Withdrawal reason",
                "withdraw_reason",
                editing && self.offers.withdraw,
            ),
            other => {
                // `study.doi` → `study_doi`, in the order of their sections.
                if let Some((section, name)) = other.split_once('.')
                    && matches!(section, "study" | "review")
                {
                    let label = name.replace('_', " ");
                    let order = if section == "study" { 10 } else { 20 };
                    return (
                        order,
                        format!("{} {label}", capitalised(section)),
                        Some(format!("{section}_{name}")),
                    );
                }
                return (50, other.replace('_', " "), None);
            }
        };
        (order, label.to_owned(), shown.then(|| id.to_owned()))
    }

    /// The smallest rendition of an image, for a picker.
    pub fn thumbnail<'a>(&self, media: &'a crate::domain::media::Media) -> &'a str {
        media
            .in_format(&media.content_type)
            .next()
            .map_or(media.url.as_str(), |r| r.url.as_str())
    }

    /// The image picked as the lead image, when it is in the library.
    pub fn lead_media(&self) -> Option<&crate::domain::media::Media> {
        let id = uuid::Uuid::parse_str(self.draft.lead_image.trim()).ok()?;
        self.library.iter().find(|m| m.id == id)
    }

    /// How an image is named in a picker.
    pub fn media_label(&self, media: &crate::domain::media::Media) -> String {
        let name = if media.decorative {
            "Decorative image".to_owned()
        } else {
            media.alt.chars().take(80).collect()
        };
        format!("{name} ({} × {})", media.width, media.height)
    }

    /// The Markdown that shows an image in the body.
    pub fn media_markdown(&self, media: &crate::domain::media::Media) -> String {
        let own: Vec<_> = media.in_format(&media.content_type).collect();
        let url = own
            .iter()
            .rev()
            .find(|r| r.width <= 1200)
            .or(own.first())
            .map_or(media.url.as_str(), |r| r.url.as_str());
        format!("![{}]({url})", media.alt_text().replace(['[', ']'], ""))
    }

    /// The byline's slots: each author's, then empty ones to add more (three at least, at most
    /// the limit).
    pub fn author_slots(&self) -> Vec<(usize, String)> {
        let filled = self.draft.authors.len();
        let count = (filled + 1)
            .max(3)
            .min(crate::domain::article::limits::AUTHORS.max(filled));
        (0..count)
            .map(|i| {
                (
                    i + 1,
                    self.draft.authors.get(i).cloned().unwrap_or_default(),
                )
            })
            .collect()
    }

    /// Whether the study or review section (`prefix` `study.` or `review.`) starts open: when
    /// it holds something or an error.
    pub fn section_open(&self, prefix: &str) -> bool {
        let filled = match prefix {
            "study." => !self.draft.study.is_blank(),
            _ => !self.draft.review.is_blank(),
        };
        filled || self.errors.iter().any(|e| e.field.starts_with(prefix))
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The editor page of `doc` (`None`: a new story) with `draft` in the form.
pub async fn editor_page(
    state: &AppState,
    admin: &Admin,
    doc: Option<&Article>,
    draft: Draft,
) -> Result<EditorPage, AppError> {
    let tz = &state.config.timezone;
    let (topics, people, mut library) = tokio::try_join!(
        db::topics::list(&state.pool),
        db::people::all_credits(&state.pool),
        db::media::list(&state.pool, None, 60, 0),
    )?;
    if let Ok(lead) = uuid::Uuid::parse_str(draft.lead_image.trim())
        && !library.iter().any(|m| m.id == lead)
        && let Some(media) = db::media::find(&state.pool, lead).await?
    {
        library.insert(0, media);
    }
    let review_dates = review_dates(&draft, tz);
    let actor = admin.actor();
    let (preview_links, recent_stories, superseded_by_url) = match doc {
        Some(doc) => {
            let links = previews::list_live(&state.pool, actor, doc.id)
                .await?
                .into_iter()
                .map(|link| PreviewLinkRow {
                    id: link.id.to_string(),
                    expires: dates::long_datetime(link.expires_at, tz),
                })
                .collect();
            let recent = if doc.status == ArticleStatus::Published && !doc.archived {
                db::stories::list_published(&state.pool, false, 50, 0)
                    .await?
                    .into_iter()
                    .filter(|s| s.id != doc.id)
                    .map(|s| StoryChoice {
                        slug: s.slug,
                        title: s.title,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let newer = match doc.superseded_by {
                Some(newer) => db::stories::find_published_link(&state.pool, newer)
                    .await?
                    .map(|(slug, _)| format!("/research-news/{slug}")),
                None => None,
            };
            (links, recent, newer)
        }
        None => (Vec::new(), Vec::new(), None),
    };
    let new_preview_url = match doc {
        Some(_) => admin
            .session
            .remove::<String>(FLASH_PREVIEW_URL)
            .await
            .map_err(crate::web::admin::session_failed)?,
        None => None,
    };
    let scheduled = doc.filter(|d| d.status == ArticleStatus::Scheduled);
    // A new story: the form creates a draft, which everyone may.
    let offers = doc.map_or(
        articles::Offered {
            edit: true,
            ..articles::Offered::default()
        },
        |d| articles::offered(actor, d),
    );
    let read_only = doc.and_then(|d| read_only_reason(actor, d));
    let desk = match doc {
        Some(doc) => super::desk::load(state, admin, doc).await?,
        None => super::desk::Desk::default(),
    };
    let preview_html = StoryPreview::of(&draft, &people, &library).render()?;
    let slug = match draft.slug.trim() {
        "" => Slug::from_title(&draft.title)
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        own => own.to_owned(),
    };
    let seo = SeoPreview::of(&draft, &slug, &state.config.base_url, &library);
    Ok(EditorPage {
        layout: admin_layout(if doc.is_some() {
            "Edit story"
        } else {
            "New story"
        }),
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        id: doc.map(|d| d.id.to_string()),
        status: doc
            .map(|d| d.status.as_str().to_owned())
            .unwrap_or_default(),
        archived: doc.is_some_and(|d| d.archived),
        topics: topics
            .into_iter()
            .map(|t| TopicChoice {
                checked: draft.topics.contains(&t.slug),
                slug: t.slug,
                name: t.name,
            })
            .collect(),
        people,
        review_dates,
        library,
        slug_suggestion: Slug::from_title(&draft.title)
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        preview_html,
        seo,
        reading: seo::reading_summary(&draft.body_markdown),
        draft,
        errors: Vec::new(),
        message: None,
        public_url: doc
            .filter(|d| d.status == ArticleStatus::Published)
            .map(|d| format!("/research-news/{}", d.slug)),
        theirs: None,
        scheduled_for: scheduled
            .and_then(|d| d.published_at)
            .map(|at| dates::long_datetime(at, tz)),
        archived_on: doc
            .and_then(|d| d.archived_at)
            .map(|at| dates::long_datetime(at, tz)),
        archive_reason: doc.and_then(|d| d.archive_reason.clone()),
        superseded_by_url,
        publish: PublishForm {
            publish_at: scheduled
                .and_then(|d| d.published_at)
                .map(|at| dates::local_input(at, tz))
                .unwrap_or_default(),
            ..PublishForm::default()
        },
        recent_stories,
        preview_links,
        new_preview_url,
        autosaved_at: None,
        site_timezone: state.config.timezone_name.clone(),
        offers,
        read_only,
        withdrawn_on: doc
            .and_then(|d| d.withdrawn_at)
            .map(|at| dates::long_datetime(at, tz)),
        withdraw_reason: doc.and_then(|d| d.withdraw_reason.clone()),
        desk,
    })
}

/// The review's dates in words, with how the next review stands today.
fn review_dates(draft: &Draft, tz: &jiff::tz::TimeZone) -> Option<String> {
    let last = dates::parse_date_input(&draft.review.last_reviewed);
    let next = dates::parse_date_input(&draft.review.next_review_due);
    let today = dates::local_date(time::OffsetDateTime::now_utc(), tz);
    let mut parts = Vec::new();
    if let Some(last) = last {
        parts.push(format!("last reviewed on {}", dates::calendar_date(last)));
    }
    if let Some(next) = next {
        let days = (next - today).whole_days();
        let when = match days {
            d if d < 0 => format!("overdue by {} {}", -d, if d == -1 { "day" } else { "days" }),
            0 => "due today".to_owned(),
            d => format!("in {d} {}", if d == 1 { "day" } else { "days" }),
        };
        parts.push(format!(
            "next review due on {} ({when})",
            dates::calendar_date(next)
        ));
    }
    let mut text = parts.join("; ");
    if let Some(first) = text.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    (!text.is_empty()).then_some(text)
}

/// Why `actor` cannot save the story `doc`, in words, when they cannot.
fn read_only_reason(actor: crate::domain::policy::Actor, doc: &Article) -> Option<String> {
    use crate::domain::article::ArticleStatus;
    if articles::allows(actor, crate::domain::policy::Action::EditArticle, doc) {
        return None;
    }
    Some(match doc.status {
        ArticleStatus::InReview => "This story is with the editors for review, so it is locked:             you can read it here, and it comes back to you as a draft if an editor sends it back."
            .to_owned(),
        _ => "Your role cannot change this story as it is now; an editor can.".to_owned(),
    })
}

pub fn with_status(page: &EditorPage, status: StatusCode) -> Result<Response, AppError> {
    let mut response = render(page)?;
    *response.status_mut() = status;
    Ok(response)
}

pub fn to_story(id: Uuid) -> Response {
    Redirect::to(&format!("/admin/stories/{id}?saved=1")).into_response()
}

/// What a finished lifecycle step says, in the words of what happened; `saved` when the form's
/// text was saved first.
pub fn done_message(done: &str, saved: bool, doc: &Article, tz: &jiff::tz::TimeZone) -> String {
    let when = doc
        .published_at
        .map(|at| dates::long_datetime(at, tz))
        .unwrap_or_default();
    let step = match done {
        "submitted" => "submitted for review".to_owned(),
        "published" => "published".to_owned(),
        "backdated" => format!("published, dated {when}"),
        "scheduled" => format!("scheduled for {when}"),
        "unpublished" => "unpublished: the story is a draft again".to_owned(),
        "withdrawn" => "withdrawn: readers now see that the story was withdrawn".to_owned(),
        "archived" => "archived".to_owned(),
        "unarchived" => "unarchived".to_owned(),
        "sent_back" => {
            "sent back to draft: its author sees it, with your note, on their dashboard and here"
                .to_owned()
        }
        "unpublish_canceled" => "the scheduled unpublishing is canceled".to_owned(),
        "archive_canceled" => "the scheduled archiving is canceled".to_owned(),
        _ => return "Saved.".to_owned(),
    };
    if saved {
        format!("Saved and {step}.")
    } else {
        let mut chars = step.chars();
        chars
            .next()
            .map(|first| format!("{}{}.", first.to_uppercase(), chars.as_str()))
            .unwrap_or_default()
    }
}

//! The editor form: what its fields hold ([`Draft`], also what an autosave keeps), how a posted
//! form is read ([`EditorForm`], with the publishing panel's fields), and the changes it asks
//! the service for.

use serde::{Deserialize, Serialize};

use crate::domain::article::Article;
use crate::domain::article::{ChangeKind, Review, Study};
use crate::domain::dates;
use crate::error::{AppError, FieldError};
use crate::service::articles::{ArticleChanges, ChangeMeta};

/// The "About this study" fields as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StudyForm {
    pub citation: String,
    pub doi: String,
    pub pubmed_id: String,
    pub trial_id: String,
    pub presented_at: String,
    pub study_type: String,
    pub sample_size: String,
    pub url: String,
}

/// The medical review fields as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReviewForm {
    /// A person's slug, or empty.
    pub reviewer: String,
    pub reviewed_by: String,
    pub last_reviewed: String,
    pub next_review_due: String,
}

/// What the editor form holds; also what an autosave keeps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Draft {
    pub title: String,
    pub slug: String,
    pub dek: String,
    pub body_markdown: String,
    pub topics: Vec<String>,
    /// Person slugs, in byline order.
    pub authors: Vec<String>,
    /// A media id, or empty.
    pub lead_image: String,
    /// Search and social: empty means the headline and the summary line are used.
    pub seo_title: String,
    pub meta_description: String,
    pub study: StudyForm,
    pub review: ReviewForm,
    pub change_kind: String,
    pub change_note: String,
    #[serde(skip)]
    pub version: i32,
}

/// A trimmed value, `None` when empty.
pub fn text(value: &str) -> Option<String> {
    Some(value.trim().to_owned()).filter(|v| !v.is_empty())
}

fn date_field(field: &'static str, raw: &str, errors: &mut Vec<FieldError>) -> Option<time::Date> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let date = dates::parse_date_input(raw);
    if date.is_none() {
        errors.push(FieldError::new(field, "must be a date (YYYY-MM-DD)"));
    }
    date
}

impl StudyForm {
    pub fn from_study(study: Option<&Study>) -> Self {
        let Some(s) = study else {
            return Self::default();
        };
        let owned = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            citation: owned(&s.citation),
            doi: owned(&s.doi),
            pubmed_id: owned(&s.pubmed_id),
            trial_id: owned(&s.trial_id),
            presented_at: s.presented_at.map(|d| d.to_string()).unwrap_or_default(),
            study_type: owned(&s.study_type),
            sample_size: s.sample_size.map(|n| n.to_string()).unwrap_or_default(),
            url: owned(&s.url),
        }
    }

    /// `None` when every field is empty (no study box).
    fn to_study(&self, errors: &mut Vec<FieldError>) -> Option<Study> {
        if self.is_blank() {
            return None;
        }
        let sample_size = match self.sample_size.trim() {
            "" => None,
            raw => match raw.replace([',', ' '], "").parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push(FieldError::new(
                        "study.sample_size",
                        "must be a whole number",
                    ));
                    None
                }
            },
        };
        Some(Study {
            citation: text(&self.citation),
            doi: text(&self.doi),
            pubmed_id: text(&self.pubmed_id),
            trial_id: text(&self.trial_id),
            presented_at: date_field("study.presented_at", &self.presented_at, errors),
            study_type: text(&self.study_type),
            sample_size,
            url: text(&self.url),
        })
    }

    /// The study box the fields would give, what they can say of it (a field that does not
    /// read is left out; saving names it).
    pub fn preview(&self) -> Option<Study> {
        self.to_study(&mut Vec::new())
    }

    pub fn is_blank(&self) -> bool {
        [
            &self.citation,
            &self.doi,
            &self.pubmed_id,
            &self.trial_id,
            &self.presented_at,
            &self.study_type,
            &self.sample_size,
            &self.url,
        ]
        .iter()
        .all(|v| v.trim().is_empty())
    }
}

impl ReviewForm {
    fn from_review(review: Option<&Review>) -> Self {
        let Some(r) = review else {
            return Self::default();
        };
        let date = |d: Option<time::Date>| d.map(|d| d.to_string()).unwrap_or_default();
        Self {
            reviewer: r.reviewer.clone().unwrap_or_default(),
            reviewed_by: r.reviewed_by.clone().unwrap_or_default(),
            last_reviewed: date(r.last_reviewed),
            next_review_due: date(r.next_review_due),
        }
    }

    pub fn is_blank(&self) -> bool {
        [
            &self.reviewer,
            &self.reviewed_by,
            &self.last_reviewed,
            &self.next_review_due,
        ]
        .iter()
        .all(|v| v.trim().is_empty())
    }

    fn to_review(&self, errors: &mut Vec<FieldError>) -> Option<Review> {
        if self.is_blank() {
            return None;
        }
        Some(Review {
            reviewer: text(&self.reviewer),
            reviewed_by: text(&self.reviewed_by),
            last_reviewed: date_field("review.last_reviewed", &self.last_reviewed, errors),
            next_review_due: date_field("review.next_review_due", &self.next_review_due, errors),
        })
    }
}

impl Draft {
    pub fn from_doc(doc: &Article) -> Self {
        Self {
            title: doc.title.clone(),
            slug: doc.slug.clone(),
            dek: doc.dek.clone(),
            body_markdown: doc.body_markdown.clone(),
            topics: doc.topics.clone(),
            authors: doc.authors.clone(),
            lead_image: doc.lead_image.map(|id| id.to_string()).unwrap_or_default(),
            seo_title: doc.seo_title.clone().unwrap_or_default(),
            meta_description: doc.meta_description.clone().unwrap_or_default(),
            study: StudyForm::from_study(doc.study.as_ref()),
            review: ReviewForm::from_review(doc.review.as_ref()),
            change_kind: "minor".into(),
            change_note: String::new(),
            version: doc.version,
        }
    }

    /// The changes the form asks for, or the fields it could not read.
    pub fn changes(&self) -> Result<ArticleChanges, AppError> {
        let mut errors = Vec::new();
        let study = self.study.to_study(&mut errors);
        let review = self.review.to_review(&mut errors);
        let lead_image = match self.lead_image.trim() {
            "" => None,
            raw => match uuid::Uuid::parse_str(raw) {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.push(FieldError::new(
                        "lead_image",
                        "is not an image of the library",
                    ));
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(ArticleChanges {
            title: Some(self.title.clone()),
            slug: Some(self.slug.trim().to_owned()).filter(|s| !s.is_empty()),
            dek: Some(self.dek.clone()),
            body_markdown: Some(self.body_markdown.clone()),
            topics: Some(self.topics.clone()),
            authors: Some(self.authors.iter().filter_map(|a| text(a)).collect()),
            study: Some(study),
            review: Some(review),
            lead_image: Some(lead_image),
            // Empty once trimmed clears the field (the service says so).
            seo_title: Some(Some(self.seo_title.clone())),
            meta_description: Some(Some(self.meta_description.clone())),
        })
    }

    pub fn meta(&self) -> Result<ChangeMeta, AppError> {
        let kind = match self.change_kind.as_str() {
            "" | "minor" => ChangeKind::Minor,
            "update" => ChangeKind::Update,
            "correction" => ChangeKind::Correction,
            _ => {
                return Err(AppError::field(
                    "change_kind",
                    "must be minor, update or correction",
                ));
            }
        };
        Ok(ChangeMeta {
            kind,
            note: Some(self.change_note.trim().to_owned()).filter(|n| !n.is_empty()),
        })
    }
}

/// The editor form as posted: its fields flat, as the browser names them (`study.doi` …), a
/// `topic` per ticked topic, and the publishing panel's fields, which only a publishing button
/// reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EditorForm {
    title: String,
    slug: String,
    dek: String,
    body_markdown: String,
    #[serde(rename = "topic")]
    topics: Vec<String>,
    /// One per byline slot, in order; empty slots are skipped.
    #[serde(rename = "author")]
    authors: Vec<String>,
    lead_image: String,
    seo_title: String,
    meta_description: String,
    #[serde(rename = "study.citation")]
    study_citation: String,
    #[serde(rename = "study.doi")]
    study_doi: String,
    #[serde(rename = "study.pubmed_id")]
    study_pubmed_id: String,
    #[serde(rename = "study.trial_id")]
    study_trial_id: String,
    #[serde(rename = "study.presented_at")]
    study_presented_at: String,
    #[serde(rename = "study.study_type")]
    study_study_type: String,
    #[serde(rename = "study.sample_size")]
    study_sample_size: String,
    #[serde(rename = "study.url")]
    study_url: String,
    #[serde(rename = "review.reviewer")]
    review_reviewer: String,
    #[serde(rename = "review.reviewed_by")]
    review_reviewed_by: String,
    #[serde(rename = "review.last_reviewed")]
    review_last_reviewed: String,
    #[serde(rename = "review.next_review_due")]
    review_next_review_due: String,
    change_kind: String,
    change_note: String,
    /// The version the form was loaded at; absent from a form that is not the editor's.
    pub version: Option<i32>,
    /// The publishing button pressed, and the panel's fields.
    pub action: String,
    pub publish_at: String,
    pub reason: String,
    pub superseded_by: String,
    pub withdraw_reason: String,
    /// The note for the author when a story in review is sent back.
    pub send_back_note: String,
    /// When a published story is to be unpublished or archived.
    pub later_at: String,
}

impl EditorForm {
    /// The story's fields as the form holds them.
    pub fn draft(&self) -> Draft {
        Draft {
            title: self.title.clone(),
            slug: self.slug.clone(),
            dek: self.dek.clone(),
            body_markdown: self.body_markdown.replace("\r\n", "\n"),
            topics: self.topics.clone(),
            authors: self
                .authors
                .iter()
                .map(|a| a.trim().to_owned())
                .filter(|a| !a.is_empty())
                .collect(),
            lead_image: self.lead_image.clone(),
            seo_title: self.seo_title.clone(),
            meta_description: self.meta_description.clone(),
            study: StudyForm {
                citation: self.study_citation.clone(),
                doi: self.study_doi.clone(),
                pubmed_id: self.study_pubmed_id.clone(),
                trial_id: self.study_trial_id.clone(),
                presented_at: self.study_presented_at.clone(),
                study_type: self.study_study_type.clone(),
                sample_size: self.study_sample_size.clone(),
                url: self.study_url.clone(),
            },
            review: ReviewForm {
                reviewer: self.review_reviewer.clone(),
                reviewed_by: self.review_reviewed_by.clone(),
                last_reviewed: self.review_last_reviewed.clone(),
                next_review_due: self.review_next_review_due.clone(),
            },
            change_kind: self.change_kind.clone(),
            change_note: self.change_note.clone(),
            version: self.version.unwrap_or(0),
        }
    }

    /// The publishing panel as posted, to show it again.
    pub fn publish(&self) -> super::page::PublishForm {
        super::page::PublishForm {
            publish_at: self.publish_at.clone(),
            reason: self.reason.clone(),
            superseded_by: self.superseded_by.clone(),
            withdraw_reason: self.withdraw_reason.clone(),
            send_back_note: self.send_back_note.clone(),
            later_at: self.later_at.clone(),
        }
    }
}

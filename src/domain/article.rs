//! The article's vocabulary: lifecycle status, kinds of change, and study and review metadata.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a story is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, sqlx::Type)]
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

/// What the story reports on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Study {
    /// Free text: journal, congress, year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doi: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pubmed_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trial_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presented_at: Option<time::Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub study_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_size: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl Study {
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reviewed: Option<time::Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_review_due: Option<time::Date>,
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
    fn only_updates_and_corrections_move_updated_at() {
        assert!(!ChangeKind::Minor.moves_updated_at());
        assert!(ChangeKind::Update.moves_updated_at());
        assert!(ChangeKind::Correction.moves_updated_at());
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

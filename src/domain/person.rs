//! People credited on stories (CONTRACT §8): authors in bylines and medical reviewers. A person
//! is not a user who signs in; their page is `/people/{slug}`.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::slug::Slug;
use super::text::{clean_block, clean_line, has_visible};

/// Limits of CONTRACT §8.
pub mod limits {
    pub const NAME_CHARS: usize = 120;
    pub const CREDENTIALS_CHARS: usize = 200;
    pub const BIO_BYTES: usize = 5_000;
    pub const SAME_AS: usize = 10;
    pub const URL_CHARS: usize = 2_000;
}

/// An `https` URL in ASCII, as `same_as` takes (ORCID, an institution's page …).
pub const HTTPS_URL: &str =
    r"^https://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?([/?#][!#-;=?-\[\]_a-z~]*)?$";

static HTTPS: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(HTTPS_URL).expect("valid pattern"));

/// A person as the API answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Person {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    /// E.g. "MD, medical oncologist"; empty when none.
    pub credentials: String,
    /// Markdown.
    pub bio: String,
    /// The sanitised rendering of `bio` (read-only).
    pub bio_html: String,
    /// A media id, or null.
    pub photo: Option<Uuid>,
    /// Pages about the same person elsewhere (https).
    pub same_as: Vec<String>,
    /// Bumps on every change; the ETag is `"<version>"`.
    pub version: i32,
    #[serde(with = "crate::domain::dates::serde_rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::domain::dates::serde_rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl Person {
    /// The public page's path.
    pub fn path(&self) -> String {
        path(&self.slug)
    }
}

/// The public page of the person at `slug`.
pub fn path(slug: &str) -> String {
    format!("/people/{slug}")
}

/// A person as a byline or review line names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub credentials: String,
}

impl Credit {
    pub fn path(&self) -> String {
        path(&self.slug)
    }
}

/// Changes to a person; `None` leaves a field as it is (`photo: Some(None)` clears it).
#[derive(Debug, Clone, Default)]
pub struct PersonChanges {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub credentials: Option<String>,
    pub bio: Option<String>,
    pub photo: Option<Option<Uuid>>,
    pub same_as: Option<Vec<String>>,
}

/// The fields of a person once checked and cleaned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanPerson {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub credentials: Option<String>,
    pub bio: Option<String>,
    pub same_as: Option<Vec<String>>,
}

/// Checks the changes as sent (lengths count what was sent), returning `(field, message)` pairs,
/// or the cleaned values: one line for the name and credentials, control characters out of the
/// bio, `same_as` without repeats.
pub fn check(changes: &PersonChanges) -> Result<CleanPerson, Vec<(String, String)>> {
    let mut errors: Vec<(String, String)> = Vec::new();
    let mut error = |field: &str, message: String| errors.push((field.to_owned(), message));
    if let Some(slug) = &changes.slug
        && let Err(err) = Slug::parse(slug)
    {
        error("slug", err.to_string());
    }
    if let Some(name) = &changes.name
        && (!has_visible(name) || name.chars().count() > limits::NAME_CHARS)
    {
        error(
            "name",
            format!("must be 1 to {} characters", limits::NAME_CHARS),
        );
    }
    if let Some(credentials) = &changes.credentials
        && credentials.chars().count() > limits::CREDENTIALS_CHARS
    {
        error(
            "credentials",
            format!("must be at most {} characters", limits::CREDENTIALS_CHARS),
        );
    }
    if let Some(bio) = &changes.bio
        && bio.len() > limits::BIO_BYTES
    {
        error(
            "bio",
            format!("must be at most {} bytes", limits::BIO_BYTES),
        );
    }
    let mut same_as: Option<Vec<String>> = None;
    if let Some(urls) = &changes.same_as {
        if urls.len() > limits::SAME_AS {
            error(
                "same_as",
                format!("must list at most {} links", limits::SAME_AS),
            );
        }
        let mut kept: Vec<String> = Vec::new();
        for (i, url) in urls.iter().enumerate() {
            if url.len() > limits::URL_CHARS || !HTTPS.is_match(url) {
                error(
                    &format!("same_as[{i}]"),
                    format!(
                        "must be an https URL of at most {} characters (percent-encode \
                         others than ASCII)",
                        limits::URL_CHARS
                    ),
                );
            } else if !kept.contains(url) {
                kept.push(url.clone());
            }
        }
        same_as = Some(kept);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(CleanPerson {
        slug: changes.slug.clone(),
        name: changes
            .name
            .as_deref()
            .map(|n| clean_line(n).trim().to_owned()),
        credentials: changes
            .credentials
            .as_deref()
            .map(|c| clean_line(c).trim().to_owned()),
        bio: changes
            .bio
            .as_deref()
            .map(|b| clean_block(b).trim().to_owned()),
        same_as,
    })
}

/// A slug for a new person: from the name, or `person` when the name holds nothing a slug can
/// spell.
pub fn slug_from_name(name: &str) -> String {
    Slug::from_title(name).map_or_else(|| "person".to_owned(), |s| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(changes: PersonChanges) -> Vec<String> {
        check(&changes)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|(field, _)| field)
            .collect()
    }

    #[test]
    fn person_fields_are_checked_as_sent() {
        let ok = check(&PersonChanges {
            name: Some("  Dr. Ana\u{7} Ruiz ".into()),
            credentials: Some("MD, medical oncologist".into()),
            same_as: Some(vec![
                "https://orcid.org/0000-0002-1825-0097".into(),
                "https://orcid.org/0000-0002-1825-0097".into(),
            ]),
            ..PersonChanges::default()
        })
        .unwrap();
        assert_eq!(ok.name.as_deref(), Some("Dr. Ana Ruiz"));
        assert_eq!(ok.same_as.map(|s| s.len()), Some(1));
        assert_eq!(
            errors(PersonChanges {
                name: Some(" ".into()),
                slug: Some("Not A Slug".into()),
                credentials: Some("x".repeat(201)),
                bio: Some("x".repeat(5_001)),
                same_as: Some(vec!["http://example.org".into(), "javascript:x".into()]),
                ..PersonChanges::default()
            }),
            [
                "slug",
                "name",
                "credentials",
                "bio",
                "same_as[0]",
                "same_as[1]"
            ]
        );
        assert_eq!(
            errors(PersonChanges {
                same_as: Some(vec!["https://example.org/a".into(); 11]),
                ..PersonChanges::default()
            }),
            ["same_as"]
        );
    }

    #[test]
    fn slugs_come_from_names() {
        assert_eq!(slug_from_name("Dr. Ana Ruiz"), "dr-ana-ruiz");
        assert_eq!(slug_from_name("***"), "person");
    }
}

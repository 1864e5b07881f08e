//! URL slugs: `^[a-z0-9]+(-[a-z0-9]+)*$`, at most 120 characters.

use std::fmt;

/// Longest slug we accept.
pub const MAX_LEN: usize = 120;

/// A slug that satisfies the contract's pattern and length.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Slug(String);

/// Why a string is not a slug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {MAX_LEN} characters")]
    TooLong,
    #[error("may contain only lowercase letters, digits and single hyphens between them")]
    Pattern,
}

impl Slug {
    /// Validates an exact slug.
    pub fn parse(raw: &str) -> Result<Self, SlugError> {
        if raw.is_empty() {
            return Err(SlugError::Empty);
        }
        if raw.len() > MAX_LEN {
            return Err(SlugError::TooLong);
        }
        let valid = raw.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(SlugError::Pattern)
        }
    }

    /// Derives a slug from a title: transliterated to ASCII, lowercased, words joined by
    /// hyphens, cut at a word boundary to fit. `None` when nothing usable is left.
    pub fn from_title(title: &str) -> Option<Self> {
        let slugged = slug::slugify(title);
        let mut out = String::new();
        for word in slugged.split('-').filter(|w| !w.is_empty()) {
            // Leave room for a "-NN" suffix when the slug is taken.
            if out.len() + word.len() + 1 > MAX_LEN - 6 {
                break;
            }
            if !out.is_empty() {
                out.push('-');
            }
            out.push_str(word);
        }
        if out.is_empty() {
            // A single very long word: cut it.
            out = slugged
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(MAX_LEN - 6)
                .collect();
        }
        Self::parse(&out).ok()
    }

    /// This slug with a numeric suffix (`-2`, `-3` …) for when it is taken.
    pub fn with_suffix(&self, n: u32) -> Self {
        Self(format!("{}-{n}", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_lowercase_words_joined_by_single_hyphens() {
        assert!(Slug::parse("her2-breast-cancer-2011").is_ok());
        assert!(Slug::parse("a").is_ok());
    }

    #[test]
    fn rejects_bad_shapes() {
        assert_eq!(Slug::parse(""), Err(SlugError::Empty));
        for bad in ["-a", "a-", "a--b", "A", "a_b", "a b", "ü", "../etc"] {
            assert_eq!(Slug::parse(bad), Err(SlugError::Pattern), "{bad}");
        }
        assert_eq!(Slug::parse(&"a".repeat(121)), Err(SlugError::TooLong));
        assert!(Slug::parse(&"a".repeat(120)).is_ok());
    }

    #[test]
    fn derives_from_titles() {
        let slug =
            Slug::from_title("  Trastuzumab & Chemo: 9% in Remission — Ten Years On! ").unwrap();
        assert_eq!(
            slug.as_str(),
            "trastuzumab-chemo-9-in-remission-ten-years-on"
        );
        assert_eq!(Slug::from_title("Über Café").unwrap().as_str(), "uber-cafe");
        assert!(Slug::from_title("!!! ???").is_none());
        let long = Slug::from_title(&"word ".repeat(100)).unwrap();
        assert!(long.as_str().len() <= MAX_LEN - 6);
        assert_eq!(long.with_suffix(2).as_str(), format!("{long}-2"));
    }
}

//! Images (CONTRACT §9): which files are taken (decided by their bytes), their limits, the
//! widths and formats served, what editors must say of an image, and its served addresses.
//! Decoding, resizing and encoding are I/O at the edge (`crate::media`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::text::{clean_line, has_visible};

/// Limits of CONTRACT §9.
pub mod limits {
    /// Largest upload.
    pub const MAX_BYTES: usize = 20 * 1024 * 1024;
    /// Largest image, in pixels (width × height).
    pub const MAX_PIXELS: u64 = 50_000_000;
    pub const ALT_CHARS: usize = 250;
    pub const CAPTION_CHARS: usize = 1_000;
    pub const CREDIT_CHARS: usize = 200;
}

/// The formats taken, as their bytes say (never the name or the declared type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Format {
    Jpeg,
    Png,
    Webp,
    Gif,
}

impl Format {
    /// The format of `bytes` by their signature; `None` for anything else (SVG, HTML, PDF …).
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(Self::Gif)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Gif => "image/gif",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
            Self::Gif => "gif",
        }
    }

    pub fn from_content_type(content_type: &str) -> Option<Self> {
        [Self::Jpeg, Self::Png, Self::Webp, Self::Gif]
            .into_iter()
            .find(|f| f.content_type() == content_type)
    }

    pub fn from_extension(extension: &str) -> Option<Self> {
        [Self::Jpeg, Self::Png, Self::Webp, Self::Gif]
            .into_iter()
            .find(|f| f.extension() == extension)
    }

    /// The formats each width is served in: the original's, and WebP beside it.
    pub fn renditions(self) -> &'static [Self] {
        match self {
            Self::Jpeg => &[Self::Jpeg, Self::Webp],
            Self::Png => &[Self::Png, Self::Webp],
            Self::Gif => &[Self::Gif, Self::Webp],
            Self::Webp => &[Self::Webp],
        }
    }
}

/// The widths renditions are made at: those narrower than the original, and the original's own
/// width when it is within the largest (else the largest), so there is one of at least 1200
/// pixels whenever the original is that wide, and none is ever wider than the original.
pub const WIDTHS: [u32; 5] = [480, 800, 1200, 1600, 2400];

/// The widths of an original `width` pixels wide, narrowest first.
pub fn rendition_widths(width: u32) -> Vec<u32> {
    let largest = WIDTHS[WIDTHS.len() - 1];
    let mut widths: Vec<u32> = WIDTHS.iter().copied().filter(|w| *w < width).collect();
    widths.push(width.min(largest));
    widths.dedup();
    widths
}

/// The height of a rendition `width` wide of a `w` × `h` original (at least one pixel).
pub fn height_for(width: u32, w: u32, h: u32) -> u32 {
    let height = (u64::from(width) * u64::from(h) + u64::from(w) / 2) / u64::from(w.max(1));
    u32::try_from(height.max(1)).unwrap_or(u32::MAX)
}

/// The width social cards ask for at least (Facebook, X and LinkedIn show large cards from it).
pub const CARD_WIDTH: u32 = 1200;

/// Where a file with this content hash is served.
pub fn path(hash: &str, format: Format) -> String {
    format!("/media/{hash}.{}", format.extension())
}

/// The hash and format named by a served file's name (`<sha256>.<ext>`).
pub fn parse_file_name(name: &str) -> Option<(&str, Format)> {
    let (hash, extension) = name.split_once('.')?;
    let hex = hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    Some((hash, Format::from_extension(extension)?)).filter(|_| hex)
}

/// The hash of a served file named by a `/media/…` URL (absolute on this site, or a path).
pub fn hash_in_url<'a>(url: &'a str, base_url: &str) -> Option<&'a str> {
    let path = url.strip_prefix(base_url).unwrap_or(url);
    let name = path.strip_prefix("/media/")?;
    parse_file_name(name).map(|(hash, _)| hash)
}

/// One served file of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rendition {
    pub width: u32,
    pub height: u32,
    pub url: String,
    pub content_type: String,
}

/// An image as the API answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Media {
    pub id: Uuid,
    /// The largest rendition in the original's format (re-encoded: the upload itself is never
    /// served).
    pub url: String,
    pub width: u32,
    pub height: u32,
    /// The original's format.
    pub content_type: String,
    /// Empty for a decorative image.
    pub alt: String,
    pub decorative: bool,
    pub caption: String,
    pub credit: String,
    /// The file name as uploaded (for the library's search).
    pub filename: String,
    /// Narrowest first; each width in the original's format and in WebP.
    pub renditions: Vec<Rendition>,
    pub version: i32,
    #[serde(with = "crate::domain::dates::serde_rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Media {
    /// The renditions in `content_type`, narrowest first.
    pub fn in_format<'a>(&'a self, content_type: &'a str) -> impl Iterator<Item = &'a Rendition> {
        self.renditions
            .iter()
            .filter(move |r| r.content_type == content_type)
    }

    /// The rendition for a social card: the narrowest of at least [`CARD_WIDTH`] in the
    /// original's format, else its largest.
    pub fn card(&self) -> Option<&Rendition> {
        let own: Vec<&Rendition> = self.in_format(&self.content_type).collect();
        own.iter()
            .find(|r| r.width >= CARD_WIDTH)
            .or(own.last())
            .copied()
    }

    /// `srcset` of the renditions in `content_type`.
    pub fn srcset(&self, content_type: &str, base: &str) -> String {
        self.in_format(content_type)
            .map(|r| format!("{base}{} {}w", r.url, r.width))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The address a story's body shows it at: the widest rendition of at most 1200 pixels in
    /// the original's format (else the narrowest, else the largest).
    pub fn body_url(&self) -> &str {
        let own: Vec<&Rendition> = self.in_format(&self.content_type).collect();
        own.iter()
            .rev()
            .find(|r| r.width <= 1200)
            .or(own.first())
            .map_or(self.url.as_str(), |r| r.url.as_str())
    }

    /// The text an `<img>` carries: empty for a decorative image.
    pub fn alt_text(&self) -> &str {
        if self.decorative { "" } else { &self.alt }
    }
}

/// What an editor says of an image; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct MediaText {
    pub alt: Option<String>,
    pub decorative: Option<bool>,
    pub caption: Option<String>,
    pub credit: Option<String>,
}

/// The text once checked and cleaned (one line each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanText {
    pub alt: String,
    pub decorative: bool,
    pub caption: String,
    pub credit: String,
}

/// Checks `text` over what the image says now (`current`: `None` for an upload): lengths as
/// sent, and alt text that says something unless the image is decorative.
pub fn check_text(
    text: &MediaText,
    current: Option<&CleanText>,
) -> Result<CleanText, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let long = |value: &Option<String>, max: usize| {
        value.as_ref().is_some_and(|v| v.chars().count() > max)
    };
    if long(&text.alt, limits::ALT_CHARS) {
        errors.push((
            "alt",
            format!("must be at most {} characters", limits::ALT_CHARS),
        ));
    }
    if long(&text.caption, limits::CAPTION_CHARS) {
        errors.push((
            "caption",
            format!("must be at most {} characters", limits::CAPTION_CHARS),
        ));
    }
    if long(&text.credit, limits::CREDIT_CHARS) {
        errors.push((
            "credit",
            format!("must be at most {} characters", limits::CREDIT_CHARS),
        ));
    }
    let line = |value: &Option<String>, now: Option<&String>| {
        value
            .as_deref()
            .map(|v| clean_line(v).trim().to_owned())
            .or_else(|| now.cloned())
            .unwrap_or_default()
    };
    let clean = CleanText {
        alt: line(&text.alt, current.map(|c| &c.alt)),
        decorative: text
            .decorative
            .or(current.map(|c| c.decorative))
            .unwrap_or(false),
        caption: line(&text.caption, current.map(|c| &c.caption)),
        credit: line(&text.credit, current.map(|c| &c.credit)),
    };
    if !clean.decorative && !has_visible(&clean.alt) && !errors.iter().any(|(f, _)| *f == "alt") {
        errors.push((
            "alt",
            "is required: describe the image for people who cannot see it (or mark it decorative)"
                .to_owned(),
        ));
    }
    if errors.is_empty() {
        Ok(clean)
    } else {
        Err(errors)
    }
}

/// Why an image in a story's body cannot be published: its alt text is empty and it is not a
/// decorative image of the library.
pub fn missing_alt(images: &[(String, String)], decorative: impl Fn(&str) -> bool) -> Vec<String> {
    images
        .iter()
        .filter(|(url, alt)| !has_visible(alt) && !decorative(url))
        .map(|(url, _)| url.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_decided_by_their_bytes() {
        assert_eq!(Format::sniff(b"\xFF\xD8\xFF\xE0rest"), Some(Format::Jpeg));
        assert_eq!(Format::sniff(b"\x89PNG\r\n\x1a\nrest"), Some(Format::Png));
        assert_eq!(Format::sniff(b"GIF89a..."), Some(Format::Gif));
        assert_eq!(Format::sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Format::Webp));
        for other in [
            &b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"[..],
            b"<?xml version='1.0'?><svg/>",
            b"%PDF-1.7",
            b"RIFF\0\0\0\0WAVEfmt ",
            b"",
            b"\xFF\xD8",
        ] {
            assert_eq!(Format::sniff(other), None, "{other:?}");
        }
    }

    #[test]
    fn widths_are_never_wider_than_the_original_and_reach_1200() {
        assert_eq!(rendition_widths(6000), [480, 800, 1200, 1600, 2400]);
        assert_eq!(rendition_widths(1300), [480, 800, 1200, 1300]);
        assert_eq!(rendition_widths(1200), [480, 800, 1200]);
        assert_eq!(rendition_widths(300), [300]);
        assert_eq!(rendition_widths(480), [480]);
        assert_eq!(height_for(1200, 6000, 4000), 800);
        assert_eq!(height_for(1, 6000, 1), 1);
    }

    #[test]
    fn served_names_are_hashes_with_a_known_extension() {
        let hash = "a".repeat(64);
        assert_eq!(
            parse_file_name(&format!("{hash}.jpg")),
            Some((hash.as_str(), Format::Jpeg))
        );
        assert_eq!(parse_file_name(&format!("{hash}.svg")), None);
        assert_eq!(parse_file_name("abc.jpg"), None);
        assert_eq!(parse_file_name(&format!("{}.png", "A".repeat(64))), None);
        let url = format!("https://news.example.org/media/{hash}.webp");
        assert_eq!(
            hash_in_url(&url, "https://news.example.org"),
            Some(hash.as_str())
        );
        assert_eq!(
            hash_in_url(
                "https://elsewhere.example/x.jpg",
                "https://news.example.org"
            ),
            None
        );
    }

    #[test]
    fn alt_text_is_required_unless_decorative() {
        let fields = |r: Result<CleanText, Vec<(&'static str, String)>>| {
            r.err()
                .unwrap_or_default()
                .into_iter()
                .map(|(f, _)| f)
                .collect::<Vec<_>>()
        };
        assert_eq!(fields(check_text(&MediaText::default(), None)), ["alt"]);
        assert_eq!(
            fields(check_text(
                &MediaText {
                    alt: Some(" \u{7} ".into()),
                    ..MediaText::default()
                },
                None
            )),
            ["alt"]
        );
        let ok = check_text(
            &MediaText {
                decorative: Some(true),
                ..MediaText::default()
            },
            None,
        )
        .unwrap();
        assert!(ok.decorative && ok.alt.is_empty());
        assert_eq!(
            fields(check_text(
                &MediaText {
                    alt: Some("x".repeat(251)),
                    caption: Some("x".repeat(1001)),
                    credit: Some("x".repeat(201)),
                    ..MediaText::default()
                },
                None
            )),
            ["alt", "caption", "credit"]
        );
        // A change keeps what it does not name.
        let now = CleanText {
            alt: "A chart".into(),
            decorative: false,
            caption: "C".into(),
            credit: "D".into(),
        };
        let changed = check_text(
            &MediaText {
                caption: Some("New".into()),
                ..MediaText::default()
            },
            Some(&now),
        )
        .unwrap();
        assert_eq!(
            (changed.alt.as_str(), changed.caption.as_str()),
            ("A chart", "New")
        );
    }

    #[test]
    fn body_images_without_alt_are_named_unless_decorative() {
        let images = vec![
            ("/media/a.jpg".to_owned(), "A chart".to_owned()),
            ("/media/b.jpg".to_owned(), String::new()),
            ("/media/c.jpg".to_owned(), " ".to_owned()),
        ];
        assert_eq!(
            missing_alt(&images, |url| url == "/media/c.jpg"),
            ["/media/b.jpg"]
        );
    }
}

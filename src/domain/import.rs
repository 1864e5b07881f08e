//! The rules of importing another system's site (CONTRACT §11), without I/O: which WordPress
//! posts become stories and in what status, a source's slug made fit for Dateline, the dek
//! derived from a body when the source has no excerpt, and old permalinks as paths.

use super::article::{ArticleStatus, limits};
use super::slug::Slug;

/// What becomes of a WordPress item, from its `wp:post_type` and `wp:status`: a story in a
/// status, or a skip with its reason.
pub fn wordpress_status(post_type: &str, status: &str) -> Result<ArticleStatus, String> {
    match post_type {
        "post" => {}
        "page" => return Err("a page (only posts are imported)".into()),
        "attachment" => {
            return Err(
                "an attachment (images keep their URLs in bodies; --media-from imports the files)"
                    .into(),
            );
        }
        "nav_menu_item" => return Err("a menu item".into()),
        "revision" => return Err("a revision (the post itself is imported)".into()),
        other => return Err(format!("a {other} (only posts are imported)")),
    }
    match status {
        "publish" => Ok(ArticleStatus::Published),
        "draft" | "auto-draft" => Ok(ArticleStatus::Draft),
        "pending" => Ok(ArticleStatus::InReview),
        "future" => Ok(ArticleStatus::Scheduled),
        "private" => Err("private (not for readers)".into()),
        "trash" => Err("in the trash".into()),
        "inherit" => Err("inherits its status (not a post of its own)".into()),
        other => Err(format!("has an unknown status {other:?}")),
    }
}

/// A Dateline slug from a source's slug (percent-decoded, lower-cased, anything else made
/// into dashes), else from `fallback` (the title or name); `None` when neither spells one.
pub fn slug_from_source(source_slug: &str, fallback: &str) -> Option<String> {
    let decoded = percent_decode(source_slug.trim());
    if let Ok(slug) = Slug::parse(&decoded) {
        return Some(slug.to_string());
    }
    Slug::from_title(&decoded)
        .or_else(|| Slug::from_title(fallback))
        .map(|s| s.to_string())
}

/// Decodes `%xx` escapes (WordPress stores slugs of non-ASCII titles percent-encoded); invalid
/// UTF-8 is replaced.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// The most characters a derived dek takes (a summary line, not the whole first paragraph).
pub const DERIVED_DEK_CHARS: usize = 200;

/// A dek from a source's excerpt, cut to the limit; from the body's first paragraph of text
/// (`plain_paragraphs`: the body as plain text, paragraphs separated by blank lines) when the
/// excerpt is empty, cut at a word to [`DERIVED_DEK_CHARS`] with an ellipsis.
pub fn dek(excerpt: &str, plain_paragraphs: &str) -> String {
    let excerpt = collapse(excerpt);
    if !excerpt.is_empty() {
        return cut(&excerpt, limits::DEK_CHARS);
    }
    let first = plain_paragraphs
        .split("\n\n")
        .map(collapse)
        .find(|p| p.chars().any(char::is_alphanumeric))
        .unwrap_or_default();
    cut(&first, DERIVED_DEK_CHARS)
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `s` when it fits in `max` characters, else cut at the last space before the limit, with "…".
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let head: String = s.chars().take(max - 1).collect();
    let head = match head.rfind(' ') {
        Some(at) if at > head.len() / 2 => &head[..at],
        _ => head.as_str(),
    };
    format!("{}…", head.trim_end_matches([' ', ',', ';', ':', '.']))
}

/// The path of an old permalink (`https://example.org/2019/05/a-study/` → `/2019/05/a-study/`),
/// `None` when it is the site's root (a draft's `/?p=42` link is recorded as that instead).
pub fn permalink_path(link: &str) -> Option<String> {
    let link = link.trim();
    let rest = match link.split_once("://") {
        Some((_, rest)) => rest.find('/').map(|at| &rest[at..])?,
        None if link.starts_with('/') => link,
        None => return None,
    };
    let path = rest.split(['?', '#']).next().unwrap_or("");
    (path.len() > 1).then(|| path.to_owned())
}

/// The paths a request for `path` may have been recorded under: itself, and with or without a
/// trailing slash.
pub fn redirect_candidates(path: &str) -> Vec<String> {
    let mut paths = vec![path.to_owned()];
    if let Some(bare) = path.strip_suffix('/')
        && !bare.is_empty()
    {
        paths.push(bare.to_owned());
    } else if !path.ends_with('/') {
        paths.push(format!("{path}/"));
    }
    paths
}

/// Where a file of a WordPress site's uploads folder lives under it: `2019/05/chart.png` for
/// `https://old.example/wp-content/uploads/2019/05/chart.png` (any host, or a path alone),
/// without a query or fragment; percent-escapes decoded. `None` for other addresses, and for
/// paths that would leave the folder (`..`).
pub fn uploads_path(url: &str) -> Option<String> {
    let url = url.trim();
    let end = url.find(['?', '#']).unwrap_or(url.len());
    let url = &url[..end];
    let at = url.find("/wp-content/uploads/")? + "/wp-content/uploads/".len();
    relative_upload(&percent_decode(&url[at..]))
}

/// `path` (as `_wp_attached_file` gives it) if it is a plain relative path inside the uploads
/// folder: no `..`, no leading `/`, no backslashes, not empty.
pub fn relative_upload(path: &str) -> Option<String> {
    let path = path.trim();
    let ok = !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains('\0')
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..");
    ok.then(|| path.to_owned())
}

/// The file WordPress resized `path` from: `2019/05/chart-1024x683.png` → `2019/05/chart.png`
/// (its `-{width}x{height}` sizes, and the `-scaled` of big uploads); `None` when the name
/// has neither.
pub fn unsized_upload(path: &str) -> Option<String> {
    let (stem, ext) = path.rsplit_once('.')?;
    if let Some(base) = stem.strip_suffix("-scaled") {
        return Some(format!("{base}.{ext}"));
    }
    let (base, size) = stem.rsplit_once('-')?;
    let (w, h) = size.split_once('x')?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit());
    (digits(w) && digits(h)).then(|| format!("{base}.{ext}"))
}

/// `markdown` with each image or link to a file of the old uploads folder that `imported`
/// knows (by its path under the folder, resized copies included) pointed at the imported
/// image's address instead; an image without alt text of its author's (none, or the words
/// `generated_alt` made from its address) gets the imported image's. Other addresses are left
/// as they are.
pub fn link_uploads(
    markdown: &str,
    imported: impl Fn(&str) -> Option<(String, String)>,
    generated_alt: impl Fn(&str) -> String,
) -> String {
    use std::sync::LazyLock;
    // `![alt](url "title")` or `[text](url)` with no brackets in the text.
    static LINK: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r#"(!?)\[([^\[\]\n]*)\]\(<?([^)\s>]+)>?((?:\s+"[^"\n]*")?)\)"#)
            .expect("a valid regex")
    });
    // Any other target, such as the outer link of `[![alt](thumb)](full size)`.
    static TARGET: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r#"\]\(<?([^)\s>]+)>?((?:\s+"[^"\n]*")?)\)"#).expect("a valid regex")
    });
    let find = |url: &str| {
        let path = uploads_path(url)?;
        imported(&path).or_else(|| imported(&unsized_upload(&path)?))
    };
    let linked = LINK.replace_all(markdown, |caps: &regex::Captures<'_>| {
        let (bang, text, url, title) = (&caps[1], &caps[2], &caps[3], &caps[4]);
        match find(url) {
            Some((new_url, alt)) => {
                let generated = || text.trim() == generated_alt(url).replace(['[', ']'], "");
                let text = if bang == "!" && (text.trim().is_empty() || generated()) {
                    alt.replace(['[', ']'], "")
                } else {
                    text.to_owned()
                };
                format!("{bang}[{text}]({new_url}{title})")
            }
            None => caps[0].to_owned(),
        }
    });
    TARGET
        .replace_all(&linked, |caps: &regex::Captures<'_>| match find(&caps[1]) {
            Some((new_url, _)) => format!("]({new_url}{})", &caps[2]),
            None => caps[0].to_owned(),
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wordpress_statuses_map_to_story_statuses_and_the_rest_is_skipped_with_a_reason() {
        assert_eq!(
            wordpress_status("post", "publish"),
            Ok(ArticleStatus::Published)
        );
        assert_eq!(wordpress_status("post", "draft"), Ok(ArticleStatus::Draft));
        assert_eq!(
            wordpress_status("post", "pending"),
            Ok(ArticleStatus::InReview)
        );
        assert_eq!(
            wordpress_status("post", "future"),
            Ok(ArticleStatus::Scheduled)
        );
        assert!(
            wordpress_status("post", "private")
                .unwrap_err()
                .contains("private")
        );
        assert!(
            wordpress_status("post", "trash")
                .unwrap_err()
                .contains("trash")
        );
        assert!(
            wordpress_status("page", "publish")
                .unwrap_err()
                .contains("page")
        );
        assert!(
            wordpress_status("attachment", "inherit")
                .unwrap_err()
                .contains("attachment")
        );
    }

    #[test]
    fn source_slugs_are_kept_when_valid_and_repaired_or_derived_otherwise() {
        assert_eq!(slug_from_source("new-study", "x").unwrap(), "new-study");
        assert_eq!(slug_from_source("New_Study", "x").unwrap(), "new-study");
        assert_eq!(
            slug_from_source("", "A Trial of Sleep").unwrap(),
            "a-trial-of-sleep"
        );
        assert_eq!(
            slug_from_source("caf%c3%a9-study", "x").unwrap(),
            "cafe-study"
        );
    }

    #[test]
    fn the_excerpt_is_the_dek_else_the_first_paragraph_cut_at_a_word() {
        assert_eq!(
            dek("  The short\n summary. ", "Body."),
            "The short summary."
        );
        assert_eq!(dek("", "\n\nFirst para.\n\nSecond."), "First para.");
        let long = "word ".repeat(100);
        let derived = dek("", &long);
        assert!(derived.chars().count() <= DERIVED_DEK_CHARS);
        assert!(derived.ends_with("word…"), "{derived}");
    }

    #[test]
    fn permalinks_become_paths_and_the_root_is_none() {
        assert_eq!(
            permalink_path("https://example.org/2019/05/a-study/").as_deref(),
            Some("/2019/05/a-study/")
        );
        assert_eq!(permalink_path("https://example.org/?p=42"), None);
        assert_eq!(permalink_path("https://example.org"), None);
        assert_eq!(redirect_candidates("/a/b/"), vec!["/a/b/", "/a/b"]);
        assert_eq!(redirect_candidates("/a/b"), vec!["/a/b", "/a/b/"]);
    }

    #[test]
    fn upload_addresses_are_found_under_the_uploads_folder_and_resized_copies_lead_to_their_file() {
        assert_eq!(
            uploads_path("https://old.example/wp-content/uploads/2019/05/chart%20a.png?v=2"),
            Some("2019/05/chart a.png".into())
        );
        assert_eq!(
            uploads_path("/wp-content/uploads/2019/05/chart.png"),
            Some("2019/05/chart.png".into())
        );
        assert_eq!(uploads_path("https://old.example/2019/05/chart.png"), None);
        assert_eq!(uploads_path("/wp-content/uploads/../../etc/passwd"), None);
        assert_eq!(relative_upload("/etc/passwd"), None);
        assert_eq!(relative_upload("2019//x.png"), None);
        assert_eq!(
            unsized_upload("2019/05/chart-1024x683.png"),
            Some("2019/05/chart.png".into())
        );
        assert_eq!(
            unsized_upload("2019/05/scan-scaled.jpg"),
            Some("2019/05/scan.jpg".into())
        );
        assert_eq!(unsized_upload("2019/05/covid-19.png"), None);
        assert_eq!(unsized_upload("2019/05/a-bxc.png"), None);
    }

    #[test]
    fn bodies_point_at_imported_images_and_fill_missing_alt_text() {
        let imported = |path: &str| {
            (path == "2019/05/chart.png")
                .then(|| ("/media/abc.png".to_owned(), "A [bar] chart".to_owned()))
        };
        let body = "Look:\n\n![](https://old.example/wp-content/uploads/2019/05/chart-300x200.png)\n\n\
                    [![Trial arms](https://old.example/wp-content/uploads/2019/05/chart.png \"t\")](https://old.example/wp-content/uploads/2019/05/chart.png)\n\n\
                    ![x](https://elsewhere.example/wp-content/uploads/2019/05/other.png) [site](https://old.example/about/)";
        let out = link_uploads(body, imported, |url| {
            if url.ends_with("chart.png") || url.ends_with("other.png") {
                "Trial arms".to_owned()
            } else {
                String::new()
            }
        });
        assert_eq!(
            out,
            "Look:\n\n![A bar chart](/media/abc.png)\n\n\
             [![A bar chart](/media/abc.png \"t\")](/media/abc.png)\n\n\
             ![x](https://elsewhere.example/wp-content/uploads/2019/05/other.png) [site](https://old.example/about/)"
        );
    }
}

//! A source's post body → Markdown the editor can edit: WordPress's own markup first (block
//! comments, shortcodes, `wpautop` paragraphs), then any HTML to Markdown (`htmd`), every image
//! given alt text. The Markdown is sanitised later like any body (`domain::markdown`).

use std::sync::LazyLock;

use regex::{Captures, Regex};

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid pattern")
}

static BLOCK_COMMENT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?s)<!--\s*/?wp:.*?-->|<!--\s*(?:more|nextpage|noteaser)\b.*?-->"));
static CAPTION: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?s)\[(?:wp_)?caption\b([^\]]*)\](.*?)\[/(?:wp_)?caption\]"));
static EMBED: LazyLock<Regex> = LazyLock::new(|| re(r"(?s)\[embed\b[^\]]*\](.*?)\[/embed\]"));
static MEDIA: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?s)\[(audio|video)\b([^\]]*)\](?:(.*?)\[/(?:audio|video)\])?"));
static BARE_URL: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?m)^[ \t]*(https?://[^\s<>\x22]+)[ \t]*$"));
static SHORTCODE: LazyLock<Regex> =
    LazyLock::new(|| re(r"\[(/?)([A-Za-z][\w-]*)((?:\s[^\[\]]*)?)/?\]"));
static ATTR_URL: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\b(?:src|mp3|m4a|ogg|wav|mp4|webm|ogv|url)\s*=\s*["']([^"']+)["']"#));
static CAPTION_ATTR: LazyLock<Regex> = LazyLock::new(|| re(r#"\bcaption\s*=\s*"([^"]*)""#));
static IMG: LazyLock<Regex> = LazyLock::new(|| re(r"(?is)<img\b[^>]*>"));
static ALT: LazyLock<Regex> = LazyLock::new(|| re(r#"(?is)\salt\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)"#));
static SRC: LazyLock<Regex> = LazyLock::new(|| re(r#"(?is)\ssrc\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)"#));
static TAG: LazyLock<Regex> = LazyLock::new(|| re(r"(?s)<[^>]*>"));
static SIZE_SUFFIX: LazyLock<Regex> = LazyLock::new(|| re(r"-\d+x\d+$|-scaled$"));
static BLOCK_START: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*</?(?:p|div|h[1-6]|ul|ol|li|dl|blockquote|figure|figcaption|table|thead|tbody|tr|pre|hr|form|section|article|aside|header|footer|address|iframe|script|style)\b",
    )
});

/// Shortcodes that hold nothing a reader can use here: dropped with what they enclose.
const DROPPED: &[&str] = &["gallery", "playlist", "contact-form-7", "contact-form"];

/// A WordPress post's `content:encoded` as Markdown.
pub fn wordpress_to_markdown(content: &str) -> String {
    html_to_markdown(&wordpress_to_html(content))
}

/// WordPress's stored content as the HTML WordPress would show: block comments removed,
/// shortcodes made into HTML or dropped, paragraphs made from blank lines.
pub fn wordpress_to_html(content: &str) -> String {
    let content = content.replace("\r\n", "\n");
    let content = BLOCK_COMMENT.replace_all(&content, "");
    let content = shortcodes(&content);
    autop(&content)
}

fn shortcodes(content: &str) -> String {
    let content = CAPTION.replace_all(content, |c: &Captures| caption(&c[1], &c[2]));
    let content = EMBED.replace_all(&content, |c: &Captures| link_paragraph(c[1].trim()));
    let content = MEDIA.replace_all(&content, |c: &Captures| {
        let url = ATTR_URL
            .captures(&c[2])
            .map(|u| u[1].to_owned())
            .or_else(|| c.get(3).map(|m| m.as_str().trim().to_owned()))
            .filter(|u| u.starts_with("http"));
        url.map(|u| link_paragraph(&u)).unwrap_or_default()
    });
    // An enclosing shortcode WordPress drops: what it encloses goes too.
    let mut content = content.into_owned();
    for name in DROPPED {
        let enclosing = re(&format!(r"(?s)\[{name}\b[^\]]*\].*?\[/{name}\]"));
        content = enclosing.replace_all(&content, "").into_owned();
    }
    let content = BARE_URL.replace_all(&content, |c: &Captures| link_paragraph(&c[1]));
    // Other shortcodes: tags go, enclosed text stays. A bracketed word without attributes and
    // without a closing tag (`[sic]`, `[1]`) is the writer's text, not a shortcode.
    let closing: Vec<String> = SHORTCODE
        .captures_iter(&content)
        .filter(|c| &c[1] == "/")
        .map(|c| c[2].to_ascii_lowercase())
        .collect();
    SHORTCODE
        .replace_all(&content, |c: &Captures| {
            let name = c[2].to_ascii_lowercase();
            let is_shortcode = &c[1] == "/"
                || !c[3].trim().is_empty()
                || closing.contains(&name)
                || DROPPED.contains(&name.as_str());
            if is_shortcode {
                String::new()
            } else {
                c[0].to_owned()
            }
        })
        .into_owned()
}

/// `[caption]<img …> The caption[/caption]` → a figure with its caption (the image's alt text
/// is the caption when the image has none).
fn caption(attrs: &str, inner: &str) -> String {
    let inner = inner.trim();
    // The image (maybe inside a link) comes first; the rest is the caption.
    let split = if inner.starts_with("<a") {
        inner.find("</a>").map(|at| at + 4)
    } else {
        IMG.find(inner).map(|m| m.end())
    };
    let (image, text) = match split {
        Some(at) => (&inner[..at], inner[at..].trim()),
        None => ("", inner),
    };
    let text = if text.is_empty() {
        CAPTION_ATTR
            .captures(attrs)
            .map(|c| c[1].to_owned())
            .unwrap_or_default()
    } else {
        text.to_owned()
    };
    let plain = plain_text(&text);
    let image = IMG.replace_all(image, |c: &Captures| with_alt(&c[0], Some(&plain)));
    if text.is_empty() {
        format!("\n\n<figure>{image}</figure>\n\n")
    } else {
        format!("\n\n<figure>{image}<figcaption><em>{text}</em></figcaption></figure>\n\n")
    }
}

fn link_paragraph(url: &str) -> String {
    let url = escape_attr(url);
    format!("\n\n<p><a href=\"{url}\">{url}</a></p>\n\n")
}

/// WordPress's `wpautop`, simplified: text between blank lines is a paragraph (single line
/// breaks inside it kept as breaks); blocks that already are HTML blocks stay as they are.
fn autop(content: &str) -> String {
    let mut out = String::with_capacity(content.len() + 64);
    for chunk in content.split("\n\n") {
        let chunk = chunk.trim();
        if chunk.is_empty() {
            continue;
        }
        if BLOCK_START.is_match(chunk) {
            out.push_str(chunk);
        } else {
            out.push_str("<p>");
            out.push_str(&chunk.replace('\n', "<br>\n"));
            out.push_str("</p>");
        }
        out.push_str("\n\n");
    }
    out
}

/// Any HTML (WordPress's once prepared, Ghost's) as Markdown, each image given alt text.
pub fn html_to_markdown(html: &str) -> String {
    let html = IMG.replace_all(html, |c: &Captures| with_alt(&c[0], None));
    let converter = htmd::HtmlToMarkdown::builder()
        .skip_tags(vec!["script", "style", "iframe", "form", "noscript"])
        .build();
    // htmd reads HTML as a browser would and does not fail on text input.
    let markdown = converter.convert(&html).unwrap_or_default();
    markdown.trim().to_owned()
}

/// An `<img>` tag with alt text: its own when it has some, else `fallback` (a caption), else
/// words from its file name (`heart-scan-300x200.jpg` → "heart scan").
fn with_alt(tag: &str, fallback: Option<&str>) -> String {
    let current = ALT
        .captures(tag)
        .map(|c| unquote(&c[1]).trim().to_owned())
        .unwrap_or_default();
    if !current.is_empty() {
        return tag.to_owned();
    }
    let from_file = || {
        SRC.captures(tag)
            .map(|c| alt_from_file(&unquote(&c[1])))
            .unwrap_or_else(|| "Image".to_owned())
    };
    let alt = fallback
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(from_file);
    let without = ALT.replace_all(tag, "");
    let at = "<img".len();
    format!(
        "{} alt=\"{}\"{}",
        &without[..at],
        escape_attr(&alt),
        &without[at..]
    )
}

/// The alt text an image without any is given from its address (`heart-scan-300x200.jpg` →
/// "heart scan", else "Image"), so that an import can tell it from the author's own.
pub fn alt_from_file(src: &str) -> String {
    let words = file_words(src);
    if words.is_empty() {
        "Image".to_owned()
    } else {
        words
    }
}

fn unquote(value: &str) -> String {
    value.trim_matches(['"', '\'']).to_owned()
}

/// The words of an image's file name.
fn file_words(src: &str) -> String {
    let name = src.split(['?', '#']).next().unwrap_or("");
    let name = name.rsplit('/').next().unwrap_or("");
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let stem = crate::domain::import::percent_decode(stem);
    let stem = SIZE_SUFFIX.replace(&stem, "");
    stem.replace(['-', '_', '+'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn escape_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Text without tags, HTML entities decoded, white space collapsed.
pub fn plain_text(html: &str) -> String {
    let text = TAG.replace_all(html, "");
    decode_entities(&text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// HTML entities decoded (WordPress stores titles and term names HTML-escaped, `&amp;`,
/// `&#8217;`): numeric ones and the named ones WordPress writes; others stay as they are.
pub fn decode_entities(text: &str) -> String {
    static ENTITY: LazyLock<Regex> =
        LazyLock::new(|| re(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});"));
    ENTITY
        .replace_all(text, |c: &Captures| {
            let name = &c[1];
            let decoded =
                if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                    u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
                } else if let Some(dec) = name.strip_prefix('#') {
                    dec.parse().ok().and_then(char::from_u32)
                } else {
                    match name {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        "nbsp" => Some('\u{a0}'),
                        "ndash" => Some('–'),
                        "mdash" => Some('—'),
                        "hellip" => Some('…'),
                        "lsquo" => Some('‘'),
                        "rsquo" => Some('’'),
                        "ldquo" => Some('“'),
                        "rdquo" => Some('”'),
                        _ => None,
                    }
                };
            decoded.map_or_else(|| c[0].to_owned(), String::from)
        })
        .into_owned()
}

/// A body's paragraphs as plain text, separated by blank lines (for a derived dek): Markdown
/// images, headings, quotes and list markers left out, link text kept.
pub fn markdown_paragraphs(markdown: &str) -> String {
    static IMAGE: LazyLock<Regex> = LazyLock::new(|| re(r"!\[[^\]]*\]\([^)]*\)"));
    static LINK: LazyLock<Regex> = LazyLock::new(|| re(r"\[([^\]]*)\]\([^)]*\)"));
    static MARKS: LazyLock<Regex> = LazyLock::new(|| re(r"[*_`]+|\\"));
    markdown
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.starts_with('#') && !p.starts_with('>') && !p.starts_with("* "))
        .map(|p| {
            let p = IMAGE.replace_all(p, "");
            let p = LINK.replace_all(&p, "$1");
            MARKS.replace_all(&p, "").trim().to_owned()
        })
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_become_paragraphs_and_single_breaks_stay_breaks() {
        let html = wordpress_to_html("First line\nsame paragraph.\n\nSecond paragraph.");
        assert!(
            html.contains("<p>First line<br>\nsame paragraph.</p>"),
            "{html}"
        );
        assert!(html.contains("<p>Second paragraph.</p>"), "{html}");
        let md = wordpress_to_markdown("One.\n\nTwo.");
        assert_eq!(md, "One.\n\nTwo.");
    }

    #[test]
    fn block_editor_comments_are_removed() {
        let md = wordpress_to_markdown(
            "<!-- wp:paragraph -->\n<p>Block text.</p>\n<!-- /wp:paragraph -->\n\n<!-- wp:heading {\"level\":2} -->\n<h2>Results</h2>\n<!-- /wp:heading -->",
        );
        assert!(!md.contains("wp:"), "{md}");
        assert!(md.contains("Block text."), "{md}");
        assert!(md.contains("## Results"), "{md}");
    }

    #[test]
    fn a_caption_becomes_a_figure_with_its_caption_as_alt_text() {
        let html = wordpress_to_html(
            "[caption id=\"attachment_7\" align=\"alignleft\" width=\"300\"]<img src=\"https://old.example/wp-content/uploads/scan.jpg\" alt=\"\" /> A brain scan from the trial[/caption]",
        );
        assert!(html.contains("<figure>"), "{html}");
        assert!(
            html.contains("<figcaption><em>A brain scan from the trial</em></figcaption>"),
            "{html}"
        );
        assert!(
            html.contains("alt=\"A brain scan from the trial\""),
            "{html}"
        );
        let md = html_to_markdown(&html);
        assert!(
            md.contains(
                "![A brain scan from the trial](https://old.example/wp-content/uploads/scan.jpg)"
            ),
            "{md}"
        );
        assert!(!md.contains("[caption"), "{md}");
    }

    #[test]
    fn embeds_and_bare_urls_become_links_and_galleries_and_unknown_shortcodes_go() {
        let md = wordpress_to_markdown(
            "Watch:\n\n[embed]https://video.example/watch?v=1[/embed]\n\nhttps://audio.example/ep/2\n\n[gallery ids=\"1,2,3\"]\n\n[pullquote]Kept words[/pullquote] and [contact-form-7 id=\"9\"] and [sic].",
        );
        assert!(
            md.contains("[https://video.example/watch?v=1](https://video.example/watch?v=1)"),
            "{md}"
        );
        assert!(md.contains("(https://audio.example/ep/2)"), "{md}");
        assert!(
            !md.contains("gallery") && !md.contains("contact-form"),
            "{md}"
        );
        assert!(
            !md.contains("[pullquote]") && md.contains("Kept words"),
            "{md}"
        );
        assert!(md.contains("\\[sic\\]") || md.contains("[sic]"), "{md}");
    }

    #[test]
    fn images_without_alt_text_take_words_from_their_file_name() {
        let md =
            html_to_markdown("<p><img src=\"https://x.example/u/heart_scan-300x200.png\"></p>");
        assert_eq!(
            md,
            "![heart scan](https://x.example/u/heart_scan-300x200.png)"
        );
        let md = html_to_markdown("<p><img src=\"/a.png\" alt=\"Kept\"></p>");
        assert_eq!(md, "![Kept](/a.png)");
    }

    #[test]
    fn paragraphs_for_a_dek_leave_out_images_and_headings() {
        let plain = markdown_paragraphs("## Head\n\n![x](y)\n\nA [linked](https://z) *word*.");
        assert_eq!(plain, "A linked word.");
    }
}

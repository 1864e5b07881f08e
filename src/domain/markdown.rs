//! Markdown → sanitised HTML. This is the one place editor content is marked safe.

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};

/// HTML that went through [`render`]'s sanitiser, and so may be written into a page unescaped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SafeHtml(String);

impl SafeHtml {
    /// Wraps HTML that was sanitised when it was written (the stored `body_html` column).
    /// Only `db` rows produced by [`render`] may be passed here.
    pub fn from_stored(html: String) -> Self {
        Self(html)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for SafeHtml {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// Askama writes values of this type without escaping them.
impl askama::filters::HtmlSafe for SafeHtml {}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let tags: HashSet<&str> = [
        "a",
        "abbr",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "img",
        "li",
        "ol",
        "p",
        "pre",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    ]
    .into_iter()
    .collect();
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(tags)
        .add_tag_attributes("a", ["href", "title"])
        .add_tag_attributes("img", ["src", "alt", "title"])
        .add_tag_attributes("th", ["align"])
        .add_tag_attributes("td", ["align"])
        .add_tag_attributes("ol", ["start"])
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .url_relative(ammonia::UrlRelative::PassThrough)
        .link_rel(Some("noopener nofollow"))
        .strip_comments(true);
    builder
});

/// Elements whose content the HTML parser reads as raw text up to their end tag (or that hide
/// it, like `template`): one left open swallows everything after it. None is on the allow-list,
/// so their tags are dropped from raw HTML before sanitising; `script` and `style` closed in
/// the same chunk go with their content, which never shows.
const SWALLOWING: [&str; 12] = [
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "noscript",
    "plaintext",
    "template",
    "select",
];

/// Renders CommonMark with tables (and strikethrough) to HTML, then sanitises it on a narrow
/// allow-list: no script, style, iframe, form, SVG or MathML, no event handlers, only http(s)
/// and mailto URLs, and `rel="noopener nofollow"` on links. Top-level `h1`s become `h2`s so the
/// headline stays the page's only `h1`.
///
/// Raw HTML never hides the author's later text: an HTML block left open to the end of the
/// body (an unclosed `<textarea>`, `<!--` …) loses its opener and the rest is read as Markdown
/// again; tags of `SWALLOWING` elements are dropped; and each top-level block is sanitised on
/// its own, so nothing left open in one block (an unclosed quote, say) reaches the next.
pub fn render(markdown: &str) -> SafeHtml {
    let source = close_runaway_html_blocks(markdown);
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut out = String::with_capacity(source.len() * 3 / 2);
    let mut block: Vec<Event<'_>> = Vec::new();
    let mut depth = 0usize;
    // Inside an inline `<script>` or `<style>` (its content arrives as separate events): the
    // end tag to wait for. Its text never shows, as when the pair is in one HTML chunk.
    let mut hidden_until: Option<String> = None;
    for event in Parser::new_ext(&source, options) {
        if let Some(close) = &hidden_until {
            match &event {
                Event::InlineHtml(html)
                    if html.to_ascii_lowercase().starts_with(close.as_str()) =>
                {
                    hidden_until = None;
                    continue;
                }
                Event::Text(_) | Event::Code(_) | Event::InlineHtml(_) | Event::SoftBreak => {
                    continue;
                }
                _ => {}
            }
        }
        if let Event::InlineHtml(html) = &event
            && let Some((name @ ("script" | "style"), false, _)) = swallowing_tag(html)
        {
            hidden_until = Some(format!("</{name}"));
            continue;
        }
        if depth == 0 {
            hidden_until = None;
        }
        let event = match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                id,
                classes,
                attrs,
            }) => Event::Start(Tag::Heading {
                level: HeadingLevel::H2,
                id,
                classes,
                attrs,
            }),
            Event::End(TagEnd::Heading(HeadingLevel::H1)) => {
                Event::End(TagEnd::Heading(HeadingLevel::H2))
            }
            Event::Html(html) => Event::Html(drop_swallowing_tags(&html).into()),
            Event::InlineHtml(html) => Event::InlineHtml(drop_swallowing_tags(&html).into()),
            other => other,
        };
        match &event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        block.push(event);
        if depth == 0 {
            let mut raw = String::new();
            html::push_html(&mut raw, block.drain(..));
            out.push_str(&SANITIZER.clean(&raw).to_string());
        }
    }
    if !block.is_empty() {
        let mut raw = String::new();
        html::push_html(&mut raw, block.drain(..));
        out.push_str(&SANITIZER.clean(&raw).to_string());
    }
    SafeHtml(out)
}

/// An image of rendered HTML: its `src` and `alt` as written (entities decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub src: String,
    pub alt: String,
}

/// Where an `<img>` tag starts and ends, and its attributes.
type ImgTag = (usize, usize, Vec<(String, String)>);

/// The `<img>` tags of sanitised HTML: where each starts and ends, and its attributes. The
/// sanitiser writes every attribute value in double quotes with `"` escaped, so a tag ends at
/// the first `>` outside quotes (a `>` may stand inside a value: it is not escaped there).
fn img_tags(html: &str) -> Vec<ImgTag> {
    let bytes = html.as_bytes();
    let mut tags = Vec::new();
    let mut from = 0;
    while let Some(found) = html[from..].find("<img ") {
        let start = from + found;
        let mut i = start + 5;
        let mut attributes = Vec::new();
        let end = loop {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i >= bytes.len() {
                break bytes.len();
            }
            if bytes[i] == b'>' {
                break i + 1;
            }
            if bytes[i] == b'/' {
                i += 1;
                continue;
            }
            let name_start = i;
            while i < bytes.len() && !matches!(bytes[i], b'=' | b'>' | b' ' | b'/') {
                i += 1;
            }
            let name = html[name_start..i].to_ascii_lowercase();
            let mut value = String::new();
            if i < bytes.len() && bytes[i] == b'=' && bytes.get(i + 1) == Some(&b'"') {
                let value_start = i + 2;
                let close = html[value_start..]
                    .find('"')
                    .map_or(bytes.len(), |at| value_start + at);
                value = unescape(&html[value_start..close]);
                i = (close + 1).min(bytes.len());
            }
            attributes.push((name, value));
        };
        tags.push((start, end, attributes));
        from = end.max(start + 5);
    }
    tags
}

fn unescape(value: &str) -> String {
    value
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

fn attribute<'a>(attributes: &'a [(String, String)], name: &str) -> &'a str {
    attributes
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The images of HTML that [`render`] made (Markdown images and raw `<img>` alike), in order.
pub fn images(html: &SafeHtml) -> Vec<ImageRef> {
    img_tags(&html.0)
        .into_iter()
        .map(|(_, _, attributes)| ImageRef {
            src: attribute(&attributes, "src").to_owned(),
            alt: attribute(&attributes, "alt").to_owned(),
        })
        .collect()
}

/// `html` with `width` and `height` on each image whose size `size_of(src)` knows, so that
/// nothing shifts while it loads, and lazy loading on every image (a story's body is below
/// the fold).
pub fn with_image_sizes(html: SafeHtml, size_of: impl Fn(&str) -> Option<(u32, u32)>) -> SafeHtml {
    let tags = img_tags(&html.0);
    if tags.is_empty() {
        return html;
    }
    let mut out = String::with_capacity(html.0.len() + tags.len() * 64);
    let mut copied = 0;
    for (start, end, attributes) in tags {
        // The tag as written, without its closing `>`, then what it gains.
        let close = if html.0[..end].ends_with('>') {
            end - 1
        } else {
            end
        };
        let body = html.0[start..close].trim_end_matches('/').trim_end();
        out.push_str(&html.0[copied..start]);
        out.push_str(body);
        if let Some((w, h)) = size_of(attribute(&attributes, "src")) {
            out.push_str(&format!(" width=\"{w}\" height=\"{h}\""));
        }
        out.push_str(" loading=\"lazy\" decoding=\"async\">");
        copied = end;
    }
    out.push_str(&html.0[copied..]);
    SafeHtml(out)
}

/// CommonMark ends an HTML block that opens with `<script`, `<pre`, `<style`, `<textarea`,
/// `<!--`, `<?`, `<!X` or `<![CDATA[` only where its closer appears, so one never closed runs
/// to the end of the body and the author's later text is not Markdown any more. Such an opener
/// is taken out (a tag) or escaped (the others, so they show as typed), and the body is read
/// again, until no block runs away.
fn close_runaway_html_blocks(markdown: &str) -> std::borrow::Cow<'_, str> {
    let mut source = std::borrow::Cow::Borrowed(markdown);
    // Each round removes one opener; a body has far fewer.
    for _ in 0..1_000 {
        let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
        let runaway = Parser::new_ext(&source, options)
            .into_offset_iter()
            .filter_map(|(event, range)| match event {
                Event::Start(Tag::HtmlBlock) => Some(range),
                _ => None,
            })
            .find(|range| {
                range.end >= source.trim_end().len() && is_unclosed(&source[range.clone()])
            });
        let Some(range) = runaway else {
            return source;
        };
        let block = &source[range.clone()];
        let lead = block.len() - block.trim_start().len();
        let at = range.start + lead;
        let opener = &source[at..];
        let fixed = if opener.starts_with("<!") || opener.starts_with("<?") {
            format!("{}\\{}", &source[..at], &source[at..])
        } else {
            let end = opener.find('>').map_or(opener.len(), |i| i + 1);
            format!("{}{}", &source[..at], &source[at + end..])
        };
        source = std::borrow::Cow::Owned(fixed);
    }
    source
}

/// Whether an HTML block that reaches the end of the body never met its closer.
fn is_unclosed(block: &str) -> bool {
    let lower = block.trim_start().to_ascii_lowercase();
    for name in ["script", "pre", "style", "textarea"] {
        if let Some(rest) = lower.strip_prefix('<').and_then(|l| l.strip_prefix(name))
            && rest.starts_with([' ', '\t', '>', '\n', '\r'])
        {
            return !lower.contains(&format!("</{name}>"));
        }
    }
    if let Some(comment) = lower.strip_prefix("<!--") {
        return !comment.contains("-->");
    }
    if lower.starts_with("<![cdata[") {
        return !lower.contains("]]>");
    }
    if lower.starts_with("<?") {
        return !lower.contains("?>");
    }
    if lower.starts_with("<!") {
        return !lower.contains('>');
    }
    false
}

/// `html` without the start and end tags of [`SWALLOWING`] elements (and, for `script` and
/// `style` closed within it, their content).
fn drop_swallowing_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let tail = &rest[lt..];
        let Some((name, closing, tag_len)) = swallowing_tag(tail) else {
            out.push('<');
            rest = &tail[1..];
            continue;
        };
        rest = &tail[tag_len..];
        if !closing && (name == "script" || name == "style") {
            let close = format!("</{name}");
            if let Some(at) = rest.to_ascii_lowercase().find(&close) {
                let after = &rest[at..];
                let end = after.find('>').map_or(after.len(), |i| i + 1);
                rest = &after[end..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// When `tail` starts with a tag of a [`SWALLOWING`] element: its name, whether it is an end
/// tag, and the tag's length (to its `>`, quotes respected, or to the end).
fn swallowing_tag(tail: &str) -> Option<(&'static str, bool, usize)> {
    let after_lt = &tail[1..];
    let (closing, name_start) = match after_lt.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, after_lt),
    };
    let name = SWALLOWING.into_iter().find(|name| {
        name_start.len() >= name.len()
            && name_start[..name.len()].eq_ignore_ascii_case(name)
            && name_start[name.len()..]
                .chars()
                .next()
                .is_none_or(|c| c.is_ascii_whitespace() || c == '>' || c == '/')
    })?;
    let mut quote = None;
    for (i, c) in tail.char_indices().skip(1) {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some((name, closing, i + 1)),
            _ => {}
        }
    }
    Some((name, closing, tail.len()))
}

/// A body as plain text for search snippets: its blocks (paragraphs, list items, quotes, table
/// rows, headings) separated by [`crate::domain::search::BLOCK`], a heading opened by
/// [`crate::domain::search::HEADING`]; links keep their words, images, code blocks and HTML go.
pub fn snippet_blocks(source: &str) -> String {
    use crate::domain::search::{BLOCK, HEADING};
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut out = String::with_capacity(source.len());
    // Inside an image (its alt text) or a code block: left out.
    let mut hidden = 0usize;
    let open_block = |out: &mut String| {
        if !out.is_empty() && !out.ends_with(BLOCK) {
            out.push(BLOCK);
        }
    };
    for event in Parser::new_ext(source, options) {
        match event {
            Event::Start(Tag::Heading { .. }) => {
                open_block(&mut out);
                out.push(HEADING);
            }
            Event::Start(
                Tag::Paragraph | Tag::Item | Tag::TableRow | Tag::TableHead | Tag::BlockQuote(_),
            )
            | Event::End(
                TagEnd::Heading(_)
                | TagEnd::Paragraph
                | TagEnd::Item
                | TagEnd::TableRow
                | TagEnd::TableHead,
            ) => open_block(&mut out),
            Event::End(TagEnd::TableCell) => out.push_str(" · "),
            Event::Start(Tag::Image { .. } | Tag::CodeBlock(_)) => hidden += 1,
            Event::End(TagEnd::Image | TagEnd::CodeBlock) => hidden = hidden.saturating_sub(1),
            Event::Text(text) | Event::Code(text) if hidden == 0 => {
                out.extend(text.chars().map(|c| {
                    if c == BLOCK || c == HEADING || c.is_control() {
                        ' '
                    } else {
                        c
                    }
                }));
            }
            Event::SoftBreak | Event::HardBreak if hidden == 0 => out.push(' '),
            _ => {}
        }
    }
    while out.ends_with(BLOCK) {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn images_are_found_and_sized_whatever_their_alt_says() {
        let html = render(
            "![A chart > of \"results\"](/media/abc.jpg)\n\n<img src=\"https://example.org/x.png\" alt=\"> onerror=alert(1) x=\">\n\n![](/media/none.png)",
        );
        let found = images(&html);
        assert_eq!(
            found,
            vec![
                ImageRef {
                    src: "/media/abc.jpg".into(),
                    alt: "A chart > of \"results\"".into()
                },
                ImageRef {
                    src: "https://example.org/x.png".into(),
                    alt: "> onerror=alert(1) x=".into()
                },
                ImageRef {
                    src: "/media/none.png".into(),
                    alt: String::new()
                },
            ]
        );
        let sized = with_image_sizes(html, |src| (src == "/media/abc.jpg").then_some((1200, 800)));
        let out = sized.as_str();
        assert!(
            out.contains(" width=\"1200\" height=\"800\" loading=\"lazy\" decoding=\"async\">"),
            "{out}"
        );
        assert_eq!(out.matches("loading=\"lazy\"").count(), 3, "{out}");
        // The alt text with `>` in it is still one attribute: nothing was cut into a handler.
        let again = images(&sized);
        assert_eq!(again[1].alt, "> onerror=alert(1) x=");
        // `>` in a value is escaped by the sanitiser, so the tag's end is never in doubt.
        assert!(
            out.contains("alt=\"&gt; onerror=alert(1) x=\" loading"),
            "{out}"
        );
    }

    use super::*;

    #[test]
    fn renders_commonmark_with_tables() {
        let html = render("## Results\n\n| arm | n |\n|---|---|\n| A | 60 |\n\n*one* **two**")
            .into_string();
        assert!(html.contains("<h2>Results</h2>"), "{html}");
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<td>60</td>"), "{html}");
        assert!(html.contains("<em>one</em> <strong>two</strong>"), "{html}");
    }

    #[test]
    fn demotes_h1_so_the_headline_stays_the_only_one() {
        assert_eq!(render("# Big").as_str(), "<h2>Big</h2>\n");
    }

    #[test]
    fn strips_scripts_handlers_and_dangerous_urls() {
        let cases = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "![x](data:image/svg+xml;base64,PHN2Zz4=)",
            "<svg><script>alert(1)</script></svg>",
            "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<form action=/x><input></form>",
            "<style>body{}</style>",
            "<a href=\"&#106;avascript:alert(1)\">x</a>",
            "<p style=\"background:url(javascript:alert(1))\">x</p>",
        ];
        for case in cases {
            let html = render(case).into_string().to_lowercase();
            for bad in [
                "<script",
                "onerror",
                "javascript:",
                "data:",
                "<svg",
                "<math",
                "<iframe",
                "<form",
                "<style",
                "style=",
            ] {
                assert!(!html.contains(bad), "{case:?} rendered {html:?}");
            }
        }
    }

    #[test]
    fn raw_text_elements_left_open_never_swallow_later_text() {
        for opener in [
            "<style>",
            "<textarea>",
            "<title>",
            "<script>",
            "<xmp>",
            "<iframe>",
            "<noembed>",
            "<noframes>",
            "<noscript>",
            "<plaintext>",
            "<template>",
            "<select>",
            "<!--",
            "<?php",
            "<!DOCTYPE",
            "<![CDATA[",
            "<pre>",
            "<div title=\"unclosed>",
        ] {
            for place in ["block", "inline"] {
                let body = match place {
                    "block" => format!(
                        "First paragraph.\n\n{opener}\n\n## Later heading\n\nLater *text* stays."
                    ),
                    _ => format!(
                        "First {opener} paragraph.\n\n## Later heading\n\nLater *text* stays."
                    ),
                };
                let html = render(&body).into_string();
                assert!(html.contains("First"), "{opener} ({place}): {html}");
                assert!(
                    html.contains("<h2>Later heading</h2>"),
                    "{opener} ({place}): {html}"
                );
                assert!(
                    html.contains("Later <em>text</em> stays."),
                    "{opener} ({place}): {html}"
                );
            }
        }
        // Closed ones keep behaving: script and style go with their content; code stays code.
        let html = render("<style>p{}</style>\n\nText <script>x()</script> here.\n\n`<textarea>`")
            .into_string();
        assert!(!html.contains("p{}") && !html.contains("x()"), "{html}");
        assert!(html.contains("<code>&lt;textarea&gt;</code>"), "{html}");
        assert!(html.contains("Text  here."), "{html}");
    }

    #[test]
    fn well_formed_bodies_render_as_one_document() {
        let html = render("Para one with <sup>2</sup> and <abbr title=\"x\">ABBR</abbr>.\n\n- a\n- b\n\n> quote\n\n<p>raw <em>html</em></p>\n").into_string();
        assert_eq!(
            html,
            "<p>Para one with <sup>2</sup> and <abbr title=\"x\">ABBR</abbr>.</p>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n<blockquote>\n<p>quote</p>\n</blockquote>\n<p>raw <em>html</em></p>\n"
        );
    }

    #[test]
    fn links_get_noopener_nofollow() {
        let html = render("[WHO](https://www.who.int/)").into_string();
        assert!(html.contains(r#"rel="noopener nofollow""#), "{html}");
    }

    #[test]
    fn snippet_blocks_keep_words_and_part_blocks() {
        use crate::domain::search::{BLOCK, HEADING};
        let text = snippet_blocks(
            "Intro **bold** [link](https://x.org/y) ![alt words](/i.png)\n\n## Where things stood\n\n\
             In 2017 the `trial`\nwent on.\n\n- one\n- two\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\n\
             ```\ncode here\n```\n<b>html</b>",
        )
        .replace(BLOCK, "¶")
        .replace(HEADING, "H:");
        assert_eq!(
            text,
            "Intro bold link ¶H:Where things stood¶In 2017 the trial went on.¶one¶two¶A · B · ¶1 · 2 · ¶html"
        );
    }
}

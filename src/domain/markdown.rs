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

/// Renders CommonMark with tables (and strikethrough) to HTML, then sanitises it on a narrow
/// allow-list: no script, style, iframe, form, SVG or MathML, no event handlers, only http(s)
/// and mailto URLs, and `rel="noopener nofollow"` on links. Top-level `h1`s become `h2`s so the
/// headline stays the page's only `h1`.
pub fn render(markdown: &str) -> SafeHtml {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
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
        other => other,
    });
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, events);
    SafeHtml(SANITIZER.clean(&raw).to_string())
}

#[cfg(test)]
mod tests {
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
    fn links_get_noopener_nofollow() {
        let html = render("[WHO](https://www.who.int/)").into_string();
        assert!(html.contains(r#"rel="noopener nofollow""#), "{html}");
    }
}

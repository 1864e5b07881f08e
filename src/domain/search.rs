//! Search queries and snippets: reader queries bounded and cleaned before they reach
//! PostgreSQL, and `ts_headline` snippets turned into escaped HTML with `<mark>` highlights.

use std::fmt;

/// Longest query, in characters; longer ones are cut (never an error).
pub const MAX_QUERY_CHARS: usize = 256;

/// Marks PostgreSQL puts around matches in snippets: private-use characters that cannot be
/// confused with text (and are removed from queries and documents first).
pub const START: char = '\u{E000}';
pub const STOP: char = '\u{E001}';

/// The `ts_headline` options that use those marks.
pub fn headline_options() -> String {
    format!(
        "StartSel={START}, StopSel={STOP}, MaxWords=40, MinWords=18, MaxFragments=2, FragmentDelimiter=\" … \""
    )
}

/// A reader's query made safe to send: NUL and control characters and our marks removed,
/// whitespace folded, cut to [`MAX_QUERY_CHARS`].
pub fn clean_query(raw: &str) -> String {
    let kept: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(|c| *c != START && *c != STOP)
        .take(MAX_QUERY_CHARS * 2)
        .collect();
    let folded = kept.split_whitespace().collect::<Vec<_>>().join(" ");
    folded.chars().take(MAX_QUERY_CHARS).collect()
}

/// A search snippet: escaped text with `<mark>` around the matches. Safe by construction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snippet(String);

impl Snippet {
    /// Escapes `raw` (a `ts_headline` result) and turns its marks into `<mark>` elements;
    /// unbalanced marks are dropped.
    pub fn from_headline(raw: &str) -> Self {
        let mut out = String::with_capacity(raw.len() + 32);
        let mut open = false;
        for c in raw.chars() {
            match c {
                START if !open => {
                    out.push_str("<mark>");
                    open = true;
                }
                STOP if open => {
                    out.push_str("</mark>");
                    open = false;
                }
                START | STOP => {}
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                // Markdown emphasis and heading marks read as noise in a snippet.
                '*' | '#' | '`' => {}
                other => out.push(other),
            }
        }
        if open {
            out.push_str("</mark>");
        }
        Self(out)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Snippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// Escaped above; only our own <mark> elements are markup.
impl askama::filters::HtmlSafe for Snippet {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_cleaned_and_bounded() {
        assert_eq!(
            clean_query("  breast\0 cancer\n\tHER2 "),
            "breast cancer HER2"
        );
        assert_eq!(clean_query(&"a".repeat(10_000)).len(), MAX_QUERY_CHARS);
        assert_eq!(clean_query("x\u{E000}y"), "xy");
        assert_eq!(clean_query(""), "");
    }

    #[test]
    fn snippets_escape_text_and_mark_matches() {
        let raw = format!("a <script> & {START}remission{STOP} **bold** {START}open");
        let snippet = Snippet::from_headline(&raw);
        assert_eq!(
            snippet.as_str(),
            "a &lt;script&gt; &amp; <mark>remission</mark> bold <mark>open</mark>"
        );
        assert_eq!(Snippet::from_headline(&format!("{STOP}x")).as_str(), "x");
    }
}

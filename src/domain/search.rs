//! Search queries and snippets: reader queries bounded and cleaned before they reach
//! PostgreSQL, spelling suggestions' words, and snippets: a story's words matching the query marked
//! by their stems, the part to show chosen, and escaped HTML with `<mark>` highlights.

use std::fmt;

/// Longest query, in characters; longer ones are cut (never an error).
pub const MAX_QUERY_CHARS: usize = 256;

/// Marks PostgreSQL puts around matches in snippets: private-use characters that cannot be
/// confused with text (and are removed from queries and documents first).
pub const START: char = '\u{E000}';
pub const STOP: char = '\u{E001}';

/// Separates the blocks (paragraphs, list items, quotes, headings) of a story's text for
/// snippets, and opens a heading block (see `crate::domain::markdown::snippet_blocks`).
pub const BLOCK: char = '\u{E002}';
pub const HEADING: char = '\u{E003}';

/// Longest snippet, in words (two parts together).
pub const SNIPPET_WORDS: usize = 36;

/// A reader's query made safe to send: NUL and control characters and our marks removed,
/// whitespace folded, cut to [`MAX_QUERY_CHARS`].
pub fn clean_query(raw: &str) -> String {
    let kept: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(|c| !matches!(*c, START | STOP | BLOCK | HEADING))
        .take(MAX_QUERY_CHARS * 2)
        .collect();
    let folded = kept.split_whitespace().collect::<Vec<_>>().join(" ");
    folded.chars().take(MAX_QUERY_CHARS).collect()
}

/// The lexemes a query names, from its `tsquery` text form (`'heart' <-> 'attack' | !'mice'`):
/// the words a snippet marks. Negated ones (`!'mice'`, `!( … )`) are left out.
pub fn query_lexemes(tsquery: &str) -> Vec<String> {
    let mut lexemes: Vec<String> = Vec::new();
    // For each open parenthesis, whether it was negated; and whether the next operand is.
    let mut groups: Vec<bool> = Vec::new();
    let mut negate_next = false;
    let mut chars = tsquery.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '!' => negate_next = true,
            '(' => {
                groups.push(negate_next);
                negate_next = false;
            }
            ')' => {
                groups.pop();
            }
            '\'' => {
                let mut lexeme = String::new();
                while let Some(c) = chars.next() {
                    if c == '\'' {
                        if chars.peek() == Some(&'\'') {
                            chars.next();
                            lexeme.push('\'');
                        } else {
                            break;
                        }
                    } else if c == '\\' {
                        if let Some(escaped) = chars.next() {
                            lexeme.push(escaped);
                        }
                    } else {
                        lexeme.push(c);
                    }
                }
                let negated = negate_next || groups.iter().any(|g| *g);
                negate_next = false;
                if !negated && !lexeme.is_empty() && !lexemes.contains(&lexeme) {
                    lexemes.push(lexeme);
                }
            }
            _ => {}
        }
    }
    lexemes
}

/// `text` with every word whose lexeme is one of `lexemes` between [`START`] and [`STOP`]: a
/// word of letters by its English Snowball stem (as PostgreSQL's `english` configuration
/// makes it), one with digits as it is, both in lower case.
pub fn mark_matches(text: &str, lexemes: &[String]) -> String {
    use std::sync::LazyLock;
    static STEMMER: LazyLock<rust_stemmers::Stemmer> =
        LazyLock::new(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English));
    let mut out = String::with_capacity(text.len() + 16);
    if lexemes.is_empty() {
        out.push_str(text);
        return out;
    }
    // A stem keeps the word's first letters (Snowball changes only endings): a word is stemmed
    // only when it begins as some lexeme does, which spares nearly every word of a text.
    let heads: Vec<[char; 2]> = lexemes
        .iter()
        .map(|l| {
            let mut c = l.chars();
            [c.next().unwrap_or(' '), c.next().unwrap_or(' ')]
        })
        .collect();
    // Whether `word` is a match: its first letters are compared first, so only a word that
    // begins as some lexeme does is lower-cased and stemmed.
    let matches = |word: &str| {
        let bytes = word.as_bytes();
        let head = if bytes[0].is_ascii() && bytes.get(1).is_none_or(u8::is_ascii) {
            // The common case, without the Unicode case tables.
            [
                char::from(bytes[0].to_ascii_lowercase()),
                bytes
                    .get(1)
                    .map_or(' ', |b| char::from(b.to_ascii_lowercase())),
            ]
        } else {
            let mut c = word.chars().flat_map(char::to_lowercase);
            [c.next().unwrap_or(' '), c.next().unwrap_or(' ')]
        };
        if !heads
            .iter()
            .any(|h| h[0] == head[0] && (h[1] == head[1] || h[1] == ' '))
        {
            return false;
        }
        let lower = word.to_lowercase();
        let lexeme = if lower.chars().any(|c| c.is_ascii_digit()) {
            lower
        } else {
            STEMMER.stem(&lower).into_owned()
        };
        lexemes.contains(&lexeme)
    };
    // The char at `at` and whether it belongs to a word (letters and digits), read as a byte
    // when it is ASCII.
    let word_char = |at: usize| -> (bool, usize) {
        let b = text.as_bytes()[at];
        if b.is_ascii() {
            (b.is_ascii_alphanumeric(), 1)
        } else {
            let c = text[at..].chars().next().unwrap_or(' ');
            (c.is_alphanumeric(), c.len_utf8())
        }
    };
    // Text is copied in runs, up to each marked word.
    let mut copied = 0;
    let mut at = 0;
    while at < text.len() {
        let (in_word, len) = word_char(at);
        if !in_word {
            at += len;
            continue;
        }
        let start = at;
        at += len;
        while at < text.len() {
            let (in_word, len) = word_char(at);
            if !in_word {
                break;
            }
            at += len;
        }
        let word = &text[start..at];
        if matches(word) {
            out.push_str(&text[copied..start]);
            out.push(START);
            out.push_str(word);
            out.push(STOP);
            copied = at;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// The runs of letters in a query, with their byte ranges.
fn letter_runs(query: &str) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in query.char_indices() {
        match (c.is_alphabetic(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push((s, query.len()));
    }
    runs
}

/// Words shorter than this are never corrected: too few letters to tell a slip from another
/// word.
pub const SPELL_MIN_CHARS: usize = 4;

/// The words of a query that a spelling suggestion may replace: runs of letters of 4 to 40
/// characters (not in a token with digits, so "HER2" and "COVID-19" stay as typed), lower case,
/// without repeats, in order.
pub fn spellable_words(query: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for (start, end) in letter_runs(query) {
        // The white-space-delimited token around the word.
        let token_start = query[..start]
            .rfind(char::is_whitespace)
            .map_or(0, |i| i + 1);
        let token_end = query[end..]
            .find(char::is_whitespace)
            .map_or(query.len(), |i| end + i);
        let touches_digit = query[token_start..token_end]
            .chars()
            .any(|c| c.is_ascii_digit());
        let word = query[start..end].to_lowercase();
        let n = word.chars().count();
        if !touches_digit && (SPELL_MIN_CHARS..=40).contains(&n) && !words.contains(&word) {
            words.push(word);
        }
    }
    words
}

/// The query with each word that `corrections` maps (by its lower case) replaced; everything
/// else (quotes, `or`, minus signs, other words) as typed.
pub fn with_corrections(
    query: &str,
    corrections: &std::collections::HashMap<String, String>,
) -> String {
    let mut out = String::with_capacity(query.len());
    let mut at = 0;
    for (start, end) in letter_runs(query) {
        if let Some(fixed) = corrections.get(&query[start..end].to_lowercase()) {
            out.push_str(&query[at..start]);
            out.push_str(fixed);
            at = end;
        }
    }
    out.push_str(&query[at..]);
    out
}

/// A search snippet: escaped text with `<mark>` around the matches. Safe by construction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snippet(String);

impl Snippet {
    /// Escapes `raw` (text with [`START`] and [`STOP`] around matches) and turns its marks into
    /// `<mark>` elements; unbalanced marks are dropped.
    fn escaped(raw: &str) -> Self {
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
                other => out.push(other),
            }
        }
        if open {
            out.push_str("</mark>");
        }
        Self(out)
    }

    /// The snippet of a story from its whole text with every match marked (blocks separated by
    /// [`BLOCK`], headings opened by [`HEADING`]): the block with the most matches (a
    /// paragraph before a heading, the earlier on a tie; the first paragraph when nothing is
    /// marked), from the start of the sentence of its first match when that is near, at most
    /// [`SNIPPET_WORDS`] words in up to two parts. Every part starts and ends at a word
    /// boundary, with "…" where the block's text goes on. `truncated`: the text was cut, so its
    /// last word may be part of one and is left out.
    pub fn from_marked(text: &str, truncated: bool) -> Self {
        let mut blocks: Vec<Block<'_>> = text
            .split(BLOCK)
            .map(Block::new)
            .filter(|b| !b.text.is_empty())
            .collect();
        if truncated && let Some(last) = blocks.last_mut() {
            last.drop_last_word();
        }
        blocks.retain(|b| !b.text.is_empty());
        let best = |exclude: Option<usize>| {
            blocks
                .iter()
                .enumerate()
                .filter(|(i, b)| Some(*i) != exclude && b.marks > 0)
                .max_by_key(|(i, b)| (!b.heading, b.marks, std::cmp::Reverse(*i)))
                .map(|(i, _)| i)
        };
        let Some(first) = best(None).or_else(|| blocks.iter().position(|b| !b.heading)) else {
            return Self::default();
        };
        let mut parts = vec![blocks[first].window(SNIPPET_WORDS)];
        let used = parts[0].words;
        // A second part, from another block with matches, when there is room.
        if SNIPPET_WORDS - used >= 12
            && let Some(second) = best(Some(first))
        {
            parts.push(blocks[second].window(SNIPPET_WORDS - used));
        }
        let mut out = String::new();
        let last = parts.len() - 1;
        for (n, part) in parts.iter().enumerate() {
            // One "…" between two parts: text of the story lies between them.
            if n > 0 {
                out.push_str(" … ");
            } else if part.cut_start {
                out.push_str("… ");
            }
            out.push_str(&part.text);
            if n == last && part.cut_end {
                out.push_str(" …");
            }
        }
        Self::escaped(&out)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One block of a story's marked text. Only the blocks a snippet is taken from are split into
/// words (at white space, marks inside).
struct Block<'a> {
    /// The text, trimmed, without the heading's marker.
    text: &'a str,
    heading: bool,
    /// How many of its words have a match.
    marks: usize,
    /// The text goes on after the last word (it was cut before it reached us).
    cut_at_end: bool,
}

/// A chosen run of words.
struct Part {
    text: String,
    words: usize,
    cut_start: bool,
    cut_end: bool,
}

impl<'a> Block<'a> {
    fn new(raw: &'a str) -> Self {
        let trimmed = raw.trim();
        let heading = trimmed.starts_with(HEADING);
        let text = trimmed.trim_start_matches(HEADING).trim_start();
        Self {
            text,
            heading,
            marks: Self::marks_in(text),
            cut_at_end: false,
        }
    }

    fn marked(word: &str) -> bool {
        word.contains(START)
    }

    /// The words of `text` with a match (the text is searched once for any mark first: most
    /// blocks have none).
    fn marks_in(text: &str) -> usize {
        if !text.contains(START) {
            return 0;
        }
        text.split_whitespace().filter(|w| Self::marked(w)).count()
    }

    /// Leaves the last word out (it may be part of one) and says the text goes on.
    fn drop_last_word(&mut self) {
        self.text = self
            .text
            .rfind(char::is_whitespace)
            .map_or("", |at| self.text[..at].trim_end());
        self.marks = Self::marks_in(self.text);
        self.cut_at_end = true;
    }

    /// At most `max` words around the first match: from the start of its sentence when that is
    /// at most 20 words before it (else from 4 words before it), ending at a sentence's end when
    /// one falls in the last third.
    fn window(&self, max: usize) -> Part {
        let ends_sentence = |w: &str| {
            let w = w.trim_end_matches([STOP, '"', '\'', '”', '’', ')']);
            w.ends_with(['.', '!', '?'])
        };
        let words: Vec<&str> = self.text.split_whitespace().collect();
        let first = words.iter().position(|w| Self::marked(w)).unwrap_or(0);
        let sentence_start = (0..=first)
            .rev()
            .take(21)
            .find(|&i| i == 0 || ends_sentence(words[i - 1]));
        let start = sentence_start.unwrap_or(first.saturating_sub(4));
        let mut end = (start + max).min(words.len());
        if end < words.len() {
            let floor = start + (max * 2 / 3).max(1);
            if let Some(stop) = (floor..end).rev().find(|&i| ends_sentence(words[i])) {
                end = stop + 1;
            }
        }
        // A mark opened before the window and closed inside it is dropped by `escaped`.
        Part {
            text: words[start..end].join(" "),
            words: end - start,
            cut_start: start > 0,
            cut_end: end < words.len() || self.cut_at_end,
        }
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
    fn query_lexemes_leave_negated_ones_out() {
        assert_eq!(
            query_lexemes(
                "'breast' & ( 'herceptin' | 'trastuzumab' ) & !'mice' & !( 'rat' | 'dog' )"
            ),
            ["breast", "herceptin", "trastuzumab"]
        );
        assert_eq!(
            query_lexemes("'heart' <-> 'attack' | 'o''brien':*"),
            ["heart", "attack", "o'brien"]
        );
        assert!(query_lexemes("").is_empty());
    }

    #[test]
    fn matches_are_marked_by_their_stems() {
        let lexemes = query_lexemes("'remiss' & 'her2' & 'parkinson'");
        assert_eq!(
            mark_matches("Remissions in HER2-positive Parkinson's; remiss.", &lexemes)
                .replace(START, "[")
                .replace(STOP, "]"),
            "[Remissions] in [HER2]-positive [Parkinson]'s; [remiss]."
        );
        // Whatever their first letters: not ASCII, one letter, letters and digits.
        let lexemes = query_lexemes("'östrogen' & 'ümlaut' & 'x' & 'b12'");
        assert_eq!(
            mark_matches("Östrogen, ÜMLAUTS, X-rays, B12 and x.", &lexemes)
                .replace(START, "[")
                .replace(STOP, "]"),
            "[Östrogen], [ÜMLAUTS], [X]-rays, [B12] and [x]."
        );
        assert_eq!(mark_matches("nothing", &[]), "nothing");
    }

    #[test]
    fn spellable_words_leave_short_words_and_codes_alone() {
        assert_eq!(
            spellable_words("Trastuzamab and HER2 COVID-19 \"heart failure\" -mice trastuzamab"),
            ["trastuzamab", "heart", "failure", "mice"]
        );
        let fixes = std::collections::HashMap::from([
            ("trastuzamab".to_owned(), "trastuzumab".to_owned()),
            ("hart".to_owned(), "heart".to_owned()),
        ]);
        assert_eq!(
            with_corrections("Trastuzamab or \"hart failure\" -mice", &fixes),
            "trastuzumab or \"heart failure\" -mice"
        );
    }

    fn marked(text: &str) -> String {
        text.replace('[', &START.to_string())
            .replace(']', &STOP.to_string())
            .replace('|', &BLOCK.to_string())
            .replace('^', &HEADING.to_string())
    }

    #[test]
    fn snippets_start_and_end_at_words_with_ellipses_where_cut() {
        let long: Vec<String> = (0..60).map(|i| format!("w{i}")).collect();
        let text = format!(
            "The summary line.|^Where things stood|In 2017 {} [remission] rates rose. {}",
            long[..30].join(" "),
            long[30..].join(" ")
        );
        let snippet = Snippet::from_marked(&marked(&text), false);
        let s = snippet.as_str();
        assert!(s.starts_with("… "), "{s}");
        assert!(s.ends_with(" …"), "{s}");
        assert!(s.contains("<mark>remission</mark>"), "{s}");
        assert!(!s.contains("stood In"), "{s}");
        assert!(!s.contains("Where things"), "{s}");
        // Whole words only.
        for word in s.split_whitespace() {
            let plain = word.replace("<mark>", "").replace("</mark>", "");
            assert!(
                plain == "…"
                    || text
                        .split_whitespace()
                        .any(|w| w.replace(['[', ']'], "") == plain),
                "{plain} is not a word of the text"
            );
        }
    }

    #[test]
    fn snippets_prefer_the_sentence_start_and_never_join_a_heading() {
        let text = "Dek.|^[Remission] at three years|Women in the study lived longer. About one in \
                    eleven stayed in [remission] for three years.";
        let s = Snippet::from_marked(&marked(text), false);
        assert_eq!(
            s.as_str(),
            "… About one in eleven stayed in <mark>remission</mark> for three years. … \
             <mark>Remission</mark> at three years"
        );
        // Nothing marked: the first paragraph, whole.
        let s = Snippet::from_marked(&marked("A short dek.|Body."), false);
        assert_eq!(s.as_str(), "A short dek.");
        // A cut text loses its last (maybe partial) word and says so.
        let s = Snippet::from_marked(&marked("Only [one] block of tex"), true);
        assert_eq!(s.as_str(), "Only <mark>one</mark> block of …");
        // The cut word's match no longer counts: the blocks tie, and the earlier comes first.
        let s = Snippet::from_marked(&marked("One [rare] word.|Two [remiss] and [remiss]"), true);
        assert_eq!(
            s.as_str(),
            "One <mark>rare</mark> word. … Two <mark>remiss</mark> and …"
        );
        // A block of one cut word is left out altogether.
        let s = Snippet::from_marked(&marked("Dek.|^Heading|Tex"), true);
        assert_eq!(s.as_str(), "Dek.");
    }

    #[test]
    fn snippets_escape_text_and_mark_matches() {
        let raw = format!("a <script> & {START}remission{STOP} bold {START}open");
        let snippet = Snippet::escaped(&raw);
        assert_eq!(
            snippet.as_str(),
            "a &lt;script&gt; &amp; <mark>remission</mark> bold <mark>open</mark>"
        );
        assert_eq!(Snippet::escaped(&format!("{STOP}x")).as_str(), "x");
    }
}

//! Text as editors and readers send it, made fit to store and to show: control characters
//! pasted from PDFs and word processors (form feeds, vertical tabs, C1 controls) and Unicode
//! noncharacters are removed on the way in, and [`xml_safe`] keeps every XML writer from
//! emitting a character XML 1.0 forbids, whatever was stored before.
//!
//! The decision: strip, do not refuse. Such characters are invisible, editors cannot see them
//! to delete them, and nothing of meaning is lost. NUL is the exception: it never comes from a
//! paste, PostgreSQL text cannot hold it, and it is refused with the field named
//! (`crate::web::api` and the form layers).

use std::borrow::Cow;

/// Whether `c` may not appear in stored text at all: C0 controls other than tab, line feed and
/// carriage return, DEL, C1 controls, and the Unicode noncharacters (U+FDD0–U+FDEF and the last
/// two code points of every plane, U+FFFE and U+FFFF among them). XML 1.0 forbids the C0 ones
/// and U+FFFE/U+FFFF and discourages the rest; HTML calls them all parse errors.
fn forbidden(c: char) -> bool {
    let n = u32::from(c);
    (n < 0x20 && !matches!(c, '\t' | '\n' | '\r'))
        || (0x7f..=0x9f).contains(&n)
        || (0xfdd0..=0xfdef).contains(&n)
        || (n & 0xfffe) == 0xfffe
}

/// Whether `c` shows as something: neither whitespace (Unicode White_Space, what `str::trim`
/// removes) nor a character that cleaning removes (`forbidden`). A required text (a headline,
/// a topic's name, a correction's note) must hold one.
pub fn is_visible(c: char) -> bool {
    !c.is_whitespace() && !forbidden(c)
}

/// Whether `s` holds a [visible](is_visible) character, so that it is not empty once cleaned
/// and trimmed.
pub fn has_visible(s: &str) -> bool {
    s.chars().any(is_visible)
}

/// The characters that are not [visible](is_visible), as inclusive code point ranges: C0
/// controls and the space, DEL to NO-BREAK SPACE (C1 controls, NEL), the other White_Space
/// characters, and the noncharacters. A unit test checks them against [`is_visible`] for every
/// code point.
const INVISIBLE: [(u32, u32); 26] = [
    (0x00, 0x20),
    (0x7f, 0xa0),
    (0x1680, 0x1680),
    (0x2000, 0x200a),
    (0x2028, 0x2029),
    (0x202f, 0x202f),
    (0x205f, 0x205f),
    (0x3000, 0x3000),
    (0xfdd0, 0xfdef),
    (0xfffe, 0xffff),
    (0x1fffe, 0x1ffff),
    (0x2fffe, 0x2ffff),
    (0x3fffe, 0x3ffff),
    (0x4fffe, 0x4ffff),
    (0x5fffe, 0x5ffff),
    (0x6fffe, 0x6ffff),
    (0x7fffe, 0x7ffff),
    (0x8fffe, 0x8ffff),
    (0x9fffe, 0x9ffff),
    (0xafffe, 0xaffff),
    (0xbfffe, 0xbffff),
    (0xcfffe, 0xcffff),
    (0xdfffe, 0xdffff),
    (0xefffe, 0xeffff),
    (0xffffe, 0xfffff),
    (0x10fffe, 0x10ffff),
];

/// A regular-expression character class matching one [visible](is_visible) character, for the
/// OpenAPI document. Spelled with explicit ranges, as ECMA-262 (JSON Schema's dialect), Python
/// and Rust agree on those but not on `\s`: code points of the Basic Multilingual Plane as
/// `\uXXXX`, the others as themselves (no escape of theirs is read by all three).
pub fn visible_class() -> String {
    let mut class = String::from("[^");
    for (low, high) in INVISIBLE {
        push_class_char(&mut class, low);
        if high > low {
            if high > low + 1 {
                class.push('-');
            }
            push_class_char(&mut class, high);
        }
    }
    class.push(']');
    class
}

fn push_class_char(class: &mut String, code: u32) {
    match char::from_u32(code) {
        Some(c) if code > 0xffff => class.push(c),
        _ => class.push_str(&format!("\\u{code:04x}")),
    }
}

/// A pattern for text that must hold a [visible](is_visible) character (and, like all text the
/// API takes, no NUL).
pub fn visible_pattern() -> String {
    format!("^[^\\u0000]*{}[^\\u0000]*$", visible_class())
}

/// The pattern of every other text the API takes: anything but NUL, which is refused
/// (`crate::web::api::json::parse_json`).
pub const NO_NUL_PATTERN: &str = "^[^\\u0000]*$";

/// Characters that separate lines or pages: in one-line text they become a space, in
/// multi-line text a line feed.
fn breaks_line(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

fn is_clean_line(s: &str) -> bool {
    !s.chars()
        .any(|c| forbidden(c) || breaks_line(c) || c == '\t')
}

/// One-line text (a headline, a summary line, a name, a note): line and page breaks and tabs
/// become spaces; other controls and noncharacters are dropped. NUL is dropped too (callers
/// that refuse it check first).
pub fn clean_line(s: &str) -> Cow<'_, str> {
    if is_clean_line(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            continue;
        }
        if breaks_line(c) || c == '\t' {
            out.push(' ');
        } else if !forbidden(c) {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Multi-line text (a Markdown body, a description, a comment): `\r\n` and lone `\r`, vertical
/// tabs, form feeds and the Unicode line and paragraph separators become `\n`; tabs stay; other
/// controls and noncharacters are dropped.
pub fn clean_block(s: &str) -> Cow<'_, str> {
    if !s
        .chars()
        .any(|c| forbidden(c) || (breaks_line(c) && c != '\n'))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else if breaks_line(c) {
            out.push('\n');
        } else if !forbidden(c) {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` without any character XML 1.0 forbids or discourages (see `forbidden`): for the whole
/// output of an XML writer, so that no stored value, however old, makes a feed or sitemap
/// ill-formed. Markup never contains such characters, so filtering the finished document only
/// ever touches text.
pub fn xml_safe(s: String) -> String {
    if !s.chars().any(forbidden) {
        return s;
    }
    s.chars().filter(|&c| !forbidden(c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASTED: &str = "Remission\u{0c}rates\u{0b}rose\u{85}in\u{2028}the \u{1}trial\u{7f}\u{9f}\u{fffe}\u{ffff}\u{fdd0}\u{1fffe}.";

    #[test]
    fn one_line_text_loses_controls_and_breaks_become_spaces() {
        assert_eq!(clean_line(PASTED), "Remission rates rose in the trial.");
        assert_eq!(clean_line("a\tb\r\nc\nd"), "a b c d");
        assert!(matches!(
            clean_line("Plain — text ✓ 日本"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn multi_line_text_keeps_its_lines_and_tabs() {
        assert_eq!(
            clean_block("one\r\ntwo\rthree\u{0c}four\u{2029}five\tsix\u{7}"),
            "one\ntwo\nthree\nfour\nfive\tsix"
        );
        assert!(matches!(clean_block("a\n\nb\tc"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_invisible_ranges_are_exactly_the_characters_that_are_not_visible() {
        for code in 0..=0x10ffff_u32 {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            let listed = INVISIBLE
                .iter()
                .any(|(low, high)| (*low..=*high).contains(&code));
            assert_eq!(listed, !is_visible(c), "U+{code:04X}");
        }
    }

    #[test]
    fn the_visible_pattern_matches_what_the_server_counts_as_visible() {
        let visible = regex::Regex::new(&format!("^{}$", visible_class())).unwrap();
        for code in 0..=0x10ffff_u32 {
            if let Some(c) = char::from_u32(code) {
                let one = c.to_string();
                assert_eq!(visible.is_match(&one), is_visible(c), "U+{code:04X}");
            }
        }
        let pattern = regex::Regex::new(&visible_pattern()).unwrap();
        for (text, ok) in [
            ("Remission", true),
            (" \t\u{3000}x\u{85}", true),
            ("\u{1}\u{7f} \u{2028}\u{fdd0}\u{10ffff}", false),
            ("", false),
            ("a\u{0}", false),
        ] {
            assert_eq!(pattern.is_match(text), ok, "{text:?}");
            assert_eq!(has_visible(text) && !text.contains('\0'), ok, "{text:?}");
        }
        // Visible text stays non-empty once cleaned and trimmed; invisible text does not.
        assert_eq!(clean_line(" \u{1}é\u{b} ").trim(), "é");
        assert!(clean_line("\u{1}\u{85}\u{fffe} \u{2029}").trim().is_empty());
    }

    #[test]
    fn the_no_nul_pattern_refuses_only_nul() {
        let pattern = regex::Regex::new(NO_NUL_PATTERN).unwrap();
        assert!(pattern.is_match("any\u{1}text\n\u{10ffff}"));
        assert!(pattern.is_match(""));
        assert!(!pattern.is_match("a\u{0}b"));
    }

    #[test]
    fn nothing_xml_forbids_survives_xml_safe() {
        let out = xml_safe(format!("<t>{PASTED}\u{0}</t>"));
        assert!(out.chars().all(|c| !forbidden(c)), "{out:?}");
        assert!(out.starts_with("<t>Remission") && out.ends_with("</t>"));
        // Every code point XML 1.0 allows, and emoji, pass.
        let fine = "tab\tline\ncr\r ok é 中 \u{d7ff}\u{e000}\u{fffd}\u{10000}😀".to_owned();
        assert_eq!(xml_safe(fine.clone()), fine);
    }
}

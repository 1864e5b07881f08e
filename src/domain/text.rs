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

/// `s` without any character XML 1.0 forbids or discourages (see [`forbidden`]): for the whole
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
    fn nothing_xml_forbids_survives_xml_safe() {
        let out = xml_safe(format!("<t>{PASTED}\u{0}</t>"));
        assert!(out.chars().all(|c| !forbidden(c)), "{out:?}");
        assert!(out.starts_with("<t>Remission") && out.ends_with("</t>"));
        // Every code point XML 1.0 allows, and emoji, pass.
        let fine = "tab\tline\ncr\r ok é 中 \u{d7ff}\u{e000}\u{fffd}\u{10000}😀".to_owned();
        assert_eq!(xml_safe(fine.clone()), fine);
    }
}

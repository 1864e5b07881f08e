//! How a story looks away from its page, for the editor's previews: a search result (title and
//! description shortened as search engines shorten them) and the length of the read. The
//! editor's script (`assets/js/editor.js`) mirrors these rules for the live previews; the
//! server's rendering is what a form without script shows.

/// About what a search result shows of a title (≈ 600 px at 20 px) before it cuts it.
pub const RESULT_TITLE_CHARS: usize = 60;
/// About what a search result shows of a description (≈ 920 px at 14 px) before it cuts it.
pub const RESULT_DESCRIPTION_CHARS: usize = 155;
/// Reading speed of an adult reading non-fiction on a screen, in words a minute.
pub const WORDS_PER_MINUTE: usize = 230;

/// `text` as a search result shows it in `max` characters: whole when it fits, else cut at the
/// last word boundary before the limit, with "…" (the ellipsis counts). Whitespace is folded.
pub fn shorten(text: &str, max: usize) -> String {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().count() <= max {
        return folded;
    }
    let keep: String = folded.chars().take(max.saturating_sub(1)).collect();
    let next_is_space = folded.chars().nth(keep.chars().count()) == Some(' ');
    let cut = if next_is_space {
        keep.as_str()
    } else {
        // Back to the last space; a single long word is cut where the limit falls.
        keep.rfind(' ').map_or(keep.as_str(), |at| &keep[..at])
    };
    format!("{}…", cut.trim_end_matches([' ', ',', ';', ':', '.', '-']))
}

/// The words of a Markdown body: runs between whitespace that hold a letter or a digit (so
/// `##`, `-` and `**` of the markup are not words).
pub fn word_count(markdown: &str) -> usize {
    markdown
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

/// Whole minutes to read `words` words, rounded up; 0 for none.
pub fn reading_minutes(words: usize) -> usize {
    words.div_ceil(WORDS_PER_MINUTE)
}

/// "1,234 words · about 6 minutes to read", as the editor shows the body's length.
pub fn reading_summary(markdown: &str) -> String {
    let words = word_count(markdown);
    let minutes = reading_minutes(words);
    format!(
        "{} {} · about {minutes} {} to read",
        thousands(words),
        if words == 1 { "word" } else { "words" },
        if minutes == 1 { "minute" } else { "minutes" },
    )
}

/// `1234` as `1,234`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_shown_whole_with_whitespace_folded() {
        assert_eq!(
            shorten("  Vitamin D \n and falls ", 60),
            "Vitamin D and falls"
        );
    }

    #[test]
    fn long_text_is_cut_at_a_word_with_an_ellipsis_within_the_limit() {
        let text = "Trastuzumab with chemotherapy kept one in eleven women in remission for years";
        let cut = shorten(text, 40);
        assert_eq!(cut, "Trastuzumab with chemotherapy kept one…");
        assert!(cut.chars().count() <= 40);
        // A word ending right at the limit is kept whole; punctuation before the cut goes.
        assert_eq!(shorten("aaaa bbbb, cccc", 11), "aaaa bbbb…");
        assert_eq!(shorten(&"x".repeat(100), 10), format!("{}…", "x".repeat(9)));
        assert_eq!(shorten("éééé éééé", 6), "éééé…");
    }

    #[test]
    fn words_are_counted_without_markup_and_reading_time_rounds_up() {
        assert_eq!(word_count("## Findings\n\n- **Eleven** of 120 women.\n"), 5);
        assert_eq!(word_count(""), 0);
        assert_eq!(reading_minutes(0), 0);
        assert_eq!(reading_minutes(1), 1);
        assert_eq!(reading_minutes(230), 1);
        assert_eq!(reading_minutes(231), 2);
        let body = "word ".repeat(1_234);
        assert_eq!(
            reading_summary(&body),
            "1,234 words · about 6 minutes to read"
        );
        assert_eq!(reading_summary("One"), "1 word · about 1 minute to read");
    }
}

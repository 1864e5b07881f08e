//! Synonym sets for search (CONTRACT §10): words and phrases a reader may use for the same
//! thing (a brand and a generic drug name, a lay and a medical term). A search for any term of a
//! set finds stories with any other; the sets are applied to the query, never to the index.

use super::text::clean_line;

pub mod limits {
    /// Sets at most.
    pub const SETS: usize = 2_000;
    /// Terms in one set, at most.
    pub const TERMS: usize = 20;
    /// Characters of one term, at most.
    pub const TERM_CHARS: usize = 60;
}

/// Checks the sets as sent and cleans them: terms in lower case with white space folded, each
/// set without repeats. Errors are `(field, message)` pairs naming `sets[i]` or `sets[i][j]`.
/// A term may be in one set only (two sets sharing a term are one set: merge them).
pub fn check(sets: &[Vec<String>]) -> Result<Vec<Vec<String>>, Vec<(String, String)>> {
    let mut errors: Vec<(String, String)> = Vec::new();
    if sets.len() > limits::SETS {
        errors.push((
            "sets".to_owned(),
            format!("must hold at most {} sets", limits::SETS),
        ));
        return Err(errors);
    }
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut clean_sets = Vec::with_capacity(sets.len());
    for (i, set) in sets.iter().enumerate() {
        if set.len() > limits::TERMS {
            errors.push((
                format!("sets[{i}]"),
                format!("must hold at most {} terms", limits::TERMS),
            ));
            continue;
        }
        let mut terms: Vec<String> = Vec::with_capacity(set.len());
        for (j, raw) in set.iter().enumerate() {
            let term = normalise(raw);
            if term.is_empty() || raw.chars().count() > limits::TERM_CHARS {
                errors.push((
                    format!("sets[{i}][{j}]"),
                    format!(
                        "must be a word or phrase of 1 to {} characters",
                        limits::TERM_CHARS
                    ),
                ));
            } else if !term.chars().any(char::is_alphanumeric) {
                errors.push((
                    format!("sets[{i}][{j}]"),
                    "must contain a letter or a digit".to_owned(),
                ));
            } else if terms.contains(&term) {
                // The same term twice in one set says nothing more: kept once.
            } else if let Some(other) = seen.get(&term).filter(|&&other| other != i) {
                errors.push((
                    format!("sets[{i}][{j}]"),
                    format!("“{term}” is already in set {other}: merge the two sets"),
                ));
            } else {
                seen.insert(term.clone(), i);
                terms.push(term);
            }
        }
        if terms.len() < 2
            && !errors
                .iter()
                .any(|(f, _)| f.starts_with(&format!("sets[{i}]")))
        {
            errors.push((
                format!("sets[{i}]"),
                "must hold at least two different terms".to_owned(),
            ));
        }
        clean_sets.push(terms);
    }
    if errors.is_empty() {
        Ok(clean_sets)
    } else {
        Err(errors)
    }
}

/// A term as it is kept and compared: one line, lower case, white space folded.
pub fn normalise(raw: &str) -> String {
    clean_line(raw)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The sets as the admin's text area shows them: one set a line, terms separated by commas.
pub fn to_lines(sets: &[Vec<String>]) -> String {
    sets.iter()
        .map(|set| set.join(", "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The admin's text area read back: one set a line, terms separated by commas; blank lines are
/// skipped.
pub fn from_lines(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            line.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets(raw: &[&[&str]]) -> Vec<Vec<String>> {
        raw.iter()
            .map(|s| s.iter().map(|t| (*t).to_owned()).collect())
            .collect()
    }

    #[test]
    fn sets_are_cleaned() {
        let clean = check(&sets(&[
            &["Herceptin", " trastuzumab ", "herceptin"],
            &["heart  attack", "Myocardial\tInfarction"],
        ]))
        .unwrap();
        assert_eq!(
            clean,
            sets(&[
                &["herceptin", "trastuzumab"],
                &["heart attack", "myocardial infarction"]
            ])
        );
    }

    #[test]
    fn bad_sets_name_the_term() {
        let errors = check(&sets(&[&["a", "b"], &["b", "c"], &["x"], &["", "--"]])).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            ["sets[1][0]", "sets[2]", "sets[3][0]", "sets[3][1]"]
        );
        assert!(errors[0].1.contains("already in set 0"));
        let long = "x".repeat(limits::TERM_CHARS + 1);
        assert_eq!(
            check(&[vec![long, "y".into()]]).unwrap_err()[0].0,
            "sets[0][0]"
        );
    }

    #[test]
    fn lines_round_trip() {
        let s = sets(&[&["herceptin", "trastuzumab"], &["heart attack", "mi"]]);
        assert_eq!(from_lines(&to_lines(&s)), s);
        assert_eq!(
            from_lines("a, b\n\n  \nc,d,\n"),
            sets(&[&["a", "b"], &["c", "d"]])
        );
    }
}

//! Reader feedback rules: what a valid entry is, the signed form token, and how a user agent is
//! reduced to a browser family. Pure functions; the keys come from the caller.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Longest comment, in characters.
pub const COMMENT_CHARS: usize = 2_000;
/// Longest email address.
pub const EMAIL_CHARS: usize = 254;
/// A form older than this is stale (or replayed).
pub const MAX_FORM_AGE_SECS: i64 = 24 * 60 * 60;

/// Where an entry stands in the editors' triage.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    sqlx::Type,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum FeedbackStatus {
    /// Not looked at yet.
    New,
    Read,
    Resolved,
    /// A bot's, a repeat, or judged so by an editor; left out of the story's counts.
    Spam,
}

impl FeedbackStatus {
    pub const ALL: [Self; 4] = [Self::New, Self::Read, Self::Resolved, Self::Spam];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Read => "read",
            Self::Resolved => "resolved",
            Self::Spam => "spam",
        }
    }

    /// The status named `raw`, if any.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// What the reader sent, before validation. `helpful` is already a bool when it came as JSON.
#[derive(Debug, Clone, Default)]
pub struct RawFeedback {
    pub helpful: Option<String>,
    pub comment: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
}

/// A valid entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidFeedback {
    pub helpful: Option<bool>,
    pub comment: Option<String>,
    pub email: Option<String>,
    /// The honeypot was filled: store as spam, answer as success.
    pub honeypot: bool,
}

/// Validates a submission; errors are `(field, message)` pairs.
pub fn validate(raw: &RawFeedback) -> Result<ValidFeedback, Vec<(&'static str, String)>> {
    if raw.website.as_deref().is_some_and(|w| !w.trim().is_empty()) {
        // A bot: whatever else it sent, it gets the success answer and is stored as spam (never
        // a 422 that would teach it what to fix).
        let comment: String = raw
            .comment
            .as_deref()
            .unwrap_or_default()
            .chars()
            .filter(|c| *c != '\0')
            .take(COMMENT_CHARS)
            .collect();
        return Ok(ValidFeedback {
            helpful: matches!(raw.helpful.as_deref(), Some("yes" | "true")).then_some(true),
            comment: Some(comment),
            email: None,
            honeypot: true,
        });
    }
    let mut errors = Vec::new();
    let helpful = match raw
        .helpful
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty())
    {
        None => None,
        Some("yes" | "true") => Some(true),
        Some("no" | "false") => Some(false),
        Some(_) => {
            errors.push(("helpful", "must be yes or no".to_owned()));
            None
        }
    };
    // Controls pasted along with the text are dropped (`crate::domain::text`); NUL is refused.
    let nul = raw.comment.as_deref().is_some_and(|c| c.contains('\0'));
    let comment = raw
        .comment
        .as_deref()
        .map(|c| super::text::clean_block(c).trim().to_owned())
        .filter(|c| !c.is_empty());
    if let Some(comment) = &comment {
        let chars = comment.chars().count();
        if chars > COMMENT_CHARS {
            errors.push((
                "comment",
                format!("must be at most 2,000 characters (it has {chars})"),
            ));
        }
    }
    if nul {
        errors.push(("comment", "must not contain NUL characters".to_owned()));
    }
    let email = raw
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned);
    if let Some(email) = &email
        && !valid_email(email)
    {
        errors.push((
            "email",
            "must be a valid email address, such as name@example.org".to_owned(),
        ));
    }
    if helpful.is_none() && comment.is_none() && !errors.iter().any(|(f, _)| *f == "helpful") {
        errors.push(("helpful", "choose yes or no, or write a comment".to_owned()));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ValidFeedback {
        helpful,
        comment,
        email,
        honeypot: raw.website.as_deref().is_some_and(|w| !w.trim().is_empty()),
    })
}

/// A pragmatic address check: one `@`, a dotted domain, no spaces, at most 254 characters.
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    email.chars().count() <= EMAIL_CHARS
        && !local.is_empty()
        && local.len() <= 64
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with(['.', '-'])
        && !domain.ends_with(['.', '-'])
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
        && !local
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"".contains(c))
}

type HmacSha256 = Hmac<Sha256>;

fn sign(key: &[u8], message: &str) -> String {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A form token for the story at `slug` issued at `now` (unix seconds): `"<issued>.<hmac>"`.
pub fn form_token(key: &[u8], slug: &str, now: i64) -> String {
    format!("{now}.{}", sign(key, &format!("{slug}|{now}")))
}

/// What a form token says about a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenCheck {
    Valid,
    /// Older than a day.
    Expired,
    /// Forged, or for another story.
    Invalid,
}

impl TokenCheck {
    /// Why an entry is stored as spam, if it is.
    pub fn spam_reason(self) -> Option<&'static str> {
        match self {
            Self::Valid => None,
            Self::Expired => Some("form older than a day"),
            Self::Invalid => Some("form token forged or for another story"),
        }
    }
}

/// Checks a form token against the story and the clock.
pub fn check_form_token(key: &[u8], slug: &str, token: &str, now: i64) -> TokenCheck {
    let Some((issued, signature)) = token.split_once('.') else {
        return TokenCheck::Invalid;
    };
    let Ok(issued_at) = issued.parse::<i64>() else {
        return TokenCheck::Invalid;
    };
    let Ok(signature) = hex::decode(signature) else {
        return TokenCheck::Invalid;
    };
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(format!("{slug}|{issued_at}").as_bytes());
    if mac.verify_slice(&signature).is_err() {
        return TokenCheck::Invalid;
    }
    let age = now - issued_at;
    // No lower bound: timing a reader (or a test client) says too little to mark them spam.
    if age > MAX_FORM_AGE_SECS {
        TokenCheck::Expired
    } else {
        TokenCheck::Valid
    }
}

/// A keyed hash of the client address: the same client gives the same hash for one key (one
/// day), and the address cannot be read back.
pub fn client_hash(day_key: &[u8], client: &str) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(day_key).expect("HMAC takes any key length");
    mac.update(client.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The browser family of a user agent; nothing finer is kept.
pub fn browser_family(user_agent: &str) -> &'static str {
    let ua = user_agent.to_ascii_lowercase();
    if ua.is_empty() {
        "Unknown"
    } else if [
        "bot",
        "crawl",
        "spider",
        "slurp",
        "curl",
        "wget",
        "python",
        "httpclient",
        "go-http",
    ]
    .iter()
    .any(|b| ua.contains(b))
    {
        "Bot or script"
    } else if ua.contains("edg/") || ua.contains("edge/") {
        "Edge"
    } else if ua.contains("opr/") || ua.contains("opera") {
        "Opera"
    } else if ua.contains("firefox/") || ua.contains("fxios/") {
        "Firefox"
    } else if ua.contains("chrome/") || ua.contains("crios/") || ua.contains("chromium/") {
        "Chrome"
    } else if ua.contains("safari/") {
        "Safari"
    } else {
        "Other"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(helpful: Option<&str>, comment: Option<&str>) -> RawFeedback {
        RawFeedback {
            helpful: helpful.map(str::to_owned),
            comment: comment.map(str::to_owned),
            ..RawFeedback::default()
        }
    }

    #[test]
    fn helpful_or_comment_is_required_and_comments_are_bounded() {
        assert!(validate(&raw(Some("yes"), None)).is_ok());
        assert!(validate(&raw(Some("false"), None)).is_ok());
        assert!(validate(&raw(None, Some("Useful"))).is_ok());
        assert_eq!(
            validate(&raw(None, Some("   "))).unwrap_err()[0].0,
            "helpful"
        );
        assert_eq!(
            validate(&raw(Some("maybe"), None)).unwrap_err()[0].0,
            "helpful"
        );
        assert!(validate(&raw(None, Some(&"é".repeat(2000)))).is_ok());
        assert_eq!(
            validate(&raw(None, Some(&"é".repeat(2001)))).unwrap_err()[0].0,
            "comment"
        );
    }

    #[test]
    fn emails_are_checked_and_the_honeypot_is_noticed() {
        for good in ["a@b.co", "ana.ribeiro+news@example.org"] {
            assert!(valid_email(good), "{good}");
        }
        for bad in [
            "a", "a@b", "@b.co", "a b@c.co", "a@b..co", "<a>@b.co", "a@-b.co",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
        let mut input = raw(Some("yes"), None);
        input.website = Some("http://spam.example".into());
        assert!(validate(&input).unwrap().honeypot);
        // Even with invalid fields: no 422 for a bot.
        let mut bot = raw(None, None);
        bot.email = Some("junk".into());
        bot.website = Some("x".into());
        let valid = validate(&bot).unwrap();
        assert!(valid.honeypot && valid.email.is_none());
    }

    #[test]
    fn form_tokens_are_bound_to_the_story_and_the_clock() {
        let key = b"secret key";
        let story = "vitamin-d-falls";
        let token = form_token(key, story, 1_000);
        assert_eq!(
            check_form_token(key, story, &token, 1_000),
            TokenCheck::Valid
        );
        assert_eq!(
            check_form_token(key, story, &token, 1_002),
            TokenCheck::Valid
        );
        assert_eq!(
            check_form_token(key, story, &token, 1_000 + 86_400),
            TokenCheck::Valid
        );
        assert_eq!(
            check_form_token(key, story, &token, 1_000 + 86_401),
            TokenCheck::Expired
        );
        assert_eq!(
            check_form_token(key, "another-story", &token, 1_010),
            TokenCheck::Invalid
        );
        assert_eq!(
            check_form_token(b"other key", story, &token, 1_010),
            TokenCheck::Invalid
        );
        assert_eq!(
            check_form_token(key, story, "900.abcd", 1_010),
            TokenCheck::Invalid
        );
        assert_eq!(
            check_form_token(key, story, "garbage", 1_010),
            TokenCheck::Invalid
        );
    }

    #[test]
    fn client_hashes_depend_on_the_day_key() {
        assert_eq!(
            client_hash(b"k1", "203.0.113.9"),
            client_hash(b"k1", "203.0.113.9")
        );
        assert_ne!(
            client_hash(b"k1", "203.0.113.9"),
            client_hash(b"k2", "203.0.113.9")
        );
        assert_ne!(
            client_hash(b"k1", "203.0.113.9"),
            client_hash(b"k1", "203.0.113.10")
        );
    }

    #[test]
    fn user_agents_become_browser_families() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";
        assert_eq!(browser_family(chrome), "Chrome");
        assert_eq!(
            browser_family(
                "Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15"
            ),
            "Safari"
        );
        assert_eq!(
            browser_family("Mozilla/5.0 (Windows NT 10.0; rv:120.0) Gecko/20100101 Firefox/120.0"),
            "Firefox"
        );
        assert_eq!(browser_family(&format!("{chrome} Edg/120.0")), "Edge");
        assert_eq!(browser_family("curl/8.0"), "Bot or script");
        assert_eq!(browser_family(""), "Unknown");
    }
}

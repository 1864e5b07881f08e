//! Webhook rules, without I/O: which events exist and which change makes which, what each
//! event's `data` says, which addresses a webhook may reach, how a delivery is signed (the
//! Standard Webhooks specification) and when a failed one is tried again.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::article::{Article, ArticleStatus, ChangeKind};

/// The events a webhook may subscribe to (CONTRACT §12).
pub const EVENTS: [&str; 6] = [
    "article.published",
    "article.updated",
    "article.corrected",
    "article.archived",
    "article.withdrawn",
    "feedback.created",
];

/// The longest webhook URL, in characters.
pub const MAX_URL_CHARS: usize = 2000;

/// The event of "Send test event": sent to one webhook, whatever it subscribes to.
pub const TEST_EVENT: &str = "webhook.test";

/// The known event named `name`, as a static string.
pub fn event(name: &str) -> Option<&'static str> {
    EVENTS.iter().copied().find(|known| *known == name)
}

/// The event a committed change to a story makes, if any: only changes readers see. An
/// `update` (or a restored revision) of a published story is `article.updated`, or
/// `article.corrected` when it is a correction; publishing (when the story is then published,
/// not scheduled), archiving and withdrawing make their own events.
pub fn story_event(action: &str, kind: ChangeKind, doc: &Article) -> Option<&'static str> {
    match action {
        "publish" if doc.status == ArticleStatus::Published => Some("article.published"),
        "update" | "restore_revision" | "restore"
            if doc.status == ArticleStatus::Published && kind == ChangeKind::Correction =>
        {
            Some("article.corrected")
        }
        "update" | "restore_revision" | "restore" if doc.status == ArticleStatus::Published => {
            Some("article.updated")
        }
        "archive" => Some("article.archived"),
        "withdraw" => Some("article.withdrawn"),
        _ => None,
    }
}

/// The public path of a story.
pub fn story_path(slug: &str) -> String {
    format!("/research-news/{slug}")
}

/// The `data` of a story's event, as stored (the delivery adds `url` from `path`).
pub fn story_data(doc: &Article, kind: ChangeKind, note: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "id": doc.id,
        "slug": doc.slug,
        "headline": doc.title,
        "path": story_path(&doc.slug),
        "status": doc.status.as_str(),
        "archived": doc.archived,
        "revision": doc.version,
        "change_kind": kind.as_str(),
        "change_note": note,
        "published_at": doc.published_at.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
    })
}

/// The body of a delivery: `{"type", "timestamp", "data"}`, with `data.url` made absolute from
/// `data.path` under `base_url`. The same inputs give the same bytes on every retry.
pub fn body(
    event_type: &str,
    timestamp: time::OffsetDateTime,
    mut data: serde_json::Value,
    base_url: &str,
) -> String {
    if let Some(object) = data.as_object_mut()
        && let Some(path) = object
            .get("path")
            .and_then(|p| p.as_str())
            .map(str::to_owned)
    {
        object.insert(
            "url".to_owned(),
            serde_json::Value::String(format!("{base_url}{path}")),
        );
    }
    let timestamp = timestamp
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    serde_json::json!({ "type": event_type, "timestamp": timestamp, "data": data }).to_string()
}

/// Whether an address is one a webhook may never reach (unless its host is allowed): loopback,
/// private, link-local, unspecified, multicast, broadcast, shared (CGNAT 100.64/10),
/// documentation and benchmarking ranges, IPv6 unique-local (fc00::/7), and IPv4 carried in
/// IPv6 (mapped, compatible, NAT64) judged as the IPv4 address it carries.
pub fn forbidden_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    let segments = ip.segments();
    // IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::/96) carry an IPv4 address.
    if segments[..6] == [0, 0, 0, 0, 0, 0] || segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [a, b] = segments[6].to_be_bytes();
        let [c, d] = segments[7].to_be_bytes();
        return ip.is_loopback() || ip.is_unspecified() || forbidden_v4(Ipv4Addr::new(a, b, c, d));
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00
        || (segments[0] & 0xffc0) == 0xfe80
        || (segments[0] & 0xffc0) == 0xfec0
        || (segments[0] == 0x2001 && segments[1] == 0x0db8)
}

/// A webhook URL that passed the rules that need no name lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub url: url::Url,
    /// The host, lower-case, without IPv6 brackets.
    pub host: String,
    pub port: u16,
    /// Listed in `DATELINE_WEBHOOK_ALLOW_HOSTS`: any address, and `http`, are allowed.
    pub allowed_host: bool,
    /// When the host is an address itself.
    pub ip: Option<IpAddr>,
}

/// Checks a webhook URL as far as can be without looking its host up: an absolute `https`
/// URL (or `http` to an allowed host) with a host, no user name or password, and, when the
/// host is an address, not a forbidden one. The message says what is wrong.
pub fn check_url(raw: &str, allow_hosts: &[String]) -> Result<Target, String> {
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(format!("must be at most {MAX_URL_CHARS} characters"));
    }
    if raw.chars().any(char::is_control) {
        return Err("must not contain control characters".to_owned());
    }
    let url =
        url::Url::parse(raw.trim()).map_err(|_| "must be an absolute https URL".to_owned())?;
    if url.as_str().len() > MAX_URL_CHARS {
        return Err(format!(
            "must be at most {MAX_URL_CHARS} characters once encoded"
        ));
    }
    let host = match url.host() {
        Some(url::Host::Domain(name)) => name.trim_end_matches('.').to_ascii_lowercase(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => return Err("must name a host".to_owned()),
    };
    if host.is_empty() {
        return Err("must name a host".to_owned());
    }
    let allowed_host = allow_hosts.iter().any(|h| h.eq_ignore_ascii_case(&host));
    match url.scheme() {
        "https" => {}
        "http" if allowed_host => {}
        _ => return Err("must be an https URL".to_owned()),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password".to_owned());
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    };
    if let Some(ip) = ip
        && !allowed_host
        && forbidden_ip(ip)
    {
        return Err(format!(
            "must not point to a loopback, private or link-local address ({ip})"
        ));
    }
    let port = url.port_or_known_default().unwrap_or(443);
    Ok(Target {
        url,
        host,
        port,
        allowed_host,
        ip,
    })
}

/// The first forbidden address among those a host resolved to, unless the host is allowed.
pub fn first_forbidden(addresses: &[IpAddr]) -> Option<IpAddr> {
    addresses.iter().copied().find(|ip| forbidden_ip(*ip))
}

/// A new signing secret, `whsec_<base64 of 32 random bytes>`.
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// The key bytes of a `whsec_` secret.
pub fn secret_key(secret: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .ok()
}

/// The `webhook-signature` header: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The longest wait between two attempts.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(4 * 3600);

/// How long after the first attempt a delivery still failing is given up (at least 24 hours
/// of retries, CONTRACT §12).
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(24 * 3600 + 600);

/// The wait after failed attempt number `attempt` (from 1): `base` doubled each time, at most
/// [`MAX_RETRY_DELAY`], times `jitter` (from 0.8 to 1.2, so that retries of many deliveries
/// spread out).
pub fn retry_delay(attempt: i32, base: Duration, jitter: f64) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    let delay = base.saturating_mul(1 << doublings).min(MAX_RETRY_DELAY);
    delay.mul_f64(jitter.clamp(0.8, 1.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "64:ff9b::10.0.0.1",
        ] {
            assert!(forbidden_ip(ip.parse().unwrap()), "{ip} must be forbidden");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700::1111", "100.128.0.1"] {
            assert!(!forbidden_ip(ip.parse().unwrap()), "{ip} must be allowed");
        }
    }

    #[test]
    fn urls_must_be_https_to_public_addresses_unless_the_host_is_allowed() {
        assert!(check_url("https://example.org/hook", &[]).is_ok());
        assert!(check_url("http://example.org/hook", &[]).is_err());
        assert!(check_url("https://127.0.0.1/", &[]).is_err());
        assert!(check_url("https://[::1]/", &[]).is_err());
        assert!(check_url("https://10.0.0.1/", &[]).is_err());
        assert!(check_url("ftp://example.org/", &[]).is_err());
        assert!(check_url("https://user:pw@example.org/", &[]).is_err());
        assert!(check_url("not a url", &[]).is_err());
        let allowed = vec!["127.0.0.1".to_owned()];
        let target = check_url("http://127.0.0.1:8080/x", &allowed).unwrap();
        assert!(target.allowed_host);
        assert_eq!(target.port, 8080);
    }

    #[test]
    fn signature_follows_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification's reference libraries.
        let key = secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn retries_back_off_exponentially_up_to_a_cap() {
        let base = Duration::from_secs(30);
        assert_eq!(retry_delay(1, base, 1.0), Duration::from_secs(30));
        assert_eq!(retry_delay(3, base, 1.0), Duration::from_secs(120));
        assert_eq!(retry_delay(30, base, 1.0), MAX_RETRY_DELAY);
        assert!(retry_delay(2, base, 1.5) <= Duration::from_secs(72));
    }

    #[test]
    fn only_changes_readers_see_make_events() {
        let doc: Article = serde_json::from_value(serde_json::json!({
            "id": "00000000-0000-0000-0000-000000000001", "slug": "s", "title": "T", "dek": "",
            "body_markdown": "", "body_html": "", "status": "published", "published_at": null,
            "updated_at": "2026-12-01T00:00:00Z", "archived": false, "archived_at": null,
            "archive_reason": null, "superseded_by": null, "topics": [], "study": null,
            "review": null, "version": 3, "created_at": "2026-12-01T00:00:00Z",
            "created_by": null, "updated_by": null
        }))
        .unwrap();
        let event = |action, kind, doc: &Article| story_event(action, kind, doc);
        assert_eq!(
            event("publish", ChangeKind::Minor, &doc),
            Some("article.published")
        );
        assert_eq!(
            event("update", ChangeKind::Correction, &doc),
            Some("article.corrected")
        );
        assert_eq!(
            event("update", ChangeKind::Minor, &doc),
            Some("article.updated")
        );
        assert_eq!(
            event("archive", ChangeKind::Minor, &doc),
            Some("article.archived")
        );
        assert_eq!(
            event("withdraw", ChangeKind::Minor, &doc),
            Some("article.withdrawn")
        );
        assert_eq!(event("unpublish", ChangeKind::Minor, &doc), None);
        assert_eq!(event("create", ChangeKind::Minor, &doc), None);
        let mut draft = doc.clone();
        draft.status = ArticleStatus::Draft;
        assert_eq!(event("update", ChangeKind::Update, &draft), None);
        let mut scheduled = doc;
        scheduled.status = ArticleStatus::Scheduled;
        assert_eq!(event("publish", ChangeKind::Minor, &scheduled), None);
        let body = body(
            "article.published",
            time::OffsetDateTime::UNIX_EPOCH,
            story_data(&draft, ChangeKind::Minor, None),
            "https://news.example.org",
        );
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body["data"]["url"],
            "https://news.example.org/research-news/s"
        );
        assert_eq!(body["timestamp"], "1970-01-01T00:00:00Z");
        assert_eq!(body["data"]["revision"], 3);
    }

    #[test]
    fn events_are_known_by_name() {
        assert_eq!(event("article.published"), Some("article.published"));
        assert_eq!(event("article.deleted"), None);
        assert_eq!(event(TEST_EVENT), None);
    }
}

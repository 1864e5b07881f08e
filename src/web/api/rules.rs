//! What the OpenAPI document says the API takes, field by field, exactly as the server checks
//! it: lengths (counted on the text as sent), required text that must hold a visible character,
//! patterns, ranges, the window of dates, nullability, and the rules between fields that JSON
//! Schema can state (a correction's note, the feedback triage). utoipa generates the document's
//! shapes from the types; these rules are merged into it, from the same constants and patterns
//! the server checks with. Every other text the API reads says that NUL is refused.
//!
//! What no schema can state is left to the server and listed in `scripts/schemathesis.sh`:
//! whether a topic or a superseded-by story exists, a review due before it was done, a slug
//! another story holds (`409`), `body_markdown`'s limit in bytes (stated as characters here,
//! with the bytes in its description), and the addresses a webhook URL may reach.

use serde_json::{Map, Value, json};

use crate::domain::article::{MAX_SAMPLE_SIZE, limits, patterns};
use crate::domain::{dates, person, slug, text};

/// JSON Schema for a slug (`crate::domain::slug::Slug::parse`).
const SLUG_PATTERN: &str = "^[a-z0-9]+(-[a-z0-9]+)*$";

/// A hyphenated UUID, or nothing (a query filter).
const UUID_OR_EMPTY: &str =
    "^([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})?$";

/// Text of at most `max` characters as sent; `null` is none (or: unchanged).
fn text(max: usize) -> Value {
    json!({"type": ["string", "null"], "maxLength": max, "pattern": text::NO_NUL_PATTERN})
}

/// A text field of a `multipart/form-data` body: text of at most `max` characters.
fn form_text(max: usize) -> Value {
    json!({"type": ["string", "null"], "maxLength": max, "pattern": text::NO_NUL_PATTERN})
}

/// Text of at most `max` characters that must hold a visible character once sent.
fn visible(max: usize, nullable: bool) -> Value {
    let kind = if nullable {
        json!(["string", "null"])
    } else {
        json!("string")
    };
    json!({"type": kind, "minLength": 1, "maxLength": max, "pattern": text::visible_pattern()})
}

fn pattern(pattern: &str, max: usize) -> Value {
    json!({"type": ["string", "null"], "maxLength": max, "pattern": pattern})
}

fn slug() -> Value {
    pattern(SLUG_PATTERN, slug::MAX_LEN)
}

fn date() -> Value {
    json!({"type": ["string", "null"], "format": "date", "pattern": dates::date_pattern()})
}

/// A change note: with `change_kind: correction` it is required and must say something.
fn correction_needs_a_note() -> Value {
    json!({
        "if": {"properties": {"change_kind": {"const": "correction"}}, "required": ["change_kind"]},
        "then": {
            "properties": {"change_note": visible(limits::CHANGE_NOTE_CHARS, false)},
            "required": ["change_note"]
        }
    })
}

/// `(schema, property, rule)`: each rule's keywords replace those utoipa generated.
fn property_rules() -> Vec<(&'static str, &'static str, Value)> {
    let article = |name: &'static str| {
        vec![
            (name, "slug", slug()),
            (name, "dek", text(limits::DEK_CHARS)),
            (
                name,
                "body_markdown",
                // JSON Schema counts characters; the limit is in bytes of UTF-8 (see the
                // description), of which a character is one to four.
                json!({"type": ["string", "null"], "maxLength": limits::BODY_BYTES,
                       "pattern": text::NO_NUL_PATTERN,
                       "description": format!("Markdown, at most {} bytes of UTF-8.", limits::BODY_BYTES)}),
            ),
            (
                name,
                "topics",
                json!({"type": ["array", "null"], "maxItems": limits::TOPICS,
                       "items": {"type": "string", "maxLength": slug::MAX_LEN, "pattern": SLUG_PATTERN},
                       "description": "Slugs of existing topics."}),
            ),
            (
                name,
                "authors",
                json!({"type": ["array", "null"], "maxItems": limits::AUTHORS,
                       "items": {"type": "string", "maxLength": slug::MAX_LEN, "pattern": SLUG_PATTERN},
                       "description": "The byline: slugs of existing people, in order."}),
            ),
            (name, "change_note", text(limits::CHANGE_NOTE_CHARS)),
            (name, "seo_title", text(limits::SEO_TITLE_CHARS)),
            (
                name,
                "meta_description",
                text(limits::META_DESCRIPTION_CHARS),
            ),
        ]
    };
    let person = |name: &'static str, required: bool| {
        vec![
            (name, "slug", slug()),
            (name, "name", visible(person::limits::NAME_CHARS, !required)),
            (name, "credentials", text(person::limits::CREDENTIALS_CHARS)),
            (
                name,
                "bio",
                json!({"type": ["string", "null"], "maxLength": person::limits::BIO_BYTES,
                       "pattern": text::NO_NUL_PATTERN,
                       "description": format!("Markdown, at most {} bytes of UTF-8.", person::limits::BIO_BYTES)}),
            ),
            (
                name,
                "same_as",
                json!({"type": ["array", "null"], "maxItems": person::limits::SAME_AS,
                       "items": {"type": "string", "maxLength": person::limits::URL_CHARS,
                                 "pattern": person::HTTPS_URL},
                       "description": "https links to pages about the person elsewhere."}),
            ),
            (
                name,
                "photo",
                json!({"type": ["string", "null"], "format": "uuid",
                       "description": "A media id (`/api/v1/media`), or `null` for none."}),
            ),
        ]
    };
    let mut rules = article("NewArticle");
    rules.extend(article("UpdateArticle"));
    rules.extend(person("NewPerson", true));
    rules.extend(person("UpdatePerson", false));
    rules.extend([
        ("NewArticle", "title", visible(limits::TITLE_CHARS, false)),
        ("UpdateArticle", "title", visible(limits::TITLE_CHARS, true)),
        (
            "NewArticle",
            "status",
            json!({"type": ["string", "null"], "enum": ["draft", null]}),
        ),
        ("Study", "citation", text(limits::SHORT_TEXT_CHARS)),
        ("Study", "doi", pattern(&patterns::doi(), limits::DOI_CHARS)),
        ("Study", "pubmed_id", pattern(patterns::PUBMED_ID, 12)),
        ("Study", "trial_id", text(limits::TRIAL_ID_CHARS)),
        ("Study", "presented_at", date()),
        ("Study", "study_type", text(limits::STUDY_TYPE_CHARS)),
        (
            "Study",
            "sample_size",
            json!({"type": ["integer", "null"], "minimum": 0, "maximum": MAX_SAMPLE_SIZE}),
        ),
        ("Study", "url", pattern(patterns::URL, limits::URL_CHARS)),
        ("Review", "reviewed_by", text(limits::REVIEWED_BY_CHARS)),
        (
            "Review",
            "reviewer",
            json!({"type": ["string", "null"], "maxLength": slug::MAX_LEN, "pattern": SLUG_PATTERN,
                   "description": "The reviewer's person slug, when they have a page."}),
        ),
        ("Review", "last_reviewed", date()),
        ("Review", "next_review_due", date()),
        (
            "PublishRequest",
            "at",
            json!({"type": ["string", "null"], "format": "date-time", "pattern": dates::moment_pattern()}),
        ),
        (
            "UnpublishRequest",
            "at",
            json!({"type": ["string", "null"], "format": "date-time", "pattern": dates::moment_pattern()}),
        ),
        ("UnpublishRequest", "note", text(limits::CHANGE_NOTE_CHARS)),
        (
            "ArchiveRequest",
            "at",
            json!({"type": ["string", "null"], "format": "date-time", "pattern": dates::moment_pattern()}),
        ),
        ("ArchiveRequest", "reason", text(limits::ARCHIVE_REASON_CHARS)),
        ("WithdrawRequest", "reason", text(limits::ARCHIVE_REASON_CHARS)),
        ("RestoreRequest", "change_note", text(limits::CHANGE_NOTE_CHARS)),
        (
            "NewPreviewLink",
            "expires_in_hours",
            json!({"type": ["integer", "null"],
                   "minimum": crate::service::previews::MIN_HOURS,
                   "maximum": crate::service::previews::MAX_HOURS}),
        ),
        ("UpdateMedia", "alt", text(crate::domain::media::limits::ALT_CHARS)),
        ("UpdateMedia", "caption", text(crate::domain::media::limits::CAPTION_CHARS)),
        ("UpdateMedia", "credit", text(crate::domain::media::limits::CREDIT_CHARS)),
        ("UploadForm", "alt", form_text(crate::domain::media::limits::ALT_CHARS)),
        ("UploadForm", "caption", form_text(crate::domain::media::limits::CAPTION_CHARS)),
        ("UploadForm", "credit", form_text(crate::domain::media::limits::CREDIT_CHARS)),
        // A form field is text: `true` or `false`, never empty or `null`.
        ("UploadForm", "decorative", json!({"type": "boolean"})),
        (
            "NewSynonyms",
            "sets",
            json!({"type": "array", "maxItems": crate::domain::synonyms::limits::SETS,
                   "items": {"type": "array", "minItems": 2,
                             "maxItems": crate::domain::synonyms::limits::TERMS,
                             "items": visible(crate::domain::synonyms::limits::TERM_CHARS, false)}}),
        ),
        (
            "NewArchivePolicy",
            "older_than_days",
            json!({"type": "integer", "format": "int32", "minimum": 1,
                   "maximum": crate::service::archive_policy::MAX_DAYS}),
        ),
        (
            "NewArchivePolicy",
            "topics",
            json!({"type": "array", "maxItems": crate::service::archive_policy::MAX_TOPICS,
                   "items": {"type": "string", "maxLength": slug::MAX_LEN, "pattern": SLUG_PATTERN},
                   "description": "Slugs of existing topics; empty: every story."}),
        ),
        (
            "NewArchivePolicy",
            "reason",
            visible(crate::service::archive_policy::REASON_CHARS, false),
        ),
        ("NewTopic", "slug", slug()),
        ("NewTopic", "name", visible(limits::TOPIC_NAME_CHARS, false)),
        ("NewTopic", "description", text(limits::TOPIC_DESCRIPTION_CHARS)),
        ("UpdateTopic", "slug", slug()),
        ("UpdateTopic", "name", visible(limits::TOPIC_NAME_CHARS, true)),
        ("UpdateTopic", "description", text(limits::TOPIC_DESCRIPTION_CHARS)),
        (
            "UpdateFeedback",
            "status",
            json!({"type": ["string", "null"], "enum": ["new", "read", "resolved", "spam", null],
                   "description": "The triage status: `new`, `read`, `resolved` or `spam`."}),
        ),
        (
            "NewWebhook",
            "url",
            json!({"type": "string", "minLength": 1, "maxLength": crate::domain::webhooks::MAX_URL_CHARS,
                   "pattern": text::NO_NUL_PATTERN}),
        ),
        (
            "NewWebhook",
            "events",
            json!({"type": "array", "minItems": 1,
                   "items": {"type": "string", "enum": crate::domain::webhooks::EVENTS}}),
        ),
        (
            "UpdateFeedback",
            "email",
            json!({"type": "null", "description": "Only `null`: deletes the reply address the reader gave."}),
        ),
    ]);
    rules
}

/// `(schema, keywords)` on whole objects: required fields and rules between fields.
fn object_rules() -> Vec<(&'static str, Value)> {
    vec![
        ("NewArticle", json!({"required": ["title"]})),
        ("NewArticle", correction_needs_a_note()),
        ("UpdateArticle", correction_needs_a_note()),
        ("RestoreRequest", correction_needs_a_note()),
        ("NewTopic", json!({"required": ["name"]})),
        ("NewPerson", json!({"required": ["name"]})),
        (
            "UploadForm",
            // Alt text, unless the image is decorative.
            json!({"required": ["file"], "additionalProperties": false, "anyOf": [
                {"required": ["alt"], "properties": {"alt": visible(crate::domain::media::limits::ALT_CHARS, false)}},
                {"required": ["decorative"], "properties": {"decorative": {"const": true}}}
            ]}),
        ),
        (
            "UpdateMedia",
            // Alt text that says something, unless the image is (made) decorative.
            json!({"anyOf": [
                {"properties": {"alt": {"anyOf": [
                    {"type": "null"},
                    visible(crate::domain::media::limits::ALT_CHARS, false)
                ]}}},
                {"required": ["decorative"], "properties": {"decorative": {"const": true}}}
            ]}),
        ),
        (
            "UpdateFeedback",
            // A status to set, or the email to delete (or both).
            json!({"anyOf": [
                {"required": ["status"], "properties": {"status": {"type": "string"}}},
                {"required": ["email"]}
            ]}),
        ),
    ]
}

/// `(path, parameter, schema)` of the query parameters.
fn parameter_rules() -> Vec<(&'static str, &'static str, Value)> {
    let page = json!({"anyOf": [
        {"type": "integer", "minimum": 1, "maximum": super::MAX_PAGE},
        {"type": "string", "maxLength": 0}
    ]});
    let per_page = json!({"anyOf": [
        {"type": "integer", "minimum": 1},
        {"type": "string", "maxLength": 0}
    ]});
    let mut statuses: Vec<Value> = vec![json!("")];
    statuses.extend(
        crate::domain::article::ArticleStatus::ALL
            .iter()
            .map(|s| json!(s.as_str())),
    );
    let mut feedback_statuses: Vec<Value> = vec![json!("")];
    feedback_statuses.extend(
        crate::domain::feedback::FeedbackStatus::ALL
            .iter()
            .map(|s| json!(s.as_str())),
    );
    vec![
        (
            "/api/v1/articles",
            "status",
            json!({"type": "string", "enum": statuses}),
        ),
        ("/api/v1/articles", "topic", json!({"type": "string"})),
        (
            "/api/v1/articles",
            "archived",
            json!({"type": "string", "enum": ["", "true", "false", "1", "0"]}),
        ),
        ("/api/v1/articles", "q", json!({"type": "string"})),
        (
            "/api/v1/articles",
            "review_due",
            json!({"type": "string", "enum": ["", "true", "false", "1", "0"]}),
        ),
        ("/api/v1/media", "q", json!({"type": "string"})),
        ("/api/v1/media", "page", page.clone()),
        ("/api/v1/media", "per_page", per_page.clone()),
        ("/api/v1/people", "q", json!({"type": "string"})),
        ("/api/v1/people", "page", page.clone()),
        ("/api/v1/people", "per_page", per_page.clone()),
        ("/api/v1/articles", "page", page.clone()),
        ("/api/v1/articles", "per_page", per_page.clone()),
        (
            "/api/v1/feedback",
            "article_id",
            json!({"type": "string", "pattern": UUID_OR_EMPTY}),
        ),
        (
            "/api/v1/feedback",
            "status",
            json!({"type": "string", "enum": feedback_statuses}),
        ),
        ("/api/v1/archive-policy/preview", "page", page.clone()),
        (
            "/api/v1/archive-policy/preview",
            "per_page",
            per_page.clone(),
        ),
        ("/api/v1/webhooks/{id}/deliveries", "page", page.clone()),
        (
            "/api/v1/webhooks/{id}/deliveries",
            "per_page",
            per_page.clone(),
        ),
        ("/api/v1/feedback", "page", page),
        ("/api/v1/feedback", "per_page", per_page),
    ]
}

fn merge(target: &mut Value, rule: &Value) {
    if let (Some(target), Some(rule)) = (target.as_object_mut(), rule.as_object()) {
        for (key, value) in rule {
            target.insert(key.clone(), value.clone());
        }
    }
}

/// The generated document with the rules merged in. Panics (at start-up, and in every test)
/// when a rule names a schema, property or parameter the document lacks, so that no rule is
/// silently lost when a type changes.
pub fn apply(mut document: Value) -> Value {
    let schemas = &mut document["components"]["schemas"];
    for (schema, property, rule) in property_rules() {
        let target = &mut schemas[schema]["properties"][property];
        assert!(target.is_object(), "no property {schema}.{property}");
        // A `$ref` or `oneOf` wrapper says the same as the rule's `type`: the rule replaces it.
        if let Some(object) = target.as_object_mut() {
            object.retain(|key, _| key == "description");
        }
        merge(target, &rule);
    }
    for (schema, rule) in object_rules() {
        let target = &mut schemas[schema];
        assert!(target.is_object(), "no schema {schema}");
        if target.get("if").is_some() && rule.get("if").is_some() {
            panic!("two if/then rules on {schema}");
        }
        merge(target, &rule);
    }
    for (path, name, rule) in parameter_rules() {
        let parameters = document["paths"][path]["get"]["parameters"]
            .as_array_mut()
            .unwrap_or_else(|| panic!("no parameters on {path}"));
        let parameter = parameters
            .iter_mut()
            .find(|p| p["name"] == name && p["in"] == "query")
            .unwrap_or_else(|| panic!("no parameter {name} on {path}"));
        let description = parameter["schema"].get("description").cloned();
        parameter["schema"] = rule;
        if let Some(description) = description {
            parameter["schema"]["description"] = description;
        }
    }
    forbid_nul(&mut document);
    document
}

/// Adds [`text::NO_NUL_PATTERN`] to every string the API reads that has no pattern or format of
/// its own (path and header parameters included: NUL never names anything).
fn forbid_nul(document: &mut Value) {
    let mut read: Vec<String> = Vec::new();
    for item in document["paths"]
        .as_object()
        .into_iter()
        .flat_map(Map::values)
    {
        for operation in item.as_object().into_iter().flat_map(Map::values) {
            collect_refs(&operation["requestBody"], &mut read);
        }
    }
    // Schemas referred to from those, transitively (`Study`, `Review`, `ChangeKind`).
    let mut i = 0;
    while i < read.len() {
        let schema = document["components"]["schemas"][&read[i]].clone();
        collect_refs(&schema, &mut read);
        i += 1;
    }
    for name in read {
        add_no_nul(&mut document["components"]["schemas"][&name]);
    }
    if let Some(paths) = document["paths"].as_object_mut() {
        for item in paths.values_mut() {
            for operation in item
                .as_object_mut()
                .into_iter()
                .flat_map(|o| o.values_mut())
            {
                add_no_nul(&mut operation["requestBody"]);
            }
        }
    }
}

fn collect_refs(value: &Value, names: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref")
                && let Some(name) = r.strip_prefix("#/components/schemas/")
                && !names.iter().any(|n| n == name)
            {
                names.push(name.to_owned());
            }
            map.values().for_each(|v| collect_refs(v, names));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, names)),
        _ => {}
    }
}

fn is_string_schema(map: &Map<String, Value>) -> bool {
    match map.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(types)) => types.iter().any(|t| t == "string"),
        _ => false,
    }
}

fn add_no_nul(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if is_string_schema(map)
                && !map.contains_key("pattern")
                && !map.contains_key("format")
                && !map.contains_key("enum")
            {
                map.insert("pattern".into(), json!(text::NO_NUL_PATTERN));
            }
            map.values_mut().for_each(add_no_nul);
        }
        Value::Array(items) => items.iter_mut().for_each(add_no_nul),
        _ => {}
    }
}

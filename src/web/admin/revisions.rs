//! Revision history of a story: every saved version, a readable diff between any two (fields
//! and body text), and restore.

use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use super::auth::admin_layout;
use super::{AdminUser, check_csrf, csrf_token};
use crate::app::AppState;
use crate::db;
use crate::error::AppError;
use crate::service::articles;
use crate::web::pages::{Layout, render};

/// A field that differs between the two revisions.
pub struct FieldChange {
    pub name: &'static str,
    pub before: String,
    pub after: String,
}

/// One line of the body diff: `+`, `-` or ` `.
pub struct DiffLine {
    pub sign: char,
    pub text: String,
}

pub struct RevisionLine {
    pub number: i32,
    pub kind: &'static str,
    pub note: String,
    pub when: String,
}

#[derive(Template)]
#[template(path = "admin/revisions.html")]
pub struct RevisionsPage {
    pub layout: Layout,
    pub user_name: String,
    pub csrf: String,
    pub id: String,
    pub title: String,
    pub version: i32,
    pub revisions: Vec<RevisionLine>,
    pub from: i32,
    pub to: i32,
    pub fields: Vec<FieldChange>,
    pub body: Vec<DiffLine>,
    pub unchanged: bool,
}

#[derive(Debug, Deserialize)]
pub struct DiffQuery {
    from: Option<i32>,
    to: Option<i32>,
}

fn text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// The differences between two snapshots of a story.
pub fn diff(
    before: &serde_json::Value,
    after: &serde_json::Value,
) -> (Vec<FieldChange>, Vec<DiffLine>) {
    const FIELDS: [(&str, &str); 9] = [
        ("title", "Headline"),
        ("slug", "Slug"),
        ("dek", "Summary line"),
        ("topics", "Topics"),
        ("status", "Status"),
        ("archived", "Archived"),
        ("archive_reason", "Archive reason"),
        ("study", "Study"),
        ("review", "Review"),
    ];
    let fields = FIELDS
        .iter()
        .filter_map(|(key, name)| {
            let (b, a) = (text(&before[*key]), text(&after[*key]));
            (b != a).then_some(FieldChange {
                name,
                before: b,
                after: a,
            })
        })
        .collect();
    let (old, new) = (
        text(&before["body_markdown"]),
        text(&after["body_markdown"]),
    );
    let body = similar::TextDiff::from_lines(&old, &new)
        .iter_all_changes()
        .map(|change| DiffLine {
            sign: match change.tag() {
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
                similar::ChangeTag::Equal => ' ',
            },
            text: change.value().trim_end_matches('\n').to_owned(),
        })
        .collect();
    (fields, body)
}

pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Extension(AdminUser(user)): Extension<AdminUser>,
    Path(id): Path<String>,
    Query(query): Query<DiffQuery>,
) -> Result<Response, AppError> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let actor = user.actor();
    let doc = articles::get(&state.pool, actor, id).await?;
    let list = db::revisions::list(&state.pool, id).await?;
    let latest = list.first().map_or(1, |r| r.number);
    let to = query.to.unwrap_or(latest).clamp(1, latest);
    let from = query.from.unwrap_or(to - 1).clamp(1, latest);
    let (before, after) = tokio::try_join!(
        db::revisions::find(&state.pool, id, from),
        db::revisions::find(&state.pool, id, to),
    )?;
    let (fields, body) = match (before, after) {
        (Some(b), Some(a)) => diff(&b.snapshot, &a.snapshot),
        _ => (Vec::new(), Vec::new()),
    };
    let tz = &state.config.timezone;
    render(&RevisionsPage {
        layout: admin_layout("Revisions"),
        user_name: user.name,
        csrf: csrf_token(&session).await?,
        id: id.to_string(),
        title: doc.title,
        version: doc.version,
        revisions: list
            .into_iter()
            .map(|r| RevisionLine {
                number: r.number,
                kind: r.change_kind.as_str(),
                note: r.change_note.unwrap_or_default(),
                when: crate::domain::dates::long_datetime(r.created_at, tz),
            })
            .collect(),
        from,
        to,
        unchanged: fields.is_empty() && body.iter().all(|l| l.sign == ' '),
        fields,
        body,
    })
}

#[derive(Debug, Deserialize)]
pub struct RestoreForm {
    #[serde(default)]
    csrf: String,
    version: Option<i32>,
}

pub async fn restore(
    State(state): State<AppState>,
    session: Session,
    Extension(AdminUser(user)): Extension<AdminUser>,
    Path((id, number)): Path<(String, i32)>,
    Form(form): Form<RestoreForm>,
) -> Result<Response, AppError> {
    check_csrf(&session, &form.csrf).await?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let actor = user.actor();
    articles::restore_revision(&state.pool, actor, id, number, form.version).await?;
    Ok(Redirect::to(&format!("/admin/stories/{id}?saved=1")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_name_changed_fields_and_mark_body_lines() {
        let before = serde_json::json!({"title": "Old", "dek": "Same", "topics": ["heart"],
            "body_markdown": "one\ntwo\nthree\n"});
        let after = serde_json::json!({"title": "New", "dek": "Same", "topics": ["heart", "sleep"],
            "body_markdown": "one\n2\nthree\n"});
        let (fields, body) = diff(&before, &after);
        let names: Vec<_> = fields.iter().map(|f| f.name).collect();
        assert_eq!(names, ["Headline", "Topics"]);
        assert_eq!(fields[1].after, "heart, sleep");
        let marked: Vec<String> = body
            .iter()
            .map(|l| format!("{}{}", l.sign, l.text))
            .collect();
        assert_eq!(marked, [" one", "-two", "+2", " three"]);
    }
}

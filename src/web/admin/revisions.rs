//! Revision history of a story: every saved version, a readable diff between any two (fields
//! and body text), and restore.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::auth::admin_layout;
use super::extract::{Admin, AdminForm, AdminPath, empty_as_none};
use crate::db;
use crate::domain::article::ChangeKind;
use crate::error::AppError;
use crate::service::articles;
use crate::service::articles::ChangeMeta;
use crate::state::AppState;
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
    pub nav: super::AdminNav,
    pub csrf: String,
    pub id: String,
    pub title: String,
    pub revisions: Vec<RevisionLine>,
    pub from: i32,
    pub to: i32,
    pub fields: Vec<FieldChange>,
    pub body: Vec<DiffLine>,
    pub unchanged: bool,
    /// Whether this user may restore a revision of this story.
    pub can_restore: bool,
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
    const FIELDS: [(&str, &str); 12] = [
        ("title", "Headline"),
        ("slug", "Slug"),
        ("dek", "Summary line"),
        ("seo_title", "Search and social title"),
        ("meta_description", "Meta description"),
        ("authors", "Byline"),
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
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
    Query(query): Query<DiffQuery>,
) -> Result<Response, AppError> {
    let actor = admin.actor();
    let doc = articles::get(&state.pool, actor, id).await?;
    let can_restore = articles::offered(actor, &doc).restore_revision;
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
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        id: id.to_string(),
        title: doc.title,
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
        can_restore,
    })
}

/// The restore form: the version the page was loaded at, and how the restore is described.
#[derive(Debug, Default, Deserialize)]
pub struct RestoreForm {
    version: Option<i32>,
    #[serde(default, deserialize_with = "empty_as_none")]
    change_kind: Option<ChangeKind>,
    #[serde(default)]
    change_note: String,
}

/// A restore before it is made: what it will change, and how to describe it.
#[derive(Template)]
#[template(path = "admin/restore.html")]
pub struct RestorePage {
    pub layout: Layout,
    pub nav: super::AdminNav,
    pub csrf: String,
    pub id: String,
    pub title: String,
    pub number: i32,
    pub version: i32,
    pub fields: Vec<FieldChange>,
    pub body: Vec<DiffLine>,
    pub unchanged: bool,
    pub change_kind: &'static str,
    pub change_note: String,
    pub errors: Vec<crate::error::FieldError>,
}

impl RestorePage {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        crate::error::message_for(&self.errors, field)
    }
}

async fn restore_page(
    state: &AppState,
    admin: &Admin,
    id: Uuid,
    number: i32,
    form: RestoreForm,
) -> Result<RestorePage, AppError> {
    let actor = admin.actor();
    let (current, _, snapshot) = articles::restorable(&state.pool, actor, id, number).await?;
    if !articles::offered(actor, &current).restore_revision {
        return Err(AppError::Forbidden);
    }
    let now = serde_json::to_value(&current).map_err(anyhow::Error::from)?;
    let (fields, body) = diff(&now, &snapshot);
    Ok(RestorePage {
        layout: admin_layout("Restore a revision"),
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        id: id.to_string(),
        title: current.title,
        number,
        version: form.version.unwrap_or(current.version),
        unchanged: fields.is_empty() && body.iter().all(|l| l.sign == ' '),
        fields,
        body,
        change_kind: form
            .change_kind
            .unwrap_or(articles::DEFAULT_RESTORE_KIND)
            .as_str(),
        change_note: form.change_note,
        errors: Vec::new(),
    })
}

/// `GET …/revisions/{number}/restore`: what the restore will change, a change kind and a note.
pub async fn confirm_restore(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath((id, number)): AdminPath<(Uuid, i32)>,
) -> Result<Response, AppError> {
    render(&restore_page(&state, &admin, id, number, RestoreForm::default()).await?)
}

/// `POST …/revisions/{number}/restore`: a new revision with that revision's content, described
/// as the editor chose (a correction needs its note); refused (`412`) from a stale page.
pub async fn restore(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath((id, number)): AdminPath<(Uuid, i32)>,
    AdminForm(form): AdminForm<RestoreForm>,
) -> Result<Response, AppError> {
    let meta = ChangeMeta {
        kind: form.change_kind.unwrap_or(articles::DEFAULT_RESTORE_KIND),
        note: Some(form.change_note.trim().to_owned()).filter(|n| !n.is_empty()),
    };
    let outcome =
        articles::restore_revision(&state.pool, admin.actor(), id, number, form.version, meta)
            .await;
    match outcome.map(|done| state.after_commit(done)) {
        Ok(_) => {
            Ok(Redirect::to(&format!("/admin/stories/{id}?restored={number}")).into_response())
        }
        Err(AppError::Validation(errors) | AppError::FieldConflict(errors)) => {
            let mut page = restore_page(&state, &admin, id, number, form).await?;
            page.errors = errors;
            let mut response = render(&page)?;
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(other) => Err(other),
    }
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

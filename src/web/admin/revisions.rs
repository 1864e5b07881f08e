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
    /// The snapshot's key (`superseded_by` …), for callers that dress up or leave out a field.
    pub key: &'static str,
    pub name: &'static str,
    pub before: String,
    pub after: String,
}

/// One line of the body diff: `+`, `-` or ` `, or `…` for a run of unchanged lines left out
/// (then `hidden` says how many).
pub struct DiffLine {
    pub sign: char,
    pub text: String,
    pub hidden: usize,
}

impl DiffLine {
    fn gap(hidden: usize) -> Self {
        Self {
            sign: '…',
            text: String::new(),
            hidden,
        }
    }
}

pub struct RevisionLine {
    pub number: i32,
    pub kind: &'static str,
    pub note: String,
    /// Who made it: a user's name, or "system".
    pub by: String,
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
        serde_json::Value::Bool(true) => "Yes".to_owned(),
        serde_json::Value::Bool(false) => "No".to_owned(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// Unchanged body lines shown on each side of a change.
pub const CONTEXT_LINES: usize = 3;

/// The snapshot keys of a story's status and archive state, which a restore leaves as they are.
const KEPT_BY_RESTORE: [&str; 4] = ["status", "archived", "archive_reason", "superseded_by"];

/// Whether the two snapshots differ at all (any field or the body).
fn is_unchanged(fields: &[FieldChange], body: &[DiffLine]) -> bool {
    fields.is_empty() && body.iter().all(|l| l.sign == ' ' || l.sign == '…')
}

/// The differences between two snapshots of a story: only the fields that differ, and the body
/// lines that changed with [`CONTEXT_LINES`] unchanged lines around each change (longer
/// unchanged runs become one line saying how many are hidden).
pub fn diff(
    before: &serde_json::Value,
    after: &serde_json::Value,
) -> (Vec<FieldChange>, Vec<DiffLine>) {
    const FIELDS: [(&str, &str); 13] = [
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
        ("superseded_by", "Superseded by"),
        ("study", "Study"),
        ("review", "Review"),
    ];
    let fields = FIELDS
        .iter()
        .filter_map(|(key, name)| {
            let (b, a) = (text(&before[*key]), text(&after[*key]));
            (b != a).then_some(FieldChange {
                key,
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
    (fields, body_diff(&old, &new))
}

/// The body, line by line, with unchanged runs far from any change collapsed.
fn body_diff(old: &str, new: &str) -> Vec<DiffLine> {
    let diff = similar::TextDiff::from_lines(old, new);
    let groups = diff.grouped_ops(CONTEXT_LINES);
    let mut lines = Vec::new();
    // The old text's lines up to here are shown or counted as hidden.
    let mut done = 0;
    for group in &groups {
        let start = group.first().map_or(done, |op| op.old_range().start);
        if start > done {
            lines.push(DiffLine::gap(start - done));
        }
        for op in group {
            lines.extend(diff.iter_changes(op).map(|change| DiffLine {
                sign: match change.tag() {
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                    similar::ChangeTag::Equal => ' ',
                },
                text: change.value().trim_end_matches('\n').to_owned(),
                hidden: 0,
            }));
        }
        done = group.last().map_or(done, |op| op.old_range().end);
    }
    let total = diff.old_slices().len();
    if !groups.is_empty() && total > done {
        lines.push(DiffLine::gap(total - done));
    }
    lines
}

/// Shows the story a snapshot names as superseding it by its headline (the id when it is gone).
async fn name_superseding(state: &AppState, fields: &mut [FieldChange]) -> Result<(), AppError> {
    for field in fields.iter_mut().filter(|f| f.key == "superseded_by") {
        for value in [&mut field.before, &mut field.after] {
            if let Ok(id) = Uuid::parse_str(value)
                && let Some(story) = db::articles::find_by_id(&state.pool, id).await?
            {
                *value = format!("“{}”", story.title);
            }
        }
    }
    Ok(())
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
    let (mut fields, body) = match (before, after) {
        (Some(b), Some(a)) => diff(&b.snapshot, &a.snapshot),
        _ => (Vec::new(), Vec::new()),
    };
    name_superseding(&state, &mut fields).await?;
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
                by: r.created_by_name.unwrap_or_else(|| "system".to_owned()),
                when: crate::domain::dates::long_datetime(r.created_at, tz),
            })
            .collect(),
        from,
        to,
        unchanged: is_unchanged(&fields, &body),
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
    let (mut fields, body) = diff(&now, &snapshot);
    // A restore brings back content only: the archive state stays, so it is not shown as a change.
    fields.retain(|f| !KEPT_BY_RESTORE.contains(&f.key));
    Ok(RestorePage {
        layout: admin_layout("Restore a revision"),
        nav: admin.nav.clone(),
        csrf: admin.csrf.clone(),
        id: id.to_string(),
        title: current.title,
        number,
        version: form.version.unwrap_or(current.version),
        unchanged: is_unchanged(&fields, &body),
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

    fn marked(lines: &[DiffLine]) -> Vec<String> {
        lines
            .iter()
            .map(|l| match l.sign {
                '…' => format!("…{}", l.hidden),
                sign => format!("{sign}{}", l.text),
            })
            .collect()
    }

    #[test]
    fn unchanged_body_lines_far_from_a_change_are_collapsed_and_counted() {
        let old: String = (1..=20).map(|n| format!("line {n}\n")).collect();
        let new = old.replace("line 10\n", "line ten\n");
        let body = body_diff(&old, &new);
        assert_eq!(
            marked(&body),
            [
                "…6",
                " line 7",
                " line 8",
                " line 9",
                "-line 10",
                "+line ten",
                " line 11",
                " line 12",
                " line 13",
                "…7"
            ]
        );
    }

    #[test]
    fn two_distant_changes_keep_their_own_context_with_a_gap_between() {
        let old: String = (1..=12).map(|n| format!("{n}\n")).collect();
        let new = old
            .replace("1\n2\n", "one\n2\n")
            .replace("\n12\n", "\ntwelve\n");
        let body = body_diff(&old, &new);
        assert_eq!(
            marked(&body),
            [
                "-1", "+one", " 2", " 3", " 4", "…4", " 9", " 10", " 11", "-12", "+twelve"
            ]
        );
    }

    #[test]
    fn identical_bodies_show_nothing_and_count_as_unchanged() {
        let same = serde_json::json!({"title": "T", "body_markdown": "a\nb\n"});
        let (fields, body) = diff(&same, &same);
        assert!(fields.is_empty() && body.is_empty());
        assert!(is_unchanged(&fields, &body));
    }

    #[test]
    fn archive_state_changes_are_fields_of_the_diff() {
        let other = Uuid::now_v7();
        let before = serde_json::json!({"archived": false, "archive_reason": null,
            "superseded_by": null, "body_markdown": ""});
        let after = serde_json::json!({"archived": true, "archive_reason": "Newer evidence",
            "superseded_by": other.to_string(), "body_markdown": ""});
        let (fields, _) = diff(&before, &after);
        let rows: Vec<_> = fields
            .iter()
            .map(|f| (f.name, f.before.as_str(), f.after.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                ("Archived", "No", "Yes"),
                ("Archive reason", "", "Newer evidence"),
                ("Superseded by", "", other.to_string().as_str()),
            ]
        );
    }
}

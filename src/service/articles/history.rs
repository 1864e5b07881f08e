//! Restoring an old revision's content as a new revision, described as a deliberate change.

use serde::Deserialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::access::{authorize, get};
use super::doc::{ArticleChanges, ChangeMeta};
use super::edit::update;
use super::validate::check_meta;
use crate::db;
use crate::domain::article::{Article, ChangeKind, Review, Study};
use crate::domain::events::Committed;
use crate::domain::policy::{Action, Actor};
use crate::error::AppError;

/// The content of an old revision that a restore brings back. Lifecycle and archive state stay
/// as they are now: restoring is an edit, not a time machine.
#[derive(Debug, Deserialize)]
pub(super) struct RestorableContent {
    title: Option<String>,
    slug: Option<String>,
    dek: Option<String>,
    body_markdown: Option<String>,
    topics: Option<Vec<String>>,
    /// Absent from revisions written before bylines existed: those leave the byline as it is.
    authors: Option<Vec<String>>,
    #[serde(default)]
    study: Option<Study>,
    #[serde(default)]
    review: Option<Review>,
}

/// How a restore is described when the client does not say: an `update`, since it changes
/// what readers see ("Last updated" moves). Without a note, the revision says which one was
/// restored.
pub const DEFAULT_RESTORE_KIND: ChangeKind = ChangeKind::Update;

pub(super) fn restore_note(number: i32) -> String {
    format!("An earlier version of this story was restored (revision {number}).")
}

/// The content of revision `number` as the changes a restore makes (content only: lifecycle
/// and archive state stay as they are now).
pub async fn restorable(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    number: i32,
) -> Result<(Article, ArticleChanges, serde_json::Value), AppError> {
    let current = get(pool, actor, id).await?;
    let revision = db::revisions::find(pool, id, number)
        .await?
        .ok_or(AppError::NotFound)?;
    let content: RestorableContent = serde_json::from_value(revision.snapshot.clone())
        .map_err(|err| anyhow::anyhow!("revision {number} unreadable: {err}"))?;
    let changes = ArticleChanges {
        title: content.title,
        slug: content.slug,
        dek: content.dek,
        body_markdown: content.body_markdown,
        topics: content.topics,
        authors: content.authors,
        study: Some(content.study),
        review: Some(content.review),
        // Revisions written before lead images leave the image as it is.
        lead_image: revision
            .snapshot
            .get("lead_image")
            .map(|value| value.as_str().and_then(|id| Uuid::parse_str(id).ok())),
        // Likewise revisions written before the search and social fields.
        seo_title: snapshot_text(&revision.snapshot, "seo_title"),
        meta_description: snapshot_text(&revision.snapshot, "meta_description"),
    };
    Ok((current, changes, revision.snapshot))
}

/// A nullable text field of a revision: `None` when the revision predates it (the field is
/// left as it is), `Some(None)` when it was null.
fn snapshot_text(snapshot: &serde_json::Value, field: &str) -> Option<Option<String>> {
    snapshot
        .get(field)
        .map(|value| value.as_str().map(str::to_owned))
}

/// Brings back the content of revision `number` as a new revision, described by `meta` (a
/// correction needs its note; without a note the revision says which one was restored).
pub async fn restore_revision(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    number: i32,
    if_match: Option<i32>,
    meta: ChangeMeta,
) -> Result<Committed<Article>, AppError> {
    check_meta(&meta)?;
    let (current, changes, _) = restorable(pool, actor, id, number).await?;
    authorize(
        actor,
        Action::RestoreRevision,
        Some(
            &db::articles::find_by_id(pool, id)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
    )?;
    let meta = ChangeMeta {
        note: meta.note.or_else(|| Some(restore_note(number))),
        ..meta
    };
    update(
        pool,
        actor,
        id,
        Some(if_match.unwrap_or(current.version)),
        changes,
        meta,
    )
    .await
    .map_err(|err| match err {
        // The note was checked above, so these are the revision's own fields that no longer
        // fit (a topic renamed since): the request is sound, the stored state conflicts.
        AppError::Validation(errors) => AppError::FieldConflict(errors),
        other => other,
    })
}

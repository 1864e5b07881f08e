//! What every accepted change writes in its transaction: the row under its old version, the
//! topics, a revision of the whole story, an audit entry and the change event.

use time::OffsetDateTime;
use uuid::Uuid;

use super::access::authorize;
use super::doc::ChangeMeta;
use crate::db;
use crate::db::events;
use crate::domain::article::Article;
use crate::domain::events::ChangeEvent;
use crate::domain::policy::{Action, Actor};
use crate::domain::text;
use crate::error::AppError;

/// Now, at the microsecond precision PostgreSQL stores, so that what a write answers equals
/// what a later read answers.
pub(super) fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}

/// Writes what every accepted change writes: topics, the revision, the audit entry, the event
/// (announced at commit, and returned for the caller to react to).
pub(super) async fn record_change(
    tx: &mut sqlx::PgConnection,
    actor: Option<Actor>,
    doc: Article,
    before: Option<(&str, &[String])>,
    action: &str,
    meta: &ChangeMeta,
) -> Result<(Article, ChangeEvent), AppError> {
    if before.is_none_or(|(_, old_topics)| old_topics != doc.topics.as_slice()) {
        db::topics::set_for_article(tx, doc.id, &doc.topics).await?;
    }
    let snapshot = serde_json::to_value(&doc).map_err(anyhow::Error::from)?;
    let note = meta.note.as_deref().map(text::clean_line);
    let note = note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    db::revisions::insert(
        tx,
        &db::revisions::NewRevision {
            article_id: doc.id,
            number: doc.version,
            snapshot: &snapshot,
            change_kind: meta.kind,
            change_note: note,
            created_by: actor.map(|a| a.id),
            created_at: now(),
        },
    )
    .await?;
    db::audit::record(
        &mut *tx,
        actor.map(|a| a.id),
        &format!("article.{action}"),
        "article",
        Some(doc.id),
        serde_json::json!({ "version": doc.version, "change_kind": meta.kind, "status": doc.status }),
    )
    .await?;
    let mut slugs = vec![doc.slug.clone()];
    let mut all_topics = doc.topics.clone();
    if let Some((old_slug, old_topics)) = before {
        if old_slug != doc.slug {
            slugs.push(old_slug.to_owned());
        }
        for topic in old_topics {
            if !all_topics.contains(topic) {
                all_topics.push(topic.clone());
            }
        }
    }
    let event = ChangeEvent::story(doc.id, action, slugs, all_topics);
    events::emit(tx, &event).await?;
    Ok((doc, event))
}

/// Locks a story for a change and checks the actor's right and, when given, the version.
pub(super) async fn lock_for(
    tx: &mut sqlx::PgConnection,
    actor: Option<Actor>,
    action: Action,
    id: Uuid,
    if_match: Option<i32>,
) -> Result<Article, AppError> {
    let article = db::articles::lock(tx, id, false)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(actor) = actor {
        authorize(actor, action, Some(&article))?;
    }
    if let Some(expected) = if_match
        && expected != article.version
    {
        let current = serde_json::to_value(&article).map_err(anyhow::Error::from)?;
        return Err(AppError::PreconditionFailed(
            Box::new(current),
            article.version,
        ));
    }
    Ok(article)
}

/// Saves a changed story under its old version; someone else's save meanwhile is a 412.
pub(super) async fn save(
    tx: &mut sqlx::PgConnection,
    article: &mut Article,
    old_version: i32,
    by: Option<Uuid>,
) -> Result<(), AppError> {
    article.updated_by = by;
    match db::articles::save(tx, article, old_version, by).await? {
        Some(version) => {
            article.version = version;
            Ok(())
        }
        None => Err(AppError::Conflict(
            "the story was changed meanwhile; load it again".into(),
        )),
    }
}

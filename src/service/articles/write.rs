//! What every accepted change writes in its transaction: the row under its old version, the
//! topics, a revision of the whole story, an audit entry and the change event.

use uuid::Uuid;

use super::access::authorize;
use super::doc::ChangeMeta;
use crate::db;
use crate::db::events;
use crate::domain::article::Article;
use crate::domain::events::ChangeEvent;
use crate::domain::policy::{Action, Actor};
use crate::domain::text;
use crate::domain::webhooks;
use crate::error::AppError;

pub(super) use crate::service::now;

/// Writes what every accepted change writes: topics, the revision, the audit entry, the event
/// (announced at commit, and returned for the caller to react to).
pub(super) async fn record_change(
    tx: &mut sqlx::PgConnection,
    actor: Option<Actor>,
    doc: Article,
    before: Option<&Before>,
    action: &str,
    meta: &ChangeMeta,
) -> Result<(Article, ChangeEvent), AppError> {
    if before.is_none_or(|b| b.topics != doc.topics) {
        db::topics::set_for_article(tx, doc.id, &doc.topics).await?;
    }
    if before.is_none_or(|b| b.authors != doc.authors) {
        db::people::set_authors(tx, doc.id, &doc.authors).await?;
    }
    if before.is_none_or(|b| b.body_html != doc.body_html) {
        // Where each image of the library is used, as the body now shows it.
        let html = crate::domain::markdown::SafeHtml::from_stored(doc.body_html.clone());
        let hashes = super::validate::body_media_hashes(&html);
        let ids: Vec<uuid::Uuid> = if hashes.is_empty() {
            Vec::new()
        } else {
            db::media::by_rendition_hashes(&mut *tx, &hashes)
                .await?
                .into_iter()
                .map(|image| image.media_id)
                .collect()
        };
        db::media::set_body_media(tx, doc.id, &ids).await?;
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
    let mut people = doc.credited();
    if let Some(before) = before {
        if before.slug != doc.slug {
            slugs.push(before.slug.clone());
        }
        union(&mut all_topics, &before.topics);
        union(&mut people, &before.people);
    }
    let event = ChangeEvent::story(doc.id, action, slugs, all_topics).crediting(people);
    events::emit(tx, &event).await?;
    // Webhooks' outbox, in the same transaction: the event is queued only if the change commits.
    if let Some(event_type) = webhooks::story_event(action, meta.kind, &doc) {
        let data = webhooks::story_data(&doc, meta.kind, note);
        db::webhooks::queue(tx, event_type, Some(doc.id), &data, None).await?;
    }
    Ok((doc, event))
}

/// What a story was before a change: what the change event names besides what it is now.
#[derive(Debug, Clone)]
pub(super) struct Before {
    pub slug: String,
    pub topics: Vec<String>,
    pub authors: Vec<String>,
    pub body_html: String,
    /// Authors and reviewer.
    pub people: Vec<String>,
}

impl Before {
    pub fn of(article: &Article) -> Self {
        Self {
            slug: article.slug.clone(),
            topics: article.topics.clone(),
            authors: article.authors.clone(),
            body_html: article.body_html.clone(),
            people: article.credited(),
        }
    }
}

fn union(into: &mut Vec<String>, more: &[String]) {
    for item in more {
        if !into.contains(item) {
            into.push(item.clone());
        }
    }
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

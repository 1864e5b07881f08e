//! Soft deletion and an admin's restore of a deleted story.

use sqlx::PgPool;
use uuid::Uuid;

use super::access::authorize;
use super::write::{lock_for, now};
use crate::db;
use crate::db::events;
use crate::domain::article::{Article, ArticleStatus};
use crate::domain::events::{ChangeEvent, Committed};
use crate::domain::policy::{Action, Actor};
use crate::error::AppError;

/// Soft-deletes a story: its public URL answers 404; an admin can restore it.
pub async fn delete(pool: &PgPool, actor: Actor, id: Uuid) -> Result<Committed<()>, AppError> {
    let mut tx = pool.begin().await?;
    let article = lock_for(&mut tx, Some(actor), Action::DeleteArticle, id, None).await?;
    db::articles::set_deleted(&mut tx, id, true, Some(actor.id)).await?;
    db::jobs::cancel_pending(&mut *tx, id).await?;
    db::audit::record(
        &mut *tx,
        Some(actor.id),
        "article.delete",
        "article",
        Some(id),
        serde_json::json!({}),
    )
    .await?;
    let people = article.credited();
    let event =
        ChangeEvent::story(id, "delete", vec![article.slug], article.topics).crediting(people);
    events::emit(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(Committed::new((), vec![event]))
}

/// Restores a soft-deleted story (admins only).
pub async fn restore_deleted(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
) -> Result<Committed<Article>, AppError> {
    authorize(actor, Action::RestoreDeletedArticle, None)?;
    let mut tx = pool.begin().await?;
    let article = db::articles::lock(&mut tx, id, true)
        .await?
        .ok_or(AppError::NotFound)?;
    db::articles::set_deleted(&mut tx, id, false, None).await?;
    if article.status == ArticleStatus::Scheduled {
        // Deleting cancelled its publication: schedule it again (at once when overdue).
        let run_at = article.published_at.unwrap_or_else(now).max(now());
        db::jobs::schedule_publish(&mut tx, id, run_at, Some(actor.id)).await?;
    }
    db::audit::record(
        &mut *tx,
        Some(actor.id),
        "article.restore",
        "article",
        Some(id),
        serde_json::json!({}),
    )
    .await?;
    let event = ChangeEvent::story(
        id,
        "restore",
        vec![article.slug.clone()],
        article.topics.clone(),
    )
    .crediting(article.credited());
    events::emit(&mut tx, &event).await?;
    let article = db::articles::find_by_id(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(Committed::new(article, vec![event]))
}

//! Autosaved editor text: kept apart from revisions (one per story and editor, replaced each
//! time), so autosave protects work without flooding the history. Saving the story removes it.

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db;
use crate::db::autosaves::Autosave;
use crate::domain::article::limits;
use crate::domain::policy::{Action, Actor, ArticleFacts, can};
use crate::error::AppError;

/// The largest autosave accepted: a full body plus the other fields.
const MAX_PAYLOAD_BYTES: usize = limits::BODY_BYTES + 64 * 1024;

async fn authorize(pool: &PgPool, actor: Actor, article_id: Uuid) -> Result<(), AppError> {
    let article = db::articles::find_by_id(pool, article_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let facts = ArticleFacts {
        created_by: article.created_by,
        status: article.status,
    };
    if can(actor, Action::EditArticle, Some(facts)) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Stores the editor's current form; answers when.
pub async fn save(
    pool: &PgPool,
    actor: Actor,
    article_id: Uuid,
    base_version: i32,
    payload: &serde_json::Value,
) -> Result<OffsetDateTime, AppError> {
    authorize(pool, actor, article_id).await?;
    if payload.to_string().len() > MAX_PAYLOAD_BYTES {
        return Err(AppError::field(
            "body_markdown",
            format!("must be at most {} bytes", limits::BODY_BYTES),
        ));
    }
    Ok(db::autosaves::upsert(pool, article_id, actor.id, base_version, payload).await?)
}

/// The editor's autosave of the story, if any.
pub async fn find(
    pool: &PgPool,
    actor: Actor,
    article_id: Uuid,
) -> Result<Option<Autosave>, AppError> {
    Ok(db::autosaves::find(pool, article_id, actor.id).await?)
}

/// Forgets the editor's autosave of the story (after a save, or when discarded).
pub async fn discard(pool: &PgPool, actor: Actor, article_id: Uuid) -> Result<(), AppError> {
    Ok(db::autosaves::delete(pool, article_id, actor.id).await?)
}

//! Preview links: expiring, revocable URLs that show an unpublished story. Shared by the API
//! and the admin UI; only a hash of each token is kept, so a URL is shown once.

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db;
use crate::db::previews::LiveLink;
use crate::domain::policy::{Action, Actor, ArticleFacts, can};
use crate::error::AppError;

/// Hours a link lives when none is asked for, and the longest allowed.
pub const DEFAULT_HOURS: i64 = 72;
pub const MIN_HOURS: i64 = 1;
pub const MAX_HOURS: i64 = 720;

/// A new link; `url` holds the only copy of the token.
#[derive(Debug, Clone)]
pub struct NewLink {
    pub id: Uuid,
    pub url: String,
    pub expires_at: OffsetDateTime,
}

async fn article_facts(pool: &PgPool, id: Uuid) -> Result<Option<ArticleFacts>, AppError> {
    Ok(db::articles::find_by_id(pool, id)
        .await?
        .map(|article| ArticleFacts {
            created_by: article.created_by,
            status: article.status,
        }))
}

/// Creates a link to `article_id` that works for `hours` (1 to [`MAX_HOURS`]).
pub async fn create(
    pool: &PgPool,
    actor: Actor,
    article_id: Uuid,
    hours: i64,
    base_url: &str,
) -> Result<NewLink, AppError> {
    if !(MIN_HOURS..=MAX_HOURS).contains(&hours) {
        return Err(AppError::field(
            "expires_in_hours",
            format!("must be from {MIN_HOURS} to {MAX_HOURS}"),
        ));
    }
    let facts = article_facts(pool, article_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !can(actor, Action::CreatePreviewLink, Some(facts)) {
        return Err(AppError::Forbidden);
    }
    let (token, digest) = crate::domain::secret::new_token("");
    let expires_at = OffsetDateTime::now_utc() + time::Duration::hours(hours);
    let mut tx = pool.begin().await?;
    let id =
        db::previews::insert(&mut *tx, article_id, &digest, Some(actor.id), expires_at).await?;
    db::audit::record(
        &mut *tx,
        Some(actor.id),
        "preview_link.create",
        "article",
        Some(article_id),
        serde_json::json!({ "preview_link": id }),
    )
    .await?;
    tx.commit().await?;
    Ok(NewLink {
        id,
        url: format!("{base_url}/preview/{token}"),
        expires_at,
    })
}

/// Revokes a link at once; answers the story it showed.
pub async fn revoke(pool: &PgPool, actor: Actor, link_id: Uuid) -> Result<Uuid, AppError> {
    let link = db::previews::find(pool, link_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let facts = article_facts(pool, link.article_id).await?;
    if !can(actor, Action::RevokePreviewLink, facts) {
        return Err(AppError::Forbidden);
    }
    let mut tx = pool.begin().await?;
    db::previews::revoke(&mut *tx, link_id).await?;
    db::audit::record(
        &mut *tx,
        Some(actor.id),
        "preview_link.revoke",
        "preview_link",
        Some(link_id),
        serde_json::json!({ "article": link.article_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(link.article_id)
}

/// The story's live links, for those who may make them.
pub async fn list_live(
    pool: &PgPool,
    actor: Actor,
    article_id: Uuid,
) -> Result<Vec<LiveLink>, AppError> {
    let facts = article_facts(pool, article_id).await?;
    if !can(actor, Action::RevokePreviewLink, facts) {
        return Ok(Vec::new());
    }
    Ok(db::previews::list_live(pool, article_id).await?)
}

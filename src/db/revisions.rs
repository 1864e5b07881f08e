//! The `article_revisions` table: the whole article after every accepted change.

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::article::ChangeKind;

/// One revision to write.
#[derive(Debug, Clone)]
pub struct NewRevision<'a> {
    pub article_id: Uuid,
    pub number: i32,
    pub snapshot: &'a serde_json::Value,
    pub change_kind: ChangeKind,
    pub change_note: Option<&'a str>,
    pub created_by: Option<Uuid>,
    pub created_at: OffsetDateTime,
}

/// A public note from an `update` or `correction` change.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct PublicNote {
    pub change_kind: ChangeKind,
    pub change_note: String,
    #[serde(with = "crate::domain::dates::serde_rfc3339")]
    pub created_at: OffsetDateTime,
}

pub async fn insert(db: &mut sqlx::PgConnection, rev: &NewRevision<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        INSERT INTO article_revisions (id, article_id, number, snapshot, change_kind, change_note,
                                       created_by, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        "#,
        Uuid::now_v7(),
        rev.article_id,
        rev.number,
        rev.snapshot,
        rev.change_kind as ChangeKind,
        rev.change_note,
        rev.created_by,
        rev.created_at,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The notes readers see under "Updates and corrections", oldest first.
pub async fn public_notes(pool: &PgPool, article_id: Uuid) -> sqlx::Result<Vec<PublicNote>> {
    sqlx::query_as!(
        PublicNote,
        r#"
        SELECT change_kind AS "change_kind: ChangeKind", change_note AS "change_note!", created_at
        FROM article_revisions
        WHERE article_id = $1 AND change_kind IN ('update', 'correction')
          AND change_note IS NOT NULL AND change_note <> ''
        ORDER BY number
        "#,
        article_id
    )
    .fetch_all(pool)
    .await
}

/// One revision as stored.
#[derive(Debug, Clone)]
pub struct Revision {
    pub number: i32,
    pub snapshot: serde_json::Value,
    pub change_kind: ChangeKind,
    pub change_note: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: OffsetDateTime,
}

/// A revision without its snapshot, for lists.
#[derive(Debug, Clone)]
pub struct RevisionSummary {
    pub number: i32,
    pub change_kind: ChangeKind,
    pub change_note: Option<String>,
    pub created_by: Option<Uuid>,
    /// The name of the user who made it; `None` for the system (scheduled work, imports) or a
    /// user since deleted.
    pub created_by_name: Option<String>,
    pub created_at: OffsetDateTime,
}

pub async fn find(pool: &PgPool, article_id: Uuid, number: i32) -> sqlx::Result<Option<Revision>> {
    sqlx::query_as!(
        Revision,
        r#"SELECT number, snapshot, change_kind AS "change_kind: ChangeKind", change_note, created_by, created_at
           FROM article_revisions WHERE article_id = $1 AND number = $2"#,
        article_id,
        number
    )
    .fetch_optional(pool)
    .await
}

/// Every revision of an article, newest first, with the name of who made it.
pub async fn list(pool: &PgPool, article_id: Uuid) -> sqlx::Result<Vec<RevisionSummary>> {
    sqlx::query_as!(
        RevisionSummary,
        r#"SELECT r.number, r.change_kind AS "change_kind: ChangeKind", r.change_note, r.created_by,
                  u.name AS "created_by_name?", r.created_at
           FROM article_revisions r LEFT JOIN users u ON u.id = r.created_by
           WHERE r.article_id = $1 ORDER BY r.number DESC"#,
        article_id
    )
    .fetch_all(pool)
    .await
}

/// Whether the article was ever published (any revision with status `published`).
pub async fn was_ever_published(
    db: impl sqlx::PgExecutor<'_>,
    article_id: Uuid,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM article_revisions
                          WHERE article_id = $1 AND snapshot->>'status' = 'published') AS "published!""#,
        article_id
    )
    .fetch_one(db)
    .await
}

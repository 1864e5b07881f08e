//! The `import_sources` table (what each item of an imported site became, by the site's own id)
//! and `import_redirects` (the old links of imported stories).

use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

/// What an item of a source became, and the fingerprint of the item as last imported.
#[derive(Debug, Clone)]
pub struct SourceRow {
    pub article_id: Option<Uuid>,
    pub topic_id: Option<Uuid>,
    pub person_id: Option<Uuid>,
    pub media_id: Option<Uuid>,
    pub fingerprint: String,
}

/// What `(source, kind, source_id)` became, when it was imported before.
pub async fn find(
    db: impl PgExecutor<'_>,
    source: &str,
    kind: &str,
    source_id: &str,
) -> sqlx::Result<Option<SourceRow>> {
    sqlx::query_as!(
        SourceRow,
        r#"
        SELECT article_id, topic_id, person_id, media_id, fingerprint
        FROM import_sources WHERE source = $1 AND kind = $2 AND source_id = $3
        "#,
        source,
        kind,
        source_id
    )
    .fetch_optional(db)
    .await
}

/// Records (or moves) what `(source, kind, source_id)` became, with the item's fingerprint.
pub async fn record(
    db: impl PgExecutor<'_>,
    source: &str,
    kind: &str,
    source_id: &str,
    target: &SourceRow,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        INSERT INTO import_sources (source, kind, source_id, article_id, topic_id, person_id,
                                    media_id, fingerprint)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT ON CONSTRAINT import_sources_pkey DO UPDATE
        SET article_id = EXCLUDED.article_id, topic_id = EXCLUDED.topic_id,
            person_id = EXCLUDED.person_id, media_id = EXCLUDED.media_id,
            fingerprint = EXCLUDED.fingerprint,
            updated_at = now()
        "#,
        source,
        kind,
        source_id,
        target.article_id,
        target.topic_id,
        target.person_id,
        target.media_id,
        target.fingerprint
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Points an old path (`/2019/05/a-study/`, `/?p=42`) at a story; a path already pointing
/// elsewhere moves to it.
pub async fn set_redirect(
    db: impl PgExecutor<'_>,
    path: &str,
    article_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        INSERT INTO import_redirects (path, article_id) VALUES ($1, $2)
        ON CONFLICT ON CONSTRAINT import_redirects_pkey DO UPDATE SET article_id = EXCLUDED.article_id
        WHERE import_redirects.article_id <> EXCLUDED.article_id
        "#,
        path,
        article_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The current slug of the public (published or withdrawn) story an old path leads to; any of
/// `paths` (the same path with and without its trailing slash) may match. A story readers
/// cannot see does not give its slug away.
pub async fn redirect_slug(pool: &PgPool, paths: &[String]) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        r#"
        SELECT a.slug
        FROM import_redirects r JOIN articles a ON a.id = r.article_id
        WHERE r.path = ANY($1) AND a.deleted_at IS NULL
          AND a.status IN ('published', 'withdrawn')
        ORDER BY r.path
        LIMIT 1
        "#,
        paths
    )
    .fetch_optional(pool)
    .await
}

/// The id and slug of the topic at `slug`.
pub async fn topic_by_slug(
    db: impl PgExecutor<'_>,
    slug: &str,
) -> sqlx::Result<Option<(Uuid, String)>> {
    let row = sqlx::query!("SELECT id, slug FROM topics WHERE slug = $1", slug)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|r| (r.id, r.slug)))
}

/// The slug of the topic `id`.
pub async fn topic_slug(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("SELECT slug FROM topics WHERE id = $1", id)
        .fetch_optional(db)
        .await
}

/// The slug of the person `id`, unless deleted.
pub async fn person_slug(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "SELECT slug FROM people WHERE id = $1 AND deleted_at IS NULL",
        id
    )
    .fetch_optional(db)
    .await
}

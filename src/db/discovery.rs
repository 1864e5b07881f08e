//! What feeds, sitemaps, the Google News sitemap and the corrections page read.

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

/// A story as a feed shows it.
#[derive(Debug, Clone)]
pub struct FeedEntry {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub dek: String,
    pub body_html: String,
    pub published_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub lead_image: Option<Uuid>,
}

/// The newest published, non-archived stories, optionally of one topic.
pub async fn feed_entries(
    pool: &PgPool,
    topic_id: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<FeedEntry>> {
    sqlx::query_as!(
        FeedEntry,
        r#"
        SELECT a.id, a.slug, a.title, a.dek, a.body_html, a.published_at AS "published_at!",
               a.updated_at, a.lead_image
        FROM articles a
        WHERE a.status = 'published' AND a.deleted_at IS NULL AND NOT a.archived
          AND ($1::uuid IS NULL OR EXISTS (
                SELECT 1 FROM article_topics at WHERE at.article_id = a.id AND at.topic_id = $1))
        ORDER BY a.published_at DESC, a.id DESC
        LIMIT $2
        "#,
        topic_id,
        limit
    )
    .fetch_all(pool)
    .await
}

/// A public story URL for a sitemap.
#[derive(Debug, Clone)]
pub struct SitemapEntry {
    pub slug: String,
    pub modified_at: OffsetDateTime,
}

/// Published stories (archived ones included: they are public), oldest first, one page.
pub async fn sitemap_entries(
    pool: &PgPool,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<SitemapEntry>> {
    sqlx::query_as!(
        SitemapEntry,
        r#"
        SELECT slug, modified_at FROM articles
        WHERE status = 'published' AND deleted_at IS NULL
        ORDER BY published_at, id
        LIMIT $1 OFFSET $2
        "#,
        limit,
        offset
    )
    .fetch_all(pool)
    .await
}

/// A story for the Google News sitemap.
#[derive(Debug, Clone)]
pub struct NewsEntry {
    pub slug: String,
    pub title: String,
    pub published_at: OffsetDateTime,
}

/// Stories published since `since`, newest first (at most 1,000, Google's limit).
pub async fn news_entries(pool: &PgPool, since: OffsetDateTime) -> sqlx::Result<Vec<NewsEntry>> {
    sqlx::query_as!(
        NewsEntry,
        r#"
        SELECT slug, title, published_at AS "published_at!" FROM articles
        WHERE status = 'published' AND deleted_at IS NULL AND published_at >= $1 AND published_at <= now()
        ORDER BY published_at DESC
        LIMIT 1000
        "#,
        since
    )
    .fetch_all(pool)
    .await
}

/// One published correction.
#[derive(Debug, Clone)]
pub struct CorrectionEntry {
    pub slug: String,
    pub title: String,
    pub change_note: String,
    pub created_at: OffsetDateTime,
}

/// Every correction on a published story, newest first.
pub async fn corrections(pool: &PgPool) -> sqlx::Result<Vec<CorrectionEntry>> {
    sqlx::query_as!(
        CorrectionEntry,
        r#"
        SELECT a.slug, a.title, r.change_note AS "change_note!", r.created_at
        FROM article_revisions r JOIN articles a ON a.id = r.article_id
        WHERE r.change_kind = 'correction' AND r.change_note IS NOT NULL AND r.change_note <> ''
          AND a.status = 'published' AND a.deleted_at IS NULL
        ORDER BY r.created_at DESC
        "#
    )
    .fetch_all(pool)
    .await
}

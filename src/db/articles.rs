//! The `articles` table: the row of a story, its writes (insert, save under a version, lock,
//! soft delete) and the editors' lists.

use sqlx::PgPool;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::article::{Article, ArticleStatus, Review, Study};

/// `study` and `review` are `jsonb` columns read straight into their domain types.
macro_rules! jsonb_column {
    ($($ty:ty),*) => {$(
        impl sqlx::Type<sqlx::Postgres> for $ty {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <Json<$ty> as sqlx::Type<sqlx::Postgres>>::type_info()
            }

            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <Json<$ty> as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $ty {
            fn decode(
                value: sqlx::postgres::PgValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                Ok(<Json<$ty> as sqlx::Decode<'r, sqlx::Postgres>>::decode(value)?.0)
            }
        }
    )*};
}

jsonb_column!(Study, Review);

/// The fields of a new article row.
#[derive(Debug, Clone)]
pub struct NewArticle<'a> {
    pub id: Uuid,
    pub slug: &'a str,
    pub title: &'a str,
    pub dek: &'a str,
    pub body_markdown: &'a str,
    pub body_html: &'a str,
    pub status: ArticleStatus,
    pub published_at: Option<OffsetDateTime>,
    pub updated_at: OffsetDateTime,
    pub archived: bool,
    pub archived_at: Option<OffsetDateTime>,
    pub archive_reason: Option<&'a str>,
    pub study: Option<&'a Study>,
    pub review: Option<&'a Review>,
    pub lead_image: Option<Uuid>,
    pub seo_title: Option<&'a str>,
    pub meta_description: Option<&'a str>,
    pub version: i32,
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
}

/// The article at `slug`, whatever its status; `None` when unknown or deleted.
pub async fn find_by_slug(pool: &PgPool, slug: &str) -> sqlx::Result<Option<Article>> {
    sqlx::query_as!(
        Article,
        r#"
        SELECT a.id, a.slug, a.title, a.dek, a.body_markdown, a.body_html,
               a.status AS "status: ArticleStatus", a.published_at, a.updated_at,
               a.archived, a.archived_at, a.archive_reason, a.superseded_by,
               a.withdrawn_at, a.withdraw_reason,
               ARRAY(SELECT t.slug FROM article_topics at JOIN topics t ON t.id = at.topic_id
                     WHERE at.article_id = a.id ORDER BY at.position, t.name) AS "topics!",
               ARRAY(SELECT p.slug FROM article_authors aa JOIN people p ON p.id = aa.person_id
                     WHERE aa.article_id = a.id ORDER BY aa.position) AS "authors!",
               a.study AS "study: Study",
               a.review || jsonb_build_object(
                   'reviewer', (SELECT p.slug FROM people p WHERE p.id = a.reviewer_id)
               ) AS "review: Review",
               a.lead_image, a.seo_title, a.meta_description, a.version, a.created_at, a.created_by, a.updated_by
        FROM articles a
        WHERE a.slug = $1 AND a.deleted_at IS NULL
        "#,
        slug
    )
    .fetch_optional(pool)
    .await
}

/// Inserts a new article row.
pub async fn insert(db: &mut sqlx::PgConnection, new: &NewArticle<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        INSERT INTO articles (id, slug, title, dek, body_markdown, body_html, status,
                              published_at, updated_at, archived, archived_at, archive_reason,
                              study, review, version, created_at, created_by, updated_by,
                              modified_at, reviewer_id, lead_image, seo_title, meta_description)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb - 'reviewer',
                $15, $16, $17, $17, $9,
                (SELECT id FROM people WHERE slug = $18 AND deleted_at IS NULL), $19, $20, $21)
        "#,
        new.id,
        new.slug,
        new.title,
        new.dek,
        new.body_markdown,
        new.body_html,
        new.status as ArticleStatus,
        new.published_at,
        new.updated_at,
        new.archived,
        new.archived_at,
        new.archive_reason,
        new.study.map(Json) as Option<Json<&Study>>,
        new.review.map(Json) as Option<Json<&Review>>,
        new.version,
        new.created_at,
        new.created_by,
        new.review.and_then(|r| r.reviewer.as_deref()),
        new.lead_image,
        new.seo_title,
        new.meta_description,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Links an article to the newer story that supersedes it.
pub async fn set_superseded_by(
    db: &mut sqlx::PgConnection,
    id: Uuid,
    superseded_by: Option<Uuid>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE articles SET superseded_by = $2 WHERE id = $1",
        id,
        superseded_by
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The id of the article at `slug` (deleted ones included).
pub async fn id_by_slug(db: &mut sqlx::PgConnection, slug: &str) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!("SELECT id FROM articles WHERE slug = $1", slug)
        .fetch_optional(db)
        .await
}

/// The article with `id` (not deleted).
pub async fn find_by_id(db: impl sqlx::PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Article>> {
    sqlx::query_as!(
        Article,
        r#"
        SELECT a.id, a.slug, a.title, a.dek, a.body_markdown, a.body_html,
               a.status AS "status: ArticleStatus", a.published_at, a.updated_at,
               a.archived, a.archived_at, a.archive_reason, a.superseded_by,
               a.withdrawn_at, a.withdraw_reason,
               ARRAY(SELECT t.slug FROM article_topics at JOIN topics t ON t.id = at.topic_id
                     WHERE at.article_id = a.id ORDER BY at.position, t.name) AS "topics!",
               ARRAY(SELECT p.slug FROM article_authors aa JOIN people p ON p.id = aa.person_id
                     WHERE aa.article_id = a.id ORDER BY aa.position) AS "authors!",
               a.study AS "study: Study",
               a.review || jsonb_build_object(
                   'reviewer', (SELECT p.slug FROM people p WHERE p.id = a.reviewer_id)
               ) AS "review: Review",
               a.lead_image, a.seo_title, a.meta_description, a.version, a.created_at, a.created_by, a.updated_by
        FROM articles a
        WHERE a.id = $1 AND a.deleted_at IS NULL
        "#,
        id
    )
    .fetch_optional(db)
    .await
}

/// The article with `id`, locked for the rest of the transaction; deleted ones only when asked.
pub async fn lock(
    db: &mut sqlx::PgConnection,
    id: Uuid,
    include_deleted: bool,
) -> sqlx::Result<Option<Article>> {
    sqlx::query_as!(
        Article,
        r#"
        SELECT a.id, a.slug, a.title, a.dek, a.body_markdown, a.body_html,
               a.status AS "status: ArticleStatus", a.published_at, a.updated_at,
               a.archived, a.archived_at, a.archive_reason, a.superseded_by,
               a.withdrawn_at, a.withdraw_reason,
               ARRAY(SELECT t.slug FROM article_topics at JOIN topics t ON t.id = at.topic_id
                     WHERE at.article_id = a.id ORDER BY at.position, t.name) AS "topics!",
               ARRAY(SELECT p.slug FROM article_authors aa JOIN people p ON p.id = aa.person_id
                     WHERE aa.article_id = a.id ORDER BY aa.position) AS "authors!",
               a.study AS "study: Study",
               a.review || jsonb_build_object(
                   'reviewer', (SELECT p.slug FROM people p WHERE p.id = a.reviewer_id)
               ) AS "review: Review",
               a.lead_image, a.seo_title, a.meta_description, a.version, a.created_at, a.created_by, a.updated_by
        FROM articles a
        WHERE a.id = $1 AND ($2 OR a.deleted_at IS NULL)
        FOR UPDATE
        "#,
        id,
        include_deleted
    )
    .fetch_optional(db)
    .await
}

/// Writes every mutable column of `article` and bumps its version, if its version is still
/// `expected_version`. Returns the new version, or `None` when someone else saved meanwhile.
pub async fn save(
    db: &mut sqlx::PgConnection,
    article: &Article,
    expected_version: i32,
    updated_by: Option<Uuid>,
) -> sqlx::Result<Option<i32>> {
    sqlx::query_scalar!(
        r#"
        UPDATE articles SET
            slug = $3, title = $4, dek = $5, body_markdown = $6, body_html = $7, status = $8,
            published_at = $9, updated_at = $10, archived = $11, archived_at = $12,
            archive_reason = $13, superseded_by = $14, study = $15,
            review = $16::jsonb - 'reviewer',
            updated_by = $17, withdrawn_at = $18, withdraw_reason = $19,
            reviewer_id = (SELECT id FROM people WHERE slug = $20 AND deleted_at IS NULL),
            lead_image = $21, seo_title = $22, meta_description = $23,
            version = version + 1, modified_at = now()
        WHERE id = $1 AND version = $2
        RETURNING version
        "#,
        article.id,
        expected_version,
        article.slug,
        article.title,
        article.dek,
        article.body_markdown,
        article.body_html,
        article.status as ArticleStatus,
        article.published_at,
        article.updated_at,
        article.archived,
        article.archived_at,
        article.archive_reason,
        article.superseded_by,
        article.study.as_ref().map(Json) as Option<Json<&Study>>,
        article.review.as_ref().map(Json) as Option<Json<&Review>>,
        updated_by,
        article.withdrawn_at,
        article.withdraw_reason,
        article.review.as_ref().and_then(|r| r.reviewer.as_deref()),
        article.lead_image,
        article.seo_title,
        article.meta_description,
    )
    .fetch_optional(db)
    .await
}

/// Soft-deletes or restores an article. The version (and so the revision history) is left as it
/// is: the audit log records who deleted or restored it.
pub async fn set_deleted(
    db: &mut sqlx::PgConnection,
    id: Uuid,
    deleted: bool,
    by: Option<Uuid>,
) -> sqlx::Result<i32> {
    sqlx::query_scalar!(
        r#"
        UPDATE articles SET
            deleted_at = CASE WHEN $2 THEN now() END,
            deleted_by = CASE WHEN $2 THEN $3::uuid END,
            modified_at = now()
        WHERE id = $1
        RETURNING version
        "#,
        id,
        deleted,
        by
    )
    .fetch_one(db)
    .await
}

/// Filters of the editors' story list.
#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    pub status: Option<ArticleStatus>,
    pub topic: Option<String>,
    pub archived: Option<bool>,
    /// Words to look for: full text (title, dek, body, citation), or part of the title.
    pub q: Option<String>,
    /// Only stories created by this user (contributors see their own).
    pub created_by: Option<Uuid>,
    /// `(true, today)`: published stories whose next review is due by `today`; `(false, today)`:
    /// every other story.
    pub review_due: Option<(bool, time::Date)>,
    /// The order of the list (most recently changed first unless said).
    pub sort: ArticleSort,
}

/// The orders of the editors' story list. Ties are broken by the last change, newest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ArticleSort {
    #[default]
    ChangedDesc,
    ChangedAsc,
    PublishedDesc,
    PublishedAsc,
    TitleAsc,
    TitleDesc,
    StatusAsc,
    StatusDesc,
}

impl ArticleSort {
    /// The column and direction as the dashboard's links name them (`updated`, `desc`).
    pub fn from_parts(column: &str, descending: bool) -> Option<Self> {
        Some(match (column, descending) {
            ("updated", true) => Self::ChangedDesc,
            ("updated", false) => Self::ChangedAsc,
            ("published", true) => Self::PublishedDesc,
            ("published", false) => Self::PublishedAsc,
            ("title", false) => Self::TitleAsc,
            ("title", true) => Self::TitleDesc,
            ("status", false) => Self::StatusAsc,
            ("status", true) => Self::StatusDesc,
            _ => return None,
        })
    }

    pub fn column(self) -> &'static str {
        match self {
            Self::ChangedDesc | Self::ChangedAsc => "updated",
            Self::PublishedDesc | Self::PublishedAsc => "published",
            Self::TitleAsc | Self::TitleDesc => "title",
            Self::StatusAsc | Self::StatusDesc => "status",
        }
    }

    pub fn descending(self) -> bool {
        matches!(
            self,
            Self::ChangedDesc | Self::PublishedDesc | Self::TitleDesc | Self::StatusDesc
        )
    }

    /// The key the SQL of [`list_filtered`] orders by.
    fn key(self) -> &'static str {
        match self {
            Self::ChangedDesc => "changed_desc",
            Self::ChangedAsc => "changed_asc",
            Self::PublishedDesc => "published_desc",
            Self::PublishedAsc => "published_asc",
            Self::TitleAsc => "title_asc",
            Self::TitleDesc => "title_desc",
            Self::StatusAsc => "status_asc",
            Self::StatusDesc => "status_desc",
        }
    }
}

/// The editors' story list, in the filter's order (most recently changed first by default;
/// stories never published come last when sorted by publication date).
pub async fn list_filtered(
    pool: &PgPool,
    filter: &ArticleFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Article>> {
    sqlx::query_as!(
        Article,
        r#"
        SELECT a.id, a.slug, a.title, a.dek, a.body_markdown, a.body_html,
               a.status AS "status: ArticleStatus", a.published_at, a.updated_at,
               a.archived, a.archived_at, a.archive_reason, a.superseded_by,
               a.withdrawn_at, a.withdraw_reason,
               ARRAY(SELECT t.slug FROM article_topics at JOIN topics t ON t.id = at.topic_id
                     WHERE at.article_id = a.id ORDER BY at.position, t.name) AS "topics!",
               ARRAY(SELECT p.slug FROM article_authors aa JOIN people p ON p.id = aa.person_id
                     WHERE aa.article_id = a.id ORDER BY aa.position) AS "authors!",
               a.study AS "study: Study",
               a.review || jsonb_build_object(
                   'reviewer', (SELECT p.slug FROM people p WHERE p.id = a.reviewer_id)
               ) AS "review: Review",
               a.lead_image, a.seo_title, a.meta_description, a.version, a.created_at, a.created_by, a.updated_by
        FROM articles a
        WHERE a.deleted_at IS NULL
          AND ($1::text IS NULL OR a.status = $1)
          AND ($2::text IS NULL OR EXISTS (
                SELECT 1 FROM article_topics at JOIN topics t ON t.id = at.topic_id
                WHERE at.article_id = a.id AND t.slug = $2))
          AND ($3::boolean IS NULL OR a.archived = $3)
          AND ($4::text IS NULL OR a.search_vector @@ (SELECT dateline_search_query($4))
               OR a.title ILIKE '%' || $4 || '%')
          AND ($5::uuid IS NULL OR a.created_by = $5)
          AND ($8::boolean IS NULL OR $8 = coalesce(
                a.status = 'published' AND (a.review ->> 'next_review_due') <= $9, false))
        ORDER BY
            CASE WHEN $10 = 'changed_asc' THEN a.modified_at END ASC,
            CASE WHEN $10 = 'published_desc' THEN a.published_at END DESC NULLS LAST,
            CASE WHEN $10 = 'published_asc' THEN a.published_at END ASC NULLS LAST,
            CASE WHEN $10 = 'title_asc' THEN lower(a.title) END ASC,
            CASE WHEN $10 = 'title_desc' THEN lower(a.title) END DESC,
            -- The order of the workflow: draft, in review, scheduled, published, withdrawn.
            CASE WHEN $10 LIKE 'status_%' THEN array_position(
                ARRAY['draft', 'in_review', 'scheduled', 'published', 'withdrawn'], a.status)
                * CASE WHEN $10 = 'status_desc' THEN -1 ELSE 1 END END ASC,
            a.modified_at DESC, a.id DESC
        LIMIT $6 OFFSET $7
        "#,
        filter.status.map(ArticleStatus::as_str),
        filter.topic,
        filter.archived,
        filter.q.as_deref().map(escape_like),
        filter.created_by,
        limit,
        offset,
        filter.review_due.map(|(due, _)| due),
        filter.review_due.map(|(_, today)| today.to_string()),
        filter.sort.key(),
    )
    .fetch_all(pool)
    .await
}

/// How many stories [`list_filtered`] pages through.
pub async fn count_filtered(pool: &PgPool, filter: &ArticleFilter) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"
        SELECT count(*) AS "count!"
        FROM articles a
        WHERE a.deleted_at IS NULL
          AND ($1::text IS NULL OR a.status = $1)
          AND ($2::text IS NULL OR EXISTS (
                SELECT 1 FROM article_topics at JOIN topics t ON t.id = at.topic_id
                WHERE at.article_id = a.id AND t.slug = $2))
          AND ($3::boolean IS NULL OR a.archived = $3)
          AND ($4::text IS NULL OR a.search_vector @@ (SELECT dateline_search_query($4))
               OR a.title ILIKE '%' || $4 || '%')
          AND ($5::uuid IS NULL OR a.created_by = $5)
          AND ($6::boolean IS NULL OR $6 = coalesce(
                a.status = 'published' AND (a.review ->> 'next_review_due') <= $7, false))
        "#,
        filter.status.map(ArticleStatus::as_str),
        filter.topic,
        filter.archived,
        filter.q.as_deref().map(escape_like),
        filter.created_by,
        filter.review_due.map(|(due, _)| due),
        filter.review_due.map(|(_, today)| today.to_string()),
    )
    .fetch_one(pool)
    .await
}

/// Escapes `%`, `_` and `\` so user text matches literally in ILIKE.
fn escape_like(raw: &str) -> String {
    raw.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Whether `slug` is free for `article_id`: no other article holds it, now or before.
pub async fn slug_free_for(
    db: &mut sqlx::PgConnection,
    slug: &str,
    article_id: Option<Uuid>,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"
        SELECT NOT (EXISTS (SELECT 1 FROM articles WHERE slug = $1 AND id IS DISTINCT FROM $2)
            OR EXISTS (SELECT 1 FROM slug_history WHERE slug = $1 AND article_id IS DISTINCT FROM $2)) AS "free!"
        "#,
        slug,
        article_id
    )
    .fetch_one(db)
    .await
}

/// What [`try_lock`] found.
#[derive(Debug)]
pub enum TryLock {
    /// Locked for this transaction; `None` when there is no such (undeleted) article.
    Locked(Option<Box<Article>>),
    /// Another transaction holds it.
    Busy,
}

/// Locks an article without waiting.
pub async fn try_lock(db: &mut sqlx::PgConnection, id: Uuid) -> sqlx::Result<TryLock> {
    let exists: bool = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM articles WHERE id = $1 AND deleted_at IS NULL) AS "exists!""#,
        id
    )
    .fetch_one(&mut *db)
    .await?;
    if !exists {
        return Ok(TryLock::Locked(None));
    }
    let locked = sqlx::query_as!(
        Article,
        r#"
        SELECT a.id, a.slug, a.title, a.dek, a.body_markdown, a.body_html,
               a.status AS "status: ArticleStatus", a.published_at, a.updated_at,
               a.archived, a.archived_at, a.archive_reason, a.superseded_by,
               a.withdrawn_at, a.withdraw_reason,
               ARRAY(SELECT t.slug FROM article_topics at JOIN topics t ON t.id = at.topic_id
                     WHERE at.article_id = a.id ORDER BY at.position, t.name) AS "topics!",
               ARRAY(SELECT p.slug FROM article_authors aa JOIN people p ON p.id = aa.person_id
                     WHERE aa.article_id = a.id ORDER BY aa.position) AS "authors!",
               a.study AS "study: Study",
               a.review || jsonb_build_object(
                   'reviewer', (SELECT p.slug FROM people p WHERE p.id = a.reviewer_id)
               ) AS "review: Review",
               a.lead_image, a.seo_title, a.meta_description, a.version, a.created_at, a.created_by, a.updated_by
        FROM articles a
        WHERE a.id = $1 AND a.deleted_at IS NULL
        FOR UPDATE SKIP LOCKED
        "#,
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(match locked {
        Some(article) => TryLock::Locked(Some(Box::new(article))),
        None => TryLock::Busy,
    })
}

/// A deleted story, as the admins' list of them shows it.
#[derive(Debug, Clone)]
pub struct DeletedStory {
    pub id: Uuid,
    pub title: String,
    pub status: ArticleStatus,
    pub deleted_at: OffsetDateTime,
    /// The name of who deleted it.
    pub deleted_by: Option<String>,
}

/// Deleted stories, most recently deleted first.
pub async fn list_deleted(pool: &PgPool, limit: i64) -> sqlx::Result<Vec<DeletedStory>> {
    sqlx::query_as!(
        DeletedStory,
        r#"
        SELECT a.id, a.title, a.status AS "status: ArticleStatus",
               a.deleted_at AS "deleted_at!", u.name AS "deleted_by?"
        FROM articles a LEFT JOIN users u ON u.id = a.deleted_by
        WHERE a.deleted_at IS NOT NULL
        ORDER BY a.deleted_at DESC, a.id
        LIMIT $1
        "#,
        limit
    )
    .fetch_all(pool)
    .await
}

/// A story's headline, deleted or not (for messages about it).
pub async fn title_of(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("SELECT title FROM articles WHERE id = $1", id)
        .fetch_optional(pool)
        .await
}

//! Reading published stories for readers: a story page's data in one query (read in batches by
//! `crate::db::batch`), and the lists of the front page, all stories, topics and the archive.

use sqlx::PgPool;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::article::{Article, ArticleStatus, Review, Study};
use crate::domain::person::Credit;

/// What a story list shows of each story.
#[derive(Debug, Clone)]
pub struct ArticleSummary {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub dek: String,
    pub published_at: OffsetDateTime,
    pub archived: bool,
}

/// A story page's data: the article (without its Markdown source; see [`stories_by_slugs`])
/// and what the page shows beside it.
#[derive(Debug, Clone)]
pub struct Story {
    pub article: Article,
    pub topics: Vec<crate::db::topics::TopicLink>,
    /// The byline, in order.
    pub authors: Vec<Credit>,
    /// The medical reviewer, when the review names a person.
    pub reviewer: Option<Credit>,
    pub notes: Vec<crate::db::revisions::PublicNote>,
    /// The newer story's slug and title, when archived with a published successor.
    pub superseded: Option<(String, String)>,
    /// Other published stories sharing the most topics, newest first.
    pub related: Vec<RelatedStory>,
    /// The lead image, unless it was deleted.
    pub lead: Option<crate::domain::media::Media>,
    /// The images of the library its body shows.
    pub body_media: Vec<Uuid>,
}

/// A story linked from another's page.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct RelatedStory {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub archived: bool,
}

/// How many related stories a story page links to.
pub const RELATED: i64 = 4;

#[derive(Debug, Clone, serde::Deserialize)]
struct StoryLink {
    slug: String,
    title: String,
}

/// The stories at `slugs` (those that exist and are not deleted, in no particular order),
/// each with its topics, its public change notes and its successor, in one query: the
/// uncached story page's only one. Pages ask through [`crate::db::batch::StoryReads`], which
/// reads many at once under load. The page shows the rendered body only, so the Markdown
/// source is not read (`body_markdown` is empty): up to 200 KB less to decompress and send.
pub async fn stories_by_slugs(
    db: impl sqlx::PgExecutor<'_>,
    slugs: &[String],
) -> sqlx::Result<Vec<Story>> {
    let rows = sqlx::query!(
        r#"
        SELECT a.id, a.slug, a.title, a.dek, '' AS "body_markdown!", a.body_html,
               a.status AS "status: ArticleStatus", a.published_at, a.updated_at,
               a.archived, a.archived_at, a.archive_reason, a.superseded_by,
               a.withdrawn_at, a.withdraw_reason,
               a.study AS "study: Study",
               a.review || jsonb_build_object(
                   'reviewer', (SELECT p.slug FROM people p WHERE p.id = a.reviewer_id)
               ) AS "review: Review",
               a.lead_image, a.seo_title, a.meta_description, a.version, a.created_at, a.created_by, a.updated_by,
               coalesce((
                   SELECT json_agg(json_build_object('slug', t.slug, 'name', t.name)
                                   ORDER BY at.position, t.name)
                   FROM article_topics at JOIN topics t ON t.id = at.topic_id
                   WHERE at.article_id = a.id
               ), '[]') AS "topics!: Json<Vec<crate::db::topics::TopicLink>>",
               coalesce((
                   SELECT json_agg(json_build_object(
                              'change_kind', r.change_kind, 'change_note', r.change_note,
                              'created_at', to_char(r.created_at AT TIME ZONE 'UTC',
                                                    'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
                          ORDER BY r.number)
                   FROM article_revisions r
                   WHERE r.article_id = a.id AND r.change_kind IN ('update', 'correction')
                     AND r.change_note IS NOT NULL AND r.change_note <> ''
               ), '[]') AS "notes!: Json<Vec<crate::db::revisions::PublicNote>>",
               coalesce((
                   SELECT json_agg(json_build_object('slug', p.slug, 'name', p.name,
                                                     'credentials', p.credentials)
                                   ORDER BY aa.position)
                   FROM article_authors aa JOIN people p ON p.id = aa.person_id
                   WHERE aa.article_id = a.id
               ), '[]') AS "authors!: Json<Vec<Credit>>",
               (
                   SELECT json_build_object('slug', p.slug, 'name', p.name,
                                            'credentials', p.credentials)
                   FROM people p WHERE p.id = a.reviewer_id
               ) AS "reviewer: Json<Credit>",
               coalesce((
                   SELECT json_agg(json_build_object('id', r.id, 'slug', r.slug,
                                                     'title', r.title, 'archived', r.archived)
                                   ORDER BY r.shared DESC, r.published_at DESC, r.id DESC)
                   FROM (
                       SELECT o.id, o.slug, o.title, o.archived, o.published_at,
                              count(*) AS shared
                       FROM article_topics mine
                       JOIN article_topics theirs ON theirs.topic_id = mine.topic_id
                                                 AND theirs.article_id <> mine.article_id
                       JOIN articles o ON o.id = theirs.article_id
                       WHERE mine.article_id = a.id
                         AND o.status = 'published' AND o.deleted_at IS NULL
                       GROUP BY o.id
                       ORDER BY shared DESC, o.published_at DESC, o.id DESC
                       LIMIT $2
                   ) r
               ), '[]') AS "related!: Json<Vec<RelatedStory>>",
               (
                   SELECT json_build_object(
                       'id', m.id, 'content_type', m.content_type, 'width', m.width,
                       'height', m.height, 'alt', m.alt, 'decorative', m.decorative,
                       'caption', m.caption, 'credit', m.credit, 'filename', m.filename,
                       'version', m.version, 'created_at', m.created_at,
                       'renditions', coalesce((
                           SELECT json_agg(json_build_object(
                                      'width', r.width, 'height', r.height,
                                      'content_type', r.content_type, 'hash', r.blob_hash)
                                  ORDER BY r.width, r.content_type)
                           FROM media_renditions r WHERE r.media_id = m.id), '[]'))
                   FROM media m WHERE m.id = a.lead_image AND m.deleted_at IS NULL
               ) AS "lead: Json<crate::db::media::MediaJson>",
               ARRAY(SELECT b.media_id FROM article_body_media b WHERE b.article_id = a.id)
                   AS "body_media!",
               (
                   SELECT json_build_object('slug', s.slug, 'title', s.title)
                   FROM articles s
                   WHERE a.archived AND s.id = a.superseded_by AND s.status = 'published'
                     AND s.deleted_at IS NULL
               ) AS "superseded: Json<StoryLink>"
        FROM articles a
        WHERE a.slug = ANY($1) AND a.deleted_at IS NULL
        "#,
        slugs,
        RELATED
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Story {
            article: Article {
                topics: r.topics.0.iter().map(|t| t.slug.clone()).collect(),
                authors: r.authors.0.iter().map(|p| p.slug.clone()).collect(),
                id: r.id,
                slug: r.slug,
                title: r.title,
                dek: r.dek,
                body_markdown: r.body_markdown,
                body_html: r.body_html,
                status: r.status,
                published_at: r.published_at,
                updated_at: r.updated_at,
                archived: r.archived,
                archived_at: r.archived_at,
                archive_reason: r.archive_reason,
                superseded_by: r.superseded_by,
                withdrawn_at: r.withdrawn_at,
                withdraw_reason: r.withdraw_reason,
                study: r.study,
                review: r.review,
                lead_image: r.lead_image,
                seo_title: r.seo_title,
                meta_description: r.meta_description,
                version: r.version,
                created_at: r.created_at,
                created_by: r.created_by,
                updated_by: r.updated_by,
            },
            topics: r.topics.0,
            authors: r.authors.0,
            reviewer: r.reviewer.map(|r| r.0),
            notes: r.notes.0,
            superseded: r.superseded.map(|s| (s.0.slug, s.0.title)),
            related: r.related.0,
            lead: r.lead.map(|m| m.0.into()),
            body_media: r.body_media,
        })
        .collect())
}

/// What a story card shows beside the story's own fields: its first topic and its byline.
#[derive(Debug, Clone, Default)]
pub struct CardExtras {
    pub topic: Option<crate::db::topics::TopicLink>,
    pub authors: Vec<Credit>,
}

/// [`CardExtras`] of the stories `ids`, in one query.
pub async fn card_extras(
    db: impl sqlx::PgExecutor<'_>,
    ids: &[Uuid],
) -> sqlx::Result<std::collections::HashMap<Uuid, CardExtras>> {
    let rows = sqlx::query!(
        r#"
        SELECT s.id AS "id!",
               (SELECT json_build_object('slug', t.slug, 'name', t.name)
                FROM article_topics at JOIN topics t ON t.id = at.topic_id
                WHERE at.article_id = s.id
                ORDER BY at.position, t.name LIMIT 1) AS "topic: Json<crate::db::topics::TopicLink>",
               coalesce((
                   SELECT json_agg(json_build_object('slug', p.slug, 'name', p.name,
                                                     'credentials', p.credentials)
                                   ORDER BY aa.position)
                   FROM article_authors aa JOIN people p ON p.id = aa.person_id
                   WHERE aa.article_id = s.id
               ), '[]') AS "authors!: Json<Vec<Credit>>"
        FROM unnest($1::uuid[]) AS s(id)
        "#,
        ids
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.id,
                CardExtras {
                    topic: r.topic.map(|t| t.0),
                    authors: r.authors.0,
                },
            )
        })
        .collect())
}

/// A published story's slug and title, for links such as "superseded by".
pub async fn find_published_link(
    pool: &PgPool,
    id: Uuid,
) -> sqlx::Result<Option<(String, String)>> {
    let row = sqlx::query!(
        r#"
        SELECT slug, title FROM articles
        WHERE id = $1 AND status = 'published' AND deleted_at IS NULL
        "#,
        id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.slug, r.title)))
}

/// Published stories, newest first; archived ones only when asked for.
pub async fn list_published(
    pool: &PgPool,
    include_archived: bool,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<ArticleSummary>> {
    sqlx::query_as!(
        ArticleSummary,
        r#"
        SELECT id, slug, title, dek, published_at AS "published_at!", archived
        FROM articles
        WHERE status = 'published' AND deleted_at IS NULL AND ($1 OR NOT archived)
        ORDER BY published_at DESC, id DESC
        LIMIT $2 OFFSET $3
        "#,
        include_archived,
        limit,
        offset
    )
    .fetch_all(pool)
    .await
}

/// How many stories [`list_published`] pages through.
pub async fn count_published(pool: &PgPool, include_archived: bool) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"
        SELECT count(*) AS "count!" FROM articles
        WHERE status = 'published' AND deleted_at IS NULL AND ($1 OR NOT archived)
        "#,
        include_archived
    )
    .fetch_one(pool)
    .await
}

/// Archived published stories, newest first.
pub async fn list_archived(pool: &PgPool) -> sqlx::Result<Vec<ArticleSummary>> {
    sqlx::query_as!(
        ArticleSummary,
        r#"
        SELECT id, slug, title, dek, published_at AS "published_at!", archived
        FROM articles
        WHERE archived AND status = 'published' AND deleted_at IS NULL
        ORDER BY published_at DESC, id DESC
        "#
    )
    .fetch_all(pool)
    .await
}

/// Published stories of one topic: current ones first, then archived, each newest first.
pub async fn list_for_topic(
    pool: &PgPool,
    topic_id: Uuid,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<ArticleSummary>> {
    sqlx::query_as!(
        ArticleSummary,
        r#"
        SELECT a.id, a.slug, a.title, a.dek, a.published_at AS "published_at!", a.archived
        FROM article_topics at JOIN articles a ON a.id = at.article_id
        WHERE at.topic_id = $1 AND a.status = 'published' AND a.deleted_at IS NULL
        ORDER BY a.archived, a.published_at DESC, a.id DESC
        LIMIT $2 OFFSET $3
        "#,
        topic_id,
        limit,
        offset
    )
    .fetch_all(pool)
    .await
}

/// How many stories [`list_for_topic`] pages through.
pub async fn count_for_topic(pool: &PgPool, topic_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"
        SELECT count(*) AS "count!"
        FROM article_topics at JOIN articles a ON a.id = at.article_id
        WHERE at.topic_id = $1 AND a.status = 'published' AND a.deleted_at IS NULL
        "#,
        topic_id
    )
    .fetch_one(pool)
    .await
}

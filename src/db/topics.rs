//! The `topics` table and the `article_topics` links.

use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

/// A topic as readers see it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Topic {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
}

/// A topic with the number of published stories in it.
#[derive(Debug, Clone)]
pub struct TopicWithCount {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub story_count: i64,
}

/// A topic's slug and name, for links.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TopicLink {
    pub slug: String,
    pub name: String,
}

/// Every topic, by name, with its count of published stories.
pub async fn list_with_counts(pool: &PgPool) -> sqlx::Result<Vec<TopicWithCount>> {
    sqlx::query_as!(
        TopicWithCount,
        r#"
        SELECT t.slug, t.name, t.description,
               count(a.id) AS "story_count!"
        FROM topics t
        LEFT JOIN article_topics at ON at.topic_id = t.id
        LEFT JOIN articles a ON a.id = at.article_id
             AND a.status = 'published' AND a.deleted_at IS NULL
        GROUP BY t.id
        ORDER BY t.name
        "#
    )
    .fetch_all(pool)
    .await
}

pub async fn find_by_slug(pool: &PgPool, slug: &str) -> sqlx::Result<Option<Topic>> {
    sqlx::query_as!(
        Topic,
        "SELECT id, slug, name, description FROM topics WHERE slug = $1",
        slug
    )
    .fetch_optional(pool)
    .await
}

/// The topics of one article, in the editor's order.
pub async fn links_for_article(pool: &PgPool, article_id: Uuid) -> sqlx::Result<Vec<TopicLink>> {
    sqlx::query_as!(
        TopicLink,
        r#"
        SELECT t.slug, t.name
        FROM article_topics at JOIN topics t ON t.id = at.topic_id
        WHERE at.article_id = $1
        ORDER BY at.position, t.name
        "#,
        article_id
    )
    .fetch_all(pool)
    .await
}

/// Inserts a topic unless one with its slug exists; returns whether it was inserted.
pub async fn insert_if_absent(
    db: impl PgExecutor<'_>,
    slug: &str,
    name: &str,
    description: &str,
) -> sqlx::Result<bool> {
    let result = sqlx::query!(
        r#"
        INSERT INTO topics (id, slug, name, description)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT ON CONSTRAINT topics_slug_key DO NOTHING
        "#,
        Uuid::now_v7(),
        slug,
        name,
        description
    )
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Replaces an article's topics with the given slugs, in order. Unknown slugs are ignored by the
/// join; callers validate them first.
pub async fn set_for_article(
    db: &mut sqlx::PgConnection,
    article_id: Uuid,
    slugs: &[String],
) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM article_topics WHERE article_id = $1",
        article_id
    )
    .execute(&mut *db)
    .await?;
    sqlx::query!(
        r#"
        INSERT INTO article_topics (article_id, topic_id, position)
        SELECT $1, t.id, (s.ord - 1)::smallint
        FROM unnest($2::text[]) WITH ORDINALITY AS s(slug, ord)
        JOIN topics t ON t.slug = s.slug
        "#,
        article_id,
        slugs
    )
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Those of `slugs` that name no topic.
pub async fn unknown_slugs(db: impl PgExecutor<'_>, slugs: &[String]) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"SELECT s AS "s!" FROM unnest($1::text[]) AS s WHERE NOT EXISTS (SELECT 1 FROM topics WHERE slug = s)"#,
        slugs
    )
    .fetch_all(db)
    .await
}

/// Every topic, by name.
pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Topic>> {
    sqlx::query_as!(
        Topic,
        "SELECT id, slug, name, description FROM topics ORDER BY name"
    )
    .fetch_all(db)
    .await
}

/// Updates a topic; `None` when there is no topic at `slug`.
pub async fn update(
    db: impl PgExecutor<'_>,
    slug: &str,
    new_slug: &str,
    name: &str,
    description: &str,
) -> sqlx::Result<Option<Topic>> {
    sqlx::query_as!(
        Topic,
        r#"UPDATE topics SET slug = $2, name = $3, description = $4, updated_at = now()
           WHERE slug = $1 RETURNING id, slug, name, description"#,
        slug,
        new_slug,
        name,
        description
    )
    .fetch_optional(db)
    .await
}

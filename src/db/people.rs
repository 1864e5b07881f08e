//! The `people` table and the `article_authors` links (bylines), and the reviewer column of
//! articles as far as people are concerned.

use sqlx::{PgExecutor, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::stories::ArticleSummary;
use crate::domain::person::{Credit, Person};

/// Columns of a whole [`Person`].
macro_rules! person_row {
    ($row:expr) => {
        Person {
            id: $row.id,
            slug: $row.slug,
            name: $row.name,
            credentials: $row.credentials,
            bio: $row.bio_markdown,
            bio_html: $row.bio_html,
            photo: $row.photo,
            same_as: $row.same_as,
            version: $row.version,
            created_at: $row.created_at,
            updated_at: $row.updated_at,
        }
    };
}

/// The person at `slug` (not deleted).
pub async fn find_by_slug(db: impl PgExecutor<'_>, slug: &str) -> sqlx::Result<Option<Person>> {
    let row = sqlx::query!(
        r#"
        SELECT id, slug, name, credentials, bio_markdown, bio_html, photo, same_as, version,
               created_at, updated_at
        FROM people WHERE slug = $1 AND deleted_at IS NULL
        "#,
        slug
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| person_row!(r)))
}

/// The person at `slug`, locked for the rest of the transaction.
pub async fn lock(db: &mut sqlx::PgConnection, slug: &str) -> sqlx::Result<Option<Person>> {
    let row = sqlx::query!(
        r#"
        SELECT id, slug, name, credentials, bio_markdown, bio_html, photo, same_as, version,
               created_at, updated_at
        FROM people WHERE slug = $1 AND deleted_at IS NULL
        FOR UPDATE
        "#,
        slug
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| person_row!(r)))
}

/// People by name, optionally only those whose name or credentials contain `q`.
pub async fn list(
    pool: &PgPool,
    q: Option<&str>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Person>> {
    let rows = sqlx::query!(
        r#"
        SELECT id, slug, name, credentials, bio_markdown, bio_html, photo, same_as, version,
               created_at, updated_at
        FROM people
        WHERE deleted_at IS NULL
          AND ($1::text IS NULL OR name ILIKE '%' || $1 || '%' OR credentials ILIKE '%' || $1 || '%')
        ORDER BY lower(name), slug
        LIMIT $2 OFFSET $3
        "#,
        q.map(escape_like),
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| person_row!(r)).collect())
}

/// How many people [`list`] pages through.
pub async fn count(pool: &PgPool, q: Option<&str>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"
        SELECT count(*) AS "count!" FROM people
        WHERE deleted_at IS NULL
          AND ($1::text IS NULL OR name ILIKE '%' || $1 || '%' OR credentials ILIKE '%' || $1 || '%')
        "#,
        q.map(escape_like),
    )
    .fetch_one(pool)
    .await
}

fn escape_like(raw: &str) -> String {
    raw.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Every person's slug, name and credentials, by name (the editor's pickers).
pub async fn all_credits(pool: &PgPool) -> sqlx::Result<Vec<Credit>> {
    sqlx::query_as!(
        Credit,
        r#"
        SELECT slug, name, credentials FROM people WHERE deleted_at IS NULL
        ORDER BY lower(name), slug
        "#
    )
    .fetch_all(pool)
    .await
}

/// The fields of a person row.
#[derive(Debug, Clone)]
pub struct PersonRow<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub credentials: &'a str,
    pub bio_markdown: &'a str,
    pub bio_html: &'a str,
    pub photo: Option<Uuid>,
    pub same_as: &'a [String],
}

/// Inserts a person unless someone holds the slug; `None` when taken.
pub async fn insert(
    db: impl PgExecutor<'_>,
    row: &PersonRow<'_>,
    at: OffsetDateTime,
) -> sqlx::Result<Option<Person>> {
    let row = sqlx::query!(
        r#"
        INSERT INTO people (id, slug, name, credentials, bio_markdown, bio_html, photo, same_as,
                            created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
        ON CONFLICT (slug) WHERE deleted_at IS NULL DO NOTHING
        RETURNING id, slug, name, credentials, bio_markdown, bio_html, photo, same_as, version,
                  created_at, updated_at
        "#,
        Uuid::now_v7(),
        row.slug,
        row.name,
        row.credentials,
        row.bio_markdown,
        row.bio_html,
        row.photo,
        row.same_as,
        at
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| person_row!(r)))
}

/// Writes every field of the person `id` and bumps its version.
pub async fn update(
    db: impl PgExecutor<'_>,
    id: Uuid,
    row: &PersonRow<'_>,
    at: OffsetDateTime,
) -> sqlx::Result<Person> {
    let row = sqlx::query!(
        r#"
        UPDATE people SET slug = $2, name = $3, credentials = $4, bio_markdown = $5,
               bio_html = $6, photo = $7, same_as = $8, updated_at = $9, version = version + 1
        WHERE id = $1
        RETURNING id, slug, name, credentials, bio_markdown, bio_html, photo, same_as, version,
                  created_at, updated_at
        "#,
        id,
        row.slug,
        row.name,
        row.credentials,
        row.bio_markdown,
        row.bio_html,
        row.photo,
        row.same_as,
        at
    )
    .fetch_one(db)
    .await?;
    Ok(person_row!(row))
}

/// Whether another person (not deleted) holds `slug`.
pub async fn slug_taken(db: impl PgExecutor<'_>, slug: &str, except: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM people WHERE slug = $1 AND id <> $2 AND deleted_at IS NULL) AS "taken!""#,
        slug,
        except
    )
    .fetch_one(db)
    .await
}

/// How many stories (deleted ones included, since they can be restored) credit the person, as
/// an author or as the reviewer.
pub async fn credited_count(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"
        SELECT (SELECT count(*) FROM article_authors WHERE person_id = $1)
             + (SELECT count(*) FROM articles WHERE reviewer_id = $1) AS "count!"
        "#,
        id
    )
    .fetch_one(db)
    .await
}

/// Soft-deletes a person.
pub async fn soft_delete(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE people SET deleted_at = now(), version = version + 1 WHERE id = $1",
        id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Those of `slugs` that name nobody (or someone deleted).
pub async fn unknown_slugs(db: impl PgExecutor<'_>, slugs: &[String]) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"
        SELECT s AS "s!" FROM unnest($1::text[]) AS s
        WHERE NOT EXISTS (SELECT 1 FROM people WHERE slug = s AND deleted_at IS NULL)
        "#,
        slugs
    )
    .fetch_all(db)
    .await
}

/// Replaces an article's authors with the given slugs, in order (callers check them first).
pub async fn set_authors(
    db: &mut sqlx::PgConnection,
    article_id: Uuid,
    slugs: &[String],
) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM article_authors WHERE article_id = $1",
        article_id
    )
    .execute(&mut *db)
    .await?;
    sqlx::query!(
        r#"
        INSERT INTO article_authors (article_id, person_id, position)
        SELECT $1, p.id, (s.ord - 1)::smallint
        FROM unnest($2::text[]) WITH ORDINALITY AS s(slug, ord)
        JOIN people p ON p.slug = s.slug AND p.deleted_at IS NULL
        "#,
        article_id,
        slugs
    )
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// A story on a person's page, and what they did on it.
#[derive(Debug, Clone)]
pub struct CreditedStory {
    pub summary: ArticleSummary,
    pub wrote: bool,
    pub reviewed: bool,
}

/// Published stories the person wrote or reviewed, newest first.
pub async fn stories(
    pool: &PgPool,
    id: Uuid,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<CreditedStory>> {
    let rows = sqlx::query!(
        r#"
        SELECT a.id, a.slug, a.title, a.dek, a.published_at AS "published_at!", a.archived,
               EXISTS (SELECT 1 FROM article_authors aa
                       WHERE aa.article_id = a.id AND aa.person_id = $1) AS "wrote!",
               a.reviewer_id IS NOT DISTINCT FROM $1 AS "reviewed!"
        FROM articles a
        WHERE a.status = 'published' AND a.deleted_at IS NULL
          AND (a.reviewer_id = $1
               OR a.id IN (SELECT article_id FROM article_authors WHERE person_id = $1))
        ORDER BY a.published_at DESC, a.id DESC
        LIMIT $2 OFFSET $3
        "#,
        id,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CreditedStory {
            summary: ArticleSummary {
                id: r.id,
                slug: r.slug,
                title: r.title,
                dek: r.dek,
                published_at: r.published_at,
                archived: r.archived,
            },
            wrote: r.wrote,
            reviewed: r.reviewed,
        })
        .collect())
}

/// How many stories [`stories`] pages through.
pub async fn count_stories(pool: &PgPool, id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"
        SELECT count(*) AS "count!" FROM articles a
        WHERE a.status = 'published' AND a.deleted_at IS NULL
          AND (a.reviewer_id = $1
               OR a.id IN (SELECT article_id FROM article_authors WHERE person_id = $1))
        "#,
        id
    )
    .fetch_one(pool)
    .await
}

/// Every person's page, for the sitemap.
pub async fn sitemap_entries(pool: &PgPool) -> sqlx::Result<Vec<(String, OffsetDateTime)>> {
    let rows =
        sqlx::query!("SELECT slug, updated_at FROM people WHERE deleted_at IS NULL ORDER BY slug")
            .fetch_all(pool)
            .await?;
    Ok(rows.into_iter().map(|r| (r.slug, r.updated_at)).collect())
}

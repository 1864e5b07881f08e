//! The `media`, `media_renditions` and `media_blobs` tables, and where images are used.

use sqlx::types::Json;
use sqlx::{PgExecutor, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::media::{self, Format, Media, Rendition};

/// A rendition row, as the media queries aggregate it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct RenditionRow {
    pub width: i32,
    pub height: i32,
    pub content_type: String,
    pub hash: String,
}

fn media_of(
    id: Uuid,
    content_type: String,
    (width, height): (i32, i32),
    text: (String, bool, String, String, String),
    version: i32,
    created_at: OffsetDateTime,
    renditions: Vec<RenditionRow>,
) -> Media {
    let (alt, decorative, caption, credit, filename) = text;
    let renditions: Vec<Rendition> = renditions
        .into_iter()
        .filter_map(|r| {
            let format = Format::from_content_type(&r.content_type)?;
            Some(Rendition {
                width: u32::try_from(r.width).ok()?,
                height: u32::try_from(r.height).ok()?,
                url: media::path(&r.hash, format),
                content_type: r.content_type,
            })
        })
        .collect();
    let url = renditions
        .iter()
        .rev()
        .find(|r| r.content_type == content_type)
        .or(renditions.last())
        .map(|r| r.url.clone())
        .unwrap_or_default();
    Media {
        id,
        url,
        width: u32::try_from(width).unwrap_or(0),
        height: u32::try_from(height).unwrap_or(0),
        content_type,
        alt,
        decorative,
        caption,
        credit,
        filename,
        renditions,
        version,
        created_at,
    }
}

/// An image as a JSON column holds it (a story's lead image, a person's photo).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct MediaJson {
    pub id: Uuid,
    pub content_type: String,
    pub width: i32,
    pub height: i32,
    pub alt: String,
    pub decorative: bool,
    pub caption: String,
    pub credit: String,
    pub filename: String,
    pub version: i32,
    #[serde(with = "crate::domain::dates::serde_rfc3339")]
    pub created_at: OffsetDateTime,
    pub renditions: Vec<RenditionRow>,
}

impl From<MediaJson> for Media {
    fn from(m: MediaJson) -> Self {
        media_of(
            m.id,
            m.content_type,
            (m.width, m.height),
            (m.alt, m.decorative, m.caption, m.credit, m.filename),
            m.version,
            m.created_at,
            m.renditions,
        )
    }
}

macro_rules! media_row {
    ($r:expr) => {
        media_of(
            $r.id,
            $r.content_type,
            ($r.width, $r.height),
            ($r.alt, $r.decorative, $r.caption, $r.credit, $r.filename),
            $r.version,
            $r.created_at,
            $r.renditions.0,
        )
    };
}

/// Keeps a blob's bytes (nothing when its hash is kept already).
pub async fn put_blob(db: impl PgExecutor<'_>, hash: &str, bytes: &[u8]) -> sqlx::Result<()> {
    sqlx::query!(
        r#"INSERT INTO media_blobs (hash, bytes, size) VALUES ($1, $2, $3)
           ON CONFLICT (hash) DO NOTHING"#,
        hash,
        bytes,
        i32::try_from(bytes.len()).unwrap_or(i32::MAX)
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A blob's bytes.
pub async fn blob(db: impl PgExecutor<'_>, hash: &str) -> sqlx::Result<Option<Vec<u8>>> {
    Ok(
        sqlx::query_scalar!("SELECT bytes FROM media_blobs WHERE hash = $1", hash)
            .fetch_optional(db)
            .await?
            .flatten(),
    )
}

/// The sizes of blobs, by hash.
pub async fn blob_sizes(
    db: impl PgExecutor<'_>,
    hashes: &[String],
) -> sqlx::Result<Vec<(String, i32)>> {
    let rows = sqlx::query!(
        "SELECT hash, size FROM media_blobs WHERE hash = ANY($1)",
        hashes
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.hash, r.size)).collect())
}

/// The content type of the rendition with this hash; `None` for anything that is not a
/// rendition (an original is never served).
pub async fn served_type(db: impl PgExecutor<'_>, hash: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "SELECT content_type FROM media_renditions WHERE blob_hash = $1 LIMIT 1",
        hash
    )
    .fetch_optional(db)
    .await
}

/// The renditions already made of an original (another upload of the same bytes), with the
/// upright size of the image.
pub async fn renditions_of_original(
    db: impl PgExecutor<'_>,
    original_hash: &str,
) -> sqlx::Result<Option<(i32, i32, Vec<RenditionRow>)>> {
    let row = sqlx::query!(
        r#"
        SELECT m.width, m.height,
               coalesce((SELECT json_agg(json_build_object('width', r.width, 'height', r.height,
                                                            'content_type', r.content_type,
                                                            'hash', r.blob_hash))
                         FROM media_renditions r WHERE r.media_id = m.id), '[]')
                   AS "renditions!: Json<Vec<RenditionRow>>"
        FROM media m
        WHERE m.original_hash = $1
          AND EXISTS (SELECT 1 FROM media_renditions r WHERE r.media_id = m.id)
        ORDER BY m.created_at
        LIMIT 1
        "#,
        original_hash
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.width, r.height, r.renditions.0)))
}

/// An image (not deleted) uploaded from these very bytes, the oldest.
pub async fn find_by_original(db: impl PgExecutor<'_>, hash: &str) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        r#"SELECT id FROM media WHERE original_hash = $1 AND deleted_at IS NULL
           ORDER BY created_at LIMIT 1"#,
        hash
    )
    .fetch_optional(db)
    .await
}

/// A new image row.
#[derive(Debug, Clone)]
pub struct NewMedia<'a> {
    pub id: Uuid,
    pub original_hash: &'a str,
    pub content_type: &'a str,
    pub width: i32,
    pub height: i32,
    pub alt: &'a str,
    pub decorative: bool,
    pub caption: &'a str,
    pub credit: &'a str,
    pub filename: &'a str,
    pub created_by: Option<Uuid>,
    pub created_at: OffsetDateTime,
}

pub async fn insert(
    db: &mut sqlx::PgConnection,
    new: &NewMedia<'_>,
    renditions: &[RenditionRow],
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        INSERT INTO media (id, original_hash, content_type, width, height, alt, decorative,
                           caption, credit, filename, created_by, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
        "#,
        new.id,
        new.original_hash,
        new.content_type,
        new.width,
        new.height,
        new.alt,
        new.decorative,
        new.caption,
        new.credit,
        new.filename,
        new.created_by,
        new.created_at
    )
    .execute(&mut *db)
    .await?;
    let widths: Vec<i32> = renditions.iter().map(|r| r.width).collect();
    let heights: Vec<i32> = renditions.iter().map(|r| r.height).collect();
    let types: Vec<String> = renditions.iter().map(|r| r.content_type.clone()).collect();
    let hashes: Vec<String> = renditions.iter().map(|r| r.hash.clone()).collect();
    sqlx::query!(
        r#"
        INSERT INTO media_renditions (media_id, width, height, content_type, blob_hash)
        SELECT $1, * FROM unnest($2::int[], $3::int[], $4::text[], $5::text[])
        "#,
        new.id,
        &widths,
        &heights,
        &types,
        &hashes
    )
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// The image `id` (not deleted), with its renditions.
pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Media>> {
    let row = sqlx::query!(
        r#"
        SELECT m.id, m.content_type, m.width, m.height, m.alt, m.decorative, m.caption,
               m.credit, m.filename, m.version, m.created_at,
               coalesce((SELECT json_agg(json_build_object('width', r.width, 'height', r.height,
                                                            'content_type', r.content_type,
                                                            'hash', r.blob_hash)
                                         ORDER BY r.width, r.content_type)
                         FROM media_renditions r WHERE r.media_id = m.id), '[]')
                   AS "renditions!: Json<Vec<RenditionRow>>"
        FROM media m
        WHERE m.id = $1 AND m.deleted_at IS NULL
        "#,
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| media_row!(r)))
}

/// The images `ids` (not deleted), in no particular order.
pub async fn find_many(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<Media>> {
    let rows = sqlx::query!(
        r#"
        SELECT m.id, m.content_type, m.width, m.height, m.alt, m.decorative, m.caption,
               m.credit, m.filename, m.version, m.created_at,
               coalesce((SELECT json_agg(json_build_object('width', r.width, 'height', r.height,
                                                            'content_type', r.content_type,
                                                            'hash', r.blob_hash)
                                         ORDER BY r.width, r.content_type)
                         FROM media_renditions r WHERE r.media_id = m.id), '[]')
                   AS "renditions!: Json<Vec<RenditionRow>>"
        FROM media m
        WHERE m.id = ANY($1) AND m.deleted_at IS NULL
        "#,
        ids
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| media_row!(r)).collect())
}

/// Images, newest first; with `q`, those whose alt text, caption, credit or file name holds it.
pub async fn list(
    pool: &PgPool,
    q: Option<&str>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Media>> {
    let rows = sqlx::query!(
        r#"
        SELECT m.id, m.content_type, m.width, m.height, m.alt, m.decorative, m.caption,
               m.credit, m.filename, m.version, m.created_at,
               coalesce((SELECT json_agg(json_build_object('width', r.width, 'height', r.height,
                                                            'content_type', r.content_type,
                                                            'hash', r.blob_hash)
                                         ORDER BY r.width, r.content_type)
                         FROM media_renditions r WHERE r.media_id = m.id), '[]')
                   AS "renditions!: Json<Vec<RenditionRow>>"
        FROM media m
        WHERE m.deleted_at IS NULL
          AND ($1::text IS NULL OR m.alt ILIKE '%' || $1 || '%' OR m.caption ILIKE '%' || $1 || '%'
               OR m.credit ILIKE '%' || $1 || '%' OR m.filename ILIKE '%' || $1 || '%')
        ORDER BY m.created_at DESC, m.id DESC
        LIMIT $2 OFFSET $3
        "#,
        q.map(escape_like),
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| media_row!(r)).collect())
}

/// How many images [`list`] pages through.
pub async fn count(pool: &PgPool, q: Option<&str>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"
        SELECT count(*) AS "count!" FROM media m
        WHERE m.deleted_at IS NULL
          AND ($1::text IS NULL OR m.alt ILIKE '%' || $1 || '%' OR m.caption ILIKE '%' || $1 || '%'
               OR m.credit ILIKE '%' || $1 || '%' OR m.filename ILIKE '%' || $1 || '%')
        "#,
        q.map(escape_like)
    )
    .fetch_one(pool)
    .await
}

fn escape_like(raw: &str) -> String {
    raw.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Locks the image `id` (not deleted) for a change; its version.
pub async fn lock(db: &mut sqlx::PgConnection, id: Uuid) -> sqlx::Result<Option<i32>> {
    sqlx::query_scalar!(
        "SELECT version FROM media WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
        id
    )
    .fetch_optional(db)
    .await
}

/// Writes what editors say of an image and bumps its version.
pub async fn update_text(
    db: impl PgExecutor<'_>,
    id: Uuid,
    text: &crate::domain::media::CleanText,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        UPDATE media SET alt = $2, decorative = $3, caption = $4, credit = $5,
               version = version + 1, updated_at = now()
        WHERE id = $1
        "#,
        id,
        text.alt,
        text.decorative,
        text.caption,
        text.credit
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn soft_delete(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE media SET deleted_at = now(), version = version + 1 WHERE id = $1",
        id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A place an image is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Use {
    /// A story's lead image or an image in its body.
    Story {
        id: Uuid,
        title: String,
        /// Published, or scheduled to be.
        published: bool,
        lead: bool,
    },
    /// A person's photo.
    Person { slug: String, name: String },
}

/// Where the image `id` is used: stories (not deleted) by lead image or body, people by photo.
pub async fn usage(db: &mut sqlx::PgConnection, id: Uuid) -> sqlx::Result<Vec<Use>> {
    let stories = sqlx::query!(
        r#"
        SELECT a.id, a.title, a.status IN ('published', 'scheduled') AS "published!",
               a.lead_image IS NOT DISTINCT FROM $1 AS "lead!"
        FROM articles a
        WHERE a.deleted_at IS NULL
          AND (a.lead_image = $1
               OR EXISTS (SELECT 1 FROM article_body_media b
                          WHERE b.article_id = a.id AND b.media_id = $1))
        ORDER BY a.modified_at DESC
        "#,
        id
    )
    .fetch_all(&mut *db)
    .await?;
    let people = sqlx::query!(
        "SELECT slug, name FROM people WHERE photo = $1 AND deleted_at IS NULL ORDER BY name",
        id
    )
    .fetch_all(&mut *db)
    .await?;
    Ok(stories
        .into_iter()
        .map(|s| Use::Story {
            id: s.id,
            title: s.title,
            published: s.published,
            lead: s.lead,
        })
        .chain(people.into_iter().map(|p| Use::Person {
            slug: p.slug,
            name: p.name,
        }))
        .collect())
}

/// An image a story's body shows, found by the hash in its URL.
#[derive(Debug, Clone)]
pub struct BodyImage {
    pub hash: String,
    pub media_id: Uuid,
    pub width: i32,
    pub height: i32,
    pub decorative: bool,
    pub deleted: bool,
}

/// The images of the library whose renditions have these hashes.
pub async fn by_rendition_hashes(
    db: impl PgExecutor<'_>,
    hashes: &[String],
) -> sqlx::Result<Vec<BodyImage>> {
    sqlx::query_as!(
        BodyImage,
        r#"
        SELECT DISTINCT ON (r.blob_hash) r.blob_hash AS hash, r.media_id, r.width, r.height,
               m.decorative, m.deleted_at IS NOT NULL AS "deleted!"
        FROM media_renditions r JOIN media m ON m.id = r.media_id
        WHERE r.blob_hash = ANY($1)
        ORDER BY r.blob_hash, m.deleted_at NULLS FIRST, m.created_at
        "#,
        hashes
    )
    .fetch_all(db)
    .await
}

/// Records which images of the library a story's body shows.
pub async fn set_body_media(
    db: &mut sqlx::PgConnection,
    article_id: Uuid,
    media_ids: &[Uuid],
) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM article_body_media WHERE article_id = $1",
        article_id
    )
    .execute(&mut *db)
    .await?;
    sqlx::query!(
        r#"
        INSERT INTO article_body_media (article_id, media_id)
        SELECT DISTINCT $1::uuid, m FROM unnest($2::uuid[]) AS m
        "#,
        article_id,
        media_ids
    )
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Whether the image `id` exists and is not deleted.
pub async fn exists(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM media WHERE id = $1 AND deleted_at IS NULL) AS "exists!""#,
        id
    )
    .fetch_one(db)
    .await
}

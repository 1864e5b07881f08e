//! Imports from other systems (CONTRACT §11), one item per call inside the caller's
//! transaction: topics and people here, stories in `service::articles::import`. Each item is
//! matched by its source's own id (`db::imports`), so a second run finds what the first made.
//! Imports act as the system: no user, and audit entries and revisions say so.

use crate::db;
use crate::db::events;
use crate::domain::events::ChangeEvent;
use crate::domain::person;
use crate::domain::text::{clean_block, clean_line};
use crate::error::AppError;

/// What an import call did with an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Made new.
    Created,
    /// Changed, as a new revision.
    Updated,
    /// Found as it was (imported before, or already there under the same slug).
    Unchanged,
}

/// A category, tag or the like, as a topic.
#[derive(Debug, Clone)]
pub struct ImportedTopic {
    pub source_id: String,
    /// A valid Dateline slug (`domain::import::slug_from_source`).
    pub slug: String,
    pub name: String,
    pub description: String,
}

/// A topic for `topic`: the one made by an earlier run, else the one holding its slug, else a
/// new one. Returns the topic's slug.
pub async fn import_topic(
    tx: &mut sqlx::PgConnection,
    source: &str,
    topic: &ImportedTopic,
) -> Result<(String, Outcome, Option<ChangeEvent>), AppError> {
    if let Some(found) = db::imports::find(&mut *tx, source, "term", &topic.source_id).await?
        && let Some(id) = found.topic_id
        && let Some(slug) = db::imports::topic_slug(&mut *tx, id).await?
    {
        return Ok((slug, Outcome::Unchanged, None));
    }
    let name = clean_line(&topic.name)
        .trim()
        .chars()
        .take(120)
        .collect::<String>();
    let name = if name.is_empty() {
        topic.slug.clone()
    } else {
        name
    };
    let description = clean_block(&topic.description).trim().to_owned();
    let created = db::topics::insert_if_absent(&mut *tx, &topic.slug, &name, &description).await?;
    let (id, slug) = db::imports::topic_by_slug(&mut *tx, &topic.slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let target = db::imports::SourceRow {
        article_id: None,
        topic_id: Some(id),
        person_id: None,
        media_id: None,
        fingerprint: String::new(),
    };
    db::imports::record(&mut *tx, source, "term", &topic.source_id, &target).await?;
    if !created {
        return Ok((slug, Outcome::Unchanged, None));
    }
    db::audit::record(
        &mut *tx,
        None,
        "topic.create",
        "topic",
        None,
        serde_json::json!({ "slug": slug, "source": source }),
    )
    .await?;
    let event = ChangeEvent::topic("topic.create", vec![slug.clone()]);
    events::emit(&mut *tx, &event).await?;
    Ok((slug, Outcome::Created, Some(event)))
}

/// An author, as a person credited in bylines.
#[derive(Debug, Clone)]
pub struct ImportedPerson {
    /// The source's login (WordPress) or id (Ghost).
    pub source_id: String,
    pub name: String,
}

/// A person for `person`: the one made by an earlier run, else one of the same name at the
/// slug their name makes, else a new one (`-2`, `-3` … when the slug is someone else's).
/// Returns the person's slug.
pub async fn import_person(
    tx: &mut sqlx::PgConnection,
    source: &str,
    imported: &ImportedPerson,
) -> Result<(String, Outcome, Option<ChangeEvent>), AppError> {
    if let Some(found) = db::imports::find(&mut *tx, source, "author", &imported.source_id).await?
        && let Some(id) = found.person_id
        && let Some(slug) = db::imports::person_slug(&mut *tx, id).await?
    {
        return Ok((slug, Outcome::Unchanged, None));
    }
    let name = clean_line(&imported.name)
        .trim()
        .chars()
        .take(person::limits::NAME_CHARS)
        .collect::<String>();
    let name = if name.is_empty() {
        imported.source_id.clone()
    } else {
        name
    };
    let base = person::slug_from_name(&name);
    let mut outcome = None;
    for n in 1..100u32 {
        let slug = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        if let Some(existing) = db::people::find_by_slug(&mut *tx, &slug).await? {
            if existing.name == name {
                outcome = Some((existing.id, existing.slug, false));
                break;
            }
            continue;
        }
        let row = db::people::PersonRow {
            slug: &slug,
            name: &name,
            credentials: "",
            bio_markdown: "",
            bio_html: "",
            photo: None,
            same_as: &[],
        };
        if let Some(created) = db::people::insert(&mut *tx, &row, crate::service::now()).await? {
            outcome = Some((created.id, created.slug, true));
            break;
        }
    }
    let Some((id, slug, created)) = outcome else {
        return Err(AppError::field("author", "no free slug for this name"));
    };
    let target = db::imports::SourceRow {
        article_id: None,
        topic_id: None,
        person_id: Some(id),
        media_id: None,
        fingerprint: String::new(),
    };
    db::imports::record(&mut *tx, source, "author", &imported.source_id, &target).await?;
    if !created {
        return Ok((slug, Outcome::Unchanged, None));
    }
    db::audit::record(
        &mut *tx,
        None,
        "person.create",
        "person",
        Some(id),
        serde_json::json!({ "slug": slug, "source": source }),
    )
    .await?;
    let event = ChangeEvent::person("person.create", vec![slug.clone()]);
    events::emit(&mut *tx, &event).await?;
    Ok((slug, Outcome::Created, Some(event)))
}

/// A post, as a story.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportedStory {
    pub source_id: String,
    pub title: String,
    /// A valid Dateline slug, or empty to derive one from the title.
    pub slug: String,
    pub dek: String,
    pub body_markdown: String,
    pub status: crate::domain::article::ArticleStatus,
    #[serde(with = "time::serde::rfc3339::option")]
    pub published_at: Option<time::OffsetDateTime>,
    /// Topic slugs (as [`import_topic`] answered).
    pub topics: Vec<String>,
    /// Person slugs (as [`import_person`] answered).
    pub authors: Vec<String>,
    /// Old paths that answer 301 to the story (`/2019/05/a-study/`, `/?p=42`).
    pub redirects: Vec<String>,
    /// The featured image, when its file was imported (`--media-from`). Left out of the
    /// fingerprint when there is none, so stories imported before keep theirs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_image: Option<uuid::Uuid>,
}

impl ImportedStory {
    /// A hash of everything imported, so an unchanged item is known without rendering it.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest as _;
        let json = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(sha2::Sha256::digest(json))
    }
}

/// An attachment of the old site with its file (`--media-from`), as an image.
#[derive(Debug, Clone)]
pub struct ImportedImage {
    /// The source's id of the attachment (WordPress's post ID).
    pub source_id: String,
    pub filename: String,
    pub bytes: axum::body::Bytes,
    pub alt: String,
    pub caption: String,
}

impl ImportedImage {
    /// `<sha256 of the file>:<sha256 of the alt text and caption>`: which of the two changed.
    fn fingerprint(&self) -> String {
        use sha2::Digest as _;
        let text = sha2::Sha256::digest(format!("{}\u{0}{}", self.alt, self.caption));
        format!(
            "{}:{}",
            crate::media::store::hash(&self.bytes),
            hex::encode(text)
        )
    }
}

/// The image for `image`: the one made by an earlier run (its alt text and caption brought up
/// to date when they changed at the source; a changed file becomes a new image), else an image
/// already uploaded from the same bytes, else a new upload through [`super::media::store`]
/// with its renditions. Returns the image, or `None` in a dry run, which checks the file and
/// its text and writes nothing.
pub async fn import_image(
    pool: &sqlx::PgPool,
    blobs: &dyn crate::media::store::BlobStore,
    source: &str,
    image: &ImportedImage,
    dry_run: bool,
) -> Result<(Option<crate::domain::media::Media>, Outcome), AppError> {
    use crate::domain::media::{MediaText, check_text};
    let fingerprint = image.fingerprint();
    let text = MediaText {
        alt: Some(image.alt.clone()),
        decorative: Some(false),
        caption: Some(image.caption.clone()),
        credit: None,
    };
    let clean = check_text(&text, None).map_err(AppError::fields)?;
    let found = db::imports::find(pool, source, "attachment", &image.source_id).await?;
    let earlier = match found.and_then(|f| f.media_id.map(|id| (id, f.fingerprint))) {
        Some((id, old)) => db::media::find(pool, id).await?.map(|m| (m, old)),
        None => None,
    };
    let record = |media_id| db::imports::SourceRow {
        article_id: None,
        topic_id: None,
        person_id: None,
        media_id: Some(media_id),
        fingerprint: fingerprint.clone(),
    };
    if let Some((media, old)) = earlier {
        if old == fingerprint {
            return Ok((Some(media), Outcome::Unchanged));
        }
        let same_file = old.split(':').next() == fingerprint.split(':').next();
        if same_file {
            if dry_run {
                return Ok((None, Outcome::Updated));
            }
            let mut tx = pool.begin().await?;
            db::media::update_text(&mut *tx, media.id, &clean).await?;
            db::audit::record(
                &mut *tx,
                None,
                "media.update",
                "media",
                Some(media.id),
                serde_json::json!({ "source": source, "source_id": image.source_id }),
            )
            .await?;
            db::imports::record(
                &mut *tx,
                source,
                "attachment",
                &image.source_id,
                &record(media.id),
            )
            .await?;
            let event = ChangeEvent::media("media.update", media.id);
            events::emit(&mut tx, &event).await?;
            let updated = db::media::find(&mut *tx, media.id)
                .await?
                .ok_or(AppError::NotFound)?;
            tx.commit().await?;
            return Ok((Some(updated), Outcome::Updated));
        }
        // A new file for the same attachment: a new image; the old one stays in the library.
        let made = upload(pool, blobs, source, image, dry_run, &record).await?;
        return Ok((made, Outcome::Updated));
    }
    let made = upload(pool, blobs, source, image, dry_run, &record).await?;
    Ok((made, Outcome::Created))
}

/// Stores `image` (or finds the image of the same bytes) and records what it became.
async fn upload(
    pool: &sqlx::PgPool,
    blobs: &dyn crate::media::store::BlobStore,
    source: &str,
    image: &ImportedImage,
    dry_run: bool,
    record: &dyn Fn(uuid::Uuid) -> db::imports::SourceRow,
) -> Result<Option<crate::domain::media::Media>, AppError> {
    if dry_run {
        // What an upload would refuse, without decoding the whole image.
        crate::media::process::inspect(&image.bytes)?;
        return Ok(None);
    }
    let hash = crate::media::store::hash(&image.bytes);
    let id = match db::media::find_by_original(pool, &hash).await? {
        Some(id) => id,
        None => {
            let upload = super::media::Upload {
                bytes: image.bytes.clone(),
                filename: image.filename.clone(),
                text: crate::domain::media::MediaText {
                    alt: Some(image.alt.clone()),
                    decorative: Some(false),
                    caption: Some(image.caption.clone()),
                    credit: None,
                },
            };
            super::media::store(pool, blobs, None, upload)
                .await?
                .value
                .id
        }
    };
    db::imports::record(pool, source, "attachment", &image.source_id, &record(id)).await?;
    Ok(db::media::find(pool, id).await?)
}

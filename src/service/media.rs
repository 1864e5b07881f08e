//! Images: upload (checked, made into renditions once, stored by hash), what editors say of
//! them, and deletion while unused by anything public. The API and the admin UI both go through
//! here.

use std::sync::LazyLock;

use axum::body::Bytes;
use sqlx::PgPool;
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::db;
use crate::db::events;
use crate::db::media::{RenditionRow, Use};
use crate::domain::events::{ChangeEvent, Committed};
use crate::domain::media::{self, CleanText, Media, MediaText};
use crate::domain::policy::{Action, Actor};
use crate::error::AppError;
use crate::media::process::{self, Refusal};
use crate::media::store::{self, BlobStore};

/// One image decoded at a time per instance: a 50-megapixel decode takes about 200 MB, and two
/// cores are kept busy by one (its encodes run on two threads).
static PROCESSING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(1));

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Unsupported => AppError::UnsupportedImage,
            Refusal::TooLarge => AppError::PayloadTooLarge,
            Refusal::TooManyPixels { .. } => AppError::field(
                "file",
                format!("{refusal}: send an image of at most 50 megapixels"),
            ),
            Refusal::Unreadable(_) => AppError::field(
                "file",
                "could not be read as an image (damaged or truncated?)",
            ),
        }
    }
}

/// An upload as received.
#[derive(Debug, Clone)]
pub struct Upload {
    pub bytes: Bytes,
    pub filename: String,
    pub text: MediaText,
}

/// Takes an image: checks what it says and what it is (by its bytes, its header first), makes
/// its renditions (or reuses those of the same bytes uploaded before) and stores it.
pub async fn upload(
    pool: &PgPool,
    blobs: &dyn BlobStore,
    actor: Actor,
    upload: Upload,
) -> Result<Committed<Media>, AppError> {
    super::require(actor, Action::UploadMedia)?;
    store(pool, blobs, Some(actor.id), upload).await
}

/// [`upload`] without an actor's check (the demo loader); `created_by` is who uploaded it.
pub async fn store(
    pool: &PgPool,
    blobs: &dyn BlobStore,
    created_by: Option<Uuid>,
    upload: Upload,
) -> Result<Committed<Media>, AppError> {
    let text = media::check_text(&upload.text, None);
    if upload.bytes.is_empty() {
        let mut errors = vec![("file", "is required: choose an image".to_owned())];
        errors.extend(text.err().unwrap_or_default());
        return Err(AppError::fields(errors));
    }
    let text = text.map_err(AppError::fields)?;
    let inspected = process::inspect(&upload.bytes)?;
    let original_hash = store::hash(&upload.bytes);
    let (width, height, renditions) =
        match db::media::renditions_of_original(pool, &original_hash).await? {
            Some(made) => made,
            None => make_renditions(blobs, &upload.bytes, inspected).await?,
        };
    blobs.put(&original_hash, &upload.bytes).await?;
    let id = Uuid::now_v7();
    let filename: String = crate::domain::text::clean_line(&upload.filename)
        .trim()
        .chars()
        .take(200)
        .collect();
    let mut tx = pool.begin().await?;
    db::media::insert(
        &mut tx,
        &db::media::NewMedia {
            id,
            original_hash: &original_hash,
            content_type: inspected.format.content_type(),
            width,
            height,
            alt: if text.decorative { "" } else { &text.alt },
            decorative: text.decorative,
            caption: &text.caption,
            credit: &text.credit,
            filename: &filename,
            created_by,
            created_at: crate::service::now(),
        },
        &renditions,
    )
    .await?;
    db::audit::record(
        &mut *tx,
        created_by,
        "media.upload",
        "media",
        Some(id),
        serde_json::json!({ "filename": filename, "size": upload.bytes.len() }),
    )
    .await?;
    let made = db::media::find(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(Committed::quiet(made))
}

/// Decodes and encodes on a blocking thread, one image at a time, and stores the files.
async fn make_renditions(
    blobs: &dyn BlobStore,
    bytes: &Bytes,
    inspected: process::Inspected,
) -> Result<(i32, i32, Vec<RenditionRow>), AppError> {
    let _permit = PROCESSING
        .acquire()
        .await
        .map_err(|_| AppError::Unavailable)?;
    let input = bytes.clone();
    let processed = tokio::task::spawn_blocking(move || process::renditions(&input, &inspected))
        .await
        .map_err(|err| AppError::Internal(anyhow::anyhow!("image processing stopped: {err}")))??;
    let mut rows = Vec::with_capacity(processed.files.len());
    for file in &processed.files {
        let hash = store::hash(&file.bytes);
        blobs.put(&hash, &file.bytes).await?;
        rows.push(RenditionRow {
            width: i32::try_from(file.width).unwrap_or(i32::MAX),
            height: i32::try_from(file.height).unwrap_or(i32::MAX),
            content_type: file.format.content_type().to_owned(),
            hash,
        });
    }
    Ok((
        i32::try_from(processed.width).unwrap_or(i32::MAX),
        i32::try_from(processed.height).unwrap_or(i32::MAX),
        rows,
    ))
}

/// The image `id`; anyone signed in may see the library.
pub async fn get(pool: &PgPool, id: Uuid) -> Result<Media, AppError> {
    db::media::find(pool, id).await?.ok_or(AppError::NotFound)
}

/// Changes what an image says (alt text, decorative, caption, credit): editors and admins.
/// Pages showing it change at once.
pub async fn update(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    if_match: Option<i32>,
    text: MediaText,
) -> Result<Committed<Media>, AppError> {
    super::require(actor, Action::ManageMedia)?;
    let mut tx = pool.begin().await?;
    let version = db::media::lock(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let current = db::media::find(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(expected) = if_match
        && expected != version
    {
        let body = serde_json::to_value(&current).map_err(anyhow::Error::from)?;
        return Err(AppError::PreconditionFailed(Box::new(body), version));
    }
    let now = CleanText {
        alt: current.alt.clone(),
        decorative: current.decorative,
        caption: current.caption.clone(),
        credit: current.credit.clone(),
    };
    let mut clean = media::check_text(&text, Some(&now)).map_err(AppError::fields)?;
    if clean.decorative {
        clean.alt.clear();
    }
    db::media::update_text(&mut *tx, id, &clean).await?;
    db::audit::record(
        &mut *tx,
        Some(actor.id),
        "media.update",
        "media",
        Some(id),
        serde_json::json!({ "version": version + 1 }),
    )
    .await?;
    let event = ChangeEvent::media("media.update", id);
    events::emit(&mut tx, &event).await?;
    let updated = db::media::find(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(Committed::new(updated, vec![event]))
}

/// Where the image is used.
pub async fn usage(pool: &PgPool, id: Uuid) -> Result<Vec<Use>, AppError> {
    let mut conn = pool.acquire().await?;
    Ok(db::media::usage(&mut conn, id).await?)
}

/// Deletes an image (softly: its files stay served at their addresses), unless a published (or
/// scheduled) story or a person shows it (`409`, saying where). Drafts that use it keep the reference; a
/// publish asks for another image.
pub async fn delete(pool: &PgPool, actor: Actor, id: Uuid) -> Result<Committed<()>, AppError> {
    super::require(actor, Action::ManageMedia)?;
    let mut tx = pool.begin().await?;
    db::media::lock(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let blocking: Vec<String> = db::media::usage(&mut tx, id)
        .await?
        .into_iter()
        .filter_map(|place| match place {
            Use::Story {
                title,
                published: true,
                ..
            } => Some(format!(
                "the story “{title}”, which readers see or will at its hour"
            )),
            Use::Person { name, .. } => Some(format!("{name}'s photo")),
            Use::Story { .. } => None,
        })
        .collect();
    if !blocking.is_empty() {
        return Err(AppError::Conflict(format!(
            "the image is used by {}; replace it there first",
            blocking.join(", ")
        )));
    }
    db::media::soft_delete(&mut *tx, id).await?;
    db::audit::record(
        &mut *tx,
        Some(actor.id),
        "media.delete",
        "media",
        Some(id),
        serde_json::json!({}),
    )
    .await?;
    let event = ChangeEvent::media("media.delete", id);
    events::emit(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(Committed::new((), vec![event]))
}

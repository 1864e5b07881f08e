//! Importing other systems' sites (CONTRACT §11): `dateline import wordpress|ghost FILE`. The file is
//! read twice as a stream ([`wordpress::WxrReader`]): once to check all of it and count its
//! items (a broken or foreign file writes nothing), then to import. [`content`] turns post
//! bodies into Markdown; the rules live in `crate::domain::import`; every write goes through
//! the service layer (`crate::service::import`, `crate::service::articles::import`), one
//! transaction per item, so a bad item is reported and skipped without losing the rest. A dry
//! run does the same in one transaction that it rolls back.

pub mod content;
pub mod ghost;
pub mod wordpress;

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use sqlx::{PgPool, Postgres, Transaction};

use crate::error::AppError;
use crate::service::import::Outcome;

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub imported: usize,
    pub updated: usize,
    /// Imported before and unchanged since.
    pub unchanged: usize,
    /// What was skipped (`post 12 "Title"`) and why.
    pub skipped: Vec<(String, String)>,
    pub topics_added: usize,
    pub people_added: usize,
    /// Images from `--media-from`: new, brought up to date, found as they were.
    pub images_imported: usize,
    pub images_updated: usize,
    pub images_unchanged: usize,
    pub dry_run: bool,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "imported {}, updated {}, skipped {}",
            self.imported,
            self.updated,
            self.skipped.len()
        )?;
        writeln!(
            f,
            "unchanged {}; topics added {}, people added {}{}",
            self.unchanged,
            self.topics_added,
            self.people_added,
            if self.dry_run {
                " (dry run: nothing was written)"
            } else {
                ""
            }
        )?;
        let images = self.images_imported + self.images_updated + self.images_unchanged;
        if images > 0 {
            writeln!(
                f,
                "images: imported {}, updated {}, unchanged {}",
                self.images_imported, self.images_updated, self.images_unchanged
            )?;
        }
        for (what, why) in &self.skipped {
            writeln!(f, "skipped {what}: {why}")?;
        }
        Ok(())
    }
}

/// An error of one item, as its skip reason.
fn reason(err: AppError) -> String {
    match err {
        AppError::Validation(errors) | AppError::FieldConflict(errors) => errors
            .iter()
            .map(|e| format!("{} {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        AppError::Conflict(message) => message,
        other => other.to_string(),
    }
}

/// A title short enough for a line of the summary.
fn short(title: &str) -> String {
    if title.chars().count() <= 60 {
        title.to_owned()
    } else {
        format!("{}…", title.chars().take(59).collect::<String>())
    }
}

/// One item's transaction: its own, or a savepoint of the dry run's.
async fn begin<'a>(
    pool: &PgPool,
    dry_run: &'a mut Option<Transaction<'static, Postgres>>,
) -> sqlx::Result<Transaction<'a, Postgres>> {
    match dry_run {
        Some(outer) => sqlx::Connection::begin(&mut **outer).await,
        None => pool.begin().await,
    }
}

/// A progress bar on standard error (hidden when it is not a terminal), counting `unit`s.
fn progress(total: u64, what: &str, unit: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{prefix}} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{per_sec}}, {{eta}} left)"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_prefix(format!("importing {what}"));
    bar
}

/// Counts a story's outcome, committing its transaction, or records why it was skipped
/// (dropping the transaction rolls the item back; the others stay).
async fn count(
    summary: &mut Summary,
    tx: Transaction<'_, Postgres>,
    result: Result<(Outcome, Option<crate::domain::events::ChangeEvent>), AppError>,
    what: String,
) -> sqlx::Result<()> {
    match result {
        Ok((outcome, _)) => {
            tx.commit().await?;
            match outcome {
                Outcome::Created => summary.imported += 1,
                Outcome::Updated => summary.updated += 1,
                Outcome::Unchanged => summary.unchanged += 1,
            }
        }
        Err(err) => summary.skipped.push((what, reason(err))),
    }
    Ok(())
}

/// `dateline import ghost FILE [--dry-run]`. Ghost's ids are unique across sites, so the
/// source is just `ghost`.
pub async fn ghost(pool: &PgPool, path: &Path, dry_run: bool) -> anyhow::Result<Summary> {
    // First pass: the whole file checked, posts counted, the small tables kept.
    let site = ghost::read_site(std::fs::File::open(path).map_err(ghost::GhostError::from)?)?;
    let mut summary = Summary {
        dry_run,
        ..Summary::default()
    };
    let mut outer = if dry_run {
        Some(pool.begin().await?)
    } else {
        None
    };
    let source = "ghost";
    let mut topics: HashMap<String, String> = HashMap::new();
    for tag in &site.tags {
        let Some(topic) = ghost::topic(tag) else {
            continue;
        };
        let mut tx = begin(pool, &mut outer).await?;
        match crate::service::import::import_topic(&mut tx, source, &topic).await {
            Ok((slug, outcome, _)) => {
                tx.commit().await?;
                summary.topics_added += usize::from(outcome == Outcome::Created);
                topics.insert(tag.id.clone(), slug);
            }
            Err(err) => summary
                .skipped
                .push((format!("tag {:?}", tag.name), reason(err))),
        }
    }
    let mut people: HashMap<String, String> = HashMap::new();
    for user in &site.users {
        let mut tx = begin(pool, &mut outer).await?;
        match crate::service::import::import_person(&mut tx, source, &ghost::person(user)).await {
            Ok((slug, outcome, _)) => {
                tx.commit().await?;
                summary.people_added += usize::from(outcome == Outcome::Created);
                people.insert(user.id.clone(), slug);
            }
            Err(err) => summary
                .skipped
                .push((format!("author {:?}", user.name), reason(err))),
        }
    }
    // Second pass: posts read on a blocking thread, imported here as they come.
    let (sender, mut posts) = tokio::sync::mpsc::channel::<ghost::GhostPost>(32);
    let file = std::fs::File::open(path)?;
    let reading = tokio::task::spawn_blocking(move || {
        ghost::read_posts(file, move |post| sender.blocking_send(post).is_ok())
    });
    let bar = progress(site.posts, "Ghost", "posts");
    let now = crate::service::now();
    while let Some(post) = posts.recv().await {
        bar.inc(1);
        let title = post.title.as_deref().unwrap_or_default().trim().to_owned();
        let what = format!("post {} {:?}", post.id, short(&title));
        let story = match ghost::post_story(&post, &site, &topics, &people, now) {
            Ok(story) => story,
            Err(why) => {
                summary.skipped.push((what, why));
                continue;
            }
        };
        let label = format!("Ghost (post {})", post.id);
        let mut tx = begin(pool, &mut outer).await?;
        let result =
            crate::service::articles::import::import_story(&mut tx, source, &story, &label).await;
        count(&mut summary, tx, result, what).await?;
    }
    reading.await??;
    bar.finish_and_clear();
    if let Some(outer) = outer {
        outer.rollback().await?;
    }
    Ok(summary)
}

/// `dateline import wordpress FILE [--dry-run] [--media-from DIR]`. With `media_from` (a copy
/// of the old site's `wp-content/uploads/`), the attachments' image files are imported first,
/// with their alt text, and bodies and featured images point at them.
pub async fn wordpress(
    pool: &PgPool,
    path: &Path,
    dry_run: bool,
    media_from: Option<&Path>,
) -> anyhow::Result<Summary> {
    use wordpress::{WxrEvent, WxrReader};
    if let Some(dir) = media_from
        && !dir.is_dir()
    {
        anyhow::bail!("--media-from {}: not a folder", dir.display());
    }
    // First pass: all of the file must be a readable export before anything is written. The
    // attachments (small: ids, file names, alt text) are kept when their files are imported.
    let mut total = 0u64;
    let mut attachments = Vec::new();
    let mut site = String::from("unknown site");
    let mut source = String::from("wordpress");
    let mut check = WxrReader::open(path)?;
    while let Some(event) = check.next_event()? {
        match event {
            WxrEvent::Site(url) => {
                site = url.trim_end_matches('/').to_owned();
                source = format!("wordpress:{site}");
            }
            WxrEvent::Item(item) => {
                total += 1;
                if media_from.is_some()
                    && let Some(attachment) = wordpress::attachment(&item)
                {
                    attachments.push((item.post_id.clone(), item.title.clone(), attachment));
                }
            }
            _ => {}
        }
    }
    drop(check);

    let mut summary = Summary {
        dry_run,
        ..Summary::default()
    };
    let mut outer = if dry_run {
        Some(pool.begin().await?)
    } else {
        None
    };
    let mut media = wordpress::ImportedMedia::default();
    if let Some(dir) = media_from {
        import_uploads(
            pool,
            dir,
            &source,
            attachments,
            dry_run,
            &mut summary,
            &mut media,
        )
        .await?;
    }
    let bar = progress(total, "WordPress", "posts");
    let mut topics: HashMap<String, String> = HashMap::new();
    let mut people: HashMap<String, String> = HashMap::new();
    let now = crate::service::now();
    let mut reader = WxrReader::open(path)?;
    while let Some(event) = reader.next_event()? {
        match event {
            WxrEvent::Site(_) => {}
            WxrEvent::Term(topic) => {
                if topic
                    .source_id
                    .ends_with(&format!(":{}", wordpress::DEFAULT_CATEGORY))
                {
                    continue;
                }
                let mut tx = begin(pool, &mut outer).await?;
                match crate::service::import::import_topic(&mut tx, &source, &topic).await {
                    Ok((slug, outcome, _)) => {
                        tx.commit().await?;
                        summary.topics_added += usize::from(outcome == Outcome::Created);
                        topics.insert(topic.source_id.clone(), slug);
                    }
                    Err(err) => summary
                        .skipped
                        .push((format!("topic {:?}", topic.name), reason(err))),
                }
            }
            WxrEvent::Author(person) => {
                let mut tx = begin(pool, &mut outer).await?;
                match crate::service::import::import_person(&mut tx, &source, &person).await {
                    Ok((slug, outcome, _)) => {
                        tx.commit().await?;
                        summary.people_added += usize::from(outcome == Outcome::Created);
                        people.insert(person.source_id.clone(), slug);
                    }
                    Err(err) => summary
                        .skipped
                        .push((format!("author {:?}", person.source_id), reason(err))),
                }
            }
            WxrEvent::Item(item) => {
                bar.inc(1);
                if media_from.is_some() && item.post_type == "attachment" {
                    // Counted with the images.
                    continue;
                }
                let what = format!("post {} {:?}", item.post_id, short(item.title.trim()));
                let story = match wordpress::post_story(&item, &topics, &people, &media, now) {
                    Ok(story) => story,
                    Err(why) => {
                        summary.skipped.push((what, why));
                        continue;
                    }
                };
                let label = format!("WordPress ({site}, post {})", item.post_id);
                let mut tx = begin(pool, &mut outer).await?;
                let result = crate::service::articles::import::import_story(
                    &mut tx, &source, &story, &label,
                )
                .await;
                count(&mut summary, tx, result, what).await?;
            }
        }
    }
    bar.finish_and_clear();
    if let Some(outer) = outer {
        outer.rollback().await?;
    }
    Ok(summary)
}
pub mod sample;

/// The attachments' files from `dir`, each imported as an image (its own transaction), into
/// `media` for the posts; what was skipped, and why, into `summary`.
async fn import_uploads(
    pool: &PgPool,
    dir: &Path,
    source: &str,
    attachments: Vec<(String, String, Result<wordpress::WxrAttachment, String>)>,
    dry_run: bool,
    summary: &mut Summary,
    media: &mut wordpress::ImportedMedia,
) -> anyhow::Result<()> {
    let blobs = crate::media::store::PgBlobs::new(pool.clone());
    let bar = progress(attachments.len() as u64, "the uploads folder", "images");
    for (id, title, attachment) in attachments {
        bar.inc(1);
        let what = format!("attachment {id} {:?}", short(title.trim()));
        let attachment = match attachment {
            Ok(attachment) => attachment,
            Err(why) => {
                summary.skipped.push((what, why));
                continue;
            }
        };
        let file = dir.join(&attachment.file);
        let bytes = match tokio::fs::read(&file).await {
            Ok(bytes) => bytes,
            Err(err) => {
                let why = if err.kind() == std::io::ErrorKind::NotFound {
                    format!("{} is not in {}", attachment.file, dir.display())
                } else {
                    format!("cannot read {}: {err}", file.display())
                };
                summary.skipped.push((what, why));
                continue;
            }
        };
        let image = crate::service::import::ImportedImage {
            source_id: attachment.post_id.clone(),
            filename: attachment
                .file
                .rsplit('/')
                .next()
                .unwrap_or(&attachment.file)
                .to_owned(),
            bytes: bytes.into(),
            alt: attachment.alt.clone(),
            caption: attachment.caption.clone(),
        };
        match crate::service::import::import_image(pool, &blobs, source, &image, dry_run).await {
            Ok((made, outcome)) => {
                match outcome {
                    Outcome::Created => summary.images_imported += 1,
                    Outcome::Updated => summary.images_updated += 1,
                    Outcome::Unchanged => summary.images_unchanged += 1,
                }
                if let Some(made) = made {
                    let alt = made.alt_text().to_owned();
                    media
                        .by_file
                        .insert(attachment.file.clone(), (made.body_url().to_owned(), alt));
                    media
                        .by_attachment
                        .insert(attachment.post_id.clone(), made.id);
                }
            }
            Err(err) => summary.skipped.push((what, reason(err))),
        }
    }
    bar.finish_and_clear();
    Ok(())
}

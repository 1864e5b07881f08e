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
}

impl ImportedStory {
    /// A hash of everything imported, so an unchanged item is known without rendering it.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest as _;
        let json = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(sha2::Sha256::digest(json))
    }
}

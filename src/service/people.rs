//! People credited on stories: add, change and delete, each with its rules, an audit entry and
//! a change event (their name shows on their stories' pages). The API and the admin UI both go
//! through here.

use sqlx::PgPool;

use crate::db;
use crate::db::events;
use crate::domain::events::{ChangeEvent, Committed};
use crate::domain::markdown;
use crate::domain::person::{self, Person, PersonChanges};
use crate::domain::policy::{Action, Actor};
use crate::error::{AppError, FieldError};

fn require(actor: Actor) -> Result<(), AppError> {
    super::require(actor, Action::ManagePeople)
}

fn checked(changes: &PersonChanges) -> Result<person::CleanPerson, AppError> {
    person::check(changes).map_err(AppError::fields)
}

/// A photo must be an image of the library.
async fn check_photo(pool: &PgPool, photo: Option<Option<uuid::Uuid>>) -> Result<(), AppError> {
    if let Some(Some(id)) = photo
        && !db::media::exists(pool, id).await?
    {
        return Err(AppError::field(
            "photo",
            "is not an image of the library (or it was deleted)",
        ));
    }
    Ok(())
}

fn taken() -> AppError {
    AppError::FieldConflict(vec![FieldError::new(
        "slug",
        "is already used by another person",
    )])
}

/// Adds a person; the slug is made from the name when absent. A slug someone holds is a `409`.
pub async fn create(
    pool: &PgPool,
    actor: Actor,
    changes: PersonChanges,
) -> Result<Committed<Person>, AppError> {
    require(actor)?;
    let mut errors = Vec::new();
    if changes.name.is_none() {
        errors.push(FieldError::new("name", "is required"));
    }
    let clean = match checked(&changes) {
        Ok(clean) => clean,
        Err(AppError::Validation(more)) => {
            errors.extend(more);
            return Err(AppError::Validation(errors));
        }
        Err(other) => return Err(other),
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    check_photo(pool, changes.photo).await?;
    let name = clean.name.unwrap_or_default();
    let slug = clean.slug.unwrap_or_else(|| person::slug_from_name(&name));
    let bio = clean.bio.unwrap_or_default();
    let bio_html = markdown::render(&bio).into_string();
    let same_as = clean.same_as.unwrap_or_default();
    let mut tx = pool.begin().await?;
    let created = db::people::insert(
        &mut *tx,
        &db::people::PersonRow {
            slug: &slug,
            name: &name,
            credentials: clean.credentials.as_deref().unwrap_or_default(),
            bio_markdown: &bio,
            bio_html: &bio_html,
            photo: changes.photo.flatten(),
            same_as: &same_as,
        },
        crate::service::now(),
    )
    .await?
    .ok_or_else(taken)?;
    db::audit::record(
        &mut *tx,
        Some(actor.id),
        "person.create",
        "person",
        Some(created.id),
        serde_json::json!({ "slug": created.slug }),
    )
    .await?;
    // The sitemap lists their page on every instance.
    let event = ChangeEvent::person("person.create", vec![created.slug.clone()]);
    events::emit(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(Committed::new(created, vec![event]))
}

/// Changes a person (absent fields stay), guarded by their version when `if_match` is given.
pub async fn update(
    pool: &PgPool,
    actor: Actor,
    slug: &str,
    if_match: Option<i32>,
    changes: PersonChanges,
) -> Result<Committed<Person>, AppError> {
    require(actor)?;
    let mut tx = pool.begin().await?;
    let current = db::people::lock(&mut tx, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(expected) = if_match
        && expected != current.version
    {
        let body = serde_json::to_value(&current).map_err(anyhow::Error::from)?;
        return Err(AppError::PreconditionFailed(
            Box::new(body),
            current.version,
        ));
    }
    let clean = checked(&changes)?;
    check_photo(pool, changes.photo).await?;
    let new_slug = clean.slug.unwrap_or_else(|| current.slug.clone());
    if new_slug != current.slug && db::people::slug_taken(&mut *tx, &new_slug, current.id).await? {
        return Err(taken());
    }
    let bio = clean.bio.unwrap_or_else(|| current.bio.clone());
    let bio_html = if bio == current.bio {
        current.bio_html.clone()
    } else {
        markdown::render(&bio).into_string()
    };
    let photo = changes.photo.unwrap_or(current.photo);
    let same_as = clean.same_as.unwrap_or_else(|| current.same_as.clone());
    let updated = db::people::update(
        &mut *tx,
        current.id,
        &db::people::PersonRow {
            slug: &new_slug,
            name: clean.name.as_deref().unwrap_or(&current.name),
            credentials: clean.credentials.as_deref().unwrap_or(&current.credentials),
            bio_markdown: &bio,
            bio_html: &bio_html,
            photo,
            same_as: &same_as,
        },
        crate::service::now(),
    )
    .await?;
    db::audit::record(
        &mut *tx,
        Some(actor.id),
        "person.update",
        "person",
        Some(updated.id),
        serde_json::json!({ "slug": updated.slug, "version": updated.version }),
    )
    .await?;
    let mut slugs = vec![current.slug.clone()];
    if updated.slug != current.slug {
        slugs.push(updated.slug.clone());
    }
    let event = ChangeEvent::person("person.update", slugs);
    events::emit(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(Committed::new(updated, vec![event]))
}

/// Deletes a person (softly: old revisions still name them). Someone credited on any story,
/// deleted stories included, is a `409`: change those stories first.
pub async fn delete(pool: &PgPool, actor: Actor, slug: &str) -> Result<Committed<()>, AppError> {
    require(actor)?;
    let mut tx = pool.begin().await?;
    let current = db::people::lock(&mut tx, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let credited = db::people::credited_count(&mut *tx, current.id).await?;
    if credited > 0 {
        return Err(AppError::Conflict(format!(
            "{} is credited on {credited} {} (as an author or the reviewer); take them off \
             first",
            current.name,
            if credited == 1 { "story" } else { "stories" }
        )));
    }
    db::people::soft_delete(&mut *tx, current.id).await?;
    db::audit::record(
        &mut *tx,
        Some(actor.id),
        "person.delete",
        "person",
        Some(current.id),
        serde_json::json!({ "slug": current.slug }),
    )
    .await?;
    let event = ChangeEvent::person("person.delete", vec![current.slug]);
    events::emit(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(Committed::new((), vec![event]))
}

/// The person at `slug`; anyone signed in may read people.
pub async fn get(pool: &PgPool, slug: &str) -> Result<Person, AppError> {
    db::people::find_by_slug(pool, slug)
        .await?
        .ok_or(AppError::NotFound)
}

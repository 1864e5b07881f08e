//! Topics: create and change, with their rules and an audit entry. The API and the admin UI
//! both go through here.

use sqlx::PgPool;

use crate::db;
use crate::db::events;
use crate::db::topics::Topic;
use crate::domain::events::ChangeEvent;
use crate::domain::policy::{Action, Actor, can};
use crate::domain::slug::Slug;
use crate::domain::text::{clean_block, clean_line};
use crate::error::{AppError, FieldError};

fn check(
    slug: Option<&str>,
    name: Option<&str>,
    description: Option<&str>,
) -> Result<(), AppError> {
    let mut errors = Vec::new();
    if let Some(slug) = slug
        && let Err(err) = Slug::parse(slug)
    {
        errors.push(FieldError::new("slug", err.to_string()));
    }
    if let Some(name) = name {
        let n = name.trim().chars().count();
        if n == 0 || n > 120 {
            errors.push(FieldError::new("name", "must be 1 to 120 characters"));
        }
    }
    if description.is_some_and(|d| d.chars().count() > 2000) {
        errors.push(FieldError::new(
            "description",
            "must be at most 2000 characters",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

fn require(actor: Actor) -> Result<(), AppError> {
    if can(actor, Action::ManageTopics, None) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Creates a topic; the slug is made from the name when absent.
pub async fn create(
    pool: &PgPool,
    actor: Actor,
    slug: Option<String>,
    name: Option<&str>,
    description: Option<&str>,
) -> Result<Topic, AppError> {
    require(actor)?;
    let name = name.map(clean_line).unwrap_or_default().trim().to_owned();
    if name.is_empty() {
        return Err(AppError::field("name", "is required"));
    }
    let slug = match slug.filter(|s| !s.trim().is_empty()) {
        Some(slug) => slug,
        None => Slug::from_title(&name)
            .map(|s| s.to_string())
            .ok_or(AppError::field("slug", "is required"))?,
    };
    let description = description.map(clean_block).unwrap_or_default();
    let description = description.as_ref();
    check(Some(&slug), Some(&name), Some(description))?;
    let mut tx = pool.begin().await?;
    if !db::topics::insert_if_absent(&mut *tx, &slug, &name, description.trim()).await? {
        return Err(AppError::field("slug", "is already used by another topic"));
    }
    db::audit::record(
        &mut *tx,
        Some(actor.id),
        "topic.create",
        "topic",
        None,
        serde_json::json!({ "slug": slug }),
    )
    .await?;
    // The topic index lists it on every instance.
    events::emit(
        &mut tx,
        &ChangeEvent::topic("topic.create", vec![slug.clone()]),
    )
    .await?;
    tx.commit().await?;
    db::topics::find_by_slug(pool, &slug)
        .await?
        .ok_or(AppError::NotFound)
}

/// Changes a topic's slug, name or description (absent ones stay).
pub async fn update(
    pool: &PgPool,
    actor: Actor,
    slug: &str,
    new_slug: Option<String>,
    name: Option<String>,
    description: Option<String>,
) -> Result<Topic, AppError> {
    require(actor)?;
    let name = name.map(|n| clean_line(&n).into_owned());
    let description = description.map(|d| clean_block(&d).into_owned());
    let current = db::topics::find_by_slug(pool, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    check(new_slug.as_deref(), name.as_deref(), description.as_deref())?;
    let new_slug = new_slug.unwrap_or(current.slug);
    let name = name.map(|n| n.trim().to_owned()).unwrap_or(current.name);
    let description = description
        .map(|d| d.trim().to_owned())
        .unwrap_or(current.description);
    let mut tx = pool.begin().await?;
    let topic = db::topics::update(&mut *tx, slug, &new_slug, &name, &description)
        .await?
        .ok_or(AppError::NotFound)?;
    db::audit::record(
        &mut *tx,
        Some(actor.id),
        "topic.update",
        "topic",
        Some(topic.id),
        serde_json::json!({ "slug": new_slug }),
    )
    .await?;
    // Its name shows on its stories' pages, on every instance: they hear it at commit.
    let mut slugs = vec![slug.to_owned()];
    if new_slug != slug {
        slugs.push(new_slug);
    }
    events::emit(&mut tx, &ChangeEvent::topic("topic.update", slugs)).await?;
    tx.commit().await?;
    Ok(topic)
}

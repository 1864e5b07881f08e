//! Topics: create and change, with their rules and an audit entry. The API and the admin UI
//! both go through here.

use sqlx::PgPool;

use crate::db;
use crate::db::events;
use crate::db::topics::Topic;
use crate::domain::article::limits;
use crate::domain::events::{ChangeEvent, Committed};
use crate::domain::policy::{Action, Actor};
use crate::domain::slug::Slug;
use crate::domain::text::{clean_block, clean_line, has_visible};
use crate::error::{AppError, FieldError};

/// Checks the fields as sent (lengths as the OpenAPI document states them); they are cleaned
/// and trimmed after.
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
    if let Some(name) = name
        && (!has_visible(name) || name.chars().count() > limits::TOPIC_NAME_CHARS)
    {
        errors.push(FieldError::new(
            "name",
            format!("must be 1 to {} characters", limits::TOPIC_NAME_CHARS),
        ));
    }
    if description.is_some_and(|d| d.chars().count() > limits::TOPIC_DESCRIPTION_CHARS) {
        errors.push(FieldError::new(
            "description",
            format!(
                "must be at most {} characters",
                limits::TOPIC_DESCRIPTION_CHARS
            ),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

fn require(actor: Actor) -> Result<(), AppError> {
    super::require(actor, Action::ManageTopics)
}

/// Creates a topic; the slug is made from the name when absent (`topic` when the name holds
/// nothing a slug can spell). A slug another topic holds is a `409`.
pub async fn create(
    pool: &PgPool,
    actor: Actor,
    slug: Option<String>,
    name: Option<&str>,
    description: Option<&str>,
) -> Result<Committed<Topic>, AppError> {
    require(actor)?;
    let Some(name) = name else {
        return Err(AppError::field("name", "is required"));
    };
    check(slug.as_deref(), Some(name), description)?;
    let name = clean_line(name).trim().to_owned();
    // A name with nothing a slug can spell (only punctuation, say) still makes a topic, as a
    // title without such characters still makes a story.
    let slug = slug.unwrap_or_else(|| {
        Slug::from_title(&name).map_or_else(|| "topic".to_owned(), |s| s.to_string())
    });
    let description = description.map(clean_block).unwrap_or_default();
    let mut tx = pool.begin().await?;
    if !db::topics::insert_if_absent(&mut *tx, &slug, &name, description.trim()).await? {
        return Err(AppError::FieldConflict(vec![FieldError::new(
            "slug",
            "is already used by another topic",
        )]));
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
    let event = ChangeEvent::topic("topic.create", vec![slug.clone()]);
    events::emit(&mut tx, &event).await?;
    tx.commit().await?;
    let topic = db::topics::find_by_slug(pool, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Committed::new(topic, vec![event]))
}

/// Changes a topic's slug, name or description (absent ones stay).
pub async fn update(
    pool: &PgPool,
    actor: Actor,
    slug: &str,
    new_slug: Option<String>,
    name: Option<String>,
    description: Option<String>,
) -> Result<Committed<Topic>, AppError> {
    require(actor)?;
    let current = db::topics::find_by_slug(pool, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    check(new_slug.as_deref(), name.as_deref(), description.as_deref())?;
    let name = name.map(|n| clean_line(&n).into_owned());
    let description = description.map(|d| clean_block(&d).into_owned());
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
    let event = ChangeEvent::topic("topic.update", slugs);
    events::emit(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(Committed::new(topic, vec![event]))
}

//! Creating and editing a story, and the editor's "save, then take this step" in one transaction.

use sqlx::PgPool;
use uuid::Uuid;

use super::access::{authorize, facts};
use super::doc::{ArticleChanges, ChangeMeta, TransitionOptions};
use super::lifecycle::transition_in;
use super::validate::{apply_changes, check_images, check_meta, derive_slug, same_content};
use super::write::{Before, lock_for, now, record_change, save};
use crate::db;
use crate::domain::article::{Article, ArticleStatus};
use crate::domain::events::{ChangeEvent, Committed};
use crate::domain::lifecycle::Transition;
use crate::domain::markdown;
use crate::domain::policy::{Action, Actor, can};
use crate::error::{AppError, FieldError};

/// Creates a draft (revision 1, described by `meta`: `minor` unless the client says otherwise).
pub async fn create(
    pool: &PgPool,
    actor: Actor,
    changes: ArticleChanges,
    meta: ChangeMeta,
) -> Result<Committed<Article>, AppError> {
    authorize(actor, Action::CreateArticle, None)?;
    check_meta(&meta)?;
    let title_missing = changes.title.is_none();
    let mut tx = pool.begin().await?;
    let created_at = now();
    let mut article = Article {
        id: Uuid::now_v7(),
        slug: String::new(),
        title: String::new(),
        dek: String::new(),
        body_markdown: String::new(),
        body_html: String::new(),
        status: ArticleStatus::Draft,
        published_at: None,
        updated_at: created_at,
        archived: false,
        archived_at: None,
        archive_reason: None,
        superseded_by: None,
        withdrawn_at: None,
        withdraw_reason: None,
        topics: Vec::new(),
        authors: Vec::new(),
        study: None,
        review: None,
        lead_image: None,
        seo_title: None,
        meta_description: None,
        version: 1,
        created_at,
        created_by: Some(actor.id),
        updated_by: Some(actor.id),
    };
    let explicit_slug = changes.slug.is_some();
    let applied = apply_changes(&mut tx, &mut article, changes).await;
    if title_missing {
        // Report the missing title together with every other field error.
        let mut errors = vec![FieldError::new("title", "is required")];
        if let Err(AppError::Validation(more)) = applied {
            errors.extend(more);
        }
        return Err(AppError::Validation(errors));
    }
    applied?;
    if !explicit_slug {
        article.slug = derive_slug(&mut tx, &article.title).await?;
    }
    if article.body_html.is_empty() {
        article.body_html = markdown::render(&article.body_markdown).into_string();
    }
    db::articles::insert(
        &mut tx,
        &db::articles::NewArticle {
            id: article.id,
            slug: &article.slug,
            title: &article.title,
            dek: &article.dek,
            body_markdown: &article.body_markdown,
            body_html: &article.body_html,
            status: article.status,
            published_at: None,
            updated_at: created_at,
            archived: false,
            archived_at: None,
            archive_reason: None,
            study: article.study.as_ref(),
            review: article.review.as_ref(),
            lead_image: article.lead_image,
            seo_title: article.seo_title.as_deref(),
            meta_description: article.meta_description.as_deref(),
            version: 1,
            created_at,
            created_by: Some(actor.id),
        },
    )
    .await?;
    let (doc, event) = record_change(&mut tx, Some(actor), article, None, "create", &meta).await?;
    tx.commit().await?;
    Ok(Committed::new(doc, vec![event]))
}

/// Edits a story's content (`PATCH`), guarded by its version.
pub async fn update(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    if_match: Option<i32>,
    changes: ArticleChanges,
    meta: ChangeMeta,
) -> Result<Committed<Article>, AppError> {
    check_meta(&meta)?;
    let mut tx = pool.begin().await?;
    let (doc, event) = update_in(&mut tx, actor, id, if_match, changes, &meta, false)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(Committed::new(doc, vec![event]))
}

/// [`update`] inside `tx`. With `only_if_changed`, a form that changes nothing writes nothing
/// (`None`).
pub(super) async fn update_in(
    tx: &mut sqlx::PgConnection,
    actor: Actor,
    id: Uuid,
    if_match: Option<i32>,
    changes: ArticleChanges,
    meta: &ChangeMeta,
    only_if_changed: bool,
) -> Result<Option<(Article, ChangeEvent)>, AppError> {
    let mut article = lock_for(tx, Some(actor), Action::EditArticle, id, if_match).await?;
    let (was, old_version) = (Before::of(&article), article.version);
    let unchanged = only_if_changed.then(|| article.clone());
    apply_changes(tx, &mut article, changes).await?;
    if let Some(unchanged) = unchanged
        && same_content(&unchanged, &article)
    {
        return Ok(None);
    }
    check_meta(meta)?;
    if matches!(
        article.status,
        ArticleStatus::Published | ArticleStatus::Scheduled
    ) {
        // What readers see (or will at its hour) keeps alt text on every image.
        check_images(tx, &article).await?;
    }
    if meta.kind.moves_updated_at() {
        article.updated_at = now();
    }
    if article.slug != was.slug {
        db::slug_history::record_previous_slug(tx, article.id, &was.slug).await?;
        db::slug_history::forget_previous_slug(tx, article.id, &article.slug).await?;
    }
    save(tx, &mut article, old_version, Some(actor.id)).await?;
    let changed = record_change(tx, Some(actor), article, Some(&was), "update", meta).await?;
    Ok(Some(changed))
}

/// The step a publishing button takes: a lifecycle transition now, an unpublish or archive
/// scheduled for later, or the cancelation of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Now(Transition),
    Later(super::later::Later, time::OffsetDateTime),
    Cancel(super::later::Later),
}

/// What a publishing button in the editor does: the form's text is saved first when it differs
/// from the story (a revision described by `meta`, guarded by the version the form was loaded
/// at), then the lifecycle step is taken, both in one transaction, so a story is never
/// published, scheduled or archived without the text its editor sees. Returns the story and
/// whether the text was saved.
#[allow(clippy::too_many_arguments)]
pub async fn save_and_transition(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    version: i32,
    changes: ArticleChanges,
    meta: ChangeMeta,
    step: Step,
    options: TransitionOptions,
) -> Result<Committed<(Article, bool)>, AppError> {
    let mut tx = pool.begin().await?;
    // The form's version must still be current, whether or not its text changed.
    let current = db::articles::lock(&mut tx, id, false)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut events = Vec::new();
    let saved = if can(actor, Action::EditArticle, Some(facts(&current))) {
        let saved = update_in(&mut tx, actor, id, Some(version), changes, &meta, true).await?;
        events.extend(saved.as_ref().map(|(_, event)| event.clone()));
        saved.is_some()
    } else {
        // Roles that may take this step but not edit (none today) act on the saved text.
        lock_for(&mut tx, Some(actor), Action::ViewArticle, id, Some(version)).await?;
        false
    };
    let (doc, event) = match step {
        Step::Now(transition) => {
            transition_in(&mut tx, Some(actor), id, transition, options, None).await?
        }
        Step::Later(later, at) => {
            super::later::schedule_in(&mut tx, actor, id, later, at, options, None).await?
        }
        Step::Cancel(later) => super::later::cancel_in(&mut tx, actor, id, later, None).await?,
    };
    tx.commit().await?;
    events.push(event);
    Ok(Committed::new((doc, saved), events))
}

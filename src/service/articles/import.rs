//! A story imported from another system, inside the caller's transaction: created with its
//! source's status and dateline (revision 1 naming the source), or, when the source's item
//! changed since the last run, updated as a new revision. Old paths answer 301 to it.

use super::doc::{ArticleChanges, ChangeMeta};
use super::validate::{apply_changes, check_images, derive_slug};
use super::write::{Before, now, record_change, save};
use crate::db;
use crate::domain::article::{Article, ArticleStatus, ChangeKind};
use crate::domain::events::ChangeEvent;
use crate::error::AppError;
use crate::service::import::{ImportedStory, Outcome};

/// Creates or updates the story of `story` (matched by `source` and its id). `label` names the
/// item in its revision's note: revision 1 says "Imported from {label}", an update
/// "Re-imported from {label}: changed at the source".
pub async fn import_story(
    tx: &mut sqlx::PgConnection,
    source: &str,
    story: &ImportedStory,
    label: &str,
) -> Result<(Outcome, Option<ChangeEvent>), AppError> {
    let fingerprint = story.fingerprint();
    let found = db::imports::find(&mut *tx, source, "post", &story.source_id).await?;
    let (outcome, doc, event) = match found.and_then(|f| f.article_id.map(|id| (id, f.fingerprint)))
    {
        Some((_, old)) if old == fingerprint => return Ok((Outcome::Unchanged, None)),
        Some((id, _)) => {
            let Some(article) = db::articles::lock(tx, id, false).await? else {
                // Deleted here since the last run: an import does not bring it back.
                return Err(AppError::Conflict(
                    "its story was deleted in Dateline since the last import".into(),
                ));
            };
            let note = format!("Re-imported from {label}: changed at the source");
            let (doc, event) = update(tx, article, story, &note).await?;
            (Outcome::Updated, doc, event)
        }
        None => {
            let (doc, event) = create(tx, story, &format!("Imported from {label}")).await?;
            (Outcome::Created, doc, event)
        }
    };
    for path in &story.redirects {
        db::imports::set_redirect(&mut *tx, path, doc.id).await?;
    }
    let target = db::imports::SourceRow {
        article_id: Some(doc.id),
        topic_id: None,
        person_id: None,
        media_id: None,
        fingerprint,
    };
    db::imports::record(&mut *tx, source, "post", &story.source_id, &target).await?;
    Ok((outcome, Some(event)))
}

fn changes(story: &ImportedStory) -> ArticleChanges {
    ArticleChanges {
        title: Some(story.title.clone()),
        dek: Some(story.dek.clone()),
        body_markdown: Some(story.body_markdown.clone()),
        topics: Some(story.topics.clone()),
        authors: Some(story.authors.clone()),
        // A featured image only sets the lead image: one chosen in Dateline is not taken away.
        lead_image: story.lead_image.map(Some),
        ..ArticleChanges::default()
    }
}

async fn create(
    tx: &mut sqlx::PgConnection,
    story: &ImportedStory,
    note: &str,
) -> Result<(Article, ChangeEvent), AppError> {
    let created_at = now();
    let mut article = Article {
        id: uuid::Uuid::now_v7(),
        slug: String::new(),
        title: String::new(),
        dek: String::new(),
        body_markdown: String::new(),
        body_html: String::new(),
        status: story.status,
        published_at: story.published_at,
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
        created_by: None,
        updated_by: None,
    };
    apply_changes(tx, &mut article, changes(story)).await?;
    // The source's slug when free, else the next free one after it.
    let wanted = if story.slug.is_empty() {
        &article.title
    } else {
        &story.slug
    };
    article.slug = derive_slug(tx, wanted).await?;
    if matches!(
        story.status,
        ArticleStatus::Published | ArticleStatus::Scheduled
    ) {
        check_images(tx, &article).await?;
    }
    db::articles::insert(
        tx,
        &db::articles::NewArticle {
            id: article.id,
            slug: &article.slug,
            title: &article.title,
            dek: &article.dek,
            body_markdown: &article.body_markdown,
            body_html: &article.body_html,
            status: article.status,
            published_at: article.published_at,
            updated_at: created_at,
            archived: false,
            archived_at: None,
            archive_reason: None,
            study: None,
            review: None,
            lead_image: article.lead_image,
            seo_title: None,
            meta_description: None,
            version: 1,
            created_at,
            created_by: None,
        },
    )
    .await?;
    after_status(tx, &article, None).await?;
    let meta = ChangeMeta {
        kind: ChangeKind::Minor,
        note: Some(note.to_owned()),
    };
    record_change(tx, None, article, None, "create", &meta).await
}

async fn update(
    tx: &mut sqlx::PgConnection,
    mut article: Article,
    story: &ImportedStory,
    note: &str,
) -> Result<(Article, ChangeEvent), AppError> {
    let (was, old_version, old_status) = (Before::of(&article), article.version, article.status);
    let mut changes = changes(story);
    if !story.slug.is_empty() && story.slug != article.slug {
        // The source's slug changed: the story follows when that slug is free here.
        if db::articles::slug_free_for(&mut *tx, &story.slug, Some(article.id)).await? {
            changes.slug = Some(story.slug.clone());
        }
    }
    apply_changes(tx, &mut article, changes).await?;
    article.status = story.status;
    article.published_at = story.published_at.or(article.published_at);
    if matches!(
        article.status,
        ArticleStatus::Published | ArticleStatus::Scheduled
    ) {
        check_images(tx, &article).await?;
    }
    if article.slug != was.slug {
        db::slug_history::record_previous_slug(tx, article.id, &was.slug).await?;
        db::slug_history::forget_previous_slug(tx, article.id, &article.slug).await?;
    }
    save(tx, &mut article, old_version, None).await?;
    after_status(tx, &article, Some(old_status)).await?;
    let meta = ChangeMeta {
        kind: ChangeKind::Minor,
        note: Some(note.to_owned()),
    };
    record_change(tx, None, article, Some(&was), "update", &meta).await
}

/// What a status brings with it: a scheduled story's publishing job, a story in review's
/// review request.
async fn after_status(
    tx: &mut sqlx::PgConnection,
    article: &Article,
    before: Option<ArticleStatus>,
) -> Result<(), AppError> {
    if before == Some(article.status) {
        return Ok(());
    }
    match article.status {
        ArticleStatus::Scheduled => {
            let at = article.published_at.unwrap_or_else(now);
            db::jobs::schedule_publish(tx, article.id, at, None).await?;
        }
        ArticleStatus::InReview => db::review_requests::open(&mut *tx, article.id, None).await?,
        _ => db::jobs::cancel_pending(&mut *tx, article.id).await?,
    }
    Ok(())
}

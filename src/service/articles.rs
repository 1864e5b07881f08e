//! Every change to a story, as one transaction each.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db;
use crate::db::articles::Article;
use crate::db::events;
use crate::domain::article::{self, ArticleStatus, ChangeKind, Review, Study, limits};
use crate::domain::events::ChangeEvent;
use crate::domain::lifecycle::{self, Transition};
use crate::domain::markdown;
use crate::domain::policy::{Action, Actor, ArticleFacts, can};
use crate::domain::slug::Slug;
use crate::domain::text;
use crate::error::{AppError, FieldError};

/// The whole article: what the API answers and what every revision stores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = Article)]
pub struct ArticleDoc {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub dek: String,
    pub body_markdown: String,
    /// The sanitised rendering the site shows (read-only).
    pub body_html: String,
    pub status: ArticleStatus,
    /// The dateline; in the future while `scheduled`.
    #[serde(with = "crate::domain::dates::serde_rfc3339::option")]
    pub published_at: Option<OffsetDateTime>,
    /// "Last updated": moves only on `update` and `correction` changes.
    #[serde(with = "crate::domain::dates::serde_rfc3339")]
    pub updated_at: OffsetDateTime,
    pub archived: bool,
    #[serde(with = "crate::domain::dates::serde_rfc3339::option")]
    pub archived_at: Option<OffsetDateTime>,
    pub archive_reason: Option<String>,
    pub superseded_by: Option<Uuid>,
    /// When the story was withdrawn, while it is.
    #[serde(default, with = "crate::domain::dates::serde_rfc3339::option")]
    pub withdrawn_at: Option<OffsetDateTime>,
    /// Why, as the `410` page says; null when none was given.
    #[serde(default)]
    pub withdraw_reason: Option<String>,
    /// Topic slugs.
    pub topics: Vec<String>,
    pub study: Option<Study>,
    pub review: Option<Review>,
    /// Bumps on every change; the ETag is `"<version>"`.
    pub version: i32,
    #[serde(with = "crate::domain::dates::serde_rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
    pub updated_by: Option<Uuid>,
}

impl ArticleDoc {
    pub fn new(article: Article, topics: Vec<String>) -> Self {
        Self {
            id: article.id,
            slug: article.slug,
            title: article.title,
            dek: article.dek,
            body_markdown: article.body_markdown,
            body_html: article.body_html,
            status: article.status,
            published_at: article.published_at,
            updated_at: article.updated_at,
            archived: article.archived,
            archived_at: article.archived_at,
            archive_reason: article.archive_reason,
            superseded_by: article.superseded_by,
            withdrawn_at: article.withdrawn_at,
            withdraw_reason: article.withdraw_reason,
            topics,
            study: article.study.map(|s| s.0),
            review: article.review.map(|r| r.0),
            version: article.version,
            created_at: article.created_at,
            created_by: article.created_by,
            updated_by: article.updated_by,
        }
    }

    /// The ETag value: `"<version>"`.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.version)
    }
}

/// Changes to a story's content; `None` leaves a field as it is. `Some(None)` clears a nullable
/// field.
#[derive(Debug, Clone, Default)]
pub struct ArticleChanges {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub dek: Option<String>,
    pub body_markdown: Option<String>,
    pub topics: Option<Vec<String>>,
    pub study: Option<Option<Study>>,
    pub review: Option<Option<Review>>,
}

/// How a change is described to readers.
#[derive(Debug, Clone, Default)]
pub struct ChangeMeta {
    pub kind: ChangeKind,
    pub note: Option<String>,
}

/// Options of a lifecycle action: the reason of an archive (shown on its banner) or of a
/// withdrawal (shown on the `410` page), and the newer story an archived one points to.
#[derive(Debug, Clone, Default)]
pub struct TransitionOptions {
    pub reason: Option<String>,
    pub superseded_by: Option<Uuid>,
}

fn facts(article: &Article) -> ArticleFacts {
    ArticleFacts {
        created_by: article.created_by,
        status: article.status,
    }
}

/// Whether `actor` may do `action` to the story `doc` (for showing or hiding a control; the
/// service function itself checks again).
pub fn allows(actor: Actor, action: Action, doc: &ArticleDoc) -> bool {
    let facts = ArticleFacts {
        created_by: doc.created_by,
        status: doc.status,
    };
    can(actor, action, Some(facts))
}

/// What an actor can do to a story now: each both allowed by the policy and legal in the
/// lifecycle, so a form offers exactly the controls the service would accept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Offered {
    pub edit: bool,
    pub submit: bool,
    /// Publish now, or at a moment (future: schedule; past: backdate).
    pub publish: bool,
    pub unpublish: bool,
    pub withdraw: bool,
    pub archive: bool,
    pub unarchive: bool,
    pub restore_revision: bool,
    pub preview_links: bool,
    pub delete: bool,
}

impl Offered {
    /// Whether any lifecycle step is offered.
    pub fn any_step(&self) -> bool {
        self.submit
            || self.publish
            || self.unpublish
            || self.withdraw
            || self.archive
            || self.unarchive
    }
}

/// [`Offered`] for `actor` and the story `doc`.
pub fn offered(actor: Actor, doc: &ArticleDoc) -> Offered {
    let may = |action| allows(actor, action, doc);
    let state = lifecycle::State {
        status: doc.status,
        archived: doc.archived,
    };
    let legal = |transition| lifecycle::apply(state, transition, now(), doc.published_at).is_ok();
    Offered {
        edit: may(Action::EditArticle),
        submit: may(Action::SubmitArticle) && legal(Transition::Submit),
        publish: may(Action::PublishArticle) && legal(Transition::Publish { at: None }),
        unpublish: may(Action::UnpublishArticle) && legal(Transition::Unpublish),
        withdraw: may(Action::WithdrawArticle) && legal(Transition::Withdraw),
        archive: may(Action::ArchiveArticle) && legal(Transition::Archive),
        unarchive: may(Action::ArchiveArticle) && legal(Transition::Unarchive),
        restore_revision: may(Action::RestoreRevision),
        preview_links: may(Action::CreatePreviewLink),
        delete: may(Action::DeleteArticle),
    }
}

fn authorize(actor: Actor, action: Action, article: Option<&Article>) -> Result<(), AppError> {
    if can(actor, action, article.map(facts)) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Now, at the microsecond precision PostgreSQL stores, so that what a write answers equals
/// what a later read answers.
fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}

/// A story that the actor may see.
pub async fn get(pool: &PgPool, actor: Actor, id: Uuid) -> Result<ArticleDoc, AppError> {
    let article = db::articles::find_by_id(pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    authorize(actor, Action::ViewArticle, Some(&article))?;
    let topics = db::topics::slugs_for_article(pool, id).await?;
    Ok(ArticleDoc::new(article, topics))
}

/// Validates `changes` onto `article` and `topics`, collecting every field error.
async fn apply_changes(
    db: &mut sqlx::PgConnection,
    article: &mut Article,
    topics: &mut Vec<String>,
    changes: ArticleChanges,
) -> Result<(), AppError> {
    // Lengths count the text as sent (what the OpenAPI document's limits state); what is
    // stored is then cleaned of control characters and trimmed.
    let mut errors = Vec::new();
    let mut taken = Vec::new();
    if let Some(title) = changes.title {
        if !text::has_visible(&title) {
            errors.push(FieldError::new("title", "must not be empty"));
        } else if title.chars().count() > limits::TITLE_CHARS {
            errors.push(FieldError::new(
                "title",
                format!("must be at most {} characters", limits::TITLE_CHARS),
            ));
        } else {
            article.title = text::clean_line(&title).trim().to_owned();
        }
    }
    if let Some(dek) = changes.dek {
        if dek.chars().count() > limits::DEK_CHARS {
            errors.push(FieldError::new(
                "dek",
                format!("must be at most {} characters", limits::DEK_CHARS),
            ));
        } else {
            article.dek = text::clean_line(&dek).trim().to_owned();
        }
    }
    if let Some(body) = changes.body_markdown {
        if body.len() > limits::BODY_BYTES {
            errors.push(FieldError::new(
                "body_markdown",
                format!("must be at most {} bytes", limits::BODY_BYTES),
            ));
        } else {
            let body = text::clean_block(&body).into_owned();
            if body != article.body_markdown || article.body_html.is_empty() {
                article.body_html = markdown::render(&body).into_string();
                article.body_markdown = body;
            }
        }
    }
    if let Some(raw) = changes.slug {
        match Slug::parse(&raw) {
            Ok(slug) => {
                if slug.as_str() != article.slug {
                    if db::articles::slug_free_for(db, slug.as_str(), Some(article.id)).await? {
                        article.slug = slug.to_string();
                    } else {
                        taken.push(FieldError::new("slug", "is already used by another story"));
                    }
                }
            }
            Err(err) => errors.push(FieldError::new("slug", err.to_string())),
        }
    }
    if let Some(new_topics) = changes.topics {
        if new_topics.len() > limits::TOPICS {
            errors.push(FieldError::new(
                "topics",
                format!("must list at most {} topics", limits::TOPICS),
            ));
        } else {
            let mut deduped: Vec<String> = Vec::new();
            for topic in new_topics {
                if !deduped.contains(&topic) {
                    deduped.push(topic);
                }
            }
            let unknown = db::topics::unknown_slugs(&mut *db, &deduped).await?;
            if unknown.is_empty() {
                *topics = deduped;
            } else {
                errors.push(FieldError::new(
                    "topics",
                    format!("unknown topic: {}", unknown.join(", ")),
                ));
            }
        }
    }
    if let Some(study) = changes.study {
        if let Some(study) = &study {
            for (field, message) in article::study_errors(study) {
                errors.push(FieldError::new(field, message));
            }
        }
        article.study = study.map(Study::cleaned).map(Json);
    }
    if let Some(review) = changes.review {
        if let Some(review) = &review {
            for (field, message) in article::review_errors(review) {
                errors.push(FieldError::new(field, message));
            }
        }
        article.review = review.map(Review::cleaned).map(Json);
    }
    if !errors.is_empty() {
        errors.extend(taken);
        Err(AppError::Validation(errors))
    } else if !taken.is_empty() {
        Err(AppError::FieldConflict(taken))
    } else {
        Ok(())
    }
}

/// An archive or withdrawal reason: one line, at most [`limits::ARCHIVE_REASON_CHARS`] as sent;
/// empty once cleaned is none.
fn clean_reason(reason: Option<String>, field: &str) -> Result<Option<String>, AppError> {
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > limits::ARCHIVE_REASON_CHARS)
    {
        return Err(AppError::field(
            field,
            format!(
                "must be at most {} characters",
                limits::ARCHIVE_REASON_CHARS
            ),
        ));
    }
    Ok(reason
        .map(|r| text::clean_line(&r).trim().to_owned())
        .filter(|r| !r.is_empty()))
}

/// The change note as sent: at most [`limits::CHANGE_NOTE_CHARS`], and with a correction a
/// visible character (which cleaning keeps).
fn check_meta(meta: &ChangeMeta) -> Result<(), AppError> {
    let note = meta.note.as_deref().unwrap_or_default();
    if note.chars().count() > limits::CHANGE_NOTE_CHARS {
        return Err(AppError::field(
            "change_note",
            format!("must be at most {} characters", limits::CHANGE_NOTE_CHARS),
        ));
    }
    if meta.kind == ChangeKind::Correction && !text::has_visible(note) {
        return Err(AppError::field(
            "change_note",
            "is required for a correction: say what was wrong",
        ));
    }
    Ok(())
}

/// A new slug derived from the title, with `-2`, `-3` … when taken.
async fn derive_slug(db: &mut sqlx::PgConnection, title: &str) -> Result<String, AppError> {
    let base =
        Slug::from_title(title).unwrap_or_else(|| Slug::parse("story").expect("static slug"));
    if db::articles::slug_free_for(db, base.as_str(), None).await? {
        return Ok(base.to_string());
    }
    for n in 2..1000 {
        let candidate = base.with_suffix(n);
        if db::articles::slug_free_for(db, candidate.as_str(), None).await? {
            return Ok(candidate.to_string());
        }
    }
    Err(AppError::field(
        "slug",
        "could not derive a free slug from the title; give one",
    ))
}

/// Writes what every accepted change writes: topics, the revision, the audit entry, the event.
#[allow(clippy::too_many_arguments)]
async fn record_change(
    tx: &mut sqlx::PgConnection,
    actor: Option<Actor>,
    article: Article,
    topics: Vec<String>,
    before: Option<(&str, &[String])>,
    action: &str,
    meta: &ChangeMeta,
) -> Result<ArticleDoc, AppError> {
    let doc = ArticleDoc::new(article, topics);
    if before.is_none_or(|(_, old_topics)| old_topics != doc.topics.as_slice()) {
        db::topics::set_for_article(tx, doc.id, &doc.topics).await?;
    }
    let snapshot = serde_json::to_value(&doc).map_err(anyhow::Error::from)?;
    let note = meta.note.as_deref().map(text::clean_line);
    let note = note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    db::revisions::insert(
        tx,
        &db::revisions::NewRevision {
            article_id: doc.id,
            number: doc.version,
            snapshot: &snapshot,
            change_kind: meta.kind,
            change_note: note,
            created_by: actor.map(|a| a.id),
            created_at: now(),
        },
    )
    .await?;
    db::audit::record(
        &mut *tx,
        actor.map(|a| a.id),
        &format!("article.{action}"),
        "article",
        Some(doc.id),
        serde_json::json!({ "version": doc.version, "change_kind": meta.kind, "status": doc.status }),
    )
    .await?;
    let mut slugs = vec![doc.slug.clone()];
    let mut all_topics = doc.topics.clone();
    if let Some((old_slug, old_topics)) = before {
        if old_slug != doc.slug {
            slugs.push(old_slug.to_owned());
        }
        for topic in old_topics {
            if !all_topics.contains(topic) {
                all_topics.push(topic.clone());
            }
        }
    }
    events::emit(tx, &ChangeEvent::story(doc.id, action, slugs, all_topics)).await?;
    Ok(doc)
}

/// Creates a draft (revision 1, described by `meta`: `minor` unless the client says otherwise).
pub async fn create(
    pool: &PgPool,
    actor: Actor,
    changes: ArticleChanges,
    meta: ChangeMeta,
) -> Result<ArticleDoc, AppError> {
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
        study: None,
        review: None,
        version: 1,
        created_at,
        created_by: Some(actor.id),
        updated_by: Some(actor.id),
    };
    let explicit_slug = changes.slug.is_some();
    let mut topics = Vec::new();
    let applied = apply_changes(&mut tx, &mut article, &mut topics, changes).await;
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
            study: article.study.as_ref().map(|s| &s.0),
            review: article.review.as_ref().map(|r| &r.0),
            version: 1,
            created_at,
            created_by: Some(actor.id),
        },
    )
    .await?;
    let doc = record_change(&mut tx, Some(actor), article, topics, None, "create", &meta).await?;
    tx.commit().await?;
    Ok(doc)
}

/// Locks a story for a change and checks the actor's right and, when given, the version.
async fn lock_for(
    tx: &mut sqlx::PgConnection,
    actor: Option<Actor>,
    action: Action,
    id: Uuid,
    if_match: Option<i32>,
) -> Result<(Article, Vec<String>), AppError> {
    let article = db::articles::lock(tx, id, false)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(actor) = actor {
        authorize(actor, action, Some(&article))?;
    }
    let topics = db::topics::slugs_for_article(&mut *tx, id).await?;
    if let Some(expected) = if_match
        && expected != article.version
    {
        let version = article.version;
        let current =
            serde_json::to_value(ArticleDoc::new(article, topics)).map_err(anyhow::Error::from)?;
        return Err(AppError::PreconditionFailed(Box::new(current), version));
    }
    Ok((article, topics))
}

/// Saves a changed story under its old version; someone else's save meanwhile is a 412.
async fn save(
    tx: &mut sqlx::PgConnection,
    article: &mut Article,
    old_version: i32,
    by: Option<Uuid>,
) -> Result<(), AppError> {
    article.updated_by = by;
    match db::articles::save(tx, article, old_version, by).await? {
        Some(version) => {
            article.version = version;
            Ok(())
        }
        None => Err(AppError::Conflict(
            "the story was changed meanwhile; load it again".into(),
        )),
    }
}

/// Edits a story's content (`PATCH`), guarded by its version.
pub async fn update(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    if_match: Option<i32>,
    changes: ArticleChanges,
    meta: ChangeMeta,
) -> Result<ArticleDoc, AppError> {
    check_meta(&meta)?;
    let mut tx = pool.begin().await?;
    let doc = update_in(&mut tx, actor, id, if_match, changes, &meta, false)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(doc)
}

/// [`update`] inside `tx`. With `only_if_changed`, a form that changes nothing writes nothing
/// (`None`).
async fn update_in(
    tx: &mut sqlx::PgConnection,
    actor: Actor,
    id: Uuid,
    if_match: Option<i32>,
    changes: ArticleChanges,
    meta: &ChangeMeta,
    only_if_changed: bool,
) -> Result<Option<ArticleDoc>, AppError> {
    let (mut article, mut topics) =
        lock_for(tx, Some(actor), Action::EditArticle, id, if_match).await?;
    let (old_slug, old_topics, old_version) =
        (article.slug.clone(), topics.clone(), article.version);
    let before = only_if_changed.then(|| article.clone());
    apply_changes(tx, &mut article, &mut topics, changes).await?;
    if let Some(before) = before
        && same_content(&before, &article)
        && topics == old_topics
    {
        return Ok(None);
    }
    check_meta(meta)?;
    if meta.kind.moves_updated_at() {
        article.updated_at = now();
    }
    if article.slug != old_slug {
        db::slug_history::record_previous_slug(tx, article.id, &old_slug).await?;
        db::slug_history::forget_previous_slug(tx, article.id, &article.slug).await?;
    }
    save(tx, &mut article, old_version, Some(actor.id)).await?;
    let doc = record_change(
        tx,
        Some(actor),
        article,
        topics,
        Some((&old_slug, &old_topics)),
        "update",
        meta,
    )
    .await?;
    Ok(Some(doc))
}

/// Whether two states of a story hold the same content (what a form edits).
fn same_content(a: &Article, b: &Article) -> bool {
    a.title == b.title
        && a.slug == b.slug
        && a.dek == b.dek
        && a.body_markdown == b.body_markdown
        && a.study.as_ref().map(|s| &s.0) == b.study.as_ref().map(|s| &s.0)
        && a.review.as_ref().map(|r| &r.0) == b.review.as_ref().map(|r| &r.0)
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
    transition: Transition,
    options: TransitionOptions,
) -> Result<(ArticleDoc, bool), AppError> {
    let mut tx = pool.begin().await?;
    // The form's version must still be current, whether or not its text changed.
    let current = db::articles::lock(&mut tx, id, false)
        .await?
        .ok_or(AppError::NotFound)?;
    let saved = if can(actor, Action::EditArticle, Some(facts(&current))) {
        update_in(&mut tx, actor, id, Some(version), changes, &meta, true)
            .await?
            .is_some()
    } else {
        // Roles that may take this step but not edit (none today) act on the saved text.
        lock_for(&mut tx, Some(actor), Action::ViewArticle, id, Some(version)).await?;
        false
    };
    let doc = transition_in(&mut tx, Some(actor), id, transition, options, None).await?;
    tx.commit().await?;
    Ok((doc, saved))
}

/// Applies a lifecycle transition inside `tx`; `actor` is `None` for the scheduler.
async fn transition_in(
    tx: &mut sqlx::PgConnection,
    actor: Option<Actor>,
    id: Uuid,
    transition: Transition,
    options: TransitionOptions,
    if_match: Option<i32>,
) -> Result<ArticleDoc, AppError> {
    let action = match transition {
        Transition::Submit => Action::SubmitArticle,
        Transition::Publish { .. } => Action::PublishArticle,
        Transition::Unpublish => Action::UnpublishArticle,
        Transition::Withdraw => Action::WithdrawArticle,
        Transition::Archive | Transition::Unarchive => Action::ArchiveArticle,
    };
    if let Transition::Publish { at: Some(at) } = transition
        && !crate::domain::dates::moment_in_range(at)
    {
        return Err(AppError::field(
            "at",
            crate::domain::dates::out_of_range_message(),
        ));
    }
    let (mut article, topics) = lock_for(tx, actor, action, id, if_match).await?;
    let old_version = article.version;
    let at = now();
    let outcome = lifecycle::apply(
        lifecycle::State {
            status: article.status,
            archived: article.archived,
        },
        transition,
        at,
        article.published_at,
    )
    .map_err(|err| AppError::Conflict(err.to_string()))?;

    match transition {
        Transition::Archive => {
            let reason = clean_reason(options.reason, "reason")?;
            if let Some(newer) = options.superseded_by {
                if newer == article.id {
                    return Err(AppError::field("superseded_by", "must be another story"));
                }
                match db::articles::find_by_id(&mut *tx, newer).await? {
                    None => return Err(AppError::field("superseded_by", "is not a known story")),
                    // The banner links to it, so readers must be able to open it.
                    Some(story) if story.status != ArticleStatus::Published => {
                        return Err(AppError::field(
                            "superseded_by",
                            "must be a published story",
                        ));
                    }
                    Some(_) => {}
                }
            }
            article.archived_at = Some(at);
            article.archive_reason = reason;
            article.superseded_by = options.superseded_by;
        }
        Transition::Unarchive => {
            article.archived_at = None;
            article.archive_reason = None;
            article.superseded_by = None;
        }
        Transition::Publish { .. } if outcome.status == ArticleStatus::Scheduled => {
            let run_at = outcome.published_at.unwrap_or(at);
            db::jobs::schedule_publish(tx, article.id, run_at, actor.map(|a| a.id)).await?;
        }
        Transition::Publish { .. } | Transition::Unpublish => {
            db::jobs::cancel_pending(&mut *tx, article.id).await?;
        }
        Transition::Withdraw => {
            article.withdrawn_at = Some(at);
            article.withdraw_reason = clean_reason(options.reason, "reason")?;
        }
        Transition::Submit => {}
    }
    if matches!(
        transition,
        Transition::Unpublish | Transition::Publish { .. }
    ) {
        article.withdrawn_at = None;
        article.withdraw_reason = None;
    }
    if matches!(transition, Transition::Unpublish) && article.archived {
        article.archived_at = None;
        article.archive_reason = None;
        article.superseded_by = None;
    }
    let was = article.status;
    let never_published = article.status != ArticleStatus::Published
        && !db::revisions::was_ever_published(&mut *tx, article.id).await?;
    article.status = outcome.status;
    article.archived = outcome.archived;
    // `updated_at` stays: only an `update` or a `correction` moves it (pages show the later
    // of it and the dateline, `Article::last_updated`).
    if let Some(published_at) = outcome.published_at {
        article.published_at = Some(published_at);
    }
    if matches!(transition, Transition::Unpublish)
        && was == ArticleStatus::Scheduled
        && never_published
    {
        // A scheduled moment that never came is not a dateline.
        article.published_at = None;
    }
    let by = actor.map(|a| a.id);
    save(tx, &mut article, old_version, by).await?;
    let slug = article.slug.clone();
    // Lifecycle steps are minor changes; the note (not shown to readers) says which step it was.
    let meta = ChangeMeta {
        kind: ChangeKind::Minor,
        note: Some(match (transition, outcome.status) {
            (Transition::Publish { .. }, ArticleStatus::Scheduled) => "Scheduled".to_owned(),
            (Transition::Publish { .. }, _) => "Published".to_owned(),
            (Transition::Submit, _) => "Submitted for review".to_owned(),
            (Transition::Unpublish, _) => "Unpublished".to_owned(),
            (Transition::Withdraw, _) => "Withdrawn".to_owned(),
            (Transition::Archive, _) => "Archived".to_owned(),
            (Transition::Unarchive, _) => "Unarchived".to_owned(),
        }),
    };
    record_change(
        tx,
        actor,
        article,
        topics.clone(),
        Some((&slug, &topics)),
        transition.name(),
        &meta,
    )
    .await
}

/// Submits, publishes (now or at a future moment), unpublishes, withdraws, archives or
/// unarchives a story. An illegal transition is a `409`.
pub async fn transition(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    transition: Transition,
    options: TransitionOptions,
    if_match: Option<i32>,
) -> Result<ArticleDoc, AppError> {
    let mut tx = pool.begin().await?;
    let doc = transition_in(&mut tx, Some(actor), id, transition, options, if_match).await?;
    tx.commit().await?;
    Ok(doc)
}

/// Soft-deletes a story: its public URL answers 404; an admin can restore it.
pub async fn delete(pool: &PgPool, actor: Actor, id: Uuid) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let (article, topics) = lock_for(&mut tx, Some(actor), Action::DeleteArticle, id, None).await?;
    db::articles::set_deleted(&mut tx, id, true, Some(actor.id)).await?;
    db::jobs::cancel_pending(&mut *tx, id).await?;
    db::audit::record(
        &mut *tx,
        Some(actor.id),
        "article.delete",
        "article",
        Some(id),
        serde_json::json!({}),
    )
    .await?;
    events::emit(
        &mut tx,
        &ChangeEvent::story(id, "delete", vec![article.slug], topics),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Restores a soft-deleted story (admins only).
pub async fn restore_deleted(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
) -> Result<ArticleDoc, AppError> {
    authorize(actor, Action::RestoreDeletedArticle, None)?;
    let mut tx = pool.begin().await?;
    let article = db::articles::lock(&mut tx, id, true)
        .await?
        .ok_or(AppError::NotFound)?;
    db::articles::set_deleted(&mut tx, id, false, None).await?;
    if article.status == ArticleStatus::Scheduled {
        // Deleting cancelled its publication: schedule it again (at once when overdue).
        let run_at = article.published_at.unwrap_or_else(now).max(now());
        db::jobs::schedule_publish(&mut tx, id, run_at, Some(actor.id)).await?;
    }
    let topics = db::topics::slugs_for_article(&mut *tx, id).await?;
    db::audit::record(
        &mut *tx,
        Some(actor.id),
        "article.restore",
        "article",
        Some(id),
        serde_json::json!({}),
    )
    .await?;
    events::emit(
        &mut tx,
        &ChangeEvent::story(id, "restore", vec![article.slug.clone()], topics.clone()),
    )
    .await?;
    let article = db::articles::find_by_id(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(ArticleDoc::new(article, topics))
}

/// The content of an old revision that a restore brings back. Lifecycle and archive state stay
/// as they are now: restoring is an edit, not a time machine.
#[derive(Debug, Deserialize)]
struct RestorableContent {
    title: Option<String>,
    slug: Option<String>,
    dek: Option<String>,
    body_markdown: Option<String>,
    topics: Option<Vec<String>>,
    #[serde(default)]
    study: Option<Study>,
    #[serde(default)]
    review: Option<Review>,
}

/// How a restore is described when the client does not say: an `update`, since it changes
/// what readers see ("Last updated" moves). Without a note, the revision says which one was
/// restored.
pub const DEFAULT_RESTORE_KIND: ChangeKind = ChangeKind::Update;

fn restore_note(number: i32) -> String {
    format!("An earlier version of this story was restored (revision {number}).")
}

/// The content of revision `number` as the changes a restore makes (content only: lifecycle
/// and archive state stay as they are now).
pub async fn restorable(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    number: i32,
) -> Result<(ArticleDoc, ArticleChanges, serde_json::Value), AppError> {
    let current = get(pool, actor, id).await?;
    let revision = db::revisions::find(pool, id, number)
        .await?
        .ok_or(AppError::NotFound)?;
    let content: RestorableContent = serde_json::from_value(revision.snapshot.clone())
        .map_err(|err| anyhow::anyhow!("revision {number} unreadable: {err}"))?;
    let changes = ArticleChanges {
        title: content.title,
        slug: content.slug,
        dek: content.dek,
        body_markdown: content.body_markdown,
        topics: content.topics,
        study: Some(content.study),
        review: Some(content.review),
    };
    Ok((current, changes, revision.snapshot))
}

/// Brings back the content of revision `number` as a new revision, described by `meta` (a
/// correction needs its note; without a note the revision says which one was restored).
pub async fn restore_revision(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    number: i32,
    if_match: Option<i32>,
    meta: ChangeMeta,
) -> Result<ArticleDoc, AppError> {
    check_meta(&meta)?;
    let (current, changes, _) = restorable(pool, actor, id, number).await?;
    authorize(
        actor,
        Action::RestoreRevision,
        Some(
            &db::articles::find_by_id(pool, id)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
    )?;
    let meta = ChangeMeta {
        note: meta.note.or_else(|| Some(restore_note(number))),
        ..meta
    };
    update(
        pool,
        actor,
        id,
        Some(if_match.unwrap_or(current.version)),
        changes,
        meta,
    )
    .await
    .map_err(|err| match err {
        // The note was checked above, so these are the revision's own fields that no longer
        // fit (a topic renamed since): the request is sound, the stored state conflicts.
        AppError::Validation(errors) => AppError::FieldConflict(errors),
        other => other,
    })
}

/// Runs one due scheduled job, if any; returns whether one ran. Safe with several instances:
/// the job row stays locked (`FOR UPDATE SKIP LOCKED`) until its transaction commits.
pub async fn run_due_job(pool: &PgPool) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    let Some(job) = db::jobs::claim_due(&mut tx).await? else {
        return Ok(false);
    };
    // An editor holding the story (and about to change its jobs) goes first: skip it this tick
    // rather than wait, which could deadlock against the editor's transaction.
    let article = match db::articles::try_lock(&mut tx, job.article_id).await? {
        db::articles::TryLock::Busy => {
            tx.rollback().await?;
            return Ok(false);
        }
        db::articles::TryLock::Locked(article) => article.map(|a| *a),
    };
    let outcome = match article {
        Some(article) if article.status == ArticleStatus::Scheduled && job.action == "publish" => {
            let at = article.published_at.filter(|at| *at <= now());
            transition_in(
                &mut tx,
                None,
                article.id,
                Transition::Publish { at },
                TransitionOptions::default(),
                None,
            )
            .await
            .map(|_| ())
        }
        _ => Ok(()),
    };
    match outcome {
        Ok(()) => {
            db::jobs::mark_done(&mut *tx, job.id, None).await?;
            tx.commit().await?;
        }
        Err(err) => {
            // Record the failure so the job is not retried in a tight loop.
            tx.rollback().await?;
            tracing::error!(job = %job.id, error = %err, "scheduled job failed");
            db::jobs::mark_done(pool, job.id, Some(&err.to_string())).await?;
        }
    }
    Ok(true)
}

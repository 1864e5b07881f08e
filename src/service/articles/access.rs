//! Who may see and do what to a story: the policy asked with the story's facts, and what a form
//! should offer ([`Offered`]: allowed and legal in the lifecycle).

use sqlx::PgPool;
use uuid::Uuid;

use super::write::now;
use crate::db;
use crate::domain::article::Article;
use crate::domain::lifecycle::{self, Transition};
use crate::domain::policy::{Action, Actor, ArticleFacts, can};
use crate::error::AppError;

pub(super) fn facts(article: &Article) -> ArticleFacts {
    ArticleFacts {
        created_by: article.created_by,
        status: article.status,
    }
}

/// Whether `actor` may do `action` to the story `doc` (for showing or hiding a control; the
/// service function itself checks again).
pub fn allows(actor: Actor, action: Action, doc: &Article) -> bool {
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
    /// Send a story in review back to its author as a draft, with a note.
    pub send_back: bool,
    /// Schedule (or cancel) the unpublishing of a published story.
    pub unpublish_later: bool,
    /// Schedule (or cancel) the archiving of a published story.
    pub archive_later: bool,
}

impl Offered {
    /// Whether any lifecycle step is offered.
    pub fn any_step(&self) -> bool {
        self.submit
            || self.send_back
            || self.publish
            || self.unpublish
            || self.withdraw
            || self.archive
            || self.unarchive
    }
}

/// [`Offered`] for `actor` and the story `doc`.
pub fn offered(actor: Actor, doc: &Article) -> Offered {
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
        send_back: may(Action::UnpublishArticle)
            && doc.status == crate::domain::article::ArticleStatus::InReview,
        unpublish_later: may(Action::UnpublishArticle)
            && super::later::legal(doc, super::later::Later::Unpublish),
        archive_later: may(Action::ArchiveArticle)
            && super::later::legal(doc, super::later::Later::Archive),
    }
}

pub(super) fn authorize(
    actor: Actor,
    action: Action,
    article: Option<&Article>,
) -> Result<(), AppError> {
    if can(actor, action, article.map(facts)) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// A story that the actor may see.
pub async fn get(pool: &PgPool, actor: Actor, id: Uuid) -> Result<Article, AppError> {
    let article = db::articles::find_by_id(pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    authorize(actor, Action::ViewArticle, Some(&article))?;
    Ok(article)
}

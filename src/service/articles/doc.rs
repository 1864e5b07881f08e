//! What a change asks for: [`ArticleChanges`], [`ChangeMeta`] and [`TransitionOptions`]. The
//! story itself is `crate::domain::article::Article`.

use uuid::Uuid;

use crate::domain::article::{ChangeKind, Review, Study};

/// Changes to a story's content; `None` leaves a field as it is. `Some(None)` clears a nullable
/// field.
#[derive(Debug, Clone, Default)]
pub struct ArticleChanges {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub dek: Option<String>,
    pub body_markdown: Option<String>,
    pub topics: Option<Vec<String>>,
    pub authors: Option<Vec<String>>,
    pub study: Option<Option<Study>>,
    pub review: Option<Option<Review>>,
    pub lead_image: Option<Option<Uuid>>,
    pub seo_title: Option<Option<String>>,
    pub meta_description: Option<Option<String>>,
}

/// How a change is described to readers.
#[derive(Debug, Clone, Default)]
pub struct ChangeMeta {
    pub kind: ChangeKind,
    pub note: Option<String>,
}

/// Options of a lifecycle action: the reason of an archive (shown on its banner) or of a
/// withdrawal (shown on the `410` page), the newer story an archived one points to, and the
/// note for the author when an editor sends a story in review back to draft.
#[derive(Debug, Clone, Default)]
pub struct TransitionOptions {
    pub reason: Option<String>,
    pub superseded_by: Option<Uuid>,
    /// For the story's author, shown on their dashboard and editor page; only when a story in
    /// review is sent back (unpublished).
    pub note: Option<String>,
}

//! What a story is to the outside: the whole article as the API answers it and every revision
//! stores it ([`ArticleDoc`]), and what a change asks for ([`ArticleChanges`], [`ChangeMeta`],
//! [`TransitionOptions`]).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::articles::Article;
use crate::domain::article::{ArticleStatus, ChangeKind, Review, Study};

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

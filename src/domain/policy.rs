//! Who may do what: the one authorisation function, `can(actor, action, article)`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::article::ArticleStatus;

/// A user's role.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Role {
    /// Everything, users and tokens included.
    Admin,
    /// All stories, topics and feedback.
    Editor,
    /// Creates and edits their own drafts and submits them for review.
    Contributor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Editor => "editor",
            Self::Contributor => "contributor",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "admin" => Some(Self::Admin),
            "editor" => Some(Self::Editor),
            "contributor" => Some(Self::Contributor),
            _ => None,
        }
    }
}

/// The acting user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: Uuid,
    pub role: Role,
}

/// What the actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ListArticles,
    CreateArticle,
    ViewArticle,
    EditArticle,
    SubmitArticle,
    PublishArticle,
    UnpublishArticle,
    WithdrawArticle,
    ArchiveArticle,
    DeleteArticle,
    RestoreDeletedArticle,
    ViewRevisions,
    RestoreRevision,
    CreatePreviewLink,
    RevokePreviewLink,
    ManageTopics,
    ManagePeople,
    UploadMedia,
    ManageMedia,
    ManageSynonyms,
    ViewFeedback,
    TriageFeedback,
    ManageUsers,
    ViewAuditLog,
    /// Webhook subscriptions and their delivery log (they carry signing secrets).
    ManageWebhooks,
}

/// The facts about an article that decide access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArticleFacts {
    pub created_by: Option<Uuid>,
    pub status: ArticleStatus,
}

/// Whether `actor` may do `action` (on `article`, for actions on one article).
pub fn can(actor: Actor, action: Action, article: Option<ArticleFacts>) -> bool {
    use Action::*;
    match actor.role {
        Role::Admin => true,
        Role::Editor => !matches!(
            action,
            ManageUsers | ViewAuditLog | RestoreDeletedArticle | ManageWebhooks
        ),
        Role::Contributor => {
            let own = article.is_some_and(|a| a.created_by == Some(actor.id));
            let own_draft = own && article.is_some_and(|a| a.status == ArticleStatus::Draft);
            match action {
                // Lists are filtered to the contributor's own stories.
                ListArticles | CreateArticle | UploadMedia => true,
                ViewArticle | ViewRevisions => own,
                EditArticle | SubmitArticle | RestoreRevision | CreatePreviewLink
                | DeleteArticle => own_draft,
                RevokePreviewLink => own,
                PublishArticle
                | UnpublishArticle
                | WithdrawArticle
                | ArchiveArticle
                | RestoreDeletedArticle
                | ManageTopics
                | ManagePeople
                | ManageMedia
                | ManageSynonyms
                | ViewFeedback
                | TriageFeedback
                | ManageUsers
                | ViewAuditLog
                | ManageWebhooks => false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    const ALL: [Action; 25] = [
        ListArticles,
        CreateArticle,
        ViewArticle,
        EditArticle,
        SubmitArticle,
        PublishArticle,
        UnpublishArticle,
        WithdrawArticle,
        ArchiveArticle,
        DeleteArticle,
        RestoreDeletedArticle,
        ViewRevisions,
        RestoreRevision,
        CreatePreviewLink,
        RevokePreviewLink,
        ManageTopics,
        ManagePeople,
        UploadMedia,
        ManageMedia,
        ManageSynonyms,
        ViewFeedback,
        TriageFeedback,
        ManageUsers,
        ViewAuditLog,
        ManageWebhooks,
    ];

    /// The full matrix: role × action × (own draft, own non-draft, someone else's draft).
    #[test]
    fn role_action_ownership_matrix() {
        let me = Uuid::now_v7();
        let other = Uuid::now_v7();
        let own_draft = ArticleFacts {
            created_by: Some(me),
            status: ArticleStatus::Draft,
        };
        let own_review = ArticleFacts {
            created_by: Some(me),
            status: ArticleStatus::InReview,
        };
        let others_draft = ArticleFacts {
            created_by: Some(other),
            status: ArticleStatus::Draft,
        };
        for action in ALL {
            for (article, label) in [
                (own_draft, "own draft"),
                (own_review, "own in review"),
                (others_draft, "other's draft"),
            ] {
                let admin = can(
                    Actor {
                        id: me,
                        role: Role::Admin,
                    },
                    action,
                    Some(article),
                );
                let editor = can(
                    Actor {
                        id: me,
                        role: Role::Editor,
                    },
                    action,
                    Some(article),
                );
                let contributor = can(
                    Actor {
                        id: me,
                        role: Role::Contributor,
                    },
                    action,
                    Some(article),
                );
                assert!(admin, "admin may {action:?} ({label})");
                let editor_expected = !matches!(
                    action,
                    ManageUsers | ViewAuditLog | RestoreDeletedArticle | ManageWebhooks
                );
                assert_eq!(editor, editor_expected, "editor {action:?} ({label})");
                let contributor_expected = match action {
                    ListArticles | CreateArticle | UploadMedia => true,
                    ViewArticle | ViewRevisions | RevokePreviewLink => label != "other's draft",
                    EditArticle | SubmitArticle | RestoreRevision | CreatePreviewLink
                    | DeleteArticle => label == "own draft",
                    _ => false,
                };
                assert_eq!(
                    contributor, contributor_expected,
                    "contributor {action:?} ({label})"
                );
            }
        }
    }

    #[test]
    fn roles_parse_from_their_names() {
        for role in [Role::Admin, Role::Editor, Role::Contributor] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}

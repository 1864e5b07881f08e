//! The story lifecycle as a state machine: which transitions are legal from which state.
//!
//! ```text
//! draft ──submit──▶ in_review ──publish──▶ published ──withdraw──▶ withdrawn
//!   │                  │  └──publish(at)──▶ scheduled ──(due)──▶ published
//!   └────publish / publish(at)────────────────▲
//! unpublish: in_review, scheduled, published, withdrawn ──▶ draft
//! archive / unarchive: published stories only
//! ```

use time::OffsetDateTime;

use super::article::ArticleStatus;

/// Something done to a story's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Submit,
    /// Publish now, or schedule for a future moment.
    Publish {
        at: Option<OffsetDateTime>,
    },
    Unpublish,
    Withdraw,
    Archive,
    Unarchive,
}

impl Transition {
    pub fn name(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Publish { .. } => "publish",
            Self::Unpublish => "unpublish",
            Self::Withdraw => "withdraw",
            Self::Archive => "archive",
            Self::Unarchive => "unarchive",
        }
    }
}

/// The state a transition starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    pub status: ArticleStatus,
    pub archived: bool,
}

/// The state after a legal transition, and the publication moment it sets (if any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub status: ArticleStatus,
    pub archived: bool,
    /// `Some` when the transition sets `published_at`.
    pub published_at: Option<OffsetDateTime>,
}

/// Why a transition is refused (answered `409`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} a story that is {from}")]
pub struct IllegalTransition {
    pub action: &'static str,
    pub from: String,
}

/// Applies `transition` to `state` at `now`; `first_published` is the story's earlier
/// `published_at`, kept when a story is published again.
pub fn apply(
    state: State,
    transition: Transition,
    now: OffsetDateTime,
    first_published: Option<OffsetDateTime>,
) -> Result<Outcome, IllegalTransition> {
    use ArticleStatus::*;
    let illegal = || IllegalTransition {
        action: transition.name(),
        from: if state.archived {
            format!("{} and archived", state.status)
        } else {
            state.status.to_string()
        },
    };
    let keep = |status| Outcome {
        status,
        archived: state.archived,
        published_at: None,
    };
    match (transition, state.status) {
        (Transition::Submit, Draft) => Ok(keep(InReview)),
        (Transition::Publish { at: Some(at) }, Draft | InReview | Scheduled) if at > now => {
            Ok(Outcome {
                status: Scheduled,
                archived: false,
                published_at: Some(at),
            })
        }
        (Transition::Publish { at }, Draft | InReview | Scheduled) => Ok(Outcome {
            status: Published,
            archived: false,
            // A past moment given by the editor backdates; otherwise keep the first dateline.
            published_at: Some(
                at.or(first_published.filter(|first| state.status != Scheduled && *first <= now))
                    .unwrap_or(now),
            ),
        }),
        (Transition::Unpublish, InReview | Scheduled | Published | Withdrawn) => Ok(Outcome {
            status: Draft,
            archived: false,
            published_at: None,
        }),
        (Transition::Withdraw, Published) => Ok(keep(Withdrawn)),
        (Transition::Archive, Published) if !state.archived => Ok(Outcome {
            status: Published,
            archived: true,
            published_at: None,
        }),
        (Transition::Unarchive, Published) if state.archived => Ok(Outcome {
            status: Published,
            archived: false,
            published_at: None,
        }),
        _ => Err(illegal()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ArticleStatus::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-27 12:00 UTC);
    const LATER: OffsetDateTime = datetime!(2026-12-01 09:00 UTC);
    const EARLIER: OffsetDateTime = datetime!(2026-01-01 09:00 UTC);

    fn state(status: ArticleStatus, archived: bool) -> State {
        State { status, archived }
    }

    fn all_transitions() -> Vec<Transition> {
        vec![
            Transition::Submit,
            Transition::Publish { at: None },
            Transition::Publish { at: Some(LATER) },
            Transition::Publish { at: Some(EARLIER) },
            Transition::Unpublish,
            Transition::Withdraw,
            Transition::Archive,
            Transition::Unarchive,
        ]
    }

    /// The whole table: every state × every transition, legal ones with their outcome.
    #[test]
    fn every_state_and_transition_matches_the_table() {
        let states = [
            state(Draft, false),
            state(InReview, false),
            state(Scheduled, false),
            state(Published, false),
            state(Published, true),
            state(Withdrawn, false),
        ];
        for from in states {
            for t in all_transitions() {
                let expected: Option<(ArticleStatus, bool)> = match (from.status, from.archived, t)
                {
                    (Draft, _, Transition::Submit) => Some((InReview, false)),
                    (Draft | InReview | Scheduled, _, Transition::Publish { at: Some(at) })
                        if at > NOW =>
                    {
                        Some((Scheduled, false))
                    }
                    (Draft | InReview | Scheduled, _, Transition::Publish { .. }) => {
                        Some((Published, false))
                    }
                    (InReview | Scheduled | Published | Withdrawn, _, Transition::Unpublish) => {
                        Some((Draft, false))
                    }
                    (Published, archived, Transition::Withdraw) => Some((Withdrawn, archived)),
                    (Published, false, Transition::Archive) => Some((Published, true)),
                    (Published, true, Transition::Unarchive) => Some((Published, false)),
                    _ => None,
                };
                let got = apply(from, t, NOW, None)
                    .ok()
                    .map(|o| (o.status, o.archived));
                assert_eq!(got, expected, "{from:?} --{t:?}-->");
            }
        }
    }

    #[test]
    fn publishing_sets_the_dateline() {
        let now = apply(
            state(Draft, false),
            Transition::Publish { at: None },
            NOW,
            None,
        )
        .unwrap();
        assert_eq!(now.published_at, Some(NOW));
        let backdated = apply(
            state(InReview, false),
            Transition::Publish { at: Some(EARLIER) },
            NOW,
            None,
        )
        .unwrap();
        assert_eq!(backdated.published_at, Some(EARLIER));
        let scheduled = apply(
            state(Draft, false),
            Transition::Publish { at: Some(LATER) },
            NOW,
            None,
        )
        .unwrap();
        assert_eq!(
            (scheduled.status, scheduled.published_at),
            (Scheduled, Some(LATER))
        );
        // Published again after an unpublish: the first dateline stays.
        let again = apply(
            state(Draft, false),
            Transition::Publish { at: None },
            NOW,
            Some(EARLIER),
        )
        .unwrap();
        assert_eq!(again.published_at, Some(EARLIER));
        // A dateline from a schedule that never came is not reused.
        let never = apply(
            state(Draft, false),
            Transition::Publish { at: None },
            NOW,
            Some(LATER),
        )
        .unwrap();
        assert_eq!(never.published_at, Some(NOW));
        // A due scheduled story goes out at its scheduled moment or now.
        let due = apply(
            state(Scheduled, false),
            Transition::Publish { at: None },
            NOW,
            Some(LATER),
        )
        .unwrap();
        assert_eq!(due.published_at, Some(NOW));
    }

    #[test]
    fn illegal_transitions_say_what_and_from_where() {
        let err = apply(state(Draft, false), Transition::Withdraw, NOW, None).unwrap_err();
        assert_eq!(err.to_string(), "cannot withdraw a story that is draft");
        let err = apply(state(Published, true), Transition::Archive, NOW, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot archive a story that is published and archived"
        );
    }
}

//! The editors' desk beside a story: how its review request stands (who asked, and an
//! editor's decision with their note), who else has it open, and the unpublish or archive
//! scheduled for it.

use crate::db;
use crate::domain::article::Article;
use crate::domain::dates;
use crate::error::AppError;
use crate::service::articles::Later;
use crate::state::AppState;
use crate::web::admin::extract::Admin;

/// A story's latest review request, in words.
pub struct ReviewNotice {
    /// "Submitted for review by Cy Park on …", then the decision: "Sent back to draft by Ana
    /// Ortiz on …".
    pub text: String,
    /// The editor's note for the author.
    pub note: Option<String>,
    /// Sent back (shown as something to act on).
    pub sent_back: bool,
}

/// A step scheduled for later.
pub struct LaterRow {
    /// `unpublish` or `archive`.
    pub action: &'static str,
    /// "Unpublishes on Dec 9, 2026, 9:00 AM", with the archive's reason.
    pub text: String,
}

/// What the desk shows on the editor page.
#[derive(Default)]
pub struct Desk {
    pub review: Option<ReviewNotice>,
    /// Who else has the story open, as the heartbeat says it.
    pub presence: Option<String>,
    pub later: Vec<LaterRow>,
}

impl Desk {
    /// The scheduled step of a kind, when there is one.
    pub fn later_of(&self, action: &str) -> Option<&LaterRow> {
        self.later.iter().find(|row| row.action == action)
    }
}

/// The desk of the story `doc`, as `admin` sees it; opening the page counts as a heartbeat.
pub async fn load(state: &AppState, admin: &Admin, doc: &Article) -> Result<Desk, AppError> {
    let tz = &state.config.timezone;
    let when = |at| dates::long_datetime(at, tz);
    let (request, pending, others) = tokio::try_join!(
        async { Ok::<_, AppError>(db::review_requests::latest(&state.pool, doc.id).await?) },
        async { Ok::<_, AppError>(db::jobs::pending(&state.pool, doc.id).await?) },
        super::presence::here(state, admin, doc.id),
    )?;
    let review = request.map(|r| {
        let asked = format!(
            "Submitted for review{} on {}",
            by(r.requested_by.as_deref()),
            when(r.requested_at)
        );
        let decider = by(r.decided_by.as_deref());
        let decided = match (r.decision.as_deref(), r.decided_at) {
            (Some("published"), Some(at)) => Some(format!("Published{decider} on {}", when(at))),
            (Some("scheduled"), Some(at)) => Some(format!(
                "Accepted{decider} on {} and scheduled for publication",
                when(at)
            )),
            (Some(_), Some(at)) => Some(format!("Sent back to draft{decider} on {}", when(at))),
            _ => None,
        };
        ReviewNotice {
            sent_back: r.decision.as_deref() == Some("sent_back"),
            text: match decided {
                Some(decided) => format!("{asked}. {decided}."),
                None => format!("{asked}; waiting for an editor."),
            },
            note: r.note,
        }
    });
    let later = pending
        .into_iter()
        .filter_map(|job| {
            let later = Later::parse(&job.action)?;
            let at = when(job.run_at);
            Some(match later {
                Later::Unpublish => LaterRow {
                    action: "unpublish",
                    text: format!("Unpublishes on {at}"),
                },
                Later::Archive => LaterRow {
                    action: "archive",
                    text: format!(
                        "Archived on {at}{}",
                        job.reason
                            .map(|reason| format!(", with the reason “{reason}”"))
                            .unwrap_or_default()
                    ),
                },
            })
        })
        .collect();
    Ok(Desk {
        review,
        presence: super::presence::message(&others),
        later,
    })
}

fn by(name: Option<&str>) -> String {
    name.map(|n| format!(" by {n}")).unwrap_or_default()
}

/// The confirmation of a scheduled step: what and when, as the desk lists it.
pub fn scheduled_message(desk: &Desk, done: &str) -> Option<String> {
    let action = done.strip_suffix("_scheduled")?;
    let row = desk.later_of(action)?;
    Some(format!("Scheduled: {}.", lowercase_first(&row.text)))
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| format!("{}{}", first.to_lowercase(), chars.as_str()))
        .unwrap_or_default()
}

//! The dashboard's review desk: for editors and admins, the stories waiting for review (who
//! asked, when); for a contributor, how each of their submissions stands (waiting, published,
//! scheduled, or sent back with the editor's note). Rendered by
//! `templates/admin/review_queue.html`, included by the dashboard.

use uuid::Uuid;

use crate::db;
use crate::domain::dates;
use crate::domain::policy::{Action, can};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::admin::extract::Admin;

/// How many rows each list shows.
pub const LIMIT: i64 = 20;

/// A story waiting for an editor.
pub struct WaitingRow {
    pub id: Uuid,
    pub title: String,
    /// "Cy Park asked on Dec 6, 2026, 3:40 PM".
    pub asked: String,
}

/// One of the contributor's submissions and how it stands.
pub struct MineRow {
    pub id: Uuid,
    pub title: String,
    /// "Sent back to draft by Ana Ortiz on …".
    pub outcome: String,
    pub note: Option<String>,
    pub sent_back: bool,
}

/// What the dashboard's review desk shows to its reader.
#[derive(Default)]
pub struct ReviewQueue {
    /// To roles that may publish: the queue (the longest waiting first)…
    pub waiting: Option<Vec<WaitingRow>>,
    /// … and how many wait in all.
    pub waiting_total: i64,
    /// To contributors: their latest submissions.
    pub mine: Option<Vec<MineRow>>,
}

pub async fn load(state: &AppState, admin: &Admin) -> Result<ReviewQueue, AppError> {
    let tz = &state.config.timezone;
    let when = |at| dates::long_datetime(at, tz);
    if can(admin.actor(), Action::PublishArticle, None) {
        let (rows, total) = db::review_requests::queue(&state.pool, LIMIT).await?;
        let rows = rows
            .into_iter()
            .map(|r| WaitingRow {
                id: r.article_id,
                title: r.title,
                asked: match (r.requested_by, r.requested_at) {
                    (Some(who), Some(at)) => format!("{who} asked on {}", when(at)),
                    (None, Some(at)) => format!("asked on {}", when(at)),
                    _ => "in review".to_owned(),
                },
            })
            .collect();
        return Ok(ReviewQueue {
            waiting: Some(rows),
            waiting_total: total,
            mine: None,
        });
    }
    let mine = db::review_requests::of_author(&state.pool, admin.user.id, LIMIT)
        .await?
        .into_iter()
        .map(|r| {
            let by = r.decided_by.map(|n| format!(" by {n}")).unwrap_or_default();
            let outcome = match (r.decision.as_deref(), r.decided_at) {
                (Some("published"), Some(at)) => format!("Published{by} on {}", when(at)),
                (Some("scheduled"), Some(at)) => {
                    format!("Accepted{by} on {} and scheduled for publication", when(at))
                }
                (Some(_), Some(at)) => format!("Sent back to draft{by} on {}", when(at)),
                _ => format!("Waiting for review since {}", when(r.requested_at)),
            };
            MineRow {
                id: r.article_id,
                title: r.title,
                sent_back: r.decision.as_deref() == Some("sent_back"),
                outcome,
                note: r.note,
            }
        })
        .collect();
    Ok(ReviewQueue {
        waiting: None,
        waiting_total: 0,
        mine: Some(mine),
    })
}

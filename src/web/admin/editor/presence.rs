//! "Who else is here": the editor page says who else has the story open, by name, refreshed by
//! a heartbeat that `editor.js` posts every 15 seconds. Kept in PostgreSQL
//! (`db::presence`), so it works across instances; someone silent for 45 seconds has left.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use uuid::Uuid;

use crate::db;
use crate::error::AppError;
use crate::service::articles;
use crate::state::AppState;
use crate::web::admin::extract::{Admin, AdminForm, AdminPath, NoFields};

/// What the heartbeat answers.
#[derive(Debug, Serialize)]
pub struct PresenceAnswer {
    /// The names of the others who have the story open.
    pub others: Vec<String>,
    /// The sentence the editor shows, or null when nobody else is here.
    pub message: Option<String>,
}

/// Records that the admin has story `id` open; answers who else has.
pub async fn here(state: &AppState, admin: &Admin, id: Uuid) -> Result<Vec<String>, AppError> {
    let mut conn = state.pool.acquire().await?;
    db::presence::beat(&mut conn, id, admin.user.id).await?;
    Ok(db::presence::others(&mut *conn, id, admin.user.id).await?)
}

/// `POST /admin/stories/{id}/presence`: the heartbeat (CSRF-checked like every form).
pub async fn heartbeat(
    State(state): State<AppState>,
    admin: Admin,
    AdminPath(id): AdminPath<Uuid>,
    _: AdminForm<NoFields>,
) -> Result<Response, AppError> {
    // Only someone who may open the story is counted (and told who else is there).
    articles::get(&state.pool, admin.actor(), id).await?;
    let others = here(&state, &admin, id).await?;
    Ok(Json(PresenceAnswer {
        message: message(&others),
        others,
    })
    .into_response())
}

/// "Ana Ortiz is also editing this story", "Ana Ortiz and Ben Ito are also editing this story",
/// "Ana Ortiz, Ben Ito and Cy Park are …"; `None` for nobody.
pub fn message(names: &[String]) -> Option<String> {
    let (last, rest) = names.split_last()?;
    Some(if rest.is_empty() {
        format!("{last} is also editing this story")
    } else {
        format!("{} and {last} are also editing this story", rest.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::message;

    #[test]
    fn the_message_names_everyone_else() {
        let names = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(message(&[]), None);
        assert_eq!(
            message(&names(&["Ana Ortiz"])).as_deref(),
            Some("Ana Ortiz is also editing this story")
        );
        assert_eq!(
            message(&names(&["Ana Ortiz", "Ben Ito"])).as_deref(),
            Some("Ana Ortiz and Ben Ito are also editing this story")
        );
        assert_eq!(
            message(&names(&["Ana Ortiz", "Ben Ito", "Cy Park"])).as_deref(),
            Some("Ana Ortiz, Ben Ito and Cy Park are also editing this story")
        );
    }
}

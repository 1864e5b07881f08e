//! Every change to a story, as one transaction each, whichever door it comes through (the
//! API, the admin UI, the scheduler): [`edit`] (create, update, save then step), [`lifecycle`]
//! (submit, publish, archive … and the scheduler's job), [`later`] (unpublish or archive on a
//! later date), [`trash`] (soft delete, restore) and
//! [`history`] (restore a revision). Each checks the actor ([`access`]) and the fields
//! (`validate`), and writes what every change writes (`write`): the row, a revision, an
//! audit entry and the change event, which it returns with its result.

pub mod access;
pub mod doc;
pub mod edit;
pub mod history;
pub mod import;
pub mod later;
pub mod lifecycle;
pub mod trash;
mod validate;
mod write;

pub use access::{Offered, allows, get, offered};
pub use doc::{ArticleChanges, ChangeMeta, TransitionOptions};
pub use edit::{Step, create, save_and_transition, update};
pub use history::{DEFAULT_RESTORE_KIND, restorable, restore_revision};
pub use later::Later;
pub use lifecycle::{archive_as_system, run_due_job, transition};
pub use trash::{delete, restore_deleted};
pub use validate::render_body;

//! The admin UI (CONTRACT §5), one module per part of it, as the routes are.

mod archive_policy;
mod bulk;
mod dashboard;
mod deleted;
mod desk;
mod editor;
mod editor_form;
mod errors;
mod feedback;
mod media;
mod publishing;
mod revisions;
mod sessions;
mod synonyms;
mod topics;
mod users;

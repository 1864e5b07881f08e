//! The admin UI (CONTRACT §5), one module per part of it, as the routes are.

mod dashboard;
mod deleted;
mod editor;
mod editor_form;
mod feedback;
mod media;
mod publishing;
mod revisions;
mod sessions;
mod synonyms;
mod topics;
mod users;

//! The service layer: one function per editorial action, each one transaction that checks the
//! actor's rights, applies the domain rules, writes the article, a revision of the whole article,
//! an audit entry and the slug history, and emits a change event. The API and the admin UI both
//! change stories only through here.

pub mod articles;
pub mod auth;
pub mod autosaves;
pub mod feedback;
pub mod previews;
pub mod topics;
pub mod users;

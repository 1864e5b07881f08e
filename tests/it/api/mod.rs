//! The editor API (CONTRACT §4, §6).

mod archive_policy;
mod articles;
mod auth;
mod later;
mod lifecycle;
mod media;
mod openapi;
mod people;
mod previews;
mod revisions;
mod scheduler;
mod seo;
mod synonyms;
mod topics_feedback;
pub mod xss;

//! Validated types and pure rules, with no I/O: slugs, article statuses and change kinds, study
//! and review metadata, Markdown → sanitised HTML, and how dates are shown to readers.

pub mod article;
pub mod dates;
pub mod events;
pub mod feedback;
pub mod import;
pub mod lifecycle;
pub mod markdown;
pub mod media;
pub mod numbers;
pub mod person;
pub mod policy;
pub mod search;
pub mod secret;
pub mod seo;
pub mod slug;
pub mod synonyms;
pub mod text;
pub mod webhooks;

//! Reader pages (CONTRACT §2).

mod archive;
mod article;
mod assets;
pub(crate) mod discovery;
mod errors;
mod lists;
mod media;
mod people;
mod search;
mod seo;
mod topics;

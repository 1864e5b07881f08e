//! Reader pages (CONTRACT §2).

mod archive;
mod article;
mod assets;
pub(crate) mod discovery;
mod errors;
mod lists;
mod people;
mod search;
mod topics;

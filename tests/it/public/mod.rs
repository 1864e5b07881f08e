//! Reader pages (CONTRACT §2).

mod archive;
mod article;
mod assets;
mod discovery;
mod errors;
mod lists;
mod search;
mod topics;

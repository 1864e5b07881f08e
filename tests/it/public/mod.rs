//! Reader pages (CONTRACT §2).

mod archive;
mod article;
mod assets;
mod errors;
mod lists;
mod topics;

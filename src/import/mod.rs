//! Importing other systems' sites (CONTRACT §11): `dateline import wordpress|ghost FILE`.
//! Each source is read as a stream of items ([`wordpress`]); [`content`] turns post bodies into
//! Markdown; the rules live in `crate::domain::import`, and every write goes through the
//! service layer (`crate::service::import`), one transaction per item.

pub mod content;

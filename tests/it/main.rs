//! Dateline's integration tests: one binary whose modules mirror the routes. Every test that
//! touches the database gets a fresh, migrated PostgreSQL database from `#[sqlx::test]`.

mod helpers;

mod admin;
pub mod api;
mod architecture;
mod bad_input;
mod batch;
mod browser;
mod cache;
mod cli;
mod demo;
mod export;
mod feedback;
mod hardening;
mod health;
mod hostile;
mod import;
mod import_ghost;
mod import_media;
mod localpg;
mod maintenance;
mod migrations;
mod operations;
mod outage;
pub(crate) mod public;
mod validity;
mod varnish;
mod webhooks;

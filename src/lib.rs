//! Dateline: a CMS server for research-news articles.
//!
//! A code tour (docs/ARCHITECTURE.md has the map and two requests followed end to end):
//!
//! - [`cli`] parses the command line and [`config`] reads every setting; [`localpg`] starts a
//!   project-local PostgreSQL when no `DATABASE_URL` is given.
//! - [`server`] accepts connections and runs one HTTP event loop per core; [`app`] builds the
//!   router and its middleware stack behind the cache front ([`web::front`]).
//! - [`web`] is HTTP only: reader pages (`web::public`), the editor API (`web::api`, with its
//!   OpenAPI document) and the admin UI (`web::admin`), each with its own extractors.
//! - [`service`] makes every change, one transaction each, and returns the committed
//!   [`domain::events::ChangeEvent`]s; [`state`] holds [`state::AppState`], which evicts from
//!   them ([`state::AppState::after_commit`]).
//! - [`cache`] keeps rendered pages, tagged by what they show, and turns change events into
//!   keys (and purges them from a Varnish in front); [`db`] holds every SQL query; [`domain`] holds pure types and rules.
//! - [`jobs`] (scheduler, maintenance) and [`signals`] (feedback batches, page views) run in
//!   the background; [`error`] is the one error type; [`assets`] serves hashed static files.
//! - [`archive`] writes and reads a portable copy of a site (`dateline export`);
//!   [`demo`] loads the demo stories; [`generate`] makes benchmark data;
//!   [`deploy_check`] refuses unsafe production settings; [`telemetry`] sets up logging and
//!   [`metrics`] the Prometheus series; [`web::access`] logs and counts every request;
//!   [`healthcheck`] is the container's readiness probe.

pub mod app;
pub mod archive;
pub mod assets;
pub mod cache;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod deploy_check;
pub mod domain;
pub mod error;
pub mod generate;
pub mod healthcheck;
pub mod import;
pub mod jobs;
pub mod localpg;
pub mod media;
pub mod metrics;
pub mod server;
pub mod service;
pub mod signals;
pub mod slots;
pub mod state;
pub mod telemetry;
pub mod web;

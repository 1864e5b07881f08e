//! Dateline: a CMS server for research-news articles.
//!
//! A code tour, in the order a request travels:
//!
//! - [`cli`] parses the command line (`serve`, `migrate`, `demo`) and [`config`] reads settings
//!   from flags and the environment; [`localpg`] starts a project-local PostgreSQL when no
//!   `DATABASE_URL` is given.
//! - [`app`] builds the router and the middleware stack; [`server`] runs it with graceful shutdown.
//! - [`web`] holds the HTTP handlers, grouped by audience (`public` pages for readers, health
//!   checks); handlers are thin and render askama page structs from `templates/`.
//! - [`domain`] holds validated types and pure rules (slugs, statuses, Markdown → safe HTML, date
//!   formatting) with no I/O; [`db`] holds every SQL query, one module per table.
//! - [`error`] turns every failure into a styled HTML page or an RFC 9457 problem, never leaking
//!   internals; [`assets`] serves CSS and JS under content-hashed names.
//! - [`demo`] loads the demo stories and topics.

pub mod app;
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
pub mod jobs;
pub mod localpg;
pub mod server;
pub mod service;
pub mod signals;
pub mod state;
pub mod telemetry;
pub mod web;

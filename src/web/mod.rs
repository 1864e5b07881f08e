//! HTTP only: handlers and the askama page structs they render, grouped by audience.

pub mod admin;
pub mod api;
pub mod errors;
pub mod front;
pub mod headers;
pub mod health;
pub mod limits;
pub mod pages;
pub mod public;
pub mod runtime;
pub mod upload;

use crate::error::AppError;

/// The router's fallback: a styled 404 page.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

//! HTTP only: handlers and the askama page structs they render, grouped by audience.

pub mod access;
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

/// A styled 404 page (an unknown address under `/admin`, answered in the admin's layout; the
/// public fallback looks up imported old links first).
pub async fn not_found() -> AppError {
    AppError::NotFound
}

//! Reader signals: the keys behind feedback's spam and privacy controls, and cookie-less page-view
//! counts kept in memory and written to PostgreSQL in batches.

pub mod keys;
pub mod ratelimit;
pub mod views;
pub mod writer;

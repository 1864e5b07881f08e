//! Background work that runs inside the server.

pub mod scheduler;

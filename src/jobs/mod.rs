//! Background work that runs inside the server: the scheduler of publications, and periodic
//! upkeep that one instance does for all, and the delivery of webhooks.

pub mod maintenance;
pub mod scheduler;
pub mod webhooks;

//! Background work that runs inside the server: the scheduler of publications, and periodic
//! upkeep that one instance does for all.

pub mod maintenance;
pub mod scheduler;

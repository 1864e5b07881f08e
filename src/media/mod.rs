//! Images at the edge: reading an upload's header, decoding it under limits, making the
//! renditions ([`process`]), and where the files are kept ([`store`]). What is allowed and what
//! is served is decided in `crate::domain::media`.

pub mod bench;
pub mod process;
pub mod store;

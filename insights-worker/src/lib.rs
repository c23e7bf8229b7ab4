//! CreatorOS insights worker: when a workspace's metrics change, derive what the creator should know and do next,
//! and write it back as insights and tasks under the same workspace keys.
//!
//! - [`invocation`]: which event source invoked the function, typed;
//! - [`commands`]: what the insights queue carries (commands and stream failure notices), read once, typed;
//! - [`handler`]: DynamoDB stream batches and SQS `rederive` commands, coalesced to one derivation per
//!   (workspace, month), answering with per-record / per-message failures;
//! - [`derive`]: one month's derivation: read, run the rules (`creatoros_rules`), write only the
//!   difference under the month's lock and watermark;
//! - [`recover`]: a stream failure notice turned back into its records (read from the stream while it keeps them);
//! - [`context`]: clients, settings and work counters.

#![deny(clippy::all)]
#![warn(missing_docs)]

pub mod commands;
pub mod context;
pub mod derive;
pub mod handler;
pub mod invocation;
pub mod recover;

pub use context::{Insights, Settings};

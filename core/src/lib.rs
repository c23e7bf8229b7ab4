//! CreatorOS pipeline core: the domain shared by the ingest and insights workers.
//!
//! - [`ids`]: validated ids, calendar values and platforms, the only things allowed inside keys (the
//!   `creatoros-ids` crate, re-exported);
//! - [`contract`]: the ElectroDB 3.x table contract (schemas, the one key codec);
//! - [`entities`]: typed profile, plan, post, variant, draft, metric, insight, task and import;
//! - [`ingest`]: object keys, import ids and the items a row becomes (the readers themselves are the
//!   `creatoros-formats` crate);
//! - [`insights`]: the rule catalogue from a month's metrics to insights and tasks, pure;
//! - [`repo`]: the table repository over `aws-sdk-dynamodb` (conditional and versioned writes, paginated
//!   queries, batch writes that survive partial failure);
//! - [`retry`]: backoff with jitter up to a cap;
//! - [`metrics`]: one invocation's operational metrics as CloudWatch Embedded Metric Format;
//! - [`logging`]: Lambda's JSON log format, with span fields (request, workspace, import ids) at the top level;
//! - [`errors`]: error text with its sources, for logs and records;
//! - [`config`]: the environment variable names shared by template, local stack and tests;
//! - [`triggers`]: the stream filter that decides which table changes start a derivation.
//!
//! Core has no Lambda dependency: handlers live in the worker crates and call into it.

#![deny(clippy::all)]
#![warn(missing_docs)]

pub mod config;
pub mod contract;
pub mod entities;
pub mod errors;
pub mod ingest;
pub mod insights;
pub mod logging;
pub mod metrics;
pub mod repo;
pub mod retry;
pub mod triggers;

pub use creatoros_ids as ids;

//! What a CreatorOS process needs around its logic, without AWS clients:
//!
//! - [`config`]: the environment variable names shared by template, local stack and tests, and the settings
//!   read from them;
//! - [`logging`]: Lambda's JSON log format, with span fields (request, workspace, import ids) at the top level;
//! - [`metrics`]: one invocation's operational metrics as CloudWatch Embedded Metric Format;
//! - [`errors`]: error text with its sources, for logs and records.

#![deny(clippy::all)]
#![warn(missing_docs)]

pub mod config;
pub mod errors;
pub mod logging;
pub mod metrics;

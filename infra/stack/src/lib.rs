//! The CreatorOS stack: what the pipeline's AWS resources are, and how the tools reach them.
//!
//! - [`resources`]: the one definition of the table, bucket, queues and notification (tests hold the SAM
//!   template to it);
//! - [`bootstrap`]: creates them, idempotently, on the endpoints the SDK points at (the local stack, or an
//!   account);
//! - [`aws`]: SDK clients from the standard AWS environment;
//! - [`queues`]: what a queue holds;
//! - [`electrodb`]: runs the app's ElectroDB model through node, to read what the workers wrote as the app does;
//! - [`ServiceError`]: the one error of these calls.
//!
//! The local servers themselves (DynamoDB Local, moto) are started by `infra/scripts/stack.sh`.

#![deny(clippy::all)]
#![warn(missing_docs)]

pub mod aws;
pub mod bootstrap;
pub mod electrodb;
mod error;
pub mod queues;
pub mod resources;

pub use error::ServiceError;

//! CreatorOS ingest worker: analytics exports uploaded under `imports/<workspaceId>/` become metric items, one
//! import record, and a rejects file for the rows that could not be used.
//!
//! - [`handler`]: the SQS batch handler (the Lambda binary and the local runner both call it);
//! - [`message`]: S3 notifications (real and moto shapes), `reingest` and `continue` commands;
//! - [`import`]: one object's import: claim, stream, write, checkpoint, continue or finish;
//! - [`source`]: the object in S3; [`rejects_store`]: rejected rows in S3;
//! - [`writer`]: newest-upload-wins metric writes; [`lock`]: the workspace lock they rely on;
//! - [`linker`]: rows matched to the posts the team planned; [`context`]: clients and settings.
//!
//! The parsing itself (formats, rows, values) is pure and lives in `creatoros_model::imports`.

#![deny(clippy::all)]
#![warn(missing_docs)]

pub mod context;
pub mod handler;
pub mod import;
pub mod linker;
pub mod lock;
pub mod message;
pub mod rejects_store;
pub mod source;
pub mod writer;

pub use context::{Ingest, Settings};

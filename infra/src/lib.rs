//! CreatorOS infrastructure: everything that knows how the pipeline meets AWS, or imitates it locally.
//!
//! - [`resources`]: the one definition of the table, bucket, queues and notification;
//! - [`bootstrap`]: creates them (idempotently) on the endpoints the SDK points at;
//! - [`aws`]: SDK clients from the standard AWS environment;
//! - [`electrodb`]: runs the app's ElectroDB contract model through node, to read what the workers wrote;
//! - [`runner`]: the local event-source runner for queues (plays Lambda's SQS mapping);
//! - [`stream_runner`]: the local runner for the table's stream (plays Lambda's DynamoDB stream mapping);
//! - [`pipeline`]: the ingest queue, the stream and the insights queue run together, locally;
//! - [`redrive`]: moves a dead-letter queue's messages back to their source queue;
//! - [`migrate`]: re-dates the publish-dated items of tables the first version wrote;
//! - [`purge`]: removes a workspace's items and objects;
//! - [`status`]: the operator's view of queues, dead letters and imports;
//! - [`cli`]: the `creatoros` operator CLI;
//! - [`demo`]: the end-to-end demo behind `make demo`.
//!
//! The SAM template (`infra/template.yaml`) and the local stack script (`infra/scripts/stack.sh`) live beside
//! this crate; tests check that the template and [`resources`] agree.

#![deny(clippy::all)]
#![warn(missing_docs)]

pub mod aws;
pub mod backfill;
pub mod bootstrap;
pub mod cli;
pub mod demo;
pub mod electrodb;
pub mod migrate;
pub mod pipeline;
pub mod purge;
pub mod redrive;
pub mod resources;
pub mod runner;
pub mod status;
pub mod stream_runner;

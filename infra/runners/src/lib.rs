//! Local event sources: Lambda's event source mappings, played against the local stack so the very handlers the
//! Lambda binaries run are driven as AWS drives them.
//!
//! - [`queue`]: the SQS mapping (batches, `batchItemFailures`, visibility, dead letters);
//! - [`stream`]: the DynamoDB stream mapping (shards, the template's filter, bisecting retries, failure notices);
//! - [`pipeline`]: the ingest queue, the stream and the insights queue run together, as `creatoros run` and the
//!   end-to-end tests use them.

#![deny(clippy::all)]
#![warn(missing_docs)]

pub mod pipeline;
pub mod queue;
pub mod stream;

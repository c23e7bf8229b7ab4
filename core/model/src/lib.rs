//! The CreatorOS table model: what an item of the one table is, with no AWS dependency.
//!
//! - [`ids`]: validated ids, calendar values and platforms, the only things allowed inside keys (the
//!   `creatoros-ids` crate, re-exported);
//! - [`contract`]: the ElectroDB 3.x table contract (schemas, the one key codec, items as
//!   `serde_dynamo` attribute values);
//! - [`entities`]: typed profile, plan, post, variant, draft, metric, daily, insight, task, import, lock and
//!   schedule;
//! - [`imports`]: object keys, import ids, the items a row becomes and the snapshot migration plan (the readers
//!   themselves are the `creatoros-formats` crate);
//! - [`stream_filter`]: the stream filter patterns that decide which table changes start a derivation, shared by
//!   the template, the insights worker and the local stream runner.
//!
//! `creatoros-store` writes these items with the AWS SDK; `creatoros-rules` derives insights from them.

#![deny(clippy::all)]
#![warn(missing_docs)]

pub mod contract;
pub mod entities;
pub mod imports;
pub mod stream_filter;

pub use creatoros_ids as ids;

//! Typed entities of the table, one struct per ElectroDB entity, plus the closed value sets they use.
//!
//! Field names follow the ElectroDB model (`camelCase`); absent optional attributes are omitted rather than
//! written as nulls, as ElectroDB does. Ids and calendar values are validated types from [`crate::ids`].

mod content;
mod daily;
mod derivation;
mod import;
mod insight;
mod lock;
mod metric;
mod workspace;

pub use content::{Draft, Post, Variant};
pub use daily::{post_subject, Daily, ACCOUNT};
pub use derivation::{Derivation, Schedule};
pub use import::{Checkpoint, Import, ImportStatus, RowError};
pub use insight::{Evidence, Insight, Severity, Task, TaskStatus};
pub use lock::Lock;
pub use metric::{Measure, Metric};
pub use workspace::{Cadence, Plan, PlanStatus, Profile};

pub use creatoros_ids::Platform;

use serde::{Deserialize, Serialize};

/// Workflow state of a post or variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PostStatus {
    /// An idea, not yet drafted.
    Idea,
    /// Being written.
    Drafting,
    /// Waiting for review.
    Review,
    /// Scheduled to publish.
    Scheduled,
    /// Published.
    Published,
}

/// An empty `publishDate` means "no date yet" (the app writes `""`, ElectroDB keys it as `publishDate_`).
pub(crate) mod empty_day {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::ids::Day;

    pub fn serialize<S: Serializer>(value: &Option<Day>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(value.as_ref().map_or("", Day::as_str))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Day>, D::Error> {
        let raw = String::deserialize(d)?;
        if raw.is_empty() {
            Ok(None)
        } else {
            Day::parse(raw).map(Some).map_err(serde::de::Error::custom)
        }
    }
}

/// Rejects NaN and infinities, which DynamoDB cannot store.
pub(crate) fn check_finite(
    entity: &'static str,
    fields: &[(&str, Option<f64>)],
) -> Result<(), crate::contract::ContractError> {
    for (name, value) in fields {
        if let Some(v) = value {
            if !v.is_finite() {
                return Err(crate::contract::ContractError::Inconsistent {
                    entity,
                    reason: format!("{name} is {v}, not a finite number"),
                });
            }
        }
    }
    Ok(())
}

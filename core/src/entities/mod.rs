//! Typed entities of the table, one struct per ElectroDB entity, plus the closed value sets they use.
//!
//! Field names follow the ElectroDB model (`camelCase`); absent optional attributes are omitted rather than
//! written as nulls, as ElectroDB does. Ids and calendar values are validated types from [`crate::ids`].

mod content;
mod derivation;
mod import;
mod insight;
mod lock;
mod metric;
mod workspace;

pub use content::{Draft, Post, Variant};
pub use derivation::Derivation;
pub use import::{Checkpoint, Import, ImportStatus, RowError};
pub use insight::{Evidence, Insight, Severity, Task, TaskStatus};
pub use lock::Lock;
pub use metric::Metric;
pub use workspace::{Cadence, Plan, PlanStatus, Profile};

use serde::{Deserialize, Serialize};

/// A social platform the app publishes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// LinkedIn.
    Linkedin,
    /// X (Twitter).
    X,
    /// YouTube.
    Youtube,
    /// Rednote (Xiaohongshu).
    Rednote,
}

impl Platform {
    /// Every platform, in model order.
    pub const ALL: [Platform; 4] = [
        Platform::Linkedin,
        Platform::X,
        Platform::Youtube,
        Platform::Rednote,
    ];

    /// The value stored in items and keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Linkedin => "linkedin",
            Platform::X => "x",
            Platform::Youtube => "youtube",
            Platform::Rednote => "rednote",
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Platform {
    type Err = crate::ids::InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| crate::ids::InvalidValue {
                field: "platform",
                value: s.chars().take(80).collect(),
                rule: "must be one of linkedin, x, youtube, rednote",
            })
    }
}

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

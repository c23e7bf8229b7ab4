//! Workspace-level entities written by the app: the profile and the monthly plan.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::contract::{schema, ContractError, Entity, EntitySchema};
use crate::ids::{Month, OwnerId, WorkspaceId};

use super::check_finite;

/// A workspace's profile (one per workspace).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// The tenant.
    pub workspace_id: WorkspaceId,
    /// Clerk user id of the owner.
    pub owner_id: OwnerId,
    /// Shown in the app.
    pub display_name: Option<String>,
    /// The creator's niche.
    pub niche: Option<String>,
    /// IANA time zone.
    pub timezone: Option<String>,
    /// Platforms the workspace publishes to.
    pub platforms: Option<Vec<String>>,
    /// ISO timestamp.
    pub created_at: Option<String>,
    /// ISO timestamp.
    pub updated_at: Option<String>,
}

impl Entity for Profile {
    const SCHEMA: &'static EntitySchema = &schema::PROFILE;
}

/// State of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlanStatus {
    /// Being written.
    Draft,
    /// The month's plan.
    Active,
    /// Past.
    Archived,
}

/// Posts per platform a plan aims for.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Cadence {
    /// Posts on LinkedIn.
    pub linkedin: Option<f64>,
    /// Posts on X.
    pub x: Option<f64>,
    /// Videos on YouTube.
    pub youtube: Option<f64>,
    /// Notes on Rednote.
    pub rednote: Option<f64>,
}

/// A monthly content plan.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// The tenant.
    pub workspace_id: WorkspaceId,
    /// The month planned.
    pub month: Month,
    /// Theme of the month.
    pub theme: Option<String>,
    /// Goals in the team's words.
    pub goals: Option<Vec<String>>,
    /// Target posts per platform.
    pub cadence: Option<Cadence>,
    /// Plan state.
    pub status: Option<PlanStatus>,
    /// Free notes.
    pub notes: Option<String>,
    /// ISO timestamp.
    pub created_at: Option<String>,
    /// ISO timestamp.
    pub updated_at: Option<String>,
}

impl Entity for Plan {
    const SCHEMA: &'static EntitySchema = &schema::PLAN;

    fn check(&self) -> Result<(), ContractError> {
        let c = self.cadence.clone().unwrap_or_default();
        check_finite(
            "plan",
            &[
                ("cadence.linkedin", c.linkedin),
                ("cadence.x", c.x),
                ("cadence.youtube", c.youtube),
                ("cadence.rednote", c.rednote),
            ],
        )
    }
}

//! Content entities written by the app: posts, their per-platform variants and saved drafts.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::contract::{schema, ContractError, Entity, EntitySchema};
use crate::ids::{Day, Month, PostId, WorkspaceId};

use super::{check_finite, Platform, PostStatus};

/// A planned post, platform-neutral.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Post {
    /// The tenant.
    pub workspace_id: WorkspaceId,
    /// The app's post id.
    pub post_id: PostId,
    /// Workflow state.
    pub status: PostStatus,
    /// Month the post belongs to.
    pub month: Month,
    /// Planned or actual publish day; `None` is stored as `""` (an idea without a date).
    #[serialize_always]
    #[serde(with = "super::empty_day")]
    pub publish_date: Option<Day>,
    /// Working title.
    pub title: Option<String>,
    /// Content pillar.
    pub pillar: Option<String>,
    /// The app's edit counter (an ElectroDB number: any finite value).
    pub version: f64,
    /// Tags, stored as a string set (omitted when empty: DynamoDB has no empty sets).
    #[serde(
        with = "serde_dynamo::string_set",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tags: Vec<String>,
    /// ISO timestamp.
    pub created_at: Option<String>,
    /// ISO timestamp.
    pub updated_at: Option<String>,
}

impl Entity for Post {
    const SCHEMA: &'static EntitySchema = &schema::POST;

    fn check(&self) -> Result<(), ContractError> {
        check_finite("post", &[("version", Some(self.version))])
    }
}

/// A post's text for one platform, and where it was published.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Variant {
    /// The tenant.
    pub workspace_id: WorkspaceId,
    /// The app's post id.
    pub post_id: PostId,
    /// Platform of this variant.
    pub platform: Platform,
    /// Month the post belongs to.
    pub month: Month,
    /// Workflow state on this platform.
    pub status: Option<PostStatus>,
    /// Opening line.
    pub hook: Option<String>,
    /// Full text.
    pub body: Option<String>,
    /// Hashtags.
    pub hashtags: Option<Vec<String>>,
    /// ISO timestamp.
    pub scheduled_at: Option<String>,
    /// Length of the body.
    pub char_count: Option<f64>,
    /// The app's edit counter.
    pub version: Option<f64>,
    /// ISO timestamp.
    pub updated_at: Option<String>,
    /// The platform's own id of the published post (tweet id, video id, LinkedIn URN, note id), if recorded:
    /// how analytics rows find the post the team planned.
    pub published_id: Option<String>,
    /// Link to the published post, if recorded.
    pub published_url: Option<String>,
}

impl Entity for Variant {
    const SCHEMA: &'static EntitySchema = &schema::VARIANT;

    fn check(&self) -> Result<(), ContractError> {
        check_finite(
            "variant",
            &[("charCount", self.char_count), ("version", self.version)],
        )
    }
}

/// One saved draft of a variant.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Draft {
    /// The tenant.
    pub workspace_id: WorkspaceId,
    /// The app's post id.
    pub post_id: PostId,
    /// Platform of the variant.
    pub platform: Platform,
    /// Draft number (zero-padded to four digits inside keys).
    pub draft_version: u32,
    /// Month the post belongs to.
    pub month: Month,
    /// Clerk user id of the author.
    pub author_id: Option<String>,
    /// Draft text.
    pub body: Option<String>,
    /// Editor's note.
    pub note: Option<String>,
    /// ISO timestamp.
    pub created_at: Option<String>,
}

impl Entity for Draft {
    const SCHEMA: &'static EntitySchema = &schema::DRAFT;
}

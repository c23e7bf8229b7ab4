//! The table's entities and indexes as data: the Rust twin of `core/model/electrodb/model.mjs`.
//!
//! Everything that builds or reads a key looks the composites up here, so an index changes in exactly one place
//! on each side of the language boundary; `tests/` checks that both sides still describe the same model.
//!
//! Longer than most files on purpose: it is the whole table as data, entity by entity in `model.mjs`'s order, so
//! the two can be read side by side; splitting it would split that comparison.

/// The service name ElectroDB puts at the start of every partition key.
pub const SERVICE: &str = "creatoros";
/// Attribute that names the entity of an item; ElectroDB ignores items without it.
pub const ENTITY_MARKER: &str = "__edb_e__";
/// Attribute that names the entity version of an item.
pub const VERSION_MARKER: &str = "__edb_v__";

/// The three physical indexes of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IndexName {
    /// The table's own key (`pk`, `sk`).
    Primary,
    /// GSI1: monthly timeline and metric reads.
    Gsi1,
    /// GSI2: workflow status and platform reads.
    Gsi2,
}

impl IndexName {
    /// Every index, in table order.
    pub const ALL: [IndexName; 3] = [IndexName::Primary, IndexName::Gsi1, IndexName::Gsi2];

    /// The DynamoDB index name, `None` for the table itself.
    pub fn index_name(self) -> Option<&'static str> {
        match self {
            IndexName::Primary => None,
            IndexName::Gsi1 => Some("gsi1"),
            IndexName::Gsi2 => Some("gsi2"),
        }
    }

    /// The name ElectroDB's vectors and our reports use (`primary`, `gsi1`, `gsi2`).
    pub fn label(self) -> &'static str {
        self.index_name().unwrap_or("primary")
    }

    /// The partition key attribute.
    pub fn pk_field(self) -> &'static str {
        match self {
            IndexName::Primary => "pk",
            IndexName::Gsi1 => "gsi1pk",
            IndexName::Gsi2 => "gsi2pk",
        }
    }

    /// The sort key attribute.
    pub fn sk_field(self) -> &'static str {
        match self {
            IndexName::Primary => "sk",
            IndexName::Gsi1 => "gsi1sk",
            IndexName::Gsi2 => "gsi2sk",
        }
    }
}

/// One access pattern of an entity on one physical index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexSchema {
    /// The physical index.
    pub index: IndexName,
    /// ElectroDB's access pattern name (`byMonth`, ...).
    pub access_pattern: &'static str,
    /// Partition key composites, in key order.
    pub pk: &'static [&'static str],
    /// Sort key composites, in key order (may be empty: the sort key is then the entity prefix alone).
    pub sk: &'static [&'static str],
}

/// The DynamoDB shape an attribute is declared with in the ElectroDB model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrKind {
    /// `type: "string"`.
    String,
    /// `type: "number"`.
    Number,
    /// A string restricted to the listed values.
    Enum(&'static [&'static str]),
    /// `type: "list"`.
    List,
    /// `type: "set"` of strings (`SS`).
    StringSet,
    /// `type: "map"`.
    Map,
}

/// ElectroDB's `padding` option: applied inside keys only, never to the stored attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Padding {
    /// Minimum length of the value inside a key.
    pub length: usize,
    /// Character added on the left.
    pub fill: char,
}

/// One attribute of an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttrSchema {
    /// Attribute name, also the key label.
    pub name: &'static str,
    /// Declared type.
    pub kind: AttrKind,
    /// ElectroDB refuses to write the entity without it.
    pub required: bool,
    /// Key padding, if declared.
    pub padding: Option<Padding>,
}

/// An entity: its name, version, access patterns and attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntitySchema {
    /// Entity name (`__edb_e__`).
    pub name: &'static str,
    /// Entity version (`__edb_v__`).
    pub version: &'static str,
    /// One access pattern per physical index the entity appears in.
    pub indexes: &'static [IndexSchema],
    /// Declared attributes.
    pub attributes: &'static [AttrSchema],
}

impl EntitySchema {
    /// The access pattern on `index`, if the entity has one there.
    pub fn index(&self, index: IndexName) -> Option<&IndexSchema> {
        self.indexes.iter().find(|i| i.index == index)
    }

    /// The declaration of attribute `name`.
    pub fn attribute(&self, name: &str) -> Option<&AttrSchema> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// Every attribute used in any key of the entity, in first-use order.
    pub fn key_attributes(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for index in self.indexes {
            for name in index.pk.iter().chain(index.sk) {
                if !out.contains(name) {
                    out.push(name);
                }
            }
        }
        out
    }
}

/// Platforms the app publishes to.
pub const PLATFORMS: &[&str] = &["linkedin", "x", "youtube", "rednote"];
/// Workflow states of a post and its variants.
pub const POST_STATUS: &[&str] = &["idea", "drafting", "review", "scheduled", "published"];
/// States of a task.
pub const TASK_STATUS: &[&str] = &["open", "done", "dismissed", "retired"];
/// Severities of an insight.
pub const SEVERITY: &[&str] = &["info", "warning", "critical"];
/// States of a plan.
pub const PLAN_STATUS: &[&str] = &["draft", "active", "archived"];
/// States of an import.
pub const IMPORT_STATUS: &[&str] = &["processing", "completed", "partial", "failed"];
/// What a metric's numbers measure.
pub const MEASURE: &[&str] = &["lifetime", "period"];

const fn attr(name: &'static str, kind: AttrKind) -> AttrSchema {
    AttrSchema {
        name,
        kind,
        required: false,
        padding: None,
    }
}

const fn req(name: &'static str, kind: AttrKind) -> AttrSchema {
    AttrSchema {
        name,
        kind,
        required: true,
        padding: None,
    }
}

const fn ix(
    index: IndexName,
    access_pattern: &'static str,
    pk: &'static [&'static str],
    sk: &'static [&'static str],
) -> IndexSchema {
    IndexSchema {
        index,
        access_pattern,
        pk,
        sk,
    }
}

use AttrKind::{Enum, List, Map, Number, String as Str, StringSet};
use IndexName::{Gsi1, Gsi2, Primary};

/// A workspace's profile.
pub const PROFILE: EntitySchema = EntitySchema {
    name: "profile",
    version: "1",
    indexes: &[
        ix(Primary, "byWorkspace", &["workspaceId"], &[]),
        ix(Gsi1, "byOwner", &["ownerId"], &["workspaceId"]),
    ],
    attributes: &[
        req("workspaceId", Str),
        req("ownerId", Str),
        attr("displayName", Str),
        attr("niche", Str),
        attr("timezone", Str),
        attr("platforms", List),
        attr("createdAt", Str),
        attr("updatedAt", Str),
    ],
};

/// A monthly content plan.
pub const PLAN: EntitySchema = EntitySchema {
    name: "plan",
    version: "1",
    indexes: &[
        ix(Primary, "byWorkspace", &["workspaceId"], &["month"]),
        ix(Gsi1, "byMonth", &["workspaceId", "month"], &[]),
    ],
    attributes: &[
        req("workspaceId", Str),
        req("month", Str),
        attr("theme", Str),
        attr("goals", List),
        attr("cadence", Map),
        attr("status", Enum(PLAN_STATUS)),
        attr("notes", Str),
        attr("createdAt", Str),
        attr("updatedAt", Str),
    ],
};

/// A planned post (platform-neutral).
pub const POST: EntitySchema = EntitySchema {
    name: "post",
    version: "1",
    indexes: &[
        ix(Primary, "byWorkspace", &["workspaceId"], &["postId"]),
        ix(
            Gsi1,
            "byMonth",
            &["workspaceId", "month"],
            &["publishDate", "postId"],
        ),
        ix(
            Gsi2,
            "byStatus",
            &["workspaceId", "status"],
            &["publishDate", "postId"],
        ),
    ],
    attributes: &[
        req("workspaceId", Str),
        req("postId", Str),
        req("status", Enum(POST_STATUS)),
        req("month", Str),
        req("publishDate", Str),
        attr("title", Str),
        attr("pillar", Str),
        req("version", Number),
        attr("tags", StringSet),
        attr("createdAt", Str),
        attr("updatedAt", Str),
    ],
};

/// A post's text for one platform.
pub const VARIANT: EntitySchema = EntitySchema {
    name: "variant",
    version: "1",
    indexes: &[
        ix(Primary, "byPost", &["workspaceId"], &["postId", "platform"]),
        ix(
            Gsi1,
            "byMonth",
            &["workspaceId", "month"],
            &["postId", "platform"],
        ),
        ix(
            Gsi2,
            "byPlatform",
            &["workspaceId", "platform"],
            &["month", "postId"],
        ),
    ],
    attributes: &[
        req("workspaceId", Str),
        req("postId", Str),
        req("platform", Enum(PLATFORMS)),
        req("month", Str),
        attr("status", Enum(POST_STATUS)),
        attr("hook", Str),
        attr("body", Str),
        attr("hashtags", List),
        attr("scheduledAt", Str),
        attr("charCount", Number),
        attr("version", Number),
        attr("updatedAt", Str),
        // Added by this contract (not in the app's original model): how analytics rows find a planned post.
        attr("publishedId", Str),
        attr("publishedUrl", Str),
    ],
};

/// One saved draft of a variant.
pub const DRAFT: EntitySchema = EntitySchema {
    name: "draft",
    version: "1",
    indexes: &[
        ix(
            Primary,
            "byPost",
            &["workspaceId"],
            &["postId", "platform", "draftVersion"],
        ),
        ix(
            Gsi1,
            "byMonth",
            &["workspaceId", "month"],
            &["postId", "platform", "draftVersion"],
        ),
    ],
    attributes: &[
        req("workspaceId", Str),
        req("postId", Str),
        req("platform", Enum(PLATFORMS)),
        AttrSchema {
            name: "draftVersion",
            kind: Number,
            required: true,
            padding: Some(Padding {
                length: 4,
                fill: '0',
            }),
        },
        req("month", Str),
        attr("authorId", Str),
        attr("body", Str),
        attr("note", Str),
        attr("createdAt", Str),
    ],
};

/// A snapshot of a post's numbers on one platform as of one day.
pub const METRIC: EntitySchema = EntitySchema {
    name: "metric",
    version: "1",
    indexes: &[
        ix(
            Primary,
            "byPost",
            &["workspaceId"],
            &["postId", "platform", "date"],
        ),
        ix(
            Gsi1,
            "byMonth",
            &["workspaceId", "month"],
            &["date", "postId", "platform"],
        ),
        ix(
            Gsi2,
            "byPlatform",
            &["workspaceId", "platform"],
            &["date", "postId"],
        ),
    ],
    attributes: &[
        req("workspaceId", Str),
        req("postId", Str),
        req("platform", Enum(PLATFORMS)),
        req("date", Str),
        req("month", Str),
        // Added by this contract (the revised time model): what the numbers measure, the period they cover,
        // and the post as the export names it.
        attr("measure", Enum(MEASURE)),
        attr("periodStart", Str),
        attr("periodEnd", Str),
        attr("publishedAt", Str),
        attr("title", Str),
        attr("impressions", Number),
        attr("likes", Number),
        attr("comments", Number),
        attr("shares", Number),
        attr("saves", Number),
        attr("clicks", Number),
        attr("views", Number),
        attr("engagements", Number),
        attr("watchTimeSeconds", Number),
        attr("followersGained", Number),
        attr("clickThroughRate", Number),
        attr("source", Str),
        attr("capturedAt", Str),
        // Added by this contract: stamped by the ingest worker, absent on metrics the app writes, so the stream
        // filter can tell an app edit (derive now) from an import row (derive once, when the import ends).
        attr("importId", Str),
    ],
};

/// One day's values of an account or a post on one platform (the pipeline's; exports that give a value per
/// day). `subject` is `account` or `post-<postId>`.
pub const DAILY: EntitySchema = EntitySchema {
    name: "daily",
    version: "1",
    indexes: &[
        ix(
            Primary,
            "bySubject",
            &["workspaceId"],
            &["platform", "subject", "day"],
        ),
        ix(
            Gsi1,
            "byMonth",
            &["workspaceId", "month"],
            &["day", "platform", "subject"],
        ),
        ix(
            Gsi2,
            "byPlatform",
            &["workspaceId", "platform"],
            &["day", "subject"],
        ),
    ],
    attributes: &[
        req("workspaceId", Str),
        req("platform", Enum(PLATFORMS)),
        req("subject", Str),
        req("day", Str),
        req("month", Str),
        attr("postId", Str),
        attr("title", Str),
        attr("publishedAt", Str),
        attr("impressions", Number),
        attr("engagements", Number),
        attr("likes", Number),
        attr("comments", Number),
        attr("shares", Number),
        attr("saves", Number),
        attr("clicks", Number),
        attr("views", Number),
        attr("watchTimeSeconds", Number),
        attr("followersGained", Number),
        attr("followersLost", Number),
        attr("followers", Number),
        attr("profileVisits", Number),
        attr("postsPublished", Number),
        attr("clickThroughRate", Number),
        attr("source", Str),
        attr("capturedAt", Str),
        attr("importId", Str),
    ],
};

/// Something the insights worker learned about a month.
pub const INSIGHT: EntitySchema = EntitySchema {
    name: "insight",
    version: "1",
    indexes: &[
        ix(
            Primary,
            "byWorkspace",
            &["workspaceId"],
            &["month", "insightId"],
        ),
        ix(Gsi1, "byMonth", &["workspaceId", "month"], &["insightId"]),
        ix(
            Gsi2,
            "bySeverity",
            &["workspaceId", "severity"],
            &["month", "insightId"],
        ),
    ],
    attributes: &[
        req("workspaceId", Str),
        req("insightId", Str),
        req("month", Str),
        req("kind", Str),
        req("severity", Enum(SEVERITY)),
        attr("title", Str),
        attr("body", Str),
        attr("evidence", List),
        attr("createdAt", Str),
        // Added by this contract: the watermark of the derivation that wrote it.
        attr("derivedAt", Str),
    ],
};

/// Something the team should do next.
pub const TASK: EntitySchema = EntitySchema {
    name: "task",
    version: "1",
    indexes: &[
        ix(Primary, "byWorkspace", &["workspaceId"], &["taskId"]),
        ix(Gsi1, "byMonth", &["workspaceId", "month"], &["taskId"]),
        ix(
            Gsi2,
            "byStatus",
            &["workspaceId", "status"],
            &["month", "taskId"],
        ),
    ],
    attributes: &[
        req("workspaceId", Str),
        req("taskId", Str),
        req("month", Str),
        req("status", Enum(TASK_STATUS)),
        attr("title", Str),
        attr("priority", Number),
        attr("sourceInsightId", Str),
        attr("assigneeId", Str),
        attr("dueDate", Str),
        attr("createdAt", Str),
        attr("updatedAt", Str),
        // Added by this contract: the watermark of the derivation that last wrote it. A task whose `updatedAt` is
        // later was touched by a user and is not rewritten.
        attr("derivedAt", Str),
    ],
};

/// The pipeline's record of one ingested object (not in the app's original model; shipped in ours).
pub const IMPORT: EntitySchema = EntitySchema {
    name: "import",
    version: "1",
    indexes: &[
        ix(Primary, "byWorkspace", &["workspaceId"], &["importId"]),
        ix(Gsi1, "byMonth", &["workspaceId", "month"], &["importId"]),
        ix(
            Gsi2,
            "byStatus",
            &["workspaceId", "status"],
            &["month", "importId"],
        ),
    ],
    attributes: &[
        req("workspaceId", Str),
        req("importId", Str),
        req("month", Str),
        req("status", Enum(IMPORT_STATUS)),
        req("bucket", Str),
        req("key", Str),
        attr("versionId", Str),
        attr("etag", Str),
        attr("sizeBytes", Number),
        req("sourceTime", Str),
        attr("format", Str),
        attr("rowsSeen", Number),
        attr("rowsWritten", Number),
        attr("rowsRejected", Number),
        attr("errors", List),
        attr("rejectsKey", Str),
        attr("months", List),
        attr("checkpoint", Map),
        attr("leaseOwner", Str),
        attr("leaseExpiresAt", Str),
        attr("startedAt", Str),
        attr("finishedAt", Str),
        attr("updatedAt", Str),
        req("version", Number),
        attr("failure", Str),
        attr("invocations", Number),
        attr("container", Str),
        attr("notes", List),
    ],
};

/// The table's time-to-live attribute (epoch seconds; DynamoDB deletes an item some time after it passes). Only
/// items that are useless once old carry it: locks and schedule entries. Readers never rely on the deletion, which
/// can lag by days: a lock is judged by its own `expiresAt`, a schedule entry by its day.
pub const TTL_ATTRIBUTE: &str = "ttl";

/// A named, expiring lock within a workspace (the pipeline's; e.g. `ingest`, held while an import writes).
pub const LOCK: EntitySchema = EntitySchema {
    name: "lock",
    version: "1",
    indexes: &[ix(Primary, "byWorkspace", &["workspaceId"], &["name"])],
    attributes: &[
        req("workspaceId", Str),
        req("name", Str),
        req("owner", Str),
        req("expiresAt", Str),
        attr("holder", Str),
        attr(TTL_ATTRIBUTE, Number),
    ],
};

/// The insights worker's record of a month's latest derivation: its watermark and what it produced.
pub const DERIVATION: EntitySchema = EntitySchema {
    name: "derivation",
    version: "1",
    indexes: &[ix(Primary, "byWorkspace", &["workspaceId"], &["month"])],
    attributes: &[
        req("workspaceId", Str),
        req("month", Str),
        req("watermark", Str),
        attr("contentHash", Str),
        attr("insightIds", List),
        attr("taskIds", List),
        attr("runs", Number),
        attr("derivedAt", Str),
        attr("catalogue", Str),
    ],
};

/// A workspace month the daily schedule re-derives on `day` (what time alone can change): stored in its
/// workspace's partition like every item, and indexed by the day (GSI1) so the schedule reads one partition of the
/// index instead of scanning the table.
pub const SCHEDULE: EntitySchema = EntitySchema {
    name: "schedule",
    version: "1",
    indexes: &[
        ix(Primary, "byWorkspace", &["workspaceId"], &["day", "month"]),
        ix(Gsi1, "byDay", &["day"], &["workspaceId", "month"]),
    ],
    attributes: &[
        req("day", Str),
        req("workspaceId", Str),
        req("month", Str),
        attr(TTL_ATTRIBUTE, Number),
    ],
};

/// Every entity of the service, in model order.
pub const ALL_ENTITIES: [&EntitySchema; 13] = [
    &PROFILE,
    &PLAN,
    &POST,
    &VARIANT,
    &DRAFT,
    &METRIC,
    &DAILY,
    &INSIGHT,
    &TASK,
    &IMPORT,
    &LOCK,
    &DERIVATION,
    &SCHEDULE,
];

/// Looks an entity up by its `__edb_e__` name.
pub fn entity_by_name(name: &str) -> Option<&'static EntitySchema> {
    ALL_ENTITIES.iter().copied().find(|e| e.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entity_has_a_primary_index_keyed_by_workspace() {
        for e in ALL_ENTITIES {
            let primary = e.index(IndexName::Primary).expect(e.name);
            assert_eq!(primary.pk, ["workspaceId"], "{}", e.name);
        }
    }

    #[test]
    fn every_key_attribute_is_declared_and_required() {
        for e in ALL_ENTITIES {
            for name in e.key_attributes() {
                let a = e
                    .attribute(name)
                    .unwrap_or_else(|| panic!("{}.{name}", e.name));
                assert!(
                    a.required,
                    "{}.{name} is a key composite but not required",
                    e.name
                );
            }
        }
    }
}

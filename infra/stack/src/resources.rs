//! The pipeline's AWS resources, defined once: the local bootstrap creates them from this definition and a
//! test checks that `infra/template.yaml` declares the same table, indexes, stream, time to live, queues,
//! notification and bucket lifecycle rules.

use creatoros_model::contract::schema::TTL_ATTRIBUTE;
use creatoros_model::contract::IndexName;

/// Logical id of the table in the template.
pub const TABLE_ID: &str = "Table";
/// Logical id of the imports bucket in the template.
pub const BUCKET_ID: &str = "ImportsBucket";
/// Logical id of the ingest queue in the template.
pub const INGEST_QUEUE_ID: &str = "IngestQueue";
/// Logical id of the ingest dead-letter queue in the template.
pub const INGEST_DLQ_ID: &str = "IngestDeadLetterQueue";
/// Logical id of the insights queue in the template.
pub const INSIGHTS_QUEUE_ID: &str = "InsightsQueue";
/// Logical id of the insights dead-letter queue in the template.
pub const INSIGHTS_DLQ_ID: &str = "InsightsDeadLetterQueue";

/// Prefix under which uploads are ingested (`imports/<workspaceId>/<file>`).
pub const IMPORTS_PREFIX: &str = "imports/";
/// Prefix of rejected-row files (`rejects/<workspaceId>/<importId>.csv`).
pub const REJECTS_PREFIX: &str = "rejects/";

/// A global secondary index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSpec {
    /// Index name.
    pub name: &'static str,
    /// Partition key attribute.
    pub hash_key: &'static str,
    /// Sort key attribute.
    pub range_key: &'static str,
}

/// The single table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    /// Physical name.
    pub name: String,
    /// Partition key attribute.
    pub hash_key: &'static str,
    /// Sort key attribute.
    pub range_key: &'static str,
    /// GSIs, all projecting every attribute.
    pub indexes: Vec<IndexSpec>,
    /// Stream view type.
    pub stream_view: &'static str,
    /// Billing mode.
    pub billing_mode: &'static str,
    /// The time-to-live attribute DynamoDB expires items by (locks and schedule entries carry it).
    pub ttl_attribute: &'static str,
}

/// A queue, optionally with a dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    /// Logical id in the template.
    pub logical_id: &'static str,
    /// Physical name.
    pub name: String,
    /// Visibility timeout (at least 6x the consuming function's timeout).
    pub visibility_timeout_secs: u32,
    /// Message retention.
    pub retention_secs: u32,
    /// Dead-letter target (logical id) and receives before a message moves there.
    pub dead_letter: Option<(&'static str, u32)>,
}

/// The S3 → SQS notification of new uploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationSpec {
    /// S3 event names.
    pub events: Vec<&'static str>,
    /// Key prefix filter.
    pub prefix: &'static str,
    /// Target queue (logical id).
    pub queue: &'static str,
}

/// One lifecycle rule of the imports bucket (every rule is enabled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleRuleSpec {
    /// Rule id, the same as in the template.
    pub id: &'static str,
    /// Key prefix the rule applies to; `None` for the whole bucket.
    pub prefix: Option<&'static str>,
    /// Days after creation when current objects expire.
    pub expiration_days: Option<u32>,
    /// Days after which a noncurrent (overwritten or deleted) version is removed.
    pub noncurrent_days: Option<u32>,
    /// Days after which an unfinished multipart upload is aborted.
    pub abort_incomplete_upload_days: Option<u32>,
}

/// How long the bucket keeps what it holds; the template's `RejectsRetentionInDays` and
/// `ImportsRetentionInDays` parameters, whose defaults are [`Retention::default`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Days a rejected-rows file under `rejects/` is kept.
    pub rejects_days: u32,
    /// Days a raw upload under `imports/` is kept; 0 keeps it forever (a reingest replays it).
    pub imports_days: u32,
}

/// Rejects are kept 30 days, uploads forever.
pub const REJECTS_RETENTION_DAYS: u32 = 30;
/// Raw uploads are kept forever by default (0): they are the source every replay reads.
pub const IMPORTS_RETENTION_DAYS: u32 = 0;
/// Days a noncurrent version of an object is kept (versioning makes overwrites recoverable, not permanent).
pub const NONCURRENT_VERSION_DAYS: u32 = 30;
/// Days before an unfinished multipart upload is aborted.
pub const ABORT_INCOMPLETE_UPLOAD_DAYS: u32 = 7;

impl Default for Retention {
    fn default() -> Self {
        Retention {
            rejects_days: REJECTS_RETENTION_DAYS,
            imports_days: IMPORTS_RETENTION_DAYS,
        }
    }
}

impl Retention {
    /// The bucket's lifecycle rules for this retention, in the template's order.
    pub fn lifecycle_rules(self) -> Vec<LifecycleRuleSpec> {
        let rule = |id, prefix| LifecycleRuleSpec {
            id,
            prefix,
            expiration_days: None,
            noncurrent_days: None,
            abort_incomplete_upload_days: None,
        };
        let mut rules = vec![
            LifecycleRuleSpec {
                noncurrent_days: Some(NONCURRENT_VERSION_DAYS),
                ..rule("ExpireOldVersions", None)
            },
            LifecycleRuleSpec {
                abort_incomplete_upload_days: Some(ABORT_INCOMPLETE_UPLOAD_DAYS),
                ..rule("AbortIncompleteUploads", None)
            },
            LifecycleRuleSpec {
                expiration_days: Some(self.rejects_days),
                ..rule("ExpireRejects", Some(REJECTS_PREFIX))
            },
        ];
        if self.imports_days > 0 {
            rules.push(LifecycleRuleSpec {
                expiration_days: Some(self.imports_days),
                ..rule("ExpireImports", Some(IMPORTS_PREFIX))
            });
        }
        rules
    }
}

/// The imports bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketSpec {
    /// Physical name.
    pub name: String,
    /// Upload notification.
    pub notification: NotificationSpec,
    /// Lifecycle rules (expiry of rejects, old versions, unfinished uploads and, if asked, uploads).
    pub lifecycle: Vec<LifecycleRuleSpec>,
}

/// Every resource of the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resources {
    /// The table.
    pub table: TableSpec,
    /// The bucket.
    pub bucket: BucketSpec,
    /// Queues, dead-letter queues first so their ARNs exist when a redrive policy names them.
    pub queues: Vec<QueueSpec>,
}

/// Ingest function timeout in the template; the ingest queue's visibility is six times this.
pub const INGEST_FUNCTION_TIMEOUT_SECS: u32 = 300;
/// Insights function timeout in the template; the insights queue's visibility is six times this.
pub const INSIGHTS_FUNCTION_TIMEOUT_SECS: u32 = 120;
/// Receives before a message is dead-lettered: the default of the template's `IngestMaxReceiveCount` and
/// `InsightsMaxReceiveCount`, which the workers also read (`CREATOROS_MAX_RECEIVES`) to tell a final receive.
pub const MAX_RECEIVE_COUNT: u32 = 5;
const FOURTEEN_DAYS: u32 = 14 * 24 * 3600;
const FOUR_DAYS: u32 = 4 * 24 * 3600;

impl Resources {
    /// The resources named with `prefix` (`creatoros` locally; tests use a unique prefix each).
    pub fn named(prefix: &str) -> Self {
        let gsi = |index: IndexName| IndexSpec {
            name: index.index_name().expect("a GSI"),
            hash_key: index.pk_field(),
            range_key: index.sk_field(),
        };
        let queue = |logical_id,
                     suffix: &str,
                     visibility,
                     dead_letter: Option<(&'static str, u32)>| QueueSpec {
            logical_id,
            name: format!("{prefix}-{suffix}"),
            visibility_timeout_secs: visibility,
            retention_secs: if dead_letter.is_some() {
                FOUR_DAYS
            } else {
                FOURTEEN_DAYS
            },
            dead_letter,
        };
        Resources {
            table: TableSpec {
                name: prefix.to_owned(),
                hash_key: IndexName::Primary.pk_field(),
                range_key: IndexName::Primary.sk_field(),
                indexes: vec![gsi(IndexName::Gsi1), gsi(IndexName::Gsi2)],
                stream_view: "NEW_AND_OLD_IMAGES",
                billing_mode: "PAY_PER_REQUEST",
                ttl_attribute: TTL_ATTRIBUTE,
            },
            bucket: BucketSpec {
                name: format!("{prefix}-imports"),
                notification: NotificationSpec {
                    events: vec!["s3:ObjectCreated:*"],
                    prefix: IMPORTS_PREFIX,
                    queue: INGEST_QUEUE_ID,
                },
                lifecycle: Retention::default().lifecycle_rules(),
            },
            queues: vec![
                queue(INGEST_DLQ_ID, "ingest-dlq", 30, None),
                queue(INSIGHTS_DLQ_ID, "insights-dlq", 30, None),
                queue(
                    INGEST_QUEUE_ID,
                    "ingest",
                    6 * INGEST_FUNCTION_TIMEOUT_SECS,
                    Some((INGEST_DLQ_ID, MAX_RECEIVE_COUNT)),
                ),
                queue(
                    INSIGHTS_QUEUE_ID,
                    "insights",
                    6 * INSIGHTS_FUNCTION_TIMEOUT_SECS,
                    Some((INSIGHTS_DLQ_ID, MAX_RECEIVE_COUNT)),
                ),
            ],
        }
    }

    /// The queue with logical id `id`.
    pub fn queue(&self, id: &str) -> &QueueSpec {
        self.queues
            .iter()
            .find(|q| q.logical_id == id)
            .unwrap_or_else(|| panic!("no queue {id} in the definition"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_letter_queues_come_before_their_sources() {
        let r = Resources::named("x");
        for (i, q) in r.queues.iter().enumerate() {
            if let Some((dlq, _)) = q.dead_letter {
                let at = r.queues.iter().position(|d| d.logical_id == dlq).unwrap();
                assert!(at < i, "{} before {}", dlq, q.logical_id);
            }
        }
    }

    #[test]
    fn rejects_expire_and_uploads_are_kept_unless_asked() {
        let ids =
            |r: Retention| -> Vec<&str> { r.lifecycle_rules().iter().map(|l| l.id).collect() };
        assert_eq!(
            ids(Retention::default()),
            [
                "ExpireOldVersions",
                "AbortIncompleteUploads",
                "ExpireRejects"
            ]
        );
        let rules = Retention {
            rejects_days: 7,
            imports_days: 400,
        }
        .lifecycle_rules();
        let imports = rules.iter().find(|r| r.id == "ExpireImports").unwrap();
        assert_eq!(
            (imports.prefix, imports.expiration_days),
            (Some(IMPORTS_PREFIX), Some(400))
        );
        let rejects = rules.iter().find(|r| r.id == "ExpireRejects").unwrap();
        assert_eq!(
            (rejects.prefix, rejects.expiration_days),
            (Some(REJECTS_PREFIX), Some(7))
        );
    }

    #[test]
    fn visibility_is_six_times_the_function_timeout() {
        let r = Resources::named("x");
        assert_eq!(r.queue(INGEST_QUEUE_ID).visibility_timeout_secs, 1800);
        assert_eq!(r.queue(INSIGHTS_QUEUE_ID).visibility_timeout_secs, 720);
    }
}

//! The pipeline's AWS resources, defined once: the local bootstrap creates them from this definition and a
//! test checks that `infra/template.yaml` declares the same table, indexes, stream, queues and notification.

use creatoros_core::contract::IndexName;

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

/// The imports bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketSpec {
    /// Physical name.
    pub name: String,
    /// Upload notification.
    pub notification: NotificationSpec,
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
/// Receives before a message is dead-lettered.
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
            },
            bucket: BucketSpec {
                name: format!("{prefix}-imports"),
                notification: NotificationSpec {
                    events: vec!["s3:ObjectCreated:*"],
                    prefix: IMPORTS_PREFIX,
                    queue: INGEST_QUEUE_ID,
                },
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
    fn visibility_is_six_times_the_function_timeout() {
        let r = Resources::named("x");
        assert_eq!(r.queue(INGEST_QUEUE_ID).visibility_timeout_secs, 1800);
        assert_eq!(r.queue(INSIGHTS_QUEUE_ID).visibility_timeout_secs, 720);
    }
}

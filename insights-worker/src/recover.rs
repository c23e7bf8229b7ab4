//! Stream failure notices: when the stream mapping gives up on a batch (retries or record age exhausted), Lambda
//! sends a `DDBStreamBatchInfo` notice naming the shard and sequence range to the insights dead-letter queue, not
//! the records. Redriven to the insights queue, the notice is turned back into its records by reading that range
//! of the stream, so their months are derived like any stream batch's.
//!
//! DynamoDB Streams keeps records for 24 hours. Past that the range cannot be read; the notice then fails loudly
//! (logged with the range and the command that covers it, and kept on the queue, so it returns to the dead-letter
//! queue and its alarm) instead of being acknowledged.

use std::cmp::Ordering;

use aws_lambda_events::event::dynamodb::{EventRecord, StreamRecord};
use aws_sdk_dynamodbstreams::operation::get_shard_iterator::GetShardIteratorError;
use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use creatoros_model::ids::Month;
use serde::Deserialize;

/// The notice Lambda's on-failure destination receives for a DynamoDB stream batch (the fields used here).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StreamFailureNotice {
    /// Which range of which shard was skipped.
    #[serde(rename = "DDBStreamBatchInfo")]
    pub batch: StreamBatchInfo,
}

/// A skipped range.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamBatchInfo {
    /// The stream.
    pub stream_arn: String,
    /// The shard.
    pub shard_id: String,
    /// First record of the range.
    pub start_sequence_number: String,
    /// Last record of the range.
    pub end_sequence_number: String,
    /// Records in the range (Lambda's count; with a filter, of the records it delivered).
    #[serde(default)]
    pub batch_size: Option<u64>,
    /// When the first record reached the stream (ISO 8601), if Lambda said.
    #[serde(default)]
    pub approximate_arrival_of_first_record: Option<String>,
}

impl std::fmt::Display for StreamBatchInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} shard {} sequence {}..={}",
            self.stream_arn, self.shard_id, self.start_sequence_number, self.end_sequence_number
        )
    }
}

/// Why a range could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum RecoverError {
    /// The records are gone (past the stream's retention, or the stream was replaced). Retrying cannot help;
    /// `command` re-derives what they could have touched.
    #[error("stream range {range} is past the stream's retention; its months are unknown: run `{command}`")]
    Expired {
        /// The range.
        range: String,
        /// The operator command that covers the loss.
        command: String,
    },
    /// Reading failed in a way a later attempt may not (throttling, network).
    #[error("reading stream range {range}: {reason}")]
    Failed {
        /// The range.
        range: String,
        /// What failed.
        reason: String,
    },
}

impl RecoverError {
    /// Whether a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, RecoverError::Failed { .. })
    }
}

/// Orders stream sequence numbers (decimal strings of varying length) as numbers.
pub fn sequence_order(a: &str, b: &str) -> Ordering {
    (a.len(), a).cmp(&(b.len(), b))
}

/// Months a lost range may have touched that a backfill should cover: an export carries up to a year of data,
/// so twelve months before the first record arrived, or before `today` when the notice gives no arrival time.
pub fn covering_command(info: &StreamBatchInfo, today: &Month) -> String {
    let arrived = info
        .approximate_arrival_of_first_record
        .as_deref()
        .and_then(|t| Month::parse(t.get(..7)?).ok())
        .unwrap_or_else(|| today.clone());
    let since = arrived.months_before(12);
    format!("creatoros replay months --all-workspaces --since {since}")
}

/// Most `GetRecords` pages read for one range (a range is at most a batch, 10,000 records at the mapping's
/// largest batch size; pages hold up to 1,000).
const MAX_PAGES: usize = 64;

/// Reads the records of `info`'s range, in order, in the shape Lambda delivers them.
pub async fn read_range(
    streams: &aws_sdk_dynamodbstreams::Client,
    info: &StreamBatchInfo,
    today: &Month,
) -> Result<Vec<EventRecord>, RecoverError> {
    let range = info.to_string();
    let failed = |reason: String| RecoverError::Failed {
        range: range.clone(),
        reason,
    };
    let iterator = streams
        .get_shard_iterator()
        .stream_arn(&info.stream_arn)
        .shard_id(&info.shard_id)
        .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
        .sequence_number(&info.start_sequence_number)
        .send()
        .await
        .map_err(|e| match e.into_service_error() {
            GetShardIteratorError::TrimmedDataAccessException(_)
            | GetShardIteratorError::ResourceNotFoundException(_) => RecoverError::Expired {
                range: range.clone(),
                command: covering_command(info, today),
            },
            other => failed(other.to_string()),
        })?;
    let mut next = iterator.shard_iterator;
    let mut out = Vec::new();
    for _ in 0..MAX_PAGES {
        let Some(iterator) = next.take() else {
            // The shard is closed and read to its end.
            return Ok(out);
        };
        let page = streams
            .get_records()
            .shard_iterator(iterator)
            .limit(1000)
            .send()
            .await
            .map_err(|e| failed(e.into_service_error().to_string()))?;
        for record in page.records() {
            let Some(sequence) = record.dynamodb().and_then(|d| d.sequence_number()) else {
                continue;
            };
            if sequence_order(sequence, &info.end_sequence_number) == Ordering::Greater {
                return Ok(out);
            }
            let last = sequence_order(sequence, &info.end_sequence_number) == Ordering::Equal;
            out.push(to_event_record(record, &info.stream_arn));
            if last {
                return Ok(out);
            }
        }
        next = page.next_shard_iterator;
    }
    Err(failed(format!(
        "its end was not reached in {MAX_PAGES} pages"
    )))
}

/// A stream SDK record in the shape Lambda delivers (the local stream runner uses it too).
pub fn to_event_record(record: &Record, stream_arn: &str) -> EventRecord {
    let mut change = StreamRecord::default();
    if let Some(d) = record.dynamodb() {
        let image = |m: Option<
            &std::collections::HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>,
        >| {
            m.map(|m| serde_dynamo::Item::from(m.clone()))
                .unwrap_or_default()
        };
        change.keys = image(d.keys());
        change.new_image = image(d.new_image());
        change.old_image = image(d.old_image());
        change.sequence_number = d.sequence_number().map(str::to_owned);
        change.size_bytes = d.size_bytes().unwrap_or(0);
        change.approximate_creation_date_time = d
            .approximate_creation_date_time()
            .and_then(|t| chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
            .unwrap_or_default();
    }
    let mut out = EventRecord::default();
    out.event_id = record.event_id().unwrap_or_default().to_owned();
    out.event_name = record
        .event_name()
        .map(|n| n.as_str().to_owned())
        .unwrap_or_default();
    out.event_source = Some("aws:dynamodb".to_owned());
    out.event_version = record.event_version().map(str::to_owned);
    out.event_source_arn = Some(stream_arn.to_owned());
    out.aws_region = record.aws_region().unwrap_or_default().to_owned();
    out.change = change;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lambda_notice_parses_and_names_its_range() {
        // The on-failure record Lambda documents for DynamoDB stream sources (values shortened).
        let body = r#"{"requestContext":{"requestId":"r","functionArn":"arn:f","condition":"RetryAttemptsExhausted",
            "approximateInvokeCount":4},"responseContext":{"statusCode":200,"executedVersion":"$LATEST",
            "functionError":"Unhandled"},"version":"1.0","timestamp":"2026-11-30T10:00:06.021Z",
            "DDBStreamBatchInfo":{"shardId":"shardId-0001","startSequenceNumber":"800000000003126276362",
            "endSequenceNumber":"800000000003126276370","approximateArrivalOfFirstRecord":"2026-11-30T10:00:04Z",
            "approximateArrivalOfLastRecord":"2026-11-30T10:00:05Z","batchSize":3,
            "streamArn":"arn:aws:dynamodb:us-east-1:1:table/t/stream/2026-11-01T00:00:00.000"}}"#;
        let notice: StreamFailureNotice = serde_json::from_str(body).unwrap();
        assert_eq!(notice.batch.shard_id, "shardId-0001");
        assert_eq!(notice.batch.batch_size, Some(3));
        assert!(notice
            .batch
            .to_string()
            .contains("800000000003126276362..=800000000003126276370"));
        let command = covering_command(&notice.batch, &"2026-12".parse().unwrap());
        assert_eq!(
            command,
            "creatoros replay months --all-workspaces --since 2025-11"
        );
    }

    #[test]
    fn sequence_numbers_order_as_numbers() {
        assert_eq!(sequence_order("99", "100"), Ordering::Less);
        assert_eq!(sequence_order("100", "100"), Ordering::Equal);
        assert_eq!(sequence_order("101", "100"), Ordering::Greater);
    }
}

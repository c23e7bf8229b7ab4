//! The local stream runner: plays Lambda's DynamoDB stream event source mapping against DynamoDB Local, calling
//! the same handler the Lambda binary calls.
//!
//! Like the mapping it reads every shard in order (parents before children, so a shard rollover keeps order),
//! applies the mapping's filter ([`creatoros_model::stream_filter`], the same patterns as the template) before batching
//! (it reads on until `batch_size` matching records or the shard's end for now), hands matching records to the
//! handler in batches, and advances a per-shard checkpoint only past what was handled. With
//! `ReportBatchItemFailures`, a batch is retried from its lowest failed sequence number, up to `max_retries`
//! times; then, as with `MaximumRetryAttempts` and an on-failure destination, a notice describing the skipped
//! range goes to the dead-letter queue and the shard moves on. Checkpoints are saved to a file, so a restarted
//! runner resumes where the last one stopped.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use creatoros_insights_worker::recover::{sequence_order, to_event_record};
use creatoros_model::stream_filter::is_trigger;
use serde::{Deserialize, Serialize};
use tracing::{debug, warn};

use creatoros_stack::ServiceError;

/// Where each shard stands (what survives a restart).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoints {
    /// Shard id → the last sequence number handled.
    pub after: BTreeMap<String, String>,
    /// Shards read to their end (closed and drained).
    pub finished: Vec<String>,
}

/// What one poll did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamPolled {
    /// Records read from the stream.
    pub read: usize,
    /// Records that matched the filter and went to the handler.
    pub delivered: usize,
    /// Records given up on after the retries (reported to the dead-letter queue).
    pub dropped: usize,
    /// Handler calls that ran past `timeout` (Lambda's function timeout: the whole batch failed).
    pub timed_out: usize,
}

/// Reads one table's stream.
#[derive(Debug)]
pub struct StreamRunner {
    client: aws_sdk_dynamodbstreams::Client,
    stream_arn: String,
    checkpoint_file: Option<PathBuf>,
    checkpoints: Checkpoints,
    iterators: BTreeMap<String, String>,
    /// Records per `GetRecords` (Lambda's `BatchSize`).
    pub batch_size: i32,
    /// Retries of a failing batch (Lambda's `MaximumRetryAttempts`).
    pub max_retries: u32,
    /// Where notices of skipped ranges go (the on-failure destination): SQS client and queue URL.
    pub on_failure: Option<(aws_sdk_sqs::Client, String)>,
    /// The function timeout: a handler call that takes longer is abandoned and its whole batch counts as failed,
    /// as when Lambda stops an invocation (what it wrote so far stays written). `None`: no limit.
    pub timeout: Option<std::time::Duration>,
}

/// Most `GetRecords` pages read to fill one batch of matching records (Lambda reads on without a bound; an
/// import writes about 70 records for every trigger record, so a batch of 100 triggers spans some 7,000).
const FILTER_PAGES: usize = 200;

impl StreamRunner {
    /// A runner for `stream_arn`; with `checkpoint_file`, progress is loaded from and saved to it.
    pub fn new(
        client: aws_sdk_dynamodbstreams::Client,
        stream_arn: impl Into<String>,
        checkpoint_file: Option<PathBuf>,
    ) -> Self {
        let checkpoints = checkpoint_file
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Self {
            client,
            stream_arn: stream_arn.into(),
            checkpoint_file,
            checkpoints,
            iterators: BTreeMap::new(),
            batch_size: 100,
            max_retries: 3,
            on_failure: None,
            timeout: None,
        }
    }

    /// Where the runner stands.
    pub fn checkpoints(&self) -> &Checkpoints {
        &self.checkpoints
    }

    fn error(&self, message: impl std::fmt::Display) -> ServiceError {
        ServiceError {
            resource: self.stream_arn.clone(),
            message: message.to_string(),
        }
    }

    fn save(&self) -> Result<(), ServiceError> {
        if let Some(path) = &self.checkpoint_file {
            let tmp = path.with_extension("tmp");
            std::fs::write(
                &tmp,
                serde_json::to_vec_pretty(&self.checkpoints).expect("serializable"),
            )
            .and_then(|_| std::fs::rename(&tmp, path))
            .map_err(|e| self.error(format!("saving checkpoints to {}: {e}", path.display())))?;
        }
        Ok(())
    }

    /// Shards in reading order: each after its parent.
    async fn shards(&self) -> Result<Vec<(String, Option<String>)>, ServiceError> {
        let mut shards = Vec::new();
        let mut start: Option<String> = None;
        loop {
            let out = self
                .client
                .describe_stream()
                .stream_arn(&self.stream_arn)
                .set_exclusive_start_shard_id(start.clone())
                .send()
                .await
                .map_err(|e| self.error(e.into_service_error()))?;
            let description = out
                .stream_description
                .ok_or_else(|| self.error("no stream description"))?;
            for s in description.shards() {
                if let Some(id) = s.shard_id() {
                    shards.push((id.to_owned(), s.parent_shard_id().map(str::to_owned)));
                }
            }
            match description.last_evaluated_shard_id() {
                Some(last) => start = Some(last.to_owned()),
                None => return Ok(shards),
            }
        }
    }

    async fn iterator(&self, shard: &str) -> Result<Option<String>, ServiceError> {
        let (kind, after) = match self.checkpoints.after.get(shard) {
            Some(seq) => (ShardIteratorType::AfterSequenceNumber, Some(seq.clone())),
            None => (ShardIteratorType::TrimHorizon, None),
        };
        let out = self
            .client
            .get_shard_iterator()
            .stream_arn(&self.stream_arn)
            .shard_id(shard)
            .shard_iterator_type(kind)
            .set_sequence_number(after)
            .send()
            .await
            .map_err(|e| self.error(e.into_service_error()))?;
        Ok(out.shard_iterator)
    }

    /// Reads one batch from every shard that has records and runs `handler` on the matching ones.
    pub async fn poll_once<H, F>(&mut self, handler: H) -> Result<StreamPolled, ServiceError>
    where
        H: Fn(Event) -> F,
        F: Future<Output = DynamoDbEventResponse>,
    {
        let mut polled = StreamPolled::default();
        let shards = self.shards().await?;
        for (shard, parent) in &shards {
            if self.checkpoints.finished.contains(shard) {
                continue;
            }
            // Children wait for their parent to be drained, which keeps per-item order across a rollover.
            if let Some(p) = parent {
                if shards.iter().any(|(id, _)| id == p) && !self.checkpoints.finished.contains(p) {
                    continue;
                }
            }
            let iterator = match self.iterators.remove(shard) {
                Some(i) => Some(i),
                None => self.iterator(shard).await?,
            };
            let Some(first) = iterator else {
                self.checkpoints.finished.push(shard.clone());
                continue;
            };
            // Lambda filters before it batches: read on until a batch of matching records is full, the shard has
            // nothing more for now, or a bounded number of pages.
            let mut next = Some(first);
            let mut matching: Vec<EventRecord> = Vec::new();
            let mut last: Option<String> = None;
            let mut closed = false;
            for _ in 0..FILTER_PAGES {
                let Some(iterator) = next.take() else {
                    break;
                };
                let out = match self
                    .client
                    .get_records()
                    .shard_iterator(iterator)
                    .limit(self.batch_size)
                    .send()
                    .await
                {
                    Ok(out) => out,
                    Err(e) => {
                        // An expired iterator is re-made from the checkpoint on the next poll.
                        debug!(%shard, error = %e.into_service_error(), "GetRecords failed; retrying from the checkpoint");
                        break;
                    }
                };
                let records = out.records.unwrap_or_default();
                next = out.next_shard_iterator;
                if records.is_empty() {
                    closed = next.is_none();
                    break;
                }
                polled.read += records.len();
                last = records
                    .last()
                    .and_then(|r| r.dynamodb().and_then(|d| d.sequence_number()))
                    .map(str::to_owned);
                matching.extend(
                    records
                        .iter()
                        .map(|r| to_event_record(r, &self.stream_arn))
                        .filter(|r| serde_json::to_value(r).is_ok_and(|v| is_trigger(&v))),
                );
                if matching.len() >= self.batch_size as usize {
                    break;
                }
            }
            if let Some(iterator) = next {
                self.iterators.insert(shard.clone(), iterator);
            }
            if let Some(last) = last {
                polled.delivered += matching.len();
                let size = usize::try_from(self.batch_size).unwrap_or(1).max(1);
                for batch in matching.chunks(size) {
                    let (dropped, timed_out) =
                        self.deliver(shard, batch.to_vec(), &handler).await?;
                    polled.dropped += dropped;
                    polled.timed_out += timed_out;
                }
                self.checkpoints.after.insert(shard.clone(), last);
                self.save()?;
            } else if closed {
                self.checkpoints.finished.push(shard.clone());
                self.save()?;
            }
        }
        Ok(polled)
    }

    /// Hands `batch` to the handler, retrying from the lowest failed record; returns the records given up on and
    /// the calls that timed out.
    async fn deliver<H, F>(
        &self,
        shard: &str,
        mut batch: Vec<EventRecord>,
        handler: &H,
    ) -> Result<(usize, usize), ServiceError>
    where
        H: Fn(Event) -> F,
        F: Future<Output = DynamoDbEventResponse>,
    {
        let mut timed_out = 0;
        for attempt in 0..=self.max_retries {
            if batch.is_empty() {
                return Ok((0, timed_out));
            }
            let mut event = Event::default();
            event.records = batch.clone();
            let response = match self.timeout {
                None => handler(event).await,
                Some(limit) => match tokio::time::timeout(limit, handler(event)).await {
                    Ok(response) => response,
                    Err(_) => {
                        warn!(%shard, records = batch.len(), "handler timed out; the whole batch is retried");
                        timed_out += 1;
                        all_failed(&batch)
                    }
                },
            };
            let lowest = response
                .batch_item_failures
                .iter()
                .filter_map(|f| f.item_identifier.clone())
                .min_by(|a, b| sequence_order(a, b));
            let Some(lowest) = lowest else {
                return Ok((0, timed_out));
            };
            debug!(%shard, %lowest, attempt, "batch item failures; retrying from the lowest");
            batch.retain(|r| {
                r.change
                    .sequence_number
                    .as_deref()
                    .is_some_and(|s| sequence_order(s, &lowest).is_ge())
            });
        }
        warn!(%shard, records = batch.len(), "retries exhausted; skipping the range");
        self.notify_failure(shard, &batch).await?;
        Ok((batch.len(), timed_out))
    }

    /// The on-failure destination's notice: which range of which shard was skipped.
    async fn notify_failure(&self, shard: &str, batch: &[EventRecord]) -> Result<(), ServiceError> {
        let Some((sqs, queue)) = &self.on_failure else {
            return Ok(());
        };
        let seq = |r: Option<&EventRecord>| {
            r.and_then(|r| r.change.sequence_number.clone())
                .unwrap_or_default()
        };
        let notice = serde_json::json!({
            "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": self.max_retries + 1},
            "DDBStreamBatchInfo": {
                "shardId": shard, "startSequenceNumber": seq(batch.first()), "endSequenceNumber": seq(batch.last()),
                "batchSize": batch.len(), "streamArn": self.stream_arn,
                "approximateArrivalOfFirstRecord": batch.first().map(|r| r.change.approximate_creation_date_time.to_rfc3339()),
            }
        });
        sqs.send_message()
            .queue_url(queue)
            .message_body(notice.to_string())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                self.error(format!(
                    "on-failure destination: {}",
                    e.into_service_error()
                ))
            })
    }
}

/// The answer of an invocation that failed as a whole: every record comes back.
fn all_failed(batch: &[EventRecord]) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = batch
        .iter()
        .map(|r| {
            let mut f = aws_lambda_events::event::streams::DynamoDbBatchItemFailure::default();
            f.item_identifier = r.change.sequence_number.clone();
            f
        })
        .collect();
    response
}

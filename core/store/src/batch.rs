//! `BatchWriteItem` that loses nothing: chunks of 25, bounded concurrency, `UnprocessedItems` and throttling
//! retried with backoff and jitter up to a cap, and whatever is still unwritten handed back to the caller.
//!
//! Requests for the same key are collapsed first (last one wins), because DynamoDB rejects a batch that names a
//! key twice and because two chunks racing on one key would make the outcome depend on timing.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;
use futures::StreamExt;
use tracing::{debug, warn};

use super::RepoError;
use creatoros_model::contract::Item;

use crate::item::{from_sdk, to_sdk, SdkItem};
use crate::retry::RetryPolicy;

/// The most requests DynamoDB accepts in one `BatchWriteItem`.
pub const MAX_BATCH: usize = 25;

/// What a batch write achieved. Nothing is dropped: every request is either counted in `written` or returned in
/// `unwritten`.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    /// Requests DynamoDB accepted.
    pub written: usize,
    /// Requests given up on, at the retry cap or after a non-retryable error.
    pub unwritten: Vec<WriteRequest>,
    /// Why the last chunk to give up did so.
    pub error: Option<RepoError>,
    /// Requests dropped because a later request in the same call had the same key.
    pub superseded: usize,
    /// `BatchWriteItem` calls made, retries included.
    pub calls: u32,
}

impl BatchOutcome {
    /// True when every request was written.
    pub fn is_complete(&self) -> bool {
        self.unwritten.is_empty() && self.error.is_none()
    }

    /// `Ok(written)` when complete, otherwise the error that made the batch give up (retryable unless
    /// DynamoDB refused the request itself).
    pub fn into_result(self) -> Result<usize, RepoError> {
        // Invariant kept by `write_chunk`: a chunk that leaves requests unwritten always says why.
        debug_assert!(self.unwritten.is_empty() || self.error.is_some());
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.written),
        }
    }
}

/// Writes many requests to one table.
#[derive(Debug, Clone)]
pub struct BatchWriter {
    client: Client,
    table: String,
    policy: RetryPolicy,
    concurrency: usize,
}

impl BatchWriter {
    /// A writer with its own policy and concurrency bound.
    pub fn new(client: Client, table: String, policy: RetryPolicy, concurrency: usize) -> Self {
        Self {
            client,
            table,
            policy,
            concurrency: concurrency.max(1),
        }
    }

    /// Puts complete items (already encoded by the codec).
    pub async fn put_items(&self, items: Vec<Item>) -> BatchOutcome {
        let requests = items
            .into_iter()
            .map(|item| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(to_sdk(item)))
                            .build()
                            .expect("item is set"),
                    )
                    .build()
            })
            .collect();
        self.write(requests).await
    }

    /// Deletes items by primary key (`pk`, `sk`).
    pub async fn delete_keys(&self, keys: Vec<Item>) -> BatchOutcome {
        let requests = keys
            .into_iter()
            .map(|key| {
                WriteRequest::builder()
                    .delete_request(
                        DeleteRequest::builder()
                            .set_key(Some(to_sdk(key)))
                            .build()
                            .expect("key is set"),
                    )
                    .build()
            })
            .collect();
        self.write(requests).await
    }

    /// Writes put and delete requests in chunks of [`MAX_BATCH`], at most `concurrency` chunks in flight.
    pub async fn write(&self, requests: Vec<WriteRequest>) -> BatchOutcome {
        let total = requests.len();
        let requests = collapse_same_key(requests);
        let mut outcome = BatchOutcome {
            superseded: total - requests.len(),
            ..BatchOutcome::default()
        };
        let chunks: Vec<Vec<WriteRequest>> = requests
            .chunks(MAX_BATCH)
            .map(<[WriteRequest]>::to_vec)
            .collect();
        let mut results = futures::stream::iter(chunks)
            .map(|chunk| self.write_chunk(chunk))
            .buffer_unordered(self.concurrency);
        while let Some(chunk) = results.next().await {
            outcome.written += chunk.written;
            outcome.calls += chunk.calls;
            outcome.unwritten.extend(chunk.unwritten);
            if chunk.error.is_some() {
                outcome.error = chunk.error;
            }
        }
        if !outcome.unwritten.is_empty() {
            warn!(table = %self.table, written = outcome.written, unwritten = outcome.unwritten.len(),
                  "batch write gave up on some requests");
        }
        outcome
    }

    /// One chunk: send, keep what came back unprocessed, back off, send again, until done or at the cap.
    async fn write_chunk(&self, mut pending: Vec<WriteRequest>) -> BatchOutcome {
        let mut schedule = self.policy.schedule();
        let mut outcome = BatchOutcome::default();
        loop {
            outcome.calls += 1;
            let sent = pending.len();
            let result = self
                .client
                .batch_write_item()
                .request_items(&self.table, pending.clone())
                .send()
                .await;
            let retry_error = match result {
                Ok(out) => {
                    let unprocessed = out
                        .unprocessed_items
                        .and_then(|mut by_table| by_table.remove(&self.table))
                        .unwrap_or_default();
                    outcome.written += sent - unprocessed.len();
                    if unprocessed.is_empty() {
                        return outcome;
                    }
                    debug!(table = %self.table, unprocessed = unprocessed.len(), "UnprocessedItems");
                    pending = unprocessed;
                    RepoError::Unprocessed {
                        table: self.table.clone(),
                        unwritten: pending.len(),
                        attempts: schedule.attempts(),
                    }
                }
                Err(e) => {
                    let first = pending.first().map(request_key).unwrap_or_default();
                    let error = RepoError::from_sdk("BatchWriteItem", &self.table, || first, e);
                    if !error.is_retryable() {
                        outcome.unwritten = pending;
                        outcome.error = Some(error);
                        return outcome;
                    }
                    debug!(table = %self.table, %error, "BatchWriteItem failed, will retry");
                    error
                }
            };
            match schedule.next_delay() {
                Some(delay) => tokio::time::sleep(delay).await,
                None => {
                    outcome.error = Some(match retry_error {
                        RepoError::Unprocessed { table, .. } => RepoError::Unprocessed {
                            table,
                            unwritten: pending.len(),
                            attempts: schedule.attempts(),
                        },
                        other => other,
                    });
                    outcome.unwritten = pending;
                    return outcome;
                }
            }
        }
    }
}

/// The most keys DynamoDB accepts in one `BatchGetItem`.
pub const MAX_BATCH_GET: usize = 100;

impl BatchWriter {
    /// Reads many items by primary key (`pk`, `sk`), strongly consistent, chunks of 100 at the writer's
    /// concurrency; `UnprocessedKeys` and throttling are retried like writes. Missing items are simply absent
    /// from the result.
    pub async fn get_items(&self, keys: Vec<Item>) -> Result<Vec<Item>, RepoError> {
        let total = keys.len();
        let mut keys = keys.into_iter().map(to_sdk).peekable();
        let mut chunks: Vec<Vec<SdkItem>> = Vec::with_capacity(total.div_ceil(MAX_BATCH_GET));
        while keys.peek().is_some() {
            chunks.push(keys.by_ref().take(MAX_BATCH_GET).collect());
        }
        let mut results = futures::stream::iter(chunks)
            .map(|chunk| self.get_chunk(chunk))
            .buffer_unordered(self.concurrency);
        let mut items = Vec::with_capacity(total);
        while let Some(chunk) = results.next().await {
            items.extend(chunk?);
        }
        Ok(items)
    }

    async fn get_chunk(&self, mut pending: Vec<SdkItem>) -> Result<Vec<Item>, RepoError> {
        let mut schedule = self.policy.schedule();
        let mut found = Vec::with_capacity(pending.len());
        loop {
            let request = aws_sdk_dynamodb::types::KeysAndAttributes::builder()
                .set_keys(Some(pending.clone()))
                .consistent_read(true)
                .build()
                .expect("keys are set");
            let result = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await;
            let retry_error = match result {
                Ok(out) => {
                    found.extend(
                        out.responses
                            .and_then(|mut r| r.remove(&self.table))
                            .unwrap_or_default()
                            .into_iter()
                            .map(from_sdk),
                    );
                    pending = out
                        .unprocessed_keys
                        .and_then(|mut u| u.remove(&self.table))
                        .map(|k| k.keys)
                        .unwrap_or_default();
                    if pending.is_empty() {
                        return Ok(found);
                    }
                    RepoError::Unprocessed {
                        table: self.table.clone(),
                        unwritten: pending.len(),
                        attempts: schedule.attempts(),
                    }
                }
                Err(e) => {
                    let error = RepoError::from_sdk("BatchGetItem", &self.table, String::new, e);
                    if !error.is_retryable() {
                        return Err(error);
                    }
                    error
                }
            };
            match schedule.next_delay() {
                Some(delay) => tokio::time::sleep(delay).await,
                None => return Err(retry_error),
            }
        }
    }
}

/// Keeps the last request per primary key, in first-seen order.
fn collapse_same_key(requests: Vec<WriteRequest>) -> Vec<WriteRequest> {
    let mut position: HashMap<String, usize> = HashMap::with_capacity(requests.len());
    let mut out: Vec<WriteRequest> = Vec::with_capacity(requests.len());
    for request in requests {
        match position.get(&request_key(&request)) {
            Some(&i) => out[i] = request,
            None => {
                position.insert(request_key(&request), out.len());
                out.push(request);
            }
        }
    }
    out
}

/// `pk | sk` of a put or delete request.
fn request_key(request: &WriteRequest) -> String {
    let item = request
        .put_request()
        .map(|p| p.item())
        .or_else(|| request.delete_request().map(|d| d.key()));
    let part = |name: &str| match item.and_then(|i| i.get(name)) {
        Some(AttributeValue::S(s)) => s.clone(),
        _ => String::new(),
    };
    format!("{} | {}", part("pk"), part("sk"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(pk: &str, sk: &str, n: &str) -> WriteRequest {
        let item: SdkItem = [
            ("pk", AttributeValue::S(pk.into())),
            ("sk", AttributeValue::S(sk.into())),
            ("n", AttributeValue::N(n.into())),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        WriteRequest::builder()
            .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
            .build()
    }

    #[test]
    fn same_key_collapses_to_the_last_request_in_first_position() {
        let out = collapse_same_key(vec![
            put("a", "1", "1"),
            put("b", "1", "2"),
            put("a", "1", "3"),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(request_key(&out[0]), "a | 1");
        assert_eq!(
            out[0].put_request().unwrap().item()["n"],
            AttributeValue::N("3".into())
        );
        assert_eq!(request_key(&out[1]), "b | 1");
    }
}

//! The local event-source runner: plays Lambda's SQS event source mapping against moto, calling the very same
//! handler the Lambda binary calls.
//!
//! Like the mapping, it receives up to ten messages, hands them to the handler as one `SqsEvent`, deletes only
//! the messages the handler did not report in `batchItemFailures`, and leaves the rest to come back (and, after
//! `maxReceiveCount` receives, to the dead-letter queue). As with the mapping, a failed message's visibility is
//! what the handler set (both workers set a backoff) or else the queue's timeout; `retry_after` can shorten it for
//! a local run of handlers that set none.

use std::future::Future;
use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use creatoros_stack::ServiceError;
use tracing::{debug, warn};

/// Polls one queue.
#[derive(Debug, Clone)]
pub struct QueueRunner {
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    /// Messages per batch (Lambda's `BatchSize`, at most 10).
    pub batch_size: i32,
    /// Time given to the handler per batch (Lambda's function timeout).
    pub budget: Duration,
    /// Visibility of a failed message before it is tried again, overriding the handler's (local speed-up);
    /// `None` behaves as Lambda does.
    pub retry_after: Option<Duration>,
}

/// What one poll did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Polled {
    /// Messages received.
    pub received: usize,
    /// Messages the handler reported as failed.
    pub failed: usize,
}

impl QueueRunner {
    /// A runner for `queue_url` with Lambda-like defaults.
    pub fn new(sqs: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        Self {
            sqs,
            queue_url: queue_url.into(),
            batch_size: 10,
            budget: Duration::from_secs(300),
            retry_after: None,
        }
    }

    /// The same runner with another handler budget (the function's timeout).
    pub fn with_budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    fn error(&self, message: impl std::fmt::Display) -> ServiceError {
        ServiceError {
            resource: self.queue_url.clone(),
            message: message.to_string(),
        }
    }

    /// Receives one batch (waiting up to `wait`), runs `handler` on it, deletes what succeeded.
    pub async fn poll_once<H, F>(&self, wait: Duration, handler: H) -> Result<Polled, ServiceError>
    where
        H: FnOnce(SqsEvent, Instant) -> F,
        F: Future<Output = SqsBatchResponse>,
    {
        let out = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(self.batch_size.clamp(1, 10))
            .wait_time_seconds(wait.as_secs().min(20) as i32)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|e| self.error(e.into_service_error()))?;
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(Polled::default());
        }
        let mut event = SqsEvent::default();
        let mut handles = Vec::with_capacity(messages.len());
        for m in &messages {
            let mut message = SqsMessage::default();
            message.message_id = m.message_id.clone();
            message.receipt_handle = m.receipt_handle.clone();
            message.body = m.body.clone();
            message.md5_of_body = m.md5_of_body.clone();
            message.event_source = Some("aws:sqs".to_owned());
            message.attributes = m
                .attributes
                .as_ref()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            event.records.push(message);
            handles.push((
                m.message_id.clone().unwrap_or_default(),
                m.receipt_handle.clone().unwrap_or_default(),
            ));
        }
        let response = handler(event, Instant::now() + self.budget).await;
        let failed: std::collections::HashSet<String> = response
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect();
        let succeeded: Vec<&(String, String)> = handles
            .iter()
            .filter(|(id, _)| !failed.contains(id))
            .collect();
        self.delete(&succeeded).await?;
        for (id, receipt) in handles.iter().filter(|(id, _)| failed.contains(id)) {
            debug!(message_id = %id, "handler failed the message; it will come back");
            let Some(after) = self.retry_after else {
                continue;
            };
            let _ = self
                .sqs
                .change_message_visibility()
                .queue_url(&self.queue_url)
                .receipt_handle(receipt)
                .visibility_timeout(after.as_secs() as i32)
                .send()
                .await;
        }
        Ok(Polled {
            received: messages.len(),
            failed: failed.len(),
        })
    }

    /// Deletes messages in one batch call; entries SQS reports as failed are retried one by one. A message that
    /// cannot be deleted comes back and is handled again, which the handler tolerates (imports are idempotent):
    /// a duplicate is preferred to a loss.
    async fn delete(&self, done: &[&(String, String)]) -> Result<(), ServiceError> {
        if done.is_empty() {
            return Ok(());
        }
        let entries: Vec<DeleteMessageBatchRequestEntry> = done
            .iter()
            .enumerate()
            .map(|(i, (_, receipt))| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(receipt)
                    .build()
                    .expect("id and handle set")
            })
            .collect();
        let out = self
            .sqs
            .delete_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| self.error(e.into_service_error()))?;
        for failure in out.failed() {
            let Some((_, receipt)) = failure.id().parse::<usize>().ok().and_then(|i| done.get(i))
            else {
                continue;
            };
            if let Err(e) = self
                .sqs
                .delete_message()
                .queue_url(&self.queue_url)
                .receipt_handle(receipt)
                .send()
                .await
            {
                warn!(error = %e.into_service_error(), "message could not be deleted; it will be handled again");
            }
        }
        Ok(())
    }

    /// Messages visible, in flight or delayed in the queue (approximate, as SQS reports them; the same read as
    /// `creatoros status`).
    pub async fn backlog(&self) -> Result<usize, ServiceError> {
        let q = creatoros_stack::queues::queue(&self.sqs, "", &self.queue_url).await?;
        Ok(usize::try_from(q.visible + q.in_flight + q.delayed).unwrap_or(usize::MAX))
    }
}

/// Polls until the queue has had nothing to do for `quiet` (no message received and nothing waiting, delayed
/// or in flight), or fails after `limit`. Returns batches handled.
pub async fn run_until_idle<H, F>(
    runner: &QueueRunner,
    quiet: Duration,
    limit: Duration,
    handler: H,
) -> Result<usize, ServiceError>
where
    H: Fn(SqsEvent, Instant) -> F,
    F: Future<Output = SqsBatchResponse>,
{
    let started = Instant::now();
    let mut idle_since: Option<Instant> = None;
    let mut batches = 0;
    loop {
        if started.elapsed() > limit {
            return Err(runner.error(format!("still busy after {limit:?}")));
        }
        let polled = runner.poll_once(Duration::from_secs(1), &handler).await?;
        if polled.received > 0 {
            batches += 1;
            idle_since = None;
            continue;
        }
        if runner.backlog().await? > 0 {
            idle_since = None;
            continue;
        }
        let since = *idle_since.get_or_insert_with(Instant::now);
        if since.elapsed() >= quiet {
            return Ok(batches);
        }
    }
}

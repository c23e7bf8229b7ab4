//! Moves every message of a dead-letter queue back to its source queue, so the same workers handle it again.
//!
//! Each message is first sent to the source, then deleted from the dead-letter queue: a failure between the two
//! leaves a copy in both (the workers tolerate duplicates), never a message in neither. Both calls are batched, and
//! both batch responses are checked entry by entry.

use std::time::Duration;

use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, SendMessageBatchRequestEntry};
use tracing::warn;

use creatoros_stack::ServiceError;

/// What a redrive did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Redriven {
    /// Messages now in the source queue and gone from the dead-letter queue.
    pub moved: usize,
    /// Messages SQS refused to send; they stay in the dead-letter queue.
    pub not_sent: usize,
    /// Messages sent but not deleted from the dead-letter queue (a copy remains there).
    pub not_deleted: usize,
}

/// Redrives `dlq_url` into `source_url` until the dead-letter queue is empty (or only holds messages that could
/// not be sent).
pub async fn redrive(
    sqs: &aws_sdk_sqs::Client,
    dlq_url: &str,
    source_url: &str,
) -> Result<Redriven, ServiceError> {
    let err = |e: &dyn std::fmt::Display| ServiceError {
        resource: dlq_url.to_owned(),
        message: e.to_string(),
    };
    let mut done = Redriven::default();
    let mut empty_polls = 0;
    // Messages that failed to send are received again only after their visibility timeout; two empty polls in a
    // row mean the queue is drained of everything that can move.
    while empty_polls < 2 {
        let out = sqs
            .receive_message()
            .queue_url(dlq_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .visibility_timeout(30)
            .send()
            .await
            .map_err(|e| err(&e.into_service_error()))?;
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            empty_polls += 1;
            continue;
        }
        empty_polls = 0;
        let entries: Vec<SendMessageBatchRequestEntry> = messages
            .iter()
            .enumerate()
            .map(|(i, m)| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(m.body().unwrap_or_default())
                    .build()
                    .expect("id and body are set")
            })
            .collect();
        let sent = sqs
            .send_message_batch()
            .queue_url(source_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| err(&e.into_service_error()))?;
        let sent_ids: Vec<usize> = sent
            .successful()
            .iter()
            .filter_map(|s| s.id().parse().ok())
            .collect();
        done.not_sent += sent.failed().len();
        for f in sent.failed() {
            warn!(
                id = f.id(),
                code = f.code(),
                "redrive: send failed; the message stays in the dead-letter queue"
            );
        }
        let deletes: Vec<DeleteMessageBatchRequestEntry> = sent_ids
            .iter()
            .filter_map(|i| messages.get(*i).map(|m| (i, m)))
            .map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .build()
                    .expect("id and handle are set")
            })
            .collect();
        if deletes.is_empty() {
            continue;
        }
        let deleted = sqs
            .delete_message_batch()
            .queue_url(dlq_url)
            .set_entries(Some(deletes))
            .send()
            .await
            .map_err(|e| err(&e.into_service_error()))?;
        done.moved += deleted.successful().len();
        for f in deleted.failed() {
            // Retry once by itself; if that fails too, the copy left behind will be redriven again later.
            let handle = f
                .id()
                .parse::<usize>()
                .ok()
                .and_then(|i| messages.get(i))
                .and_then(|m| m.receipt_handle());
            let retried = match handle {
                Some(h) => sqs
                    .delete_message()
                    .queue_url(dlq_url)
                    .receipt_handle(h)
                    .send()
                    .await
                    .is_ok(),
                None => false,
            };
            if retried {
                done.moved += 1;
            } else {
                done.not_deleted += 1;
                warn!(
                    id = f.id(),
                    "redrive: sent but not deleted; a copy remains in the dead-letter queue"
                );
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(done)
}

//! The SQS batch handler: each message is decoded and its objects imported; the response names exactly the
//! messages that should come back (transient failures). Permanent problems are logged (and recorded on the
//! import where there is one) and the message is acknowledged, so nothing is retried forever.

use std::time::Instant;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use tracing::{error, info, info_span, warn, Instrument};

use crate::context::Ingest;
use crate::import::{self, Outcome, Request};
use crate::message::{self, Command};

/// Handles one batch. `deadline` is when the invocation must be done (Lambda's, or the local runner's budget).
pub async fn handle(ctx: &Ingest, event: SqsEvent, deadline: Instant) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let id = message.message_id.clone().unwrap_or_default();
        let span = info_span!("message", message_id = %id);
        if let Err(reason) = handle_message(ctx, &message, deadline)
            .instrument(span)
            .await
        {
            warn!(message_id = %id, %reason, "message returned to the queue");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}

/// `Err` means: give the message back (a later attempt may succeed).
async fn handle_message(
    ctx: &Ingest,
    message: &SqsMessage,
    deadline: Instant,
) -> Result<(), String> {
    let body = message.body.as_deref().unwrap_or_default();
    let command = match message::parse(body) {
        Ok(c) => c,
        Err(e) => {
            // Retrying cannot make it readable; it is logged whole for the operator instead.
            error!(error = %e, body = %body.chars().take(2000).collect::<String>(), "unreadable message dropped");
            return Ok(());
        }
    };
    let jobs: Vec<(message::ObjectRef, Request)> = match command {
        Command::TestEvent => return Ok(()),
        Command::Ingest(objects) => objects.into_iter().map(|o| (o, Request::New)).collect(),
        Command::Reingest(object) => vec![(object, Request::Again)],
        Command::Continue { object, import_id } => vec![(object, Request::Continue(import_id))],
    };
    let mut failed = None;
    for (object, request) in jobs {
        match import::run(ctx, &object, request, body, deadline).await {
            Ok(outcome) => log_outcome(&object.key, &outcome),
            Err(e) => {
                // Errors after the claim that no retry can fix are recorded on the import and end as `Ok`; one
                // before it (say the lock write refused) cannot be recorded, so the queue's retries take it to the
                // dead-letter queue, where an operator sees it.
                if !e.is_retryable() {
                    error!(key = %object.key, error = %e, "import refused by AWS before it was recorded");
                }
                failed = Some(format!("s3://{}/{}: {e}", object.bucket, object.key));
            }
        }
    }
    failed.map_or(Ok(()), Err)
}

fn log_outcome(key: &str, outcome: &Outcome) {
    match outcome {
        Outcome::Refused(reason) => warn!(key, %reason, "object refused"),
        other => info!(key, outcome = ?other, "handled"),
    }
}

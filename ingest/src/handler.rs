//! The SQS batch handler: the messages of a batch are handled concurrently (up to `concurrency` workspaces at
//! once, each workspace's messages in order), each decoded and its objects imported; the response names exactly
//! the messages that should come back.
//!
//! A message that comes back is not left to the queue's visibility timeout (six function timeouts, half an hour):
//! its visibility is set to a backoff with jitter, exponential in its receive count, so a throttled import is
//! tried again in seconds and the retries of many messages spread out. A message that no retry can fix (it cannot
//! be read) comes back at once, so it reaches the dead-letter queue after its receives instead of vanishing.
//! Permanent problems of an object are recorded on its import and the message is acknowledged.

use std::collections::BTreeMap;
use std::time::Instant;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use creatoros_model::contract::schema::IMPORT;
use creatoros_model::contract::IndexName;
use creatoros_model::entities::Import;
use creatoros_model::imports::object_key::workspace_of;
use creatoros_queue::receive_count;
use creatoros_runtime::metrics::{self, Metrics};
use futures::stream::{self, StreamExt};
use tracing::{error, info, info_span, warn, Instrument};

use crate::context::Ingest;
use crate::import::{self, Outcome, Request};
use crate::message::{self, Command};

/// Why a message comes back.
#[derive(Debug)]
struct Failure {
    reason: String,
    /// A later attempt may succeed (otherwise the message is on its way to the dead-letter queue).
    retryable: bool,
}

/// Handles one batch. `deadline` is when the invocation must be done (Lambda's, or the local runner's budget).
pub async fn handle(
    ctx: &Ingest,
    event: SqsEvent,
    deadline: Instant,
    metrics: &Metrics,
) -> SqsBatchResponse {
    // Messages of one workspace run one after another (they would only wait for each other's workspace lock, and
    // the loser would be deferred); workspaces run side by side.
    let mut by_workspace: BTreeMap<String, Vec<SqsMessage>> = BTreeMap::new();
    for message in event.records {
        by_workspace
            .entry(workspace_key(&message))
            .or_default()
            .push(message);
    }
    let outcomes: Vec<(SqsMessage, Result<(), Failure>)> = stream::iter(by_workspace.into_values())
        .map(|messages| async move {
            let mut out = Vec::with_capacity(messages.len());
            for message in messages {
                let id = message.message_id.clone().unwrap_or_default();
                let span = info_span!("message", messageId = %id);
                let result = handle_message(ctx, &message, deadline, metrics)
                    .instrument(span)
                    .await;
                out.push((message, result));
            }
            out
        })
        .buffer_unordered(ctx.settings.concurrency.max(1))
        .flat_map(stream::iter)
        .collect()
        .await;
    let mut response = SqsBatchResponse::default();
    for (message, result) in outcomes {
        let Err(failure) = result else { continue };
        let id = message.message_id.clone().unwrap_or_default();
        give_back(ctx, &message, &failure, metrics).await;
        let mut item = BatchItemFailure::default();
        item.item_identifier = id;
        response.batch_item_failures.push(item);
    }
    response
}

/// The workspace a message's first object belongs to, or the message's own id when it names none.
fn workspace_key(message: &SqsMessage) -> String {
    let body = message.body.as_deref().unwrap_or_default();
    message::parse(body)
        .ok()
        .and_then(|c| c.objects().first().and_then(|o| workspace_of(&o.key).ok()))
        .map(|w| format!("w:{w}"))
        .unwrap_or_else(|| format!("m:{}", message.message_id.as_deref().unwrap_or_default()))
}

/// Sets a failed message's visibility to its backoff and records what its failure means. A failed visibility
/// change is not an error: the message still comes back, after the queue's timeout.
async fn give_back(ctx: &Ingest, message: &SqsMessage, failure: &Failure, metrics: &Metrics) {
    let id = message.message_id.as_deref().unwrap_or_default();
    let receives = receive_count(message);
    metrics.count(metrics::RETRIES, 1);
    if ctx.settings.redelivery().is_last(receives) {
        error!(messageId = %id, receives, reason = %failure.reason,
               "failed on its last receive; the queue moves it to the dead-letter queue");
        metrics.count(metrics::DEAD_LETTERED, 1);
        let stuck = stuck_imports(ctx, message).await;
        if stuck > 0 {
            error!(messageId = %id, imports = stuck, "imports left in processing: redrive the message to finish them");
            metrics.count(metrics::STUCK_IMPORTS, stuck);
        }
    }
    // On its last receive the message is made visible at once: the queue moves it to the dead-letter queue when
    // it is next received, instead of after the visibility timeout.
    let visibility = ctx
        .settings
        .redelivery()
        .visibility(receives, failure.retryable);
    warn!(messageId = %id, receives, reason = %failure.reason, retry_in_secs = visibility.as_secs(),
          "message returned to the queue");
    let queue = &ctx.settings.ingest_queue_url;
    if let Err(error) = creatoros_queue::set_visibility(&ctx.sqs, queue, message, visibility).await
    {
        warn!(messageId = %id, %error, "visibility not changed; the message comes back after the queue's timeout");
    }
}

/// Imports of the message's objects still in `processing`: what its move to the dead-letter queue leaves stuck.
async fn stuck_imports(ctx: &Ingest, message: &SqsMessage) -> u64 {
    let body = message.body.as_deref().unwrap_or_default();
    let Ok(command) = message::parse(body) else {
        return 0;
    };
    let mut stuck = 0;
    for object in command.objects() {
        let Ok(workspace) = workspace_of(&object.key) else {
            continue;
        };
        let Ok(condition) = ctx.repo.codec().query(
            &IMPORT,
            IndexName::Gsi2,
            &[
                ("workspaceId", workspace.as_str()),
                ("status", "processing"),
            ],
        ) else {
            continue;
        };
        match ctx.repo.query::<Import>(&condition).await {
            Ok(imports) => {
                stuck += imports.iter().filter(|i| i.key == object.key).count() as u64;
            }
            Err(e) => warn!(key = %object.key, error = %e, "could not look for stuck imports"),
        }
    }
    stuck
}

/// `Err` means: give the message back.
async fn handle_message(
    ctx: &Ingest,
    message: &SqsMessage,
    deadline: Instant,
    metrics: &Metrics,
) -> Result<(), Failure> {
    let body = message.body.as_deref().unwrap_or_default();
    let command = match message::parse(body) {
        Ok(c) => c,
        Err(e) => {
            // Retrying cannot make it readable; it goes on to the dead-letter queue, logged whole.
            error!(error = %e, body = %body.chars().take(2000).collect::<String>(), "unreadable message");
            return Err(Failure {
                reason: e.to_string(),
                retryable: false,
            });
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
        let workspace = workspace_of(&object.key)
            .map(|w| w.to_string())
            .unwrap_or_default();
        let span = info_span!(
            "object",
            workspaceId = %workspace,
            key = %object.key,
            importId = tracing::field::Empty
        );
        let started = Instant::now();
        let result = import::run(ctx, &object, request, body, deadline)
            .instrument(span.clone())
            .await;
        metrics.duration(metrics::IMPORT_DURATION, started.elapsed());
        let _entered = span.enter();
        match result {
            Ok(outcome) => record_outcome(&object.key, &outcome, metrics),
            Err(e) => {
                // Errors after the claim that no retry can fix are recorded on the import and end as `Ok`; one
                // before it (say the lock write refused) cannot be recorded, so the queue's retries take it to the
                // dead-letter queue, where an operator sees it.
                if !e.is_retryable() {
                    error!(error = %e, "import refused by AWS before it was recorded");
                }
                failed = Some(format!("s3://{}/{}: {e}", object.bucket, object.key));
            }
        }
    }
    failed.map_or(Ok(()), |reason| {
        Err(Failure {
            reason,
            retryable: true,
        })
    })
}

fn record_outcome(key: &str, outcome: &Outcome, metrics: &Metrics) {
    match outcome {
        Outcome::Refused(reason) => warn!(key, %reason, "object refused"),
        Outcome::Finished {
            import_id,
            rows_written,
            rows_rejected,
            ..
        } => {
            metrics.count(metrics::IMPORTS, 1);
            metrics.count(metrics::ROWS_INGESTED, *rows_written);
            metrics.count(metrics::ROWS_REJECTED, *rows_rejected);
            info!(key, importId = %import_id, outcome = ?outcome, "handled");
        }
        other => info!(key, outcome = ?other, "handled"),
    }
}

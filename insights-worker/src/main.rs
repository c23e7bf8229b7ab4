//! Lambda entry point of the insights worker: one function for the table's stream and the insights queue.

// The handler futures (five queries joined inside a derivation) nest deeper than the default limit.
#![recursion_limit = "256"]

use std::time::{Duration, Instant, SystemTime};

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::sqs::SqsEvent;
use creatoros_insights_worker::{handler, Insights};
use creatoros_runtime::metrics::Metrics;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;
use tracing::Instrument;

#[tokio::main]
async fn main() -> Result<(), Error> {
    creatoros_runtime::logging::init();
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(creatoros_store::retry::sdk_retry())
        .load()
        .await;
    let ctx = Insights::from_env(&sdk)?;
    let ctx = &ctx;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        // Lambda gives a wall-clock deadline; the handlers work with a monotonic one.
        let left = event
            .context
            .deadline()
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        let deadline = Instant::now() + left;
        let metrics = Metrics::new("insights");
        let span = tracing::info_span!("invocation", requestId = %event.context.request_id);
        // Both event sources invoke this function; the first record says which one this is.
        let source = event.payload["Records"][0]["eventSource"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let answer = async {
            Ok::<Value, Error>(if source == "aws:dynamodb" {
                let batch = serde_json::from_value::<Event>(event.payload)?;
                serde_json::to_value(handler::handle_stream(ctx, batch, deadline, &metrics).await)?
            } else {
                let batch = serde_json::from_value::<SqsEvent>(event.payload)?;
                serde_json::to_value(handler::handle_sqs(ctx, batch, deadline, &metrics).await)?
            })
        }
        .instrument(span)
        .await;
        metrics.emit();
        answer
    }))
    .await
}

//! Lambda entry point of the insights worker: one function for the table's stream and the insights queue.

// The handler futures (five queries joined inside a derivation) nest deeper than the default limit.
#![recursion_limit = "256"]

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::sqs::SqsEvent;
use creatoros_insights_worker::{handler, Insights};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_current_span(false)
        .without_time()
        .init();
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(creatoros_core::config::sdk_retry())
        .load()
        .await;
    let ctx = Insights::from_env(&sdk)?;
    let ctx = &ctx;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        // Both event sources invoke this function; the first record says which one this is.
        let source = event.payload["Records"][0]["eventSource"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        Ok::<Value, Error>(if source == "aws:dynamodb" {
            serde_json::to_value(
                handler::handle_stream(ctx, serde_json::from_value::<Event>(event.payload)?).await,
            )?
        } else {
            serde_json::to_value(
                handler::handle_sqs(ctx, serde_json::from_value::<SqsEvent>(event.payload)?).await,
            )?
        })
    }))
    .await
}

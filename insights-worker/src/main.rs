//! Lambda entry point of the insights worker: one function for the table's stream and the insights queue.

// The handler futures (five queries joined inside a derivation) nest deeper than the default limit.
#![recursion_limit = "256"]

use std::time::{Duration, Instant, SystemTime};

use creatoros_insights_worker::invocation::Invocation;
use creatoros_insights_worker::Insights;
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
        let answer = async {
            let invocation = Invocation::parse(event.payload)?;
            Ok::<Value, Error>(invocation.handle(ctx, deadline, &metrics).await)
        }
        .instrument(span)
        .await;
        metrics.emit();
        answer
    }))
    .await
}

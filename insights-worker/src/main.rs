//! Lambda entry point of the insights worker: one function for the table's stream and the insights queue.

// The handler futures (five queries joined inside a derivation) nest deeper than the default limit.
#![recursion_limit = "256"]

use creatoros_insights_worker::invocation::Invocation;
use creatoros_insights_worker::Insights;
use creatoros_runtime::metrics::Metrics;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;
use tracing::Instrument;

#[tokio::main]
async fn main() -> Result<(), Error> {
    creatoros_runtime::logging::init();
    let sdk = creatoros_store::retry::sdk_config().load().await;
    let ctx = Insights::from_env(&sdk)?;
    let ctx = &ctx;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = creatoros_runtime::deadline(event.context.deadline());
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

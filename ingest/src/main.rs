//! Lambda entry point of the ingest worker: tracing, clients once, then the shared handler per batch.

use std::time::{Duration, Instant, SystemTime};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use creatoros_ingest::{handler, Ingest};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

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
    let ctx = Ingest::from_env(&sdk)?;
    let ctx = &ctx;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        // Lambda gives a wall-clock deadline; the handler works with a monotonic one.
        let left = event
            .context
            .deadline()
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        Ok::<SqsBatchResponse, Error>(
            handler::handle(ctx, event.payload, Instant::now() + left).await,
        )
    }))
    .await
}

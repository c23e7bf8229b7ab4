//! Lambda entry point of the ingest worker: logging and clients once, then the shared handler per batch, and the
//! batch's metrics written to the log as EMF at its end.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use creatoros_ingest::{handler, Ingest};
use creatoros_runtime::metrics::Metrics;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use tracing::Instrument;

#[tokio::main]
async fn main() -> Result<(), Error> {
    creatoros_runtime::logging::init();
    let sdk = creatoros_store::retry::sdk_config().load().await;
    let ctx = Ingest::from_env(&sdk)?;
    let ctx = &ctx;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let deadline = creatoros_runtime::deadline(event.context.deadline());
        let metrics = Metrics::new("ingest");
        let span = tracing::info_span!("invocation", requestId = %event.context.request_id);
        let response = handler::handle(ctx, event.payload, deadline, &metrics)
            .instrument(span)
            .await;
        metrics.emit();
        Ok::<SqsBatchResponse, Error>(response)
    }))
    .await
}

//! What a queue holds, as SQS reports it (approximate counts): the one read behind `creatoros status` and the
//! local runners' backlog.

use aws_sdk_sqs::types::QueueAttributeName as A;
use serde::Serialize;

use crate::ServiceError;

/// One queue's backlog.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueStatus {
    /// Which queue (`ingest`, `ingest-dlq`, `insights`, `insights-dlq`).
    pub name: String,
    /// Messages waiting to be received.
    pub visible: u64,
    /// Messages received and not yet deleted (being worked on, or backing off).
    pub in_flight: u64,
    /// Messages sent with a delay that has not passed.
    pub delayed: u64,
}

/// A queue's backlog.
pub async fn queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    url: &str,
) -> Result<QueueStatus, ServiceError> {
    let out = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(A::ApproximateNumberOfMessages)
        .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
        .attribute_names(A::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .map_err(|e| ServiceError {
            resource: url.to_owned(),
            message: e.into_service_error().to_string(),
        })?;
    let attrs = out.attributes.unwrap_or_default();
    let get = |a: A| {
        attrs
            .get(&a)
            .and_then(|v| v.parse().ok())
            .unwrap_or_default()
    };
    Ok(QueueStatus {
        name: name.to_owned(),
        visible: get(A::ApproximateNumberOfMessages),
        in_flight: get(A::ApproximateNumberOfMessagesNotVisible),
        delayed: get(A::ApproximateNumberOfMessagesDelayed),
    })
}

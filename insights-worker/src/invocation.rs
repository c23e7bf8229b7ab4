//! What invoked the function: the table's stream and the insights queue both do, with payloads of different
//! shapes. The first record's `eventSource` says which; anything else is refused with a reason rather than
//! read as the wrong kind of event.

use std::time::Instant;

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::sqs::SqsEvent;
use creatoros_runtime::metrics::Metrics;
use serde::Deserialize;
use serde_json::Value;

use crate::{handler, Insights};

/// One invocation's event, typed by its source.
#[derive(Debug)]
pub enum Invocation {
    /// A batch of the table's stream records (DynamoDB event source mapping).
    Stream(Event),
    /// A batch of insights queue messages (SQS event source mapping).
    Queue(SqsEvent),
}

/// A payload that is not an event this function is mapped to. Never helped by a retry.
#[derive(Debug, thiserror::Error)]
pub enum InvocationError {
    /// No records, so no source to tell.
    #[error("the invocation has no records")]
    Empty,
    /// A source this function is not mapped to.
    #[error("event source {0:?} is not one this function is mapped to (aws:dynamodb, aws:sqs)")]
    UnknownSource(String),
    /// The source is known but the payload is not its event.
    #[error("not a valid {event_source} event: {error}")]
    Malformed {
        /// The event source named.
        event_source: &'static str,
        /// Why it does not read.
        error: serde_json::Error,
    },
}

/// The part of either payload that names the source.
#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "Records", default)]
    records: Vec<ProbeRecord>,
}

#[derive(Deserialize)]
struct ProbeRecord {
    #[serde(rename = "eventSource", default)]
    event_source: Option<String>,
}

const STREAM_SOURCE: &str = "aws:dynamodb";
const QUEUE_SOURCE: &str = "aws:sqs";

impl Invocation {
    /// Reads a payload as the event its first record's source names.
    pub fn parse(payload: Value) -> Result<Self, InvocationError> {
        let probe = Probe::deserialize(&payload).map_err(|error| InvocationError::Malformed {
            event_source: "Lambda",
            error,
        })?;
        let source = probe
            .records
            .first()
            .ok_or(InvocationError::Empty)?
            .event_source
            .clone()
            .unwrap_or_default();
        match source.as_str() {
            STREAM_SOURCE => serde_json::from_value(payload)
                .map(Invocation::Stream)
                .map_err(|error| InvocationError::Malformed {
                    event_source: STREAM_SOURCE,
                    error,
                }),
            QUEUE_SOURCE => serde_json::from_value(payload)
                .map(Invocation::Queue)
                .map_err(|error| InvocationError::Malformed {
                    event_source: QUEUE_SOURCE,
                    error,
                }),
            _ => Err(InvocationError::UnknownSource(source)),
        }
    }

    /// Handles the batch within `deadline`; the answer is the source's partial-failure response.
    pub async fn handle(self, ctx: &Insights, deadline: Instant, metrics: &Metrics) -> Value {
        let answer = match self {
            Invocation::Stream(batch) => {
                serde_json::to_value(handler::handle_stream(ctx, batch, deadline, metrics).await)
            }
            Invocation::Queue(batch) => {
                serde_json::to_value(handler::handle_sqs(ctx, batch, deadline, metrics).await)
            }
        };
        answer.expect("batch responses serialize")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_first_record_names_the_source() {
        let stream = json!({"Records": [{"eventSource": "aws:dynamodb", "eventName": "INSERT",
            "eventID": "1", "awsRegion": "eu-west-1", "eventVersion": "1.1",
            "eventSourceARN": "arn:aws:dynamodb:eu-west-1:1:table/t/stream/s",
            "dynamodb": {"Keys": {}, "SequenceNumber": "1", "SizeBytes": 1,
                "StreamViewType": "NEW_AND_OLD_IMAGES"}}]});
        let parsed = Invocation::parse(stream);
        assert!(
            matches!(&parsed, Ok(Invocation::Stream(e)) if e.records.len() == 1),
            "{parsed:?}"
        );
        let queue =
            json!({"Records": [{"eventSource": "aws:sqs", "messageId": "m", "body": "{}"}]});
        assert!(
            matches!(Invocation::parse(queue), Ok(Invocation::Queue(e)) if e.records.len() == 1)
        );
    }

    #[test]
    fn other_payloads_are_refused_with_a_reason() {
        assert!(matches!(
            Invocation::parse(json!({"Records": []})),
            Err(InvocationError::Empty)
        ));
        assert!(matches!(
            Invocation::parse(json!({"detail-type": "Scheduled Event"})),
            Err(InvocationError::Empty)
        ));
        let s3 = json!({"Records": [{"eventSource": "aws:s3"}]});
        assert!(
            matches!(Invocation::parse(s3), Err(InvocationError::UnknownSource(s)) if s == "aws:s3")
        );
        let bad = json!({"Records": [{"eventSource": "aws:sqs", "messageId": 7}]});
        assert!(matches!(
            Invocation::parse(bad),
            Err(InvocationError::Malformed {
                event_source: "aws:sqs",
                ..
            })
        ));
    }
}

//! What an ingest-queue message asks for: S3 notifications (real S3's shape and moto's), `reingest` commands
//! from operators, and `continue` messages a worker sends itself when a file outlives one invocation.
//!
//! The notification types are declared here rather than taken from `aws_lambda_events::s3`, whose records
//! require `userIdentity` and `requestParameters`; moto leaves both out, and so may other S3-compatible stores.

use serde::{Deserialize, Serialize};

use creatoros_model::imports::object_key::{decode_notification_key, KeyError};

/// One object to work on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    /// Bucket.
    pub bucket: String,
    /// Plain (decoded) key.
    pub key: String,
    /// ETag named by the notification, when there is one.
    pub etag: Option<String>,
    /// Version named by the notification, when the bucket is versioned.
    pub version_id: Option<String>,
}

/// A decoded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// New objects (one per notification record).
    Ingest(Vec<ObjectRef>),
    /// Ingest this object again, even if an import of it completed.
    Reingest(ObjectRef),
    /// Carry on with an import that stopped at a checkpoint.
    Continue {
        /// The object.
        object: ObjectRef,
        /// The import to continue.
        import_id: String,
    },
    /// S3's configuration test event: nothing to do.
    TestEvent,
}

impl Command {
    /// The objects the command names, in order (none for the test event).
    pub fn objects(&self) -> Vec<&ObjectRef> {
        match self {
            Command::Ingest(objects) => objects.iter().collect(),
            Command::Reingest(object) | Command::Continue { object, .. } => vec![object],
            Command::TestEvent => Vec::new(),
        }
    }
}

/// A message that can never be processed (so it is not retried).
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// Not JSON, or JSON of no known shape.
    #[error("unreadable message: {0}")]
    Unreadable(String),
    /// A notification key that is not valid encoding.
    #[error(transparent)]
    Key(#[from] KeyError),
}

#[derive(Deserialize)]
struct Notification {
    #[serde(rename = "Records")]
    records: Vec<NotificationRecord>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NotificationRecord {
    #[serde(default)]
    event_name: Option<String>,
    s3: S3Part,
}

#[derive(Deserialize)]
struct S3Part {
    bucket: BucketPart,
    object: ObjectPart,
}

#[derive(Deserialize)]
struct BucketPart {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ObjectPart {
    key: String,
    #[serde(default)]
    e_tag: Option<String>,
    #[serde(default)]
    version_id: Option<String>,
}

/// The body of a command message (`reingest`, `continue`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum CommandBody {
    /// Ingest an object again.
    Reingest {
        /// Bucket.
        bucket: String,
        /// Plain key (not URL-encoded).
        key: String,
    },
    /// Continue an import.
    Continue {
        /// Bucket.
        bucket: String,
        /// Plain key.
        key: String,
        /// The import.
        #[serde(rename = "importId")]
        import_id: String,
        /// The object's ETag at the start of the import.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        etag: Option<String>,
    },
}

/// Decodes a message body.
pub fn parse(body: &str) -> Result<Command, MessageError> {
    let value: serde_json::Value = serde_json::from_str(body)
        .map_err(|e| MessageError::Unreadable(format!("not JSON: {e}")))?;
    if value.get("Event").and_then(|e| e.as_str()) == Some("s3:TestEvent") {
        return Ok(Command::TestEvent);
    }
    if value.get("type").is_some() {
        let command: CommandBody = serde_json::from_value(value)
            .map_err(|e| MessageError::Unreadable(format!("bad command: {e}")))?;
        return Ok(match command {
            CommandBody::Reingest { bucket, key } => Command::Reingest(ObjectRef {
                bucket,
                key,
                etag: None,
                version_id: None,
            }),
            CommandBody::Continue {
                bucket,
                key,
                import_id,
                etag,
            } => Command::Continue {
                object: ObjectRef {
                    bucket,
                    key,
                    etag,
                    version_id: None,
                },
                import_id,
            },
        });
    }
    let notification: Notification = serde_json::from_value(value).map_err(|e| {
        MessageError::Unreadable(format!("neither a command nor an S3 notification: {e}"))
    })?;
    let mut objects = Vec::with_capacity(notification.records.len());
    for record in notification.records {
        if record
            .event_name
            .as_deref()
            .is_some_and(|n| !n.starts_with("ObjectCreated"))
        {
            continue;
        }
        objects.push(ObjectRef {
            bucket: record.s3.bucket.name,
            key: decode_notification_key(&record.s3.object.key)?,
            etag: record
                .s3
                .object
                .e_tag
                .map(|e| e.trim_matches('"').to_owned()),
            version_id: record.s3.object.version_id,
        });
    }
    Ok(Command::Ingest(objects))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_process_message_from_moto() {
        let body = r#"{"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1", "eventTime": "2026-11-24T10:42:40.701Z", "eventName": "ObjectCreated:Put", "s3": {"s3SchemaVersion": "1.0", "configurationId": "x", "bucket": {"name": "probe", "arn": "arn:aws:s3:::probe"}, "object": {"key": "imports%2FDEMO%23judge%2Fa+b%2Bc.csv", "size": 1, "eTag": "9dd4e461268c8034f5c8564e155c67a6"}}}]}"#;
        let Command::Ingest(objects) = parse(body).unwrap() else {
            panic!()
        };
        assert_eq!(objects[0].key, "imports/DEMO#judge/a b+c.csv");
        assert_eq!(
            objects[0].etag.as_deref(),
            Some("9dd4e461268c8034f5c8564e155c67a6")
        );
    }

    #[test]
    fn s3_process_message_from_real_s3_with_special_characters() {
        let body = r#"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"eu-west-1","eventTime":"2026-10-10T09:00:00.000Z","eventName":"ObjectCreated:CompleteMultipartUpload","userIdentity":{"principalId":"AWS:X"},"requestParameters":{"sourceIPAddress":"1.2.3.4"},"responseElements":{"x-amz-request-id":"R"},"s3":{"s3SchemaVersion":"1.0","configurationId":"ingest-uploads","bucket":{"name":"b","ownerIdentity":{"principalId":"X"},"arn":"arn:aws:s3:::b"},"object":{"key":"imports/user_2abc/%E5%B0%8F%E7%BA%A2%E4%B9%A6+%281%29.csv","size":10,"eTag":"abc-2","versionId":"v1","sequencer":"0055"}}}]}"#;
        let Command::Ingest(objects) = parse(body).unwrap() else {
            panic!()
        };
        assert_eq!(objects[0].key, "imports/user_2abc/小红书 (1).csv");
        assert_eq!(objects[0].version_id.as_deref(), Some("v1"));
    }

    #[test]
    fn test_events_and_commands() {
        assert_eq!(
            parse(r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-24T10:42:40.694Z","Bucket":"probe"}"#).unwrap(),
            Command::TestEvent
        );
        assert_eq!(
            parse(r#"{"type":"reingest","bucket":"b","key":"imports/w/a b.csv"}"#).unwrap(),
            Command::Reingest(ObjectRef {
                bucket: "b".into(),
                key: "imports/w/a b.csv".into(),
                etag: None,
                version_id: None
            })
        );
    }

    #[test]
    fn garbage_is_unreadable_not_a_panic() {
        for body in [
            "",
            "{",
            "[]",
            "{\"type\":\"explode\"}",
            "{\"Records\":[{}]}",
            "{\"type\":\"reingest\",\"bucket\":1}",
        ] {
            assert!(
                matches!(parse(body), Err(MessageError::Unreadable(_))),
                "{body}"
            );
        }
    }
}

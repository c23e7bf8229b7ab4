//! The uploaded object in S3: its identity (HeadObject) and its bytes as a blocking stream for the reader thread.
//!
//! Reads are pinned to the ETag the import started with (`If-Match`), so an object replaced mid-import is noticed
//! instead of being read half old, half new; the replacement has a notification of its own.

use std::io::Read;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::DateTime;
use time::OffsetDateTime;
use tokio_util::io::SyncIoBridge;

use crate::message::ObjectRef;

/// What S3 says about the object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Bucket.
    pub bucket: String,
    /// Plain key.
    pub key: String,
    /// ETag, unquoted.
    pub etag: String,
    /// Version, when versioned.
    pub version_id: Option<String>,
    /// Bytes.
    pub size: u64,
    /// Upload time: newer uploads win.
    pub last_modified: OffsetDateTime,
    /// The key or the object says gzip.
    pub gzip: bool,
}

/// Reading the object failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The object (or that version) no longer exists.
    #[error("s3://{bucket}/{key} no longer exists")]
    Gone {
        /// Bucket.
        bucket: String,
        /// Key.
        key: String,
    },
    /// The object was replaced since the import started.
    #[error("s3://{bucket}/{key} changed during the import")]
    Changed {
        /// Bucket.
        bucket: String,
        /// Key.
        key: String,
    },
    /// S3 failed in a way a retry may fix (throttling, 5xx, network).
    #[error("s3://{bucket}/{key}: {message}")]
    Transient {
        /// Bucket.
        bucket: String,
        /// Key.
        key: String,
        /// What happened.
        message: String,
    },
    /// S3 refused (access denied, bad request).
    #[error("s3://{bucket}/{key}: {message}")]
    Refused {
        /// Bucket.
        bucket: String,
        /// Key.
        key: String,
        /// What happened.
        message: String,
    },
}

impl SourceError {
    /// True when trying again later may work.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SourceError::Transient { .. })
    }
}

fn classify<E>(
    bucket: &str,
    key: &str,
    err: aws_sdk_s3::error::SdkError<E, HttpResponse>,
) -> SourceError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let (bucket, key) = (bucket.to_owned(), key.to_owned());
    let status = err.raw_response().map(|r| r.status().as_u16());
    let code = err
        .as_service_error()
        .and_then(|e| e.code())
        .unwrap_or("")
        .to_owned();
    let message = creatoros_runtime::errors::chain(&err);
    match (code.as_str(), status) {
        ("NoSuchKey" | "NotFound" | "NoSuchVersion", _) | (_, Some(404)) => {
            SourceError::Gone { bucket, key }
        }
        ("PreconditionFailed", _) | (_, Some(412)) => SourceError::Changed { bucket, key },
        ("SlowDown" | "RequestTimeout" | "InternalError" | "ServiceUnavailable", _) => {
            SourceError::Transient {
                bucket,
                key,
                message,
            }
        }
        (_, Some(s)) if (400..500).contains(&s) && s != 429 => SourceError::Refused {
            bucket,
            key,
            message,
        },
        _ => SourceError::Transient {
            bucket,
            key,
            message,
        },
    }
}

fn to_time(t: Option<&DateTime>) -> OffsetDateTime {
    t.and_then(|t| {
        OffsetDateTime::from_unix_timestamp_nanos(
            i128::from(t.secs()) * 1_000_000_000 + i128::from(t.subsec_nanos()),
        )
        .ok()
    })
    .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The object's current identity; `Gone` when it no longer exists.
pub async fn head(s3: &aws_sdk_s3::Client, object: &ObjectRef) -> Result<ObjectInfo, SourceError> {
    let out = s3
        .head_object()
        .bucket(&object.bucket)
        .key(&object.key)
        .set_version_id(object.version_id.clone())
        .send()
        .await
        .map_err(|e| classify(&object.bucket, &object.key, e))?;
    let gzip = object.key.to_ascii_lowercase().ends_with(".gz")
        || out
            .content_encoding()
            .is_some_and(|e| e.to_ascii_lowercase().contains("gzip"));
    Ok(ObjectInfo {
        bucket: object.bucket.clone(),
        key: object.key.clone(),
        etag: out.e_tag().unwrap_or_default().trim_matches('"').to_owned(),
        version_id: out
            .version_id()
            .map(str::to_owned)
            .or_else(|| object.version_id.clone()),
        size: out.content_length().unwrap_or(0).max(0) as u64,
        last_modified: to_time(out.last_modified()),
        gzip,
    })
}

/// The object's bytes from `from` on, as a blocking reader: read it on a blocking thread only.
pub async fn open(
    s3: &aws_sdk_s3::Client,
    info: &ObjectInfo,
    from: u64,
) -> Result<Box<dyn Read + Send>, SourceError> {
    let mut request = s3
        .get_object()
        .bucket(&info.bucket)
        .key(&info.key)
        .set_version_id(info.version_id.clone())
        .if_match(format!("\"{}\"", info.etag));
    if from > 0 {
        request = request.range(format!("bytes={from}-"));
    }
    let out = request
        .send()
        .await
        .map_err(|e| classify(&info.bucket, &info.key, e))?;
    Ok(Box::new(SyncIoBridge::new(out.body.into_async_read())))
}

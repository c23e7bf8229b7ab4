//! Everything the ingest handler needs, built once per process: SDK clients and settings.

use std::time::Duration;

use creatoros_formats::export::Limits;
use creatoros_model::contract::KeyCodec;
use creatoros_runtime::config::{self, ConfigError};
use creatoros_store::TableRepo;

use crate::writer::WriteMode;

/// Settings of the ingest worker.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Queue for continuations and deferred messages (the ingest queue itself).
    pub ingest_queue_url: String,
    /// How metrics are written (batch under the workspace lock, or conditional puts).
    pub write_mode: WriteMode,
    /// How long a lease or lock lasts without renewal.
    pub lease: Duration,
    /// Stop reading this long before the invocation's deadline, to checkpoint and hand over.
    pub stop_margin: Duration,
    /// Rows per chunk handed from the reader to the writer.
    pub chunk_rows: usize,
    /// Chunks between checkpoints (a crash re-reads at most this much).
    pub checkpoint_chunks: usize,
    /// Delay before a deferred message (workspace busy) is seen again.
    pub defer_delay: Duration,
    /// Bounds on workbooks and zips, which are read whole.
    pub limits: Limits,
    /// Workspaces of one batch handled at once (each workspace's messages in order).
    pub concurrency: usize,
    /// Visibility of a message after its first retryable failure; doubled on each later receive.
    pub retry_base: Duration,
    /// Longest visibility backoff.
    pub retry_max: Duration,
    /// The ingest queue's `maxReceiveCount`: a message failing on this receive goes to the dead-letter queue.
    pub max_receives: u64,
}

impl Settings {
    /// How a failed message comes back: the retry backoff and the queue's receives.
    pub fn redelivery(&self) -> creatoros_queue::Redelivery {
        creatoros_queue::Redelivery {
            base: self.retry_base,
            max: self.retry_max,
            max_receives: self.max_receives,
        }
    }

    /// From the environment (`CREATOROS_INGEST_QUEUE_URL`; optional `CREATOROS_METRIC_WRITES`,
    /// `CREATOROS_LEASE_SECS`, `CREATOROS_CHUNK_ROWS`, `CREATOROS_CHECKPOINT_CHUNKS`,
    /// `CREATOROS_INGEST_CONCURRENCY`, `CREATOROS_RETRY_BASE_SECONDS`, `CREATOROS_RETRY_MAX_SECONDS`,
    /// `CREATOROS_MAX_RECEIVES`).
    pub fn from_env() -> Result<Self, ConfigError> {
        let write_mode = match std::env::var("CREATOROS_METRIC_WRITES").as_deref() {
            Err(_) | Ok("batch") => WriteMode::Batch,
            Ok("conditional") => WriteMode::Conditional,
            Ok(other) => {
                return Err(ConfigError::Invalid {
                    name: "CREATOROS_METRIC_WRITES",
                    reason: format!("{other:?}: expected batch or conditional"),
                })
            }
        };
        let mut settings = Self {
            ingest_queue_url: config::required(config::ENV_INGEST_QUEUE_URL)?,
            write_mode,
            ..Self::defaults(String::new())
        };
        if let Some(secs) = config::positive(config::ENV_LEASE_SECS)? {
            settings.lease = Duration::from_secs(secs);
        }
        if let Some(rows) = config::positive(config::ENV_CHUNK_ROWS)? {
            settings.chunk_rows = usize::try_from(rows).unwrap_or(usize::MAX);
        }
        if let Some(chunks) = config::positive(config::ENV_CHECKPOINT_CHUNKS)? {
            settings.checkpoint_chunks = usize::try_from(chunks).unwrap_or(usize::MAX);
        }
        if let Some(n) = config::positive(config::ENV_INGEST_CONCURRENCY)? {
            settings.concurrency = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(secs) = config::positive(config::ENV_RETRY_BASE_SECONDS)? {
            settings.retry_base = Duration::from_secs(secs);
        }
        if let Some(secs) = config::positive(config::ENV_RETRY_MAX_SECONDS)? {
            settings.retry_max = Duration::from_secs(secs);
        }
        if let Some(n) = config::positive(config::ENV_MAX_RECEIVES)? {
            settings.max_receives = n;
        }
        Ok(settings)
    }

    /// Defaults sized for Lambda, with the given queue.
    pub fn defaults(ingest_queue_url: String) -> Self {
        Self {
            ingest_queue_url,
            write_mode: WriteMode::Batch,
            lease: Duration::from_secs(300),
            stop_margin: Duration::from_secs(30),
            chunk_rows: 1000,
            checkpoint_chunks: 20,
            defer_delay: Duration::from_secs(30),
            limits: Limits::default(),
            concurrency: 4,
            retry_base: Duration::from_secs(10),
            retry_max: Duration::from_secs(900),
            max_receives: 5,
        }
    }
}

/// Clients and settings shared by every invocation.
#[derive(Debug, Clone)]
pub struct Ingest {
    /// The table.
    pub repo: TableRepo,
    /// S3 (path-style when pointed at a local endpoint).
    pub s3: aws_sdk_s3::Client,
    /// SQS, for continuations and deferrals.
    pub sqs: aws_sdk_sqs::Client,
    /// Settings.
    pub settings: Settings,
}

impl Ingest {
    /// From an SDK configuration and the environment.
    pub fn from_env(sdk: &aws_config::SdkConfig) -> Result<Self, ConfigError> {
        let table = config::required(config::ENV_TABLE)?;
        let codec = KeyCodec::new(config::key_casing()?);
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(sdk)
                .force_path_style(true)
                .build(),
        );
        Ok(Self {
            repo: TableRepo::new(aws_sdk_dynamodb::Client::new(sdk), table, codec),
            s3,
            sqs: aws_sdk_sqs::Client::new(sdk),
            settings: Settings::from_env()?,
        })
    }
}

//! Configuration from the environment: the names shared by the SAM template, the local stack and the tests.
//!
//! AWS settings (`AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_DYNAMODB`, ...) are read by `aws-config`
//! itself; this module holds only the pipeline's own names.

use creatoros_model::contract::Casing;

/// Table name.
pub const ENV_TABLE: &str = "CREATOROS_TABLE";
/// Imports bucket.
pub const ENV_BUCKET: &str = "CREATOROS_BUCKET";
/// Ingest queue URL (S3 notifications and `reingest` commands).
pub const ENV_INGEST_QUEUE_URL: &str = "CREATOROS_INGEST_QUEUE_URL";
/// Ingest dead-letter queue URL.
pub const ENV_INGEST_DLQ_URL: &str = "CREATOROS_INGEST_DLQ_URL";
/// Insights queue URL (`rederive` commands).
pub const ENV_INSIGHTS_QUEUE_URL: &str = "CREATOROS_INSIGHTS_QUEUE_URL";
/// Insights dead-letter queue URL.
pub const ENV_INSIGHTS_DLQ_URL: &str = "CREATOROS_INSIGHTS_DLQ_URL";
/// Key casing: `none` (the contract, default) or `lower` (an app on ElectroDB's default casing).
pub const ENV_KEY_CASING: &str = "CREATOROS_KEY_CASING";

/// Lease length in seconds for both workers' leases and locks (default: each worker's own). Crash tests shorten
/// it so that a killed worker's lease runs out in seconds.
pub const ENV_LEASE_SECS: &str = "CREATOROS_LEASE_SECS";
/// Rows per chunk of the ingest worker (default 1,000).
pub const ENV_CHUNK_ROWS: &str = "CREATOROS_CHUNK_ROWS";
/// Chunks between the ingest worker's checkpoints (default 20).
pub const ENV_CHECKPOINT_CHUNKS: &str = "CREATOROS_CHECKPOINT_CHUNKS";
/// Derivations of one insights batch run at once (default 4).
pub const ENV_DERIVE_CONCURRENCY: &str = "CREATOROS_DERIVE_CONCURRENCY";
/// Workspaces of one ingest batch handled at once, each workspace's messages in order (default 4).
pub const ENV_INGEST_CONCURRENCY: &str = "CREATOROS_INGEST_CONCURRENCY";
/// The queue's `maxReceiveCount` (the template passes its parameter), so a worker knows a message's last receive.
pub const ENV_MAX_RECEIVES: &str = "CREATOROS_MAX_RECEIVES";
/// First visibility backoff of a retried ingest message, seconds (default 10).
pub const ENV_RETRY_BASE_SECONDS: &str = "CREATOROS_RETRY_BASE_SECONDS";
/// Longest visibility backoff of a retried ingest message, seconds (default 900).
pub const ENV_RETRY_MAX_SECONDS: &str = "CREATOROS_RETRY_MAX_SECONDS";

/// A setting is absent or malformed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    /// A variable holds a value that cannot be used.
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid {
        /// Variable name.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// Reads a required variable.
pub fn required(name: &'static str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ConfigError::Missing(name)),
    }
}

/// Reads an optional positive number; `None` when the variable is unset.
pub fn positive(name: &'static str) -> Result<Option<u64>, ConfigError> {
    match std::env::var(name) {
        Err(_) => Ok(None),
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(ConfigError::Invalid {
                name,
                reason: format!("{v:?}: expected a positive whole number"),
            }),
        },
    }
}

/// The key casing from [`ENV_KEY_CASING`], defaulting to the contract's `none`.
pub fn key_casing() -> Result<Casing, ConfigError> {
    match std::env::var(ENV_KEY_CASING) {
        Err(_) => Ok(Casing::None),
        Ok(v) => v.parse().map_err(|reason| ConfigError::Invalid {
            name: ENV_KEY_CASING,
            reason,
        }),
    }
}

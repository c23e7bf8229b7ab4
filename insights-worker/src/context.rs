//! Clients and settings of the insights worker, built once per process.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use creatoros_model::contract::KeyCodec;
use creatoros_model::ids::Day;
use creatoros_runtime::config::{self, ConfigError};
use creatoros_store::TableRepo;

/// Settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The insights queue (`rederive` commands; deferred derivations go back here).
    pub insights_queue_url: String,
    /// How long a month's derive lock lasts.
    pub lease: Duration,
    /// Delay before a deferred derivation is tried again.
    pub defer_delay: Duration,
    /// The day derivations take as today; `None` (always, in Lambda) is the clock's UTC day. Tests set it to
    /// show what the passing of days changes.
    pub today: Option<Day>,
    /// Derivations of one batch run at once (each holds its month's lock; a few overlap their reads).
    pub derive_concurrency: usize,
    /// No derivation starts with less than this left before the invocation's deadline; what has not started by
    /// then goes to the insights queue.
    pub derive_margin: Duration,
    /// The insights queue's `maxReceiveCount`: a message failing on this receive goes to the dead-letter queue.
    pub max_receives: u64,
    /// Visibility of a message after its first retryable failure; doubled on each later receive.
    pub retry_base: Duration,
    /// Longest visibility backoff.
    pub retry_max: Duration,
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

    /// From the environment: `CREATOROS_INSIGHTS_QUEUE_URL`; optional `CREATOROS_LEASE_SECS`,
    /// `CREATOROS_DERIVE_CONCURRENCY`, `CREATOROS_MAX_RECEIVES`, `CREATOROS_RETRY_BASE_SECONDS`,
    /// `CREATOROS_RETRY_MAX_SECONDS`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut settings = Self::defaults(config::required(config::ENV_INSIGHTS_QUEUE_URL)?);
        if let Some(secs) = config::positive(config::ENV_LEASE_SECS)? {
            settings.lease = Duration::from_secs(secs);
        }
        if let Some(n) = config::positive(config::ENV_DERIVE_CONCURRENCY)? {
            settings.derive_concurrency = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(n) = config::positive(config::ENV_MAX_RECEIVES)? {
            settings.max_receives = n;
        }
        if let Some(secs) = config::positive(config::ENV_RETRY_BASE_SECONDS)? {
            settings.retry_base = Duration::from_secs(secs);
        }
        if let Some(secs) = config::positive(config::ENV_RETRY_MAX_SECONDS)? {
            settings.retry_max = Duration::from_secs(secs);
        }
        Ok(settings)
    }

    /// Defaults for Lambda with the given queue.
    pub fn defaults(insights_queue_url: String) -> Self {
        Self {
            insights_queue_url,
            lease: Duration::from_secs(120),
            defer_delay: Duration::from_secs(10),
            today: None,
            derive_concurrency: 4,
            derive_margin: Duration::from_secs(20),
            max_receives: 5,
            retry_base: Duration::from_secs(10),
            retry_max: Duration::from_secs(900),
        }
    }
}

/// Counters a test or an operator can read: how much work the worker did.
#[derive(Debug, Default)]
pub struct Counters {
    /// Derivations computed (one per workspace month per trigger).
    pub derivations: AtomicU64,
    /// Derivations that found nothing to change and wrote nothing.
    pub unchanged: AtomicU64,
    /// Items written or deleted by derivations (insights, tasks; the derivation record aside).
    pub item_writes: AtomicU64,
}

impl Counters {
    /// Reads a counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::SeqCst)
    }
}

/// Everything a handler needs.
#[derive(Debug, Clone)]
pub struct Insights {
    /// The table.
    pub repo: TableRepo,
    /// SQS, for deferrals.
    pub sqs: aws_sdk_sqs::Client,
    /// The table's stream, read back when a failure notice is redriven.
    pub streams: aws_sdk_dynamodbstreams::Client,
    /// Settings.
    pub settings: Settings,
    /// Work counters.
    pub counters: Arc<Counters>,
}

impl Insights {
    /// Today, as derivations see it.
    pub fn today(&self) -> Day {
        self.settings.today.clone().unwrap_or_else(|| {
            Day::from_date(time::OffsetDateTime::now_utc().date()).expect("a current date")
        })
    }

    /// From an SDK configuration and the environment.
    pub fn from_env(sdk: &aws_config::SdkConfig) -> Result<Self, ConfigError> {
        let table = config::required(config::ENV_TABLE)?;
        Ok(Self {
            repo: TableRepo::new(
                aws_sdk_dynamodb::Client::new(sdk),
                table,
                KeyCodec::new(config::key_casing()?),
            ),
            sqs: aws_sdk_sqs::Client::new(sdk),
            streams: aws_sdk_dynamodbstreams::Client::new(sdk),
            settings: Settings::from_env()?,
            counters: Arc::new(Counters::default()),
        })
    }
}

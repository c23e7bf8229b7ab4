//! Support for the tests that need the local AWS stack (DynamoDB Local and moto), which `make test` starts with
//! `infra/scripts/stack.sh up` and describes in `.local/stack/stack.env`.
//!
//! Every test makes its own resources under a unique prefix, so tests run in parallel on one stack.

#![deny(clippy::all)]
#![warn(missing_docs)]

pub mod bench;
pub mod faults;
pub mod ingest;
pub mod meter;
pub mod pipeline;
pub mod proxy;
pub mod reliability;

use std::sync::atomic::{AtomicUsize, Ordering};

use aws_config::SdkConfig;
use creatoros_stack::bootstrap::{self, Provisioned};
use creatoros_stack::resources::Resources;

/// Clients for the local stack.
pub struct LocalStack {
    /// SDK configuration from the environment.
    pub sdk: SdkConfig,
}

impl LocalStack {
    /// Connects to the stack named by the environment; panics with instructions when it is not there, so a
    /// missing stack fails the run instead of skipping tests.
    pub async fn connect() -> Self {
        // Logs of the workers under test, when RUST_LOG asks for them (`RUST_LOG=creatoros_insights_worker=debug`).
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        for var in [
            "AWS_ENDPOINT_URL_DYNAMODB",
            "AWS_ENDPOINT_URL_S3",
            "AWS_ENDPOINT_URL_SQS",
        ] {
            assert!(
                std::env::var(var).is_ok(),
                "{var} is not set: these tests need the local stack. Run `make test`, or \
                 `infra/scripts/stack.sh up && . .local/stack/stack.env` before `cargo test`."
            );
        }
        Self {
            sdk: creatoros_stack::aws::load().await,
        }
    }

    /// DynamoDB client.
    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        creatoros_stack::aws::dynamodb(&self.sdk)
    }

    /// S3 client (path-style).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        creatoros_stack::aws::s3(&self.sdk)
    }

    /// SQS client.
    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        creatoros_stack::aws::sqs(&self.sdk)
    }

    /// A fresh table (and nothing else) named after the test.
    pub async fn fresh_table(&self, test: &str) -> String {
        let resources = Resources::named(&unique(test));
        bootstrap::ensure_table(&self.dynamodb(), &resources.table)
            .await
            .expect("create table");
        resources.table.name
    }

    /// A fresh set of every resource named after the test.
    pub async fn fresh_resources(&self, test: &str) -> (Resources, Provisioned) {
        self.fresh_resources_with(test, |_| {}).await
    }

    /// A fresh set of every resource named after the test, adjusted by `tweak` first (e.g. a short queue
    /// visibility for crash tests).
    pub async fn fresh_resources_with(
        &self,
        test: &str,
        tweak: impl FnOnce(&mut Resources),
    ) -> (Resources, Provisioned) {
        let mut resources = Resources::named(&unique(test));
        tweak(&mut resources);
        let made = bootstrap::bootstrap(&resources, &self.dynamodb(), &self.s3(), &self.sqs())
            .await
            .expect("bootstrap");
        (resources, made)
    }
}

/// A name no other test in this run uses: lower-case, valid for tables, buckets and queues.
pub fn unique(test: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let clean: String = test
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(30)
        .collect();
    format!("t-{clean}-{}-{n}-{nanos:x}", std::process::id())
}

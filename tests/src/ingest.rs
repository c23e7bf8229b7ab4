//! A private ingest pipeline on the local stack: fresh resources, the real handler, the local runner.

use creatoros_runtime::metrics::Metrics;
use std::time::Duration;

use creatoros_ingest::{handler, Ingest, Settings};
use creatoros_model::contract::AttributeValue;
use creatoros_model::contract::{Entity, IndexName, KeyCodec};
use creatoros_model::entities::{Import, Lock, Metric};
use creatoros_runners::queue::{run_until_idle, QueueRunner};
use creatoros_stack::bootstrap::Provisioned;
use creatoros_stack::resources::{self, Resources};
use creatoros_store::retry::RetryPolicy;
use creatoros_store::TableRepo;
use serde_json::Value;

use crate::faults::BatchFaults;
use crate::LocalStack;

/// Fresh resources with the ingest worker wired to them.
pub struct IngestHarness {
    /// The stack's clients.
    pub stack: LocalStack,
    /// The definition.
    pub resources: Resources,
    /// What the bootstrap made.
    pub made: Provisioned,
    /// The worker's context (tests may adjust `ctx.settings`).
    pub ctx: Ingest,
    /// The runner on the ingest queue.
    pub runner: QueueRunner,
}

/// DynamoDB Local keeps every table in one process's memory and slows down as it fills (a few thousand rows a
/// second when fresh, an order of magnitude less after the whole suite): each harness drops its table when it is
/// done, so the tests that run last meet the server the first ones met. `CREATOROS_KEEP_TEST_TABLES=1` keeps
/// them for a look.
impl Drop for IngestHarness {
    fn drop(&mut self) {
        if std::env::var_os("CREATOROS_KEEP_TEST_TABLES").is_some() {
            return;
        }
        let table = self.made.table.clone();
        // Drop cannot await, and the test's runtime may be shutting down: a runtime of its own, on its own thread.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let sdk = creatoros_stack::aws::load().await;
                let _ = creatoros_stack::aws::dynamodb(&sdk)
                    .delete_table()
                    .table_name(&table)
                    .send()
                    .await;
            });
            Some(())
        })
        .join();
    }
}

impl IngestHarness {
    /// The worker's context with its table writes going through `faults`: the SDK's retries off and the
    /// repository's cut to three quick attempts, so a fault that outlasts them reaches the handler in milliseconds.
    pub fn ctx_with_faults(&self, faults: &BatchFaults) -> Ingest {
        let client = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&self.stack.sdk)
                .interceptor(faults.clone())
                .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
                .build(),
        );
        let mut ctx = self.ctx.clone();
        ctx.repo = TableRepo::new(client, &self.made.table, *self.ctx.repo.codec())
            .with_retry_policy(RetryPolicy {
                initial_delay: Duration::from_millis(5),
                max_attempts: 3,
                ..RetryPolicy::default()
            });
        ctx
    }

    /// New resources named after `test`, with settings for fast tests (short deferrals, no stop margin).
    pub async fn new(test: &str) -> Self {
        Self::new_with(test, |_| {}).await
    }

    /// Like [`IngestHarness::new`], with the resource definition adjusted by `tweak` before the bootstrap.
    pub async fn new_with(test: &str, tweak: impl FnOnce(&mut Resources)) -> Self {
        let stack = LocalStack::connect().await;
        let (resources, made) = stack.fresh_resources_with(test, tweak).await;
        let queue = made.queue_urls[resources::INGEST_QUEUE_ID].clone();
        let mut settings = Settings::defaults(queue.clone());
        settings.defer_delay = Duration::from_secs(1);
        settings.lease = Duration::from_secs(60);
        settings.stop_margin = Duration::ZERO;
        settings.retry_base = Duration::from_secs(1);
        settings.retry_max = Duration::from_secs(2);
        let ctx = Ingest {
            repo: TableRepo::new(stack.dynamodb(), &made.table, KeyCodec::default()),
            s3: stack.s3(),
            sqs: stack.sqs(),
            settings,
        };
        let runner = QueueRunner::new(stack.sqs(), queue);
        let harness = Self {
            stack,
            resources,
            made,
            ctx,
            runner,
        };
        harness.drain_test_events().await;
        harness
    }

    async fn drain_test_events(&self) {
        self.run().await;
    }

    /// Uploads `bytes` to the imports bucket under `key`.
    pub async fn upload(&self, key: &str, bytes: Vec<u8>) {
        self.stack
            .s3()
            .put_object()
            .bucket(&self.made.bucket)
            .key(key)
            .body(bytes.into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("upload {key}: {e:?}"));
    }

    /// Drops every message waiting on the ingest queue (a test that plays an earlier version's table must keep its
    /// own upload from being ingested by its notification).
    pub async fn purge_ingest_queue(&self) {
        self.stack
            .sqs()
            .purge_queue()
            .queue_url(&self.made.queue_urls[resources::INGEST_QUEUE_ID])
            .send()
            .await
            .unwrap();
    }

    /// Sends a raw message body to the ingest queue.
    pub async fn send(&self, body: &str) {
        self.stack
            .sqs()
            .send_message()
            .queue_url(&self.made.queue_urls[resources::INGEST_QUEUE_ID])
            .message_body(body)
            .send()
            .await
            .unwrap();
    }

    /// Runs the worker until the queue is idle; returns batches handled.
    pub async fn run(&self) -> usize {
        let ctx = &self.ctx;
        run_until_idle(
            &self.runner,
            Duration::from_millis(1500),
            Duration::from_secs(240),
            |event, deadline| async move {
                handler::handle(ctx, event, deadline, &Metrics::new("ingest")).await
            },
        )
        .await
        .expect("runner")
    }

    /// Every entity of type `E` in a workspace, in key order.
    pub async fn of_workspace<E: Entity>(&self, workspace: &str) -> Vec<E> {
        let q = self
            .ctx
            .repo
            .codec()
            .query(E::SCHEMA, IndexName::Primary, &[("workspaceId", workspace)])
            .unwrap();
        self.ctx.repo.query(&q).await.unwrap()
    }

    /// Every import of a workspace.
    pub async fn imports(&self, workspace: &str) -> Vec<Import> {
        self.of_workspace(workspace).await
    }

    /// The names of the locks held in a workspace (`ingest`, `derive-<month>`).
    pub async fn locks(&self, workspace: &str) -> Vec<String> {
        let locks: Vec<Lock> = self.of_workspace(workspace).await;
        locks.into_iter().map(|l| l.name).collect()
    }

    /// Every metric of a workspace, in key order.
    pub async fn metrics(&self, workspace: &str) -> Vec<Metric> {
        self.of_workspace(workspace).await
    }

    /// Every item of a workspace's partition as sorted JSON, without the attributes that record when or by
    /// whom something ran (timestamps, leases, versions): what two runs that did the same work share.
    pub async fn dump(&self, workspace: &str) -> Vec<Value> {
        let mut items: Vec<Value> = self
            .partition(workspace, None)
            .await
            .into_iter()
            .map(|item| {
                let mut v: Value = serde_dynamo::from_item(item).unwrap();
                let obj = v.as_object_mut().unwrap();
                for volatile in [
                    "updatedAt",
                    "startedAt",
                    "finishedAt",
                    "leaseOwner",
                    "leaseExpiresAt",
                    "version",
                    "invocations",
                    "createdAt",
                    "derivedAt",
                    "watermark",
                    "runs",
                    "ttl",
                ] {
                    obj.remove(volatile);
                }
                v
            })
            .collect();
        items.sort_by(|a, b| a["sk"].as_str().cmp(&b["sk"].as_str()));
        items
    }

    /// Every item of a workspace's partition as JSON, all attributes, in key order.
    pub async fn raw_partition(&self, workspace: &str) -> Vec<Value> {
        let mut items: Vec<Value> = self
            .partition(workspace, None)
            .await
            .into_iter()
            .map(|item| serde_dynamo::from_item(item).expect("an item is JSON"))
            .collect();
        items.sort_by(|a, b| {
            (a["sk"].as_str(), a["pk"].as_str()).cmp(&(b["sk"].as_str(), b["pk"].as_str()))
        });
        items
    }

    /// Every item of a workspace's partition (all pages), optionally projected.
    async fn partition(
        &self,
        workspace: &str,
        projection: Option<&str>,
    ) -> Vec<creatoros_model::contract::Item> {
        let pages = self
            .stack
            .dynamodb()
            .query()
            .table_name(&self.made.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(
                ":pk",
                AttributeValue::S(
                    self.ctx
                        .repo
                        .codec()
                        .workspace_partition(&workspace.parse().expect("a workspace id")),
                )
                .into(),
            )
            .set_projection_expression(projection.map(str::to_owned))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await;
        pages
            .unwrap()
            .into_iter()
            .map(creatoros_store::item::from_sdk)
            .collect()
    }

    /// Deletes every item of a workspace's partition.
    pub async fn clear(&self, workspace: &str) {
        let keys = self.partition(workspace, Some("pk, sk")).await;
        let outcome = self.ctx.repo.batch().delete_keys(keys).await;
        assert!(outcome.is_complete(), "{:?}", outcome.error);
    }

    /// The bytes of an object in the imports bucket.
    pub async fn object_bytes(&self, key: &str) -> Vec<u8> {
        let out = self
            .stack
            .s3()
            .get_object()
            .bucket(&self.made.bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("download {key}: {e:?}"));
        out.body.collect().await.unwrap().into_bytes().to_vec()
    }

    /// The text of an object in the imports bucket.
    pub async fn object_text(&self, key: &str) -> String {
        String::from_utf8(self.object_bytes(key).await).unwrap()
    }
}

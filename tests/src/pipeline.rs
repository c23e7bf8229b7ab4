//! The whole local pipeline for a test: fresh resources, both workers, the queue and stream runners.

use std::time::Duration;

use creatoros_insights_worker::{Insights, Settings};
use creatoros_runners::pipeline::{LocalPipeline, Totals};
use creatoros_stack::resources::{self, Resources};

use crate::ingest::IngestHarness;

/// Ingest and insights wired to fresh resources.
pub struct PipelineHarness {
    /// The ingest side (uploads, imports, metrics, dumps).
    pub h: IngestHarness,
    /// The runners and workers.
    pub pipeline: LocalPipeline,
}

impl PipelineHarness {
    /// New resources named after `test`.
    pub async fn new(test: &str) -> Self {
        Self::new_with(test, |_| {}).await
    }

    /// Like [`PipelineHarness::new`], with the resource definition adjusted by `tweak` before the bootstrap.
    pub async fn new_with(test: &str, tweak: impl FnOnce(&mut Resources)) -> Self {
        let h = IngestHarness::new_with(test, tweak).await;
        let mut settings =
            Settings::defaults(h.made.queue_urls[resources::INSIGHTS_QUEUE_ID].clone());
        settings.defer_delay = Duration::from_secs(1);
        settings.lease = Duration::from_secs(30);
        settings.retry_base = Duration::from_secs(1);
        settings.retry_max = Duration::from_secs(2);
        let insights = Insights {
            repo: h.ctx.repo.clone(),
            sqs: h.stack.sqs(),
            streams: aws_sdk_dynamodbstreams::Client::new(&h.stack.sdk),
            settings,
            counters: Default::default(),
        };
        let dlq = h.made.queue_urls[resources::INSIGHTS_DLQ_ID].clone();
        let pipeline = LocalPipeline::new(&h.stack.sdk, h.ctx.clone(), insights, Some(dlq), None)
            .await
            .expect("pipeline");
        Self { h, pipeline }
    }

    /// Runs every source until the pipeline is idle.
    pub async fn run_all(&mut self) -> Totals {
        self.pipeline
            .run_until_idle(Duration::from_millis(1500), Duration::from_secs(360))
            .await
            .expect("pipeline run")
    }

    /// The insights worker.
    pub fn insights(&self) -> &Insights {
        &self.pipeline.insights
    }

    /// Every `E` of a workspace month (GSI1, the app's month view).
    pub async fn of_month<E: creatoros_model::contract::Entity>(
        &self,
        ws: &str,
        month: &str,
    ) -> Vec<E> {
        let q = self
            .h
            .ctx
            .repo
            .codec()
            .query(
                E::SCHEMA,
                creatoros_model::contract::IndexName::Gsi1,
                &[("workspaceId", ws), ("month", month)],
            )
            .expect("a month query");
        self.h.ctx.repo.query(&q).await.expect("query")
    }

    /// Derivations computed so far.
    pub fn derivations(&self) -> u64 {
        creatoros_insights_worker::context::Counters::get(&self.insights().counters.derivations)
    }
}

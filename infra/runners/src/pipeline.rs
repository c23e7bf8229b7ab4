//! The whole pipeline on the local stack: the ingest queue, the table's stream and the insights queue, each polled
//! by its runner and handed to the same handlers the Lambda functions run.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use creatoros_ingest::Ingest;
use creatoros_insights_worker::Insights;
use creatoros_runtime::metrics::Metrics;

use creatoros_stack::ServiceError;

use crate::queue::QueueRunner;
use crate::stream::StreamRunner;

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Ingest batches handled.
    pub ingest_batches: usize,
    /// Stream records read.
    pub stream_records: usize,
    /// Stream records that matched the filter and reached the insights worker.
    pub stream_delivered: usize,
    /// Insights queue batches handled.
    pub insights_batches: usize,
    /// Stream batches whose handler ran past the function timeout.
    pub stream_timeouts: usize,
    /// Stream records given up on after their retries (their ranges' notices are in the dead-letter queue).
    pub stream_dropped: usize,
}

/// The three event sources and the two workers.
#[derive(Debug)]
pub struct LocalPipeline {
    /// The ingest worker.
    pub ingest: Ingest,
    /// The insights worker.
    pub insights: Insights,
    /// Runner on the ingest queue.
    pub ingest_queue: QueueRunner,
    /// Runner on the insights queue.
    pub insights_queue: QueueRunner,
    /// Runner on the table's stream.
    pub stream: StreamRunner,
    /// The daily schedule, as EventBridge Scheduler runs it in AWS: when on, the first poll of each UTC day sends
    /// the `scheduled` command to the insights queue. Holds the last day it was sent.
    pub daily_schedule: Option<Option<String>>,
    /// The ingest worker's metrics over the whole run (in Lambda, each invocation writes its own).
    pub ingest_metrics: Metrics,
    /// The insights worker's metrics over the whole run.
    pub insights_metrics: Metrics,
    sqs: aws_sdk_sqs::Client,
}

/// Time given to the insights handler per batch (the insights function's timeout).
pub const STREAM_BATCH_BUDGET: Duration = Duration::from_secs(120);

impl LocalPipeline {
    /// Wires the runners: the stream's on-failure destination is the insights dead-letter queue, as in the
    /// template; `checkpoints` keeps the stream position across restarts.
    pub async fn new(
        sdk: &aws_config::SdkConfig,
        ingest: Ingest,
        insights: Insights,
        insights_dlq_url: Option<String>,
        checkpoints: Option<PathBuf>,
    ) -> Result<Self, ServiceError> {
        let table = ingest.repo.table().to_owned();
        let described = ingest
            .repo
            .client()
            .describe_table()
            .table_name(&table)
            .send()
            .await
            .map_err(|e| ServiceError {
                resource: table.clone(),
                message: e.into_service_error().to_string(),
            })?;
        let stream_arn = described
            .table()
            .and_then(|t| t.latest_stream_arn())
            .ok_or_else(|| ServiceError {
                resource: table.clone(),
                message: "the table has no stream".into(),
            })?
            .to_owned();
        let sqs = creatoros_stack::aws::sqs(sdk);
        let mut stream = StreamRunner::new(
            aws_sdk_dynamodbstreams::Client::new(sdk),
            stream_arn,
            checkpoints,
        );
        stream.on_failure = insights_dlq_url.map(|url| (sqs.clone(), url));
        stream.timeout = Some(STREAM_BATCH_BUDGET);
        Ok(Self {
            ingest_queue: QueueRunner::new(sqs.clone(), ingest.settings.ingest_queue_url.clone()),
            insights_queue: QueueRunner::new(
                sqs.clone(),
                insights.settings.insights_queue_url.clone(),
            )
            .with_budget(STREAM_BATCH_BUDGET),
            stream,
            ingest,
            insights,
            daily_schedule: None,
            ingest_metrics: Metrics::new("ingest"),
            insights_metrics: Metrics::new("insights"),
            sqs,
        })
    }

    /// Turns the daily schedule on (what `creatoros run` does; tests send the command themselves).
    pub fn with_daily_schedule(mut self) -> Self {
        self.daily_schedule = Some(None);
        self
    }

    /// Sends the `scheduled` command once per UTC day, if the schedule is on.
    async fn tick(&mut self) -> Result<(), ServiceError> {
        let Some(last) = &self.daily_schedule else {
            return Ok(());
        };
        let today = time::OffsetDateTime::now_utc().date().to_string();
        if last.as_deref() == Some(today.as_str()) {
            return Ok(());
        }
        self.sqs
            .send_message()
            .queue_url(&self.insights.settings.insights_queue_url)
            .message_body(creatoros_insights_worker::handler::scheduled_body(Some(
                &today,
            )))
            .send()
            .await
            .map_err(|e| ServiceError {
                resource: self.insights.settings.insights_queue_url.clone(),
                message: e.into_service_error().to_string(),
            })?;
        self.daily_schedule = Some(Some(today));
        Ok(())
    }

    /// One round over the three sources; returns what it did.
    pub async fn poll_once(&mut self) -> Result<Totals, ServiceError> {
        self.tick().await?;
        let mut t = Totals::default();
        let ingest = &self.ingest;
        let ingest_metrics = &self.ingest_metrics;
        if self
            .ingest_queue
            .poll_once(Duration::ZERO, |e, d| {
                creatoros_ingest::handler::handle(ingest, e, d, ingest_metrics)
            })
            .await?
            .received
            > 0
        {
            t.ingest_batches += 1;
        }
        let insights = &self.insights;
        let metrics = &self.insights_metrics;
        let stream_budget = self.stream.timeout.unwrap_or(STREAM_BATCH_BUDGET);
        let polled = self
            .stream
            .poll_once(|e| {
                // The deadline Lambda would give: the runner's timeout (the function timeout) from now.
                let deadline = Instant::now() + stream_budget;
                creatoros_insights_worker::handler::handle_stream(insights, e, deadline, metrics)
            })
            .await?;
        t.stream_records += polled.read;
        t.stream_timeouts += polled.timed_out;
        t.stream_dropped += polled.dropped;
        t.stream_delivered += polled.delivered;
        if self
            .insights_queue
            .poll_once(Duration::ZERO, |e, d| {
                creatoros_insights_worker::handler::handle_sqs(insights, e, d, metrics)
            })
            .await?
            .received
            > 0
        {
            t.insights_batches += 1;
        }
        Ok(t)
    }

    /// Polls until nothing has happened for `quiet` (and both queues are empty), or fails after `limit`.
    pub async fn run_until_idle(
        &mut self,
        quiet: Duration,
        limit: Duration,
    ) -> Result<Totals, ServiceError> {
        let started = Instant::now();
        let mut totals = Totals::default();
        let mut idle_since: Option<Instant> = None;
        loop {
            if started.elapsed() > limit {
                return Err(ServiceError {
                    resource: "pipeline".into(),
                    message: format!("still busy after {limit:?}"),
                });
            }
            let t = self.poll_once().await?;
            totals.ingest_batches += t.ingest_batches;
            totals.stream_records += t.stream_records;
            totals.stream_timeouts += t.stream_timeouts;
            totals.stream_dropped += t.stream_dropped;
            totals.stream_delivered += t.stream_delivered;
            totals.insights_batches += t.insights_batches;
            let busy = t != Totals::default()
                || self.ingest_queue.backlog().await? > 0
                || self.insights_queue.backlog().await? > 0;
            if busy {
                idle_since = None;
                continue;
            }
            let since = *idle_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= quiet {
                return Ok(totals);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

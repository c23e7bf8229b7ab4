//! Production operations on the local stack: a stream batch the mapping gave up on is derived from its redriven
//! notice; a notice past the stream's retention fails loudly; a throttled ingest message comes back after its
//! backoff, not the queue's visibility timeout; expiring items carry their TTL; a purge removes one workspace
//! and nothing else.

use std::time::{Duration, Instant};

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use creatoros_ingest::handler;
use creatoros_model::contract::schema::TTL_ATTRIBUTE;
use creatoros_model::entities::ImportStatus;
use creatoros_runtime::metrics::{self, Metrics};
use creatoros_stack::resources;
use creatoros_tests::faults::BatchFaults;
use creatoros_tests::ingest::IngestHarness;
use creatoros_tests::pipeline::PipelineHarness;
use creatoros_tests::reliability::{
    canonical, outcome, run_workload, small_chunks, upload_workload, Workload,
};
use serde_json::json;

/// Every record of the batch fails: what a broken worker answers until the mapping gives up.
fn all_fail(e: Event) -> std::future::Ready<DynamoDbEventResponse> {
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = e
        .records
        .iter()
        .map(|r| {
            let mut f = DynamoDbBatchItemFailure::default();
            f.item_identifier = r.change.sequence_number.clone();
            f
        })
        .collect();
    std::future::ready(response)
}

async fn depth(p: &PipelineHarness, id: &str) -> usize {
    creatoros_runners::queue::QueueRunner::new(p.h.stack.sqs(), p.h.made.queue_urls[id].clone())
        .backlog()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_batch_given_up_on_is_derived_from_its_redriven_notice_as_a_clean_run() {
    let (clean, _) = run_workload("notice-clean", None, 0).await;

    let mut p = PipelineHarness::new("notice-redrive").await;
    small_chunks(&mut p);
    upload_workload(&p, &Workload::standard()).await;
    p.h.run().await; // every import finishes; no derivation yet

    // The insights worker fails every batch until the mapping's retries run out: each range's notice goes to the
    // insights dead-letter queue and the shard moves on.
    let mut dropped = 0;
    loop {
        let polled = p.pipeline.stream.poll_once(all_fail).await.unwrap();
        dropped += polled.dropped;
        if polled.read == 0 {
            break;
        }
    }
    assert!(dropped > 0, "trigger records were given up on");
    let notices = depth(&p, resources::INSIGHTS_DLQ_ID).await;
    assert!(notices >= 1, "their ranges are in the dead-letter queue");
    assert_eq!(p.derivations(), 0, "and nothing was derived");

    // The operator redrives the dead-letter queue; the worker reads each range back from the stream.
    let sqs = p.h.stack.sqs();
    let moved = creatoros_cli::redrive::redrive(
        &sqs,
        &p.h.made.queue_urls[resources::INSIGHTS_DLQ_ID],
        &p.h.made.queue_urls[resources::INSIGHTS_QUEUE_ID],
    )
    .await
    .unwrap();
    assert_eq!(moved.moved, notices);
    p.run_all().await;
    assert_eq!(
        p.pipeline
            .insights_metrics
            .get(metrics::STREAM_RANGES_RECOVERED),
        notices as f64
    );
    let recovered = outcome(&p).await;
    if let Some(diff) = recovered.differences(&clean) {
        panic!("the recovered run differs from a clean one:\n{diff}");
    }
    assert!(recovered.item_count() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn derivations_that_would_not_finish_before_the_deadline_go_to_the_insights_queue() {
    let mut p = PipelineHarness::new("deadline").await;
    for ws in ["ws1", "ws2"] {
        p.h.upload(&format!("imports/{ws}/a.csv"), canonical(10, 0))
            .await;
    }
    p.h.run().await;
    // The invocation is already inside its margin: no derivation may start.
    let margin = p.insights().settings.derive_margin;
    let metrics = Metrics::new("insights");
    let insights = &p.pipeline.insights;
    let polled = p
        .pipeline
        .stream
        .poll_once(|e| {
            creatoros_insights_worker::handler::handle_stream(
                insights,
                e,
                Instant::now() + margin / 2,
                &metrics,
            )
        })
        .await
        .unwrap();
    assert_eq!(polled.dropped, 0, "nothing fails: it is handed on");
    assert_eq!(p.derivations(), 0);
    let deferred = metrics.get(metrics::DEFERRALS);
    // Two workspaces, each June and July, plus the months reading them and May: 5 months each.
    assert_eq!(deferred, 10.0);
    assert_eq!(
        depth(&p, resources::INSIGHTS_QUEUE_ID).await,
        10,
        "each month is a rederive on the insights queue"
    );
    p.run_all().await;
    assert!(p.derivations() >= 10, "and each is derived from there");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_past_the_streams_retention_fails_loudly_and_is_not_acknowledged() {
    let p = PipelineHarness::new("notice-expired").await;
    let notice = json!({
        "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 4},
        "DDBStreamBatchInfo": {
            "shardId": "shardId-00000001700000000000-00000000", "startSequenceNumber": "100",
            "endSequenceNumber": "200", "batchSize": 2, "streamArn": p.h.made.stream_arn,
            "approximateArrivalOfFirstRecord": "2026-11-30T10:00:04Z"
        }
    });
    let message = |receives: u64| {
        let mut m = SqsMessage::default();
        m.message_id = Some("n1".into());
        m.body = Some(notice.to_string());
        m.attributes
            .insert("ApproximateReceiveCount".into(), receives.to_string());
        let mut e = SqsEvent::default();
        e.records.push(m);
        e
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let first = Metrics::new("insights");
    let response =
        creatoros_insights_worker::handler::handle_sqs(p.insights(), message(1), deadline, &first)
            .await;
    assert_eq!(
        response.batch_item_failures.len(),
        1,
        "kept, not acknowledged"
    );
    assert_eq!(first.get(metrics::DEAD_LETTERED), 0.0);
    let last = Metrics::new("insights");
    let response =
        creatoros_insights_worker::handler::handle_sqs(p.insights(), message(5), deadline, &last)
            .await;
    assert_eq!(response.batch_item_failures.len(), 1);
    assert_eq!(
        last.get(metrics::DEAD_LETTERED),
        1.0,
        "its last receive is counted: it goes back to the alarmed dead-letter queue"
    );
    assert_eq!(p.derivations(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_ingest_message_returns_after_its_backoff_not_the_visibility_timeout() {
    let mut h = IngestHarness::new("visibility-backoff").await;
    h.ctx.settings.retry_base = Duration::from_secs(2);
    h.ctx.settings.retry_max = Duration::from_secs(4);
    let queue = h.made.queue_urls[resources::INGEST_QUEUE_ID].clone();
    let attributes = h
        .stack
        .sqs()
        .get_queue_attributes()
        .queue_url(&queue)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout)
        .send()
        .await
        .unwrap();
    let timeout: u64 = attributes.attributes().unwrap()
        [&aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout]
        .parse()
        .unwrap();
    assert_eq!(timeout, 1800, "the production visibility timeout");
    // The runner leaves visibility to the handler, as Lambda's mapping does.
    assert_eq!(h.runner.retry_after, None);

    // DynamoDB throttles every batch write, past the SDK's and the repository's retries.
    let faults = BatchFaults::new(usize::MAX, 0, 0);
    let throttled = h.ctx_with_faults(&faults);
    h.upload("imports/ws1/a.csv", canonical(10, 1)).await;
    let metrics = Metrics::new("ingest");
    let polled = h
        .runner
        .poll_once(Duration::from_secs(5), |e, d| {
            handler::handle(&throttled, e, d, &metrics)
        })
        .await
        .unwrap();
    assert_eq!((polled.received, polled.failed), (1, 1));
    let failed_at = Instant::now();
    assert_eq!(metrics.get(metrics::RETRIES), 1.0);
    assert!(faults.throttled() >= 3);

    // Healthy again: the message is back once its backoff (1-2 s: 2 s with equal jitter) has passed.
    let healthy = h.ctx.clone();
    let healthy_metrics = Metrics::new("ingest");
    let mut polls = 0;
    let back_after = loop {
        let polled = h
            .runner
            .poll_once(Duration::from_secs(1), |e, d| {
                handler::handle(&healthy, e, d, &healthy_metrics)
            })
            .await
            .unwrap();
        if polled.received > 0 {
            assert_eq!(polled.failed, 0);
            break failed_at.elapsed();
        }
        polls += 1;
        assert!(polls < 30, "the message did not come back within 30 s");
    };
    assert!(
        back_after >= Duration::from_millis(900),
        "not before its backoff: {back_after:?}"
    );
    assert!(
        back_after < Duration::from_secs(30),
        "long before the queue's 1,800 s: {back_after:?}"
    );
    assert_eq!(h.imports("ws1").await[0].status, ImportStatus::Completed);
    assert_eq!(healthy_metrics.get(metrics::ROWS_INGESTED), 60.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiring_items_carry_their_ttl_and_nothing_else_does() {
    let mut p = PipelineHarness::new("ttl").await;
    // Derivations of a month whose result can still change with the date schedule themselves for tomorrow.
    let today = time::OffsetDateTime::now_utc().date();
    p.pipeline.insights.settings.today = Some(creatoros_model::ids::Day::from_date(today).unwrap());
    let month = format!("{}-{:02}", today.year(), u8::from(today.month()));
    let csv = format!(
        "post_id,platform,date,impressions,likes,comments,shares\np1,x,{month}-01,100,5,1,0\n"
    );
    p.h.upload("imports/ws1/now.csv", csv.into_bytes()).await;
    p.run_all().await;
    let mut expiring = 0;
    for item in p.h.raw_partition("ws1").await {
        let entity = item["__edb_e__"].as_str().unwrap().to_owned();
        match item.get(TTL_ATTRIBUTE) {
            Some(ttl) => {
                expiring += 1;
                assert!(
                    entity == "schedule" || entity == "lock",
                    "{entity} carries a ttl"
                );
                let ttl = ttl.as_i64().expect("epoch seconds, a number");
                let now = time::OffsetDateTime::now_utc().unix_timestamp();
                assert!(ttl > now, "not yet expired");
                if entity == "schedule" {
                    let day = time::Date::parse(
                        item["day"].as_str().unwrap(),
                        time::macros::format_description!("[year]-[month]-[day]"),
                    )
                    .unwrap();
                    let expected = (day + time::Duration::days(7))
                        .midnight()
                        .assume_utc()
                        .unix_timestamp();
                    assert_eq!(ttl, expected, "a week after its day");
                }
            }
            None => assert!(
                entity != "schedule" && entity != "lock",
                "{entity} without a ttl"
            ),
        }
    }
    assert!(expiring >= 1, "the month scheduled itself for tomorrow");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purge_removes_one_workspace_and_leaves_the_others_byte_identical() {
    let mut p = PipelineHarness::new("purge").await;
    // Versioned, as the template's bucket is: a purge must remove every version, not only the current one.
    p.h.stack
        .s3()
        .put_bucket_versioning()
        .bucket(&p.h.made.bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    for ws in ["ws-gone", "ws-kept"] {
        p.h.upload(&format!("imports/{ws}/a.csv"), canonical(20, 0))
            .await;
    }
    // A file with a bad row, so the workspace has a rejects file too.
    let mut bad = String::from_utf8(canonical(5, 1)).unwrap();
    bad.push_str("p-bad,x,not-a-date,1,1,1,1\n");
    p.h.upload("imports/ws-gone/bad.csv", bad.into_bytes())
        .await;
    // The same key uploaded twice: two object versions.
    p.h.upload("imports/ws-gone/a.csv", canonical(20, 2)).await;
    p.run_all().await;
    let kept_before = p.h.raw_partition("ws-kept").await;
    let kept_objects_before = object_versions(&p, "imports/ws-kept/").await;
    assert!(!kept_before.is_empty() && !kept_objects_before.is_empty());
    let gone = "ws-gone".parse().unwrap();

    let s3 = p.h.stack.s3();
    let dry = creatoros_cli::purge::purge(&p.h.ctx.repo, &s3, &p.h.made.bucket, &gone, false)
        .await
        .unwrap();
    assert!(dry.items > 0, "{dry}");
    let gone_objects = [
        object_versions(&p, "imports/ws-gone/").await,
        object_versions(&p, "rejects/ws-gone/").await,
    ];
    assert_eq!(
        gone_objects[0].len(),
        3,
        "two versions of a.csv and bad.csv: {gone_objects:?}"
    );
    assert!(
        !gone_objects[1].is_empty(),
        "a rejects file: {gone_objects:?}"
    );
    assert_eq!(dry.objects, gone_objects[0].len() + gone_objects[1].len());
    assert!(
        !p.h.raw_partition("ws-gone").await.is_empty(),
        "a dry run deletes nothing"
    );

    let done = creatoros_cli::purge::purge(&p.h.ctx.repo, &s3, &p.h.made.bucket, &gone, true)
        .await
        .unwrap();
    assert!(done.failed.is_empty(), "{done}");
    assert_eq!((done.items, done.objects), (dry.items, dry.objects));
    assert!(p.h.raw_partition("ws-gone").await.is_empty());
    assert!(object_versions(&p, "imports/ws-gone/").await.is_empty());
    assert!(object_versions(&p, "rejects/ws-gone/").await.is_empty());
    // The app's month view (GSI1) has nothing of it either.
    assert!(p
        .of_month::<creatoros_model::entities::Metric>("ws-gone", "2026-07")
        .await
        .is_empty());

    assert_eq!(p.h.raw_partition("ws-kept").await, kept_before);
    assert_eq!(
        object_versions(&p, "imports/ws-kept/").await,
        kept_objects_before
    );
    let again = creatoros_cli::purge::purge(&p.h.ctx.repo, &s3, &p.h.made.bucket, &gone, true)
        .await
        .unwrap();
    assert_eq!(
        (again.items, again.objects),
        (0, 0),
        "a second purge finds nothing"
    );
}

/// (key, version id) of every version and delete marker under `prefix`.
async fn object_versions(p: &PipelineHarness, prefix: &str) -> Vec<(String, String)> {
    let out =
        p.h.stack
            .s3()
            .list_object_versions()
            .bucket(&p.h.made.bucket)
            .prefix(prefix)
            .send()
            .await
            .unwrap();
    let mut versions: Vec<(String, String)> = out
        .versions()
        .iter()
        .map(|v| {
            (
                v.key().unwrap_or_default().to_owned(),
                v.version_id().unwrap_or_default().to_owned(),
            )
        })
        .chain(out.delete_markers().iter().map(|m| {
            (
                m.key().unwrap_or_default().to_owned(),
                m.version_id().unwrap_or_default().to_owned(),
            )
        }))
        .collect();
    versions.sort();
    versions
}

//! The local stream runner behaves like Lambda's stream mapping: it resumes from its saved checkpoints after a
//! restart, retries a failing batch from the lowest failed record, and after the retries reports the skipped range
//! to the on-failure destination and moves on.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use creatoros_model::entities::Metric;
use creatoros_runners::stream::StreamRunner;
use creatoros_tests::LocalStack;
use serde_json::json;

async fn stream_arn(stack: &LocalStack, table: &str) -> String {
    let t = stack
        .dynamodb()
        .describe_table()
        .table_name(table)
        .send()
        .await
        .unwrap();
    t.table().unwrap().latest_stream_arn().unwrap().to_owned()
}

/// App-written metrics: each one is a trigger record on the stream.
async fn write_metrics(stack: &LocalStack, table: &str, n: usize) {
    let repo = creatoros_store::TableRepo::new(stack.dynamodb(), table, Default::default());
    for i in 0..n {
        let m: Metric = serde_json::from_value(
            json!({"workspaceId": "ws1", "postId": format!("p{i}"), "platform": "x",
            "date": "2026-07-01", "month": "2026-07", "likes": i}),
        )
        .unwrap();
        repo.put(&m).await.unwrap();
    }
}

fn ok(_: Event) -> std::future::Ready<DynamoDbEventResponse> {
    std::future::ready(DynamoDbEventResponse::default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_runner_resumes_from_its_checkpoint() {
    let stack = LocalStack::connect().await;
    let table = stack.fresh_table("stream-resume").await;
    let arn = stream_arn(&stack, &table).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checkpoints.json");
    write_metrics(&stack, &table, 5).await;

    let mut first = StreamRunner::new(
        aws_sdk_dynamodbstreams::Client::new(&stack.sdk),
        &arn,
        Some(file.clone()),
    );
    let polled = first.poll_once(ok).await.unwrap();
    assert_eq!((polled.read, polled.delivered), (5, 5));
    assert!(file.exists());

    // A new process with the same checkpoint file sees only what came after.
    write_metrics(&stack, &table, 2).await; // p0, p1 overwritten with equal values: no stream records
    let m: Metric = serde_json::from_value(
        json!({"workspaceId": "ws1", "postId": "late", "platform": "x",
        "date": "2026-07-02", "month": "2026-07"}),
    )
    .unwrap();
    creatoros_store::TableRepo::new(stack.dynamodb(), &table, Default::default())
        .put(&m)
        .await
        .unwrap();
    let mut restarted = StreamRunner::new(
        aws_sdk_dynamodbstreams::Client::new(&stack.sdk),
        &arn,
        Some(file),
    );
    let polled = restarted.poll_once(ok).await.unwrap();
    assert_eq!(
        polled.read, 1,
        "only the record written after the checkpoint"
    );

    // Without a checkpoint, the stream is read from its start.
    let mut fresh = StreamRunner::new(aws_sdk_dynamodbstreams::Client::new(&stack.sdk), &arn, None);
    assert_eq!(fresh.poll_once(ok).await.unwrap().read, 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_that_keeps_failing_is_retried_then_reported_and_skipped() {
    let stack = LocalStack::connect().await;
    let (_, made) = stack.fresh_resources("stream-fail").await;
    let arn = made.stream_arn.clone();
    write_metrics(&stack, &made.table, 4).await;
    let dlq = made.queue_urls[creatoros_stack::resources::INSIGHTS_DLQ_ID].clone();
    let mut runner =
        StreamRunner::new(aws_sdk_dynamodbstreams::Client::new(&stack.sdk), &arn, None);
    runner.max_retries = 2;
    runner.on_failure = Some((stack.sqs(), dlq.clone()));

    // The handler always fails the third record.
    let calls = Arc::new(AtomicUsize::new(0));
    let third = Arc::new(std::sync::Mutex::new(None::<String>));
    let handler = |e: Event| {
        calls.fetch_add(1, Ordering::SeqCst);
        let mut third = third.lock().unwrap();
        if third.is_none() {
            *third = e
                .records
                .get(2)
                .and_then(|r| r.change.sequence_number.clone());
        }
        let mut response = DynamoDbEventResponse::default();
        if let Some(seq) = third.clone() {
            if e.records
                .iter()
                .any(|r| r.change.sequence_number.as_deref() == Some(&seq))
            {
                let mut f = DynamoDbBatchItemFailure::default();
                f.item_identifier = Some(seq);
                response.batch_item_failures.push(f);
            }
        }
        std::future::ready(response)
    };
    let polled = runner.poll_once(handler).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3, "first try and two retries");
    assert_eq!(polled.dropped, 2, "the failing record and the one after it");
    // The notice names the skipped range; the next poll moves on.
    let notice = stack
        .sqs()
        .receive_message()
        .queue_url(&dlq)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value =
        serde_json::from_str(notice.messages()[0].body().unwrap()).unwrap();
    assert_eq!(
        body["DDBStreamBatchInfo"]["startSequenceNumber"],
        third.lock().unwrap().clone().unwrap().as_str()
    );
    assert_eq!(body["DDBStreamBatchInfo"]["batchSize"], 2);
    assert_eq!(runner.poll_once(ok).await.unwrap().read, 0);
}

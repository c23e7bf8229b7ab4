//! The table repository against DynamoDB Local: conditional and versioned writes, paginated queries, and batch
//! writes that survive `UnprocessedItems` and throttling (provoked by an interceptor) without losing an item.

use aws_sdk_dynamodb::config::retry::RetryConfig;
use creatoros_model::contract::schema::METRIC;
use creatoros_model::contract::AttributeValue;
use creatoros_model::contract::{Casing, IndexName, KeyCodec};
use creatoros_model::entities::{Import, ImportStatus, Metric, Task, TaskStatus};
use creatoros_store::retry::RetryPolicy;
use creatoros_store::{Created, RepoError, TableRepo};
use creatoros_tests::faults::BatchFaults;
use creatoros_tests::LocalStack;
use serde_json::json;
use std::time::Duration;

fn metric(ws: &str, post: &str, day: u32, impressions: u64) -> Metric {
    serde_json::from_value(json!({
        "workspaceId": ws, "postId": post, "platform": "x",
        "date": format!("2025-03-{day:02}"), "month": "2025-03", "impressions": impressions
    }))
    .unwrap()
}

fn import(ws: &str, id: &str) -> Import {
    serde_json::from_value(json!({
        "workspaceId": ws, "importId": id, "month": "2025-03", "status": "processing",
        "bucket": "b", "key": format!("imports/{ws}/a.csv"), "sourceTime": "2025-03-01T00:00:00Z", "version": 1
    }))
    .unwrap()
}

fn fast_policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        initial_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        max_attempts,
        max_elapsed: Duration::from_secs(20),
        ..RetryPolicy::default()
    }
}

async fn count_metrics(repo: &TableRepo, ws: &str) -> usize {
    let q = repo
        .codec()
        .query(
            &METRIC,
            IndexName::Gsi1,
            &[("workspaceId", ws), ("month", "2025-03")],
        )
        .unwrap();
    repo.query::<Metric>(&q).await.unwrap().len()
}

#[tokio::test]
async fn create_is_idempotent_and_never_overwrites() {
    let stack = LocalStack::connect().await;
    let table = stack.fresh_table("create").await;
    let repo = TableRepo::new(stack.dynamodb(), &table, KeyCodec::default());
    let first: Task = serde_json::from_value(json!({
        "workspaceId": "ws1", "taskId": "t1", "month": "2025-03", "status": "open", "title": "first"
    }))
    .unwrap();
    let mut second = first.clone();
    second.title = Some("second".into());
    second.status = TaskStatus::Done;

    assert_eq!(repo.create(&first).await.unwrap(), Created::Inserted);
    assert_eq!(repo.create(&second).await.unwrap(), Created::AlreadyExists);
    let stored: Task = repo
        .get(&[("workspaceId", "ws1"), ("taskId", "t1")])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, first);
}

#[tokio::test]
async fn versioned_replace_refuses_a_stale_writer() {
    let stack = LocalStack::connect().await;
    let table = stack.fresh_table("versioned").await;
    let repo = TableRepo::new(stack.dynamodb(), &table, KeyCodec::default());
    let original = import("ws1", "imp1");
    repo.create(&original).await.unwrap();

    let mut a = original.clone();
    let mut b = original.clone();
    a.status = ImportStatus::Completed;
    repo.replace_versioned(&mut a).await.unwrap();
    assert_eq!(a.version, 2);

    b.status = ImportStatus::Failed;
    let err = repo.replace_versioned(&mut b).await.unwrap_err();
    assert!(
        matches!(err, RepoError::VersionConflict { expected: 1, .. }),
        "{err}"
    );
    assert!(
        err.is_retryable(),
        "a conflict is retried after reading again"
    );
    assert_eq!(
        b.version, 1,
        "a failed write leaves the caller's version alone"
    );

    let stored: Import = repo
        .get(&[("workspaceId", "ws1"), ("importId", "imp1")])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, ImportStatus::Completed);
    assert_eq!(stored.version, 2);
}

#[tokio::test]
async fn queries_follow_pages_to_the_end_and_skip_other_entities() {
    let stack = LocalStack::connect().await;
    let table = stack.fresh_table("pages").await;
    let repo =
        TableRepo::new(stack.dynamodb(), &table, KeyCodec::default()).with_query_page_size(7);
    let metrics: Vec<Metric> = (1..=28).map(|d| metric("ws1", "p1", d, d as u64)).collect();
    repo.batch_put(&metrics)
        .await
        .unwrap()
        .into_result()
        .unwrap();
    // An import in the same gsi1 partition (workspace + month) must not come back as a metric.
    repo.create(&import("ws1", "imp1")).await.unwrap();

    let q = repo
        .codec()
        .query(
            &METRIC,
            IndexName::Gsi1,
            &[("workspaceId", "ws1"), ("month", "2025-03")],
        )
        .unwrap();
    let got: Vec<Metric> = repo.query(&q).await.unwrap();
    assert_eq!(got, metrics, "28 metrics over 4+ pages, in date order");
}

#[tokio::test]
async fn batch_write_lands_every_item_through_unprocessed_items_and_throttling() {
    let stack = LocalStack::connect().await;
    let table = stack.fresh_table("batch-faults").await;
    let faults = BatchFaults::new(2, 5, 12);
    let client = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&stack.sdk)
            .interceptor(faults.clone())
            // Let the repository's own retry see the throttles (the SDK's would hide them).
            .retry_config(RetryConfig::disabled())
            .build(),
    );
    let repo = TableRepo::new(client, &table, KeyCodec::default())
        .with_retry_policy(fast_policy(10))
        .with_concurrency(4);
    let metrics: Vec<Metric> = (1..=28)
        .flat_map(|d| (0..4).map(move |p| metric("ws1", &format!("p{p}"), d, 7)))
        .collect();
    assert_eq!(metrics.len(), 112, "more than four batches of 25");

    let outcome = repo.batch_put(&metrics).await.unwrap();
    assert!(outcome.is_complete(), "{:?}", outcome.error);
    assert_eq!(outcome.written, 112);
    assert_eq!(faults.throttled(), 2, "two calls were throttled");
    assert!(
        faults.withheld() >= 12,
        "each of 12 calls withheld some: {}",
        faults.withheld()
    );
    assert_eq!(
        outcome.calls as usize,
        faults.calls(),
        "every call went through the repository's loop"
    );
    assert!(
        outcome.calls > 5 + 2,
        "5 chunks + 2 throttled + retries of the withheld: {}",
        outcome.calls
    );

    let plain = TableRepo::new(stack.dynamodb(), &table, KeyCodec::default());
    assert_eq!(count_metrics(&plain, "ws1").await, 112);
}

#[tokio::test]
async fn batch_write_past_the_cap_returns_what_it_could_not_write() {
    let stack = LocalStack::connect().await;
    let table = stack.fresh_table("batch-cap").await;
    // Every call withholds 3 requests, forever: the cap must stop the retries.
    let faults = BatchFaults::new(0, 3, usize::MAX);
    let client = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&stack.sdk)
            .interceptor(faults.clone())
            .build(),
    );
    let repo =
        TableRepo::new(client, &table, KeyCodec::default()).with_retry_policy(fast_policy(3));
    let metrics: Vec<Metric> = (1..=20).map(|d| metric("ws1", "p1", d, 1)).collect();

    let outcome = repo.batch_put(&metrics).await.unwrap();
    assert!(!outcome.is_complete());
    assert_eq!(
        outcome.written + outcome.unwritten.len(),
        20,
        "nothing dropped"
    );
    assert_eq!(outcome.calls, 3, "stopped at the attempt cap");
    let plain = TableRepo::new(stack.dynamodb(), &table, KeyCodec::default());
    assert_eq!(count_metrics(&plain, "ws1").await, outcome.written);
    let err = outcome.into_result().unwrap_err();
    assert!(
        matches!(err, RepoError::Unprocessed { .. }) && err.is_retryable(),
        "{err}"
    );
}

#[tokio::test]
async fn writes_under_lower_casing_collide_case_variants_but_the_contract_keeps_them_apart() {
    let stack = LocalStack::connect().await;
    let table = stack.fresh_table("casing").await;
    for (casing, expected) in [(Casing::None, 2), (Casing::Lower, 1)] {
        let repo = TableRepo::new(stack.dynamodb(), &table, KeyCodec::new(casing));
        let ws = if casing == Casing::None {
            "Acme"
        } else {
            "Beta"
        };
        for w in [ws.to_owned(), ws.to_lowercase()] {
            repo.put(&metric(&w, "p1", 1, 1)).await.unwrap();
        }
        let q = repo
            .codec()
            .query(
                &METRIC,
                IndexName::Primary,
                &[("workspaceId", &ws.to_lowercase())],
            )
            .unwrap();
        let upper = repo
            .codec()
            .query(&METRIC, IndexName::Primary, &[("workspaceId", ws)])
            .unwrap();
        let n = repo.query_items(&q).await.unwrap().len()
            + if q == upper {
                0
            } else {
                repo.query_items(&upper).await.unwrap().len()
            };
        assert_eq!(n, expected, "{casing:?}");
    }
}

/// A conditional write whose first attempt was applied but whose answer was lost (a 500 or a dropped connection
/// after the server wrote) is retried by the SDK, and the retry fails its own condition. The repository must
/// report the write as done; a genuinely conflicting writer must still be refused.
#[tokio::test]
async fn a_conditional_write_whose_answer_was_lost_is_a_success() {
    use creatoros_model::entities::Lock;
    use creatoros_store::Condition;
    use creatoros_tests::proxy::{Fault, FaultMix, FaultProxy};

    let stack = LocalStack::connect().await;
    let table = stack.fresh_table("lost-answer").await;
    let upstream = std::env::var("CREATOROS_DYNAMODB_URL").expect("CREATOROS_DYNAMODB_URL");
    let proxy = FaultProxy::start(&upstream, FaultMix::none(), 1).await;
    let repo = TableRepo::new(proxy.dynamodb(&stack.sdk), &table, KeyCodec::default());
    let direct = TableRepo::new(stack.dynamodb(), &table, KeyCodec::default());

    // Create: applied, answered 500, retried → "already exists" from its own first attempt.
    proxy.script(&[Fault::ErrorAfter]);
    let original = import("ws1", "imp1");
    assert_eq!(repo.create(&original).await.unwrap(), Created::Inserted);

    // Versioned replace: applied, connection dropped, retried → version conflict with itself.
    let mut next = original.clone();
    next.status = ImportStatus::Completed;
    proxy.script(&[Fault::DropAfter]);
    repo.replace_versioned(&mut next).await.unwrap();
    assert_eq!(next.version, 2);
    let stored: Import = direct
        .get(&[("workspaceId", "ws1"), ("importId", "imp1")])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, next);

    // A stale writer is still refused, lost answers or not.
    let mut stale = original.clone();
    stale.status = ImportStatus::Failed;
    proxy.script(&[Fault::ErrorAfter]);
    assert!(matches!(
        repo.replace_versioned(&mut stale).await.unwrap_err(),
        RepoError::VersionConflict { expected: 1, .. }
    ));

    // Conditional delete: applied, answered 500, retried → condition fails on an absent item → deleted.
    let lock: Lock = serde_json::from_value(json!({
        "workspaceId": "ws1", "name": "ingest", "owner": "me", "expiresAt": "2099-01-01T00:00:00.000Z"
    }))
    .unwrap();
    direct.create(&lock).await.unwrap();
    let mine = || Condition {
        expression: "#o = :me".into(),
        names: vec![("#o".into(), "owner".into())],
        values: vec![(":me".into(), AttributeValue::S("me".into()))],
    };
    proxy.script(&[Fault::ErrorAfter]);
    assert!(repo
        .delete_if::<Lock>(&[("workspaceId", "ws1"), ("name", "ingest")], mine())
        .await
        .unwrap());
    // Someone else's lock is not deleted and says so.
    let mut theirs = lock.clone();
    theirs.owner = "them".into();
    direct.create(&theirs).await.unwrap();
    assert!(!repo
        .delete_if::<Lock>(&[("workspaceId", "ws1"), ("name", "ingest")], mine())
        .await
        .unwrap());
    assert_eq!(
        proxy.stats().tally().injected(Fault::ErrorAfter)
            + proxy.stats().tally().injected(Fault::DropAfter),
        4
    );
}

//! The insights worker on the local stack, fed by the table's stream through the local stream runner: uploads
//! become insights and tasks the app reads through ElectroDB, one derivation per touched month (and per month
//! whose window reads it), nothing written when nothing changed, users' tasks left alone, and a poison record
//! reported alone.

use std::time::{Duration, Instant};

use aws_lambda_events::event::dynamodb::Event;
use creatoros_insights_worker::context::Counters;
use creatoros_insights_worker::handler;
use creatoros_model::contract::Casing;
use creatoros_model::entities::{Derivation, Insight, Task, TaskStatus};
use creatoros_stack::electrodb::ElectroDb;
use creatoros_tests::pipeline::PipelineHarness;
use serde_json::json;

/// An ordinary post's engagement rate: about 3%, spread as a steady account's are (σ of log rate about 0.2).
fn ordinary_rate(i: usize) -> f64 {
    0.03 * (0.2 * (i as f64 * 1.7).sin()).exp()
}

/// A canonical export of July 2026 as of 31 July: on X, twenty ordinary posts and one star, "Launch day" (an
/// outlier); on LinkedIn, three posts (so the workspace works on LinkedIn, where the star could be repurposed).
fn planted(star_likes: u64) -> Vec<u8> {
    let mut csv = String::from("post_id,platform,date,published_at,title,impressions,likes\n");
    for i in 0..20 {
        csv.push_str(&format!(
            "x-post-{i},x,2026-07-31,2026-07-{:02},Notes {i},10000,{}\n",
            i % 28 + 1,
            (ordinary_rate(i) * 10_000.0) as u64
        ));
    }
    csv.push_str(&format!(
        "star,x,2026-07-31,2026-07-20,Launch day,10000,{star_likes}\n"
    ));
    for i in 0..3 {
        csv.push_str(&format!(
            "li-post-{i},linkedin,2026-07-31,2026-07-{:02},Field notes {i},10000,{}\n",
            10 + i,
            300 + i * 10
        ));
    }
    csv.into_bytes()
}

async fn insights(p: &PipelineHarness, ws: &str, month: &str) -> Vec<Insight> {
    p.of_month(ws, month).await
}

async fn tasks(p: &PipelineHarness, ws: &str, month: &str) -> Vec<Task> {
    p.of_month(ws, month).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_becomes_insights_and_tasks_the_app_reads() {
    let mut p = PipelineHarness::new("insights-e2e").await;
    p.h.upload("imports/DEMO#judge/july.csv", planted(1200))
        .await;
    let totals = p.run_all().await;
    assert!(totals.stream_delivered >= 1, "{totals:?}");

    let found = insights(&p, "DEMO#judge", "2026-07").await;
    let kinds: Vec<&str> = found.iter().map(|i| i.kind.as_str()).collect();
    assert!(kinds.contains(&"outlier_post"), "{kinds:?}");
    assert!(
        !kinds.contains(&"top_platform"),
        "platforms are never ranked against each other"
    );
    let star = found.iter().find(|i| i.kind == "outlier_post").unwrap();
    assert!(
        star.title.as_deref().unwrap().contains("\"Launch day\""),
        "named by its title: {star:?}"
    );
    let open = tasks(&p, "DEMO#judge", "2026-07").await;
    let repurpose = open
        .iter()
        .find(|t| t.task_id.as_str() == "outlier_post_repurpose-x-star-2026-07")
        .unwrap_or_else(|| panic!("{open:?}"));
    assert_eq!(
        repurpose.title.as_deref(),
        Some("Repurpose \"Launch day\" for LinkedIn")
    );

    // The app's view: ElectroDB through the shipped model reads the same items.
    let electrodb = ElectroDb::new(&p.h.made.table, Casing::None);
    let answers = electrodb
        .run(vec![
            json!({"op": "query", "entity": "insight", "accessPattern": "byMonth", "composites": {"workspaceId": "DEMO#judge", "month": "2026-07"}}),
            json!({"op": "query", "entity": "task", "accessPattern": "byStatus", "composites": {"workspaceId": "DEMO#judge", "status": "open", "month": "2026-07"}}),
        ])
        .await
        .unwrap();
    let read_insights = answers[0].as_ref().unwrap().as_array().unwrap().len();
    let read_tasks = answers[1].as_ref().unwrap().as_array().unwrap().len();
    assert_eq!(read_insights, found.len());
    assert_eq!(read_tasks, open.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_derivation_per_touched_month_and_none_for_the_workers_own_writes() {
    let mut p = PipelineHarness::new("insights-count").await;
    // 2,000 rows over June and July: one derivation for each month, not one per row.
    let mut csv = String::from("post_id,platform,date,impressions,likes\n");
    for i in 0..2000 {
        let month = if i % 2 == 0 { "06" } else { "07" };
        csv.push_str(&format!(
            "p{i},x,2026-{month}-{:02},{},{}\n",
            i % 28 + 1,
            1000 + i,
            i % 50
        ));
    }
    p.h.upload("imports/ws1/big.csv", csv.into_bytes()).await;
    p.run_all().await;
    // June and July, and the months that read them: May (it looks in June for its posts' first metrics), and
    // August and September (their windows read July): May to September, once each.
    assert_eq!(p.derivations(), 5, "one per touched or reading month");
    // Run again: the insight, task and derivation writes are on the stream too, and trigger nothing.
    p.run_all().await;
    assert_eq!(p.derivations(), 5);

    // Re-deriving unchanged data writes nothing at all.
    let writes = Counters::get(&p.insights().counters.item_writes);
    let before = p.h.dump("ws1").await;
    for _ in 0..2 {
        p.h.stack
            .sqs()
            .send_message()
            .queue_url(&p.h.made.queue_urls["InsightsQueue"])
            .message_body(
                json!({"type": "rederive", "workspaceId": "ws1", "month": "2026-07"}).to_string(),
            )
            .send()
            .await
            .unwrap();
    }
    let totals = p.run_all().await;
    assert!(
        p.derivations() >= 6,
        "the rederive ran: {totals:?}, {} derivations",
        p.derivations()
    );
    assert_eq!(
        Counters::get(&p.insights().counters.item_writes),
        writes,
        "no item written"
    );
    assert_eq!(
        p.h.dump("ws1").await,
        before,
        "the table is exactly as it was"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_the_user_marked_done_survives_rederivation_and_replay() {
    let mut p = PipelineHarness::new("insights-done").await;
    p.h.upload("imports/ws1/july.csv", planted(1200)).await;
    p.run_all().await;
    let id = "outlier_post_repurpose-x-star-2026-07";
    let task = tasks(&p, "ws1", "2026-07")
        .await
        .into_iter()
        .find(|t| t.task_id.as_str() == id)
        .expect("task derived");
    assert_eq!(task.status, TaskStatus::Open);

    // The user ticks it off in the app (ElectroDB patch, updatedAt set by the app).
    let electrodb = ElectroDb::new(&p.h.made.table, Casing::None);
    let done = electrodb
        .run(vec![
            json!({"op": "patch", "entity": "task", "key": {"workspaceId": "ws1", "taskId": id},
            "set": {"status": "done", "updatedAt": "2099-01-01T00:00:00.000Z"}}),
        ])
        .await
        .unwrap();
    assert_eq!(done[0].as_ref().unwrap()["status"], "done");

    // New data that changes the derivation (the star shines brighter), a rederive, and a replay of the upload.
    p.h.upload("imports/ws1/july-later.csv", planted(2000))
        .await;
    p.run_all().await;
    p.h.send(
        &json!({"type": "reingest", "bucket": p.h.made.bucket, "key": "imports/ws1/july.csv"})
            .to_string(),
    )
    .await;
    p.h.stack
        .sqs()
        .send_message()
        .queue_url(&p.h.made.queue_urls["InsightsQueue"])
        .message_body(
            json!({"type": "rederive", "workspaceId": "ws1", "month": "2026-07"}).to_string(),
        )
        .send()
        .await
        .unwrap();
    p.run_all().await;

    let after = tasks(&p, "ws1", "2026-07")
        .await
        .into_iter()
        .find(|t| t.task_id.as_str() == id)
        .unwrap();
    assert_eq!(after.status, TaskStatus::Done, "never reopened");
    assert_eq!(
        after.updated_at.as_deref(),
        Some("2099-01-01T00:00:00.000Z"),
        "never overwritten"
    );
    let outlier = insights(&p, "ws1", "2026-07")
        .await
        .into_iter()
        .find(|i| i.kind == "outlier_post")
        .unwrap();
    assert!(
        outlier.body.unwrap().contains("20.0%"),
        "the insight itself did follow the new data"
    );
    let record: Derivation =
        p.h.ctx
            .repo
            .get(&[("workspaceId", "ws1"), ("month", "2026-07")])
            .await
            .unwrap()
            .unwrap();
    assert!(record.runs >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_stream_record_is_reported_alone_and_the_rest_is_processed() {
    let p = PipelineHarness::new("insights-poison").await;
    p.h.upload("imports/ws1/july.csv", planted(1200)).await;
    p.h.run().await; // ingest only: the metrics exist, nothing derived yet
    let metric = |seq: &str, ws: &str| {
        json!({"eventID": seq, "eventName": "MODIFY", "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
            "dynamodb": {"SequenceNumber": seq, "SizeBytes": 10, "Keys": {"pk": {"S": "x"}, "sk": {"S": "y"}},
                "NewImage": {"__edb_e__": {"S": "metric"}, "__edb_v__": {"S": "1"}, "workspaceId": {"S": ws}, "month": {"S": "2026-07"}}}})
    };
    let mut no_month = metric("300", "ws2");
    no_month["dynamodb"]["NewImage"]
        .as_object_mut()
        .unwrap()
        .remove("month");
    let event: Event = serde_json::from_value(json!({"Records": [
        metric("100", "ws1"),
        metric("200", "bad#workspace"),
        no_month,
        metric("400", "ws1"),
    ]}))
    .unwrap();
    let started = Instant::now();
    let metrics = creatoros_runtime::metrics::Metrics::new("insights");
    let response = handler::handle_stream(
        p.insights(),
        event,
        Instant::now() + Duration::from_secs(120),
        &metrics,
    )
    .await;
    let failed: Vec<String> = response
        .batch_item_failures
        .into_iter()
        .filter_map(|f| f.item_identifier)
        .collect();
    assert_eq!(failed, ["200", "300"], "only the unreadable records");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(
        p.derivations(),
        4,
        "ws1's two records coalesced into one derivation of July (and one of each month that reads July)"
    );
    assert!(
        !insights(&p, "ws1", "2026-07").await.is_empty(),
        "and it ran"
    );
    assert_eq!(metrics.get(creatoros_runtime::metrics::DERIVATIONS), 4.0);
    assert!(metrics.get(creatoros_runtime::metrics::INSIGHTS_WRITTEN) >= 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_month_is_derived_later_through_the_insights_queue() {
    use creatoros_model::entities::Lock;
    let mut p = PipelineHarness::new("insights-busy").await;
    // Another derivation of July holds the month's lock.
    let lock = Lock::new(
        "ws1".parse().unwrap(),
        "derive-2026-07",
        "someone-else",
        time::macros::datetime!(2999-01-01 0:00 UTC),
        Some("insights".into()),
    );
    p.h.ctx.repo.put(&lock).await.unwrap();
    p.h.upload("imports/ws1/july.csv", planted(1200)).await;
    for _ in 0..6 {
        p.pipeline.poll_once().await.unwrap();
    }
    assert!(
        insights(&p, "ws1", "2026-07").await.is_empty(),
        "nothing derived while the month is busy"
    );
    let waiting = p.pipeline.insights_queue.backlog().await.unwrap();
    assert!(waiting >= 1, "the derivation waits on the insights queue");

    // The other derivation finishes: the queued rederive goes through.
    p.h.ctx
        .repo
        .delete::<Lock>(&[("workspaceId", "ws1"), ("name", "derive-2026-07")])
        .await
        .unwrap();
    p.run_all().await;
    assert!(!insights(&p, "ws1", "2026-07").await.is_empty());
}

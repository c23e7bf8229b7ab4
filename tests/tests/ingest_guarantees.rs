//! The ingest worker's guarantees on the local stack: duplicates write nothing twice, the newest upload wins in
//! any order, no file reaches another workspace, a file split over many invocations equals a one-shot run, rows
//! link to planned posts, and concurrent imports of one workspace take turns.

use std::io::Write;
use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use creatoros_ingest::handler;
use creatoros_model::entities::{ImportStatus, Variant};
use creatoros_tests::ingest::IngestHarness;
use serde_json::json;

const HEADER: &str = "post_id,platform,date,impressions,likes,comments\n";

fn canonical(rows: usize, likes: u64) -> Vec<u8> {
    let mut text = HEADER.to_owned();
    for i in 0..rows {
        text.push_str(&format!(
            "p{i},x,2026-10-{:02},{},{likes},{}\n",
            i % 28 + 1,
            100 + i,
            i % 7
        ));
    }
    text.into_bytes()
}

/// A notification body as real S3 would send it for `key`.
fn notification(bucket: &str, key: &str, etag: &str) -> String {
    json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        "eventTime": "2026-10-10T09:00:00.000Z", "userIdentity": {"principalId": "X"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "s3": {"bucket": {"name": bucket}, "object": {"key": key.replace(' ', "+"), "eTag": etag, "size": 1}}}]})
    .to_string()
}

async fn etag(h: &IngestHarness, key: &str) -> String {
    let out = h
        .stack
        .s3()
        .head_object()
        .bucket(&h.made.bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    out.e_tag().unwrap().trim_matches('"').to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_notification_writes_nothing_twice() {
    let h = IngestHarness::new("duplicates").await;
    h.upload("imports/ws1/a.csv", canonical(30, 5)).await;
    h.run().await;
    let once = h.dump("ws1").await;
    let etag = etag(&h, "imports/ws1/a.csv").await;
    for _ in 0..3 {
        h.send(&notification(&h.made.bucket, "imports/ws1/a.csv", &etag))
            .await;
    }
    h.run().await;
    assert_eq!(
        h.dump("ws1").await,
        once,
        "three more deliveries change nothing"
    );
    let imports = h.imports("ws1").await;
    assert_eq!(imports.len(), 1);
    assert_eq!(
        imports[0].invocations, 1,
        "the duplicates found the import done"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_upload_double_event_is_one_import() {
    let h = IngestHarness::new("multipart").await;
    let s3 = h.stack.s3();
    let key = "imports/ws1/big.csv";
    let upload = s3
        .create_multipart_upload()
        .bucket(&h.made.bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    let part = s3
        .upload_part()
        .bucket(&h.made.bucket)
        .key(key)
        .upload_id(upload.upload_id().unwrap())
        .part_number(1)
        .body(canonical(50, 9).into())
        .send()
        .await
        .unwrap();
    s3.complete_multipart_upload()
        .bucket(&h.made.bucket)
        .key(key)
        .upload_id(upload.upload_id().unwrap())
        .multipart_upload(
            aws_sdk_s3::types::CompletedMultipartUpload::builder()
                .parts(
                    aws_sdk_s3::types::CompletedPart::builder()
                        .part_number(1)
                        .set_e_tag(part.e_tag)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    h.run().await;
    let imports = h.imports("ws1").await;
    assert_eq!(
        imports.len(),
        1,
        "moto's two create events are one object version"
    );
    assert_eq!(imports[0].status, ImportStatus::Completed);
    assert_eq!(imports[0].invocations, 1);
    assert_eq!(h.metrics("ws1").await.len(), 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newer_upload_wins_whatever_order_files_are_processed_in() {
    let h = IngestHarness::new("order").await;
    h.upload("imports/ws1/old.csv", canonical(10, 1)).await;
    // S3 times have one-second resolution: make the second upload clearly newer.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    h.upload("imports/ws1/new.csv", canonical(10, 2)).await;
    let old = notification(
        &h.made.bucket,
        "imports/ws1/old.csv",
        &etag(&h, "imports/ws1/old.csv").await,
    );
    let new = notification(
        &h.made.bucket,
        "imports/ws1/new.csv",
        &etag(&h, "imports/ws1/new.csv").await,
    );
    // Drop the notifications S3 queued, and process newer first, older second.
    h.stack
        .sqs()
        .purge_queue()
        .queue_url(&h.made.queue_urls["IngestQueue"])
        .send()
        .await
        .unwrap();
    for body in [new, old] {
        let mut message = SqsMessage::default();
        message.message_id = Some("m".into());
        message.body = Some(body);
        let mut event = SqsEvent::default();
        event.records.push(message);
        let response = handler::handle(
            &h.ctx,
            event,
            Instant::now() + Duration::from_secs(60),
            &creatoros_runtime::metrics::Metrics::new("ingest"),
        )
        .await;
        assert!(response.batch_item_failures.is_empty());
    }
    let metrics = h.metrics("ws1").await;
    assert_eq!(metrics.len(), 10);
    assert!(
        metrics.iter().all(|m| m.likes == Some(2)),
        "the newer file's values stay"
    );
    // And the older file, re-ingested on purpose later still, does not roll anything back.
    h.send(
        &json!({"type": "reingest", "bucket": h.made.bucket, "key": "imports/ws1/old.csv"})
            .to_string(),
    )
    .await;
    h.run().await;
    assert!(h.metrics("ws1").await.iter().all(|m| m.likes == Some(2)));
    let imports = h.imports("ws1").await;
    assert_eq!(imports.len(), 2);
    assert!(imports.iter().all(|i| i.status == ImportStatus::Completed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_in_a_file_writes_to_another_workspace() {
    let h = IngestHarness::new("isolation").await;
    let body = "workspace_id,workspaceId,post_id,platform,date,likes\nB,B,p1,x,2026-10-06,1\n";
    h.upload("imports/A/a.csv", body.as_bytes().to_vec()).await;
    for key in [
        "imports/../B/x.csv",
        "imports/A%2F..%2FB/x.csv",
        "imports/A/../B/y.csv",
        "imports/B",
    ] {
        h.upload(key, canonical(3, 1)).await;
    }
    h.run().await;
    assert!(h.dump("B").await.is_empty(), "nothing reached B");
    // No key can name a workspace `..`: the one codec refuses the id, so no item can be stored under it.
    assert!(creatoros_model::ids::WorkspaceId::parse("..").is_err());
    // `imports/A/../B/y.csv` is a file named `../B/y.csv` in A's folder (S3 keys have no directories), so it
    // lands in A with the file that names B inside: 1 + 3 metrics, two imports, both A's.
    assert_eq!(h.metrics("A").await.len(), 4);
    let imports = h.imports("A").await;
    assert_eq!(
        imports.len(),
        2,
        "{:?}",
        imports.iter().map(|i| &i.key).collect::<Vec<_>>()
    );
}

async fn continuation_equals_one_shot(name: &str, key: &str, bytes: Vec<u8>) {
    let mut h = IngestHarness::new(name).await;
    let ws = "ws1";
    h.upload(key, bytes).await;
    h.run().await;
    let once = h.dump(ws).await;
    assert_eq!(h.imports(ws).await[0].invocations, 1);

    // Same object, table wiped, ingested again with seven rows a chunk and no time at all: every invocation
    // reads one chunk, checkpoints and hands over to a continuation message.
    h.clear(ws).await;
    h.ctx.settings.chunk_rows = 7;
    h.runner.budget = Duration::ZERO;
    h.send(&json!({"type": "reingest", "bucket": h.made.bucket, "key": key}).to_string())
        .await;
    h.run().await;
    let imports = h.imports(ws).await;
    assert_eq!(imports.len(), 1);
    assert!(
        imports[0].invocations > 3,
        "{} invocations",
        imports[0].invocations
    );
    let split = h.dump(ws).await;
    assert_eq!(split.len(), once.len(), "{name}: same number of items");
    for (a, b) in split.iter().zip(&once) {
        assert_eq!(a, b, "{name}: same item as one run");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_ingested_in_many_invocations_equals_a_one_shot_run() {
    // Rows with errors too, so the rejects file is assembled from parts.
    let mut bytes = canonical(40, 3);
    bytes.extend(b"bad,x,2026-13-01,1,1,1\np41,tiktok,2026-10-01,1,1,1\n");
    bytes.extend(&canonical(20, 4)[HEADER.len()..]);
    continuation_equals_one_shot("plain", "imports/ws1/a.csv", bytes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compressed_bom_file_continues_by_re_reading() {
    let mut text = b"\xef\xbb\xbf".to_vec();
    text.extend(canonical(45, 6));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&text).unwrap();
    continuation_equals_one_shot("gzip", "imports/ws1/a.csv.gz", gz.finish().unwrap()).await;
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/fixtures/exports/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workbook_ingested_in_many_invocations_equals_a_one_shot_run() {
    // Two parts (the Page's daily metrics, then its posts), read again from the start and skipped to the
    // checkpoint's part and row in each continuation.
    continuation_equals_one_shot(
        "xls",
        "imports/ws1/pro-efficient-data-entry_content_1742193384396.xls",
        fixture("pro-efficient-data-entry_content_1742193384396.xls"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_youtube_zip_ingested_in_many_invocations_equals_a_one_shot_run() {
    // Three parts, and Table data dated by the daily parts read before it in every continuation.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (entry, name) in [
        ("Table data.csv", "youtube-pt Dados da tabela.csv"),
        ("Chart data.csv", "youtube-pt Dados do gráfico.csv"),
        ("Totals.csv", "youtube-pt Total.csv"),
    ] {
        zip.start_file(entry, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&fixture(name)).unwrap();
    }
    let bytes = zip.finish().unwrap().into_inner();
    continuation_equals_one_shot("zip", "imports/ws1/studio.zip", bytes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_link_to_the_planned_post_that_records_where_it_went_live() {
    let h = IngestHarness::new("linking").await;
    let variant: Variant = serde_json::from_value(json!({
        "workspaceId": "ws1", "postId": "post-launch", "platform": "x", "month": "2026-07",
        "publishedUrl": "https://x.com/acme_dev/status/2077066290949097130"
    }))
    .unwrap();
    h.ctx.repo.put(&variant).await.unwrap();
    let export = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/exports/account_analytics_content_2026-07-08_2026-07-15.csv"),
    )
    .unwrap();
    h.upload("imports/ws1/x.csv", export).await;
    h.run().await;
    let metrics = h.metrics("ws1").await;
    let planned: Vec<_> = metrics
        .iter()
        .filter(|m| m.post_id.as_str() == "post-launch")
        .collect();
    assert_eq!(planned.len(), 1);
    assert_eq!(planned[0].impressions, Some(18422));
    assert!(metrics
        .iter()
        .filter(|m| m.post_id.as_str() != "post-launch")
        .all(|m| m.post_id.as_str().starts_with("x-")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_of_one_workspace_take_turns_and_all_finish() {
    let h = IngestHarness::new("turns").await;
    for i in 0..4 {
        h.upload(&format!("imports/ws1/f{i}.csv"), canonical(25, i))
            .await;
    }
    // Two workers at once on the same queue.
    let a = h.run();
    let b = h.run();
    tokio::join!(a, b);
    let imports = h.imports("ws1").await;
    assert_eq!(imports.len(), 4);
    assert!(
        imports.iter().all(|i| i.status == ImportStatus::Completed),
        "{imports:?}"
    );
    assert!(
        h.dump("ws1").await.iter().all(|i| i["__edb_e__"] != "lock"),
        "locks released"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejects_file_neutralises_formulas_and_locates_errors() {
    let h = IngestHarness::new("rejects").await;
    let body = "post_id,platform,date,likes,title\np1,x,2026-10-06,=1+1,ok\np2,x,2026-10-06,4,fine\n@p3,x,2026-10-06,4,x\n";
    h.upload("imports/ws1/f.csv", body.as_bytes().to_vec())
        .await;
    h.run().await;
    let import = &h.imports("ws1").await[0];
    assert_eq!(import.status, ImportStatus::Partial);
    let key = import.rejects_key.clone().unwrap();
    assert_eq!(key, format!("rejects/ws1/{}.csv", import.import_id));
    assert_eq!(
        h.object_text(&key).await,
        "line,error,post_id,platform,date,likes,title\n\
         2,\"likes: \"\"=1+1\"\" is not a number\",p1,x,2026-10-06,'=1+1,ok\n\
         4,\"post_id: invalid id \"\"@p3\"\": must be 1-128 characters of A-Z a-z 0-9 _ -\",'@p3,x,2026-10-06,4,x\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_message_that_can_succeed_later_comes_back() {
    use creatoros_tests::faults::BatchFaults;

    let h = IngestHarness::new("poison").await;
    h.upload("imports/ws-good/a.csv", canonical(10, 1)).await;
    h.upload("imports/ws-bad/b.csv", canonical(10, 1)).await;
    h.stack
        .sqs()
        .purge_queue()
        .queue_url(&h.made.queue_urls["IngestQueue"])
        .send()
        .await
        .unwrap();
    let bodies = [
        (
            "good",
            notification(
                &h.made.bucket,
                "imports/ws-good/a.csv",
                &etag(&h, "imports/ws-good/a.csv").await,
            ),
        ),
        ("garbage", "{not json".to_owned()),
        (
            "test-event",
            r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}"#.to_owned(),
        ),
        (
            "gone",
            notification(&h.made.bucket, "imports/ws-good/never-uploaded.csv", "0000"),
        ),
        (
            "outside",
            notification(&h.made.bucket, "elsewhere/x.csv", "0000"),
        ),
        (
            "throttled",
            notification(
                &h.made.bucket,
                "imports/ws-bad/b.csv",
                &etag(&h, "imports/ws-bad/b.csv").await,
            ),
        ),
    ];
    let mut event = SqsEvent::default();
    for (id, body) in &bodies {
        let mut m = SqsMessage::default();
        m.message_id = Some((*id).to_owned());
        m.body = Some(body.clone());
        event.records.push(m);
    }
    // DynamoDB throttles every batch write of ws-bad's items, past the SDK's and the repository's retries.
    let mut faults = BatchFaults::new(usize::MAX, 0, 0);
    faults.only_pk_containing = Some("ws-bad".into());
    let ctx = h.ctx_with_faults(&faults);
    let metrics = creatoros_runtime::metrics::Metrics::new("ingest");
    let response = handler::handle(
        &ctx,
        event,
        Instant::now() + Duration::from_secs(60),
        &metrics,
    )
    .await;
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(
        failed,
        ["garbage", "throttled"],
        "the throttled message comes back, and the unreadable one, on its way to the dead-letter queue"
    );
    assert_eq!(metrics.get(creatoros_runtime::metrics::RETRIES), 2.0);
    assert_eq!(
        metrics.get(creatoros_runtime::metrics::IMPORTS),
        1.0,
        "ws-good's import"
    );
    assert_eq!(metrics.get(creatoros_runtime::metrics::ROWS_INGESTED), 10.0);
    assert!(faults.throttled() >= 3);
    assert_eq!(h.metrics("ws-good").await.len(), 10);
    assert_eq!(
        h.imports("ws-bad").await[0].status,
        ImportStatus::Processing,
        "kept for the retry"
    );

    // The retry, once DynamoDB is healthy again: the failed attempt handed its lease back, so it goes ahead.
    h.send(&bodies[5].1).await;
    h.run().await;
    assert_eq!(h.imports("ws-bad").await[0].status, ImportStatus::Completed);
    assert_eq!(h.metrics("ws-bad").await.len(), 10);
}

/// The writer reads a chunk's stored versions while the previous chunk's writes are still landing. A key written
/// by one chunk and again by a later one must end with the later row, even when what was stored before the run
/// already equals that later row (a re-ingest of the same object): judged against the stale read, the later row
/// would look unchanged and be skipped, leaving the earlier chunk's values.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_repeated_in_a_later_chunk_ends_with_the_later_row() {
    let mut h = IngestHarness::new("repeated-key").await;
    h.ctx.settings.chunk_rows = 2;
    let mut text = HEADER.to_owned();
    for round in 0..20 {
        // Each pair of chunks writes p0..p1 with `round` likes, then again with `round + 100`.
        for likes in [round, round + 100] {
            text.push_str(&format!("p{round}a,x,2026-10-01,10,{likes},0\n"));
            text.push_str(&format!("p{round}b,x,2026-10-02,10,{likes},0\n"));
        }
    }
    let key = "imports/ws1/repeats.csv";
    h.upload(key, text.into_bytes()).await;
    h.run().await;
    let expected: Vec<(String, Option<i64>)> = (0..20i64)
        .flat_map(|r| {
            [
                (format!("p{r}a"), Some(r + 100)),
                (format!("p{r}b"), Some(r + 100)),
            ]
        })
        .collect();
    let likes = |metrics: Vec<creatoros_model::entities::Metric>| {
        let mut got: Vec<(String, Option<i64>)> = metrics
            .into_iter()
            .map(|m| (m.post_id.to_string(), m.likes))
            .collect();
        got.sort();
        got
    };
    let mut sorted = expected.clone();
    sorted.sort();
    assert_eq!(likes(h.metrics("ws1").await), sorted, "first run");
    // Again, over stored items that already hold every later row.
    h.send(&format!(
        r#"{{"type":"reingest","bucket":"{}","key":"{key}"}}"#,
        h.made.bucket
    ))
    .await;
    h.run().await;
    assert_eq!(likes(h.metrics("ws1").await), sorted, "re-ingest");
    let imports = h.imports("ws1").await;
    assert!(imports.iter().all(|i| i.status == ImportStatus::Completed));
}

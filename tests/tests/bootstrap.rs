//! The local bootstrap against DynamoDB Local and moto: it makes what the definition says (the table's time to
//! live and the bucket's lifecycle rules included), running it twice changes nothing, it corrects a drifted
//! lifecycle, and an upload under `imports/` (only there) reaches the ingest queue.

use aws_sdk_dynamodb::types::{StreamViewType, TimeToLiveStatus};
use aws_sdk_s3::types::ExpirationStatus;
use aws_sdk_sqs::types::QueueAttributeName;
use creatoros_model::contract::schema::TTL_ATTRIBUTE;
use creatoros_stack::bootstrap;
use creatoros_stack::resources::{self, Resources};
use creatoros_tests::{unique, LocalStack};

/// Receives until the queue stays empty for one long poll; returns the bodies.
async fn drain(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return bodies;
        }
        for m in messages {
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle.unwrap())
                .send()
                .await
                .unwrap();
            bodies.push(m.body.unwrap_or_default());
        }
    }
}

#[tokio::test]
async fn bootstrap_makes_the_definition_and_is_idempotent() {
    let stack = LocalStack::connect().await;
    let resources = Resources::named(&unique("bootstrap"));
    let (ddb, s3, sqs) = (stack.dynamodb(), stack.s3(), stack.sqs());
    let first = bootstrap::bootstrap(&resources, &ddb, &s3, &sqs)
        .await
        .unwrap();
    let ingest_url = &first.queue_urls[resources::INGEST_QUEUE_ID];
    let test_events = drain(&sqs, ingest_url).await;
    assert!(
        test_events.iter().all(|b| b.contains("s3:TestEvent")),
        "{test_events:?}"
    );

    let second = bootstrap::bootstrap(&resources, &ddb, &s3, &sqs)
        .await
        .unwrap();
    assert_eq!(first, second);
    assert!(
        drain(&sqs, ingest_url).await.is_empty(),
        "an unchanged notification is not put again"
    );

    let table = ddb
        .describe_table()
        .table_name(&resources.table.name)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(
        table
            .stream_specification()
            .and_then(|s| s.stream_view_type()),
        Some(&StreamViewType::NewAndOldImages)
    );
    let gsis: Vec<&str> = table
        .global_secondary_indexes()
        .iter()
        .filter_map(|g| g.index_name())
        .collect();
    assert_eq!(gsis.len(), 2);
    assert!(gsis.contains(&"gsi1") && gsis.contains(&"gsi2"), "{gsis:?}");

    for q in &resources.queues {
        let attrs = sqs
            .get_queue_attributes()
            .queue_url(&first.queue_urls[q.logical_id])
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap();
        assert_eq!(
            attrs[&QueueAttributeName::VisibilityTimeout],
            q.visibility_timeout_secs.to_string(),
            "{}",
            q.logical_id
        );
        match q.dead_letter {
            Some((dlq, max)) => {
                let policy: serde_json::Value =
                    serde_json::from_str(&attrs[&QueueAttributeName::RedrivePolicy]).unwrap();
                assert_eq!(
                    policy["deadLetterTargetArn"],
                    first.queue_arns[dlq].as_str()
                );
                assert_eq!(policy["maxReceiveCount"].to_string(), max.to_string());
            }
            None => assert!(!attrs.contains_key(&QueueAttributeName::RedrivePolicy)),
        }
    }
}

/// The bucket's lifecycle rules as (id, prefix, expiration days, noncurrent days, abort-upload days), sorted.
type Rule = (String, String, Option<i32>, Option<i32>, Option<i32>);

async fn lifecycle_of(s3: &aws_sdk_s3::Client, bucket: &str) -> Vec<Rule> {
    let out = s3
        .get_bucket_lifecycle_configuration()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    let mut rules: Vec<Rule> = out
        .rules()
        .iter()
        .map(|r| {
            assert_eq!(r.status(), &ExpirationStatus::Enabled, "{r:?}");
            (
                r.id().unwrap_or_default().to_owned(),
                r.filter()
                    .and_then(|f| f.prefix())
                    .unwrap_or_default()
                    .to_owned(),
                r.expiration().and_then(|e| e.days()),
                r.noncurrent_version_expiration()
                    .and_then(|n| n.noncurrent_days()),
                r.abort_incomplete_multipart_upload()
                    .and_then(|a| a.days_after_initiation()),
            )
        })
        .collect();
    rules.sort();
    rules
}

fn wanted_lifecycle(resources: &Resources) -> Vec<Rule> {
    let days = |d: Option<u32>| d.map(|d| i32::try_from(d).unwrap());
    let mut rules: Vec<Rule> = resources
        .bucket
        .lifecycle
        .iter()
        .map(|r| {
            (
                r.id.to_owned(),
                r.prefix.unwrap_or_default().to_owned(),
                days(r.expiration_days),
                days(r.noncurrent_days),
                days(r.abort_incomplete_upload_days),
            )
        })
        .collect();
    rules.sort();
    rules
}

#[tokio::test]
async fn bootstrap_enables_the_tables_time_to_live() {
    let stack = LocalStack::connect().await;
    let resources = Resources::named(&unique("ttl"));
    assert_eq!(resources.table.ttl_attribute, TTL_ATTRIBUTE);
    let (ddb, s3, sqs) = (stack.dynamodb(), stack.s3(), stack.sqs());
    for _ in 0..2 {
        bootstrap::bootstrap(&resources, &ddb, &s3, &sqs)
            .await
            .unwrap();
        let ttl = ddb
            .describe_time_to_live()
            .table_name(&resources.table.name)
            .send()
            .await
            .unwrap()
            .time_to_live_description
            .expect("a time-to-live description");
        assert_eq!(ttl.attribute_name(), Some(TTL_ATTRIBUTE));
        assert!(
            matches!(
                ttl.time_to_live_status(),
                Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
            ),
            "{ttl:?}"
        );
    }
}

#[tokio::test]
async fn bootstrap_applies_the_buckets_lifecycle_rules_and_corrects_drift() {
    let stack = LocalStack::connect().await;
    let resources = Resources::named(&unique("lifecycle"));
    let (ddb, s3, sqs) = (stack.dynamodb(), stack.s3(), stack.sqs());
    bootstrap::bootstrap(&resources, &ddb, &s3, &sqs)
        .await
        .unwrap();
    let rules = lifecycle_of(&s3, &resources.bucket.name).await;
    assert_eq!(rules, wanted_lifecycle(&resources));
    // The defaults: rejects expire after 30 days, uploads are kept.
    assert!(
        rules
            .iter()
            .any(|r| r.1 == resources::REJECTS_PREFIX && r.2 == Some(30)),
        "{rules:?}"
    );
    assert!(
        !rules.iter().any(|r| r.1 == resources::IMPORTS_PREFIX),
        "{rules:?}"
    );

    // Another retention (uploads expire too) replaces the rules on the next run.
    let mut changed = resources.clone();
    changed.bucket.lifecycle = resources::Retention {
        rejects_days: 7,
        imports_days: 400,
    }
    .lifecycle_rules();
    bootstrap::bootstrap(&changed, &ddb, &s3, &sqs)
        .await
        .unwrap();
    let rules = lifecycle_of(&s3, &resources.bucket.name).await;
    assert_eq!(rules, wanted_lifecycle(&changed));
    assert!(
        rules
            .iter()
            .any(|r| r.1 == resources::IMPORTS_PREFIX && r.2 == Some(400)),
        "{rules:?}"
    );

    // And back.
    bootstrap::bootstrap(&resources, &ddb, &s3, &sqs)
        .await
        .unwrap();
    assert_eq!(
        lifecycle_of(&s3, &resources.bucket.name).await,
        wanted_lifecycle(&resources)
    );
}

#[tokio::test]
async fn only_uploads_under_imports_reach_the_ingest_queue() {
    let stack = LocalStack::connect().await;
    let (_, made) = stack.fresh_resources("notify").await;
    let (s3, sqs) = (stack.s3(), stack.sqs());
    let url = &made.queue_urls[resources::INGEST_QUEUE_ID];
    drain(&sqs, url).await;

    for key in [
        "rejects/ws1/x.csv",
        "imports/ws1/posts+march.csv",
        "other.csv",
    ] {
        s3.put_object()
            .bucket(&made.bucket)
            .key(key)
            .body(b"post_id,platform\n".to_vec().into())
            .send()
            .await
            .unwrap();
    }
    let bodies = drain(&sqs, url).await;
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    let event: serde_json::Value = serde_json::from_str(&bodies[0]).unwrap();
    let record = &event["Records"][0];
    assert_eq!(record["eventSource"], "aws:s3");
    assert!(record["eventName"]
        .as_str()
        .unwrap()
        .starts_with("ObjectCreated:"));
    assert_eq!(record["s3"]["bucket"]["name"], made.bucket.as_str());
    // S3 URL-encodes keys in notifications (a space would be '+'); this key has a literal '+' → %2B.
    let key = record["s3"]["object"]["key"].as_str().unwrap();
    assert!(key.starts_with("imports"), "{key}");
}

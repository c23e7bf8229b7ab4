//! The local bootstrap against DynamoDB Local and moto: it makes what the definition says, running it twice
//! changes nothing, and an upload under `imports/` (only there) reaches the ingest queue.

use aws_sdk_dynamodb::types::StreamViewType;
use aws_sdk_sqs::types::QueueAttributeName;
use creatoros_infra::bootstrap;
use creatoros_infra::resources::{self, Resources};
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

//! Creates the pipeline's resources from [`Resources`] on whatever endpoints the SDK is pointed at (DynamoDB
//! Local and moto locally). Idempotent: what exists is checked and left alone, what drifted is corrected.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType, TableStatus,
    TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, Event, ExpirationStatus,
    FilterRule, FilterRuleName, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter,
    NoncurrentVersionExpiration, NotificationConfiguration, NotificationConfigurationFilter,
    QueueConfiguration, S3KeyFilter,
};
use aws_sdk_sqs::types::QueueAttributeName;
use tracing::{debug, info};

use crate::resources::{LifecycleRuleSpec, QueueSpec, Resources, TableSpec};

/// A bootstrap step failed; the message names the resource and the AWS error.
#[derive(Debug, thiserror::Error)]
#[error("bootstrap of {resource} failed: {message}")]
pub struct BootstrapError {
    /// The resource being created.
    pub resource: String,
    /// What went wrong, with the SDK's error chain.
    pub message: String,
}

fn fail(resource: &str, err: impl std::error::Error + 'static) -> BootstrapError {
    BootstrapError {
        resource: resource.to_owned(),
        message: creatoros_runtime::errors::chain(&err),
    }
}

/// What the bootstrap made, as the environment the workers and tests read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provisioned {
    /// Table name.
    pub table: String,
    /// Table stream ARN.
    pub stream_arn: String,
    /// Bucket name.
    pub bucket: String,
    /// Queue URLs by logical id.
    pub queue_urls: HashMap<String, String>,
    /// Queue ARNs by logical id.
    pub queue_arns: HashMap<String, String>,
}

impl Provisioned {
    /// `export NAME=value` lines using the variable names of [`creatoros_runtime::config`].
    pub fn env_lines(&self) -> String {
        self.env_pairs()
            .iter()
            .map(|(k, v)| format!("export {k}='{v}'\n"))
            .collect()
    }

    /// The environment the workers and the CLI read, as (name, value) pairs.
    pub fn env_pairs(&self) -> Vec<(&'static str, String)> {
        use crate::resources::*;
        use creatoros_runtime::config::*;
        let url = |id: &str| self.queue_urls.get(id).cloned().unwrap_or_default();
        [
            (ENV_TABLE, self.table.clone()),
            ("CREATOROS_TABLE_STREAM_ARN", self.stream_arn.clone()),
            (ENV_BUCKET, self.bucket.clone()),
            (ENV_INGEST_QUEUE_URL, url(INGEST_QUEUE_ID)),
            (ENV_INGEST_DLQ_URL, url(INGEST_DLQ_ID)),
            (ENV_INSIGHTS_QUEUE_URL, url(INSIGHTS_QUEUE_ID)),
            (ENV_INSIGHTS_DLQ_URL, url(INSIGHTS_DLQ_ID)),
        ]
        .into_iter()
        .collect()
    }
}

/// Creates or checks every resource, in dependency order.
pub async fn bootstrap(
    resources: &Resources,
    dynamodb: &aws_sdk_dynamodb::Client,
    s3: &aws_sdk_s3::Client,
    sqs: &aws_sdk_sqs::Client,
) -> Result<Provisioned, BootstrapError> {
    let stream_arn = ensure_table(dynamodb, &resources.table).await?;
    ensure_ttl(dynamodb, &resources.table).await?;
    let mut queue_urls = HashMap::new();
    let mut queue_arns = HashMap::new();
    for queue in &resources.queues {
        let (url, arn) = ensure_queue(sqs, queue, &queue_arns).await?;
        queue_urls.insert(queue.logical_id.to_owned(), url);
        queue_arns.insert(queue.logical_id.to_owned(), arn);
    }
    ensure_bucket(s3, resources, &queue_arns).await?;
    ensure_lifecycle(s3, resources).await?;
    Ok(Provisioned {
        table: resources.table.name.clone(),
        stream_arn,
        bucket: resources.bucket.name.clone(),
        queue_urls,
        queue_arns,
    })
}

/// The table with its GSIs and stream; returns the stream ARN.
pub async fn ensure_table(
    client: &aws_sdk_dynamodb::Client,
    spec: &TableSpec,
) -> Result<String, BootstrapError> {
    let resource = format!("table {}", spec.name);
    let existing = client.describe_table().table_name(&spec.name).send().await;
    match existing {
        Ok(_) => info!(table = %spec.name, "table exists"),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            create_table(client, spec)
                .await
                .map_err(|e| fail(&resource, e))?;
            info!(table = %spec.name, "table created");
        }
        Err(e) => return Err(fail(&resource, e)),
    }
    // Wait for ACTIVE and make sure the stream is on (a table made by hand may lack it).
    for _ in 0..100 {
        let table = client
            .describe_table()
            .table_name(&spec.name)
            .send()
            .await
            .map_err(|e| fail(&resource, e))?
            .table
            .ok_or_else(|| BootstrapError {
                resource: resource.clone(),
                message: "DescribeTable returned no table".into(),
            })?;
        if table.table_status() != Some(&TableStatus::Active) {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        let stream_on = table
            .stream_specification()
            .is_some_and(|s| s.stream_enabled());
        if !stream_on {
            client
                .update_table()
                .table_name(&spec.name)
                .stream_specification(stream_spec(spec))
                .send()
                .await
                .map_err(|e| fail(&resource, e))?;
            continue;
        }
        return table
            .latest_stream_arn()
            .map(str::to_owned)
            .ok_or_else(|| BootstrapError {
                resource,
                message: "stream enabled but no stream ARN".into(),
            });
    }
    Err(BootstrapError {
        resource,
        message: "table did not become ACTIVE in 10 s".into(),
    })
}

/// Time to live on the spec's attribute, as the template's `TimeToLiveSpecification` declares it. A table whose
/// TTL is on another attribute has it turned off first (DynamoDB allows one TTL attribute).
pub async fn ensure_ttl(
    client: &aws_sdk_dynamodb::Client,
    spec: &TableSpec,
) -> Result<(), BootstrapError> {
    let resource = format!("time to live of table {}", spec.name);
    let current = client
        .describe_time_to_live()
        .table_name(&spec.name)
        .send()
        .await
        .map_err(|e| fail(&resource, e))?
        .time_to_live_description;
    let status = current.as_ref().and_then(|d| d.time_to_live_status());
    let attribute = current.as_ref().and_then(|d| d.attribute_name());
    let on = matches!(
        status,
        Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
    );
    if on && attribute == Some(spec.ttl_attribute) {
        debug!(table = %spec.name, attribute = spec.ttl_attribute, "time to live already on");
        return Ok(());
    }
    let set = |attribute: &str, enabled: bool| {
        client
            .update_time_to_live()
            .table_name(&spec.name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(attribute)
                    .enabled(enabled)
                    .build()
                    .expect("attribute and flag are set"),
            )
            .send()
    };
    if let (true, Some(other)) = (on, attribute) {
        set(other, false).await.map_err(|e| fail(&resource, e))?;
    }
    set(spec.ttl_attribute, true)
        .await
        .map_err(|e| fail(&resource, e))?;
    info!(table = %spec.name, attribute = spec.ttl_attribute, "time to live enabled");
    Ok(())
}

fn stream_spec(spec: &TableSpec) -> StreamSpecification {
    StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::from(spec.stream_view))
        .build()
        .expect("stream_enabled is set")
}

async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    spec: &TableSpec,
) -> Result<(), aws_sdk_dynamodb::Error> {
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .expect("name and type are set")
    };
    let mut attributes = vec![spec.hash_key, spec.range_key];
    for ix in &spec.indexes {
        attributes.extend([ix.hash_key, ix.range_key]);
    }
    let mut request = client
        .create_table()
        .table_name(&spec.name)
        .billing_mode(BillingMode::from(spec.billing_mode))
        .key_schema(key(spec.hash_key, KeyType::Hash))
        .key_schema(key(spec.range_key, KeyType::Range))
        .stream_specification(stream_spec(spec));
    for name in attributes {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("name and type are set"),
        );
    }
    for ix in &spec.indexes {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(ix.name)
                .key_schema(key(ix.hash_key, KeyType::Hash))
                .key_schema(key(ix.range_key, KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .expect("name and keys are set"),
        );
    }
    request.send().await?;
    Ok(())
}

/// A queue with its attributes; returns (url, arn).
async fn ensure_queue(
    client: &aws_sdk_sqs::Client,
    spec: &QueueSpec,
    known_arns: &HashMap<String, String>,
) -> Result<(String, String), BootstrapError> {
    let resource = format!("queue {}", spec.name);
    let mut attributes = HashMap::from([
        (
            QueueAttributeName::VisibilityTimeout,
            spec.visibility_timeout_secs.to_string(),
        ),
        (
            QueueAttributeName::MessageRetentionPeriod,
            spec.retention_secs.to_string(),
        ),
    ]);
    if let Some((dlq, max_receive)) = spec.dead_letter {
        let arn = known_arns.get(dlq).ok_or_else(|| BootstrapError {
            resource: resource.clone(),
            message: format!("dead-letter queue {dlq} must be created first"),
        })?;
        attributes.insert(
            QueueAttributeName::RedrivePolicy,
            serde_json::json!({"deadLetterTargetArn": arn, "maxReceiveCount": max_receive})
                .to_string(),
        );
    }
    let url = match client.get_queue_url().queue_name(&spec.name).send().await {
        Ok(out) => {
            let url = out.queue_url.unwrap_or_default();
            // Existing queue: bring its attributes in line (CreateQueue would refuse differing ones).
            client
                .set_queue_attributes()
                .queue_url(&url)
                .set_attributes(Some(attributes))
                .send()
                .await
                .map_err(|e| fail(&resource, e))?;
            url
        }
        Err(_) => client
            .create_queue()
            .queue_name(&spec.name)
            .set_attributes(Some(attributes))
            .send()
            .await
            .map_err(|e| fail(&resource, e))?
            .queue_url
            .unwrap_or_default(),
    };
    let arn = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| fail(&resource, e))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| BootstrapError {
            resource: resource.clone(),
            message: "queue has no ARN".into(),
        })?;
    info!(queue = %spec.name, %url, "queue ready");
    Ok((url, arn))
}

/// The bucket and its upload notification.
async fn ensure_bucket(
    client: &aws_sdk_s3::Client,
    resources: &Resources,
    queue_arns: &HashMap<String, String>,
) -> Result<(), BootstrapError> {
    let spec = &resources.bucket;
    let resource = format!("bucket {}", spec.name);
    if client
        .head_bucket()
        .bucket(&spec.name)
        .send()
        .await
        .is_err()
    {
        match client.create_bucket().bucket(&spec.name).send().await {
            Ok(_) => info!(bucket = %spec.name, "bucket created"),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_bucket_already_owned_by_you()) => {}
            Err(e) => return Err(fail(&resource, e)),
        }
    }
    let queue_arn = queue_arns
        .get(spec.notification.queue)
        .ok_or_else(|| BootstrapError {
            resource: resource.clone(),
            message: format!("queue {} must be created first", spec.notification.queue),
        })?;
    let wanted = NotificationConfiguration::builder()
        .queue_configurations(
            QueueConfiguration::builder()
                .id("ingest-uploads")
                .queue_arn(queue_arn)
                .set_events(Some(
                    spec.notification
                        .events
                        .iter()
                        .map(|e| Event::from(*e))
                        .collect(),
                ))
                .filter(
                    NotificationConfigurationFilter::builder()
                        .key(
                            S3KeyFilter::builder()
                                .filter_rules(
                                    FilterRule::builder()
                                        .name(FilterRuleName::Prefix)
                                        .value(spec.notification.prefix)
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build()
                .expect("queue ARN and events are set"),
        )
        .build();
    // Each put makes S3 send an s3:TestEvent to the queue; skip it when nothing would change. moto answers
    // this read with a root element the SDK cannot parse, so an unreadable answer just means "put it".
    let same = match client
        .get_bucket_notification_configuration()
        .bucket(&spec.name)
        .send()
        .await
    {
        Ok(current) => {
            let configs = current.queue_configurations();
            configs.len() == 1
                && configs[0].queue_arn() == queue_arn
                && configs[0].events() == wanted.queue_configurations()[0].events()
                && configs[0].filter() == wanted.queue_configurations()[0].filter()
        }
        Err(e) => {
            debug!(bucket = %spec.name, error = %e, "notification configuration unreadable; putting it");
            false
        }
    };
    if !same {
        client
            .put_bucket_notification_configuration()
            .bucket(&spec.name)
            .notification_configuration(wanted)
            .send()
            .await
            .map_err(|e| fail(&resource, e))?;
        info!(bucket = %spec.name, "notification configured");
    }
    Ok(())
}

/// A lifecycle rule as S3 takes it. A whole-bucket rule gets an empty prefix filter (S3 wants a filter or a
/// prefix on every rule; the empty prefix matches every key).
fn lifecycle_rule(spec: &LifecycleRuleSpec) -> LifecycleRule {
    let days = |d: u32| i32::try_from(d).unwrap_or(i32::MAX);
    LifecycleRule::builder()
        .id(spec.id)
        .status(ExpirationStatus::Enabled)
        .filter(
            LifecycleRuleFilter::builder()
                .prefix(spec.prefix.unwrap_or_default())
                .build(),
        )
        .set_expiration(
            spec.expiration_days
                .map(|d| LifecycleExpiration::builder().days(days(d)).build()),
        )
        .set_noncurrent_version_expiration(spec.noncurrent_days.map(|d| {
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(days(d))
                .build()
        }))
        .set_abort_incomplete_multipart_upload(spec.abort_incomplete_upload_days.map(|d| {
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(days(d))
                .build()
        }))
        .build()
        .expect("status is set")
}

/// Whether a rule read back from S3 is the spec's: same id, enabled, same prefix and days, nothing else.
fn rule_matches(current: &LifecycleRule, wanted: &LifecycleRuleSpec) -> bool {
    let days = |d: Option<u32>| d.and_then(|d| i32::try_from(d).ok());
    current.id() == Some(wanted.id)
        && current.status() == &ExpirationStatus::Enabled
        && current.transitions().is_empty()
        && current.noncurrent_version_transitions().is_empty()
        && current
            .filter()
            .and_then(|f| f.prefix())
            .unwrap_or_default()
            == wanted.prefix.unwrap_or_default()
        && current.expiration().and_then(|e| e.days()) == days(wanted.expiration_days)
        && current
            .noncurrent_version_expiration()
            .and_then(|n| n.noncurrent_days())
            == days(wanted.noncurrent_days)
        && current
            .abort_incomplete_multipart_upload()
            .and_then(|a| a.days_after_initiation())
            == days(wanted.abort_incomplete_upload_days)
}

/// Whether the bucket's rules are exactly the spec's, order aside.
fn lifecycle_matches(current: &[LifecycleRule], wanted: &[LifecycleRuleSpec]) -> bool {
    current.len() == wanted.len()
        && wanted
            .iter()
            .all(|w| current.iter().any(|c| rule_matches(c, w)))
}

/// The bucket's lifecycle rules, as the template's `LifecycleConfiguration` declares them: put when what the
/// bucket has differs (or cannot be read), left alone otherwise.
async fn ensure_lifecycle(
    client: &aws_sdk_s3::Client,
    resources: &Resources,
) -> Result<(), BootstrapError> {
    let spec = &resources.bucket;
    let resource = format!("lifecycle of bucket {}", spec.name);
    let same = match client
        .get_bucket_lifecycle_configuration()
        .bucket(&spec.name)
        .send()
        .await
    {
        Ok(current) => lifecycle_matches(current.rules(), &spec.lifecycle),
        Err(e) => {
            // NoSuchLifecycleConfiguration on a new bucket.
            debug!(bucket = %spec.name, error = %e, "no readable lifecycle configuration; putting it");
            false
        }
    };
    if same {
        return Ok(());
    }
    let configuration = BucketLifecycleConfiguration::builder()
        .set_rules(Some(spec.lifecycle.iter().map(lifecycle_rule).collect()))
        .build()
        .expect("rules are set");
    client
        .put_bucket_lifecycle_configuration()
        .bucket(&spec.name)
        .lifecycle_configuration(configuration)
        .send()
        .await
        .map_err(|e| fail(&resource, e))?;
    info!(bucket = %spec.name, rules = spec.lifecycle.len(), "lifecycle configured");
    Ok(())
}

//! The table repository: typed reads and writes over `aws-sdk-dynamodb`, in the contract's layout.
//!
//! Every write goes through [`KeyCodec`], so no caller assembles a key. Single-item writes are conditional where
//! it matters (create-if-absent, optimistic lock); bulk writes go through [`batch`], which handles
//! `UnprocessedItems` and throttling with backoff and bounded concurrency.

pub mod batch;
mod error;
pub mod item;
pub mod retry;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;
use tracing::{debug, instrument};

pub use batch::{BatchOutcome, BatchWriter};
pub use creatoros_model::contract::Versioned;
pub use error::RepoError;

use creatoros_model::contract::{is_entity, AttributeValue, Entity, Item, KeyCodec, KeyCondition};

use crate::item::{from_sdk, to_sdk, SdkItem};
use crate::retry::RetryPolicy;

/// What [`TableRepo::create`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// The item was written.
    Inserted,
    /// An item with that key already existed; nothing was written.
    AlreadyExists,
}

/// A condition on a write, in DynamoDB expression syntax.
#[derive(Debug, Clone, Default)]
pub struct Condition {
    /// `ConditionExpression`.
    pub expression: String,
    /// `ExpressionAttributeNames`.
    pub names: Vec<(String, String)>,
    /// `ExpressionAttributeValues`.
    pub values: Vec<(String, AttributeValue)>,
}

impl Condition {
    /// The request's `ConditionExpression`, `ExpressionAttributeNames` and `ExpressionAttributeValues` (maps left
    /// out when empty, which DynamoDB refuses).
    fn into_request(
        self,
    ) -> (
        String,
        Option<std::collections::HashMap<String, String>>,
        Option<SdkItem>,
    ) {
        let names = (!self.names.is_empty()).then(|| self.names.into_iter().collect());
        let values = (!self.values.is_empty()).then(|| {
            self.values
                .into_iter()
                .map(|(k, v)| (k, v.into()))
                .collect()
        });
        (self.expression, names, values)
    }

    /// The item does not exist yet (ElectroDB's `create`).
    pub fn absent() -> Self {
        Condition {
            expression: "attribute_not_exists(#pk) AND attribute_not_exists(#sk)".to_owned(),
            names: vec![
                ("#pk".to_owned(), "pk".to_owned()),
                ("#sk".to_owned(), "sk".to_owned()),
            ],
            values: Vec::new(),
        }
    }
}

/// Reads and writes contract items in one table.
#[derive(Debug, Clone)]
pub struct TableRepo {
    client: Client,
    table: String,
    codec: KeyCodec,
    policy: RetryPolicy,
    concurrency: usize,
    page_size: Option<i32>,
}

impl TableRepo {
    /// Default number of `BatchWriteItem` calls in flight (the local ceiling was measured at 16).
    pub const DEFAULT_CONCURRENCY: usize = 8;

    /// A repository over `table` writing keys with `codec`.
    pub fn new(client: Client, table: impl Into<String>, codec: KeyCodec) -> Self {
        Self {
            client,
            table: table.into(),
            codec,
            policy: RetryPolicy::default(),
            concurrency: Self::DEFAULT_CONCURRENCY,
            page_size: None,
        }
    }

    /// Replaces the retry policy of batch writes.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets how many batch requests may be in flight at once (at least 1).
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Caps the items per `Query` page (DynamoDB's own cap is 1 MB a page); pagination is followed either way.
    pub fn with_query_page_size(mut self, items: i32) -> Self {
        self.page_size = Some(items.max(1));
        self
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The key codec.
    pub fn codec(&self) -> &KeyCodec {
        &self.codec
    }

    /// The SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Writes `entity` only if no item has its key (idempotent insert).
    #[instrument(skip_all, fields(table = %self.table, entity = E::SCHEMA.name))]
    pub async fn create<E: Entity>(&self, entity: &E) -> Result<Created, RepoError> {
        let item = self.codec.encode(entity)?;
        match self.put_item_if(item, Some(Condition::absent())).await {
            Ok(()) => Ok(Created::Inserted),
            Err(e) if e.is_condition_failed() => Ok(Created::AlreadyExists),
            Err(e) => Err(e),
        }
    }

    /// Writes `entity`, replacing any item with its key.
    #[instrument(skip_all, fields(table = %self.table, entity = E::SCHEMA.name))]
    pub async fn put<E: Entity>(&self, entity: &E) -> Result<(), RepoError> {
        let item = self.codec.encode(entity)?;
        self.put_item_if(item, None).await
    }

    /// Writes `entity` if `condition` holds; [`RepoError::ConditionFailed`] otherwise.
    #[instrument(skip_all, fields(table = %self.table, entity = E::SCHEMA.name))]
    pub async fn put_if<E: Entity>(
        &self,
        entity: &E,
        condition: Condition,
    ) -> Result<(), RepoError> {
        let item = self.codec.encode(entity)?;
        self.put_item_if(item, Some(condition)).await
    }

    /// Replaces `entity` only if the stored item is still at `entity.version()`, and bumps the version.
    /// A concurrent writer makes this fail with [`RepoError::VersionConflict`] and leaves `entity` unchanged.
    #[instrument(skip_all, fields(table = %self.table, entity = E::SCHEMA.name))]
    pub async fn replace_versioned<E: Versioned>(&self, entity: &mut E) -> Result<(), RepoError> {
        let expected = entity.version();
        entity.set_version(expected + 1);
        let item = match self.codec.encode(entity) {
            Ok(item) => item,
            Err(e) => {
                entity.set_version(expected);
                return Err(e.into());
            }
        };
        let condition = Condition {
            expression: "#version = :expected".to_owned(),
            names: vec![("#version".to_owned(), "version".to_owned())],
            values: vec![(
                ":expected".to_owned(),
                AttributeValue::N(expected.to_string()),
            )],
        };
        match self.put_item_if(item, Some(condition)).await {
            Ok(()) => Ok(()),
            Err(e) => {
                entity.set_version(expected);
                Err(match e {
                    RepoError::ConditionFailed { table, key, .. } => RepoError::VersionConflict {
                        table,
                        key,
                        expected,
                    },
                    other => other,
                })
            }
        }
    }

    /// `PutItem` of a complete item, optionally conditional.
    ///
    /// A conditional put can fail its condition because of itself: the SDK retries a request whose first attempt
    /// was applied but whose answer was lost (a 500 or a dropped connection after the write). When the condition
    /// fails and the stored item is exactly the one this call writes, the earlier attempt landed and this is a
    /// success. Every conditional write of the pipeline carries a fresh version, owner or timestamp, so an equal
    /// stored item cannot be someone else's.
    pub async fn put_item_if(
        &self,
        item: Item,
        condition: Option<Condition>,
    ) -> Result<(), RepoError> {
        let key = describe_key(&item);
        let written = condition.is_some().then(|| item.clone());
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_sdk(item)));
        if let Some(c) = condition {
            let (expression, names, values) = c.into_request();
            request = request
                .condition_expression(expression)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values);
        }
        let result = request
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => {
                debug!(%key, "put");
                Ok(())
            }
            Err(e) => {
                let stored = condition_failure_item(&e);
                let err = RepoError::from_sdk("PutItem", &self.table, || key.clone(), e);
                match (&err, written) {
                    (RepoError::ConditionFailed { .. }, Some(written)) => {
                        let stored = match stored {
                            Some(stored) => Some(stored),
                            None => {
                                let key: Item = ["pk", "sk"]
                                    .into_iter()
                                    .filter_map(|k| {
                                        written.get(k).map(|v| (k.to_owned(), v.clone()))
                                    })
                                    .collect();
                                self.get_item(key).await?
                            }
                        };
                        if stored.as_ref() == Some(&written) {
                            debug!(%key, "an earlier attempt of this put landed");
                            Ok(())
                        } else {
                            Err(err)
                        }
                    }
                    _ => Err(err),
                }
            }
        }
    }

    /// Strongly consistent read of the item under `key` (`pk`, `sk`).
    async fn get_item(&self, key: Item) -> Result<Option<Item>, RepoError> {
        let described = describe_key(&key);
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(to_sdk(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| RepoError::from_sdk("GetItem", &self.table, || described, e))?;
        Ok(out.item.map(from_sdk))
    }

    /// Strongly consistent read of one entity by its primary composites.
    #[instrument(skip_all, fields(table = %self.table, entity = E::SCHEMA.name))]
    pub async fn get<E: Entity>(
        &self,
        composites: &[(&str, &str)],
    ) -> Result<Option<E>, RepoError> {
        let key = self.codec.primary_key(E::SCHEMA, composites)?;
        match self.get_item(key).await? {
            Some(item) if is_entity(E::SCHEMA, &item) => Ok(Some(self.codec.decode(item)?)),
            _ => Ok(None),
        }
    }

    /// Deletes one entity by its primary composites; returns whether an item was there.
    #[instrument(skip_all, fields(table = %self.table, entity = E::SCHEMA.name))]
    pub async fn delete<E: Entity>(&self, composites: &[(&str, &str)]) -> Result<bool, RepoError> {
        let key = self.codec.primary_key(E::SCHEMA, composites)?;
        let described = describe_key(&key);
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(to_sdk(key)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| RepoError::from_sdk("DeleteItem", &self.table, || described, e))?;
        Ok(out.attributes.is_some())
    }

    /// Deletes one entity if `condition` holds; `Ok(false)` when it does not (nothing deleted). A failed condition
    /// on an item that is no longer there counts as deleted: that is what an SDK retry of an applied delete sees.
    #[instrument(skip_all, fields(table = %self.table, entity = E::SCHEMA.name))]
    pub async fn delete_if<E: Entity>(
        &self,
        composites: &[(&str, &str)],
        condition: Condition,
    ) -> Result<bool, RepoError> {
        let key = self.codec.primary_key(E::SCHEMA, composites)?;
        let described = describe_key(&key);
        let lookup = key.clone();
        let (expression, names, values) = condition.into_request();
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(to_sdk(key)))
            .condition_expression(expression)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) => {
                let stored = condition_failure_item(&e);
                match RepoError::from_sdk("DeleteItem", &self.table, || described, e) {
                    RepoError::ConditionFailed { .. } => match stored {
                        Some(item) if !item.is_empty() => Ok(false),
                        _ => Ok(self.get_item(lookup).await?.is_none()),
                    },
                    other => Err(other),
                }
            }
        }
    }

    /// [`TableRepo::delete_if`], retried on throttling and transient errors by the repository's retry policy.
    /// For lock releases: a release given up after the SDK's own attempts leaves everyone else waiting a lease.
    pub async fn delete_if_retrying<E: Entity>(
        &self,
        composites: &[(&str, &str)],
        condition: Condition,
    ) -> Result<bool, RepoError> {
        let mut schedule = self.policy.schedule();
        loop {
            match self.delete_if::<E>(composites, condition.clone()).await {
                Err(e) if e.is_retryable() => match schedule.next_delay() {
                    Some(delay) => tokio::time::sleep(delay).await,
                    None => return Err(e),
                },
                done => return done,
            }
        }
    }

    /// Every item matching `condition`, all pages, in index order.
    #[instrument(skip_all, fields(table = %self.table, index = condition.index.label()))]
    pub async fn query_items(&self, condition: &KeyCondition) -> Result<Vec<Item>, RepoError> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(condition.index.index_name().map(str::to_owned))
            .key_condition_expression(condition.expression())
            .set_expression_attribute_names(Some(condition.names()))
            .set_expression_attribute_values(Some(to_sdk(condition.values())))
            .set_limit(self.page_size)
            .into_paginator()
            .send();
        let mut items = Vec::new();
        while let Some(page) = pages
            .try_next()
            .await
            .map_err(|e| RepoError::from_sdk("Query", &self.table, || condition.pk.clone(), e))?
        {
            items.extend(page.items.unwrap_or_default().into_iter().map(from_sdk));
        }
        debug!(count = items.len(), "query");
        Ok(items)
    }

    /// Every entity of type `E` matching `condition`; items of other entities are skipped, as ElectroDB does.
    pub async fn query<E: Entity>(&self, condition: &KeyCondition) -> Result<Vec<E>, RepoError> {
        self.query_items(condition)
            .await?
            .into_iter()
            .filter(|item| is_entity(E::SCHEMA, item))
            .map(|item| self.codec.decode(item).map_err(RepoError::from))
            .collect()
    }

    /// A batch writer over this table, with this repository's policy and concurrency.
    pub fn batch(&self) -> BatchWriter {
        BatchWriter::new(
            self.client.clone(),
            self.table.clone(),
            self.policy.clone(),
            self.concurrency,
        )
    }

    /// Encodes and writes many entities with `BatchWriteItem`; see [`BatchWriter::put_items`].
    pub async fn batch_put<E: Entity>(&self, entities: &[E]) -> Result<BatchOutcome, RepoError> {
        let items = entities
            .iter()
            .map(|e| self.codec.encode(e))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.batch().put_items(items).await)
    }
}

/// `pk | sk` of an item, for error messages and logs.
pub(crate) fn describe_key(item: &Item) -> String {
    let part = |name: &str| match item.get(name) {
        Some(AttributeValue::S(s)) => s.as_str(),
        _ => "?",
    };
    format!("{} | {}", part("pk"), part("sk"))
}

/// Errors of conditional writes that can carry the stored item (`ReturnValuesOnConditionCheckFailure`).
trait ConditionFailure {
    fn stored_item(&self) -> Option<&SdkItem>;
}

impl ConditionFailure for PutItemError {
    fn stored_item(&self) -> Option<&SdkItem> {
        match self {
            PutItemError::ConditionalCheckFailedException(e) => e.item(),
            _ => None,
        }
    }
}

impl ConditionFailure for DeleteItemError {
    fn stored_item(&self) -> Option<&SdkItem> {
        match self {
            DeleteItemError::ConditionalCheckFailedException(e) => e.item(),
            _ => None,
        }
    }
}

/// The item a failed condition was checked against, when DynamoDB sent it back.
fn condition_failure_item<E: ConditionFailure, R>(err: &SdkError<E, R>) -> Option<Item> {
    err.as_service_error()
        .and_then(ConditionFailure::stored_item)
        .cloned()
        .map(from_sdk)
}

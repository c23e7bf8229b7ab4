//! Fault injection for DynamoDB Local, which never throttles or returns `UnprocessedItems` by itself.
//!
//! [`BatchFaults`] is an SDK interceptor on `BatchWriteItem`: it can withhold part of a request from the server
//! and report that part back as `UnprocessedItems` (as DynamoDB does under load), or withhold the whole request
//! and answer `ProvisionedThroughputExceededException`. The server only ever sees what the interceptor lets
//! through, so "all items landed" is checked against real state.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::operation::batch_write_item::{BatchWriteItemInput, BatchWriteItemOutput};
use aws_sdk_dynamodb::types::WriteRequest;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextMut, BeforeSerializationInterceptorContextMut,
    FinalizerInterceptorContextMut,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// What the interceptor did to one call (kept in the call's own config bag, so concurrent calls don't mix).
#[derive(Debug, Clone)]
enum Withheld {
    Some(String, Vec<WriteRequest>),
    All,
}

impl Storable for Withheld {
    type Storer = StoreReplace<Self>;
}

/// Injects partial failures into `BatchWriteItem` calls.
#[derive(Debug, Clone, Default)]
pub struct BatchFaults {
    /// The first this many calls are throttled outright.
    pub throttle_first: usize,
    /// Every call (after the throttled ones) withholds this many requests per table, while the limit lasts.
    pub unprocess_per_call: usize,
    /// Stop withholding after this many calls in all (`usize::MAX`: never stop).
    pub unprocess_calls: usize,
    /// When set, only calls writing an item whose `pk` contains this text are affected.
    pub only_pk_containing: Option<String>,
    calls: Arc<AtomicUsize>,
    throttled: Arc<AtomicUsize>,
    withheld_total: Arc<AtomicUsize>,
}

impl BatchFaults {
    /// Throttle the first `throttle_first` calls; then withhold `per_call` requests in each of the next
    /// `calls` calls.
    pub fn new(throttle_first: usize, per_call: usize, calls: usize) -> Self {
        Self {
            throttle_first,
            unprocess_per_call: per_call,
            unprocess_calls: calls,
            ..Self::default()
        }
    }

    /// `BatchWriteItem` calls seen.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Calls answered with a throttling error.
    pub fn throttled(&self) -> usize {
        self.throttled.load(Ordering::SeqCst)
    }

    /// Requests withheld and reported unprocessed, in all.
    pub fn withheld(&self) -> usize {
        self.withheld_total.load(Ordering::SeqCst)
    }
}

impl Intercept for BatchFaults {
    fn name(&self) -> &'static str {
        "BatchFaults"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(input) = context.input_mut().downcast_mut::<BatchWriteItemInput>() else {
            return Ok(());
        };
        let Some(by_table) = input.request_items.as_mut() else {
            return Ok(());
        };
        if let Some(wanted) = &self.only_pk_containing {
            let touches = by_table.values().flatten().any(|r| {
                r.put_request()
                    .and_then(|p| p.item().get("pk"))
                    .and_then(|v| v.as_s().ok())
                    .is_some_and(|pk| pk.contains(wanted.as_str()))
            });
            if !touches {
                return Ok(());
            }
        }
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        if call < self.throttle_first {
            // Send nothing to the server (it answers a validation error, replaced below by the throttle).
            for requests in by_table.values_mut() {
                requests.truncate(0);
            }
            self.throttled.fetch_add(1, Ordering::SeqCst);
            cfg.interceptor_state().store_put(Withheld::All);
            return Ok(());
        }
        if call - self.throttle_first >= self.unprocess_calls {
            return Ok(());
        }
        if let Some((table, requests)) = by_table.iter_mut().next() {
            let keep = requests
                .len()
                .saturating_sub(self.unprocess_per_call)
                .max(1);
            let held: Vec<WriteRequest> = requests.split_off(keep);
            self.withheld_total.fetch_add(held.len(), Ordering::SeqCst);
            cfg.interceptor_state()
                .store_put(Withheld::Some(table.clone(), held));
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if matches!(cfg.load::<Withheld>(), Some(Withheld::All)) {
            let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"injected by BatchFaults"}"#;
            let mut response = Response::new(StatusCode::try_from(400u16)?, SdkBody::from(body));
            response
                .headers_mut()
                .insert("x-amzn-errortype", "ProvisionedThroughputExceededException");
            response
                .headers_mut()
                .insert("content-type", "application/x-amz-json-1.0");
            *context.response_mut() = response;
        }
        Ok(())
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Withheld::Some(table, held)) = cfg.load::<Withheld>().cloned() else {
            return Ok(());
        };
        if let Some(Ok(output)) = context.output_or_error_mut() {
            if let Some(out) = output.downcast_mut::<BatchWriteItemOutput>() {
                out.unprocessed_items
                    .get_or_insert_with(Default::default)
                    .entry(table)
                    .or_default()
                    .extend(held);
            }
        }
        Ok(())
    }
}

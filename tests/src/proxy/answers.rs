//! The answers the proxy makes up in AWS's own shapes: throttling and server errors as each service words them,
//! and batch calls (`BatchWriteItem`, `BatchGetItem`) answered with part of their requests handed back as
//! unprocessed, merged with what the server did.

// The proxy's own types and imports (bodies, services, JSON), which these answers are made of.
use super::*;

pub(super) fn json_response(status: StatusCode, body: &Value) -> Response<ProxyBody> {
    Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.0")
        .body(full(Bytes::from(serde_json::to_vec(body).expect("json"))))
        .expect("valid response")
}

pub(super) fn throttled(service: Service) -> Response<ProxyBody> {
    match service {
        Service::DynamoDb => {
            // Both names DynamoDB uses: provisioned capacity exceeded, and on-demand/account throttling.
            static FLIP: AtomicBool = AtomicBool::new(false);
            let kind = if FLIP.fetch_xor(true, Ordering::Relaxed) {
                "ProvisionedThroughputExceededException"
            } else {
                "ThrottlingException"
            };
            json_response(
                StatusCode::BAD_REQUEST,
                &json!({
                    "__type": format!("com.amazonaws.dynamodb.v20120810#{kind}"),
                    "message": "injected by the fault proxy"
                }),
            )
        }
        Service::S3 => Response::builder()
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .header("content-type", "application/xml")
            .body(full(Bytes::from_static(
                b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>\
                  <Message>Please reduce your request rate.</Message></Error>",
            )))
            .expect("static response"),
        Service::Sqs => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"__type": "com.amazonaws.sqs#ServiceUnavailable", "message": "injected"}),
        ),
    }
}

pub(super) fn server_error(service: Service) -> Response<ProxyBody> {
    match service {
        Service::S3 => Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .header("content-type", "application/xml")
            .body(full(Bytes::from_static(
                b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code>\
                  <Message>We encountered an internal error. Please try again.</Message></Error>",
            )))
            .expect("static response"),
        _ => json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"__type": "com.amazon.coral.service#InternalFailure", "message": "injected"}),
        ),
    }
}

/// The DynamoDB batch calls that can answer "unprocessed".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BatchOp {
    Write,
    Get,
}

pub(super) fn batch_op(target: &str) -> Option<BatchOp> {
    match target.rsplit('.').next() {
        Some("BatchWriteItem") if target.starts_with("DynamoDB") => Some(BatchOp::Write),
        Some("BatchGetItem") if target.starts_with("DynamoDB") => Some(BatchOp::Get),
        _ => None,
    }
}

/// Splits a batch request: returns the body to forward (empty when everything is withheld) and the withheld
/// part in the shape of `UnprocessedItems`/`UnprocessedKeys`. `None` when the body is not a batch request.
pub(super) fn withhold(
    op: BatchOp,
    body: &[u8],
    rng: &mut StdRng,
) -> Option<(Bytes, Map<String, Value>)> {
    let mut request: Value = serde_json::from_slice(body).ok()?;
    let tables = request.get_mut("RequestItems")?.as_object_mut()?;
    let mut held = Map::new();
    for (table, entry) in tables.iter_mut() {
        let list = match op {
            BatchOp::Write => entry.as_array_mut()?,
            BatchOp::Get => entry.get_mut("Keys")?.as_array_mut()?,
        };
        if list.is_empty() {
            continue;
        }
        // DynamoDB may leave any subset unprocessed, the whole request included.
        let n = rng.gen_range(1..=list.len());
        let taken: Vec<Value> = list.drain(list.len() - n..).collect();
        let held_entry = match op {
            BatchOp::Write => Value::Array(taken),
            BatchOp::Get => {
                let mut e = entry.as_object()?.clone();
                e.insert("Keys".into(), Value::Array(taken));
                Value::Object(e)
            }
        };
        held.insert(table.clone(), held_entry);
    }
    tables.retain(|_, entry| match op {
        BatchOp::Write => entry.as_array().is_some_and(|a| !a.is_empty()),
        BatchOp::Get => entry["Keys"].as_array().is_some_and(|a| !a.is_empty()),
    });
    let kept = if tables.is_empty() {
        Bytes::new()
    } else {
        Bytes::from(serde_json::to_vec(&request).ok()?)
    };
    Some((kept, held))
}

pub(super) fn unprocessed_field(op: BatchOp) -> &'static str {
    match op {
        BatchOp::Write => "UnprocessedItems",
        BatchOp::Get => "UnprocessedKeys",
    }
}

pub(super) fn unprocessed_only(op: BatchOp, held: &Map<String, Value>) -> Value {
    let mut answer = json!({ unprocessed_field(op): held });
    if op == BatchOp::Get {
        let empty: Map<String, Value> = held
            .keys()
            .map(|t| (t.clone(), Value::Array(vec![])))
            .collect();
        answer["Responses"] = Value::Object(empty);
    }
    answer
}

pub(super) fn merge_unprocessed(op: BatchOp, answer: &mut Value, held: Map<String, Value>) {
    let field = unprocessed_field(op);
    if !answer[field].is_object() {
        answer[field] = json!({});
    }
    let target = answer[field].as_object_mut().expect("object");
    for (table, entry) in held {
        match (op, target.get_mut(&table)) {
            (BatchOp::Write, Some(Value::Array(existing))) => {
                existing.extend(entry.as_array().cloned().unwrap_or_default())
            }
            (BatchOp::Get, Some(existing)) => {
                if let (Some(keys), Some(more)) =
                    (existing["Keys"].as_array_mut(), entry["Keys"].as_array())
                {
                    keys.extend(more.iter().cloned());
                }
            }
            _ => {
                target.insert(table, entry);
            }
        }
    }
}

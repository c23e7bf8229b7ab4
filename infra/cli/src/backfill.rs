//! `creatoros replay months`: after a catalogue change, queue a `rederive` of every month since a given one, for
//! one workspace or all, through the insights queue (the same worker, lock and write rules as any derivation; an
//! unchanged month writes nothing).
//!
//! The months run from `--since` to the current month. "All workspaces" reads the table once (a paginated scan of
//! `workspaceId` on profile, import and derivation items): an operator's backfill, not something the workers do.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::AttributeValue;
use creatoros_insights_worker::handler::queue_rederives;
use creatoros_model::contract::schema::ENTITY_MARKER;
use creatoros_model::ids::{Month, WorkspaceId};

use creatoros_stack::ServiceError;

/// At most this many months per workspace in one backfill (ten years).
pub const MAX_MONTHS: usize = 120;

/// The months from `since` to `until`, both included.
pub fn months(since: &Month, until: &Month) -> Result<Vec<Month>, String> {
    if since > until {
        return Err(format!(
            "--since {since} is after the current month {until}"
        ));
    }
    let mut out = vec![since.clone()];
    while out.last() != Some(until) {
        let next = out
            .last()
            .and_then(Month::next)
            .ok_or("no month after 9999-12")?;
        out.push(next);
        if out.len() > MAX_MONTHS {
            return Err(format!(
                "more than {MAX_MONTHS} months from {since}: pick a later --since"
            ));
        }
    }
    Ok(out)
}

/// Every workspace with a profile, an import or a derivation in `table`.
pub async fn workspaces(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<Vec<WorkspaceId>, ServiceError> {
    let err = |e: String| ServiceError {
        resource: table.to_owned(),
        message: e,
    };
    let mut found = BTreeSet::new();
    let mut start = None;
    loop {
        let page = ddb
            .scan()
            .table_name(table)
            .projection_expression("workspaceId")
            .filter_expression("#e IN (:p, :i, :d)")
            .expression_attribute_names("#e", ENTITY_MARKER)
            .expression_attribute_values(":p", AttributeValue::S("profile".into()))
            .expression_attribute_values(":i", AttributeValue::S("import".into()))
            .expression_attribute_values(":d", AttributeValue::S("derivation".into()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| err(e.into_service_error().to_string()))?;
        for item in page.items() {
            if let Some(Ok(ws)) = item
                .get("workspaceId")
                .and_then(|v| v.as_s().ok())
                .map(WorkspaceId::parse)
            {
                found.insert(ws);
            }
        }
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => break,
        }
    }
    Ok(found.into_iter().collect())
}

/// Queues a `rederive` of each (workspace, month) on the insights queue (see
/// [`creatoros_insights_worker::handler::queue_rederives`]).
pub async fn queue(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    months: &[(WorkspaceId, Month)],
) -> Result<usize, ServiceError> {
    queue_rederives(sqs, queue_url, months)
        .await
        .map_err(|message| ServiceError {
            resource: queue_url.to_owned(),
            message,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_run_from_since_to_now_within_the_cap() {
        let m = |s| Month::parse(s).unwrap();
        let names: Vec<String> = months(&m("2025-11"), &m("2026-02"))
            .unwrap()
            .iter()
            .map(|m| m.to_string())
            .collect();
        assert_eq!(names, ["2025-11", "2025-12", "2026-01", "2026-02"]);
        assert_eq!(months(&m("2026-02"), &m("2026-02")).unwrap().len(), 1);
        assert!(months(&m("2026-03"), &m("2026-02"))
            .unwrap_err()
            .contains("after the current month"));
        assert!(months(&m("2000-01"), &m("2026-02"))
            .unwrap_err()
            .contains("more than 120 months"));
    }
}

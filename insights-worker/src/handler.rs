//! The insights handlers: DynamoDB stream batches and SQS `rederive` commands, both coalesced to one derivation
//! per touched (workspace, month) (a stream change to month M also re-derives the later months whose window reads
//! M), both answering with exactly the records or messages that should come back; and the daily `scheduled`
//! command, which queues the months whose result can change with the date.

use std::collections::BTreeMap;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use creatoros_core::contract::schema::SCHEDULE;
use creatoros_core::contract::IndexName;
use creatoros_core::entities::Schedule;
use creatoros_core::ids::{Day, Month, WorkspaceId};
use creatoros_core::insights::MonthData;
use creatoros_core::triggers::{is_trigger, touched};
use serde::{Deserialize, Serialize};
use tracing::{error, info, warn};

use crate::context::Insights;
use crate::derive::{derive_month, DeriveOutcome};

/// A message on the insights queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Command {
    /// `{"type":"rederive","workspaceId":…,"month":"YYYY-MM"}`: derive a month again.
    Rederive(Rederive),
    /// `{"type":"scheduled"}` or `{"type":"scheduled","day":"YYYY-MM-DD"}`: the daily schedule, re-deriving what
    /// time alone can change.
    Scheduled(Scheduled),
}

/// The daily schedule's command (EventBridge Scheduler in AWS, the local runner at home).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scheduled {
    /// The day whose scheduled months to re-derive (`YYYY-MM-DD`, or a timestamp whose UTC day it is); today (UTC)
    /// when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<String>,
}

/// The `scheduled` command, as the schedule sends it.
pub fn scheduled_body(day: Option<&str>) -> String {
    serde_json::to_string(&Command::Scheduled(Scheduled {
        day: day.map(str::to_owned),
    }))
    .expect("serializable")
}

/// Which month to derive again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rederive {
    /// The workspace.
    pub workspace_id: String,
    /// The month, `YYYY-MM`.
    pub month: String,
}

/// The `rederive` command for a month, as the insights queue carries it.
pub fn rederive_body(workspace: &WorkspaceId, month: &Month) -> String {
    serde_json::to_string(&Command::Rederive(Rederive {
        workspace_id: workspace.to_string(),
        month: month.to_string(),
    }))
    .expect("serializable")
}

/// A derivation that did not happen now and must happen later.
#[derive(Debug)]
enum Later {
    /// The month was busy; a `rederive` was queued.
    Queued,
    /// Failed; the trigger must come back.
    Retry(String),
}

/// Derives one month; a busy month is handed to the insights queue so the trigger counts as handled.
async fn run(
    ctx: &Insights,
    workspace: &WorkspaceId,
    month: &Month,
    delay: bool,
) -> Result<(), Later> {
    match derive_month(ctx, workspace, month).await {
        Ok(DeriveOutcome::Busy) => {
            let body = rederive_body(workspace, month);
            let seconds = if delay {
                ctx.settings.defer_delay.as_secs().min(900) as i32
            } else {
                0
            };
            ctx.sqs
                .send_message()
                .queue_url(&ctx.settings.insights_queue_url)
                .message_body(body)
                .delay_seconds(seconds)
                .send()
                .await
                .map(|_| Err(Later::Queued))
                .map_err(|e| {
                    Later::Retry(format!(
                        "queueing the rederive failed: {}",
                        e.into_service_error()
                    ))
                })?
        }
        Ok(outcome) => {
            info!(%workspace, %month, ?outcome, "derivation");
            Ok(())
        }
        Err(e) if e.is_retryable() => Err(Later::Retry(e.to_string())),
        Err(e) => {
            // Retrying cannot help; the next change to the month derives it again.
            error!(%workspace, %month, error = %e, "derivation refused");
            Ok(())
        }
    }
}

/// A stream record's months, or why it cannot be used.
fn months_of(record: &EventRecord) -> Result<Vec<(WorkspaceId, Month)>, String> {
    let json = serde_json::to_value(record).map_err(|e| e.to_string())?;
    touched(&json)
        .into_iter()
        .map(|(w, m)| {
            Ok((
                WorkspaceId::parse(&w).map_err(|e| e.to_string())?,
                Month::parse(&m).map_err(|e| e.to_string())?,
            ))
        })
        .collect()
}

/// Queues a `rederive` of each (workspace, month) on `queue_url`, ten to a batch; every entry SQS refuses is
/// sent again once, and any still refused is an error saying how many were queued.
pub async fn queue_rederives(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    months: &[(WorkspaceId, Month)],
) -> Result<usize, String> {
    let mut queued = 0;
    for chunk in months.chunks(10) {
        let mut pending: Vec<(usize, String)> = chunk
            .iter()
            .enumerate()
            .map(|(i, (w, m))| (i, rederive_body(w, m)))
            .collect();
        for attempt in 0..2 {
            let entries = pending
                .iter()
                .map(|(i, body)| {
                    aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(body)
                        .build()
                        .map_err(|e| e.to_string())
                })
                .collect::<Result<Vec<_>, _>>()?;
            let sent = sqs
                .send_message_batch()
                .queue_url(queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| e.into_service_error().to_string())?;
            queued += sent.successful.len();
            let failed: std::collections::BTreeSet<&str> =
                sent.failed.iter().map(|f| f.id.as_str()).collect();
            pending.retain(|(i, _)| failed.contains(i.to_string().as_str()));
            if pending.is_empty() {
                break;
            }
            if attempt == 1 {
                return Err(format!(
                    "{} rederives refused by SQS after {queued} queued",
                    pending.len()
                ));
            }
        }
    }
    Ok(queued)
}

/// The day a `scheduled` command names: a day, or the schedule's own time (`<aws.scheduler.scheduled-time>`, RFC
/// 3339), so a command delivered late still reads the day it was scheduled for; `today` when it names none.
pub fn schedule_day(day: Option<&str>, today: Day) -> Result<Day, String> {
    match day {
        Some(d) => Day::parse(d.get(..10).unwrap_or(d)).map_err(|e| e.to_string()),
        None => Ok(today),
    }
}

/// The months scheduled for `day` (today when absent), each sent to the insights queue as a `rederive`: one
/// partition read, never a scan. A month whose result can still change with the date schedules itself again.
pub async fn run_schedule(ctx: &Insights, day: Option<&str>) -> Result<usize, String> {
    let day = schedule_day(day, ctx.today())?;
    let condition = ctx
        .repo
        .codec()
        .query(&SCHEDULE, IndexName::Gsi1, &[("day", day.as_str())])
        .map_err(|e| e.to_string())?;
    let due: Vec<Schedule> = ctx
        .repo
        .query(&condition)
        .await
        .map_err(|e| e.to_string())?;
    let months: Vec<(WorkspaceId, Month)> =
        due.into_iter().map(|s| (s.workspace_id, s.month)).collect();
    queue_rederives(&ctx.sqs, &ctx.settings.insights_queue_url, &months).await?;
    info!(%day, months = months.len(), "scheduled rederives queued");
    Ok(months.len())
}

/// Handles a stream batch. Records that do not change metrics are ignored (the mapping's filter should have
/// dropped them already); a record that cannot be read is reported alone; every other record is handled.
pub async fn handle_stream(ctx: &Insights, event: Event) -> DynamoDbEventResponse {
    let mut months: BTreeMap<(WorkspaceId, Month), Vec<String>> = BTreeMap::new();
    let mut failed: Vec<String> = Vec::new();
    for record in &event.records {
        let sequence = record.change.sequence_number.clone().unwrap_or_default();
        let json = serde_json::to_value(record).unwrap_or_default();
        if !is_trigger(&json) {
            continue;
        }
        match months_of(record) {
            Ok(touched) if !touched.is_empty() => {
                let today = ctx.today();
                for (workspace, month) in touched {
                    // Later months read this one in their window, and the month before looks here for its posts'
                    // first metrics (`missing_metrics`): they are derived again too.
                    if let Some(before) = month.previous() {
                        months
                            .entry((workspace.clone(), before))
                            .or_default()
                            .push(sequence.clone());
                    }
                    for later in MonthData::months_reading(&month, &today) {
                        months
                            .entry((workspace.clone(), later))
                            .or_default()
                            .push(sequence.clone());
                    }
                    months
                        .entry((workspace, month))
                        .or_default()
                        .push(sequence.clone());
                }
            }
            Ok(_) => {
                warn!(%sequence, "trigger record names no workspace month");
                failed.push(sequence);
            }
            Err(reason) => {
                warn!(%sequence, %reason, "unreadable trigger record");
                failed.push(sequence);
            }
        }
    }
    for ((workspace, month), sequences) in months {
        match run(ctx, &workspace, &month, false).await {
            Ok(()) | Err(Later::Queued) => {}
            Err(Later::Retry(reason)) => {
                warn!(%workspace, %month, %reason, "derivation failed; its records come back");
                failed.extend(sequences);
            }
        }
    }
    failed.sort();
    failed.dedup();
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .map(|s| {
            let mut f = DynamoDbBatchItemFailure::default();
            f.item_identifier = Some(s);
            f
        })
        .collect();
    response
}

/// Handles `rederive` commands from the insights queue (coalesced per month within the batch).
pub async fn handle_sqs(ctx: &Insights, event: SqsEvent) -> SqsBatchResponse {
    let mut months: BTreeMap<(WorkspaceId, Month), Vec<String>> = BTreeMap::new();
    let mut response = SqsBatchResponse::default();
    for message in &event.records {
        let id = message.message_id.clone().unwrap_or_default();
        let body = message.body.as_deref().unwrap_or_default();
        match serde_json::from_str::<Command>(body).map_err(|e| e.to_string()) {
            Ok(Command::Rederive(r)) => {
                match (WorkspaceId::parse(&r.workspace_id), Month::parse(&r.month)) {
                    (Ok(w), Ok(m)) => months.entry((w, m)).or_default().push(id),
                    (w, m) => {
                        error!(message_id = %id, workspace = ?w.err(), month = ?m.err(), "rederive of an invalid month dropped")
                    }
                }
            }
            Ok(Command::Scheduled(s)) => {
                if let Err(reason) = run_schedule(ctx, s.day.as_deref()).await {
                    warn!(message_id = %id, %reason, "scheduled run failed; the message comes back");
                    let mut f = BatchItemFailure::default();
                    f.item_identifier = id;
                    response.batch_item_failures.push(f);
                }
            }
            Err(reason) if body.contains("DDBStreamBatchInfo") => {
                error!(message_id = %id, %reason, body, "stream failure notice; rederive the affected months");
            }
            Err(reason) => {
                error!(message_id = %id, %reason, body = %body.chars().take(500).collect::<String>(), "unreadable message dropped")
            }
        }
    }
    for ((workspace, month), ids) in months {
        if let Err(Later::Retry(reason)) = run(ctx, &workspace, &month, true).await {
            warn!(%workspace, %month, %reason, "rederive failed; messages come back");
            for id in ids {
                let mut f = BatchItemFailure::default();
                f.item_identifier = id;
                response.batch_item_failures.push(f);
            }
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream event as Lambda delivers it (DynamoDB JSON images).
    fn event(records: &[(&str, &str, serde_json::Value)]) -> Event {
        let records: Vec<serde_json::Value> = records
            .iter()
            .map(|(seq, name, image)| {
                let key = if *name == "REMOVE" { "OldImage" } else { "NewImage" };
                serde_json::json!({
                    "eventID": seq, "eventName": name, "eventVersion": "1.1", "eventSource": "aws:dynamodb",
                    "awsRegion": "us-east-1",
                    "dynamodb": {"ApproximateCreationDateTime": 1_700_000_000.0, "Keys": {"pk": {"S": "p"}, "sk": {"S": "s"}},
                        key: image, "SequenceNumber": seq, "SizeBytes": 100, "StreamViewType": "NEW_AND_OLD_IMAGES"},
                    "eventSourceARN": "arn:aws:dynamodb:us-east-1:1:table/t/stream/x"
                })
            })
            .collect();
        serde_json::from_value(serde_json::json!({"Records": records})).unwrap()
    }

    #[test]
    fn a_scheduled_command_names_the_day_it_was_scheduled_for() {
        let today = Day::parse("2026-12-03").unwrap();
        let day = |d| schedule_day(d, today.clone()).map(|d| d.to_string());
        assert_eq!(day(Some("2026-12-02T00:15:00Z")).unwrap(), "2026-12-02");
        assert_eq!(day(Some("2026-12-02")).unwrap(), "2026-12-02");
        assert_eq!(day(None).unwrap(), "2026-12-03");
        assert!(day(Some("tomorrow")).is_err());
        let body = scheduled_body(Some("2026-12-02"));
        assert!(
            matches!(serde_json::from_str(&body).unwrap(), Command::Scheduled(s) if s.day.as_deref() == Some("2026-12-02"))
        );
    }

    #[test]
    fn records_round_trip_into_the_filter_and_their_months() {
        let e = event(&[
            (
                "1",
                "INSERT",
                serde_json::json!({"__edb_e__": {"S": "metric"}, "workspaceId": {"S": "DEMO#judge"}, "month": {"S": "2026-07"}}),
            ),
            (
                "2",
                "MODIFY",
                serde_json::json!({"__edb_e__": {"S": "import"}, "workspaceId": {"S": "w1"}, "status": {"S": "partial"},
                "months": {"L": [{"S": "2026-06"}, {"S": "2026-07"}]}}),
            ),
            (
                "3",
                "INSERT",
                serde_json::json!({"__edb_e__": {"S": "insight"}, "workspaceId": {"S": "w1"}, "month": {"S": "2026-07"}}),
            ),
        ]);
        let json: Vec<serde_json::Value> = e
            .records
            .iter()
            .map(|r| serde_json::to_value(r).unwrap())
            .collect();
        assert!(is_trigger(&json[0]) && is_trigger(&json[1]) && !is_trigger(&json[2]));
        let months: Vec<String> = e.records[..2]
            .iter()
            .flat_map(|r| months_of(r).unwrap())
            .map(|(w, m)| format!("{w} {m}"))
            .collect();
        assert_eq!(months, ["DEMO#judge 2026-07", "w1 2026-06", "w1 2026-07"]);
    }

    #[test]
    fn a_trigger_naming_a_forged_workspace_is_unreadable() {
        let e = event(&[(
            "9",
            "INSERT",
            serde_json::json!({"__edb_e__": {"S": "metric"}, "workspaceId": {"S": "a#b"}, "month": {"S": "2026-07"}}),
        )]);
        assert!(months_of(&e.records[0]).is_err());
    }
}

#[cfg(test)]
mod command_tests {
    use super::{Command, Rederive};

    #[test]
    fn rederive_commands_parse_and_print_as_documented() {
        let body = r#"{"type":"rederive","workspaceId":"DEMO#judge","month":"2026-07"}"#;
        let c: Command = serde_json::from_str(body).unwrap();
        assert_eq!(
            c,
            Command::Rederive(Rederive {
                workspace_id: "DEMO#judge".into(),
                month: "2026-07".into()
            })
        );
        assert_eq!(serde_json::to_string(&c).unwrap(), body);
        // What a busy derivation queues is a command like any other.
        let queued =
            super::rederive_body(&"DEMO#judge".parse().unwrap(), &"2026-07".parse().unwrap());
        assert_eq!(serde_json::from_str::<Command>(&queued).unwrap(), c);
        // Field order does not matter (serde_json writes keys sorted).
        let sorted = r#"{"month":"2026-07","type":"rederive","workspaceId":"w"}"#;
        assert!(matches!(
            serde_json::from_str::<Command>(sorted),
            Ok(Command::Rederive(_))
        ));
        for bad in [
            r#"{"type":"reingest","workspaceId":"w","month":"2026-07"}"#,
            r#"{"type":"rederive","workspaceId":"w"}"#,
            r#"{"type":"rederive","workspaceId":"w","month":"2026-07","extra":1}"#,
        ] {
            assert!(serde_json::from_str::<Command>(bad).is_err(), "{bad}");
        }
    }
}

//! The insights handlers: DynamoDB stream batches and SQS `rederive` commands, both coalesced to one derivation
//! per touched (workspace, month) (a stream change to month M also re-derives the later months whose window reads
//! M), both answering with exactly the records or messages that should come back; and the daily `scheduled`
//! command, which queues the months whose result can change with the date.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use creatoros_model::contract::schema::SCHEDULE;
use creatoros_model::contract::IndexName;
use creatoros_model::entities::Schedule;
use creatoros_model::ids::{Day, Month, WorkspaceId};
use creatoros_model::stream_filter::{is_trigger, touched};
use creatoros_queue::receive_count;
use creatoros_rules::MonthData;
use creatoros_runtime::metrics::{self, Metrics};
use futures::stream::{self, StreamExt};
use tracing::{error, info, warn};

pub use crate::commands::{
    parse_message, rederive_body, schedule_day, scheduled_body, Command, Message, Rederive,
    Scheduled,
};
use crate::context::Insights;
use crate::derive::{derive_month, DeriveOutcome};
use crate::recover::{self, StreamFailureNotice};

/// A derivation that did not happen now.
#[derive(Debug)]
enum Later {
    /// The month was busy; a `rederive` was queued.
    Queued,
    /// Failed; the trigger must come back (and, if it keeps failing, reach the dead-letter queue).
    Retry(String),
}

/// Derives one month; a busy month is handed to the insights queue so the trigger counts as handled.
async fn run(
    ctx: &Insights,
    workspace: &WorkspaceId,
    month: &Month,
    delay: bool,
    metrics: &Metrics,
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
                .map_err(|e| {
                    Later::Retry(format!(
                        "queueing the rederive failed: {}",
                        e.into_service_error()
                    ))
                })?;
            metrics.count(metrics::DEFERRALS, 1);
            Err(Later::Queued)
        }
        Ok(outcome) => {
            metrics.count(metrics::DERIVATIONS, 1);
            if let DeriveOutcome::Written { insights, tasks } = outcome {
                metrics.count(metrics::INSIGHTS_WRITTEN, insights);
                metrics.count(metrics::TASKS_WRITTEN, tasks);
            }
            info!(%workspace, %month, ?outcome, "derivation");
            Ok(())
        }
        Err(e) if e.is_retryable() => Err(Later::Retry(e.to_string())),
        Err(e) => {
            // Retrying will not help, but acknowledging would lose the month without a trace: the trigger goes
            // back, and after its retries to the dead-letter queue, where it is alarmed and can be redriven once
            // the cause is fixed.
            error!(%workspace, %month, error = %e, "derivation refused");
            Err(Later::Retry(format!("refused: {e}")))
        }
    }
}

/// Months to derive, each with what must come back if its derivation fails (stream sequence numbers or message
/// ids).
type Work<T> = BTreeMap<(WorkspaceId, Month), Vec<T>>;

/// Adds the months a trigger record asks for: its own, the later months whose window reads it, and the month
/// before (its `missing_metrics` looks here for its posts' first metrics). `Ok(false)` for a record that is no
/// trigger (the mapping's filter should have dropped it already).
fn add_record<T: Clone>(
    work: &mut Work<T>,
    record: &EventRecord,
    id: &T,
    today: &Day,
) -> Result<bool, String> {
    let json = serde_json::to_value(record).map_err(|e| e.to_string())?;
    if !is_trigger(&json) {
        return Ok(false);
    }
    let touched = months_of(record)?;
    if touched.is_empty() {
        return Err("trigger record names no workspace month".into());
    }
    for (workspace, month) in touched {
        let months = month
            .previous()
            .into_iter()
            .chain(MonthData::months_reading(&month, today))
            .chain(std::iter::once(month.clone()));
        for m in months {
            work.entry((workspace.clone(), m))
                .or_default()
                .push(id.clone());
        }
    }
    Ok(true)
}

/// Derives every month of `work`, up to `derive_concurrency` at once. A month not started while more than
/// `derive_margin` is left before `deadline` is queued as a `rederive` instead. Returns the ids that must come
/// back.
async fn derive_all<T: Clone>(
    ctx: &Insights,
    work: Work<T>,
    deadline: Instant,
    delay: bool,
    metrics: &Metrics,
) -> Vec<T> {
    enum Step {
        Ran(Result<(), Later>),
        OutOfTime,
    }
    let margin = ctx.settings.derive_margin;
    let steps: Vec<((WorkspaceId, Month), Vec<T>, Step)> = stream::iter(work)
        .map(|(key, ids)| async move {
            if Instant::now() + margin >= deadline {
                return (key, ids, Step::OutOfTime);
            }
            let result = run(ctx, &key.0, &key.1, delay, metrics).await;
            (key, ids, Step::Ran(result))
        })
        .buffer_unordered(ctx.settings.derive_concurrency.max(1))
        .collect()
        .await;
    let mut failed = Vec::new();
    let mut out_of_time = Vec::new();
    for ((workspace, month), ids, step) in steps {
        match step {
            Step::Ran(Ok(())) | Step::Ran(Err(Later::Queued)) => {}
            Step::Ran(Err(Later::Retry(reason))) => {
                warn!(%workspace, %month, %reason, "derivation failed; its triggers come back");
                metrics.count(metrics::RETRIES, 1);
                failed.extend(ids);
            }
            Step::OutOfTime => out_of_time.push(((workspace, month), ids)),
        }
    }
    if !out_of_time.is_empty() {
        let months: Vec<(WorkspaceId, Month)> =
            out_of_time.iter().map(|(key, _)| key.clone()).collect();
        match queue_rederives(&ctx.sqs, &ctx.settings.insights_queue_url, &months).await {
            Ok(queued) => {
                metrics.count(metrics::DEFERRALS, queued as u64);
                info!(
                    months = queued,
                    "out of time; the rest of the batch goes to the insights queue"
                );
            }
            Err(reason) => {
                warn!(%reason, "out of time and queueing failed; those triggers come back");
                metrics.count(metrics::RETRIES, out_of_time.len() as u64);
                failed.extend(out_of_time.into_iter().flat_map(|(_, ids)| ids));
            }
        }
    }
    // Unsorted, possibly repeated (an id shared by several months): the callers merge, sort and dedup.
    failed
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
    // Batches go out side by side: an invocation out of time may have hundreds of months to hand on.
    // Owned chunks and clients: futures borrowing the slice would not be `Send` for every lifetime, which the
    // callers spawned on a runtime need.
    let chunks: Vec<Vec<(WorkspaceId, Month)>> = months.chunks(10).map(<[_]>::to_vec).collect();
    let sent: Vec<Result<usize, String>> = stream::iter(chunks)
        .map(|chunk| {
            let sqs = sqs.clone();
            let queue_url = queue_url.to_owned();
            async move { send_rederive_batch(&sqs, &queue_url, &chunk).await }
        })
        .buffer_unordered(QUEUEING_CONCURRENCY)
        .collect()
        .await;
    let mut queued = 0;
    let mut refused = Vec::new();
    for result in sent {
        match result {
            Ok(n) => queued += n,
            Err(e) => refused.push(e),
        }
    }
    match refused.first() {
        None => Ok(queued),
        Some(first) => Err(format!(
            "{} batch(es) of rederives not queued ({first}) after {queued} queued",
            refused.len()
        )),
    }
}

/// `SendMessageBatch` calls in flight at once when handing months on.
pub const QUEUEING_CONCURRENCY: usize = 8;

/// Sends one batch of up to ten rederives; entries SQS refuses are sent once more.
async fn send_rederive_batch(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    chunk: &[(WorkspaceId, Month)],
) -> Result<usize, String> {
    let mut queued = 0;
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
            return Ok(queued);
        }
        if attempt == 1 {
            break;
        }
    }
    Err(format!("{} rederives refused by SQS", pending.len()))
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

/// Handles a stream batch. Records that do not change metrics are ignored; a record that cannot be read is
/// reported alone; every other record is handled, within `deadline`.
pub async fn handle_stream(
    ctx: &Insights,
    event: Event,
    deadline: Instant,
    metrics: &Metrics,
) -> DynamoDbEventResponse {
    record_lag(&event.records, metrics);
    let today = ctx.today();
    let mut work: Work<String> = BTreeMap::new();
    let mut failed: Vec<String> = Vec::new();
    for record in &event.records {
        let sequence = record.change.sequence_number.clone().unwrap_or_default();
        if let Err(reason) = add_record(&mut work, record, &sequence, &today) {
            warn!(%sequence, %reason, "unreadable trigger record");
            failed.push(sequence);
        }
    }
    failed.extend(derive_all(ctx, work, deadline, false, metrics).await);
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

/// How far behind the stream the worker is: the age of the batch's oldest record.
fn record_lag(records: &[EventRecord], metrics: &Metrics) {
    let oldest = records
        .iter()
        .map(|r| r.change.approximate_creation_date_time.timestamp_millis())
        .filter(|t| *t > 0)
        .min();
    if let Some(oldest) = oldest {
        let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        let lag = u64::try_from(now - i128::from(oldest)).unwrap_or(0);
        metrics.duration(metrics::STREAM_LAG, Duration::from_millis(lag));
    }
}

/// Handles the insights queue: `rederive` commands (coalesced per month within the batch), the daily `scheduled`
/// command, and redriven stream failure notices (read back from the stream). Nothing is acknowledged that was not
/// done: an unreadable message, an invalid month or a notice past the stream's retention comes back and, after
/// its receives, lands in the dead-letter queue, where it is alarmed.
pub async fn handle_sqs(
    ctx: &Insights,
    event: SqsEvent,
    deadline: Instant,
    metrics: &Metrics,
) -> SqsBatchResponse {
    let today = ctx.today();
    let mut work: Work<String> = BTreeMap::new();
    let mut failed: Vec<String> = Vec::new();
    // Failures no retry can fix: these messages come back at once, on their way to the dead-letter queue.
    let mut permanent: Vec<String> = Vec::new();
    for message in &event.records {
        let id = message.message_id.clone().unwrap_or_default();
        let body = message.body.as_deref().unwrap_or_default();
        match parse_message(body) {
            Ok(Message::Command(Command::Rederive(r))) => {
                match (WorkspaceId::parse(&r.workspace_id), Month::parse(&r.month)) {
                    (Ok(w), Ok(m)) => work.entry((w, m)).or_default().push(id),
                    (w, m) => {
                        error!(message_id = %id, workspace = ?w.err(), month = ?m.err(), "rederive of an invalid month");
                        permanent.push(id);
                    }
                }
            }
            Ok(Message::Command(Command::Scheduled(s))) => {
                if let Err(reason) = run_schedule(ctx, s.day.as_deref()).await {
                    warn!(message_id = %id, %reason, "scheduled run failed; the message comes back");
                    failed.push(id);
                }
            }
            Ok(Message::Notice(notice)) => {
                match recover(ctx, &notice, &id, &mut work, &today, metrics).await {
                    Ok(()) => {}
                    Err(e) => {
                        error!(message_id = %id, range = %notice.batch, error = %e, "stream failure notice not recovered");
                        if e.is_retryable() {
                            failed.push(id);
                        } else {
                            permanent.push(id);
                        }
                    }
                }
            }
            Err(reason) => {
                error!(message_id = %id, %reason, body = %body.chars().take(500).collect::<String>(), "unreadable message");
                permanent.push(id);
            }
        }
    }
    failed.extend(derive_all(ctx, work, deadline, true, metrics).await);
    failed.sort();
    failed.dedup();
    permanent.sort();
    let mut response = SqsBatchResponse::default();
    for message in &event.records {
        let id = message.message_id.clone().unwrap_or_default();
        let is_permanent = permanent.binary_search(&id).is_ok();
        if !is_permanent && failed.binary_search(&id).is_err() {
            continue;
        }
        give_back(ctx, message, !is_permanent, metrics).await;
        let mut f = BatchItemFailure::default();
        f.item_identifier = id;
        response.batch_item_failures.push(f);
    }
    response
}

/// Sets a failed message's visibility (a backoff when a retry may help, none otherwise) and counts it; on its last
/// receive it is left to the queue, which moves it to the dead-letter queue.
async fn give_back(
    ctx: &Insights,
    message: &aws_lambda_events::event::sqs::SqsMessage,
    retryable: bool,
    metrics: &Metrics,
) {
    let id = message.message_id.as_deref().unwrap_or_default();
    let receives = receive_count(message);
    metrics.count(metrics::RETRIES, 1);
    if ctx.settings.redelivery().is_last(receives) {
        error!(message_id = %id, receives, "failed on its last receive; the queue moves it to the dead-letter queue");
        metrics.count(metrics::DEAD_LETTERED, 1);
    }
    // On its last receive the message is made visible at once, so the queue moves it on without waiting.
    let visibility = ctx.settings.redelivery().visibility(receives, retryable);
    let queue = &ctx.settings.insights_queue_url;
    if let Err(error) = creatoros_queue::set_visibility(&ctx.sqs, queue, message, visibility).await
    {
        warn!(message_id = %id, %error, "visibility not changed; the message comes back after the queue's timeout");
    }
}

/// Reads a notice's range back from the stream and adds its records' months to `work` under the message's id.
async fn recover(
    ctx: &Insights,
    notice: &StreamFailureNotice,
    id: &String,
    work: &mut Work<String>,
    today: &Day,
    metrics: &Metrics,
) -> Result<(), recover::RecoverError> {
    let month = today.month();
    let records = recover::read_range(&ctx.streams, &notice.batch, &month).await?;
    let mut triggers = 0;
    for record in &records {
        match add_record(work, record, id, today) {
            Ok(true) => triggers += 1,
            Ok(false) => {}
            // No delivery can make it readable (the mapping reported it alone the first time); the range's other
            // records are derived, and this one is logged as an error with its reason.
            Err(reason) => {
                error!(message_id = %id, %reason, "unreadable record in a recovered range; skipped")
            }
        }
    }
    metrics.count(metrics::STREAM_RANGES_RECOVERED, 1);
    info!(message_id = %id, range = %notice.batch, records = records.len(), triggers, "stream range read back");
    Ok(())
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

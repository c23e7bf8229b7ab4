//! What the insights queue carries: `rederive` and `scheduled` commands, and the stream failure notices Lambda
//! sends when a stream batch is given up; one typed read of a message body ([`parse_message`]).

use creatoros_model::ids::{Day, Month, WorkspaceId};
use serde::{Deserialize, Serialize};

use crate::recover::StreamFailureNotice;

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

/// What an insights queue message asks for.
#[derive(Debug)]
pub enum Message {
    /// A command (`rederive`, `scheduled`).
    Command(Command),
    /// A stream failure notice, redriven from the dead-letter queue.
    Notice(StreamFailureNotice),
}

/// Reads a message body: a notice carries `DDBStreamBatchInfo`, anything else must be a command.
pub fn parse_message(body: &str) -> Result<Message, String> {
    let value: serde_json::Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
    if value.get("DDBStreamBatchInfo").is_some() {
        serde_json::from_value(value)
            .map(Message::Notice)
            .map_err(|e| format!("stream failure notice: {e}"))
    } else {
        serde_json::from_value(value)
            .map(Message::Command)
            .map_err(|e| e.to_string())
    }
}

/// The day a `scheduled` command names: a day, or the schedule's own time (`<aws.scheduler.scheduled-time>`, RFC
/// 3339), so a command delivered late still reads the day it was scheduled for; `today` when it names none.
pub fn schedule_day(day: Option<&str>, today: Day) -> Result<Day, String> {
    match day {
        Some(d) => Day::parse(d.get(..10).unwrap_or(d)).map_err(|e| e.to_string()),
        None => Ok(today),
    }
}

#[cfg(test)]
mod message_tests {
    use super::{parse_message, Command, Message};

    #[test]
    fn a_body_is_a_notice_a_command_or_unreadable() {
        let notice = r#"{"DDBStreamBatchInfo":{"shardId":"s","startSequenceNumber":"1","endSequenceNumber":"2",
            "streamArn":"arn:aws:dynamodb:us-east-1:1:table/t/stream/x"}}"#;
        assert!(matches!(parse_message(notice), Ok(Message::Notice(n)) if n.batch.shard_id == "s"));
        let rederive = r#"{"type":"rederive","workspaceId":"w","month":"2026-07"}"#;
        assert!(matches!(
            parse_message(rederive),
            Ok(Message::Command(Command::Rederive(_)))
        ));
        // A notice missing its range is refused as a notice, not read as some command.
        let broken = r#"{"DDBStreamBatchInfo":{"shardId":"s"}}"#;
        assert!(parse_message(broken)
            .unwrap_err()
            .starts_with("stream failure notice"));
        assert!(parse_message("{not json").is_err());
        assert!(parse_message(r#"{"type":"reingest"}"#).is_err());
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

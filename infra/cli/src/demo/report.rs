//! What the demo prints: each import (rejected rows explained), the metrics per platform with the most-seen
//! posts, the daily values per series, and each month's insights and open tasks as ElectroDB reads them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use creatoros_model::entities::{Import, Metric};
use creatoros_store::TableRepo;
use serde_json::{json, Value};

use creatoros_stack::electrodb::ElectroDb;

use super::DemoError;

/// One import, as the demo prints it.
fn describe_import(i: &Import) -> String {
    let file = i.key.rsplit('/').next().unwrap_or(&i.key);
    let mut out = format!(
        "    {:<9} {:<17} {}{}\n              rows {} · written {} · rejected {}",
        format!("{:?}", i.status).to_lowercase(),
        i.format.as_deref().unwrap_or("-"),
        file,
        i.container
            .as_deref()
            .filter(|c| *c != "plain")
            .map_or(String::new(), |c| format!(" ({c})")),
        i.rows_seen,
        i.rows_written,
        i.rows_rejected
    );
    if let Some(f) = &i.failure {
        let _ = write!(out, "\n              why: {f}");
    }
    for n in i.notes.iter().take(4) {
        let _ = write!(out, "\n              note: {n}");
    }
    for e in i.errors.iter().take(5) {
        let _ = write!(
            out,
            "\n              {}line {}, {}: {}",
            e.part.as_ref().map_or(String::new(), |p| format!("{p}, ")),
            e.line,
            e.column.as_deref().unwrap_or("row"),
            e.reason
        );
    }
    if i.errors.len() > 5 {
        let _ = write!(
            out,
            "\n              … {} more in the rejects file",
            i.rows_rejected - 5
        );
    }
    if let Some(k) = &i.rejects_key {
        let _ = write!(out, "\n              rejected rows: s3://{}/{k}", i.bucket);
    }
    out
}

/// The imports of each workspace and its metrics per platform, read back through the repository and ElectroDB.
pub async fn report_imports(
    repo: &TableRepo,
    electrodb: &ElectroDb,
    workspaces: &[String],
) -> Result<String, DemoError> {
    use creatoros_model::contract::schema::{IMPORT, METRIC};
    use creatoros_model::contract::IndexName;
    let mut out = String::new();
    for ws in workspaces {
        let q = repo
            .codec()
            .query(&IMPORT, IndexName::Primary, &[("workspaceId", ws)])
            .map_err(|e| DemoError(e.to_string()))?;
        let mut imports: Vec<Import> =
            repo.query(&q).await.map_err(|e| DemoError(e.to_string()))?;
        imports.sort_by(|a, b| a.key.cmp(&b.key));
        let _ = writeln!(out, "  {ws}");
        for i in &imports {
            let _ = writeln!(out, "{}", describe_import(i));
        }
        let q = repo
            .codec()
            .query(&METRIC, IndexName::Primary, &[("workspaceId", ws)])
            .map_err(|e| DemoError(e.to_string()))?;
        let metrics: Vec<Metric> = repo.query(&q).await.map_err(|e| DemoError(e.to_string()))?;
        let mut per_platform: BTreeMap<String, usize> = BTreeMap::new();
        for m in &metrics {
            *per_platform.entry(m.platform.to_string()).or_default() += 1;
        }
        let planned: std::collections::BTreeSet<String> = metrics
            .iter()
            .filter(|m| {
                !["x-", "yt-", "li-", "rn-"]
                    .iter()
                    .any(|p| m.post_id.as_str().starts_with(p))
            })
            .map(|m| format!("{} ({})", m.post_id, m.platform))
            .collect();
        let answers = electrodb
            .run(vec![json!({"op": "query", "entity": "metric", "accessPattern": "byPost", "composites": {"workspaceId": ws}})])
            .await
            .map_err(|e| DemoError(e.to_string()))?;
        let read = match answers.into_iter().next() {
            Some(Ok(Value::Array(items))) => items.len(),
            other => return Err(DemoError(format!("ElectroDB answered {other:?}"))),
        };
        let _ = writeln!(
            out,
            "    metrics: {} ({}); ElectroDB reads {read} of them through metric.byPost",
            metrics.len(),
            per_platform
                .iter()
                .map(|(p, n)| format!("{p} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if read != metrics.len() {
            return Err(DemoError(format!(
                "ElectroDB read {read} metrics of {ws}, the table holds {}",
                metrics.len()
            )));
        }
        if !planned.is_empty() {
            let _ = writeln!(
                out,
                "    linked to planned posts: {}",
                planned.into_iter().collect::<Vec<_>>().join(", ")
            );
        }
        let _ = write!(out, "{}", leading_posts(&metrics));
        let _ = write!(out, "{}", daily_values(repo, electrodb, ws).await?);
    }
    Ok(out)
}

/// Each platform's two most-seen posts, by the title their export gave (or the app's id).
fn leading_posts(metrics: &[Metric]) -> String {
    let mut by_platform: BTreeMap<String, Vec<&Metric>> = BTreeMap::new();
    for m in metrics {
        by_platform
            .entry(m.platform.to_string())
            .or_default()
            .push(m);
    }
    let mut out = String::new();
    for (platform, mut ms) in by_platform {
        let reach = |m: &Metric| m.views.or(m.impressions).unwrap_or(0);
        ms.sort_by_key(|m| std::cmp::Reverse(reach(m)));
        for m in ms.into_iter().take(2) {
            let title: String = match (&m.title, &m.published_at) {
                (Some(t), _) => format!("\"{}\"", t.chars().take(60).collect::<String>()),
                (None, Some(p)) => format!("untitled, published {}", p.get(..10).unwrap_or(p)),
                (None, None) => m.post_id.to_string(),
            };
            let measure = match (&m.measure, &m.period_start) {
                (Some(creatoros_model::entities::Measure::Period), Some(start)) => {
                    format!("over {start}..{}", m.date)
                }
                (Some(creatoros_model::entities::Measure::Period), None) => {
                    format!("over the period to {}", m.date)
                }
                _ => format!("to {}", m.date),
            };
            let _ = writeln!(
                out,
                "    {platform:<8} {title} · {} {} {measure}",
                reach(m),
                if m.views.is_some() {
                    "views"
                } else {
                    "impressions"
                }
            );
        }
    }
    out
}

/// A workspace's daily values per platform and subject, and what ElectroDB reads of them.
async fn daily_values(
    repo: &TableRepo,
    electrodb: &ElectroDb,
    ws: &str,
) -> Result<String, DemoError> {
    use creatoros_model::contract::schema::DAILY;
    use creatoros_model::contract::IndexName;
    use creatoros_model::entities::Daily;
    let q = repo
        .codec()
        .query(&DAILY, IndexName::Primary, &[("workspaceId", ws)])
        .map_err(|e| DemoError(e.to_string()))?;
    let daily: Vec<Daily> = repo.query(&q).await.map_err(|e| DemoError(e.to_string()))?;
    if daily.is_empty() {
        return Ok(String::new());
    }
    let answers = electrodb
        .run(vec![json!({"op": "query", "entity": "daily", "accessPattern": "bySubject", "composites": {"workspaceId": ws}})])
        .await
        .map_err(|e| DemoError(e.to_string()))?;
    let read = match answers.into_iter().next() {
        Some(Ok(Value::Array(items))) => items.len(),
        other => return Err(DemoError(format!("ElectroDB answered {other:?}"))),
    };
    if read != daily.len() {
        return Err(DemoError(format!(
            "ElectroDB read {read} daily values of {ws}, the table holds {}",
            daily.len()
        )));
    }
    let mut series: BTreeMap<(String, bool), (usize, String, String)> = BTreeMap::new();
    for d in &daily {
        let e = series
            .entry((d.platform.to_string(), d.post_id.is_none()))
            .or_insert((0, d.day.to_string(), d.day.to_string()));
        e.0 += 1;
        e.1 = e.1.clone().min(d.day.to_string());
        e.2 = e.2.clone().max(d.day.to_string());
    }
    let parts: Vec<String> = series
        .iter()
        .map(|((p, account), (n, from, to))| {
            let whose = if *account { "account" } else { "per post" };
            format!("{p} {whose} {n} ({from}..{to})")
        })
        .collect();
    Ok(format!(
        "    daily values: {}; ElectroDB reads all {read} through daily.bySubject\n",
        parts.join(", ")
    ))
}

/// Each workspace's months (those its imports touched, and any derived): insights by severity with their
/// evidence in words, the open tasks, checked against ElectroDB's reading; a month where no claim holds says so.
pub async fn report_insights(
    repo: &TableRepo,
    electrodb: &ElectroDb,
    workspaces: &[String],
) -> Result<String, DemoError> {
    use creatoros_model::contract::schema::{DERIVATION, IMPORT, INSIGHT, TASK};
    use creatoros_model::contract::IndexName;
    use creatoros_model::entities::{Derivation, Import, Insight, Task, TaskStatus};
    let err = |e: &dyn std::fmt::Display| DemoError(e.to_string());
    let mut out = String::new();
    for ws in workspaces {
        let q = repo
            .codec()
            .query(&DERIVATION, IndexName::Primary, &[("workspaceId", ws)])
            .map_err(|e| err(&e))?;
        let derived: Vec<Derivation> = repo.query(&q).await.map_err(|e| err(&e))?;
        let q = repo
            .codec()
            .query(&IMPORT, IndexName::Primary, &[("workspaceId", ws)])
            .map_err(|e| err(&e))?;
        let imports: Vec<Import> = repo.query(&q).await.map_err(|e| err(&e))?;
        let mut months: std::collections::BTreeSet<String> =
            derived.iter().map(|d| d.month.to_string()).collect();
        months.extend(
            imports
                .iter()
                .flat_map(|i| i.months.iter().map(|m| m.to_string())),
        );
        let _ = writeln!(
            out,
            "  {ws}: {} month(s) with data, {} with something to say",
            months.len(),
            derived.iter().filter(|d| !d.insight_ids.is_empty()).count()
        );
        let mut quiet = Vec::new();
        for m in &months {
            let m = m.as_str();
            let q = repo
                .codec()
                .query(
                    &INSIGHT,
                    IndexName::Gsi1,
                    &[("workspaceId", ws), ("month", m)],
                )
                .map_err(|e| err(&e))?;
            let insights: Vec<Insight> = repo.query(&q).await.map_err(|e| err(&e))?;
            let q = repo
                .codec()
                .query(&TASK, IndexName::Gsi1, &[("workspaceId", ws), ("month", m)])
                .map_err(|e| err(&e))?;
            let tasks: Vec<Task> = repo.query(&q).await.map_err(|e| err(&e))?;
            let answers = electrodb
                .run(vec![json!({"op": "query", "entity": "insight", "accessPattern": "byMonth", "composites": {"workspaceId": ws, "month": m}})])
                .await
                .map_err(|e| err(&e))?;
            let read = match answers.into_iter().next() {
                Some(Ok(Value::Array(items))) => items.len(),
                other => return Err(DemoError(format!("ElectroDB answered {other:?}"))),
            };
            if read != insights.len() {
                return Err(DemoError(format!(
                    "ElectroDB read {read} insights of {ws} {m}, the table holds {}",
                    insights.len()
                )));
            }
            if insights.is_empty() {
                quiet.push(m.to_owned());
                continue;
            }
            let _ = writeln!(
                out,
                "    {m}: {} insight(s), ElectroDB reads all {read}",
                insights.len()
            );
            for i in &insights {
                let _ = writeln!(
                    out,
                    "      [{}] {}",
                    format!("{:?}", i.severity).to_lowercase(),
                    i.title.as_deref().unwrap_or(&i.kind)
                );
                if let Some(body) = &i.body {
                    let _ = writeln!(out, "        {body}");
                }
            }
            for t in tasks.iter().filter(|t| t.status == TaskStatus::Open) {
                let _ = writeln!(
                    out,
                    "      task: {}",
                    t.title.as_deref().unwrap_or(t.task_id.as_str())
                );
            }
        }
        if !quiet.is_empty() {
            let _ = writeln!(
                out,
                "    quiet (no claim holds at a {:.0}% false discovery rate, a correct answer for few or even posts): {}",
                creatoros_rules::FALSE_DISCOVERY_RATE * 100.0,
                quiet.join(", ")
            );
        }
    }
    Ok(out)
}

//! What `imports`, `insights` and `tasks` print: tables for people (with a sparkline of daily engagement per
//! platform where it helps), JSON for scripts.

use std::collections::BTreeMap;

use comfy_table::{presets::UTF8_BORDERS_ONLY, ContentArrangement, Table};
use creatoros_model::contract::schema::{IMPORT, INSIGHT, METRIC, TASK};
use creatoros_model::contract::IndexName;
use creatoros_model::entities::{Import, Insight, Metric, Task};
use creatoros_model::ids::{Month, WorkspaceId};
use creatoros_rules::engagement::engagement_rate;
use creatoros_rules::stats::median;
use creatoros_store::{RepoError, TableRepo};

/// The imports of a workspace, newest first.
pub async fn imports(repo: &TableRepo, workspace: &WorkspaceId) -> Result<Vec<Import>, RepoError> {
    let q = repo.codec().query(
        &IMPORT,
        IndexName::Primary,
        &[("workspaceId", workspace.as_str())],
    )?;
    let mut out: Vec<Import> = repo.query(&q).await?;
    out.sort_by(|a, b| b.source_time.cmp(&a.source_time).then(a.key.cmp(&b.key)));
    Ok(out)
}

/// The insights of a workspace month.
pub async fn insights(
    repo: &TableRepo,
    workspace: &WorkspaceId,
    month: &Month,
) -> Result<Vec<Insight>, RepoError> {
    let q = repo.codec().query(
        &INSIGHT,
        IndexName::Gsi1,
        &[
            ("workspaceId", workspace.as_str()),
            ("month", month.as_str()),
        ],
    )?;
    repo.query(&q).await
}

/// The tasks of a workspace: by status and month when given (GSI2), else all of them.
pub async fn tasks(
    repo: &TableRepo,
    workspace: &WorkspaceId,
    status: Option<&str>,
    month: Option<&Month>,
) -> Result<Vec<Task>, RepoError> {
    let ws = ("workspaceId", workspace.as_str());
    let condition = match (status, month) {
        (Some(s), Some(m)) => repo.codec().query(
            &TASK,
            IndexName::Gsi2,
            &[ws, ("status", s), ("month", m.as_str())],
        )?,
        (Some(s), None) => repo
            .codec()
            .query(&TASK, IndexName::Gsi2, &[ws, ("status", s)])?,
        (None, Some(m)) => {
            repo.codec()
                .query(&TASK, IndexName::Gsi1, &[ws, ("month", m.as_str())])?
        }
        (None, None) => repo.codec().query(&TASK, IndexName::Primary, &[ws])?,
    };
    let mut out: Vec<Task> = repo.query(&condition).await?;
    out.sort_by(|a, b| {
        a.priority
            .unwrap_or(9.0)
            .total_cmp(&b.priority.unwrap_or(9.0))
            .then(a.task_id.cmp(&b.task_id))
    });
    Ok(out)
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    t
}

/// A table of imports; rejected rows are explained under each file.
pub fn imports_table(imports: &[Import]) -> String {
    let mut t = table(&[
        "file",
        "status",
        "format",
        "rows",
        "written",
        "rejected",
        "why / first errors",
    ]);
    for i in imports {
        let mut why: Vec<String> = i.failure.iter().cloned().collect();
        why.extend(i.errors.iter().take(3).map(|e| {
            format!(
                "{}line {}, {}: {}",
                e.part.as_ref().map_or(String::new(), |p| format!("{p}, ")),
                e.line,
                e.column.as_deref().unwrap_or("row"),
                e.reason
            )
        }));
        why.extend(i.notes.iter().take(3).map(|n| format!("note: {n}")));
        if i.errors.len() > 3 {
            why.push(format!(
                "… {} rejected rows in s3://{}/{}",
                i.rows_rejected,
                i.bucket,
                i.rejects_key.as_deref().unwrap_or("")
            ));
        }
        t.add_row(vec![
            i.key.rsplit('/').next().unwrap_or(&i.key).to_owned(),
            format!("{:?}", i.status).to_lowercase(),
            i.format.clone().unwrap_or_default(),
            i.rows_seen.to_string(),
            i.rows_written.to_string(),
            i.rows_rejected.to_string(),
            why.join("\n"),
        ]);
    }
    t.to_string()
}

/// `▁▂▃▄▅▆▇█` for a series (gaps as spaces).
pub fn sparkline(values: &[Option<f64>]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    let (lo, hi) = present
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    values
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(_) if hi <= lo => BARS[3],
            Some(v) => BARS[(((v - lo) / (hi - lo)) * 7.0).round() as usize],
        })
        .collect()
}

/// Per platform, the median engagement rate of the posts dated each day of the month.
pub async fn daily_engagement(
    repo: &TableRepo,
    workspace: &WorkspaceId,
    month: &Month,
) -> Result<BTreeMap<String, String>, RepoError> {
    let q = repo.codec().query(
        &METRIC,
        IndexName::Gsi1,
        &[
            ("workspaceId", workspace.as_str()),
            ("month", month.as_str()),
        ],
    )?;
    let metrics: Vec<Metric> = repo.query(&q).await?;
    let mut by: BTreeMap<String, BTreeMap<u8, Vec<f64>>> = BTreeMap::new();
    for m in &metrics {
        if let Some(rate) = engagement_rate(m) {
            by.entry(m.platform.to_string())
                .or_default()
                .entry(m.date.to_date().day())
                .or_default()
                .push(rate);
        }
    }
    Ok(by
        .into_iter()
        .map(|(platform, days)| {
            let series: Vec<Option<f64>> = (1..=31)
                .map(|d| days.get(&d).and_then(|r| median(r)))
                .collect();
            (platform, sparkline(&series))
        })
        .collect())
}

/// A table of insights, with the month's daily engagement per platform above it.
pub fn insights_table(insights: &[Insight], lines: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    if !lines.is_empty() {
        out.push_str("daily engagement rate, day 1 → 31\n");
        for (platform, line) in lines {
            out.push_str(&format!("  {platform:<9} {line}\n"));
        }
    }
    let mut t = table(&["severity", "insight", "details"]);
    for i in insights {
        t.add_row(vec![
            format!("{:?}", i.severity).to_lowercase(),
            i.title.clone().unwrap_or_else(|| i.kind.clone()),
            i.body.clone().unwrap_or_default(),
        ]);
    }
    out.push_str(&t.to_string());
    out
}

/// A table of tasks.
pub fn tasks_table(tasks: &[Task]) -> String {
    let mut t = table(&["status", "priority", "task", "month", "from insight"]);
    for task in tasks {
        t.add_row(vec![
            format!("{:?}", task.status).to_lowercase(),
            task.priority.map(|p| p.to_string()).unwrap_or_default(),
            task.title
                .clone()
                .unwrap_or_else(|| task.task_id.to_string()),
            task.month.to_string(),
            task.source_insight_id.clone().unwrap_or_default(),
        ]);
    }
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_scale_between_min_and_max_and_show_gaps() {
        assert_eq!(sparkline(&[Some(0.0), None, Some(0.5), Some(1.0)]), "▁ ▅█");
        assert_eq!(sparkline(&[Some(2.0), Some(2.0)]), "▄▄");
        assert_eq!(sparkline(&[None, None]), "  ");
    }
}

//! One workspace month's derivation: read the data, run the rules, and write only what changed.
//!
//! 1. Read the month's metrics and posts, last month's metrics, and the month's insights and tasks (no lock).
//! 2. Derive, and diff against what is stored. Nothing to change: done, and nothing was written.
//! 3. Otherwise take the month's `derive-<month>` lock, read and derive again (the data may have moved), and claim
//!    the month's [`Derivation`] record with a newer watermark (a conditional put that fails if a newer
//!    derivation claimed it first: then this one stops).
//! 4. Write the changes, each conditional on the watermark: insights created or replaced where stored ones are
//!    older, insights the data no longer supports deleted (only ours), tasks created if absent and refreshed only
//!    while open and untouched by a user. A task a user marked done or dismissed is never written again.
//! 5. Record the result on the derivation record and release the lock.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use creatoros_model::contract::schema::{DAILY, INSIGHT, METRIC, POST, TASK, VARIANT};
use creatoros_model::contract::AttributeValue;
use creatoros_model::contract::{Entity, IndexName, KeyCondition};
use creatoros_model::entities::{
    Daily, Derivation, Insight, Lock, Metric, Plan as ContentPlan, Post, Profile, Schedule, Task,
    TaskStatus, Variant,
};
use creatoros_model::ids::timestamp::iso_millis;
use creatoros_model::ids::{Month, WorkspaceId};
use creatoros_rules::{derive, MonthData, CATALOGUE_VERSION};
use creatoros_store::{Condition, RepoError, TableRepo};
use time::OffsetDateTime;
use tracing::{info, warn};

use crate::context::Insights;

/// What a derivation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeriveOutcome {
    /// Stored insights and tasks already say what the data says; nothing was written.
    Unchanged,
    /// Changes were written.
    Written {
        /// Insights put or deleted.
        insights: u64,
        /// Tasks created, refreshed, retired or reopened.
        tasks: u64,
    },
    /// Another derivation of this month holds the lock; try again later.
    Busy,
    /// A newer derivation of this month claimed it first; its result stands.
    Superseded,
}

/// Stored state of a month, as read.
struct Stored {
    data: MonthData,
    insights: Vec<Insight>,
    tasks: Vec<Task>,
    derivation: Option<Derivation>,
}

/// The writes a derivation needs.
#[derive(Debug, Default)]
struct Plan {
    /// New or changed insights, with the creation time of the stored one to keep.
    put_insights: Vec<(Option<String>, Insight)>,
    retire: Vec<Insight>,
    create_tasks: Vec<Task>,
    /// (stored, derived): refreshed while open, or reopened when retired.
    refresh_tasks: Vec<(Task, Task)>,
    /// Open tasks whose insight is gone: marked retired, never deleted.
    retire_tasks: Vec<Task>,
}

impl Plan {
    fn is_empty(&self) -> bool {
        self.put_insights.is_empty()
            && self.retire.is_empty()
            && self.create_tasks.is_empty()
            && self.refresh_tasks.is_empty()
            && self.retire_tasks.is_empty()
    }
}

/// Every `E` matching a key condition (which may have failed to build).
async fn all<E: Entity>(
    repo: &TableRepo,
    condition: Result<KeyCondition, creatoros_model::contract::ContractError>,
) -> Result<Vec<E>, RepoError> {
    repo.query(&condition?).await
}

/// Every `E` of each month, one query per month, concurrently.
async fn all_months<E: Entity>(
    repo: &TableRepo,
    schema: &'static creatoros_model::contract::EntitySchema,
    workspace: &WorkspaceId,
    months: &[Month],
) -> Result<Vec<E>, RepoError> {
    let codec = repo.codec();
    let queries = months.iter().map(|m| {
        all::<E>(
            repo,
            codec.query(
                schema,
                IndexName::Gsi1,
                &[("workspaceId", workspace.as_str()), ("month", m.as_str())],
            ),
        )
    });
    Ok(futures::future::try_join_all(queries)
        .await?
        .into_iter()
        .flatten()
        .collect())
}

/// Reads what a derivation of `month` needs: its window (the month and the two before it) of metrics, daily
/// values, posts and variants; the month's plan, insights and tasks; the profile; the derivation record.
async fn read(ctx: &Insights, workspace: &WorkspaceId, month: &Month) -> Result<Stored, RepoError> {
    let repo = &ctx.repo;
    let months = MonthData::window_months(month);
    let only = std::slice::from_ref(month);
    let (metrics, daily, posts, variants, insights, tasks) = tokio::try_join!(
        all_months::<Metric>(repo, &METRIC, workspace, &months),
        all_months::<Daily>(repo, &DAILY, workspace, &months),
        all_months::<Post>(repo, &POST, workspace, &months),
        all_months::<Variant>(repo, &VARIANT, workspace, &months),
        all_months::<Insight>(repo, &INSIGHT, workspace, only),
        all_months::<Task>(repo, &TASK, workspace, only),
    )?;
    let key = [
        ("workspaceId", workspace.as_str()),
        ("month", month.as_str()),
    ];
    let profile_key = [("workspaceId", workspace.as_str())];
    let (derivation, plan, profile) = tokio::try_join!(
        repo.get::<Derivation>(&key),
        repo.get::<ContentPlan>(&key),
        repo.get::<Profile>(&profile_key),
    )?;
    let mut data = MonthData::new(workspace.clone(), month.clone(), ctx.today());
    data.metrics = metrics;
    data.daily = daily;
    data.posts = posts;
    data.variants = variants;
    data.plan = plan;
    if let Some(profile) = profile {
        data.timezone = profile.timezone;
        data.platforms = profile
            .platforms
            .unwrap_or_default()
            .iter()
            .filter_map(|p| p.parse().ok())
            .collect();
    }
    // A planned post of this month may be measured only in a later month (published at the month's end, first
    // exported after it): one small query per such post, usually none.
    let unmeasured: Vec<String> = data
        .unmeasured_posts()
        .iter()
        .map(|p| p.post_id.to_string())
        .collect();
    for post in unmeasured {
        let condition = repo.codec().query(
            &METRIC,
            IndexName::Primary,
            &[
                ("workspaceId", workspace.as_str()),
                ("postId", post.as_str()),
            ],
        );
        if !all::<Metric>(repo, condition).await?.is_empty() {
            data.measured_elsewhere.insert(post);
        }
    }
    Ok(Stored {
        data,
        insights,
        tasks,
        derivation,
    })
}

/// What an insight says, without when it was written.
fn content(i: &Insight) -> Insight {
    Insight {
        created_at: None,
        derived_at: None,
        ..i.clone()
    }
}

fn plan(stored: &Stored) -> (Plan, String, Vec<String>, Vec<String>) {
    let derived = derive(&stored.data);
    let existing: BTreeMap<&str, &Insight> = stored
        .insights
        .iter()
        .map(|i| (i.insight_id.as_str(), i))
        .collect();
    let mut plan = Plan::default();
    for insight in &derived.insights {
        match existing.get(insight.insight_id.as_str()) {
            Some(old) if content(old) == *insight => {}
            old => plan
                .put_insights
                .push((old.and_then(|o| o.created_at.clone()), insight.clone())),
        }
    }
    for old in &stored.insights {
        // Retire only what a derivation wrote; an insight from anyone else is theirs to keep.
        if old.derived_at.is_some()
            && !derived
                .insights
                .iter()
                .any(|i| i.insight_id == old.insight_id)
        {
            plan.retire.push(old.clone());
        }
    }
    let tasks: BTreeMap<&str, &Task> = stored
        .tasks
        .iter()
        .map(|t| (t.task_id.as_str(), t))
        .collect();
    for task in &derived.tasks {
        match tasks.get(task.task_id.as_str()) {
            None => plan.create_tasks.push(task.clone()),
            Some(old) if touched_by_user(old) => {}
            // Retired by a derivation, and its insight is back: open again.
            Some(old) if old.status == TaskStatus::Retired => {
                plan.refresh_tasks.push(((*old).clone(), task.clone()))
            }
            Some(old) if old.status != TaskStatus::Open => {}
            Some(old)
                if old.title == task.title
                    && old.priority == task.priority
                    && old.source_insight_id == task.source_insight_id => {}
            Some(old) => plan.refresh_tasks.push(((*old).clone(), task.clone())),
        }
    }
    for old in &stored.tasks {
        // An open task a derivation proposed and no one touched, that the data no longer supports.
        if old.status == TaskStatus::Open
            && old.derived_at.is_some()
            && !touched_by_user(old)
            && !derived.tasks.iter().any(|t| t.task_id == old.task_id)
        {
            plan.retire_tasks.push(old.clone());
        }
    }
    let insight_ids = derived
        .insights
        .iter()
        .map(|i| i.insight_id.to_string())
        .collect();
    let task_ids = derived
        .tasks
        .iter()
        .map(|t| t.task_id.to_string())
        .collect();
    (plan, derived.content_hash(), insight_ids, task_ids)
}

/// A task changed after the pipeline last wrote it belongs to the user.
fn touched_by_user(task: &Task) -> bool {
    match (&task.updated_at, &task.derived_at) {
        (Some(updated), Some(derived)) => updated > derived,
        // Written by someone other than a derivation.
        (_, None) => true,
        (None, Some(_)) => false,
    }
}

/// Derives one workspace month.
pub async fn derive_month(
    ctx: &Insights,
    workspace: &WorkspaceId,
    month: &Month,
) -> Result<DeriveOutcome, RepoError> {
    ctx.counters.derivations.fetch_add(1, Ordering::SeqCst);
    let first = read(ctx, workspace, month).await?;
    if has_own_data(&first.data) {
        schedule_next(ctx, workspace, month).await?;
    }
    if plan(&first).0.is_empty() {
        ctx.counters.unchanged.fetch_add(1, Ordering::SeqCst);
        return Ok(DeriveOutcome::Unchanged);
    }
    let owner = format!(
        "derive-{}-{}",
        std::process::id(),
        OffsetDateTime::now_utc().unix_timestamp_nanos()
    );
    let lock_name = format!("derive-{month}");
    if !take_lock(ctx, workspace, &lock_name, &owner).await? {
        return Ok(DeriveOutcome::Busy);
    }
    let result = derive_locked(ctx, workspace, month).await;
    release_lock(ctx, workspace, &lock_name, &owner).await;
    result
}

async fn derive_locked(
    ctx: &Insights,
    workspace: &WorkspaceId,
    month: &Month,
) -> Result<DeriveOutcome, RepoError> {
    let mut watermark = iso_millis(OffsetDateTime::now_utc());
    let stored = read(ctx, workspace, month).await?;
    let (plan, hash, insight_ids, task_ids) = plan(&stored);
    if plan.is_empty() {
        ctx.counters.unchanged.fetch_add(1, Ordering::SeqCst);
        return Ok(DeriveOutcome::Unchanged);
    }
    // The watermark only moves forward, even if this clock is behind the last writer's.
    if let Some(previous) = &stored.derivation {
        if previous.watermark >= watermark {
            let bumped = time::OffsetDateTime::parse(
                &previous.watermark,
                &time::format_description::well_known::Rfc3339,
            )
            .map(|t| iso_millis(t + time::Duration::milliseconds(1)))
            .unwrap_or_else(|_| previous.watermark.clone() + "1");
            watermark = bumped;
        }
    }
    let runs = stored.derivation.as_ref().map_or(0, |d| d.runs);
    let mut record = Derivation {
        workspace_id: workspace.clone(),
        month: month.clone(),
        watermark: watermark.clone(),
        content_hash: stored
            .derivation
            .as_ref()
            .and_then(|d| d.content_hash.clone()),
        insight_ids: stored
            .derivation
            .as_ref()
            .map(|d| d.insight_ids.clone())
            .unwrap_or_default(),
        task_ids: stored
            .derivation
            .as_ref()
            .map(|d| d.task_ids.clone())
            .unwrap_or_default(),
        runs,
        derived_at: stored
            .derivation
            .as_ref()
            .and_then(|d| d.derived_at.clone()),
        catalogue: stored.derivation.as_ref().and_then(|d| d.catalogue.clone()),
    };
    // Claim: only a newer watermark may take the month.
    let claim = Condition {
        expression: "attribute_not_exists(#pk) OR #w < :w".into(),
        names: vec![
            ("#pk".into(), "pk".into()),
            ("#w".into(), "watermark".into()),
        ],
        values: vec![(":w".into(), AttributeValue::S(watermark.clone()))],
    };
    match ctx.repo.put_if(&record, claim).await {
        Ok(()) => {}
        Err(e) if e.is_condition_failed() => return Ok(DeriveOutcome::Superseded),
        Err(e) => return Err(e),
    }
    let (insights, tasks) = apply(ctx, &plan, &watermark).await?;
    let writes = insights + tasks;
    ctx.counters.item_writes.fetch_add(writes, Ordering::SeqCst);
    record.content_hash = Some(hash);
    record.insight_ids = insight_ids;
    record.task_ids = task_ids;
    record.runs = runs + 1;
    record.derived_at = Some(iso_millis(OffsetDateTime::now_utc()));
    record.catalogue = Some(CATALOGUE_VERSION.to_owned());
    let ours = Condition {
        expression: "#w = :w".into(),
        names: vec![("#w".into(), "watermark".into())],
        values: vec![(":w".into(), AttributeValue::S(watermark.clone()))],
    };
    match ctx.repo.put_if(&record, ours).await {
        Ok(()) => {}
        Err(e) if e.is_condition_failed() => {
            warn!(%workspace, %month, "a newer derivation finished meanwhile")
        }
        Err(e) => return Err(e),
    }
    info!(%workspace, %month, writes, insights = record.insight_ids.len(), tasks = record.task_ids.len(), "derived");
    Ok(DeriveOutcome::Written { insights, tasks })
}

fn older_than(watermark: &str) -> Condition {
    Condition {
        expression: "attribute_not_exists(#pk) OR attribute_not_exists(#d) OR #d < :w".into(),
        names: vec![
            ("#pk".into(), "pk".into()),
            ("#d".into(), "derivedAt".into()),
        ],
        values: vec![(":w".into(), AttributeValue::S(watermark.to_owned()))],
    }
}

/// Applies the plan; every write is conditional on not undoing a newer derivation or a user's change. A write
/// whose condition fails is skipped, not an error: someone with the right to it got there first. Returns the
/// insight and task writes made.
async fn apply(ctx: &Insights, plan: &Plan, watermark: &str) -> Result<(u64, u64), RepoError> {
    let mut writes = 0;
    let skipped = |r: Result<(), RepoError>| -> Result<bool, RepoError> {
        match r {
            Ok(()) => Ok(true),
            Err(e) if e.is_condition_failed() => Ok(false),
            Err(e) => Err(e),
        }
    };
    for (created, insight) in &plan.put_insights {
        let mut item = insight.clone();
        item.derived_at = Some(watermark.to_owned());
        item.created_at = Some(created.clone().unwrap_or_else(|| watermark.to_owned()));
        writes += u64::from(skipped(
            ctx.repo.put_if(&item, older_than(watermark)).await,
        )?);
    }
    for insight in &plan.retire {
        let condition = Condition {
            expression: "#d < :w".into(),
            names: vec![("#d".into(), "derivedAt".into())],
            values: vec![(":w".into(), AttributeValue::S(watermark.to_owned()))],
        };
        let key = [
            ("workspaceId", insight.workspace_id.as_str()),
            ("month", insight.month.as_str()),
            ("insightId", insight.insight_id.as_str()),
        ];
        writes += u64::from(ctx.repo.delete_if::<Insight>(&key, condition).await?);
    }
    let insight_writes = writes;
    for task in &plan.create_tasks {
        let mut item = task.clone();
        item.created_at = Some(watermark.to_owned());
        item.updated_at = Some(watermark.to_owned());
        item.derived_at = Some(watermark.to_owned());
        writes += u64::from(skipped(
            ctx.repo
                .put_if(
                    &item,
                    Condition {
                        expression: "attribute_not_exists(#pk)".into(),
                        names: vec![("#pk".into(), "pk".into())],
                        values: vec![],
                    },
                )
                .await,
        )?);
    }
    for (old, new) in &plan.refresh_tasks {
        let mut item = old.clone();
        item.status = TaskStatus::Open;
        item.title = new.title.clone();
        item.priority = new.priority;
        item.source_insight_id = new.source_insight_id.clone();
        item.updated_at = Some(watermark.to_owned());
        item.derived_at = Some(watermark.to_owned());
        writes += u64::from(skipped(
            ctx.repo.put_if(&item, unchanged_since_read(old)).await,
        )?);
    }
    for old in &plan.retire_tasks {
        let mut item = old.clone();
        item.status = TaskStatus::Retired;
        item.updated_at = Some(watermark.to_owned());
        item.derived_at = Some(watermark.to_owned());
        writes += u64::from(skipped(
            ctx.repo.put_if(&item, unchanged_since_read(old)).await,
        )?);
    }
    Ok((insight_writes, writes - insight_writes))
}

/// A task still in the state it was read in: same status, and not changed by anyone since.
fn unchanged_since_read(old: &Task) -> Condition {
    let status = serde_json::to_value(old.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    Condition {
        expression: "#s = :s AND #u = :u AND #d = :d".into(),
        names: vec![
            ("#s".into(), "status".into()),
            ("#u".into(), "updatedAt".into()),
            ("#d".into(), "derivedAt".into()),
        ],
        values: vec![
            (":s".into(), AttributeValue::S(status)),
            (
                ":u".into(),
                AttributeValue::S(old.updated_at.clone().unwrap_or_default()),
            ),
            (
                ":d".into(),
                AttributeValue::S(old.derived_at.clone().unwrap_or_default()),
            ),
        ],
    }
}

/// Whether the month holds anything the date can change a claim about: its own snapshots or planned posts.
fn has_own_data(data: &MonthData) -> bool {
    data.metrics.iter().any(|m| m.month == data.month)
        || data.posts.iter().any(|p| p.month == data.month)
}

/// While a month's result can still change with the date alone (it is in progress, or a post published at its
/// end may still turn three days old without metrics), the schedule re-derives it tomorrow.
async fn schedule_next(
    ctx: &Insights,
    workspace: &WorkspaceId,
    month: &Month,
) -> Result<(), RepoError> {
    let tomorrow = ctx.today().to_date() + time::Duration::days(1);
    if tomorrow > month.last_day() + time::Duration::days(TIME_SENSITIVE_DAYS) {
        return Ok(());
    }
    ctx.repo
        .put(&Schedule::new(tomorrow, workspace.clone(), month.clone()))
        .await
}

/// Days after a month's end during which its result can still change with the date (`missing_metrics` waits three
/// days after publishing).
pub const TIME_SENSITIVE_DAYS: i64 = 3;

async fn take_lock(
    ctx: &Insights,
    workspace: &WorkspaceId,
    name: &str,
    owner: &str,
) -> Result<bool, RepoError> {
    let now = OffsetDateTime::now_utc();
    let lock = Lock::new(
        workspace.clone(),
        name,
        owner,
        now + ctx.settings.lease,
        Some("insights".into()),
    );
    let condition = Condition {
        expression: "attribute_not_exists(#pk) OR #e < :now".into(),
        names: vec![
            ("#pk".into(), "pk".into()),
            ("#e".into(), "expiresAt".into()),
        ],
        values: vec![(":now".into(), AttributeValue::S(iso_millis(now)))],
    };
    match ctx.repo.put_if(&lock, condition).await {
        Ok(()) => Ok(true),
        Err(e) if e.is_condition_failed() => Ok(false),
        Err(e) => Err(e),
    }
}

async fn release_lock(ctx: &Insights, workspace: &WorkspaceId, name: &str, owner: &str) {
    let condition = Condition {
        expression: "#o = :me".into(),
        names: vec![("#o".into(), "owner".into())],
        values: vec![(":me".into(), AttributeValue::S(owner.to_owned()))],
    };
    if let Err(e) = ctx
        .repo
        .delete_if_retrying::<Lock>(
            &[("workspaceId", workspace.as_str()), ("name", name)],
            condition,
        )
        .await
    {
        warn!(%workspace, name, error = %e, "derive lock release failed; it will expire");
    }
}

//! Insights kept fresh, on the local stack: new data for a month re-derives the months after it, the daily
//! schedule re-derives what the date alone changes, and a replay of months after a catalogue change rewrites the
//! affected insights and nothing else (a task whose insight is gone is retired, never deleted).

use creatoros_cli::backfill;
use creatoros_insights_worker::handler::scheduled_body;
use creatoros_model::entities::{
    Derivation, Insight, Post, PostStatus, Severity, Task, TaskStatus,
};
use creatoros_model::ids::{Day, Month, PostId, WorkspaceId};
use creatoros_rules::CATALOGUE_VERSION;
use creatoros_tests::pipeline::PipelineHarness;
use serde_json::Value;

/// A canonical export as of `as_of`: `n` ordinary X posts published in `month` (rate about 3%, σ of log rate
/// about 0.2), and a star with a 40% rate if `star`.
fn export(prefix: &str, month: &str, as_of: &str, n: usize, star: bool) -> Vec<u8> {
    let mut csv = String::from("post_id,platform,date,published_at,title,impressions,likes\n");
    for i in 0..n {
        let rate = 0.03 * (0.2 * (i as f64 * 1.3 + prefix.len() as f64).sin()).exp();
        csv.push_str(&format!(
            "{prefix}-{i},x,{as_of},{month}-{:02},{prefix} notes {i},10000,{}\n",
            i % 27 + 1,
            (rate * 10_000.0) as u64
        ));
    }
    if star {
        csv.push_str(&format!(
            "star,x,{as_of},{month}-15,Launch day,10000,4000\n"
        ));
    }
    csv.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_data_for_a_month_rederives_the_months_after_it() {
    let mut p = PipelineHarness::new("fresh-later").await;
    // July alone: seven posts are too few to judge the star against.
    p.h.upload(
        "imports/ws1/july.csv",
        export("jul", "2026-07", "2026-07-31", 6, true),
    )
    .await;
    p.run_all().await;
    let kinds = |v: Vec<Insight>| v.into_iter().map(|i| i.kind).collect::<Vec<_>>();
    assert!(
        !kinds(p.of_month("ws1", "2026-07").await).contains(&"outlier_post".to_owned()),
        "no claim on seven posts"
    );
    // June's export arrives later: July's window now holds 21 other posts, and July is derived again.
    p.h.upload(
        "imports/ws1/june.csv",
        export("jun", "2026-06", "2026-06-30", 15, false),
    )
    .await;
    p.run_all().await;
    let july = p.of_month::<Insight>("ws1", "2026-07").await;
    let star = july
        .iter()
        .find(|i| i.kind == "outlier_post")
        .unwrap_or_else(|| {
            panic!(
                "July re-derived with June's posts: {:?}",
                kinds(july.clone())
            )
        });
    assert!(
        star.body.as_deref().unwrap().contains("other X posts"),
        "{star:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_rederives_a_month_whose_missing_metrics_changed_with_the_date() {
    let mut p = PipelineHarness::new("fresh-schedule").await;
    p.pipeline.insights.settings.today = Some(Day::parse("2026-07-20").unwrap());
    // A planned post went out on 18 July; no export has it yet.
    let post = Post {
        workspace_id: WorkspaceId::parse("ws1").unwrap(),
        post_id: PostId::parse("launch").unwrap(),
        status: PostStatus::Published,
        month: Month::parse("2026-07").unwrap(),
        publish_date: Some(Day::parse("2026-07-18").unwrap()),
        title: Some("Launch thread".into()),
        pillar: None,
        version: 1.0,
        tags: Vec::new(),
        created_at: None,
        updated_at: None,
    };
    p.h.ctx.repo.put(&post).await.unwrap();
    p.h.upload(
        "imports/ws1/july.csv",
        export("jul", "2026-07", "2026-07-19", 4, false),
    )
    .await;
    p.run_all().await;
    let missing = |v: &[Insight]| v.iter().any(|i| i.kind == "missing_metrics");
    assert!(
        !missing(&p.of_month::<Insight>("ws1", "2026-07").await),
        "two days old: not yet missing"
    );

    // A day later, the schedule runs: July asked to be derived again on the 21st.
    p.pipeline.insights.settings.today = Some(Day::parse("2026-07-21").unwrap());
    p.h.stack
        .sqs()
        .send_message()
        .queue_url(&p.h.made.queue_urls["InsightsQueue"])
        .message_body(scheduled_body(Some("2026-07-21")))
        .send()
        .await
        .unwrap();
    p.run_all().await;
    let july = p.of_month::<Insight>("ws1", "2026-07").await;
    let insight = july
        .iter()
        .find(|i| i.kind == "missing_metrics")
        .expect("the schedule re-derived July");
    assert!(
        insight
            .body
            .as_deref()
            .unwrap()
            .contains("\"Launch thread\""),
        "{insight:?}"
    );
    // And July, still in progress, asked for the next day too.
    let scheduled: Vec<creatoros_model::entities::Schedule> =
        p.h.ctx
            .repo
            .query(
                &p.h.ctx
                    .repo
                    .codec()
                    .query(
                        &creatoros_model::contract::schema::SCHEDULE,
                        creatoros_model::contract::IndexName::Gsi1,
                        &[("day", "2026-07-22")],
                    )
                    .unwrap(),
            )
            .await
            .unwrap();
    assert_eq!(scheduled.len(), 1, "{scheduled:?}");
    assert_eq!(scheduled[0].month.as_str(), "2026-07");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaying_months_after_a_catalogue_change_rewrites_only_what_changed() {
    let mut p = PipelineHarness::new("fresh-replay").await;
    p.h.upload(
        "imports/ws1/june.csv",
        export("jun", "2026-06", "2026-06-30", 15, false),
    )
    .await;
    p.h.upload(
        "imports/ws1/july.csv",
        export("jul", "2026-07", "2026-07-31", 12, true),
    )
    .await;
    p.run_all().await;
    let clean = p.h.dump("ws1").await;
    assert!(
        p.of_month::<Insight>("ws1", "2026-07")
            .await
            .iter()
            .any(|i| i.kind == "outlier_post"),
        "July has its star"
    );

    // What an older catalogue left in June: an insight this one does not make, its open task, and the version.
    let ws = WorkspaceId::parse("ws1").unwrap();
    let june = Month::parse("2026-06").unwrap();
    let old = "2026-06-30T00:00:00.000Z".to_owned();
    let stale = Insight {
        workspace_id: ws.clone(),
        insight_id: "top_platform-x-2026-06".parse().unwrap(),
        month: june.clone(),
        kind: "top_platform".into(),
        severity: Severity::Info,
        title: Some("X engages best this month".into()),
        body: Some("Compared with LinkedIn.".into()),
        evidence: None,
        created_at: Some(old.clone()),
        derived_at: Some(old.clone()),
    };
    p.h.ctx.repo.put(&stale).await.unwrap();
    let task = Task {
        workspace_id: ws.clone(),
        task_id: "top_platform_focus-x-2026-06".parse().unwrap(),
        month: june.clone(),
        status: TaskStatus::Open,
        title: Some("Post more on X".into()),
        priority: Some(3.0),
        source_insight_id: Some(stale.insight_id.to_string()),
        assignee_id: None,
        due_date: None,
        created_at: Some(old.clone()),
        updated_at: Some(old.clone()),
        derived_at: Some(old.clone()),
    };
    p.h.ctx.repo.put(&task).await.unwrap();
    // (June had nothing to say under this catalogue, so no derivation wrote a record for it yet.)
    let mut record: Derivation =
        p.h.ctx
            .repo
            .get(&[("workspaceId", "ws1"), ("month", "2026-06")])
            .await
            .unwrap()
            .unwrap_or(Derivation {
                workspace_id: ws.clone(),
                month: june.clone(),
                watermark: old.clone(),
                content_hash: None,
                insight_ids: Vec::new(),
                task_ids: Vec::new(),
                runs: 1,
                derived_at: Some(old.clone()),
                catalogue: None,
            });
    record.catalogue = Some("1".into());
    record.insight_ids.push(stale.insight_id.to_string());
    p.h.ctx.repo.put(&record).await.unwrap();
    let july_record: Derivation =
        p.h.ctx
            .repo
            .get(&[("workspaceId", "ws1"), ("month", "2026-07")])
            .await
            .unwrap()
            .unwrap();

    // `creatoros replay months --workspace ws1 --since 2026-06`.
    let now = Day::from_date(time::OffsetDateTime::now_utc().date())
        .unwrap()
        .month();
    let months = backfill::months(&june, &now).unwrap();
    let all: Vec<(WorkspaceId, Month)> = months.iter().map(|m| (ws.clone(), m.clone())).collect();
    let queued = backfill::queue(
        &p.h.stack.sqs(),
        &p.h.made.queue_urls["InsightsQueue"],
        &all,
    )
    .await
    .unwrap();
    assert_eq!(queued, months.len());
    p.run_all().await;

    // June's stale insight is gone, its task retired (kept, closed), June records the catalogue.
    let tasks = p.of_month::<Task>("ws1", "2026-06").await;
    let retired = tasks
        .iter()
        .find(|t| t.task_id == task.task_id)
        .expect("the task is kept");
    assert_eq!(retired.status, TaskStatus::Retired);
    let record: Derivation =
        p.h.ctx
            .repo
            .get(&[("workspaceId", "ws1"), ("month", "2026-06")])
            .await
            .unwrap()
            .unwrap();
    assert_eq!(record.catalogue.as_deref(), Some(CATALOGUE_VERSION));
    // Everything else is exactly as the clean run left it: July's and later months' items untouched.
    let mut after = p.h.dump("ws1").await;
    after.retain(|item| item["taskId"] != task.task_id.as_str());
    let strip = |v: Vec<Value>| -> Vec<Value> {
        v.into_iter()
            .filter(|i| i["__edb_e__"] != "derivation")
            .collect()
    };
    let (after, clean) = (strip(after), strip(clean));
    let changed: Vec<String> = after
        .iter()
        .filter(|i| !clean.contains(i))
        .chain(clean.iter().filter(|i| !after.contains(i)))
        .map(|i| format!("{} {}", i["__edb_e__"], i["sk"]))
        .collect();
    assert!(
        changed.is_empty(),
        "items changed by the replay: {changed:?}"
    );
    let july_after: Derivation =
        p.h.ctx
            .repo
            .get(&[("workspaceId", "ws1"), ("month", "2026-07")])
            .await
            .unwrap()
            .unwrap();
    assert_eq!(
        july_after, july_record,
        "July was derived again and wrote nothing"
    );
}

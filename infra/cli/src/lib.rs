//! `creatoros`, the operator CLI: the same binary against the local stack and against AWS (standard credential
//! chain, `--profile`, `--region`; endpoints only from the environment, as `.local/stack/stack.env` sets them).
//! Resource names come from the environment too (`CREATOROS_TABLE`, `CREATOROS_BUCKET`, queue URLs): the local
//! bootstrap writes them, and on AWS they are the stack's outputs.

mod args;
pub mod backfill;
pub mod demo;
pub mod migrate;
pub mod purge;
pub mod redrive;
pub mod status;
mod upload;
mod views;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use args::{Cli, Command, Migrate, QueueName, Replay, StackAction, TaskState};
use creatoros_ingest::Ingest;
use creatoros_insights_worker::Insights;
use creatoros_model::contract::KeyCodec;
use creatoros_model::ids::{Month, WorkspaceId};
use creatoros_runtime::config;
use creatoros_store::TableRepo;

use creatoros_runners::pipeline::LocalPipeline;
use creatoros_stack::electrodb::ElectroDb;
use creatoros_stack::resources::Resources;
use creatoros_stack::{aws, bootstrap};

/// A failed command: one line, with its cause.
pub type CliError = Box<dyn std::error::Error>;

/// Runs the CLI; the caller prints the error as one line and exits non-zero.
pub async fn run() -> Result<(), CliError> {
    let cli = Cli::parse();
    let mut loader = creatoros_store::retry::sdk_config();
    if let Some(p) = &cli.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &cli.region {
        loader = loader.region(aws_config::Region::new(r.clone()));
    }
    let sdk = loader.load().await;
    match cli.command {
        Command::Stack { action } => stack(action),
        Command::Bootstrap { prefix, env_out } => {
            let made = bootstrap::bootstrap(
                &Resources::named(&prefix),
                &aws::dynamodb(&sdk),
                &aws::s3(&sdk),
                &aws::sqs(&sdk),
            )
            .await?;
            match env_out {
                Some(path) => {
                    std::fs::write(&path, made.env_lines())?;
                    println!("bootstrapped {prefix}: environment in {}", path.display());
                }
                None => print!("{}", made.env_lines()),
            }
            Ok(())
        }
        Command::Import {
            workspace,
            files,
            quiet,
        } => {
            let workspace = WorkspaceId::parse(&workspace)?;
            let bucket = config::required(config::ENV_BUCKET)?;
            let s3 = aws::s3(&sdk);
            for file in files {
                let key = upload::upload(&s3, &bucket, &workspace, &file, quiet).await?;
                println!("uploaded s3://{bucket}/{key}");
            }
            Ok(())
        }
        Command::Run {
            until_idle,
            quiet_secs,
            checkpoints,
        } => {
            let mut p = pipeline(&sdk, checkpoints).await?.with_daily_schedule();
            let quiet = if until_idle {
                Duration::from_secs(quiet_secs)
            } else {
                Duration::MAX
            };
            let t = p.run_until_idle(quiet, Duration::MAX).await?;
            println!(
                "idle: {} ingest batch(es), {} stream record(s) read ({} to the insights worker), {} insights batch(es)",
                t.ingest_batches, t.stream_records, t.stream_delivered, t.insights_batches
            );
            Ok(())
        }
        Command::Imports { workspace, json } => {
            let imports = views::imports(&repo(&sdk)?, &WorkspaceId::parse(&workspace)?).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&imports)?);
            } else {
                println!("{}", views::imports_table(&imports));
            }
            Ok(())
        }
        Command::Insights {
            workspace,
            month,
            json,
        } => {
            let (repo, workspace, month) = (
                repo(&sdk)?,
                WorkspaceId::parse(&workspace)?,
                Month::parse(&month)?,
            );
            let insights = views::insights(&repo, &workspace, &month).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&insights)?);
            } else {
                let lines = views::daily_engagement(&repo, &workspace, &month).await?;
                println!("{}", views::insights_table(&insights, &lines));
            }
            Ok(())
        }
        Command::Tasks {
            workspace,
            status,
            month,
            json,
        } => {
            let status = status.map(|s| match s {
                TaskState::Open => "open",
                TaskState::Done => "done",
                TaskState::Dismissed => "dismissed",
            });
            let month = month.map(|m| Month::parse(&m)).transpose()?;
            let tasks = views::tasks(
                &repo(&sdk)?,
                &WorkspaceId::parse(&workspace)?,
                status,
                month.as_ref(),
            )
            .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&tasks)?);
            } else {
                println!("{}", views::tasks_table(&tasks));
            }
            Ok(())
        }
        Command::Replay(replay) => replay_command(&sdk, replay).await,
        Command::Migrate(Migrate::Snapshots { workspace, yes }) => {
            let report = crate::migrate::snapshots(
                &repo(&sdk)?,
                &aws::s3(&sdk),
                &aws::sqs(&sdk),
                &config::required(config::ENV_INGEST_QUEUE_URL)?,
                &WorkspaceId::parse(&workspace)?,
                yes,
            )
            .await?;
            print!("{report}");
            if !yes && report.plan.items_replaced() > 0 {
                println!("(dry run: add --yes to carry it out)");
            }
            Ok(())
        }
        Command::Status {
            workspace,
            all_workspaces,
            json,
        } => {
            let repo = repo(&sdk)?;
            let workspaces = if all_workspaces {
                backfill::workspaces(repo.client(), repo.table()).await?
            } else {
                workspace
                    .iter()
                    .map(WorkspaceId::parse)
                    .collect::<Result<Vec<_>, _>>()?
            };
            let queues = [
                ("ingest", config::ENV_INGEST_QUEUE_URL),
                ("ingest-dlq", config::ENV_INGEST_DLQ_URL),
                ("insights", config::ENV_INSIGHTS_QUEUE_URL),
                ("insights-dlq", config::ENV_INSIGHTS_DLQ_URL),
            ]
            .into_iter()
            .map(|(name, env)| Ok((name, config::required(env)?)))
            .collect::<Result<Vec<_>, config::ConfigError>>()?;
            let status =
                crate::status::status(&aws::sqs(&sdk), &repo, &queues, &workspaces).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                print!("{status}");
                if status.needs_attention() {
                    println!(
                        "
needs attention: dead letters or stuck imports (see above)"
                    );
                }
            }
            Ok(())
        }
        Command::Purge { workspace, yes } => {
            let report = crate::purge::purge(
                &repo(&sdk)?,
                &aws::s3(&sdk),
                &config::required(config::ENV_BUCKET)?,
                &WorkspaceId::parse(&workspace)?,
                yes,
            )
            .await?;
            print!("{report}");
            if !yes {
                println!("(dry run: add --yes to delete)");
            }
            if !report.failed.is_empty() {
                return Err(format!(
                    "{} deletion(s) failed; run the purge again",
                    report.failed.len()
                )
                .into());
            }
            Ok(())
        }
        Command::Demo {
            samples,
            checkpoints,
        } => demo_command(&sdk, samples, checkpoints).await,
    }
}

fn repo(sdk: &aws_config::SdkConfig) -> Result<TableRepo, CliError> {
    Ok(TableRepo::new(
        aws::dynamodb(sdk),
        config::required(config::ENV_TABLE)?,
        KeyCodec::new(config::key_casing()?),
    ))
}

fn stack(action: StackAction) -> Result<(), CliError> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/stack.sh");
    let arg = match action {
        StackAction::Up => "up",
        StackAction::Down => "down",
        StackAction::Status => "status",
    };
    let status = std::process::Command::new("bash")
        .arg(&script)
        .arg(arg)
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} {arg} exited with {status}", script.display()).into())
    }
}

async fn replay_command(sdk: &aws_config::SdkConfig, replay: Replay) -> Result<(), CliError> {
    let sqs = aws::sqs(sdk);
    match replay {
        Replay::Import { key, bucket } => {
            let bucket = match bucket {
                Some(b) => b,
                None => config::required(config::ENV_BUCKET)?,
            };
            creatoros_model::imports::object_key::workspace_of(&key)?;
            let body =
                serde_json::json!({"type": "reingest", "bucket": bucket, "key": key}).to_string();
            let queue = config::required(config::ENV_INGEST_QUEUE_URL)?;
            sqs.send_message()
                .queue_url(&queue)
                .message_body(body)
                .send()
                .await
                .map_err(|e| e.into_service_error())?;
            println!("queued a reingest of s3://{bucket}/{key}");
        }
        Replay::Month { workspace, month } => {
            let body = creatoros_insights_worker::handler::rederive_body(
                &WorkspaceId::parse(&workspace)?,
                &Month::parse(&month)?,
            );
            let queue = config::required(config::ENV_INSIGHTS_QUEUE_URL)?;
            sqs.send_message()
                .queue_url(&queue)
                .message_body(body)
                .send()
                .await
                .map_err(|e| e.into_service_error())?;
            println!("queued a rederive of {workspace} {month}");
        }
        Replay::Months {
            workspace,
            all_workspaces,
            since,
        } => {
            let workspaces = match (workspace, all_workspaces) {
                (Some(w), _) => vec![WorkspaceId::parse(&w)?],
                (None, _) => {
                    backfill::workspaces(&aws::dynamodb(sdk), &config::required(config::ENV_TABLE)?)
                        .await?
                }
            };
            let now = creatoros_model::ids::Day::from_date(time::OffsetDateTime::now_utc().date())?
                .month();
            let months = backfill::months(&Month::parse(&since)?, &now).map_err(CliError::from)?;
            let all: Vec<(WorkspaceId, Month)> = workspaces
                .iter()
                .flat_map(|w| months.iter().map(move |m| (w.clone(), m.clone())))
                .collect();
            let queue = config::required(config::ENV_INSIGHTS_QUEUE_URL)?;
            let queued = backfill::queue(&sqs, &queue, &all).await?;
            println!(
                "queued {queued} rederive(s): {} workspace(s) × {} month(s) from {since}",
                workspaces.len(),
                months.len()
            );
        }
        Replay::Dlq { queue } => {
            let (dlq, source) = match queue {
                QueueName::Ingest => (config::ENV_INGEST_DLQ_URL, config::ENV_INGEST_QUEUE_URL),
                QueueName::Insights => {
                    (config::ENV_INSIGHTS_DLQ_URL, config::ENV_INSIGHTS_QUEUE_URL)
                }
            };
            let r =
                redrive::redrive(&sqs, &config::required(dlq)?, &config::required(source)?).await?;
            println!(
                "moved {} message(s) back to {}{}",
                r.moved,
                config::required(source)?,
                if r.not_sent + r.not_deleted > 0 {
                    format!(
                        " ({} not sent, {} sent but left in the dead-letter queue)",
                        r.not_sent, r.not_deleted
                    )
                } else {
                    String::new()
                }
            );
        }
    }
    Ok(())
}

/// Both workers and the three local event sources, from the environment.
async fn pipeline(
    sdk: &aws_config::SdkConfig,
    checkpoints: PathBuf,
) -> Result<LocalPipeline, CliError> {
    let mut ingest = Ingest::from_env(sdk)?;
    // Locally, a busy workspace or month is retried in seconds rather than Lambda's half minute, and a failed
    // message's backoff starts at a second (unless the environment says otherwise).
    ingest.settings.defer_delay = Duration::from_secs(2);
    let mut insights = Insights::from_env(sdk)?;
    insights.settings.defer_delay = Duration::from_secs(2);
    if std::env::var_os(config::ENV_RETRY_BASE_SECONDS).is_none() {
        ingest.settings.retry_base = Duration::from_secs(1);
        insights.settings.retry_base = Duration::from_secs(1);
    }
    if std::env::var_os(config::ENV_RETRY_MAX_SECONDS).is_none() {
        ingest.settings.retry_max = Duration::from_secs(4);
        insights.settings.retry_max = Duration::from_secs(4);
    }
    let dlq = config::required(config::ENV_INSIGHTS_DLQ_URL).ok();
    if let Some(dir) = checkpoints.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    Ok(LocalPipeline::new(sdk, ingest, insights, dlq, Some(checkpoints)).await?)
}

async fn demo_command(
    sdk: &aws_config::SdkConfig,
    samples: PathBuf,
    checkpoints: PathBuf,
) -> Result<(), CliError> {
    let table = config::required(config::ENV_TABLE)?;
    let bucket = config::required(config::ENV_BUCKET)?;
    let casing = config::key_casing()?;
    let repo = TableRepo::new(aws::dynamodb(sdk), &table, KeyCodec::new(casing));
    let electrodb = ElectroDb::new(&table, casing);
    println!("CreatorOS demo on the local stack: table {table}, bucket {bucket}, key casing {casing:?}\n");

    println!(
        "1. The app's side: a planned workspace DEMO#judge, written through the Rust repository"
    );
    let planned = demo::planned_documents("DEMO#judge");
    for line in demo::write_documents(&repo, &planned).await? {
        println!("     {line}");
    }
    let (report, ok) = demo::read_back(&electrodb, &planned).await?;
    if !ok {
        print!("{report}");
        return Err("ElectroDB did not read back exactly what was written".into());
    }
    println!(
        "     ElectroDB (core/model/electrodb/model.mjs) reads every item back through every index"
    );

    let workspaces = demo::upload_samples(&aws::s3(sdk), &bucket, &samples).await?;
    println!(
        "\n2. Uploaded the exports in {} to s3://{bucket}/imports/<workspace>/",
        samples.canonicalize().unwrap_or(samples).display()
    );

    let mut p = pipeline(sdk, checkpoints).await?;
    let started = std::time::Instant::now();
    let t = p
        .run_until_idle(Duration::from_secs(2), Duration::from_secs(600))
        .await?;
    println!(
        "\n3. Both workers (the Lambda handlers, run by the local event-source runners) went idle after {:.1} s:\n   \
         {} ingest batch(es); {} stream record(s) read, {} of them changed metrics and reached the insights worker",
        started.elapsed().as_secs_f64(),
        t.ingest_batches,
        t.stream_records,
        t.stream_delivered
    );
    println!("\n4. Imports and metrics");
    print!(
        "{}",
        demo::report_imports(&repo, &electrodb, &workspaces).await?
    );
    println!("\n5. Insights and open tasks, derived when the imports finished");
    print!(
        "{}",
        demo::report_insights(&repo, &electrodb, &workspaces).await?
    );
    println!(
        "\nWhere to look next (with `. .local/stack/stack.env; . .local/stack/demo.env`):\n  \
         cargo run -q -p creatoros-cli --bin creatoros -- imports --workspace DEMO#judge\n  \
         cargo run -q -p creatoros-cli --bin creatoros -- insights --workspace DEMO#judge --month 2026-07\n  \
         cargo run -q -p creatoros-cli --bin creatoros -- tasks --workspace DEMO#judge --status open\n  \
         upload your own: creatoros import --workspace DEMO#judge my.csv && creatoros run --until-idle"
    );
    Ok(())
}

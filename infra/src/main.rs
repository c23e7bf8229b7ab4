//! `creatoros`: the operator CLI. Bootstraps resources on the configured endpoints, runs both workers on the local
//! stack, and runs the demo.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use creatoros_core::config;
use creatoros_core::contract::KeyCodec;
use creatoros_core::repo::TableRepo;
use creatoros_infra::pipeline::LocalPipeline;
use creatoros_infra::{aws, bootstrap, demo, electrodb::ElectroDb, resources::Resources};
use creatoros_ingest::Ingest;
use creatoros_insights_worker::Insights;

#[derive(Parser)]
#[command(name = "creatoros", about = "CreatorOS pipeline operator CLI", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create (or check) the table, bucket, queues and notification; print or write their environment.
    Bootstrap {
        /// Name prefix of every resource.
        #[arg(long, default_value = "creatoros")]
        prefix: String,
        /// Write `export` lines for the workers and tests to this file.
        #[arg(long)]
        env_out: Option<PathBuf>,
    },
    /// Run both workers on the local stack (the ingest queue, the table's stream, the insights queue, as
    /// Lambda's event source mappings would) until nothing happens for a moment.
    ///
    /// Example: `creatoros run --quiet-secs 3`
    Run {
        /// Stop after the pipeline has been quiet this long.
        #[arg(long, default_value_t = 3)]
        quiet_secs: u64,
        /// Give up after this long.
        #[arg(long, default_value_t = 600)]
        limit_secs: u64,
        /// Where the stream position is kept between runs.
        #[arg(long, default_value = ".local/stack/stream-checkpoints.json")]
        checkpoints: PathBuf,
    },
    /// Plan a workspace, upload the samples, ingest them, and print the imports and what ElectroDB reads.
    Demo {
        /// Folder with one sub-folder of exports per workspace.
        #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../samples"))]
        samples: PathBuf,
        /// Where the stream position is kept between runs.
        #[arg(long, default_value = ".local/stack/stream-checkpoints.json")]
        checkpoints: PathBuf,
    },
}

/// Both workers and the three local event sources, from the environment.
async fn pipeline(
    sdk: &aws_config::SdkConfig,
    checkpoints: PathBuf,
) -> Result<LocalPipeline, Box<dyn std::error::Error>> {
    let mut ingest = Ingest::from_env(sdk)?;
    // Locally, a busy workspace or month is retried in seconds rather than Lambda's half minute.
    ingest.settings.defer_delay = Duration::from_secs(2);
    let mut insights = Insights::from_env(sdk)?;
    insights.settings.defer_delay = Duration::from_secs(2);
    let dlq = config::required(config::ENV_INSIGHTS_DLQ_URL).ok();
    if let Some(dir) = checkpoints.parent() {
        std::fs::create_dir_all(dir)?;
    }
    Ok(LocalPipeline::new(sdk, ingest, insights, dlq, Some(checkpoints)).await?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let sdk = aws::load().await;
    match Cli::parse().command {
        Command::Bootstrap { prefix, env_out } => {
            let resources = Resources::named(&prefix);
            let made = bootstrap::bootstrap(
                &resources,
                &aws::dynamodb(&sdk),
                &aws::s3(&sdk),
                &aws::sqs(&sdk),
            )
            .await?;
            let lines = made.env_lines();
            match env_out {
                Some(path) => {
                    std::fs::write(&path, &lines)?;
                    println!("bootstrapped {prefix}: environment in {}", path.display());
                }
                None => print!("{lines}"),
            }
        }
        Command::Run {
            quiet_secs,
            limit_secs,
            checkpoints,
        } => {
            let mut pipeline = pipeline(&sdk, checkpoints).await?;
            let t = pipeline
                .run_until_idle(
                    Duration::from_secs(quiet_secs),
                    Duration::from_secs(limit_secs),
                )
                .await?;
            println!(
                "idle: {} ingest batch(es), {} stream record(s) read ({} to the insights worker), {} insights batch(es)",
                t.ingest_batches, t.stream_records, t.stream_delivered, t.insights_batches
            );
        }
        Command::Demo {
            samples,
            checkpoints,
        } => {
            let table = config::required(config::ENV_TABLE)?;
            let bucket = config::required(config::ENV_BUCKET)?;
            let casing = config::key_casing()?;
            let repo = TableRepo::new(aws::dynamodb(&sdk), &table, KeyCodec::new(casing));
            let electrodb = ElectroDb::new(&table, casing);
            println!("CreatorOS demo on the local stack: table {table}, bucket {bucket}, key casing {casing:?}\n");

            println!("1. The app's side: a planned workspace DEMO#judge, written through the Rust repository");
            let planned = demo::planned_documents("DEMO#judge");
            for line in demo::write_documents(&repo, &planned).await? {
                println!("     {line}");
            }
            let (report, ok) = demo::read_back(&electrodb, &planned).await?;
            if !ok {
                print!("{report}");
                return Err("ElectroDB did not read back exactly what was written".into());
            }
            println!("     ElectroDB (core/electrodb/model.mjs) reads every item back through every index");

            let workspaces = demo::upload_samples(&aws::s3(&sdk), &bucket, &samples).await?;
            println!(
                "\n2. Uploaded the exports in {} to s3://{bucket}/imports/<workspace>/",
                samples.display()
            );

            let mut pipeline = pipeline(&sdk, checkpoints).await?;
            let started = std::time::Instant::now();
            let t = pipeline
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
            println!("\nNext: `creatoros run` ingests whatever you upload (`aws s3 cp --endpoint-url $AWS_ENDPOINT_URL_S3 \
                      my.csv \"s3://{bucket}/imports/DEMO#judge/\"`).");
        }
    }
    Ok(())
}

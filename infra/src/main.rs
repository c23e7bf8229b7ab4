//! `creatoros`: the operator CLI. Bootstraps resources on the configured endpoints and runs the demo.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use creatoros_core::config;
use creatoros_core::contract::KeyCodec;
use creatoros_core::repo::TableRepo;
use creatoros_infra::{aws, bootstrap, demo, electrodb::ElectroDb, resources::Resources};

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
    /// Write a small workspace through the repository and print what ElectroDB reads back.
    Demo {
        /// Workspace to write.
        #[arg(long, default_value = "DEMO#judge")]
        workspace: String,
        /// Month of the sample data.
        #[arg(long, default_value = "2026-10")]
        month: String,
    },
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
        Command::Demo { workspace, month } => {
            let table = config::required(config::ENV_TABLE)?;
            let casing = config::key_casing()?;
            let repo = TableRepo::new(aws::dynamodb(&sdk), &table, KeyCodec::new(casing));
            let documents = demo::sample_documents(&workspace, &month);
            println!("CreatorOS demo: workspace {workspace}, month {month}, table {table}, key casing {casing:?}");
            println!("\nWrote through the Rust repository:");
            for line in demo::write_documents(&repo, &documents).await? {
                println!("  {line}");
            }
            println!(
                "\nElectroDB (core/electrodb/model.mjs) reads back, one partition query per index:"
            );
            let (report, ok) = demo::read_back(&ElectroDb::new(&table, casing), &documents).await?;
            print!("{report}");
            if !ok {
                return Err("ElectroDB did not read back exactly what was written".into());
            }
            println!(
                "\nEvery item written by Rust was read back by ElectroDB through every index."
            );
        }
    }
    Ok(())
}

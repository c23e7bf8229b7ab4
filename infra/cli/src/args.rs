//! The command line as clap reads it: global options, every subcommand and its arguments, with the help text
//! `creatoros --help` prints. What each command does is in the crate root.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "creatoros",
    version,
    about = "CreatorOS pipeline operator CLI: imports, insights, tasks and replays"
)]
pub(crate) struct Cli {
    /// AWS profile (else the standard credential chain).
    #[arg(long, global = true)]
    pub(crate) profile: Option<String>,
    /// AWS region (else `AWS_REGION` or the profile's).
    #[arg(long, global = true)]
    pub(crate) region: Option<String>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Start, stop or inspect the local stack (DynamoDB Local and moto).
    ///
    /// Example: `creatoros stack up`, then `. .local/stack/stack.env`
    Stack {
        #[arg(value_enum)]
        action: StackAction,
    },
    /// Create (or check) the table, bucket, queues and notification; print or write their environment.
    ///
    /// Example: `creatoros bootstrap --env-out .local/stack/demo.env`
    Bootstrap {
        /// Name prefix of every resource.
        #[arg(long, default_value = "creatoros")]
        prefix: String,
        /// Write `export` lines for the workers and tests to this file.
        #[arg(long)]
        env_out: Option<PathBuf>,
    },
    /// Upload export files for a workspace (they are ingested through the bucket's notification).
    ///
    /// Example: `creatoros import --workspace DEMO#judge "Table data.csv" tweets.csv`
    Import {
        /// The workspace the files belong to.
        #[arg(long)]
        workspace: String,
        /// Files to upload.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// No progress bars.
        #[arg(long)]
        quiet: bool,
    },
    /// Run both workers locally (ingest queue, the table's stream, insights queue), as Lambda's mappings would.
    ///
    /// Example: `creatoros run --until-idle`
    Run {
        /// Return once nothing has happened for `--quiet-secs` (otherwise run until interrupted).
        #[arg(long)]
        until_idle: bool,
        /// Quiet period for `--until-idle`.
        #[arg(long, default_value_t = 3)]
        quiet_secs: u64,
        /// Where the stream position is kept between runs.
        #[arg(long, default_value = ".local/stack/stream-checkpoints.json")]
        checkpoints: PathBuf,
    },
    /// A workspace's imports: status, counts, and why rows were rejected.
    ///
    /// Example: `creatoros imports --workspace DEMO#judge --json`
    Imports {
        /// The workspace.
        #[arg(long)]
        workspace: String,
        /// JSON for scripts instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// A workspace month's insights, with each platform's daily engagement.
    ///
    /// Example: `creatoros insights --workspace DEMO#judge --month 2026-07`
    Insights {
        /// The workspace.
        #[arg(long)]
        workspace: String,
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
        /// JSON for scripts instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// A workspace's tasks.
    ///
    /// Example: `creatoros tasks --workspace DEMO#judge --status open`
    Tasks {
        /// The workspace.
        #[arg(long)]
        workspace: String,
        /// Only tasks in this state.
        #[arg(long, value_enum)]
        status: Option<TaskState>,
        /// Only tasks of this month, YYYY-MM.
        #[arg(long)]
        month: Option<String>,
        /// JSON for scripts instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Put things right through the queues, with the same workers and guarantees.
    #[command(subcommand)]
    Replay(Replay),
    /// Bring a table written by an earlier version up to the current contract.
    #[command(subcommand)]
    Migrate(Migrate),
    /// Queue backlogs, dead letters, and imports by state (stuck ones named), for the local stack or a deployed one.
    ///
    /// Example: `creatoros status --workspace DEMO#judge`, or `--all-workspaces` (one table scan), `--json`.
    Status {
        /// Workspaces whose imports to show.
        #[arg(long, conflicts_with = "all_workspaces")]
        workspace: Vec<String>,
        /// Every workspace in the table (found by one scan).
        #[arg(long)]
        all_workspaces: bool,
        /// JSON for scripts instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Remove a workspace's data: every item of its table partition and every object version under
    /// `imports/<workspace>/` and `rejects/<workspace>/` (a dry run that only counts, without `--yes`).
    ///
    /// Example: `creatoros purge --workspace DEMO#judge --yes`
    Purge {
        /// The workspace.
        #[arg(long)]
        workspace: String,
        /// Delete (without it, only count).
        #[arg(long)]
        yes: bool,
    },
    /// The end-to-end demo behind `make demo`.
    Demo {
        /// Folder with one sub-folder of exports per workspace.
        #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../samples"))]
        samples: PathBuf,
        /// Where the stream position is kept between runs.
        #[arg(long, default_value = ".local/stack/stream-checkpoints.json")]
        checkpoints: PathBuf,
    },
}

#[derive(Subcommand)]
pub(crate) enum Replay {
    /// Ingest an object again (a `reingest` message on the ingest queue).
    ///
    /// Example: `creatoros replay import "imports/DEMO#judge/tweets.csv"`
    Import {
        /// The object key (plain, not URL-encoded).
        key: String,
        /// The bucket (default: `CREATOROS_BUCKET`).
        #[arg(long)]
        bucket: Option<String>,
    },
    /// Derive a month again (a `rederive` message on the insights queue).
    ///
    /// Example: `creatoros replay month --workspace DEMO#judge --month 2026-07`
    Month {
        /// The workspace.
        #[arg(long)]
        workspace: String,
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
    },
    /// Derive every month since `--since` again, for one workspace or all (after a catalogue change).
    ///
    /// Example: `creatoros replay months --workspace DEMO#judge --since 2026-01`, or `--all-workspaces`.
    Months {
        /// The workspace.
        #[arg(
            long,
            required_unless_present = "all_workspaces",
            conflicts_with = "all_workspaces"
        )]
        workspace: Option<String>,
        /// Every workspace in the table (found by one scan).
        #[arg(long)]
        all_workspaces: bool,
        /// The first month, YYYY-MM; every month up to the current one follows.
        #[arg(long)]
        since: String,
    },
    /// Move every message of a dead-letter queue back to its source queue.
    ///
    /// Example: `creatoros replay dlq ingest`
    Dlq {
        #[arg(value_enum)]
        queue: QueueName,
    },
}

#[derive(Subcommand)]
pub(crate) enum Migrate {
    /// Replace the first version's publish-dated metric items with snapshots dated honestly: each run ingests
    /// again the objects that need it and deletes the old items of those already ingested again; run it until
    /// nothing is left (a dry run without `--yes`).
    ///
    /// Example: `creatoros migrate snapshots --workspace DEMO#judge --yes`
    Snapshots {
        /// The workspace.
        #[arg(long)]
        workspace: String,
        /// Carry the plan out (without it, only report).
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum StackAction {
    Up,
    Down,
    Status,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum TaskState {
    Open,
    Done,
    Dismissed,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum QueueName {
    Ingest,
    Insights,
}

//! One object's import, start to finish or to a checkpoint: claim the import record, stream the object through
//! the reader on a blocking thread, write metrics and rejected rows chunk by chunk, checkpoint, and either finish
//! or hand over to a continuation message when the invocation runs short of time.
//!
//! Guarantees:
//! - the import id comes from the object identity, so duplicate deliveries find it done and do nothing;
//! - the workspace lock (batch mode) and the record's lease keep two workers off one import at a time;
//! - everything written before a checkpoint is durable before the checkpoint is saved, so a crash or a
//!   continuation re-reads at most one stretch, and re-writing it is idempotent;
//! - the result is the same however many invocations it takes.

mod lease;
mod process;
mod reader;

use std::time::Instant;

use aws_sdk_sqs::error::DisplayErrorContext;
use tracing::{info, warn};

use creatoros_formats::FileError;
use creatoros_model::entities::{Import, ImportStatus};
use creatoros_model::ids::{ItemId, WorkspaceId};
use creatoros_model::imports::import_id::import_id;
use creatoros_model::imports::object_key::workspace_of;
use creatoros_store::RepoError;

use crate::context::Ingest;
use crate::lock::{self, Taken};
use crate::message::{CommandBody, ObjectRef};
use crate::rejects_store::RejectsStore;
use crate::source::{self, ObjectInfo, SourceError};
use crate::writer::WriteMode;
use lease::{claim, now, owner_id, save, Claim};
use process::{process, End};

/// How an import was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// A notification: do it unless it is done.
    New,
    /// An operator's `reingest`: do it again even if it is done.
    Again,
    /// A continuation of this import.
    Continue(String),
}

/// What became of the import in this invocation (every variant means the message is handled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It reached a final state now.
    Finished {
        /// The import.
        import_id: String,
        /// Its final state.
        status: ImportStatus,
        /// Rows written in all (every invocation of the import).
        rows_written: u64,
        /// Rows refused in all.
        rows_rejected: u64,
    },
    /// A duplicate delivery: the import was already final.
    AlreadyDone(String),
    /// Out of time: checkpointed and a continuation message was sent.
    Continued(String),
    /// The workspace is busy with another import; the message was sent again with a delay.
    Deferred,
    /// The object is gone or was replaced; the newer version has its own notification.
    Superseded,
    /// The key cannot be ingested (outside `imports/<workspace>/`); logged, nothing written.
    Refused(String),
}

/// The import did not finish in this invocation. Retryable errors send the message back to the queue; the
/// others are recorded on the import as its failure (see [`ImportError::is_retryable`]).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// DynamoDB failed (throttling past the cap, network, 5xx; or refused the request).
    #[error(transparent)]
    Table(#[from] RepoError),
    /// S3 failed (transiently, or refused).
    #[error(transparent)]
    Source(#[from] SourceError),
    /// Reading the stream failed transiently.
    #[error("{0}")]
    Read(String),
    /// SQS refused the continuation or deferral.
    #[error("sending to the ingest queue failed: {0}")]
    Queue(String),
}

impl ImportError {
    /// True when a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            ImportError::Table(e) => e.is_retryable(),
            ImportError::Source(e) => e.is_retryable(),
            ImportError::Read(_) | ImportError::Queue(_) => true,
        }
    }
}

/// Runs (or continues) the import of `object`. `body` is the message it came in, re-sent when deferring.
pub async fn run(
    ctx: &Ingest,
    object: &ObjectRef,
    request: Request,
    body: &str,
    deadline: Instant,
) -> Result<Outcome, ImportError> {
    let workspace = match workspace_of(&object.key) {
        Ok(w) => w,
        Err(e) => {
            warn!(bucket = %object.bucket, key = %object.key, error = %e, "refused object key");
            return Ok(Outcome::Refused(e.to_string()));
        }
    };
    let info = match source::head(&ctx.s3, object).await {
        Ok(info) => info,
        Err(SourceError::Gone { .. }) => {
            info!(bucket = %object.bucket, key = %object.key, "object gone; nothing to import");
            return Ok(Outcome::Superseded);
        }
        Err(e) if e.is_retryable() => return Err(e.into()),
        Err(e) => {
            warn!(error = %e, "object refused by S3");
            return Ok(Outcome::Refused(e.to_string()));
        }
    };
    if object.etag.as_deref().is_some_and(|e| e != info.etag) {
        info!(key = %object.key, "object replaced since this notification; its own notification covers it");
        return Ok(Outcome::Superseded);
    }
    let id = import_id(
        &info.bucket,
        &info.key,
        info.version_id.as_deref(),
        Some(&info.etag),
    );
    // Every log line of the import from here on carries its id at the top level (the handler's span declares it).
    tracing::Span::current().record("importId", id.as_str());
    if let Request::Continue(wanted) = &request {
        if wanted != id.as_str() {
            return Ok(Outcome::Superseded);
        }
    }
    let owner = owner_id();
    if ctx.settings.write_mode == WriteMode::Batch {
        match lock::take(
            &ctx.repo,
            &workspace,
            &owner,
            id.as_str(),
            ctx.settings.lease,
        )
        .await?
        {
            Taken::Held => {}
            Taken::Busy { until, holder } => {
                info!(%workspace, %until, ?holder, "workspace busy; deferring");
                defer(ctx, body).await?;
                return Ok(Outcome::Deferred);
            }
        }
    }
    let job = Job {
        ctx,
        workspace: &workspace,
        info: &info,
        id: &id,
        body,
        owner: &owner,
        deadline,
    };
    let result = run_claimed(&job, request).await;
    if ctx.settings.write_mode == WriteMode::Batch {
        lock::release(&ctx.repo, &workspace, &owner).await;
    }
    result
}

/// Sends `body` back to the ingest queue with the deferral delay.
async fn defer(ctx: &Ingest, body: &str) -> Result<(), ImportError> {
    ctx.sqs
        .send_message()
        .queue_url(&ctx.settings.ingest_queue_url)
        .message_body(body)
        .delay_seconds(ctx.settings.defer_delay.as_secs().min(900) as i32)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| ImportError::Queue(DisplayErrorContext(e).to_string()))
}

/// One invocation's work on one import: which object, under which owner, until when.
struct Job<'a> {
    ctx: &'a Ingest,
    workspace: &'a WorkspaceId,
    info: &'a ObjectInfo,
    id: &'a ItemId,
    /// The message it came in, re-sent when deferring.
    body: &'a str,
    owner: &'a str,
    deadline: Instant,
}

/// Claims the record, runs the import, and settles the record for how the run ended.
async fn run_claimed(job: &Job<'_>, request: Request) -> Result<Outcome, ImportError> {
    let ctx = job.ctx;
    let mut record = match claim(ctx, job.workspace, job.info, job.id, &request, job.owner).await? {
        Claim::Ready(record) => *record,
        Claim::Done => return Ok(Outcome::AlreadyDone(job.id.to_string())),
        Claim::Busy => {
            defer(ctx, job.body).await?;
            return Ok(Outcome::Deferred);
        }
    };
    match process(ctx, &mut record, job.info, job.owner, job.deadline).await {
        Ok(End::OutOfTime) => hand_over(job, &mut record).await,
        Ok(End::LostLease) => Ok(Outcome::Deferred),
        Ok(End::Finished { error, header }) => finish(job, &mut record, error, &header).await,
        Err(e) if e.is_retryable() => {
            lease::hand_back(ctx, &record).await;
            Err(e)
        }
        Err(e) => {
            // Retrying cannot help (S3 or DynamoDB refused a request): record why and stop here.
            warn!(import = %job.id, error = %e, "import failed permanently");
            record.status = ImportStatus::Failed;
            record.failure = Some(e.to_string());
            record.checkpoint = None;
            record.lease_owner = None;
            record.lease_expires_at = None;
            record.finished_at = Some(now());
            save(ctx, &mut record).await?;
            Ok(finished(&record))
        }
    }
}

/// Out of time: the lease lapses now and a continuation message takes over (or a retry of this message does).
async fn hand_over(job: &Job<'_>, record: &mut Import) -> Result<Outcome, ImportError> {
    record.lease_owner = None;
    record.lease_expires_at = None;
    save(job.ctx, record).await?;
    let continuation = CommandBody::Continue {
        bucket: job.info.bucket.clone(),
        key: job.info.key.clone(),
        import_id: job.id.to_string(),
        etag: Some(job.info.etag.clone()),
    };
    job.ctx
        .sqs
        .send_message()
        .queue_url(&job.ctx.settings.ingest_queue_url)
        .message_body(serde_json::to_string(&continuation).expect("serializable"))
        .send()
        .await
        .map_err(|e| ImportError::Queue(DisplayErrorContext(e).to_string()))?;
    info!(import = %job.id, line = record.checkpoint.as_ref().map_or(0, |c| c.line), "continuing in a new invocation");
    Ok(Outcome::Continued(job.id.to_string()))
}

/// Read to the end (or to a permanent file error): the rejects file is completed and the record made final.
async fn finish(
    job: &Job<'_>,
    record: &mut Import,
    file_error: Option<FileError>,
    header: &[String],
) -> Result<Outcome, ImportError> {
    let rejects = RejectsStore::new(
        job.ctx.s3.clone(),
        &job.info.bucket,
        job.workspace.as_str(),
        job.id.as_str(),
    );
    record.rejects_key = rejects.finish(header).await?;
    record.checkpoint = None;
    record.status = final_status(record, file_error.as_ref());
    if let Some(e) = &file_error {
        record.failure = Some(e.to_string());
    } else if record.rows_seen == 0 {
        record.failure = Some("the file has a header but no data rows".to_owned());
    } else if record.rows_written == 0 {
        record.failure = Some("no row was valid; see errors".to_owned());
    }
    record.lease_owner = None;
    record.lease_expires_at = None;
    record.finished_at = Some(now());
    save(job.ctx, record).await?;
    info!(import = %job.id, status = ?record.status, seen = record.rows_seen, written = record.rows_written,
          rejected = record.rows_rejected, "import finished");
    Ok(finished(record))
}

/// The outcome of a record made final.
fn finished(record: &Import) -> Outcome {
    Outcome::Finished {
        import_id: record.import_id.to_string(),
        status: record.status,
        rows_written: record.rows_written,
        rows_rejected: record.rows_rejected,
    }
}

/// The final state of a record read to the end: nothing written is a failure, anything refused is partial.
fn final_status(record: &Import, file_error: Option<&FileError>) -> ImportStatus {
    if record.rows_written == 0 {
        ImportStatus::Failed
    } else if record.rows_rejected > 0 || file_error.is_some() {
        ImportStatus::Partial
    } else {
        ImportStatus::Completed
    }
}

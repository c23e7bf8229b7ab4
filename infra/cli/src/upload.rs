//! `creatoros import`: uploads export files under `imports/<workspace>/`, with a progress bar; files over 16 MiB go
//! up as multipart uploads in 8 MiB parts (a failed multipart upload is aborted, never left half done).

use std::path::Path;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use creatoros_model::ids::WorkspaceId;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::io::AsyncReadExt;

const MULTIPART_ABOVE: u64 = 16 * 1024 * 1024;
const PART: usize = 8 * 1024 * 1024;

/// The key an upload of `file` for `workspace` gets.
pub fn key_for(workspace: &WorkspaceId, file: &Path) -> Result<String, String> {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("{}: not a file name", file.display()))?;
    Ok(format!("imports/{workspace}/{name}"))
}

/// Uploads one file; returns its key.
pub async fn upload(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    workspace: &WorkspaceId,
    file: &Path,
    quiet: bool,
) -> Result<String, String> {
    let key = key_for(workspace, file)?;
    let size = tokio::fs::metadata(file)
        .await
        .map_err(|e| format!("{}: {e}", file.display()))?
        .len();
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(size)
    };
    bar.set_style(
        ProgressStyle::with_template("{msg:40!} {bar:30} {bytes}/{total_bytes} {bytes_per_sec}")
            .expect("valid template"),
    );
    bar.set_message(
        file.file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned(),
    );
    let s3_err = |e: &dyn std::fmt::Display| {
        format!(
            "upload of {} to s3://{bucket}/{key} failed: {e}",
            file.display()
        )
    };
    if size <= MULTIPART_ABOVE {
        let body = tokio::fs::read(file)
            .await
            .map_err(|e| format!("{}: {e}", file.display()))?;
        s3.put_object()
            .bucket(bucket)
            .key(&key)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| s3_err(&creatoros_runtime::errors::chain(&e)))?;
        bar.inc(size);
    } else {
        let upload = s3
            .create_multipart_upload()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| s3_err(&creatoros_runtime::errors::chain(&e)))?;
        let id = upload.upload_id().unwrap_or_default().to_owned();
        let parts: Result<Vec<CompletedPart>, String> = async {
            let mut f = tokio::fs::File::open(file)
                .await
                .map_err(|e| format!("{}: {e}", file.display()))?;
            let mut parts = Vec::new();
            loop {
                let mut buf = Vec::with_capacity(PART);
                (&mut f)
                    .take(PART as u64)
                    .read_to_end(&mut buf)
                    .await
                    .map_err(|e| format!("{}: {e}", file.display()))?;
                if buf.is_empty() {
                    return Ok(parts);
                }
                let n = buf.len() as u64;
                let number = parts.len() as i32 + 1;
                let out = s3
                    .upload_part()
                    .bucket(bucket)
                    .key(&key)
                    .upload_id(&id)
                    .part_number(number)
                    .body(ByteStream::from(buf))
                    .send()
                    .await
                    .map_err(|e| s3_err(&creatoros_runtime::errors::chain(&e)))?;
                parts.push(
                    CompletedPart::builder()
                        .part_number(number)
                        .set_e_tag(out.e_tag)
                        .build(),
                );
                bar.inc(n);
            }
        }
        .await;
        match parts {
            Ok(parts) => {
                s3.complete_multipart_upload()
                    .bucket(bucket)
                    .key(&key)
                    .upload_id(&id)
                    .multipart_upload(
                        CompletedMultipartUpload::builder()
                            .set_parts(Some(parts))
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| s3_err(&creatoros_runtime::errors::chain(&e)))?;
            }
            Err(e) => {
                let _ = s3
                    .abort_multipart_upload()
                    .bucket(bucket)
                    .key(&key)
                    .upload_id(&id)
                    .send()
                    .await;
                return Err(e);
            }
        }
    }
    bar.finish();
    Ok(key)
}

//! Rejected rows in S3: written in parts while an import runs (one part per checkpoint, named by the line it
//! starts at, so a re-run after a crash overwrites rather than duplicates), then joined into
//! `rejects/<workspaceId>/<importId>.csv` when the import ends.

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};
use tracing::warn;

use creatoros_formats::rejects::RejectsWriter;
use creatoros_model::imports::object_key::REJECTS_PREFIX;

use crate::source::SourceError;

/// Where an import's rejected rows go.
#[derive(Debug, Clone)]
pub struct RejectsStore {
    s3: aws_sdk_s3::Client,
    bucket: String,
    /// `rejects/<workspaceId>/<importId>`
    stem: String,
}

/// Parts larger than this are joined with a multipart upload instead of in memory.
const IN_MEMORY_LIMIT: usize = 32 * 1024 * 1024;
/// Multipart part size (S3's minimum is 5 MiB).
const PART_SIZE: usize = 8 * 1024 * 1024;

fn failed(bucket: &str, key: &str, e: impl std::fmt::Display) -> SourceError {
    SourceError::Transient {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        message: e.to_string(),
    }
}

impl RejectsStore {
    /// The store for one import.
    pub fn new(s3: aws_sdk_s3::Client, bucket: &str, workspace: &str, import_id: &str) -> Self {
        Self {
            s3,
            bucket: bucket.to_owned(),
            stem: format!("{REJECTS_PREFIX}{workspace}/{import_id}"),
        }
    }

    /// The final file's key.
    pub fn final_key(&self) -> String {
        format!("{}.csv", self.stem)
    }

    /// Uploads the rows of one stretch of the file (no header) as a part named by its first line.
    pub async fn put_part(
        &self,
        first_line: u64,
        rows: RejectsWriter<Vec<u8>>,
    ) -> Result<(), SourceError> {
        if rows.rows() == 0 {
            return Ok(());
        }
        let key = format!("{}/part-{first_line:012}.csv", self.stem);
        let body = rows.finish().map_err(|e| failed(&self.bucket, &key, e))?;
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type("text/csv; charset=utf-8")
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| failed(&self.bucket, &key, DisplayErrorContext(e)))?;
        Ok(())
    }

    async fn parts(&self) -> Result<Vec<(String, usize)>, SourceError> {
        let prefix = format!("{}/part-", self.stem);
        let mut pages = self
            .s3
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&prefix)
            .into_paginator()
            .send();
        let mut parts = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| failed(&self.bucket, &prefix, DisplayErrorContext(e)))?;
            for o in page.contents() {
                if let Some(k) = o.key() {
                    parts.push((k.to_owned(), o.size().unwrap_or(0).max(0) as usize));
                }
            }
        }
        parts.sort();
        Ok(parts)
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, SourceError> {
        let out = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| failed(&self.bucket, key, DisplayErrorContext(e)))?;
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| failed(&self.bucket, key, e))?;
        Ok(bytes.into_bytes().to_vec())
    }

    /// Joins the parts under `header` into the final file and deletes them; `None` when nothing was rejected.
    pub async fn finish(&self, header: &[String]) -> Result<Option<String>, SourceError> {
        let parts = self.parts().await?;
        if parts.is_empty() {
            return Ok(None);
        }
        let head = RejectsWriter::new(Vec::new(), Some(header))
            .map_err(|e| failed(&self.bucket, &self.final_key(), e))?
            .finish()
            .map_err(|e| failed(&self.bucket, &self.final_key(), e))?;
        let total: usize = head.len() + parts.iter().map(|(_, n)| n).sum::<usize>();
        let key = self.final_key();
        if total <= IN_MEMORY_LIMIT {
            let mut body = head;
            for (part, _) in &parts {
                body.extend(self.get(part).await?);
            }
            self.s3
                .put_object()
                .bucket(&self.bucket)
                .key(&key)
                .content_type("text/csv; charset=utf-8")
                .body(ByteStream::from(body))
                .send()
                .await
                .map_err(|e| failed(&self.bucket, &key, DisplayErrorContext(e)))?;
        } else {
            self.multipart(&key, head, &parts).await?;
        }
        self.delete_parts(&parts).await;
        Ok(Some(key))
    }

    /// Streams the parts into one multipart upload, `PART_SIZE` at a time.
    async fn multipart(
        &self,
        key: &str,
        head: Vec<u8>,
        parts: &[(String, usize)],
    ) -> Result<(), SourceError> {
        let upload = self
            .s3
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type("text/csv; charset=utf-8")
            .send()
            .await
            .map_err(|e| failed(&self.bucket, key, DisplayErrorContext(e)))?;
        let id = upload.upload_id().unwrap_or_default().to_owned();
        let result: Result<Vec<CompletedPart>, SourceError> = async {
            let mut done = Vec::new();
            let mut buffer = head;
            for (part, _) in parts {
                buffer.extend(self.get(part).await?);
                while buffer.len() >= PART_SIZE {
                    let chunk: Vec<u8> = buffer.drain(..PART_SIZE).collect();
                    done.push(
                        self.upload_part(key, &id, done.len() as i32 + 1, chunk)
                            .await?,
                    );
                }
            }
            if !buffer.is_empty() {
                done.push(
                    self.upload_part(key, &id, done.len() as i32 + 1, buffer)
                        .await?,
                );
            }
            Ok(done)
        }
        .await;
        match result {
            Ok(done) => {
                self.s3
                    .complete_multipart_upload()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(&id)
                    .multipart_upload(
                        CompletedMultipartUpload::builder()
                            .set_parts(Some(done))
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| failed(&self.bucket, key, DisplayErrorContext(e)))?;
                Ok(())
            }
            Err(e) => {
                // Leave no half upload behind (it would be billed); the import is retried as a whole.
                let _ = self
                    .s3
                    .abort_multipart_upload()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(&id)
                    .send()
                    .await;
                Err(e)
            }
        }
    }

    async fn upload_part(
        &self,
        key: &str,
        id: &str,
        number: i32,
        body: Vec<u8>,
    ) -> Result<CompletedPart, SourceError> {
        let out = self
            .s3
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(id)
            .part_number(number)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| failed(&self.bucket, key, DisplayErrorContext(e)))?;
        Ok(CompletedPart::builder()
            .part_number(number)
            .set_e_tag(out.e_tag)
            .build())
    }

    /// Deletes the parts; objects S3 reports it could not delete are retried once, then logged (they are
    /// harmless leftovers: the final file is complete).
    async fn delete_parts(&self, parts: &[(String, usize)]) {
        let mut keys: Vec<String> = parts.iter().map(|(k, _)| k.clone()).collect();
        for attempt in 0..2 {
            if keys.is_empty() {
                return;
            }
            let objects: Vec<ObjectIdentifier> = keys
                .iter()
                .filter_map(|k| ObjectIdentifier::builder().key(k).build().ok())
                .collect();
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .expect("objects set");
            match self
                .s3
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
            {
                Ok(out) => {
                    keys = out
                        .errors()
                        .iter()
                        .filter_map(|e| e.key().map(str::to_owned))
                        .collect()
                }
                Err(e) => {
                    warn!(bucket = %self.bucket, attempt, error = %DisplayErrorContext(e), "deleting reject parts failed")
                }
            }
        }
        if !keys.is_empty() {
            warn!(bucket = %self.bucket, left = keys.len(), "reject parts left behind");
        }
    }
}

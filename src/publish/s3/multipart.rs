//! Multipart upload of large files, streamed from disk part by part (never read whole), and
//! aborting the uploads a killed publish left unfinished.

use std::collections::BTreeSet;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};

use super::{HASH_METADATA, PART_SIZE, S3Target, SITE_METADATA};
use crate::outputs::Output;
use crate::publish::target::TargetError;

impl S3Target {
    /// Aborts every unfinished multipart upload under the prefix whose key (relative to the
    /// prefix) is one of `keys`: ListMultipartUploads (paginated), then one
    /// AbortMultipartUpload each. A store without ListMultipartUploads is skipped with a
    /// warning (the lifecycle rule `setup-bucket` adds cleans up after a day).
    pub(super) async fn abort_unfinished(
        &self,
        keys: &BTreeSet<String>,
    ) -> Result<usize, TargetError> {
        let mut aborted = 0;
        let (mut key_marker, mut id_marker) = (None, None);
        loop {
            let page = match self
                .client
                .list_multipart_uploads()
                .bucket(&self.bucket)
                .prefix(&self.prefix)
                .set_key_marker(key_marker.take())
                .set_upload_id_marker(id_marker.take())
                .send()
                .await
            {
                Ok(page) => page,
                Err(e)
                    if e.code() == Some("NotImplemented")
                        || e.raw_response().map(|r| r.status().as_u16()) == Some(501) =>
                {
                    tracing::warn!(
                        "the store cannot list multipart uploads; unfinished uploads of {} \
                         keys are left to the bucket's lifecycle rule",
                        keys.len()
                    );
                    return Ok(0);
                }
                Err(e) => {
                    match self.classify(e, &self.what("ListMultipartUploads", &self.prefix)) {
                        // Not granted: retrying every publish would not help.
                        TargetError::AccessDenied(detail) => {
                            tracing::warn!(
                                "{detail}: grant s3:ListBucketMultipartUploads to abort the \
                             unfinished uploads of an interrupted publish; they are left to \
                             the bucket's lifecycle rule"
                            );
                            return Ok(0);
                        }
                        other => return Err(other),
                    }
                }
            };
            for upload in page.uploads() {
                let (Some(key), Some(id)) = (upload.key(), upload.upload_id()) else {
                    continue;
                };
                if !key
                    .strip_prefix(&self.prefix)
                    .is_some_and(|k| keys.contains(k))
                {
                    continue;
                }
                tracing::debug!("AbortMultipartUpload s3://{}/{key} ({id})", self.bucket);
                match self
                    .client
                    .abort_multipart_upload()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(id)
                    .send()
                    .await
                {
                    Ok(_) => aborted += 1,
                    Err(e) => match self.classify(e, &self.what("AbortMultipartUpload", key)) {
                        // Finished or aborted since it was listed.
                        TargetError::NotFound(_) => {}
                        other => return Err(other),
                    },
                }
            }
            let next = (page.next_key_marker(), page.next_upload_id_marker());
            match next {
                (Some(k), id) if page.is_truncated() == Some(true) => {
                    key_marker = Some(k.to_string());
                    id_marker = id.map(str::to_owned);
                }
                _ => break,
            }
        }
        Ok(aborted)
    }

    pub(super) async fn put_multipart(
        &self,
        output: &Output,
        site_id: &str,
        path: &std::path::Path,
        size: u64,
    ) -> Result<(), TargetError> {
        let key = self.key(&output.key);
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(&key)
            .content_type(&output.content_type)
            .set_cache_control(output.cache_control.clone())
            .set_content_encoding(output.content_encoding.clone())
            .set_website_redirect_location(output.redirect.clone())
            .metadata(HASH_METADATA, &output.hash)
            .metadata(SITE_METADATA, site_id)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .send()
            .await
            .map_err(|e| self.classify(e, &self.what("multipart upload to", &key)))?;
        let upload_id = created.upload_id().unwrap_or_default().to_string();
        let result = self.upload_parts(&key, &upload_id, path, size).await;
        match result {
            Ok(parts) => {
                self.client
                    .complete_multipart_upload()
                    .bucket(&self.bucket)
                    .key(&key)
                    .upload_id(&upload_id)
                    .multipart_upload(
                        CompletedMultipartUpload::builder()
                            .set_parts(Some(parts))
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| self.classify(e, &self.what("multipart upload to", &key)))?;
                Ok(())
            }
            Err(err) => {
                // Best effort: an abandoned upload only costs storage until a lifecycle rule.
                let _ = self
                    .client
                    .abort_multipart_upload()
                    .bucket(&self.bucket)
                    .key(&key)
                    .upload_id(&upload_id)
                    .send()
                    .await;
                Err(err)
            }
        }
    }

    async fn upload_parts(
        &self,
        key: &str,
        upload_id: &str,
        path: &std::path::Path,
        size: u64,
    ) -> Result<Vec<CompletedPart>, TargetError> {
        let part_size = PART_SIZE.max(size.div_ceil(10_000));
        let mut parts = Vec::new();
        let mut offset = 0;
        let mut number = 1;
        while offset < size {
            let len = part_size.min(size - offset);
            let body = ByteStream::read_from()
                .path(path)
                .offset(offset)
                .length(Length::Exact(len))
                .build()
                .await
                .map_err(|e| TargetError::Other(format!("{}: {e}", path.display())))?;
            let out = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .content_length(len as i64)
                .checksum_algorithm(ChecksumAlgorithm::Crc32)
                .body(body)
                .customize()
                .config_override(self.sized(len))
                .send()
                .await
                .map_err(|e| self.classify(e, &self.what("UploadPart", key)))?;
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(out.e_tag().map(str::to_owned))
                    .set_checksum_crc32(out.checksum_crc32().map(str::to_owned))
                    .build(),
            );
            offset += len;
            number += 1;
        }
        Ok(parts)
    }
}

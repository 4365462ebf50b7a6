//! Multipart upload of large files, streamed from disk part by part (never read whole).

use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};

use super::{HASH_METADATA, PART_SIZE, S3Target};
use crate::outputs::Output;
use crate::publish::target::TargetError;

impl S3Target {
    pub(super) async fn put_multipart(
        &self,
        output: &Output,
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

//! Plain object calls on an [`S3Target`] (put bytes, get bytes, list keys) for state that is
//! not part of the site, such as encrypted backups: same client, retries, request count and
//! error mapping as publishing.

use aws_sdk_s3::config::ResponseChecksumValidation;
use aws_sdk_s3::primitives::ByteStream;

use super::S3Target;
use crate::publish::target::TargetError;

impl S3Target {
    /// `s3://bucket/prefix`, for messages.
    pub fn location(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }

    /// The key prefix this target works under (`blog/` or empty).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Stores `bytes` at `key` (relative to the prefix) as `application/octet-stream`, sent
    /// from memory with the SDK's checksum, without bucketpress hash metadata (so neither
    /// publish nor `--verify` ever takes it for a page).
    pub async fn put_bytes(&self, key: &str, bytes: Vec<u8>) -> Result<(), TargetError> {
        let key = self.key(key);
        let sized = self.sized(bytes.len() as u64);
        tracing::debug!(
            "PutObject s3://{}/{key} ({} bytes)",
            self.bucket,
            bytes.len()
        );
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type("application/octet-stream")
            .cache_control("no-store")
            .body(ByteStream::from(bytes))
            .customize()
            .config_override(sized)
            .send()
            .await
            .map_err(|e| self.classify(e, &self.what("PutObject", &key)))?;
        Ok(())
    }

    /// Reads the object at `key` (relative to the prefix); `Ok(None)` when there is none.
    ///
    /// The SDK's optional response checksum check is off: callers authenticate what they read
    /// (backups are age files checked against keyed hashes), and a stored object damaged in
    /// place must reach them to be reported as damaged, not as a stream error.
    pub async fn get_bytes(&self, key: &str) -> Result<Option<Vec<u8>>, TargetError> {
        Ok(self.get_object(key, false).await?.map(|(bytes, _)| bytes))
    }

    /// GetObject of `key` (relative to the prefix): its bytes and ETag, `Ok(None)` when there
    /// is no such object (the error a missing bucket gives too: callers that care check).
    /// `checksums` keeps the SDK's optional response checksum check on.
    pub(super) async fn get_object(
        &self,
        key: &str,
        checksums: bool,
    ) -> Result<Option<(Vec<u8>, String)>, TargetError> {
        let key = self.key(key);
        let mut request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&key)
            .customize();
        if !checksums {
            request = request.config_override(
                aws_sdk_s3::config::Builder::default()
                    .response_checksum_validation(ResponseChecksumValidation::WhenRequired),
            );
        }
        match request.send().await {
            Ok(out) => {
                let etag = out.e_tag().unwrap_or_default().to_string();
                let bytes = out
                    .body
                    .collect()
                    .await
                    .map_err(|e| TargetError::Transient(format!("{key}: {e}")))?;
                Ok(Some((bytes.into_bytes().to_vec(), etag)))
            }
            Err(e) => match self.classify(e, &self.what("GetObject", &key)) {
                TargetError::NotFound(_) => Ok(None),
                other => Err(other),
            },
        }
    }

    /// Every key under `sub` (relative to the prefix), returned relative to `sub`, with its
    /// size: ListObjectsV2, one request per 1,000 keys.
    pub async fn list_keys(&self, sub: &str) -> Result<Vec<(String, u64)>, TargetError> {
        let full = self.key(sub);
        let listed = self.list_objects(&full).await?;
        Ok(listed
            .into_iter()
            .filter_map(|(key, size)| {
                let rest = key.strip_prefix(&full)?;
                (!rest.is_empty()).then(|| (rest.to_string(), size))
            })
            .collect())
    }

    /// Every object key (full, bucket-relative) starting with `prefix`, with its size, leaving
    /// out folder markers (keys ending in `/`): ListObjectsV2, paginated.
    pub(super) async fn list_objects(
        &self,
        prefix: &str,
    ) -> Result<Vec<(String, u64)>, TargetError> {
        let mut keys = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| self.classify(e, &self.what("ListObjectsV2", prefix)))?;
            for obj in page.contents() {
                if let Some(key) = obj.key()
                    && !key.ends_with('/')
                {
                    keys.push((key.to_string(), obj.size().unwrap_or(0).max(0) as u64));
                }
            }
            match page.next_continuation_token() {
                Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(keys)
    }
}

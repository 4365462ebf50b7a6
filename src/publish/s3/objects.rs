//! Plain object calls on an [`S3Target`] (put bytes, get bytes, list keys) for state that is
//! not part of the site, such as encrypted backups: same client, retries, request count and
//! error mapping as publishing.

use aws_sdk_s3::config::ResponseChecksumValidation;
use aws_sdk_s3::primitives::ByteStream;

use super::S3Target;
use crate::publish::target::TargetError;

/// One listed object, with what the listing says about it: the size always, the ETag and the
/// modification time when the store gives them (s3s-fs, for one, lists no ETag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// The key, relative to the listed sub-prefix.
    pub key: String,
    /// The size in bytes.
    pub size: u64,
    /// The ETag without quotes, when listed.
    pub etag: Option<String>,
    /// The last-modified time (`<seconds>.<nanoseconds>`), when listed.
    pub modified: Option<String>,
}

/// An ETag without its quotes (stores differ on whether they send them).
pub fn bare_etag(etag: &str) -> String {
    etag.trim_matches('"').to_string()
}

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
    /// publish nor `--verify` ever takes it for a page). Returns the ETag the store answered
    /// (unquoted; `None` if it sent none).
    pub(crate) async fn put_bytes(
        &self,
        key: &str,
        bytes: Vec<u8>,
    ) -> Result<Option<String>, TargetError> {
        let key = self.key(key);
        let sized = self.sized(bytes.len() as u64);
        tracing::debug!(
            "PutObject s3://{}/{key} ({} bytes)",
            self.bucket,
            bytes.len()
        );
        let out = self
            .client
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
        Ok(out.e_tag().map(bare_etag))
    }

    /// Reads the object at `key` (relative to the prefix); `Ok(None)` when there is none.
    ///
    /// The SDK's optional response checksum check is off: callers authenticate what they read
    /// (backups are age files checked against keyed hashes), and a stored object damaged in
    /// place must reach them to be reported as damaged, not as a stream error.
    pub(crate) async fn get_bytes(&self, key: &str) -> Result<Option<Vec<u8>>, TargetError> {
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
    pub(crate) async fn list_keys(&self, sub: &str) -> Result<Vec<(String, u64)>, TargetError> {
        Ok(self
            .list_stored(sub)
            .await?
            .into_iter()
            .map(|o| (o.key, o.size))
            .collect())
    }

    /// [`list_keys`](Self::list_keys) with the ETag and modification time of each object, when
    /// the store lists them.
    pub(crate) async fn list_stored(&self, sub: &str) -> Result<Vec<StoredObject>, TargetError> {
        let full = self.key(sub);
        let listed = self.list_all(&full).await?;
        Ok(listed
            .into_iter()
            .filter_map(|mut o| {
                let rest = o.key.strip_prefix(&full)?.to_string();
                (!rest.is_empty()).then(|| {
                    o.key = rest;
                    o
                })
            })
            .collect())
    }

    /// Every object key (full, bucket-relative) starting with `prefix`, with its size, leaving
    /// out folder markers (keys ending in `/`): ListObjectsV2, paginated.
    pub(super) async fn list_objects(
        &self,
        prefix: &str,
    ) -> Result<Vec<(String, u64)>, TargetError> {
        Ok(self
            .list_all(prefix)
            .await?
            .into_iter()
            .map(|o| (o.key, o.size))
            .collect())
    }

    /// Every object (full, bucket-relative keys) starting with `prefix`, leaving out folder
    /// markers (keys ending in `/`): ListObjectsV2, paginated.
    async fn list_all(&self, prefix: &str) -> Result<Vec<StoredObject>, TargetError> {
        let mut objects = Vec::new();
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
                    objects.push(StoredObject {
                        key: key.to_string(),
                        size: obj.size().unwrap_or(0).max(0) as u64,
                        etag: obj.e_tag().map(bare_etag).filter(|e| !e.is_empty()),
                        modified: obj
                            .last_modified()
                            .map(|t| format!("{}.{:09}", t.secs(), t.subsec_nanos())),
                    });
                }
            }
            match page.next_continuation_token() {
                Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(objects)
    }
}

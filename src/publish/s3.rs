//! The S3 [`Target`] (aws-sdk-s3): AWS and S3-compatible stores (R2, MinIO, Garage, B2).
//!
//! Bodies in memory are sent from memory with the SDK's CRC32 checksum header. Bodies on disk
//! up to 1 MiB are read whole and sent like bodies in memory; larger ones
//! are streamed: below `MULTIPART_THRESHOLD` as one PutObject without the optional checksum
//! (a checksum on a stream means aws-chunked encoding, which some stores keep as, or add to,
//! the object's `Content-Encoding`), from it on as a multipart upload, part by part.

use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Region, RequestChecksumCalculation};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use futures::{StreamExt, TryStreamExt};

mod attempts;
mod errors;
mod multipart;
mod objects;

pub use attempts::{Attempts, seconds};
pub use errors::classify_code;
pub use objects::{StoredObject, bare_etag};

use super::manifest::{Entry, MANIFEST_KEY, Manifest};
use super::ownership::{foreign_roots, is_foreign_or_reserved};
use super::target::{Etag, Listed, Listing, Target, TargetError};
use crate::outputs::{Body, Output};

/// User metadata carrying the BLAKE3 hash of the stored bytes (`x-amz-meta-bucketpress-hash`);
/// `--verify` reads it back instead of trusting ETags, which are not MD5s for multipart or
/// encrypted objects.
pub const HASH_METADATA: &str = "bucketpress-hash";

/// User metadata carrying the id of the site that wrote the object
/// (`x-amz-meta-bucketpress-site`, see [`super::ownership`]).
pub const SITE_METADATA: &str = "bucketpress-site";

/// Files of this size or more are uploaded in parts, streamed from disk.
pub(crate) const MULTIPART_THRESHOLD: u64 = 16 << 20;

/// File bodies up to this size are read into memory to be sent (with the checksum), larger
/// ones streamed.
const READ_WHOLE_BELOW: u64 = 1 << 20;

/// The part size of multipart uploads (grown for huge files to stay under 10,000 parts).
const PART_SIZE: u64 = 8 << 20;

/// What a CopyObject source keeps as is: unreserved characters and `/`.
const COPY_SOURCE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// How many HeadObject requests `--verify` runs at once.
const HEAD_CONCURRENCY: usize = 16;

/// The retry policy: the SDK's standard mode (exponential backoff with jitter, retry quota)
/// with 5 attempts, retrying throttling, 5xx and connection errors.
pub fn retry_config() -> aws_config::retry::RetryConfig {
    aws_config::retry::RetryConfig::standard().with_max_attempts(5)
}

/// How long one attempt of a small request may take (connect, send, read the response
/// headers) before the SDK gives up on it and retries: 10 s. Uploads get more, by size
/// (`attempt_timeout_for`). With [`retry_config`]'s 5 attempts and the SDK's backoff (1, 2,
/// 4, 8 s at most, jittered), a store that accepts connections and never answers fails a
/// small request after at most 5 × 10 s + 15 s = 65 s, printing a line at each retry.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// The slowest upload bandwidth an upload's timeout allows for: 1 Mbit/s (125,000 bytes a
/// second), so an 8 MiB part may take 10 s + 67 s before its attempt is abandoned.
pub(crate) const FLOOR_BANDWIDTH: u64 = 125_000;

/// How long connecting (TCP and TLS) may take before the attempt is retried.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The environment variable overriding the attempt timeout, in milliseconds (for slow
/// links, and for tests that need a short timeout); `[publish] timeout` sets it in seconds.
pub(crate) const ATTEMPT_TIMEOUT_ENV: &str = "BUCKETPRESS_S3_ATTEMPT_TIMEOUT_MS";

/// The timeouts: `CONNECT_TIMEOUT`, and `attempt` per attempt (a hung or very slow request
/// fails that attempt, which the retry policy then retries). No whole-operation timeout: the
/// retries are bounded by [`retry_config`].
pub fn timeout_config(attempt: Duration) -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT.min(attempt))
        .operation_attempt_timeout(attempt)
        .build()
}

/// The attempt timeout of a request sending `bytes`: `base` plus the time `bytes` take at
/// [`FLOOR_BANDWIDTH`].
pub(crate) fn attempt_timeout_for(base: Duration, bytes: u64) -> Duration {
    base + Duration::from_millis(bytes.saturating_mul(1000) / FLOOR_BANDWIDTH)
}

/// The attempt timeout: [`ATTEMPT_TIMEOUT_ENV`] when set to a positive number of
/// milliseconds, else `configured` (`[publish] timeout`), else [`DEFAULT_ATTEMPT_TIMEOUT`].
pub(crate) fn attempt_timeout(configured: Option<Duration>) -> Duration {
    parse_attempt_timeout(std::env::var(ATTEMPT_TIMEOUT_ENV).ok().as_deref())
        .or(configured)
        .unwrap_or(DEFAULT_ATTEMPT_TIMEOUT)
}

fn parse_attempt_timeout(value: Option<&str>) -> Option<Duration> {
    match value.and_then(|v| v.trim().parse::<u64>().ok()) {
        Some(ms) if ms > 0 => Some(Duration::from_millis(ms)),
        _ => None,
    }
}

/// Where and how to connect, from `[publish]` and the command line.
#[derive(Debug, Clone, Default)]
pub struct S3Settings {
    /// The bucket.
    pub bucket: String,
    /// A key prefix (normalised to end with `/`, or empty).
    pub prefix: String,
    /// The region; else the standard chain (`AWS_REGION`, profile), else `us-east-1`.
    pub region: Option<String>,
    /// A custom endpoint URL for S3-compatible stores.
    pub endpoint: Option<String>,
    /// Path-style addressing (`https://host/bucket/key`).
    pub path_style: bool,
    /// A named profile of `~/.aws/config` / `~/.aws/credentials`.
    pub profile: Option<String>,
    /// `[publish] timeout`: how long one attempt of a small request may take.
    pub attempt_timeout: Option<Duration>,
}

impl S3Settings {
    /// Settings for `bucket`/`prefix` with the connection fields of `[publish]` (an empty
    /// `--profile` is unset too).
    pub fn from_config(
        bucket: &str,
        prefix: &str,
        cfg: &crate::config::PublishConfig,
    ) -> S3Settings {
        let non_empty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
        S3Settings {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            region: non_empty(&cfg.region),
            endpoint: non_empty(&cfg.endpoint),
            path_style: cfg.path_style,
            profile: non_empty(&cfg.profile),
            attempt_timeout: (cfg.timeout > 0).then(|| Duration::from_secs(cfg.timeout)),
        }
    }
}

/// Publishes to an S3 bucket under a prefix.
#[derive(Debug)]
pub struct S3Target {
    client: Client,
    bucket: String,
    prefix: String,
    /// The live site's prefix: `prefix` itself, or the site a preview is of.
    base: String,
    attempts: Attempts,
    /// The attempt timeout of small requests (uploads get more, by size).
    attempt_timeout: Duration,
    /// A custom endpoint with virtual-hosted addressing (`bucket.host`): a name that does
    /// not resolve then hints at `path_style`.
    virtual_hosted_endpoint: bool,
    /// The AWS configuration the client was built from (credentials, region, retries), for
    /// other AWS clients (CloudFront); `None` for a client built elsewhere ([`S3Target::with_client`]).
    /// (Shared: it is large, and previews carry it too.)
    sdk: Option<std::sync::Arc<aws_config::SdkConfig>>,
}

impl S3Target {
    /// Builds a client from the standard credential chain (environment, profile, web identity,
    /// ECS/IMDS) with standard retries (5 attempts, exponential backoff with jitter) and
    /// [`timeout_config`] with the `attempt_timeout`.
    pub async fn connect(settings: &S3Settings) -> S3Target {
        S3Target::from_sdk(&load_sdk_config(settings).await, settings)
    }

    /// A target from an already loaded [`load_sdk_config`] (shared with the CloudFront client).
    pub fn from_sdk(sdk: &aws_config::SdkConfig, settings: &S3Settings) -> S3Target {
        let mut target =
            S3Target::with_client(client(sdk, settings), &settings.bucket, &settings.prefix);
        target.set_virtual_hosted_endpoint(settings.endpoint.is_some() && !settings.path_style);
        target.sdk = Some(std::sync::Arc::new(sdk.clone()));
        target
    }

    /// Wraps an already configured client (tests, embedding), adding the interceptor that
    /// counts every request sent (retries included) and reports retries ([`Attempts`]).
    pub fn with_client(client: Client, bucket: &str, prefix: &str) -> S3Target {
        let attempts = Attempts::new(bucket);
        let attempt_timeout = client
            .config()
            .timeout_config()
            .and_then(|t| t.operation_attempt_timeout())
            .unwrap_or(DEFAULT_ATTEMPT_TIMEOUT);
        let config = client.config().to_builder().interceptor(attempts.clone());
        S3Target {
            client: Client::from_conf(config.build()),
            bucket: bucket.to_string(),
            prefix: normalize_prefix(prefix),
            base: normalize_prefix(prefix),
            attempts,
            attempt_timeout,
            virtual_hosted_endpoint: false,
            sdk: None,
        }
    }

    /// The same bucket and client (requests counted together) under `sub` (relative to this
    /// target's prefix, ending with `/`): a preview of this site, whose [`Target::copy`]
    /// copies from this site's objects.
    pub fn preview(&self, sub: &str) -> S3Target {
        S3Target {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            prefix: format!("{}{sub}", self.prefix),
            base: self.prefix.clone(),
            attempts: self.attempts.clone(),
            attempt_timeout: self.attempt_timeout,
            virtual_hosted_endpoint: self.virtual_hosted_endpoint,
            sdk: self.sdk.clone(),
        }
    }

    /// The client, with the request counting and retry reporting of this target.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The AWS configuration of [`S3Target::from_sdk`] (`None` after
    /// [`S3Target::with_client`]), shared with the CloudFront client.
    pub fn sdk_config(&self) -> Option<&aws_config::SdkConfig> {
        self.sdk.as_deref()
    }

    /// Says whether requests go to a custom endpoint with virtual-hosted addressing (then a
    /// host name that does not resolve hints at `path_style`).
    pub(crate) fn set_virtual_hosted_endpoint(&mut self, yes: bool) {
        self.virtual_hosted_endpoint = yes;
    }

    /// Silences the retry lines (`--quiet`).
    pub fn set_quiet(&self, quiet: bool) {
        self.attempts.set_quiet(quiet);
    }

    /// A per-request configuration for a request sending `bytes`: the attempt timeout grows
    /// with the size ([`attempt_timeout_for`]).
    fn sized(&self, bytes: u64) -> aws_sdk_s3::config::Builder {
        aws_sdk_s3::config::Builder::default().timeout_config(timeout_config(attempt_timeout_for(
            self.attempt_timeout,
            bytes,
        )))
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// `PutObject s3://bucket/key`, for messages.
    fn what(&self, operation: &str, key: &str) -> String {
        format!("{operation} s3://{}/{key}", self.bucket)
    }

    async fn check_bucket(&self) -> Result<(), TargetError> {
        match self.client.head_bucket().bucket(&self.bucket).send().await {
            Ok(_) => Ok(()),
            Err(e) => Err(
                match self.classify(e, &format!("HeadBucket s3://{}", self.bucket)) {
                    TargetError::NotFound(_) => TargetError::NoSuchBucket(self.bucket.clone()),
                    other => other,
                },
            ),
        }
    }

    async fn head(&self, full_key: String) -> Result<Option<(String, Listed)>, TargetError> {
        let out = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(&full_key)
            .send()
            .await
            .map_err(|e| self.classify(e, &self.what("HeadObject", &full_key)))?;
        let Some(hash) = out.metadata().and_then(|m| m.get(HASH_METADATA)) else {
            return Ok(None);
        };
        let key = full_key[self.prefix.len()..].to_string();
        let entry = Entry {
            hash: hash.clone(),
            size: out.content_length().unwrap_or(0).max(0) as u64,
            content_type: out.content_type().unwrap_or_default().to_string(),
            content_encoding: out.content_encoding().map(str::to_owned),
            cache_control: out.cache_control().map(str::to_owned),
            redirect: out.website_redirect_location().map(str::to_owned),
        };
        let site_id = out.metadata().and_then(|m| m.get(SITE_METADATA)).cloned();
        Ok(Some((key, Listed { entry, site_id })))
    }
}

/// Loads the shared AWS configuration: the standard credential chain, `settings.profile`,
/// `settings.region` (else `AWS_REGION` or the profile's) and [`retry_config`].
pub async fn load_sdk_config(settings: &S3Settings) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry_config())
        .timeout_config(timeout_config(attempt_timeout(settings.attempt_timeout)));
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    loader.load().await
}

/// An S3 client for `settings` (endpoint, path style; `us-east-1` when no region is known).
pub fn client(sdk: &aws_config::SdkConfig, settings: &S3Settings) -> Client {
    let mut config = aws_sdk_s3::config::Builder::from(sdk).force_path_style(settings.path_style);
    if sdk.region().is_none() {
        config = config.region(Region::new("us-east-1"));
    }
    if let Some(endpoint) = &settings.endpoint {
        config = config.endpoint_url(endpoint);
    }
    Client::from_conf(config.build())
}

/// `"blog"` → `"blog/"`, `"/a/b/"` → `"a/b/"`, `""` → `""`.
pub(crate) fn normalize_prefix(prefix: &str) -> String {
    let p = prefix.trim_matches('/');
    if p.is_empty() {
        String::new()
    } else {
        format!("{p}/")
    }
}

/// A body that can be retried: in-memory bytes are shared, not copied.
fn memory_body(bytes: &std::sync::Arc<[u8]>) -> ByteStream {
    ByteStream::from(bytes::Bytes::from_owner(bytes.clone()))
}

impl Target for S3Target {
    async fn read_manifest(&self) -> Result<Option<(Vec<u8>, Etag)>, TargetError> {
        match self.get_object(MANIFEST_KEY, true).await {
            Ok(Some((bytes, etag))) => Ok(Some((bytes, Etag(etag)))),
            // Stores disagree on GET in a missing bucket (S3 says NoSuchBucket, others
            // NoSuchKey and some create the bucket on PUT): confirm before a first publish.
            Ok(None) => self.check_bucket().await.map(|()| None),
            // Without s3:ListBucket, S3 answers a missing key with 403, not 404.
            Err(TargetError::AccessDenied(detail)) => Err(TargetError::AccessDenied(format!(
                "{detail} (on a first publish this also means s3:ListBucket is not granted)"
            ))),
            Err(other) => Err(other),
        }
    }

    async fn put(&self, output: &Output, site_id: &str) -> Result<(), TargetError> {
        let key = self.key(&output.key);
        // Streamed bodies would be sent with aws-chunked encoding (to carry the CRC32 trailer),
        // and some stores (s3s) keep `aws-chunked` as the object's Content-Encoding or double
        // ours: streamed PUTs therefore skip the optional checksum (TLS still protects them).
        let (body, streamed) = match &output.body {
            Body::Bytes(bytes) => (memory_body(bytes), false),
            Body::File { path, size } if *size >= MULTIPART_THRESHOLD => {
                return self.put_multipart(output, site_id, path, *size).await;
            }
            // Small files (pages a publish staged on disk) are read whole, so they carry
            // the checksum as in-memory bodies do; uploads in flight bound what is held.
            Body::File { path, size } if *size <= READ_WHOLE_BELOW => {
                let bytes = tokio::fs::read(path)
                    .await
                    .map_err(|e| TargetError::Other(format!("{}: {e}", path.display())))?;
                if bytes.len() as u64 != *size {
                    return Err(TargetError::Other(format!(
                        "{}: changed while it was published ({size} bytes expected, {} found)",
                        path.display(),
                        bytes.len()
                    )));
                }
                (ByteStream::from(bytes), false)
            }
            Body::File { path, .. } => {
                let body = ByteStream::from_path(path)
                    .await
                    .map_err(|e| TargetError::Other(format!("{}: {e}", path.display())))?;
                (body, true)
            }
            Body::Dropped { .. } => {
                return Err(TargetError::Other(Body::dropped_error().to_string()));
            }
        };
        let mut req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type(&output.content_type)
            .set_cache_control(output.cache_control.clone())
            .set_content_encoding(output.content_encoding.clone())
            .set_website_redirect_location(output.redirect.clone())
            .metadata(HASH_METADATA, &output.hash)
            .metadata(SITE_METADATA, site_id)
            .body(body)
            .customize();
        let mut config = self.sized(output.body.len());
        if streamed {
            config = config.request_checksum_calculation(RequestChecksumCalculation::WhenRequired);
        }
        req = req.config_override(config);
        tracing::debug!(
            "PutObject s3://{}/{key} ({} bytes)",
            self.bucket,
            output.body.len()
        );
        req.send()
            .await
            .map_err(|e| self.classify(e, &self.what("PutObject", &key)))?;
        Ok(())
    }

    async fn delete_many(
        &self,
        keys: &[String],
    ) -> Result<Vec<(String, TargetError)>, TargetError> {
        let mut failed = Vec::new();
        for chunk in keys.chunks(1000) {
            let objects = chunk
                .iter()
                .map(|k| ObjectIdentifier::builder().key(self.key(k)).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| TargetError::Other(e.to_string()))?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| TargetError::Other(e.to_string()))?;
            tracing::debug!("DeleteObjects s3://{}: {} keys", self.bucket, chunk.len());
            let out = self
                .client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| self.classify(e, &self.what("DeleteObjects", &self.prefix)))?;
            for err in out.errors() {
                let key = err.key().unwrap_or_default();
                let detail = format!("{key}: {}", err.message().unwrap_or_default());
                let key = key.strip_prefix(&self.prefix).unwrap_or(key).to_string();
                failed.push((key, classify_code(err.code(), None, detail, &self.bucket)));
            }
        }
        Ok(failed)
    }

    async fn write_manifest(
        &self,
        manifest: &Manifest,
        expected: Option<&Etag>,
    ) -> Result<Etag, TargetError> {
        let key = self.key(MANIFEST_KEY);
        let bytes = manifest.encode();
        let put = || {
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(&key)
                // Not `Content-Encoding: gzip`: stores and proxies may decompress that on the way.
                .content_type("application/gzip")
                .cache_control("no-store")
                .body(ByteStream::from(bytes.clone()))
        };
        let conditional = match expected {
            Some(etag) => put().if_match(&etag.0),
            None => put().if_none_match("*"),
        }
        .customize()
        .config_override(self.sized(bytes.len() as u64));
        let err = match conditional.send().await {
            Ok(out) => return Ok(Etag(out.e_tag().unwrap_or_default().to_string())),
            Err(err) => err,
        };
        let unsupported = err.code() == Some("NotImplemented")
            || err.raw_response().map(|r| r.status().as_u16()) == Some(501);
        if !unsupported {
            return Err(self.classify(err, &self.what("PutObject", &key)));
        }
        // A store without conditional writes: compare the version tag by hand, then write.
        // Racy in a window of one round trip, which is the best such a store allows.
        tracing::warn!(
            "the store does not support conditional writes; checking the manifest by hand"
        );
        let current = match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(&key)
            .send()
            .await
        {
            Ok(head) => Some(Etag(head.e_tag().unwrap_or_default().to_string())),
            Err(e) => match self.classify(e, &self.what("HeadObject", &key)) {
                TargetError::NotFound(_) => None,
                other => return Err(other),
            },
        };
        if current.as_ref() != expected {
            return Err(TargetError::Conflict);
        }
        let out = put()
            .customize()
            .config_override(self.sized(bytes.len() as u64))
            .send()
            .await
            .map_err(|e| self.classify(e, &self.what("PutObject", &key)))?;
        Ok(Etag(out.e_tag().unwrap_or_default().to_string()))
    }

    async fn list_hashes(&self) -> Result<Listing, TargetError> {
        let listed = self.list_objects(&self.prefix).await?;
        let relative = |key: &str| key[self.prefix.len()..].to_string();
        let roots = foreign_roots(listed.iter().map(|(k, _)| &k[self.prefix.len()..]));
        let heads: Vec<_> = listed
            .into_iter()
            .filter(|(key, _)| !is_foreign_or_reserved(&relative(key), &roots))
            .map(|(key, _)| self.head(key))
            .collect();
        let objects: Vec<Option<(String, Listed)>> = futures::stream::iter(heads)
            .buffer_unordered(HEAD_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(Listing {
            objects: objects.into_iter().flatten().collect(),
        })
    }

    fn stores_headers(&self) -> bool {
        true
    }

    async fn copy(&self, from: &str, to: &str, entry: &Entry) -> Result<(), TargetError> {
        let source = format!("{}{from}", self.base);
        let key = self.key(to);
        // The copy source is `bucket/key`, URL-encoded (keys may hold spaces and `+`).
        let encoded = percent_encoding::utf8_percent_encode(
            &format!("{}/{source}", self.bucket),
            COPY_SOURCE,
        )
        .to_string();
        tracing::debug!("CopyObject s3://{}/{source} -> {key}", self.bucket);
        self.client
            .copy_object()
            .bucket(&self.bucket)
            .key(&key)
            .copy_source(encoded)
            // Headers and metadata (hash, site id) come with the object; S3 does not copy a
            // website redirect, so it is sent again.
            .metadata_directive(aws_sdk_s3::types::MetadataDirective::Copy)
            .set_website_redirect_location(entry.redirect.clone())
            .customize()
            .config_override(self.sized(entry.size))
            .send()
            .await
            .map_err(|e| {
                self.classify(
                    e,
                    &format!("CopyObject s3://{}/{source} to {key}", self.bucket),
                )
            })?;
        Ok(())
    }

    fn can_copy(&self) -> bool {
        true
    }

    async fn list_under(&self, sub: &str) -> Result<Vec<(String, Option<i64>)>, TargetError> {
        Ok(self
            .list_stored(sub)
            .await?
            .into_iter()
            .map(|o| {
                let modified = o
                    .modified
                    .as_deref()
                    .and_then(|m| m.split('.').next())
                    .and_then(|s| s.parse().ok());
                (format!("{sub}{}", o.key), modified)
            })
            .collect())
    }

    fn is_multipart(&self, output: &Output) -> bool {
        matches!(output.body, Body::File { size, .. } if size >= MULTIPART_THRESHOLD)
    }

    async fn abort_multipart(
        &self,
        keys: &std::collections::BTreeSet<String>,
    ) -> Result<usize, TargetError> {
        self.abort_unfinished(keys).await
    }

    async fn read_reserved(&self, key: &str) -> Result<Option<Vec<u8>>, TargetError> {
        self.get_bytes(key).await
    }

    async fn write_reserved(&self, key: &str, bytes: Vec<u8>) -> Result<(), TargetError> {
        self.put_bytes(key, bytes).await.map(drop)
    }

    fn requests(&self) -> u64 {
        self.attempts.sent()
    }

    fn retries(&self) -> u64 {
        self.attempts.retried()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_normalise() {
        assert_eq!(normalize_prefix(""), "");
        assert_eq!(normalize_prefix("/"), "");
        assert_eq!(normalize_prefix("blog"), "blog/");
        assert_eq!(normalize_prefix("/a/b/"), "a/b/");
    }

    #[test]
    fn attempt_timeout_is_overridable_in_milliseconds() {
        assert_eq!(parse_attempt_timeout(None), None);
        assert_eq!(
            parse_attempt_timeout(Some("250")),
            Some(Duration::from_millis(250))
        );
        assert_eq!(parse_attempt_timeout(Some("0")), None);
        assert_eq!(parse_attempt_timeout(Some("soon")), None);
        let t = timeout_config(Duration::from_millis(250));
        assert_eq!(
            t.operation_attempt_timeout(),
            Some(Duration::from_millis(250))
        );
        assert_eq!(t.connect_timeout(), Some(Duration::from_millis(250)));
        assert_eq!(t.operation_timeout(), None);
    }

    #[test]
    fn uploads_get_time_by_size() {
        let base = DEFAULT_ATTEMPT_TIMEOUT;
        assert_eq!(attempt_timeout_for(base, 0), base);
        assert_eq!(
            attempt_timeout_for(base, 5_000),
            base + Duration::from_millis(40)
        );
        // An 8 MiB part: 10 s + 67 s.
        let part = attempt_timeout_for(base, 8 << 20);
        assert!(
            part > Duration::from_secs(77) && part < Duration::from_secs(78),
            "{part:?}"
        );
    }
}

//! The narrow store interface a plan is applied to ([`Target`]), its typed errors, and the
//! dry-run wrapper whose writes do nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use super::manifest::{Entry, Manifest};
use crate::outputs::Output;

/// An opaque version tag of the stored manifest, used for the conditional write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Etag(pub String);

/// What can go wrong talking to a store. Callers match on the variant: `NotFound` is a first
/// publish, `AccessDenied`/`InvalidCredentials`/`NoSuchBucket` fail fast, `Transient` and
/// `Unreachable` were already retried (a run of `Unreachable` uploads stops a publish), and
/// `Conflict` means another publish won the race.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// The object does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The bucket does not exist.
    #[error("bucket {0:?} does not exist; check [publish] bucket / --to and the region")]
    NoSuchBucket(String),
    /// The credentials are valid but lack permission.
    #[error("access denied: {0}; check the IAM policy allows it on this bucket and prefix")]
    AccessDenied(String),
    /// No credentials, or credentials the store rejects.
    #[error(
        "credentials missing or rejected: {0}; check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, \
         --profile or [publish] profile"
    )]
    InvalidCredentials(String),
    /// Throttling, 5xx (after the SDK's retries).
    #[error("temporary failure (retried): {0}")]
    Transient(String),
    /// No answer: every attempt timed out or could not connect (after the SDK's retries).
    #[error("no answer from the store (retried): {0}")]
    Unreachable(String),
    /// The manifest changed since it was read.
    #[error("another publish changed the site since this one started; run publish again")]
    Conflict,
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

impl TargetError {
    /// True for errors after which further requests are pointless (wrong bucket, credentials,
    /// permissions): the publish stops at once instead of failing every key.
    pub(crate) fn is_fatal(&self) -> bool {
        matches!(
            self,
            TargetError::NoSuchBucket(_)
                | TargetError::AccessDenied(_)
                | TargetError::InvalidCredentials(_)
        )
    }
}

/// One stored object as `--verify` sees it: what it holds, and which site wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its hash metadata and stored headers.
    pub entry: Entry,
    /// The site id in its metadata (`None`: written before site ids, or by a target that
    /// keeps no metadata).
    pub site_id: Option<String>,
}

/// What is stored under a target's prefix: every object carrying a bucketpress hash, except
/// bucketpress's own `.bucketpress/` objects and subtrees that hold another site's manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// Key (relative to the prefix) → object.
    pub objects: BTreeMap<String, Listed>,
}

/// A place a site is published to. Keys are relative to the target's prefix.
///
/// Implementations: [`S3Target`](super::s3::S3Target), [`DirTarget`](super::dir::DirTarget),
/// and [`DryRun`] around either.
pub trait Target: Sync {
    /// Reads the manifest; `Ok(None)` when there is none yet (first publish). The bytes are
    /// decoded by the caller so that a corrupt manifest is a distinct, typed error.
    fn read_manifest(
        &self,
    ) -> impl Future<Output = Result<Option<(Vec<u8>, Etag)>, TargetError>> + Send;

    /// Stores one output with its headers, its hash and the id of the site writing it
    /// (`site_id`) as metadata.
    fn put(
        &self,
        output: &Output,
        site_id: &str,
    ) -> impl Future<Output = Result<(), TargetError>> + Send;

    /// Deletes keys (missing keys are not an error); returns the keys that could not be deleted
    /// with why.
    fn delete_many(
        &self,
        keys: &[String],
    ) -> impl Future<Output = Result<Vec<(String, TargetError)>, TargetError>> + Send;

    /// Writes the manifest only if the stored one is still `expected` (`None`: only if there is
    /// none); otherwise [`TargetError::Conflict`]. Returns the new version tag.
    fn write_manifest(
        &self,
        manifest: &Manifest,
        expected: Option<&Etag>,
    ) -> impl Future<Output = Result<Etag, TargetError>> + Send;

    /// What is stored (`--verify`): every object carrying a bucketpress hash, with its stored
    /// headers and the site id that wrote it. Objects without the hash are left out, so they
    /// are never deleted; so are subtrees holding another site's manifest
    /// ([`super::ownership`] decides which of the rest are ours).
    fn list_hashes(&self) -> impl Future<Output = Result<Listing, TargetError>> + Send;

    /// Whether the target stores per-object headers (S3 does, a directory does not).
    fn stores_headers(&self) -> bool;

    /// Whether storing `output` starts a multipart upload, which a publish killed half way
    /// leaves behind (stored, and billed, until aborted). By default, never.
    fn is_multipart(&self, _output: &Output) -> bool {
        false
    }

    /// Aborts the unfinished multipart uploads of `keys` (relative to the prefix; uploads of
    /// any other key are left alone); returns how many were aborted. By default there are none.
    fn abort_multipart(
        &self,
        _keys: &BTreeSet<String>,
    ) -> impl Future<Output = Result<usize, TargetError>> + Send {
        async { Ok(0) }
    }

    /// Reads bucketpress's own object `key` (under the reserved prefix, e.g. the shared
    /// highlight cache); `None` when there is none. By default a target keeps no such objects.
    fn read_reserved(
        &self,
        _key: &str,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, TargetError>> + Send {
        async { Ok(None) }
    }

    /// Stores bucketpress's own object `key` (under the reserved prefix). By default a target
    /// keeps no such objects and this does nothing.
    fn write_reserved(
        &self,
        _key: &str,
        _bytes: Vec<u8>,
    ) -> impl Future<Output = Result<(), TargetError>> + Send {
        async { Ok(()) }
    }

    /// Copies a stored object server-side (S3 CopyObject: no bytes through the client, the
    /// stored headers and metadata kept): `from` is relative to the live site's prefix (the
    /// same as this target's, except for a preview), `to` to this target's prefix. `entry` is
    /// what `from` holds, for the headers a store does not copy (S3 does not copy a website
    /// redirect). A missing `from` is [`TargetError::NotFound`]. By default a target cannot
    /// copy.
    fn copy(
        &self,
        from: &str,
        to: &str,
        _entry: &Entry,
    ) -> impl Future<Output = Result<(), TargetError>> + Send {
        let message = format!("this target cannot copy {from} to {to}");
        async move { Err(TargetError::Other(message)) }
    }

    /// Whether [`Target::copy`] works, so that publishes keep a history ([`super::deploys`]).
    fn can_copy(&self) -> bool {
        false
    }

    /// Every key under `sub` (relative to the prefix; bucketpress's own objects included),
    /// relative to the prefix, with its last-modified time in Unix seconds when the store
    /// says. By default a target keeps no such objects.
    fn list_under(
        &self,
        _sub: &str,
    ) -> impl Future<Output = Result<Vec<(String, Option<i64>)>, TargetError>> + Send {
        async { Ok(Vec::new()) }
    }

    /// Requests sent so far, each retry counted (for the summary and the request-budget
    /// tests).
    fn requests(&self) -> u64;

    /// Retries sent so far: the store throttled, failed or did not answer. The upload
    /// concurrency backs off when this grows ([`super::concurrency`]).
    fn retries(&self) -> u64 {
        0
    }
}

/// A target whose reads pass through and whose writes do nothing (`--dry-run`): not a single
/// write request is sent.
#[derive(Debug)]
pub struct DryRun<T>(pub T);

impl<T: Target> Target for DryRun<T> {
    async fn read_manifest(&self) -> Result<Option<(Vec<u8>, Etag)>, TargetError> {
        self.0.read_manifest().await
    }

    async fn put(&self, _output: &Output, _site_id: &str) -> Result<(), TargetError> {
        Ok(())
    }

    async fn delete_many(
        &self,
        _keys: &[String],
    ) -> Result<Vec<(String, TargetError)>, TargetError> {
        Ok(Vec::new())
    }

    async fn write_manifest(
        &self,
        _manifest: &Manifest,
        _expected: Option<&Etag>,
    ) -> Result<Etag, TargetError> {
        Ok(Etag("dry-run".into()))
    }

    async fn list_hashes(&self) -> Result<Listing, TargetError> {
        self.0.list_hashes().await
    }

    async fn read_reserved(&self, key: &str) -> Result<Option<Vec<u8>>, TargetError> {
        self.0.read_reserved(key).await
    }

    fn stores_headers(&self) -> bool {
        self.0.stores_headers()
    }

    async fn copy(&self, _from: &str, _to: &str, _entry: &Entry) -> Result<(), TargetError> {
        Ok(())
    }

    /// A dry run keeps no history.
    fn can_copy(&self) -> bool {
        false
    }

    async fn list_under(&self, sub: &str) -> Result<Vec<(String, Option<i64>)>, TargetError> {
        self.0.list_under(sub).await
    }

    fn is_multipart(&self, output: &Output) -> bool {
        self.0.is_multipart(output)
    }

    fn requests(&self) -> u64 {
        self.0.requests()
    }

    fn retries(&self) -> u64 {
        self.0.retries()
    }
}

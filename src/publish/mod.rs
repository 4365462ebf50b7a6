//! `publish`: upload only what changed, diffed against a manifest kept in the bucket.
//!
//! headers (Cache-Control, gzip) → read the manifest → [`plan::plan`] (pure) →
//! [`apply::apply`] to a [`target::Target`] (S3, a directory, or a dry run around either)
//! ([`flow`]).
//!
//! This file is where the kinds of target meet: [`TargetSpec`] (the `--to` URL, parsed and
//! checked) and [`AnyTarget`] (a connected target of any kind, from
//! [`TargetSpec::connect`]). Commands work on an [`AnyTarget`] and never ask which kind it
//! is, so a new kind is its module, a variant of both enums here, and its settings.

pub mod apply;
pub mod bucket_rules;
pub mod cdn;
pub mod checks;
pub mod cloudfront;
pub mod concurrency;
pub mod deploys;
pub mod dir;
pub mod flow;
pub mod headers;
pub mod lines;
pub mod manifest;
pub mod ownership;
pub mod pending;
pub mod plan;
pub mod preview;
pub mod run;
pub mod s3;
pub mod setup;
mod setup_lifecycle;
pub mod shared_cache;
mod staging;
pub mod target;

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::config::PublishConfig;
use crate::outputs::Output;
use dir::DirTarget;
use manifest::{Entry, Manifest};
use s3::{S3Settings, S3Target};
use target::{Etag, Listing, Target, TargetError};

pub use flow::{
    PublishError, PublishOptions, Rendered, Report, StoredRead, publish_outputs, publish_over,
    read_stored,
};

mod history;

/// Where to publish, from `--to` or `[publish]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// `s3://bucket/prefix`.
    S3 {
        /// The bucket.
        bucket: String,
        /// The key prefix, normalised (`blog/` or empty).
        prefix: String,
    },
    /// `file:///some/dir`.
    Dir(PathBuf),
}

impl TargetSpec {
    /// Parses `s3://bucket[/prefix]` or `file:///dir` (`file://relative/dir` is accepted too).
    pub fn parse(url: &str) -> Result<TargetSpec, String> {
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(format!("{url:?}: no bucket; expected s3://bucket/prefix"));
            }
            return Ok(TargetSpec::S3 {
                bucket: bucket.to_string(),
                prefix: s3::normalize_prefix(prefix),
            });
        }
        if let Some(path) = url.strip_prefix("file://") {
            if path.is_empty() {
                return Err(format!(
                    "{url:?}: no directory; expected file:///path/to/dir"
                ));
            }
            return Ok(TargetSpec::Dir(PathBuf::from(path)));
        }
        Err(format!(
            "{url:?}: expected s3://bucket/prefix or file:///path/to/dir"
        ))
    }

    /// `--to` if given, else `[publish] bucket`/`prefix`; an S3 target's bucket name, prefix
    /// and `[publish] endpoint` are checked ([`checks`]) so that no request is sent for them.
    pub fn resolve(to: Option<&str>, cfg: &PublishConfig) -> Result<TargetSpec, String> {
        let spec = TargetSpec::resolve_unchecked(to, cfg)?;
        if let TargetSpec::S3 { bucket, prefix } = &spec {
            checks::check_bucket(bucket).map_err(|e| e.to_string())?;
            checks::check_prefix(prefix).map_err(|e| e.to_string())?;
            if let Some(endpoint) = &cfg.endpoint {
                checks::check_endpoint(endpoint).map_err(|e| e.to_string())?;
            }
        }
        Ok(spec)
    }

    fn resolve_unchecked(to: Option<&str>, cfg: &PublishConfig) -> Result<TargetSpec, String> {
        match (to, &cfg.bucket) {
            (Some(url), _) => TargetSpec::parse(url),
            (None, Some(bucket)) => Ok(TargetSpec::S3 {
                bucket: bucket.clone(),
                prefix: s3::normalize_prefix(&cfg.prefix),
            }),
            (None, None) => Err(
                "nowhere to publish: pass --to s3://bucket/prefix (or file:///dir), or set \
                 bucket in the [publish] section of site.toml"
                    .to_string(),
            ),
        }
    }
}

impl std::fmt::Display for TargetSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetSpec::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
            TargetSpec::Dir(p) => write!(f, "file://{}", p.display()),
        }
    }
}

impl TargetSpec {
    /// Connects to the target; sends no request. An S3 target gets a client from
    /// `[publish]`'s connection settings ([`S3Settings::from_config`]: credentials, region,
    /// endpoint, retries, timeouts), its retry lines silenced when `quiet`; a folder needs
    /// nothing.
    pub async fn connect(&self, cfg: &PublishConfig, quiet: bool) -> AnyTarget {
        match self {
            TargetSpec::S3 { bucket, prefix } => {
                let settings = S3Settings::from_config(bucket, prefix, cfg);
                let sdk = s3::load_sdk_config(&settings).await;
                let target = S3Target::from_sdk(&sdk, &settings);
                target.set_quiet(quiet);
                AnyTarget::S3(target)
            }
            TargetSpec::Dir(dir) => AnyTarget::Dir(DirTarget::new(dir)),
        }
    }

    /// The bucket and prefix of an S3 target, for what works on a bucket itself rather than
    /// through [`Target`] (`setup-bucket`, backups, the bucket policy's note after a
    /// publish); `None` for every other kind, which such a command refuses in its own words.
    pub fn s3(&self) -> Option<(&str, &str)> {
        if let TargetSpec::S3 { bucket, prefix } = self {
            Some((bucket, prefix))
        } else {
            None
        }
    }

    /// A warning when the target puts the site elsewhere than `base_url`'s path (an S3
    /// prefix that is not the path: links would miss); `None` when they agree, or for a kind
    /// without a prefix.
    pub fn prefix_warning(&self, base_url: &str) -> Option<String> {
        self.s3()
            .and_then(|(_, prefix)| checks::prefix_warning(prefix, base_url))
    }
}

/// A connected target of any kind ([`TargetSpec::connect`]): a [`Target`] that passes every
/// call to the target inside, plus what commands need of a kind beyond the trait (a preview
/// of it, the CDN in front of it).
#[derive(Debug)]
pub enum AnyTarget {
    /// An S3 bucket (or an S3-compatible store) under a prefix.
    S3(S3Target),
    /// A local folder.
    Dir(DirTarget),
}

/// `$body` with `$t` bound to the target inside `$any`, whatever its kind.
macro_rules! each_kind {
    ($any:expr, $t:ident => $body:expr) => {
        match $any {
            AnyTarget::S3($t) => $body,
            AnyTarget::Dir($t) => $body,
        }
    };
}

/// `$body` (a target of the same kind) with `$t` bound to the target inside `$any`, as an
/// [`AnyTarget`] again.
macro_rules! map_kind {
    ($any:expr, $t:ident => $body:expr) => {
        match $any {
            AnyTarget::S3($t) => AnyTarget::S3($body),
            AnyTarget::Dir($t) => AnyTarget::Dir($body),
        }
    };
}

impl AnyTarget {
    /// The same store under `sub` (relative to this target's prefix, ending with `/`): a
    /// preview of this site, whose [`Target::copy`] copies from this site's objects.
    pub fn preview(&self, sub: &str) -> AnyTarget {
        map_kind!(self, t => t.preview(sub))
    }

    /// The CDN to invalidate after the site here changed: `[publish]
    /// cloudfront_distribution_id`, reached with the S3 target's AWS configuration; `None`
    /// when none is configured, or for a kind without AWS credentials.
    pub fn cdn(&self, cfg: &PublishConfig) -> Option<cloudfront::Distribution> {
        let id = cfg.cloudfront_distribution_id.as_deref()?;
        match self {
            AnyTarget::S3(t) => t
                .sdk_config()
                .map(|sdk| cloudfront::Distribution::new(sdk, id)),
            AnyTarget::Dir(_) => None,
        }
    }
}

impl Target for AnyTarget {
    async fn read_manifest(&self) -> Result<Option<(Vec<u8>, Etag)>, TargetError> {
        each_kind!(self, t => t.read_manifest().await)
    }

    async fn put(&self, output: &Output, site_id: &str) -> Result<(), TargetError> {
        each_kind!(self, t => t.put(output, site_id).await)
    }

    async fn delete_many(
        &self,
        keys: &[String],
    ) -> Result<Vec<(String, TargetError)>, TargetError> {
        each_kind!(self, t => t.delete_many(keys).await)
    }

    async fn write_manifest(
        &self,
        manifest: &Manifest,
        expected: Option<&Etag>,
    ) -> Result<Etag, TargetError> {
        each_kind!(self, t => t.write_manifest(manifest, expected).await)
    }

    async fn list_hashes(&self) -> Result<Listing, TargetError> {
        each_kind!(self, t => t.list_hashes().await)
    }

    fn stores_headers(&self) -> bool {
        each_kind!(self, t => t.stores_headers())
    }

    fn is_multipart(&self, output: &Output) -> bool {
        each_kind!(self, t => t.is_multipart(output))
    }

    async fn abort_multipart(&self, keys: &BTreeSet<String>) -> Result<usize, TargetError> {
        each_kind!(self, t => t.abort_multipart(keys).await)
    }

    async fn read_reserved(&self, key: &str) -> Result<Option<Vec<u8>>, TargetError> {
        each_kind!(self, t => t.read_reserved(key).await)
    }

    async fn write_reserved(&self, key: &str, bytes: Vec<u8>) -> Result<(), TargetError> {
        each_kind!(self, t => t.write_reserved(key, bytes).await)
    }

    async fn copy(&self, from: &str, to: &str, entry: &Entry) -> Result<(), TargetError> {
        each_kind!(self, t => t.copy(from, to, entry).await)
    }

    fn can_copy(&self) -> bool {
        each_kind!(self, t => t.can_copy())
    }

    async fn list_under(&self, sub: &str) -> Result<Vec<(String, Option<i64>)>, TargetError> {
        each_kind!(self, t => t.list_under(sub).await)
    }

    fn requests(&self) -> u64 {
        each_kind!(self, t => t.requests())
    }

    fn retries(&self) -> u64 {
        each_kind!(self, t => t.retries())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_urls_parse() {
        assert_eq!(
            TargetSpec::parse("s3://b/blog").unwrap(),
            TargetSpec::S3 {
                bucket: "b".into(),
                prefix: "blog/".into()
            }
        );
        assert_eq!(
            TargetSpec::parse("s3://b").unwrap(),
            TargetSpec::S3 {
                bucket: "b".into(),
                prefix: String::new()
            }
        );
        assert_eq!(
            TargetSpec::parse("file:///tmp/x").unwrap(),
            TargetSpec::Dir("/tmp/x".into())
        );
        assert!(TargetSpec::parse("s3:///x").is_err());
        assert!(TargetSpec::parse("http://x").is_err());
        assert!(TargetSpec::parse("file://").is_err());
        let cfg = PublishConfig {
            bucket: Some("cfg-bucket".into()),
            prefix: "p".into(),
            ..PublishConfig::default()
        };
        assert_eq!(
            TargetSpec::resolve(None, &cfg).unwrap().to_string(),
            "s3://cfg-bucket/p/"
        );
        assert!(TargetSpec::resolve(None, &PublishConfig::default()).is_err());
        // Checked before any request: the name, the prefix, the endpoint.
        assert!(TargetSpec::resolve(Some("s3://cb"), &cfg).is_err());
        assert!(TargetSpec::resolve(Some("s3://cfg-bucket/a/../b"), &cfg).is_err());
        let endpoint = PublishConfig {
            endpoint: Some("localhost:9000".into()),
            ..cfg.clone()
        };
        assert!(TargetSpec::resolve(None, &endpoint).is_err());
        assert!(TargetSpec::resolve(Some("file:///tmp/x"), &endpoint).is_ok());
    }
}

//! The `[publish]` section: where and how `publish` uploads, with its defaults. The publish
//! modules read it; the defaults they share with it are declared here, so `config` imports
//! nothing of `publish`.

use serde::{Deserialize, Serialize};

/// The most uploads in flight, whatever the link: beyond this, connections cost more than
/// they bring, and stores begin to throttle one client.
pub const MAX_IN_FLIGHT: usize = 256;

/// The default of `[publish] keep_deploys`.
pub const DEFAULT_KEEP: usize = 20;

/// The default of `[publish] previews_prefix`.
pub const DEFAULT_PREVIEWS_PREFIX: &str = ".bucketpress-previews/";

/// The keys of `[publish]` as `site.toml` spells them, kept beside [`PublishConfig`]: the
/// unknown-key warnings know them (with the rest of `site.toml`'s), and a test below checks
/// them against the struct's fields, so that a new setting is written in this file only.
pub(crate) const KEYS: &[&str] = &[
    "bucket",
    "prefix",
    "region",
    "endpoint",
    "path_style",
    "profile",
    "gzip",
    "highlight_cache_in_bucket",
    "max_deletes",
    "concurrency",
    "max_concurrency",
    "cache_control",
    "exclude",
    "cloudfront_distribution_id",
    "timeout",
    "keep_deploys",
    "previews_prefix",
];

/// Checks a `previews_prefix`: one or more path segments, the first starting with `.` (so the
/// live site's publishes never touch it); `Err` says what is expected.
pub fn check_previews_prefix(prefix: &str) -> Result<(), &'static str> {
    let ok = prefix.starts_with('.')
        && !prefix.starts_with(".bucketpress/")
        && prefix.ends_with('/')
        && prefix
            .trim_end_matches('/')
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
        && prefix.bytes().all(|b| b.is_ascii_graphic());
    match ok {
        true => Ok(()),
        false => Err(
            "a folder starting with a dot and ending with /, such as \".bucketpress-previews/\" \
             (not under .bucketpress/)",
        ),
    }
}

/// Reads an optional setting: a missing key, and an empty string (which meant "unset" before
/// these settings were options), are both `None`.
pub(crate) fn unset_if_empty<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let value: Option<String> = Option::deserialize(deserializer)?;
    Ok(value.filter(|s| !s.is_empty()))
}

/// One Cache-Control rule: the first rule whose glob matches a key wins.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CacheRule {
    /// A glob over object keys, e.g. `**/*.html` or `img/**`.
    pub glob: String,
    /// The Cache-Control value to send.
    pub value: String,
}

/// The `[publish]` section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct PublishConfig {
    /// The target bucket (for `s3://`); `None`: publish needs `--to`.
    #[serde(deserialize_with = "crate::config::publish::unset_if_empty")]
    pub bucket: Option<String>,
    /// A key prefix inside the bucket (`blog/`), empty for the bucket root.
    pub prefix: String,
    /// The AWS region (or the S3-compatible store's region name); `None`: the standard chain.
    #[serde(deserialize_with = "crate::config::publish::unset_if_empty")]
    pub region: Option<String>,
    /// An endpoint URL for S3-compatible stores (R2, MinIO, Garage, B2); `None`: AWS.
    #[serde(deserialize_with = "crate::config::publish::unset_if_empty")]
    pub endpoint: Option<String>,
    /// Path-style addressing (`https://host/bucket/key`), needed by some stores.
    pub path_style: bool,
    /// The named AWS profile to take credentials from; `None`: `AWS_PROFILE` or the default.
    #[serde(deserialize_with = "crate::config::publish::unset_if_empty")]
    pub profile: Option<String>,
    /// Precompress text types with gzip and send `Content-Encoding: gzip`.
    pub gzip: bool,
    /// Refuse a publish that would delete more keys than this.
    pub max_deletes: usize,
    /// How many uploads run at once at the start; the number grows while throughput does
    /// (up to `max_concurrency`) and halves when the store makes requests retry.
    pub concurrency: usize,
    /// The most uploads in flight (set it to `concurrency` for a fixed number).
    pub max_concurrency: usize,
    /// Cache-Control rules, tried in order before the built-in defaults.
    pub cache_control: Vec<CacheRule>,
    /// Globs of object keys never to upload (in addition to dotfiles and drafts).
    pub exclude: Vec<String>,
    /// A CloudFront distribution to invalidate after a publish; `None`: no invalidation.
    #[serde(deserialize_with = "crate::config::publish::unset_if_empty")]
    pub cloudfront_distribution_id: Option<String>,
    /// Keep the highlight cache in the bucket too (under `.bucketpress/cache/`), so a publish
    /// from a fresh checkout with no local cache (CI) does not highlight every block again
    /// (the cache holds the dear highlighters' blocks: Go, C and syntect's languages).
    pub highlight_cache_in_bucket: bool,
    /// Seconds one attempt of a small S3 request may take before it is retried (0: the
    /// default, 10); uploads get more by size. `BUCKETPRESS_S3_ATTEMPT_TIMEOUT_MS` overrides it.
    pub timeout: u64,
    /// Deploys kept in the history for `rollback` (0: keep no history, and publishes make no
    /// server-side copies).
    pub keep_deploys: usize,
    /// Where `publish --preview NAME` puts previews, below the site prefix (starts with `.`,
    /// so that the live site never publishes or deletes there).
    pub previews_prefix: String,
}

impl Default for PublishConfig {
    fn default() -> PublishConfig {
        PublishConfig {
            bucket: None,
            prefix: String::new(),
            region: None,
            endpoint: None,
            path_style: false,
            profile: None,
            gzip: false,
            max_deletes: 256,
            concurrency: 16,
            max_concurrency: MAX_IN_FLIGHT,
            cache_control: Vec::new(),
            exclude: Vec::new(),
            cloudfront_distribution_id: None,
            highlight_cache_in_bucket: false,
            timeout: 0,
            keep_deploys: DEFAULT_KEEP,
            previews_prefix: DEFAULT_PREVIEWS_PREFIX.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field is one of [`KEYS`] (else writing it would warn "unknown key"), and every
    /// key a field (else a typo would pass unwarned). Optional settings serialize only when
    /// set: set them all here.
    #[test]
    fn keys_are_exactly_the_fields() {
        let every = PublishConfig {
            bucket: Some("b".into()),
            region: Some("r".into()),
            endpoint: Some("https://e".into()),
            profile: Some("p".into()),
            cloudfront_distribution_id: Some("E1".into()),
            ..PublishConfig::default()
        };
        let value = toml::Value::try_from(every).unwrap();
        let mut fields: Vec<&str> = value
            .as_table()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut keys = KEYS.to_vec();
        fields.sort_unstable();
        keys.sort_unstable();
        assert_eq!(fields, keys);
    }
}

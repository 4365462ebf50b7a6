//! Previews: the site published under `<prefix>.bucketpress-previews/NAME/` with its links
//! made for that base path, costing only what differs from the live site (objects the live
//! site already holds with the same bytes and headers are server-side copies), listed and
//! removed by name or age. A preview never writes or deletes outside its own folder.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::manifest::{Entry, Manifest};
use super::target::{Etag, Listing, Target, TargetError};
use crate::outputs::Output;

pub use crate::config::publish::{
    DEFAULT_PREVIEWS_PREFIX as DEFAULT_PREFIX, check_previews_prefix as check_prefix,
};

/// Checks a preview name: 1-64 of `a-z`, `0-9`, `-`, `_`, `.`, not starting with `.`.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        });
    match ok {
        true => Ok(()),
        false => Err(format!(
            "preview name {name:?}: use 1-64 of a-z, 0-9, '-', '_' and '.' (not first), such as \
             pr-42"
        )),
    }
}

/// The folder of preview `name`, relative to the site prefix.
pub fn folder(previews_prefix: &str, name: &str) -> String {
    format!("{previews_prefix}{name}/")
}

/// The base URL of preview `name` of a site at `base_url`.
pub fn base_url(base_url: &str, previews_prefix: &str, name: &str) -> String {
    format!(
        "{}/{}",
        base_url.trim_end_matches('/'),
        folder(previews_prefix, name)
    )
}

/// A preview's target: uploads whose output the live site already holds as is (same hash and
/// headers, per its manifest) become server-side copies from the live object; everything else
/// passes through to the preview's own target.
#[derive(Debug)]
pub(crate) struct LiveCopies<T> {
    /// The preview's target (its prefix is the preview folder; its copies read the live site).
    pub inner: T,
    /// The live site's manifest.
    pub live: Manifest,
}

impl<T: Target> Target for LiveCopies<T> {
    async fn read_manifest(&self) -> Result<Option<(Vec<u8>, Etag)>, TargetError> {
        self.inner.read_manifest().await
    }

    async fn put(&self, output: &Output, site_id: &str) -> Result<(), TargetError> {
        let entry = Entry::of(output);
        if self.live.entries.get(&output.key) == Some(&entry) && self.inner.can_copy() {
            match self.inner.copy(&output.key, &output.key, &entry).await {
                Ok(()) => return Ok(()),
                // Gone from the live site since its manifest was read: upload it.
                Err(TargetError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        self.inner.put(output, site_id).await
    }

    async fn delete_many(
        &self,
        keys: &[String],
    ) -> Result<Vec<(String, TargetError)>, TargetError> {
        self.inner.delete_many(keys).await
    }

    async fn write_manifest(
        &self,
        manifest: &Manifest,
        expected: Option<&Etag>,
    ) -> Result<Etag, TargetError> {
        self.inner.write_manifest(manifest, expected).await
    }

    async fn list_hashes(&self) -> Result<Listing, TargetError> {
        self.inner.list_hashes().await
    }

    fn stores_headers(&self) -> bool {
        self.inner.stores_headers()
    }

    fn is_multipart(&self, output: &Output) -> bool {
        self.inner.is_multipart(output)
    }

    async fn abort_multipart(&self, keys: &BTreeSet<String>) -> Result<usize, TargetError> {
        self.inner.abort_multipart(keys).await
    }

    fn requests(&self) -> u64 {
        self.inner.requests()
    }

    fn retries(&self) -> u64 {
        self.inner.retries()
    }
}

/// One preview in the bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreviewInfo {
    /// Its name.
    pub name: String,
    /// Objects stored under it.
    pub objects: usize,
    /// When it was last written (Unix seconds; `None` when the store does not say).
    pub updated: Option<i64>,
}

/// The previews under `previews_prefix` at the live site's `target` (one listing).
pub async fn list<T: Target>(
    target: &T,
    previews_prefix: &str,
) -> Result<Vec<PreviewInfo>, TargetError> {
    let keys = target.list_under(previews_prefix).await?;
    Ok(group(previews_prefix, &keys))
}

/// Groups listed keys by preview name (pure).
pub fn group(previews_prefix: &str, keys: &[(String, Option<i64>)]) -> Vec<PreviewInfo> {
    let mut by_name: BTreeMap<&str, PreviewInfo> = BTreeMap::new();
    for (key, modified) in keys {
        let Some((name, _)) = key
            .strip_prefix(previews_prefix)
            .and_then(|rest| rest.split_once('/'))
        else {
            continue;
        };
        let info = by_name.entry(name).or_insert_with(|| PreviewInfo {
            name: name.to_string(),
            objects: 0,
            updated: None,
        });
        info.objects += 1;
        info.updated = info.updated.max(*modified);
    }
    by_name.into_values().collect()
}

/// The previews last written more than `older_than_secs` before `now` (pure). A preview whose
/// time the store does not give is never taken for old.
pub fn stale(previews: &[PreviewInfo], now: i64, older_than_secs: i64) -> Vec<String> {
    previews
        .iter()
        .filter(|p| p.updated.is_some_and(|t| now - t > older_than_secs))
        .map(|p| p.name.clone())
        .collect()
}

/// Deletes every object of preview `name` (nothing outside its folder); returns how many.
pub async fn remove<T: Target>(
    target: &T,
    previews_prefix: &str,
    name: &str,
) -> Result<usize, TargetError> {
    check_name(name).map_err(TargetError::Other)?;
    let folder = folder(previews_prefix, name);
    let keys: Vec<String> = target
        .list_under(&folder)
        .await?
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with(&folder))
        .collect();
    if keys.is_empty() {
        return Ok(0);
    }
    let failed = target.delete_many(&keys).await?;
    match failed.into_iter().next() {
        None => Ok(keys.len()),
        Some((key, e)) => Err(TargetError::Other(format!("{key}: {e}"))),
    }
}

/// Parses an age such as `14d`, `12h`, `30m`, `90s` or `2w` into seconds.
pub fn parse_age(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: i64 = digits
        .parse()
        .map_err(|_| format!("{text:?}: expected a number and a unit, such as 14d"))?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => {
            return Err(format!(
                "{text:?}: the unit is one of s, m, h, d, w (as in 14d)"
            ));
        }
    };
    n.checked_mul(unit)
        .ok_or_else(|| format!("{text:?}: too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_prefixes_and_urls() {
        assert!(check_name("pr-42").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("../x").is_err());
        assert!(check_name(".hidden").is_err());
        assert!(check_name("Upper").is_err());
        assert!(check_prefix(DEFAULT_PREFIX).is_ok());
        assert!(check_prefix(".previews/x/").is_ok());
        assert!(check_prefix("previews/").is_err());
        assert!(check_prefix(".bucketpress/previews/").is_err());
        assert!(check_prefix(".p").is_err());
        assert!(check_prefix("./").is_err());
        assert_eq!(
            base_url("https://x.org/blog/", DEFAULT_PREFIX, "pr-1"),
            "https://x.org/blog/.bucketpress-previews/pr-1/"
        );
    }

    #[test]
    fn previews_group_and_go_stale_by_age() {
        let p = DEFAULT_PREFIX;
        let keys = vec![
            (format!("{p}a/index.html"), Some(100)),
            (format!("{p}a/.bucketpress/manifest.json"), Some(150)),
            (format!("{p}b/index.html"), Some(1000)),
            (format!("{p}c/index.html"), None),
            (format!("{p}stray"), Some(1)),
        ];
        let previews = group(p, &keys);
        let names: Vec<_> = previews
            .iter()
            .map(|i| (i.name.as_str(), i.objects, i.updated))
            .collect();
        assert_eq!(
            names,
            [("a", 2, Some(150)), ("b", 1, Some(1000)), ("c", 1, None)]
        );
        assert_eq!(stale(&previews, 1100, 500), ["a"]);
        assert_eq!(stale(&previews, 1100, 50), ["a", "b"]);
        assert!(stale(&previews, 1100, 5000).is_empty());
    }

    #[test]
    fn ages_parse_with_units() {
        assert_eq!(parse_age("14d"), Ok(14 * 86_400));
        assert_eq!(parse_age("0s"), Ok(0));
        assert_eq!(parse_age("2w"), Ok(14 * 86_400));
        assert!(parse_age("14").unwrap_err().contains("unit"));
        assert!(parse_age("d").is_err());
        assert!(parse_age("3 days").is_err());
    }
}

//! Which CDN paths a publish makes stale: changed object keys → URL paths → a short list with
//! wildcards (pure; the CloudFront request lives in [`super::cloudfront`]).
//!
//! Like bep/s3deploy, many paths under one folder become one wildcard, and too many paths
//! overall become everything (`/*`): a wildcard costs the same as one path, and CloudFront
//! allows only `MAX_WILDCARDS` wildcard paths in progress at once.

use std::collections::BTreeSet;

/// A folder with more than this many changed paths beneath it is invalidated as `folder/*`.
pub(crate) const GROUP_LIMIT: usize = 10;

/// More paths than this after grouping: invalidate everything under the site (`/*`).
pub const MAX_PATHS: usize = 30;

/// More wildcard paths than this after grouping: invalidate everything (CloudFront allows 15
/// wildcard paths in progress per distribution).
pub(crate) const MAX_WILDCARDS: usize = 15;

/// The limits of [`reduce`]; [`Default`] gives the documented ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// See [`GROUP_LIMIT`].
    pub group: usize,
    /// See [`MAX_PATHS`].
    pub max_paths: usize,
    /// See [`MAX_WILDCARDS`].
    pub max_wildcards: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            group: GROUP_LIMIT,
            max_paths: MAX_PATHS,
            max_wildcards: MAX_WILDCARDS,
        }
    }
}

/// The path part of `base_url`, always starting and ending with `/`
/// (`https://x.org/blog` → `/blog/`, `https://x.org` → `/`).
pub fn base_path(base_url: &str) -> String {
    let rest = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    let path = path.split(['?', '#']).next().unwrap_or("");
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        "/".to_string()
    } else {
        format!("/{trimmed}/")
    }
}

/// The URL paths under which `key` is served below `base` (from [`base_path`]): `index.html`
/// files also under their folder (`posts/x/index.html` → `/posts/x/` and
/// `/posts/x/index.html`). Characters outside the URL-safe set are percent-encoded, so a `*`
/// in a key is never taken for a wildcard.
pub(crate) fn key_paths(base: &str, key: &str) -> Vec<String> {
    let full = format!("{base}{}", encode(key));
    match full.strip_suffix("index.html") {
        Some(dir) if dir.ends_with('/') => vec![dir.to_string(), full.clone()],
        _ => vec![full],
    }
}

/// Percent-encodes every byte outside RFC 3986's unreserved set and the path delimiters
/// that are safe in a CloudFront path (`*` and `'` are encoded: no wildcard, no broken quoting
/// in the retry hint).
fn encode(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&()+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The invalidation paths for changed (uploaded or deleted) `keys` of a site served at `base`:
/// expanded with [`key_paths`], then [`reduce`]d. Empty when nothing changed.
pub(crate) fn invalidation_paths<'a>(
    base: &str,
    keys: impl IntoIterator<Item = &'a str>,
    limits: Limits,
) -> Vec<String> {
    let paths: BTreeSet<String> = keys.into_iter().flat_map(|k| key_paths(base, k)).collect();
    reduce(base, paths, limits)
}

/// Shortens a set of paths under `base`: deepest folders first, a folder (never `base`
/// itself) with more than `limits.group` paths beneath it becomes `folder/*`, which then
/// counts as one path for its parent. If more than `limits.max_paths` paths or
/// `limits.max_wildcards` wildcards remain, the answer is `[base*]`. Sorted, no duplicates.
pub(crate) fn reduce(base: &str, paths: BTreeSet<String>, limits: Limits) -> Vec<String> {
    let mut paths = paths;
    if paths.is_empty() {
        return Vec::new();
    }
    let everything = format!("{base}*");
    if paths.contains(&everything) {
        return vec![everything];
    }
    // Every folder that holds a path, deepest first (ties in order, for determinism).
    let mut folders: BTreeSet<(usize, String)> = BTreeSet::new();
    for p in &paths {
        let mut end = p.len();
        while let Some(i) = p[..end].rfind('/') {
            let folder = &p[..=i];
            if folder.len() <= base.len() {
                break;
            }
            folders.insert((usize::MAX - folder.matches('/').count(), folder.to_string()));
            end = i;
        }
    }
    for (_, folder) in folders {
        let beneath = paths
            .iter()
            .filter(|p| p.starts_with(&folder) && **p != folder)
            .count();
        if beneath > limits.group {
            paths.retain(|p| !p.starts_with(&folder));
            paths.insert(format!("{folder}*"));
        }
    }
    let wildcards = paths.iter().filter(|p| p.ends_with('*')).count();
    if paths.len() > limits.max_paths || wildcards > limits.max_wildcards {
        return vec![everything];
    }
    paths.into_iter().collect()
}

#[cfg(test)]
#[path = "cdn_tests.rs"]
mod tests;

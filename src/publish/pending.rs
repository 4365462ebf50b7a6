//! Multipart uploads a killed publish may leave behind: recorded in the manifest before they
//! start ([`Manifest::pending_multipart`]), aborted by the next publish.
//!
//! An unfinished multipart upload is invisible in the bucket's listing but stored (and billed)
//! until aborted. A publish that is about to upload in parts first writes the manifest it read,
//! unchanged but for those keys (a conditional write, like every manifest write); the manifest
//! it writes at the end no longer lists them. A publish that finds keys listed there aborts the
//! unfinished uploads of exactly those keys under its prefix, never any other.

use std::collections::BTreeSet;

use super::manifest::Manifest;
use super::plan::Step;
use super::target::{Etag, Target, TargetError};
use crate::outputs::Outputs;

/// Aborts the unfinished uploads `stored` records (if any): how many were aborted, and the
/// keys to keep recording because the abort failed (it is retried next time).
pub(crate) async fn abort_recorded<T: Target>(
    target: &T,
    stored: Option<&Manifest>,
) -> (usize, BTreeSet<String>) {
    let Some(keys) = stored
        .map(|m| &m.pending_multipart)
        .filter(|k| !k.is_empty())
    else {
        return (0, BTreeSet::new());
    };
    match target.abort_multipart(keys).await {
        Ok(n) => (n, BTreeSet::new()),
        Err(e) => {
            tracing::warn!("cannot abort the unfinished uploads of an interrupted publish: {e}");
            (0, keys.clone())
        }
    }
}

/// The keys of `uploads` that `target` uploads in parts.
pub(crate) fn multipart_keys<T: Target>(
    target: &T,
    uploads: &[&Step],
    outputs: &Outputs,
) -> BTreeSet<String> {
    uploads
        .iter()
        .filter(|s| outputs.get(&s.key).is_some_and(|o| target.is_multipart(o)))
        .map(|s| s.key.clone())
        .collect()
}

/// Writes `baseline` (what is stored now) with `keys` recorded as multipart uploads about to
/// start, conditionally on `expected`; returns the new version tag.
pub(crate) async fn record_intent<T: Target>(
    target: &T,
    baseline: &Manifest,
    site_id: Option<&str>,
    keys: BTreeSet<String>,
    expected: Option<&Etag>,
) -> Result<Etag, TargetError> {
    let mut intent = baseline.clone();
    intent.site_id = site_id.map(str::to_owned);
    intent.pending_multipart = keys;
    target.write_manifest(&intent, expected).await
}

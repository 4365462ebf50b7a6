//! Keeping what a deploy is about to overwrite or delete: one server-side copy per key into
//! the deploy's history, before its first write to the site.

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;

use super::kept_key;
use crate::publish::manifest::Entry;
use crate::publish::target::{Target, TargetError};

/// Copies each of `keys` (with what the manifest says it holds) to deploy `id`'s history,
/// `concurrency` at a time. Returns the keys that turned out not to exist (nothing to keep:
/// their before-state is "absent"); any other failure is the error, and the deploy must not
/// start.
pub async fn keep<T: Target>(
    target: &T,
    id: &str,
    keys: &BTreeMap<String, Entry>,
    concurrency: usize,
) -> Result<BTreeSet<String>, TargetError> {
    // Futures built first, by a named fn: a closure returning an async block here trips
    // rustc's higher-ranked Send inference in callers that spawn the publish.
    let copies: Vec<_> = keys
        .iter()
        .map(|(key, entry)| keep_one(target, id, key, entry))
        .collect();
    let mut results = futures::stream::iter(copies).buffer_unordered(concurrency.max(1));
    let mut missing = BTreeSet::new();
    while let Some((key, result)) = results.next().await {
        match result {
            Ok(()) => {}
            Err(TargetError::NotFound(_)) => {
                missing.insert(key.clone());
            }
            Err(e) => return Err(e),
        }
    }
    Ok(missing)
}

async fn keep_one<'a, T: Target>(
    target: &T,
    id: &str,
    key: &'a String,
    entry: &Entry,
) -> (&'a String, Result<(), TargetError>) {
    (key, target.copy(key, &kept_key(id, key), entry).await)
}

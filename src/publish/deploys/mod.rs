//! Deploy history: every publish (and rollback) records a [`Deploy`] under
//! `.bucketpress/deploys/`, after keeping the objects it is about to overwrite or delete by a
//! server-side copy under `.bucketpress/history/<id>/` ([`keep`]); `rollback` restores them
//! from there ([`undo`] plans it, purely; [`rollback`] applies it). History is pruned to
//! `[publish] keep_deploys` records.
//!
//! The state of a key just before deploy X is what the first deploy from X on that touched
//! the key recorded as its `before` (untouched keys are as they are now): rolling back to
//! before X needs every record from X on, which pruning (oldest first) keeps.

pub mod keep;
pub mod origin;
pub mod record;
pub mod rollback;
pub mod undo;

use futures::{StreamExt, TryStreamExt};

pub use record::{Change, Deploy, Kind, Status};

use super::manifest::RESERVED_PREFIX;
use super::target::{Target, TargetError};

/// Where deploy records live, relative to the site prefix.
pub(crate) const DEPLOYS_PREFIX: &str = ".bucketpress/deploys/";

/// Where the objects deploys replaced are kept, relative to the site prefix.
pub(crate) const HISTORY_PREFIX: &str = ".bucketpress/history/";

pub use crate::config::publish::DEFAULT_KEEP;

/// The key of deploy `id`'s record.
pub(crate) fn record_key(id: &str) -> String {
    format!("{DEPLOYS_PREFIX}{id}.json.gz")
}

/// Where deploy `id` keeps what `key` held before it.
pub(crate) fn kept_key(id: &str, key: &str) -> String {
    format!("{HISTORY_PREFIX}{id}/{key}")
}

/// The ids of the recorded deploys, oldest first (one listing request per 1,000).
pub(crate) async fn list_ids<T: Target>(target: &T) -> Result<Vec<String>, TargetError> {
    let mut ids: Vec<String> = target
        .list_under(DEPLOYS_PREFIX)
        .await?
        .into_iter()
        .filter_map(|(key, _)| {
            let id = key.strip_prefix(DEPLOYS_PREFIX)?.strip_suffix(".json.gz")?;
            record::is_id(id).then(|| id.to_string())
        })
        .collect();
    ids.sort();
    Ok(ids)
}

/// Every recorded deploy, oldest first (a listing, then one GET per record).
pub async fn list<T: Target>(target: &T) -> Result<Vec<Deploy>, TargetError> {
    let ids = list_ids(target).await?;
    let reads: Vec<_> = ids.into_iter().map(|id| read(target, id)).collect();
    let records: Vec<Option<Deploy>> = futures::stream::iter(reads)
        .buffered(16)
        .try_collect()
        .await?;
    Ok(records.into_iter().flatten().collect())
}

/// Reads one record; `None` when it was pruned since the listing.
async fn read<T: Target>(target: &T, id: String) -> Result<Option<Deploy>, TargetError> {
    let key = record_key(&id);
    match target.read_reserved(&key).await? {
        Some(bytes) => Deploy::decode(&bytes, &key)
            .map(Some)
            .map_err(TargetError::Other),
        None => Ok(None),
    }
}

/// Stores `deploy`'s record (over an earlier version of it).
pub async fn write<T: Target>(target: &T, deploy: &Deploy) -> Result<(), TargetError> {
    target
        .write_reserved(&record_key(&deploy.id), deploy.encode())
        .await
}

/// Removes the oldest records (and what they kept) beyond the newest `keep`; returns how many
/// deploys were removed. Records go first: kept objects whose record is gone are never read
/// (the lifecycle rule of `setup-bucket` expires any a killed prune leaves).
pub async fn prune<T: Target>(target: &T, keep: usize) -> Result<usize, TargetError> {
    let ids = list_ids(target).await?;
    if ids.len() <= keep {
        return Ok(0);
    }
    let old = &ids[..ids.len() - keep];
    let records: Vec<String> = old.iter().map(|id| record_key(id)).collect();
    delete_all(target, &records).await?;
    for id in old {
        let kept: Vec<String> = target
            .list_under(&format!("{HISTORY_PREFIX}{id}/"))
            .await?
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        delete_all(target, &kept).await?;
    }
    Ok(old.len())
}

/// Deletes bucketpress's own `keys` (all under [`RESERVED_PREFIX`]); the first failure is the
/// error.
async fn delete_all<T: Target>(target: &T, keys: &[String]) -> Result<(), TargetError> {
    debug_assert!(keys.iter().all(|k| k.starts_with(RESERVED_PREFIX)));
    if keys.is_empty() {
        return Ok(());
    }
    match target.delete_many(keys).await?.into_iter().next() {
        None => Ok(()),
        Some((_, e)) => Err(e),
    }
}

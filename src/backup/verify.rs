//! Trusting stored chunks: a backup reuses a chunk only if the store still shows it as it was
//! recorded when uploaded ([`matches()`]), and `backup --check [--full]` proves every snapshot
//! restorable ([`check`]).
//!
//! What a listing can show differs between stores (s3s-fs lists no ETag), so every field is
//! compared only when both the record and the listing have it; the size always is. A chunk
//! damaged in place with its size, ETag and modification time unchanged (bit rot that the store
//! does not notice) is found only by reading it: `--check --full`, or a restore.

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;
use serde::Serialize;

use super::index::ChunkRecord;
use super::{BackupError, Store};
use crate::publish::s3::StoredObject;

/// How many chunks `--check --full` reads at once.
const READ_CONCURRENCY: usize = 8;

/// True when the listed object is still the one `record` describes: same size, and same ETag
/// and modification time where both sides know them.
pub fn matches(record: &ChunkRecord, listed: &StoredObject) -> bool {
    difference(record, listed).is_none()
}

/// What differs between `record` and the listed object, in words (`None`: nothing).
pub(crate) fn difference(record: &ChunkRecord, listed: &StoredObject) -> Option<String> {
    let differs = |a: &Option<String>, b: &Option<String>| match (a, b) {
        (Some(a), Some(b)) => (a != b).then(|| format!("{b}, recorded {a}")),
        _ => None,
    };
    if record.size != listed.size {
        return Some(format!(
            "size {} bytes, recorded {}",
            listed.size, record.size
        ));
    }
    if let Some(d) = differs(&record.etag, &listed.etag) {
        return Some(format!("ETag {d}"));
    }
    differs(&record.modified, &listed.modified).map(|d| format!("last modified {d}"))
}

/// `record` completed with what the listing shows (its ETag and modification time, when the
/// record lacks them), so the next comparison checks those too.
pub(crate) fn refreshed(record: &ChunkRecord, listed: &StoredObject) -> ChunkRecord {
    ChunkRecord {
        size: record.size,
        etag: record.etag.clone().or_else(|| listed.etag.clone()),
        modified: record.modified.clone().or_else(|| listed.modified.clone()),
    }
}

/// Why a chunk (or a snapshot index) cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Damage {
    /// The chunk id, or `index` for a snapshot index that cannot be read.
    pub chunk: String,
    /// What is wrong.
    pub reason: String,
    /// The snapshots that need it.
    pub snapshots: BTreeSet<String>,
}

/// What `backup --check` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    /// Snapshots checked.
    pub snapshots: usize,
    /// Distinct chunks they refer to.
    pub chunks: usize,
    /// Chunks downloaded, decrypted and hashed (`--full`).
    pub read: usize,
    /// Requests sent.
    pub requests: u64,
}

/// Checks that every snapshot in `store` can be restored: each chunk each snapshot refers to
/// is listed with the size (and ETag, modification time) its snapshot recorded; with `full`,
/// each is also downloaded, decrypted and checked against its keyed hash. Errs with
/// [`BackupError::Damaged`], naming every damaged snapshot and chunk.
pub async fn check(store: &Store, full: bool) -> Result<CheckReport, BackupError> {
    let requests0 = store.requests();
    let inventory = store.inventory().await?;
    // chunk → (record, if any; snapshots needing it; a file needing it, for messages).
    let mut needed: BTreeMap<String, (Option<ChunkRecord>, BTreeSet<String>, String)> =
        BTreeMap::new();
    let mut damaged = Vec::new();
    for id in &inventory.snapshots {
        let snapshot = match store.get_snapshot(id).await {
            Ok(s) => s,
            Err(BackupError::Store(e)) => return Err(BackupError::Store(e)),
            Err(e) => {
                damaged.push(Damage {
                    chunk: "index".into(),
                    reason: e.to_string(),
                    snapshots: BTreeSet::from([id.clone()]),
                });
                continue;
            }
        };
        for file in &snapshot.files {
            for chunk in &file.chunks {
                let slot = needed
                    .entry(chunk.clone())
                    .or_insert_with(|| (None, BTreeSet::new(), file.path.clone()));
                slot.1.insert(id.clone());
                // The newest record wins: a chunk uploaded again (after damage) is recorded
                // anew by the snapshot that re-uploaded it.
                if let Some(record) = snapshot.chunk_records.get(chunk) {
                    slot.0 = Some(record.clone());
                }
            }
        }
    }
    let mut readable = Vec::new();
    for (chunk, (record, snapshots, file)) in &needed {
        let reason = match (inventory.chunks.get(chunk), record) {
            (None, _) => Some("missing from the bucket".to_string()),
            // Rewritten, but perhaps with the same plaintext (another backup uploading the
            // same chunk): --full reads it and decides.
            (Some(_), Some(_)) if full => None,
            (Some(listed), Some(record)) => difference(record, listed).map(|d| {
                format!("changed since it was uploaded ({d}; --full reads it to be sure)")
            }),
            (Some(_), None) => None,
        };
        match reason {
            Some(reason) => damaged.push(Damage {
                chunk: chunk.clone(),
                reason,
                snapshots: snapshots.clone(),
            }),
            None => readable.push((chunk, snapshots, file)),
        }
    }
    let mut read = 0;
    if full {
        let mut reads = futures::stream::iter(readable)
            .map(|(chunk, snapshots, file)| async move {
                (chunk, snapshots, store.get_chunk(chunk, file).await)
            })
            .buffer_unordered(READ_CONCURRENCY);
        while let Some((chunk, snapshots, result)) = reads.next().await {
            read += 1;
            let reason = match result {
                Ok(_) => continue,
                Err(BackupError::CorruptChunk { reason, .. }) => reason,
                Err(BackupError::MissingChunk { .. }) => "missing from the bucket".into(),
                Err(e) => return Err(e),
            };
            damaged.push(Damage {
                chunk: chunk.clone(),
                reason,
                snapshots: snapshots.clone(),
            });
        }
    }
    if !damaged.is_empty() {
        damaged.sort_by(|a, b| a.chunk.cmp(&b.chunk));
        let snapshots: BTreeSet<String> = damaged
            .iter()
            .flat_map(|d| d.snapshots.iter().cloned())
            .collect();
        return Err(BackupError::Damaged {
            snapshots: snapshots.into_iter().collect(),
            of: inventory.snapshots.len(),
            damage: damaged,
        });
    }
    Ok(CheckReport {
        snapshots: inventory.snapshots.len(),
        chunks: needed.len(),
        read,
        requests: store.requests() - requests0,
    })
}

/// The message of [`BackupError::Damaged`]: the snapshots, then each damaged chunk with why.
pub(crate) fn damage_message(snapshots: &[String], of: usize, damage: &[Damage]) -> String {
    let mut text = format!(
        "{} of {of} snapshots cannot be restored: {}",
        snapshots.len(),
        snapshots.join(", ")
    );
    for d in damage {
        let needed_by: Vec<&str> = d.snapshots.iter().map(String::as_str).collect();
        text.push_str(&format!(
            "\n  {} {}: {} (needed by {})",
            if d.chunk == "index" {
                "snapshot"
            } else {
                "chunk"
            },
            d.chunk,
            d.reason,
            needed_by.join(", ")
        ));
    }
    text.push_str(
        "\n(the next backup uploads again the chunks the current sources still need; snapshots \
         needing others stay damaged)",
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(size: u64, etag: Option<&str>, modified: Option<&str>) -> StoredObject {
        StoredObject {
            key: "c".into(),
            size,
            etag: etag.map(str::to_owned),
            modified: modified.map(str::to_owned),
        }
    }

    #[test]
    fn a_chunk_is_trusted_only_while_it_looks_as_recorded() {
        let record = ChunkRecord {
            size: 100,
            etag: Some("abc".into()),
            modified: None,
        };
        // s3s-fs lists no ETag: the size decides; the time is learnt for next time.
        let plain = listed(100, None, Some("5.000000000"));
        assert!(matches(&record, &plain));
        let learnt = refreshed(&record, &plain);
        assert_eq!(learnt.modified.as_deref(), Some("5.000000000"));
        assert_eq!(learnt.etag.as_deref(), Some("abc"));
        assert!(!matches(&learnt, &listed(100, None, Some("6.000000000"))));
        assert!(!matches(&record, &listed(99, None, None)));
        // A store that lists ETags: a rewrite of the same size shows.
        assert!(!matches(&record, &listed(100, Some("def"), None)));
        assert!(matches(&record, &listed(100, Some("abc"), None)));
    }
}

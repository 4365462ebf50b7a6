//! The backup prefix as an encrypted store: `chunks/<keyed hash>` and `snapshots/<id>`, each
//! object an age file. Everything stored is encrypted here; everything read is decrypted and
//! checked here.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::index::{ChunkRecord, Snapshot};
use super::{BackupError, BackupKey};
use crate::publish::s3::{S3Target, StoredObject};

/// The sub-prefix of chunk objects.
pub(crate) const CHUNKS: &str = "chunks/";

/// The sub-prefix of snapshot index objects.
pub(crate) const SNAPSHOTS: &str = "snapshots/";

/// The objects of a backup prefix.
#[derive(Debug, Clone, Default)]
pub(crate) struct Inventory {
    /// Stored chunks by id, as listed (size; ETag and modification time when listed).
    pub chunks: HashMap<String, StoredObject>,
    /// Snapshot ids, oldest first (ids sort by time).
    pub snapshots: Vec<String>,
}

/// An S3 target rooted at the backup prefix, with the key that seals its objects.
#[derive(Debug)]
pub struct Store {
    target: S3Target,
    key: Arc<BackupKey>,
}

impl Store {
    /// A store on `target` (whose prefix is the backup prefix) sealed with `key`.
    pub fn new(target: S3Target, key: BackupKey) -> Store {
        Store {
            target,
            key: Arc::new(key),
        }
    }

    /// The key (shared with the chunking thread).
    pub fn key(&self) -> Arc<BackupKey> {
        self.key.clone()
    }

    /// `s3://bucket/prefix`, for messages.
    pub fn location(&self) -> String {
        self.target.location()
    }

    /// Requests sent so far.
    pub fn requests(&self) -> u64 {
        crate::publish::target::Target::requests(&self.target)
    }

    /// What the backup prefix holds, from one listing (one ListObjectsV2 per 1,000 objects).
    pub(crate) async fn inventory(&self) -> Result<Inventory, BackupError> {
        let mut inventory = Inventory::default();
        for mut object in self.target.list_stored("").await? {
            if let Some(id) = object.key.strip_prefix(CHUNKS) {
                let id = id.to_string();
                object.key.clone_from(&id);
                inventory.chunks.insert(id, object);
            } else if let Some(id) = object.key.strip_prefix(SNAPSHOTS)
                && !id.contains('/')
            {
                inventory.snapshots.push(id.to_string());
            }
        }
        inventory.snapshots.sort();
        Ok(inventory)
    }

    /// What the newest of `snapshots` recorded about its chunks (one GET); empty when there is
    /// none, or when it cannot be read with this key (nothing is then trusted, and the chunks a
    /// backup needs are uploaded again).
    pub(crate) async fn latest_records(
        &self,
        snapshots: &[String],
    ) -> Result<BTreeMap<String, ChunkRecord>, BackupError> {
        let Some(id) = snapshots.last() else {
            return Ok(BTreeMap::new());
        };
        match self.get_snapshot(id).await {
            Ok(snapshot) => Ok(snapshot.chunk_records),
            Err(BackupError::Store(e)) => Err(BackupError::Store(e)),
            Err(e) => {
                tracing::warn!("not reusing the chunks of snapshot {id}: {e}");
                Ok(BTreeMap::new())
            }
        }
    }

    /// Stores an already sealed chunk; returns what is recorded about it (its size and the
    /// ETag the store answered).
    pub async fn put_chunk(&self, id: &str, sealed: Vec<u8>) -> Result<ChunkRecord, BackupError> {
        let size = sealed.len() as u64;
        let etag = self
            .target
            .put_bytes(&format!("{CHUNKS}{id}"), sealed)
            .await?;
        Ok(ChunkRecord {
            size,
            etag,
            modified: None,
        })
    }

    /// Reads chunk `id` (needed by `file`), decrypts it and checks its plaintext hashes to
    /// its name.
    pub async fn get_chunk(&self, id: &str, file: &str) -> Result<Vec<u8>, BackupError> {
        let Some(sealed) = self.target.get_bytes(&format!("{CHUNKS}{id}")).await? else {
            return Err(BackupError::MissingChunk {
                chunk: id.to_string(),
                file: file.to_string(),
            });
        };
        let corrupt = |reason: String| BackupError::CorruptChunk {
            chunk: id.to_string(),
            file: file.to_string(),
            reason,
        };
        let plain = self
            .key
            .decrypt(&sealed)
            .map_err(|e| corrupt(format!("does not decrypt: {e}")))?;
        if self.key.chunk_id(&plain) != id {
            return Err(corrupt("its contents do not match its name".into()));
        }
        Ok(plain)
    }

    /// Encrypts and stores a snapshot index.
    pub async fn put_snapshot(&self, snapshot: &Snapshot) -> Result<(), BackupError> {
        let sealed = self.key.encrypt(&snapshot.encode())?;
        let key = format!("{SNAPSHOTS}{}", snapshot.id);
        self.target.put_bytes(&key, sealed).await?;
        Ok(())
    }

    /// The snapshot ids, oldest first (ids sort by time).
    pub(crate) async fn snapshot_ids(&self) -> Result<Vec<String>, BackupError> {
        let mut ids: Vec<String> = self
            .target
            .list_keys(SNAPSHOTS)
            .await?
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| !k.contains('/'))
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// `latest` → the newest snapshot id; any other id is returned as is.
    pub async fn resolve(&self, which: &str) -> Result<String, BackupError> {
        if which != "latest" {
            return Ok(which.to_string());
        }
        self.snapshot_ids()
            .await?
            .pop()
            .ok_or_else(|| BackupError::NoSnapshots(self.location()))
    }

    /// Reads, decrypts, decodes and validates snapshot `id`.
    pub async fn get_snapshot(&self, id: &str) -> Result<Snapshot, BackupError> {
        let plain_id = !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        let missing = || BackupError::NoSnapshot {
            id: id.to_string(),
            location: self.location(),
        };
        if !plain_id {
            return Err(missing());
        }
        let sealed = self
            .target
            .get_bytes(&format!("{SNAPSHOTS}{id}"))
            .await?
            .ok_or_else(missing)?;
        let plain = self.key.decrypt(&sealed).map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => BackupError::WrongKey {
                snapshot: id.to_string(),
            },
            other => BackupError::CorruptIndex {
                snapshot: id.to_string(),
                reason: format!("does not decrypt: {other}"),
            },
        })?;
        let snapshot = Snapshot::decode(&plain).map_err(|source| BackupError::Index {
            snapshot: id.to_string(),
            source,
        })?;
        if snapshot.id != id {
            return Err(BackupError::CorruptIndex {
                snapshot: id.to_string(),
                reason: format!("it claims to be snapshot {}", snapshot.id),
            });
        }
        Ok(snapshot)
    }
}

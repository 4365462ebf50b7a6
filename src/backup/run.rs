//! Taking a snapshot: chunk every source file on a blocking thread, upload the chunks the
//! store lacks with bounded concurrency, then write the index; and listing the snapshots.
//!
//! A stored chunk counts as present only if it is listed as the newest snapshot recorded it
//! ([`verify::matches`]): one listing and one GET of that snapshot. A chunk missing, replaced
//! or never recorded is uploaded again, and a listing after the uploads records how the store
//! shows the new ones.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use super::index::{self, ChunkRecord, FileEntry, Snapshot};
use super::sources::{Source, list_sources};
use super::{BackupError, BackupKey, Store, chunk, verify};
use crate::content::load::Filter;

/// What a backup did.
#[derive(Debug, Clone, Serialize)]
pub struct BackupReport {
    /// The new snapshot's id.
    pub id: String,
    /// Files in the snapshot.
    pub files: usize,
    /// Their total size.
    pub bytes: u64,
    /// Distinct chunks the snapshot refers to.
    pub chunks: usize,
    /// Chunks uploaded (the rest were already stored).
    pub uploaded: usize,
    /// Of those, chunks that were in the bucket but no longer as recorded (damaged, replaced)
    /// or never recorded (left by an interrupted backup, or by an older version), uploaded again.
    pub replaced: usize,
    /// Bytes uploaded for them (encrypted).
    pub uploaded_bytes: u64,
    /// Requests sent (listing, chunk PUTs, the index PUT).
    pub requests: u64,
    /// Wall time.
    pub seconds: f64,
}

/// A sealed chunk on its way to the store.
struct Upload {
    id: String,
    sealed: Vec<u8>,
}

/// Backs up the sources of `site` (selected by `filter`) into `store`, `concurrency` uploads
/// at a time. Chunks already stored are not uploaded; the index is written last, so an
/// interrupted backup leaves no snapshot (and the next one reuses the chunks that landed).
pub async fn backup(
    store: &Store,
    site: &Path,
    filter: &Filter,
    concurrency: usize,
) -> Result<BackupReport, BackupError> {
    let started = Instant::now();
    let requests0 = store.requests();
    let sources = list_sources(site, filter)?;
    if sources.is_empty() {
        return Err(BackupError::Usage(format!(
            "{}: no site.toml and no files under content/, templates/ or static/ to back up \
             (is --site right?)",
            site.display()
        )));
    }
    let inventory = store.inventory().await?;
    let recorded = store.latest_records(&inventory.snapshots).await?;
    // A stored chunk is reused only if it still looks as the newest snapshot recorded it.
    let trusted: HashMap<String, ChunkRecord> = inventory
        .chunks
        .iter()
        .filter_map(|(id, listed)| {
            let record = recorded.get(id).filter(|r| verify::matches(r, listed))?;
            Some((id.clone(), verify::refreshed(record, listed)))
        })
        .collect();
    let existing: HashSet<String> = trusted.keys().cloned().collect();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Upload>(concurrency.max(1) * 2);
    let key = store.key();
    let producer = tokio::task::spawn_blocking(move || chunk_all(&key, sources, existing, &tx));
    let uploads = futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
        .map(|u| async move {
            let record = store.put_chunk(&u.id, u.sealed).await?;
            Ok::<_, BackupError>((u.id, record))
        })
        .buffer_unordered(concurrency.max(1))
        .try_fold(BTreeMap::new(), |mut done, (id, record)| async move {
            done.insert(id, record);
            Ok(done)
        })
        .await;
    let produced = producer
        .await
        .map_err(|e| BackupError::Encrypt(format!("the chunking thread failed: {e}")))?;
    // An upload failure stops the producer (its channel closes): report the upload's error.
    let mut uploaded = uploads?;
    let (files, chunks) = produced?;
    if !uploaded.is_empty() {
        // Learn how the store lists what was just uploaded (its modification time, and the
        // ETag where the PUT's answer had none): any later rewrite changes one of them.
        let after = store.inventory().await?;
        for (id, record) in &mut uploaded {
            if let Some(listed) = after.chunks.get(id).filter(|l| verify::matches(record, l)) {
                *record = verify::refreshed(record, listed);
            }
        }
    }
    let replaced = uploaded
        .keys()
        .filter(|id| inventory.chunks.contains_key(*id))
        .count();
    let uploaded_bytes = uploaded.values().map(|r| r.size).sum();
    let mut chunk_records = BTreeMap::new();
    for id in files.iter().flat_map(|f| &f.chunks) {
        if let Some(record) = uploaded.get(id).or_else(|| trusted.get(id)) {
            chunk_records.insert(id.clone(), record.clone());
        }
    }
    let now = chrono::Utc::now();
    let snapshot = Snapshot {
        version: index::VERSION,
        id: index::snapshot_id(now),
        created: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        files,
        chunk_records,
    };
    store.put_snapshot(&snapshot).await?;
    Ok(BackupReport {
        id: snapshot.id.clone(),
        files: snapshot.files.len(),
        bytes: snapshot.total_size(),
        chunks,
        uploaded: uploaded.len(),
        replaced,
        uploaded_bytes,
        requests: store.requests() - requests0,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Reads and chunks every file, sending each chunk not yet stored (nor already sent) to the
/// uploader; returns the index entries and the number of distinct chunks.
fn chunk_all(
    key: &BackupKey,
    sources: Vec<Source>,
    mut stored: HashSet<String>,
    tx: &tokio::sync::mpsc::Sender<Upload>,
) -> Result<(Vec<FileEntry>, usize), BackupError> {
    let mut entries = Vec::with_capacity(sources.len());
    let mut referenced = HashSet::new();
    for src in sources {
        let file = std::fs::File::open(&src.path).map_err(|e| BackupError::io(&src.path, e))?;
        let mode = file_mode(&file).map_err(|e| BackupError::io(&src.path, e))?;
        let mut hasher = blake3::Hasher::new();
        let mut size = 0u64;
        let mut ids = Vec::new();
        for data in chunk::chunks(std::io::BufReader::new(file)) {
            let data = data.map_err(|e| BackupError::io(&src.path, e))?;
            hasher.update(&data);
            size += data.len() as u64;
            let id = key.chunk_id(&data);
            if stored.insert(id.clone()) {
                let sealed = key.encrypt(&data)?;
                let upload = Upload {
                    id: id.clone(),
                    sealed,
                };
                if tx.blocking_send(upload).is_err() {
                    // The uploader stopped on an error, which is what gets reported.
                    return Ok((entries, referenced.len()));
                }
            }
            referenced.insert(id.clone());
            ids.push(id);
        }
        entries.push(FileEntry {
            path: src.rel,
            size,
            mode,
            hash: hasher.finalize().to_hex().to_string(),
            chunks: ids,
        });
    }
    Ok((entries, referenced.len()))
}

#[cfg(unix)]
fn file_mode(file: &std::fs::File) -> std::io::Result<u32> {
    use std::os::unix::fs::PermissionsExt;
    Ok(file.metadata()?.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn file_mode(_file: &std::fs::File) -> std::io::Result<u32> {
    Ok(0o644)
}

/// One line of `backup --list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotSummary {
    /// The id.
    pub id: String,
    /// When it was taken (RFC 3339).
    pub created: String,
    /// How many files.
    pub files: usize,
    /// Their total size.
    pub bytes: u64,
}

/// Every snapshot, oldest first: one listing, then one GET per snapshot (8 at a time).
pub async fn list(store: &Store) -> Result<Vec<SnapshotSummary>, BackupError> {
    let ids = store.snapshot_ids().await?;
    futures::stream::iter(ids)
        .map(|id| async move {
            let s = store.get_snapshot(&id).await?;
            Ok(SnapshotSummary {
                bytes: s.total_size(),
                files: s.files.len(),
                id: s.id,
                created: s.created,
            })
        })
        .buffered(8)
        .try_collect()
        .await
}

//! Taking a snapshot: chunk every source file on a blocking thread, upload the chunks the
//! store lacks (learned by one listing) with bounded concurrency, then write the index; and
//! listing the snapshots.

use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use super::index::{self, FileEntry, Snapshot};
use super::sources::{Source, list_sources};
use super::{BackupError, BackupKey, Store, chunk};
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
    let existing = store.chunk_ids().await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Upload>(concurrency.max(1) * 2);
    let key = store.key();
    let producer = tokio::task::spawn_blocking(move || chunk_all(&key, sources, existing, &tx));
    let uploads = futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
        .map(|u| async move {
            let n = u.sealed.len() as u64;
            store.put_chunk(&u.id, u.sealed).await.map(|()| n)
        })
        .buffer_unordered(concurrency.max(1))
        .try_fold(
            (0usize, 0u64),
            |(c, b), n| async move { Ok((c + 1, b + n)) },
        )
        .await;
    let produced = producer
        .await
        .map_err(|e| BackupError::Encrypt(format!("the chunking thread failed: {e}")))?;
    // An upload failure stops the producer (its channel closes): report the upload's error.
    let (uploaded, uploaded_bytes) = uploads?;
    let (files, chunks) = produced?;
    let now = chrono::Utc::now();
    let snapshot = Snapshot {
        version: index::VERSION,
        id: index::snapshot_id(now),
        created: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        files,
    };
    store.put_snapshot(&snapshot).await?;
    Ok(BackupReport {
        id: snapshot.id.clone(),
        files: snapshot.files.len(),
        bytes: snapshot.total_size(),
        chunks,
        uploaded,
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

//! Restoring a snapshot byte for byte into a new or empty folder. Files are assembled in a
//! hidden staging folder inside it and moved into place only when every chunk and every
//! file has been verified, so a failed restore leaves the folder as empty as it was.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use super::index::FileEntry;
use super::{BackupError, Store};

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    /// The snapshot restored.
    pub id: String,
    /// Files written.
    pub files: usize,
    /// Their total size.
    pub bytes: u64,
    /// Requests sent.
    pub requests: u64,
    /// Wall time.
    pub seconds: f64,
}

/// Restores snapshot `which` (an id or `latest`) into `dir`, which must not exist or be
/// empty, fetching `concurrency` files at a time.
pub async fn restore(
    store: &Store,
    which: &str,
    dir: &Path,
    concurrency: usize,
) -> Result<RestoreReport, BackupError> {
    let started = Instant::now();
    let requests0 = store.requests();
    check_empty(dir)?;
    let id = store.resolve(which).await?;
    let snapshot = store.get_snapshot(&id).await?;
    std::fs::create_dir_all(dir).map_err(|e| BackupError::io(dir, e))?;
    let staging = dir.join(format!(
        ".bucketpress-restore-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    std::fs::create_dir(&staging).map_err(|e| BackupError::io(&staging, e))?;
    let result = futures::stream::iter(&snapshot.files)
        .map(|f| restore_file(store, f, &staging))
        .buffer_unordered(concurrency.max(1))
        .try_collect::<Vec<()>>()
        .await
        .and_then(|_| move_into_place(&staging, dir));
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    Ok(RestoreReport {
        id,
        files: snapshot.files.len(),
        bytes: snapshot.total_size(),
        requests: store.requests() - requests0,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Refuses an existing `dir` that is not an empty folder.
fn check_empty(dir: &Path) -> Result<(), BackupError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => match entries.next() {
            None => Ok(()),
            Some(_) => Err(BackupError::NotEmpty(dir.to_path_buf())),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
            Err(BackupError::NotEmpty(dir.to_path_buf()))
        }
        Err(e) => Err(BackupError::io(dir, e)),
    }
}

/// Fetches `file`'s chunks in order into `staging/<path>`, checking each chunk (in
/// [`Store::get_chunk`]) and then the whole file's size and hash.
async fn restore_file(store: &Store, file: &FileEntry, staging: &Path) -> Result<(), BackupError> {
    // The index was validated: the path is relative, with no `..`, so this stays inside.
    let path: PathBuf = staging.join(&file.path);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| BackupError::io(parent, e))?;
    }
    let mut out = std::fs::File::create_new(&path).map_err(|e| BackupError::io(&path, e))?;
    let mut hasher = blake3::Hasher::new();
    let mut size = 0u64;
    let mut chunks = futures::stream::iter(&file.chunks)
        .map(|id| store.get_chunk(id, &file.path))
        .buffered(4);
    while let Some(data) = chunks.next().await {
        let data = data?;
        hasher.update(&data);
        size += data.len() as u64;
        out.write_all(&data)
            .map_err(|e| BackupError::io(&path, e))?;
    }
    if size != file.size || hasher.finalize().to_hex().as_str() != file.hash {
        return Err(BackupError::FileMismatch {
            path: file.path.clone(),
        });
    }
    out.sync_all().map_err(|e| BackupError::io(&path, e))?;
    set_mode(&out, file.mode).map_err(|e| BackupError::io(&path, e))
}

#[cfg(unix)]
fn set_mode(file: &std::fs::File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    // Only the permission bits, never setuid/setgid/sticky; always readable by the owner.
    file.set_permissions(std::fs::Permissions::from_mode((mode & 0o777) | 0o600))
}

#[cfg(not(unix))]
fn set_mode(_file: &std::fs::File, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// Moves every top-level entry of `staging` into `dir`, then removes `staging`.
fn move_into_place(staging: &Path, dir: &Path) -> Result<(), BackupError> {
    let entries = std::fs::read_dir(staging).map_err(|e| BackupError::io(staging, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| BackupError::io(staging, e))?;
        let to = dir.join(entry.file_name());
        std::fs::rename(entry.path(), &to).map_err(|e| BackupError::io(&to, e))?;
    }
    std::fs::remove_dir(staging).map_err(|e| BackupError::io(staging, e))
}

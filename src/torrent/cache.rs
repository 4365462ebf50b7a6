//! Piece hashes kept between builds. Hashing a 1 GB video with SHA-1 takes seconds, so the
//! pieces are stored by the file's content hash (the BLAKE3 every asset already has) and the
//! piece length: in memory for `serve`, and under `.bucketpress/cache/torrents/` for builds.
//! Keyed by content, an entry can never be stale: a touched but unchanged file still hits,
//! an edited file of the same size and time still misses.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::metainfo::PIECE_HASH_LEN;

/// Where a site keeps its torrent piece cache, relative to the site folder.
pub const TORRENT_CACHE: &str = ".bucketpress/cache/torrents";

/// Piece hashes by (content hash, piece length), in memory and optionally on disk.
#[derive(Default)]
pub struct PieceCache {
    memory: Mutex<HashMap<String, Arc<[u8]>>>,
    used: Mutex<HashSet<String>>,
    dir: Option<PathBuf>,
}

impl PieceCache {
    /// A cache held in memory only.
    pub fn in_memory() -> PieceCache {
        PieceCache::default()
    }

    /// Also keeps entries as files in `dir` (created when first written).
    pub(crate) fn persist_in(&mut self, dir: PathBuf) {
        self.dir = Some(dir);
    }

    /// The pieces of content `hash` at `piece_length`, if known and of the expected count.
    pub fn get(&self, hash: &str, piece_length: u64, pieces: u64) -> Option<Arc<[u8]>> {
        let name = entry_name(hash, piece_length);
        let expected = pieces as usize * PIECE_HASH_LEN;
        self.used.lock().expect("cache lock").insert(name.clone());
        if let Some(hit) = self.memory.lock().expect("cache lock").get(&name)
            && hit.len() == expected
        {
            return Some(Arc::clone(hit));
        }
        let bytes = std::fs::read(self.dir.as_ref()?.join(&name)).ok()?;
        if bytes.len() != expected {
            tracing::debug!("ignoring damaged torrent cache entry {name}");
            return None;
        }
        let bytes: Arc<[u8]> = bytes.into();
        self.memory
            .lock()
            .expect("cache lock")
            .insert(name, Arc::clone(&bytes));
        Some(bytes)
    }

    /// Remembers freshly hashed pieces (and writes them to disk when persisting; a failed
    /// write only costs time later, so it is logged, not returned).
    pub fn put(&self, hash: &str, piece_length: u64, pieces: Arc<[u8]>) {
        let name = entry_name(hash, piece_length);
        if let Some(dir) = &self.dir
            && let Err(e) = write_atomically(dir, &name, &pieces)
        {
            tracing::warn!("cannot save the torrent cache in {}: {e}", dir.display());
        }
        self.used.lock().expect("cache lock").insert(name.clone());
        self.memory.lock().expect("cache lock").insert(name, pieces);
    }

    /// Forgets entries the last build did not use, in memory and on disk, so a replaced
    /// video does not leave its pieces behind for ever.
    pub(crate) fn prune_unused(&self) {
        let used = std::mem::take(&mut *self.used.lock().expect("cache lock"));
        self.memory
            .lock()
            .expect("cache lock")
            .retain(|name, _| used.contains(name));
        let Some(dir) = &self.dir else { return };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(ENTRY_SUFFIX) && !used.contains(&name) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

const ENTRY_SUFFIX: &str = ".sha1";

fn entry_name(hash: &str, piece_length: u64) -> String {
    format!("{hash}-{piece_length}{ENTRY_SUFFIX}")
}

/// Writes `dir/name` through a temporary file and a rename, so a killed build never leaves
/// a half-written entry that a later build would trust.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, dir.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_through_disk_and_unused_ones_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = PieceCache::in_memory();
        cache.persist_in(dir.path().to_path_buf());
        let pieces: Arc<[u8]> = vec![7u8; 40].into();
        cache.put("aaa", 16384, Arc::clone(&pieces));
        cache.put("bbb", 16384, vec![1u8; 20].into());

        let mut fresh = PieceCache::in_memory();
        fresh.persist_in(dir.path().to_path_buf());
        assert_eq!(fresh.get("aaa", 16384, 2).as_deref(), Some(&pieces[..]));
        assert!(
            fresh.get("aaa", 16384, 3).is_none(),
            "wrong count is a miss"
        );
        assert!(fresh.get("aaa", 32768, 2).is_none(), "other piece length");
        fresh.prune_unused();
        assert!(dir.path().join("aaa-16384.sha1").exists());
        assert!(!dir.path().join("bbb-16384.sha1").exists());
    }
}

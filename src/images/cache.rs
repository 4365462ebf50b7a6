//! Where made variants live: files under `.bucketpress/cache/images/`, named by the variant's
//! id (BLAKE3 of the source bytes and the settings), or in memory for a session without a
//! cache folder. Keyed by content, an entry is never stale: an unchanged photo is never
//! processed again, an edited one always is.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::variant::Spec;
use crate::outputs::{Body, hash_file};

/// Where a site keeps its image variants, relative to the site folder.
pub const IMAGE_CACHE: &str = ".bucketpress/cache/images";

/// A made variant: its body and the BLAKE3 hex of its bytes.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The bytes (a cache file, or in memory).
    pub body: Body,
    /// BLAKE3 hex of the bytes.
    pub hash: String,
}

/// Variants by id, on disk (when a folder is set) and their hashes in memory.
#[derive(Default)]
pub struct VariantCache {
    dir: Option<PathBuf>,
    known: Mutex<HashMap<String, Stored>>,
    /// Entries asked for since the last prune.
    used: Mutex<HashSet<String>>,
}

impl VariantCache {
    /// A cache held in memory only.
    pub fn in_memory() -> VariantCache {
        VariantCache::default()
    }

    /// Keeps variants as files in `dir` (created when first written).
    pub(crate) fn persist_in(&mut self, dir: PathBuf) {
        self.dir = Some(dir);
    }

    /// The cache folder, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The variant `spec`, if it was made before (by this process or an earlier build).
    pub fn get(&self, spec: &Spec) -> Option<Stored> {
        let name = spec.cache_name();
        self.used.lock().expect("cache lock").insert(name.clone());
        if let Some(hit) = self.known.lock().expect("cache lock").get(&name) {
            return Some(hit.clone());
        }
        let path = self.dir.as_ref()?.join(&name);
        let size = std::fs::metadata(&path).ok()?.len();
        if size == 0 {
            return None;
        }
        let stored = Stored {
            hash: hash_file(&path).ok()?,
            body: Body::File { path, size },
        };
        self.remember(name, stored.clone());
        Some(stored)
    }

    /// Keeps freshly made bytes: written to the folder (through a temporary file and a
    /// rename, so a killed build leaves no half file) or held in memory.
    pub fn put(&self, spec: &Spec, bytes: Vec<u8>) -> std::io::Result<Stored> {
        let name = spec.cache_name();
        self.used.lock().expect("cache lock").insert(name.clone());
        let hash = crate::outputs::hash_bytes(&bytes);
        let stored = match &self.dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                let path = dir.join(&name);
                let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
                std::fs::write(&tmp, &bytes)?;
                std::fs::rename(&tmp, &path)?;
                Stored {
                    hash,
                    body: Body::File {
                        path,
                        size: bytes.len() as u64,
                    },
                }
            }
            None => Stored {
                hash,
                body: Body::Bytes(bytes.into()),
            },
        };
        self.remember(name, stored.clone());
        Ok(stored)
    }

    /// Forgets the entries no render asked for since the last prune, in memory and on disk,
    /// so replaced photos do not leave their variants behind for ever.
    pub(crate) fn prune_unused(&self) {
        let used = std::mem::take(&mut *self.used.lock().expect("cache lock"));
        self.known
            .lock()
            .expect("cache lock")
            .retain(|name, _| used.contains(name));
        let Some(dir) = &self.dir else { return };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') && !used.contains(&name) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    fn remember(&self, name: String, stored: Stored) {
        self.known.lock().expect("cache lock").insert(name, stored);
    }
}

/// A shared cache, as sessions and the background worker of `serve` hold it.
pub type SharedCache = Arc<VariantCache>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::variant::Format;

    fn spec(id: &str) -> Spec {
        Spec {
            format: Format::WebP,
            width: 10,
            height: 10,
            quality: 80,
            id: id.repeat(32),
        }
    }

    #[test]
    fn entries_survive_a_new_process_through_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let mut first = VariantCache::in_memory();
        first.persist_in(dir.path().to_path_buf());
        assert!(first.get(&spec("a")).is_none());
        let stored = first.put(&spec("a"), b"webp bytes".to_vec()).unwrap();
        let mut second = VariantCache::in_memory();
        second.persist_in(dir.path().to_path_buf());
        let hit = second.get(&spec("a")).expect("found on disk");
        assert_eq!(hit.hash, stored.hash);
        assert_eq!(hit.body.read_all().unwrap(), b"webp bytes");
        assert!(second.get(&spec("b")).is_none());
        second.put(&spec("c"), b"other".to_vec()).unwrap();
        second.prune_unused();
        assert!(!dir.path().join(spec("b").cache_name()).exists());
        assert!(dir.path().join(spec("a").cache_name()).exists());
        // A render that no longer asks for "a" (the photo was replaced) prunes it.
        second.get(&spec("c")).unwrap();
        second.prune_unused();
        assert!(!dir.path().join(spec("a").cache_name()).exists());
        assert!(dir.path().join(spec("c").cache_name()).exists());
    }
}

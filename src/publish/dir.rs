//! The local-directory [`Target`] (`file:///some/dir`): objects become files (redirects their
//! HTML body), the manifest lives at `<dir>/.bucketpress/manifest.json`, and the conditional
//! write is emulated by comparing the manifest file's hash with the one read at the start.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::manifest::{Entry, MANIFEST_KEY, Manifest};
use super::plan::is_hidden;
use super::target::{Etag, Listed, Listing, Target, TargetError};
use crate::outputs::{Body, Output, content_type_for, hash_bytes, hash_file};

/// Publishes into a directory, producing the same tree as `build` (plus `.bucketpress/`).
#[derive(Debug)]
pub struct DirTarget {
    root: PathBuf,
    /// The live site's folder: `root` itself, or the site a preview is of.
    base: PathBuf,
    requests: AtomicU64,
}

impl DirTarget {
    /// A target writing under `root` (created on the first write).
    pub fn new(root: impl Into<PathBuf>) -> DirTarget {
        let root = root.into();
        DirTarget {
            base: root.clone(),
            root,
            requests: AtomicU64::new(0),
        }
    }

    /// A preview of this site in the folder `sub` (relative, ending with `/`) below it, whose
    /// [`Target::copy`] copies from this site's files.
    pub fn preview(&self, sub: &str) -> DirTarget {
        DirTarget {
            root: self.root.join(sub.trim_end_matches('/')),
            base: self.root.clone(),
            requests: AtomicU64::new(0),
        }
    }

    /// Where a key lives on disk. Keys come from our own outputs, never from the network, and
    /// `..`/absolute segments are refused anyway.
    fn path(&self, key: &str) -> Result<PathBuf, TargetError> {
        if key
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
            || key.contains('\\')
        {
            return Err(TargetError::Other(format!(
                "refusing to write unsafe key {key:?}"
            )));
        }
        Ok(self.root.join(key))
    }

    fn count(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }
}

fn io_err(path: &Path, e: io::Error) -> TargetError {
    match e.kind() {
        io::ErrorKind::NotFound => TargetError::NotFound(path.display().to_string()),
        io::ErrorKind::PermissionDenied => {
            TargetError::AccessDenied(format!("{}: {e}", path.display()))
        }
        _ => TargetError::Other(format!("{}: {e}", path.display())),
    }
}

/// Writes via a temporary file and a rename, so a reader never sees half a file.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TargetError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.bucketpress-tmp"));
    std::fs::write(&tmp, bytes).map_err(|e| io_err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io_err(path, e))
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, TargetError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(path, e)),
    }
}

/// Removes now-empty directories from `dir` up to (not including) `root`.
fn prune_empty(root: &Path, mut dir: &Path) {
    while dir != root && dir.starts_with(root) {
        if std::fs::remove_dir(dir).is_err() {
            break;
        }
        match dir.parent() {
            Some(parent) => dir = parent,
            None => break,
        }
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            let key = rel.to_string_lossy().replace('\\', "/");
            if !is_hidden(&key) {
                out.push(key);
            }
        }
    }
    Ok(())
}

impl Target for DirTarget {
    async fn read_manifest(&self) -> Result<Option<(Vec<u8>, Etag)>, TargetError> {
        self.count();
        let path = self.root.join(MANIFEST_KEY);
        Ok(read_optional(&path)?.map(|b| {
            let etag = Etag(hash_bytes(&b));
            (b, etag)
        }))
    }

    async fn put(&self, output: &Output, _site_id: &str) -> Result<(), TargetError> {
        self.count();
        let path = self.path(&output.key)?;
        match &output.body {
            Body::Bytes(bytes) => write_atomic(&path, bytes),
            Body::File { path: src, .. } => {
                let dir = path.parent().unwrap_or(&self.root);
                std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
                std::fs::copy(src, &path)
                    .map(drop)
                    .map_err(|e| io_err(src, e))
            }
            Body::Dropped { .. } => Err(io_err(&path, Body::dropped_error())),
        }
    }

    async fn delete_many(
        &self,
        keys: &[String],
    ) -> Result<Vec<(String, TargetError)>, TargetError> {
        self.count();
        let mut failed = Vec::new();
        for key in keys {
            let path = self.path(key)?;
            match std::fs::remove_file(&path) {
                Ok(()) => prune_empty(&self.root, path.parent().unwrap_or(&self.root)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => failed.push((key.clone(), io_err(&path, e))),
            }
        }
        Ok(failed)
    }

    async fn write_manifest(
        &self,
        manifest: &Manifest,
        expected: Option<&Etag>,
    ) -> Result<Etag, TargetError> {
        self.count();
        let path = self.root.join(MANIFEST_KEY);
        let current = read_optional(&path)?.map(|b| Etag(hash_bytes(&b)));
        if current.as_ref() != expected {
            return Err(TargetError::Conflict);
        }
        let bytes = manifest.encode();
        write_atomic(&path, &bytes)?;
        Ok(Etag(hash_bytes(&bytes)))
    }

    async fn read_reserved(&self, key: &str) -> Result<Option<Vec<u8>>, TargetError> {
        self.count();
        read_optional(&self.root.join(key))
    }

    async fn write_reserved(&self, key: &str, bytes: Vec<u8>) -> Result<(), TargetError> {
        self.count();
        write_atomic(&self.root.join(key), &bytes)
    }

    async fn list_hashes(&self) -> Result<Listing, TargetError> {
        self.count();
        let mut keys = Vec::new();
        match walk(&self.root, &self.root, &mut keys) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&self.root, e)),
        }
        let mut listing = Listing::default();
        for key in keys {
            let path = self.root.join(&key);
            let hash = hash_file(&path).map_err(|e| io_err(&path, e))?;
            let size = std::fs::metadata(&path)
                .map_err(|e| io_err(&path, e))?
                .len();
            let content_type = content_type_for(&key);
            let entry = Entry {
                hash,
                size,
                content_type,
                content_encoding: crate::outputs::content_encoding_for(&key).map(str::to_owned),
                cache_control: None,
                redirect: None,
            };
            let site_id = None;
            listing.objects.insert(key, Listed { entry, site_id });
        }
        Ok(listing)
    }

    fn stores_headers(&self) -> bool {
        false
    }

    async fn copy(&self, from: &str, to: &str, _entry: &Entry) -> Result<(), TargetError> {
        self.count();
        let src = self.base.join(from);
        if !src.is_file() {
            return Err(TargetError::NotFound(src.display().to_string()));
        }
        let dest = self.path(to)?;
        let dir = dest.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("file");
        let tmp = dir.join(format!(".{name}.bucketpress-tmp"));
        std::fs::copy(&src, &tmp).map_err(|e| io_err(&src, e))?;
        std::fs::rename(&tmp, &dest).map_err(|e| io_err(&dest, e))
    }

    fn can_copy(&self) -> bool {
        true
    }

    async fn list_under(&self, sub: &str) -> Result<Vec<(String, Option<i64>)>, TargetError> {
        self.count();
        let dir = self.root.join(sub);
        let mut out = Vec::new();
        for entry in walkdir::WalkDir::new(&dir).into_iter() {
            let entry = match entry {
                Ok(e) => e,
                Err(e) if e.io_error().map(io::Error::kind) == Some(io::ErrorKind::NotFound) => {
                    break;
                }
                Err(e) => return Err(TargetError::Other(format!("{}: {e}", dir.display()))),
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let Ok(rel) = entry.path().strip_prefix(&self.root) else {
                continue;
            };
            let modified = entry
                .metadata()
                .ok()
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs() as i64);
            out.push((rel.to_string_lossy().replace('\\', "/"), modified));
        }
        Ok(out)
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

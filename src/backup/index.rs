//! The snapshot index: which files a snapshot holds (path, size, mode, whole-file BLAKE3,
//! ordered chunk ids), encoded as gzipped JSON (encrypted by the caller), and the checks that
//! keep a malicious index from writing outside the restore folder.

use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

/// The index format version this code writes and reads.
pub const VERSION: u32 = 1;

/// The most a decoded index may inflate to (a gzip bomb guard): 256 MiB.
const MAX_DECODED: u64 = 256 << 20;

/// One snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// [`VERSION`].
    pub version: u32,
    /// The id, a UTC timestamp that sorts by time: `20261201T065012.345Z`.
    pub id: String,
    /// When it was taken (RFC 3339).
    pub created: String,
    /// The files, sorted by path.
    pub files: Vec<FileEntry>,
    /// What the store said about each chunk the snapshot refers to when it was uploaded (or
    /// last verified): a later backup reuses a stored chunk only if it still matches, and
    /// `backup --check` checks every one. Empty in snapshots of older versions.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub chunk_records: BTreeMap<String, ChunkRecord>,
}

/// A stored chunk object as recorded: its size, and its ETag and modification time when the
/// store gave them. Any of them changing means the object was rewritten since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkRecord {
    /// The size of the stored (encrypted) object.
    pub size: u64,
    /// Its ETag (unquoted), when the upload's answer or a listing gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Its last-modified time as listed (`<seconds>.<nanoseconds>`), once a listing showed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
}

/// One file of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// The path relative to the site folder, `/`-separated (`content/posts/a.md`).
    pub path: String,
    /// The size in bytes.
    pub size: u64,
    /// The Unix permission bits (`0o644`); only `0o777` is restored.
    pub mode: u32,
    /// The BLAKE3 hash of the whole file, in hex.
    pub hash: String,
    /// The chunk ids, in order.
    pub chunks: Vec<String>,
}

/// Why an index cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    /// Not gzip, not JSON, or not the expected fields.
    #[error("unreadable index: {0}")]
    Format(String),
    /// Written by a newer bucketpress.
    #[error("index format version {0} (this bucketpress reads version {VERSION}; upgrade)")]
    Version(u32),
    /// A path that is absolute, empty, has `..`/`.` parts, backslashes or NUL bytes.
    #[error("unsafe path {0:?} in the index (absolute or with '..'): refusing to restore it")]
    UnsafePath(String),
    /// The same path twice, or a path that is also another file's folder.
    #[error("path {0:?} appears twice in the index (or also as a folder)")]
    Duplicate(String),
    /// A chunk id or hash that is not 64 lowercase hex digits.
    #[error("malformed hash or chunk id for {0:?}")]
    BadHash(String),
}

impl Snapshot {
    /// The sum of the file sizes.
    pub(crate) fn total_size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }

    /// Gzipped JSON (plaintext: the caller encrypts it).
    pub fn encode(&self) -> Vec<u8> {
        let json = serde_json::to_vec(self).expect("an index always serialises");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&json).expect("writing to memory");
        gz.finish().expect("writing to memory")
    }

    /// Decodes and [`validate`](Self::validate)s what [`encode`](Self::encode) wrote.
    pub fn decode(bytes: &[u8]) -> Result<Snapshot, IndexError> {
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .take(MAX_DECODED)
            .read_to_end(&mut json)
            .map_err(|e| IndexError::Format(e.to_string()))?;
        #[derive(Deserialize)]
        struct Versioned {
            version: u32,
        }
        let v: Versioned =
            serde_json::from_slice(&json).map_err(|e| IndexError::Format(e.to_string()))?;
        if v.version != VERSION {
            return Err(IndexError::Version(v.version));
        }
        let snapshot: Snapshot =
            serde_json::from_slice(&json).map_err(|e| IndexError::Format(e.to_string()))?;
        snapshot.validate()?;
        Ok(snapshot)
    }

    /// Checks every path is safe to join to a restore folder, unique, and not another file's
    /// folder, and every hash and chunk id is well formed.
    pub fn validate(&self) -> Result<(), IndexError> {
        let mut files = HashSet::new();
        let mut dirs = HashSet::new();
        for f in &self.files {
            if !is_safe_path(&f.path) {
                return Err(IndexError::UnsafePath(f.path.clone()));
            }
            if !is_hex_hash(&f.hash) || !f.chunks.iter().all(|c| is_hex_hash(c)) {
                return Err(IndexError::BadHash(f.path.clone()));
            }
            if dirs.contains(f.path.as_str()) || !files.insert(f.path.as_str()) {
                return Err(IndexError::Duplicate(f.path.clone()));
            }
            let mut parent = f.path.as_str();
            while let Some((dir, _)) = parent.rsplit_once('/') {
                if files.contains(dir) {
                    return Err(IndexError::Duplicate(dir.to_string()));
                }
                dirs.insert(dir);
                parent = dir;
            }
        }
        Ok(())
    }
}

/// A snapshot id for `now`: `YYYYMMDDTHHMMSS.mmmZ` (sorts as time does).
pub(crate) fn snapshot_id(now: chrono::DateTime<chrono::Utc>) -> String {
    now.format("%Y%m%dT%H%M%S%.3fZ").to_string()
}

/// True for a relative `/`-separated path of plain names: no leading `/`, no empty, `.` or
/// `..` part, no backslash, colon-drive or NUL (so joining it to a folder stays inside).
pub(crate) fn is_safe_path(path: &str) -> bool {
    !path.is_empty()
        && !path.contains(['\\', '\0'])
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
        && !path.split('/').next().is_some_and(|p| p.ends_with(':'))
}

/// 64 lowercase hex digits (a BLAKE3 hash or keyed hash).
pub(crate) fn is_hex_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> FileEntry {
        FileEntry {
            path: path.into(),
            size: 3,
            mode: 0o644,
            hash: "a".repeat(64),
            chunks: vec!["b".repeat(64)],
        }
    }

    fn snap(paths: &[&str]) -> Snapshot {
        Snapshot {
            version: VERSION,
            id: "20261201T000000.000Z".into(),
            created: "2026-12-01T00:00:00Z".into(),
            files: paths.iter().map(|p| entry(p)).collect(),
            chunk_records: BTreeMap::new(),
        }
    }

    #[test]
    fn indexes_round_trip() {
        let s = snap(&["site.toml", "content/posts/a.md", "static/img/x.png"]);
        let bytes = s.encode();
        assert_eq!(Snapshot::decode(&bytes).unwrap(), s);
        assert_eq!(s.total_size(), 9);
        assert!(matches!(
            Snapshot::decode(b"not gzip"),
            Err(IndexError::Format(_))
        ));
        let mut newer = s.clone();
        newer.version = 2;
        assert_eq!(
            Snapshot::decode(&newer.encode()),
            Err(IndexError::Version(2))
        );
    }

    #[test]
    fn unsafe_paths_are_refused() {
        for bad in [
            "/etc/passwd",
            "../x",
            "content/../../x",
            "a//b",
            "./a",
            "a/",
            "",
            "a\\..\\b",
            "C:/x",
            "a\0b",
        ] {
            assert!(!is_safe_path(bad), "{bad:?}");
            assert_eq!(
                Snapshot::decode(&snap(&[bad]).encode()),
                Err(IndexError::UnsafePath(bad.into())),
                "{bad:?}"
            );
        }
        for good in [
            "site.toml",
            "content/posts/a b.md",
            "static/.well-known/x",
            "a..b",
        ] {
            assert!(is_safe_path(good), "{good:?}");
        }
    }

    #[test]
    fn duplicates_and_bad_hashes_are_refused() {
        assert_eq!(
            snap(&["a.md", "a.md"]).validate(),
            Err(IndexError::Duplicate("a.md".into()))
        );
        assert_eq!(
            snap(&["a", "a/b"]).validate(),
            Err(IndexError::Duplicate("a".into()))
        );
        assert_eq!(
            snap(&["a/b", "a"]).validate(),
            Err(IndexError::Duplicate("a".into()))
        );
        let mut s = snap(&["x"]);
        s.files[0].chunks[0] = "../../etc".into();
        assert_eq!(s.validate(), Err(IndexError::BadHash("x".into())));
        assert!(is_hex_hash(&blake3::hash(b"x").to_hex()));
    }

    #[test]
    fn ids_sort_by_time() {
        use chrono::TimeZone;
        let a = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 6, 5, 9).unwrap();
        let b = a + chrono::Duration::milliseconds(1);
        assert_eq!(snapshot_id(a), "20261201T060509.000Z");
        assert!(snapshot_id(a) < snapshot_id(b));
    }
}

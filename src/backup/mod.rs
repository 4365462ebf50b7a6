//! `backup` and `restore`: encrypted, deduplicated snapshots of a site's sources in a private
//! prefix of the bucket.
//!
//! sources ([`sources`]) → content-defined chunks ([`chunk`]) named by a keyed hash and
//! encrypted with the writer's age key ([`key`]) → uploaded unless already stored
//! ([`store`]) → an encrypted snapshot index ([`index`]). [`restore`] reverses it, verifying
//! every chunk and file.

pub mod chunk;
pub mod index;
pub mod key;
pub mod location;
pub mod restore;
pub mod run;
pub mod sources;
pub mod store;
pub mod verify;

use std::path::{Path, PathBuf};

pub use key::BackupKey;
pub use run::{BackupReport, backup};
pub use store::Store;

use crate::publish::target::TargetError;

/// Why a backup, a listing or a restore failed. Callers match on the variant.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The key file does not exist.
    #[error(
        "no backup key at {}: create one with `bucketpress backup --init-key` (or pass \
         --key FILE / set {})",
        .0.display(),
        key::KEY_FILE_ENV
    )]
    NoKey(PathBuf),
    /// `--init-key` found a key file already there (it is never overwritten).
    #[error("{} already exists; bucketpress never overwrites a backup key", .0.display())]
    KeyExists(PathBuf),
    /// The key file cannot be parsed.
    #[error("{}: not a usable backup key: {reason}", path.display())]
    BadKey {
        /// The key file.
        path: PathBuf,
        /// What is wrong (never quoting the file).
        reason: String,
    },
    /// The snapshot was encrypted to another key.
    #[error(
        "snapshot {snapshot} cannot be decrypted with this key: it was made with another \
         backup key (check --key / {})",
        key::KEY_FILE_ENV
    )]
    WrongKey {
        /// The snapshot id.
        snapshot: String,
    },
    /// The snapshot index object fails to decrypt or decode.
    #[error("snapshot {snapshot} is damaged: {reason}")]
    CorruptIndex {
        /// The snapshot id.
        snapshot: String,
        /// Why.
        reason: String,
    },
    /// The decrypted index is refused (unsafe paths, malformed ids, newer format).
    #[error("snapshot {snapshot}: {source}")]
    Index {
        /// The snapshot id.
        snapshot: String,
        /// What is wrong with it.
        #[source]
        source: index::IndexError,
    },
    /// No snapshot with that id.
    #[error("no snapshot {id:?} in {location} (bucketpress backup --list shows them)")]
    NoSnapshot {
        /// The id asked for.
        id: String,
        /// `s3://bucket/prefix`.
        location: String,
    },
    /// `latest` asked of an empty backup prefix.
    #[error("no snapshots in {0} yet")]
    NoSnapshots(String),
    /// A chunk the index names is not in the bucket.
    #[error("chunk {chunk} of {file} is missing from the bucket; the file cannot be restored")]
    MissingChunk {
        /// The chunk id.
        chunk: String,
        /// The file needing it.
        file: String,
    },
    /// A chunk fails to decrypt, or its plaintext does not hash to its name.
    #[error("chunk {chunk} of {file} is corrupted ({reason}); the file cannot be restored")]
    CorruptChunk {
        /// The chunk id.
        chunk: String,
        /// The file needing it.
        file: String,
        /// What failed.
        reason: String,
    },
    /// A restored file's size or BLAKE3 hash differs from the index.
    #[error("{path}: the restored bytes do not match the snapshot's size and hash")]
    FileMismatch {
        /// The file.
        path: String,
    },
    /// `backup --check` found snapshots that cannot be restored.
    #[error("{}", verify::damage_message(.snapshots, *.of, .damage))]
    Damaged {
        /// The snapshots that cannot be restored.
        snapshots: Vec<String>,
        /// How many snapshots there are.
        of: usize,
        /// Each damaged chunk (or snapshot index), why, and the snapshots needing it.
        damage: Vec<verify::Damage>,
    },
    /// The restore folder exists and is not empty.
    #[error("{} is not empty; restore only into a new or empty folder", .0.display())]
    NotEmpty(PathBuf),
    /// The store failed (already retried where retrying helps).
    #[error(transparent)]
    Store(#[from] TargetError),
    /// A local file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// age could not encrypt.
    #[error("encryption failed: {0}")]
    Encrypt(String),
    /// Nowhere to back up to, a bad `--to`, a backup location inside the public site.
    #[error("{0}")]
    Usage(String),
}

impl BackupError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> BackupError {
        BackupError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The exit code: 1 for local problems (key, usage, a non-empty folder), 3 when the
    /// store or the stored data failed.
    pub fn exit_code(&self) -> u8 {
        match self {
            BackupError::NoKey(_)
            | BackupError::KeyExists(_)
            | BackupError::BadKey { .. }
            | BackupError::NotEmpty(_)
            | BackupError::Usage(_) => crate::report::Exit::Errors.code(),
            _ => crate::report::Exit::Failed.code(),
        }
    }
}

//! The writer's backup key: an age X25519 identity kept in a local file (never in the bucket),
//! and the chunk-name key derived from it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::secrecy::ExposeSecret;

use super::BackupError;

/// The environment variable naming the key file (overridden by `--key`).
pub const KEY_FILE_ENV: &str = "BUCKETPRESS_BACKUP_KEY_FILE";

/// The BLAKE3 `derive_key` context of the chunk-name key: fixed forever, or every chunk name
/// changes.
const NAME_KEY_CONTEXT: &str = "bucketpress 2026-12-01 backup chunk names v1";

/// An age X25519 identity plus the key that names chunks. `Debug` never shows the secret.
pub struct BackupKey {
    identity: age::x25519::Identity,
    recipient: age::x25519::Recipient,
    name_key: [u8; 32],
}

impl std::fmt::Debug for BackupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BackupKey({})", self.recipient)
    }
}

impl BackupKey {
    /// A fresh random identity.
    pub fn generate() -> BackupKey {
        BackupKey::from_identity(age::x25519::Identity::generate())
    }

    fn from_identity(identity: age::x25519::Identity) -> BackupKey {
        let secret = identity.to_string();
        let name_key = blake3::derive_key(NAME_KEY_CONTEXT, secret.expose_secret().as_bytes());
        BackupKey {
            recipient: identity.to_public(),
            identity,
            name_key,
        }
    }

    /// Parses an age identity file's text: `#` comment lines, blank lines and one
    /// `AGE-SECRET-KEY-1…` line. The error never quotes the file.
    pub fn parse(text: &str) -> Result<BackupKey, String> {
        let mut keys = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        let (Some(line), None) = (keys.next(), keys.next()) else {
            return Err("expected exactly one AGE-SECRET-KEY-1… line".into());
        };
        age::x25519::Identity::from_str(line)
            .map(BackupKey::from_identity)
            .map_err(|_| "not an age X25519 identity (AGE-SECRET-KEY-1…)".into())
    }

    /// Reads the key file at `path`.
    pub fn load(path: &Path) -> Result<BackupKey, BackupError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(BackupError::NoKey(path.to_path_buf()));
            }
            Err(e) => return Err(BackupError::io(path, e)),
        };
        #[cfg(unix)]
        if let Ok(meta) = std::fs::metadata(path) {
            use std::os::unix::fs::PermissionsExt;
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(
                    "{} can be read by other users; `chmod 600` it: it is the only secret \
                     protecting the backups",
                    path.display()
                );
            }
        }
        BackupKey::parse(&text).map_err(|reason| BackupError::BadKey {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// Creates a new key file at `path` with mode 0600 (its folder 0700 if created); an
    /// existing file is never overwritten.
    pub fn init(path: &Path) -> Result<BackupKey, BackupError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            create_private_dir(parent).map_err(|e| BackupError::io(parent, e))?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = match options.open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(BackupError::KeyExists(path.to_path_buf()));
            }
            Err(e) => return Err(BackupError::io(path, e)),
        };
        let key = BackupKey::generate();
        let text = format!(
            "# bucketpress backup key: keep it safe and private; without it the backups \
             cannot be read\n# created: {}\n# public key: {}\n{}\n",
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            key.recipient,
            key.identity.to_string().expose_secret()
        );
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| BackupError::io(path, e))?;
        Ok(key)
    }

    /// The public half (`age1…`), safe to print.
    pub fn public_key(&self) -> String {
        self.recipient.to_string()
    }

    /// The object name of a chunk: keyed BLAKE3 of its plaintext, in hex. Without the key the
    /// name says nothing about the contents (no guessing a known file's chunks).
    pub fn chunk_id(&self, plaintext: &[u8]) -> String {
        blake3::keyed_hash(&self.name_key, plaintext)
            .to_hex()
            .to_string()
    }

    /// Encrypts to this key's recipient (age, X25519: one key agreement per object, no
    /// passphrase work factor).
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, BackupError> {
        age::encrypt(&self.recipient, plaintext).map_err(|e| BackupError::Encrypt(e.to_string()))
    }

    /// Decrypts an object encrypted by [`encrypt`](Self::encrypt) with this key; `Err` for
    /// another key's objects and for any altered byte (age authenticates every 64 KiB).
    pub fn decrypt(&self, ciphertext: &[u8]) -> Result<Vec<u8>, age::DecryptError> {
        age::decrypt(&self.identity, ciphertext)
    }
}

/// Creates `dir` (and its parents) with mode 0700 where it has to create it.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// The key file: `explicit` (`--key`), else `$BUCKETPRESS_BACKUP_KEY_FILE`, else
/// `$XDG_CONFIG_HOME/bucketpress/backup-key.txt`, else `~/.config/bucketpress/backup-key.txt`.
pub fn key_path(explicit: Option<&Path>) -> Result<PathBuf, BackupError> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    resolve_key_path(
        explicit,
        var(KEY_FILE_ENV).map(PathBuf::from),
        var("XDG_CONFIG_HOME").map(PathBuf::from),
        var("HOME").map(PathBuf::from),
    )
}

/// [`key_path`] from given values (pure).
fn resolve_key_path(
    explicit: Option<&Path>,
    env: Option<PathBuf>,
    xdg: Option<PathBuf>,
    home: Option<PathBuf>,
) -> Result<PathBuf, BackupError> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = env {
        return Ok(p);
    }
    let config = xdg
        .or_else(|| home.map(|h| h.join(".config")))
        .ok_or_else(|| {
            BackupError::Usage(format!(
                "no home folder to keep the backup key in: pass --key FILE or set {KEY_FILE_ENV}"
            ))
        })?;
    Ok(config.join("bucketpress").join("backup-key.txt"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_name_chunks_by_key() {
        let a = BackupKey::generate();
        let text = format!("# comment\n\n{}\n", a.identity.to_string().expose_secret());
        let again = BackupKey::parse(&text).unwrap();
        assert_eq!(again.public_key(), a.public_key());
        assert_eq!(again.chunk_id(b"hello"), a.chunk_id(b"hello"));
        let b = BackupKey::generate();
        assert_ne!(a.chunk_id(b"hello"), b.chunk_id(b"hello"));
        assert_ne!(
            a.chunk_id(b"hello"),
            blake3::hash(b"hello").to_hex().to_string()
        );
        let sealed = a.encrypt(b"secret words").unwrap();
        assert!(!sealed.windows(12).any(|w| w == b"secret words"));
        assert_eq!(again.decrypt(&sealed).unwrap(), b"secret words");
        assert!(b.decrypt(&sealed).is_err());
        assert!(!format!("{a:?}").contains("AGE-SECRET-KEY"));
    }

    #[test]
    fn bad_key_files_are_refused() {
        assert!(BackupKey::parse("").is_err());
        assert!(BackupKey::parse("AGE-SECRET-KEY-1NOPE").is_err());
        let k = BackupKey::generate();
        let s = k.identity.to_string().expose_secret().to_string();
        assert!(BackupKey::parse(&format!("{s}\n{s}\n")).is_err());
    }

    #[test]
    fn init_writes_a_private_file_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cfg/bucketpress/backup-key.txt");
        let key = BackupKey::init(&path).unwrap();
        assert_eq!(
            BackupKey::load(&path).unwrap().public_key(),
            key.public_key()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let before = std::fs::read(&path).unwrap();
        assert!(matches!(
            BackupKey::init(&path),
            Err(BackupError::KeyExists(_))
        ));
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert!(matches!(
            BackupKey::load(&dir.path().join("none")),
            Err(BackupError::NoKey(_))
        ));
    }

    #[test]
    fn key_path_precedence() {
        let p = |e: Option<&str>, env: Option<&str>, xdg: Option<&str>, home: Option<&str>| {
            resolve_key_path(
                e.map(Path::new),
                env.map(PathBuf::from),
                xdg.map(PathBuf::from),
                home.map(PathBuf::from),
            )
            .map(|p| p.display().to_string())
            .ok()
        };
        assert_eq!(p(Some("/k"), Some("/e"), None, None).unwrap(), "/k");
        assert_eq!(p(None, Some("/e"), Some("/x"), None).unwrap(), "/e");
        assert_eq!(
            p(None, None, Some("/x"), Some("/h")).unwrap(),
            "/x/bucketpress/backup-key.txt"
        );
        assert_eq!(
            p(None, None, None, Some("/h")).unwrap(),
            "/h/.config/bucketpress/backup-key.txt"
        );
        assert_eq!(p(None, None, None, None), None);
    }
}

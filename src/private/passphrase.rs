//! Where a private group's passphrase comes from: an environment variable, a key file an
//! environment variable names, or a key file site.toml names. Never site.toml itself.

use std::path::{Path, PathBuf};

use super::{DEFAULT_GROUP, PrivateError, Sealing};

/// The variable holding a group's passphrase: `BUCKETPRESS_PASSPHRASE[_<GROUP>]`.
pub fn env_var(group: &str) -> String {
    suffixed("BUCKETPRESS_PASSPHRASE", group)
}

/// The variable holding the path of a group's key file: `BUCKETPRESS_PASSPHRASE_FILE[_<GROUP>]`.
pub fn file_env_var(group: &str) -> String {
    suffixed("BUCKETPRESS_PASSPHRASE_FILE", group)
}

fn suffixed(base: &str, group: &str) -> String {
    if group == DEFAULT_GROUP {
        base.to_string()
    } else {
        format!("{base}_{}", group.to_ascii_uppercase())
    }
}

/// A passphrase; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Passphrase(String);

impl Passphrase {
    /// The passphrase itself: only for key derivation.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(<redacted>)")
    }
}

/// Looks up environment variables (the process environment, or a map in tests).
pub type EnvLookup = dyn Fn(&str) -> Option<String> + Send + Sync;

/// The process environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Finds a group's passphrase: the variable, else the key file the variable names, else the
/// key file site.toml names (relative to `site_dir`). `Ok(None)` when none is set.
pub fn find_passphrase(
    group: &str,
    config: &Sealing<'_>,
    site_dir: &Path,
    env: &EnvLookup,
) -> Result<Option<Passphrase>, PrivateError> {
    let var = env_var(group);
    if let Some(p) = env(&var) {
        return non_empty(p, &var).map(Some);
    }
    let configured = if group == DEFAULT_GROUP {
        config.private.key_file.as_deref()
    } else {
        config.private.key_files.get(group).map(String::as_str)
    };
    let path = match (env(&file_env_var(group)), configured) {
        (Some(p), _) => PathBuf::from(p),
        (None, Some(f)) => site_dir.join(f),
        (None, None) => return Ok(None),
    };
    read_key_file(&path, site_dir, config).map(Some)
}

/// Reads a key file: its first line that is neither blank nor a `#` comment, trimmed.
fn read_key_file(
    path: &Path,
    site_dir: &Path,
    config: &Sealing<'_>,
) -> Result<Passphrase, PrivateError> {
    let shown = path.display().to_string();
    let io = |e: std::io::Error| PrivateError::KeyFile {
        path: shown.clone(),
        reason: e.to_string(),
    };
    let real = std::fs::canonicalize(path).map_err(io)?;
    if let Ok(site) = std::fs::canonicalize(site_dir)
        && let Ok(rel) = real.strip_prefix(&site)
    {
        let rel = rel.to_string_lossy().replace('\\', "/");
        let scanned = rel.starts_with("content/") || rel.starts_with("static/");
        if scanned && !(config.left_out)(config.exclude, &rel) {
            return Err(PrivateError::PublishedKeyFile(shown));
        }
    }
    let text = std::fs::read_to_string(&real).map_err(io)?;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    non_empty(line.to_string(), &shown)
}

fn non_empty(p: String, source: &str) -> Result<Passphrase, PrivateError> {
    if p.is_empty() {
        Err(PrivateError::Empty(source.to_string()))
    } else {
        Ok(Passphrase(p))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::config::Config;

    /// An environment holding just `pairs`, for passphrase look-ups in tests.
    pub(crate) fn env_of(
        pairs: &[(&str, &str)],
    ) -> impl Fn(&str) -> Option<String> + Send + Sync + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn variable_names() {
        assert_eq!(env_var("default"), "BUCKETPRESS_PASSPHRASE");
        assert_eq!(env_var("family"), "BUCKETPRESS_PASSPHRASE_FAMILY");
        assert_eq!(file_env_var("default"), "BUCKETPRESS_PASSPHRASE_FILE");
        assert_eq!(
            file_env_var("old_friends"),
            "BUCKETPRESS_PASSPHRASE_FILE_OLD_FRIENDS"
        );
    }

    #[test]
    fn passphrase_sources_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("k.txt"), "# demo key\n\n  from file  \n").unwrap();
        std::fs::write(dir.path().join("env.txt"), "from env file\n").unwrap();
        let mut config = Config::default_for_test();
        config.private.key_file = Some("k.txt".into());
        let find = |env: &EnvLookup, config: &Config| {
            find_passphrase("default", &config.sealing(), dir.path(), env).map(|p| p.map(|p| p.0))
        };
        assert_eq!(
            find(&env_of(&[]), &config).unwrap().as_deref(),
            Some("from file")
        );
        let env_file = dir.path().join("env.txt").display().to_string();
        let env = env_of(&[("BUCKETPRESS_PASSPHRASE_FILE", &env_file)]);
        assert_eq!(
            find(&env, &config).unwrap().as_deref(),
            Some("from env file")
        );
        let env = env_of(&[("BUCKETPRESS_PASSPHRASE", "from env")]);
        assert_eq!(find(&env, &config).unwrap().as_deref(), Some("from env"));
        assert_eq!(
            find(&env_of(&[("BUCKETPRESS_PASSPHRASE", "")]), &config).unwrap_err(),
            PrivateError::Empty("BUCKETPRESS_PASSPHRASE".into())
        );
        config.private.key_file = None;
        assert_eq!(find(&env_of(&[]), &config).unwrap(), None);
        config.private.key_file = Some("missing.txt".into());
        assert!(matches!(
            find(&env_of(&[]), &config).unwrap_err(),
            PrivateError::KeyFile { .. }
        ));
    }

    #[test]
    fn a_key_file_that_would_be_published_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("static")).unwrap();
        std::fs::write(dir.path().join("static/key.txt"), "secret-pass\n").unwrap();
        std::fs::write(dir.path().join("static/.key.txt"), "secret-pass\n").unwrap();
        let mut config = Config::default_for_test();
        config.private.key_file = Some("static/key.txt".into());
        let err =
            find_passphrase("default", &config.sealing(), dir.path(), &env_of(&[])).unwrap_err();
        assert!(matches!(err, PrivateError::PublishedKeyFile(_)), "{err:?}");
        assert!(!err.to_string().contains("secret-pass"));
        config.private.key_file = Some("static/.key.txt".into());
        assert!(find_passphrase("default", &config.sealing(), dir.path(), &env_of(&[])).is_ok());
    }

    #[test]
    fn passphrases_are_never_printed() {
        let p = Passphrase("hunter2".into());
        assert_eq!(format!("{p:?}"), "Passphrase(<redacted>)");
    }
}

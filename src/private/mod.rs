//! Private posts: bodies encrypted at build time (AES-256-GCM under a key derived from a
//! passphrase with PBKDF2) and decrypted in the reader's browser with WebCrypto.
//!
//! This module owns the `[private]` settings, the groups named in front matter, where each
//! group's passphrase comes from (environment or key file, never site.toml) and the in-memory
//! cache of derived keys, so `serve` derives each group's key once, not once per rebuild.

pub mod crypto;
pub mod page;
pub mod passphrase;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use crypto::GroupKey;
pub use passphrase::{EnvLookup, Passphrase, env_var, file_env_var, find_passphrase, process_env};

/// The group of `private: true`.
pub(crate) const DEFAULT_GROUP: &str = "default";

/// The `[private]` section of site.toml. Passphrases are never here, only where to find them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct PrivateConfig {
    /// A file holding the default group's passphrase, relative to the site folder (`None`:
    /// the passphrase comes from the environment).
    #[serde(deserialize_with = "unset_if_empty")]
    pub key_file: Option<String>,
    /// Files holding other groups' passphrases: `family = "family.key"`.
    pub key_files: BTreeMap<String, String>,
    /// Show a private post's title, date and description on its page (never in listings).
    pub show_title: bool,
    /// The title a private page shows instead (when `show_title` is false).
    pub placeholder_title: String,
    /// PBKDF2-HMAC-SHA256 iterations (at least 100,000).
    pub iterations: u32,
}

impl Default for PrivateConfig {
    fn default() -> PrivateConfig {
        PrivateConfig {
            key_file: None,
            key_files: BTreeMap::new(),
            show_title: false,
            placeholder_title: "Private post".into(),
            iterations: crypto::DEFAULT_ITERATIONS,
        }
    }
}

/// Reads `key_file`: an empty string is unset, as it was before the setting was an option.
/// (`config::publish::unset_if_empty` does the same; features do not import `config`.)
fn unset_if_empty<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let value: Option<String> = Option::deserialize(deserializer)?;
    Ok(value.filter(|s| !s.is_empty()))
}

/// What sealing private documents reads from site.toml: `[private]`, the top-level `exclude`
/// (a key file must not be published) and the base URL (part of each key's salt).
#[derive(Debug, Clone, Copy)]
pub struct Sealing<'a> {
    /// `[private]`.
    pub private: &'a PrivateConfig,
    /// The site's `exclude` globs.
    pub exclude: &'a [String],
    /// Whether the site leaves a file (relative to the site folder) out, by `exclude` and its
    /// own rules: the content loader's, so that a key file the site would publish is refused.
    pub left_out: fn(exclude: &[String], rel_path: &str) -> bool,
    /// The site's `base_url`, as written.
    pub base_url: &'a str,
}

impl PrivateConfig {
    /// The first invalid setting: (key, expected, found).
    pub fn problem(&self) -> Option<(&'static str, String, String)> {
        if self.iterations < crypto::MIN_ITERATIONS {
            return Some((
                "iterations",
                format!("at least {}", crypto::MIN_ITERATIONS),
                self.iterations.to_string(),
            ));
        }
        self.key_files.keys().find_map(|g| {
            check_group(g)
                .err()
                .map(|_| ("key_files", group_rule().to_string(), g.clone()))
        })
    }
}

/// Why a private post cannot be built. Never carries a passphrase.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrivateError {
    /// `encrypt` names an unusable group.
    #[error("encrypt: expected {rule}, found {0:?}", rule = group_rule())]
    InvalidGroup(String),
    /// `private: false` together with `encrypt`.
    #[error("private: false contradicts encrypt = {0:?}; remove one of them")]
    Contradiction(String),
    /// No passphrase for a private document's group.
    #[error(
        "private post (group {0:?}) but no passphrase is set: set {env}, or {file_env} to a \
         file holding it, or {config} in site.toml",
        env = env_var(.0),
        file_env = file_env_var(.0),
        config = config_setting(.0)
    )]
    MissingPassphrase(String),
    /// A key file could not be read.
    #[error("cannot read the key file {path}: {reason}")]
    KeyFile {
        /// Where it was looked for.
        path: String,
        /// The I/O error.
        reason: String,
    },
    /// The passphrase found is empty.
    #[error("the passphrase from {0} is empty")]
    Empty(String),
    /// A key file sits where it would be published.
    #[error(
        "the key file {0} is under content/ or static/ and would be published; move it out \
         of them (or give it a name starting with '.')"
    )]
    PublishedKeyFile(String),
    /// A file beside a private post (bundle asset) would be published unencrypted.
    #[error(
        "this file belongs to the private post {0} and would be published unencrypted; \
         move it elsewhere or make the post public (only the post's text is encrypted)"
    )]
    BundleAsset(String),
}

/// The site.toml setting naming a group's key file.
fn config_setting(group: &str) -> String {
    if group == DEFAULT_GROUP {
        "[private] key_file = \"…\"".to_string()
    } else {
        format!("[private.key_files] {group} = \"…\"")
    }
}

fn group_rule() -> &'static str {
    "a group name of lowercase letters, digits and '_', starting with a letter \
     (not \"file\" or \"file_…\", which the variables' names need)"
}

fn check_group(group: &str) -> Result<(), PrivateError> {
    let ok = group.starts_with(|c: char| c.is_ascii_lowercase())
        && group
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && group != "file"
        && !group.starts_with("file_");
    if ok {
        Ok(())
    } else {
        Err(PrivateError::InvalidGroup(group.to_string()))
    }
}

/// The group of a document from its `private` and `encrypt` fields; `None` when public.
pub(crate) fn group_of(
    private: Option<bool>,
    encrypt: Option<&str>,
) -> Result<Option<String>, PrivateError> {
    match (private, encrypt) {
        (Some(false), Some(g)) => Err(PrivateError::Contradiction(g.to_string())),
        (_, Some(g)) => {
            check_group(g)?;
            Ok(Some(g.to_string()))
        }
        (Some(true), None) => Ok(Some(DEFAULT_GROUP.to_string())),
        _ => Ok(None),
    }
}

/// A private document as sealing sees it: its source file and its group (`Doc::sealed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrivateDoc<'a> {
    /// The source file, relative to the site (`content/posts/a.md`).
    pub path: &'a str,
    /// The group whose key seals it.
    pub group: &'a str,
}

/// A private document that cannot be sealed, and why (`error` turns it into a diagnostic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsealable {
    /// The source file, relative to the site.
    pub path: PathBuf,
    /// Why not.
    pub error: PrivateError,
}

impl Unsealable {
    fn new(doc: PrivateDoc<'_>, error: PrivateError) -> Unsealable {
        Unsealable {
            path: PathBuf::from(doc.path),
            error,
        }
    }
}

/// The derived key of every group a render needs.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    keys: BTreeMap<String, Arc<GroupKey>>,
}

impl Keyring {
    /// The key of `group`.
    pub fn get(&self, group: &str) -> Option<&GroupKey> {
        self.keys.get(group).map(|k| &**k)
    }

    /// Each of `private` whose group has no key here (the session builds the keyring from
    /// the same documents, so this is a safety net: never render plaintext).
    pub fn missing<'a>(
        &self,
        private: impl IntoIterator<Item = PrivateDoc<'a>>,
    ) -> Vec<Unsealable> {
        private
            .into_iter()
            .filter(|d| !self.keys.contains_key(d.group))
            .map(|d| Unsealable::new(d, PrivateError::MissingPassphrase(d.group.to_string())))
            .collect()
    }

    /// True when no document is private.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// A fingerprint of the groups and their keys, for in-memory render caches.
    pub fn fingerprint(&self) -> blake3::Hash {
        let mut h = blake3::Hasher::new();
        for (group, key) in &self.keys {
            h.update(group.as_bytes()).update(&[0]);
            h.update(key.id().as_bytes());
        }
        h.finalize()
    }
}

/// Derived keys kept between renders, by (salt, iterations, passphrase hash); PBKDF2 is slow
/// on purpose, so a rebuild must not pay it again.
#[derive(Default)]
pub(crate) struct KeyCache {
    keys: HashMap<blake3::Hash, Arc<GroupKey>>,
    derivations: usize,
}

impl KeyCache {
    /// An empty cache.
    pub fn new() -> KeyCache {
        KeyCache::default()
    }

    /// How many keys were derived (cache misses) so far.
    pub(crate) fn derivations(&self) -> usize {
        self.derivations
    }

    /// The keyring for `private` documents: finds each group's passphrase and derives its key
    /// unless cached. A document whose group has no passphrase is named with the reason.
    pub(crate) fn keyring<'a>(
        &mut self,
        private: impl Iterator<Item = PrivateDoc<'a>> + Clone,
        config: &Sealing<'_>,
        site_dir: &Path,
        env: &EnvLookup,
    ) -> Result<Keyring, Vec<Unsealable>> {
        let groups: BTreeSet<&str> = private.clone().map(|d| d.group).collect();
        let mut errors = Vec::new();
        let mut wanted = Vec::new();
        for group in groups {
            let error = match find_passphrase(group, config, site_dir, env) {
                Ok(Some(pass)) => {
                    wanted.push((group, pass));
                    continue;
                }
                Ok(None) => PrivateError::MissingPassphrase(group.to_string()),
                Err(e) => e,
            };
            let docs = private.clone().filter(|d| d.group == group);
            errors.extend(docs.map(|d| Unsealable::new(d, error.clone())));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let iterations = config.private.iterations;
        let base_url = format!("{}/", config.base_url.trim_end_matches('/'));
        let slots: Vec<(&str, blake3::Hash, Passphrase)> = wanted
            .into_iter()
            .map(|(group, pass)| {
                let salt = crypto::salt(&base_url, group);
                let mut h = blake3::Hasher::new();
                h.update(&salt).update(&iterations.to_le_bytes());
                h.update(pass.expose().as_bytes());
                (group, h.finalize(), pass)
            })
            .collect();
        let fresh: Vec<(blake3::Hash, Arc<GroupKey>)> = slots
            .par_iter()
            .filter(|(_, slot, _)| !self.keys.contains_key(slot))
            .map(|(group, slot, pass)| {
                let salt = crypto::salt(&base_url, group);
                (
                    *slot,
                    Arc::new(GroupKey::derive(pass.expose(), salt, iterations)),
                )
            })
            .collect();
        self.derivations += fresh.len();
        self.keys.extend(fresh);
        let keys = slots
            .iter()
            .filter_map(|(group, slot, _)| Some((group.to_string(), self.keys.get(slot)?.clone())))
            .collect();
        Ok(Keyring { keys })
    }
}

#[cfg(test)]
mod tests {
    use super::passphrase::tests::env_of;
    use super::*;
    use crate::config::Config;
    use crate::content::Doc;
    use crate::error::{Diagnostic, Problem};

    /// What the session and the render pass: each private document's path and group.
    fn sealed(docs: &[Arc<Doc>]) -> impl Iterator<Item = PrivateDoc<'_>> + Clone {
        docs.iter().filter_map(|d| d.sealed())
    }

    /// The diagnostics the callers make of what a keyring refuses.
    fn diagnostics(refused: Vec<Unsealable>) -> Vec<Diagnostic> {
        refused.into_iter().map(Diagnostic::from).collect()
    }

    #[test]
    fn groups_from_front_matter() {
        assert_eq!(group_of(None, None).unwrap(), None);
        assert_eq!(group_of(Some(false), None).unwrap(), None);
        assert_eq!(
            group_of(Some(true), None).unwrap().as_deref(),
            Some("default")
        );
        assert_eq!(
            group_of(None, Some("family")).unwrap().as_deref(),
            Some("family")
        );
        assert_eq!(
            group_of(Some(true), Some("family")).unwrap().as_deref(),
            Some("family")
        );
        assert_eq!(
            Problem::from(group_of(Some(false), Some("family")).unwrap_err()),
            Problem::Private(PrivateError::Contradiction("family".into()))
        );
        for bad in ["Family", "fam ily", "9lives", "file", "file_x", "", "a-b"] {
            assert_eq!(
                Problem::from(group_of(None, Some(bad)).unwrap_err()),
                Problem::Private(PrivateError::InvalidGroup(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_keyring_without_a_group_names_its_documents() {
        let text = "---\ntitle: T\ndate: 2024-01-01\nprivate: true\n---\nx\n";
        let doc = Arc::new(Doc::parse("content/posts/a.md", text).unwrap());
        let missing = diagnostics(Keyring::default().missing(sealed(&[doc])));
        assert_eq!(missing.len(), 1);
        assert_eq!(
            missing[0].problem,
            Problem::Private(PrivateError::MissingPassphrase("default".into()))
        );
    }

    #[test]
    fn keyring_derives_each_group_once_and_names_files_without_a_passphrase() {
        let doc = |path: &str, group: &str| {
            let text = format!("---\ntitle: T\ndate: 2024-01-01\nencrypt: {group}\n---\nx\n");
            Arc::new(Doc::parse(path, &text).unwrap())
        };
        let docs = vec![
            doc("content/posts/a.md", "family"),
            doc("content/posts/b.md", "family"),
            doc("content/posts/c.md", "work"),
        ];
        let mut config = Config::default_for_test();
        config.private.iterations = crypto::MIN_ITERATIONS;
        let dir = tempfile::tempdir().unwrap();
        let mut cache = KeyCache::new();
        let env = env_of(&[("BUCKETPRESS_PASSPHRASE_FAMILY", "f")]);
        let errors = diagnostics(
            cache
                .keyring(sealed(&docs), &config.sealing(), dir.path(), &env)
                .unwrap_err(),
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, Path::new("content/posts/c.md"));
        assert!(
            errors[0]
                .to_string()
                .contains("BUCKETPRESS_PASSPHRASE_WORK"),
            "{}",
            errors[0]
        );
        let env = env_of(&[
            ("BUCKETPRESS_PASSPHRASE_FAMILY", "f"),
            ("BUCKETPRESS_PASSPHRASE_WORK", "w"),
        ]);
        let ring = cache
            .keyring(sealed(&docs), &config.sealing(), dir.path(), &env)
            .unwrap();
        assert_eq!(cache.derivations(), 2);
        assert!(ring.get("family").is_some() && ring.get("work").is_some());
        let again = cache
            .keyring(sealed(&docs), &config.sealing(), dir.path(), &env)
            .unwrap();
        assert_eq!(cache.derivations(), 2, "cached across renders");
        assert_eq!(ring.fingerprint(), again.fingerprint());
        let env = env_of(&[
            ("BUCKETPRESS_PASSPHRASE_FAMILY", "f2"),
            ("BUCKETPRESS_PASSPHRASE_WORK", "w"),
        ]);
        let changed = cache
            .keyring(sealed(&docs), &config.sealing(), dir.path(), &env)
            .unwrap();
        assert_eq!(cache.derivations(), 3);
        assert_ne!(ring.fingerprint(), changed.fingerprint());
    }
}

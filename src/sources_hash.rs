//! `sources_hash`: one hash of everything a render reads, without rendering. Builds are
//! deterministic, so equal hashes mean equal outputs; a publish records the hash in the
//! manifest and the next publish of the same sources stops after reading the manifest: on a
//! fresh CI checkout, where no local cache can help, a no-op publish costs one request and the
//! time to read the sources once (no Markdown, no highlighting, no templates).
//!
//! What goes in: the bucketpress build (see `build.rs`), the build options, `site.toml`, every
//! file under `templates/`, and every source file the build reads (the same scan, so files it
//! skips, such as dotfiles, leave the hash alone). What cannot go in: the clock (a post dated
//! in the future appears by itself once its date passes: the caller records when, see
//! [`crate::session::Rendered::next_release`]), private-post passphrases, which come from
//! the environment (the caller records no hash for sites with private documents), and
//! environment variables a template reads with Tera's `get_env` (such a site gets no hash).

use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::{CONFIG_FILE, Config};
use crate::content::load::site_relative;
use crate::content::{Filter, scan};
use crate::site::BuildOptions;

/// The bucketpress build: version and a hash of its sources (from `build.rs`).
pub(crate) const BUILD_ID: &str = env!("BUCKETPRESS_BUILD_ID");

/// The sources a complete publish or build rendered (`sources_hash`): while they stay the
/// same (and the clock has not reached `until`), the bucket or the output folder already
/// holds what a render would give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourcesRecord {
    /// The sources hash (hex).
    pub hash: String,
    /// Unix seconds of the earliest future post then left out: the record is stale from then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
}

impl SourcesRecord {
    /// True when sources hashing to `hash` need no render at unix time `now`.
    pub fn covers(&self, hash: &str, now: i64) -> bool {
        self.hash == hash && self.until.is_none_or(|until| now < until)
    }
}

/// The hash (hex) of everything a render of `site_dir` with `opts` reads, or `None` when a
/// source cannot be read or parsed as far as listing the files needs (the render then reports
/// why).
pub(crate) fn sources_hash(site_dir: &Path, opts: &BuildOptions) -> Option<String> {
    let config_path = site_dir.join(CONFIG_FILE);
    let config_text = std::fs::read_to_string(&config_path).ok()?;
    let config = Config::parse(&config_path, &config_text).ok()?.config;

    // Templates are read whole (they are small) to look for `get_env` and hashed from those
    // bytes; every other source is hashed as it streams.
    let mut files: Vec<(String, PathBuf)> = template_files(site_dir, "templates");
    files.extend(template_files(site_dir, crate::templates::INCLUDES_DIR));
    let mut contents: Vec<blake3::Hash> = Vec::with_capacity(files.len());
    for (_, path) in &files {
        let bytes = std::fs::read(path).ok()?;
        if reads_environment(&bytes) {
            return None;
        }
        contents.push(blake3::hash(&bytes));
    }
    let filter = Filter::new(&config.exclude).with_jekyll(config.content.jekyll);
    let found = scan(site_dir, &filter);
    if !found.errors.is_empty() {
        return None;
    }
    let sources: Vec<(String, PathBuf)> = found
        .markdown
        .into_iter()
        .map(|(path, rel)| (rel, path))
        .chain(found.assets.into_iter().map(|a| (a.rel_path, a.path)))
        .collect();
    let hashed: Vec<blake3::Hash> = sources
        .par_iter()
        .map(|(_, path)| crate::outputs::hash_file_raw(path))
        .collect::<io::Result<_>>()
        .ok()?;
    files.extend(sources);
    contents.extend(hashed);

    let mut all = blake3::Hasher::new();
    let mut part = |bytes: &[u8]| {
        all.update(&(bytes.len() as u64).to_le_bytes());
        all.update(bytes);
    };
    part(b"bucketpress sources v1");
    part(BUILD_ID.as_bytes());
    part(&[
        u8::from(opts.drafts),
        u8::from(opts.future),
        u8::from(opts.lenient),
    ]);
    part(opts.base_url.as_deref().unwrap_or("\0").as_bytes());
    part(config_text.as_bytes());
    for ((rel, _), content) in files.iter().zip(&contents) {
        part(rel.as_bytes());
        part(content.as_bytes());
    }
    Some(all.finalize().to_hex().to_string())
}

/// The record of a render that began when the sources of `site_dir` hashed to `before`:
/// `None` when they hash differently now (an edit during the render must not be vouched for)
/// or when the render depended on more than the sources (`private_documents`, sealed with
/// passphrases from the environment). `next_release` is the render's
/// [`crate::session::Rendered::next_release`].
pub(crate) fn record_after_render(
    site_dir: &Path,
    opts: &BuildOptions,
    before: Option<String>,
    private_documents: usize,
    next_release: Option<chrono::DateTime<chrono::FixedOffset>>,
) -> Option<SourcesRecord> {
    before
        .filter(|_| private_documents == 0)
        .filter(|h| sources_hash(site_dir, opts).as_ref() == Some(h))
        .map(|hash| SourcesRecord {
            hash,
            until: next_release.map(|d| d.timestamp()),
        })
}

/// Every file under `templates/` (whether or not it is a template: a superset is safe), as
/// (path relative to the site, path on disk), in name order.
fn template_files(site_dir: &Path, folder: &str) -> Vec<(String, PathBuf)> {
    let dir = site_dir.join(folder);
    walkdir::WalkDir::new(&dir)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| Some((site_relative(site_dir, e.path())?, e.into_path())))
        .collect()
}

/// True when a template's bytes may call Tera's `get_env`: its output then depends on more
/// than the sources (the bundled theme never does).
fn reads_environment(template: &[u8]) -> bool {
    template.windows(b"get_env".len()).any(|w| w == b"get_env")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("site.toml"),
            "title = \"T\"\nbase_url = \"https://e.x/\"\n",
        )
        .unwrap();
        std::fs::create_dir_all(root.join("content/posts")).unwrap();
        std::fs::create_dir_all(root.join("static")).unwrap();
        std::fs::write(
            root.join("content/posts/a.md"),
            "+++\ntitle = \"A\"\ndate = 2024-01-01\n+++\nBody.\n",
        )
        .unwrap();
        std::fs::write(root.join("static/x.txt"), "x").unwrap();
        dir
    }

    fn hash(dir: &tempfile::TempDir) -> String {
        sources_hash(dir.path(), &BuildOptions::default()).unwrap()
    }

    #[test]
    fn same_sources_same_hash_whatever_the_file_times() {
        let dir = site();
        let first = hash(&dir);
        let post = dir.path().join("content/posts/a.md");
        let text = std::fs::read(&post).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&post, text).unwrap();
        assert_eq!(hash(&dir), first);
    }

    #[test]
    fn every_input_a_render_reads_changes_the_hash() {
        let dir = site();
        let root = dir.path().to_path_buf();
        let mut seen = vec![hash(&dir)];
        let mut changed = |what: &str, edit: &dyn Fn()| {
            edit();
            let h = hash(&dir);
            assert!(!seen.contains(&h), "{what} left the hash unchanged");
            seen.push(h);
        };
        changed("a post's body", &|| {
            std::fs::write(
                root.join("content/posts/a.md"),
                "+++\ntitle = \"A\"\ndate = 2024-01-01\n+++\nBody!\n",
            )
            .unwrap()
        });
        changed("a new post", &|| {
            std::fs::write(root.join("content/posts/b.md"), "+++\ntitle = \"B\"\n+++\n").unwrap()
        });
        changed("a static file", &|| {
            std::fs::write(root.join("static/x.txt"), "y").unwrap()
        });
        changed("a renamed static file", &|| {
            std::fs::rename(root.join("static/x.txt"), root.join("static/z.txt")).unwrap()
        });
        changed("a template", &|| {
            std::fs::create_dir_all(root.join("templates")).unwrap();
            std::fs::write(root.join("templates/post.html"), "{{ post.title }}").unwrap()
        });
        changed("site.toml", &|| {
            std::fs::write(
                root.join("site.toml"),
                "title = \"T2\"\nbase_url = \"https://e.x/\"\n",
            )
            .unwrap()
        });
        let opts = BuildOptions {
            drafts: true,
            ..BuildOptions::default()
        };
        assert!(!seen.contains(&sources_hash(&root, &opts).unwrap()));
    }

    #[test]
    fn files_the_build_skips_leave_the_hash_alone() {
        let dir = site();
        let first = hash(&dir);
        std::fs::write(dir.path().join("content/posts/.a.md.swp"), "junk").unwrap();
        std::fs::write(dir.path().join("static/.env"), "SECRET=1").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a source").unwrap();
        assert_eq!(hash(&dir), first);
    }

    #[test]
    fn a_template_reading_the_environment_gives_no_hash() {
        let dir = site();
        std::fs::create_dir_all(dir.path().join("templates")).unwrap();
        std::fs::write(
            dir.path().join("templates/base.html"),
            "{{ get_env(name=\"ANALYTICS_ID\", default=\"\") }}",
        )
        .unwrap();
        assert_eq!(sources_hash(dir.path(), &BuildOptions::default()), None);
    }

    #[test]
    fn an_unreadable_config_gives_no_hash() {
        let dir = site();
        std::fs::write(dir.path().join("site.toml"), "title = [").unwrap();
        assert_eq!(sources_hash(dir.path(), &BuildOptions::default()), None);
    }
}

//! Reading the site's files: Markdown under `content/`, assets beside it and under `static/`.
//! Dotfiles, editor backups and the site's `exclude` globs are skipped here, once, so nothing
//! downstream (build, serve, publish) can ever see them.

use std::path::{Path, PathBuf};

use super::doc::Doc;
use crate::error::{Diagnostic, Problem};
use globset::{Glob, GlobSet, GlobSetBuilder};

/// Files at or above this size are not held in memory; they are hashed and uploaded streaming.
pub const STREAM_THRESHOLD: u64 = 8 * 1024 * 1024;

/// A file copied as is into the site.
#[derive(Debug, Clone)]
pub struct SourceAsset {
    /// Where it is on disk.
    pub path: PathBuf,
    /// The path relative to the site dir, for messages and bundles (`content/posts/t/a.png`).
    pub rel_path: String,
    /// The key it is published under, when known at load time (static files, plain content
    /// assets); bundle assets get theirs once the bundle's slug is known.
    pub key: String,
}

/// Decides which files are part of the site.
pub struct Filter {
    exclude: GlobSet,
}

impl Filter {
    /// A filter from the site's `exclude` globs (relative to the site dir).
    pub fn new(patterns: &[String]) -> Filter {
        let mut builder = GlobSetBuilder::new();
        for p in patterns {
            // Invalid globs were rejected when the config was parsed.
            if let Ok(g) = Glob::new(p) {
                builder.add(g);
            }
        }
        Filter {
            exclude: builder.build().unwrap_or_else(|_| GlobSet::empty()),
        }
    }

    /// True for hidden names (`.env`, `.git`), editor leftovers (`x~`, `#x#`, `x.swp`).
    pub fn is_ignored_name(name: &str) -> bool {
        name.starts_with('.')
            || name.ends_with('~')
            || (name.starts_with('#') && name.ends_with('#'))
            || name.ends_with(".swp")
            || name.ends_with(".tmp")
    }

    /// True when a path relative to the site should be left out. `static/.well-known/` is the
    /// one hidden folder kept (RFC 8615: `security.txt`, WebFinger); hidden names inside it are
    /// still left out.
    pub fn excludes(&self, rel_path: &str) -> bool {
        let checked = rel_path.strip_prefix(WELL_KNOWN).unwrap_or(rel_path);
        checked.split('/').any(Filter::is_ignored_name) || self.exclude.is_match(rel_path)
    }
}

/// The files of a site, found but not yet read.
#[derive(Debug, Default)]
pub struct Scan {
    /// Markdown files: (path on disk, path relative to the site), sorted.
    pub markdown: Vec<(PathBuf, String)>,
    /// Assets, sorted by path.
    pub assets: Vec<SourceAsset>,
    /// Problems met while walking (symlink loops, unreadable folders).
    pub errors: Vec<Diagnostic>,
}

/// The hidden folder of `static/` that is published all the same.
const WELL_KNOWN: &str = "static/.well-known/";

impl Scan {
    /// True when `rel_path` (relative to the site folder) is one of the listed files.
    pub fn knows(&self, rel_path: &str) -> bool {
        self.markdown.iter().any(|(_, rel)| rel == rel_path)
            || self.assets.iter().any(|a| a.rel_path == rel_path)
    }
}

/// Lists `content/` and `static/` under `site_dir`, skipping what `filter` excludes.
pub fn scan(site_dir: &Path, filter: &Filter) -> Scan {
    let mut found = Scan::default();
    for dir in ["content", "static"] {
        walk(site_dir, dir, filter, &mut found.errors, |path, rel| {
            if dir == "content" && rel.ends_with(".md") {
                found.markdown.push((path, rel));
            } else {
                let prefix = if dir == "static" {
                    "static/"
                } else {
                    "content/"
                };
                let key = rel.strip_prefix(prefix).unwrap_or(&rel).to_string();
                found.assets.push(SourceAsset {
                    path,
                    rel_path: rel,
                    key,
                });
            }
        });
    }
    found
}

/// Walks the source folder `root` (`dir` is its name under the site: `content`, `static`, …) in
/// file-name order, following links, never entering or yielding an ignored name (dotfiles,
/// editor leftovers) except `static/.well-known/`. The one definition of which files are
/// sources: the build and the backups both walk with it.
pub fn source_walker(
    root: &Path,
    dir: &str,
) -> impl Iterator<Item = walkdir::Result<walkdir::DirEntry>> {
    let static_dir = dir == "static";
    walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(move |e| {
            let name = e.file_name().to_string_lossy();
            let well_known = static_dir && e.depth() == 1 && name == ".well-known";
            e.depth() == 0 || well_known || !Filter::is_ignored_name(&name)
        })
}

/// `path` relative to `site_dir` with `/` separators (`content/posts/a.md`), the form every
/// message, filter and key uses; `None` when `path` is not under `site_dir`.
pub fn site_relative(site_dir: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(site_dir).ok()?;
    Some(
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

fn walk(
    site_dir: &Path,
    dir: &str,
    filter: &Filter,
    errors: &mut Vec<Diagnostic>,
    mut found: impl FnMut(PathBuf, String),
) {
    let root = site_dir.join(dir);
    if !root.is_dir() {
        return;
    }
    for entry in source_walker(&root, dir) {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().unwrap_or(&root).to_path_buf();
                let message = match e.loop_ancestor() {
                    Some(a) => format!("symlink loop back to {}; remove the link", a.display()),
                    None => e.to_string(),
                };
                errors.push(
                    Diagnostic::new(&path, None, Problem::Walk(message)).relative_to(site_dir),
                );
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let Some(rel) = site_relative(site_dir, entry.path()) else {
            continue;
        };
        if filter.excludes(&rel) {
            continue;
        }
        found(entry.path().to_path_buf(), rel);
    }
}

/// Reads and parses one Markdown file.
pub fn read_doc(path: &Path, rel_path: &str) -> Result<Doc, Diagnostic> {
    let bytes = std::fs::read(path)
        .map_err(|e| Diagnostic::new(path, None, Problem::Io(format!("cannot read: {e}"))))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = crate::error::line_of(&String::from_utf8_lossy(&e.as_bytes()[..at]), at);
        Diagnostic::new(path, Some(line), Problem::NotUtf8(at))
    })?;
    Doc::parse(rel_path, &text)
        .map_err(|(line, problem)| Diagnostic::new(path, Some(line), problem))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_skips_hidden_backup_and_excluded() {
        let f = Filter::new(&["static/**/*.psd".to_string()]);
        assert!(f.excludes("static/.env"));
        assert!(f.excludes("content/.git/config"));
        assert!(f.excludes("content/posts/a.md~"));
        assert!(f.excludes("static/art/cover.psd"));
        assert!(!f.excludes("static/img/a.png"));
    }

    #[test]
    fn static_well_known_is_kept_but_not_what_hides_inside_it() {
        let f = Filter::new(&[]);
        assert!(!f.excludes("static/.well-known/security.txt"));
        assert!(f.excludes("static/.well-known/.env"));
        assert!(f.excludes("static/img/.well-known/x.txt"));
        assert!(f.excludes("content/.well-known/x.md"));
    }
}

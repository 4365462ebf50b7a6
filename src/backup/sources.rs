//! Which files a backup holds: `site.toml` and the files under `content/`, `templates/` and
//! `static/`, left out by the build's own rules (dotfiles such as `.env` and `.git/`, editor
//! leftovers, the site's `exclude` globs; `static/.well-known/` is kept). `public/` and the
//! `.bucketpress/` cache are never read.

use std::path::{Path, PathBuf};

use super::BackupError;
use crate::config::CONFIG_FILE;
use crate::content::load::{Filter, site_relative, source_walker};

/// The folders of a site that hold sources.
pub(crate) const SOURCE_DIRS: [&str; 3] = ["content", "templates", "static"];

/// A file to back up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Where it is.
    pub path: PathBuf,
    /// Its path relative to the site folder, `/`-separated.
    pub rel: String,
}

/// The site's source files, sorted by relative path. Symlinks are followed (like the build);
/// an unreadable folder or a symlink loop is an error, not a silent gap in the backup.
pub(crate) fn list_sources(site: &Path, filter: &Filter) -> Result<Vec<Source>, BackupError> {
    let mut found = Vec::new();
    let config = site.join(CONFIG_FILE);
    if config.is_file() {
        found.push(Source {
            path: config,
            rel: CONFIG_FILE.to_string(),
        });
    }
    for dir in SOURCE_DIRS {
        let root = site.join(dir);
        if !root.is_dir() {
            continue;
        }
        for entry in source_walker(&root, dir) {
            let entry = entry.map_err(|e| {
                let path = e.path().unwrap_or(&root).to_path_buf();
                BackupError::io(&path, std::io::Error::other(e.to_string()))
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let Some(rel) = site_relative(site, entry.path()) else {
                continue;
            };
            if !filter.excludes(&rel) {
                found.push(Source {
                    path: entry.path().to_path_buf(),
                    rel,
                });
            }
        }
    }
    found.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_follow_the_build_rules() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path();
        for f in [
            "site.toml",
            "content/posts/a.md",
            "content/posts/.a.md.swp",
            "content/.env",
            "content/notes/private.md",
            "templates/base.html",
            "static/style.css",
            "static/.well-known/security.txt",
            "static/.DS_Store",
            "public/index.html",
            ".bucketpress/cache/x",
            ".git/HEAD",
            ".env",
            "README.md",
            "static/x.css~",
        ] {
            let p = site.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, f).unwrap();
        }
        let filter = Filter::new(&["content/notes/**".to_string()]);
        let rels: Vec<String> = list_sources(site, &filter)
            .unwrap()
            .into_iter()
            .map(|s| s.rel)
            .collect();
        assert_eq!(
            rels,
            [
                "content/posts/a.md",
                "site.toml",
                "static/.well-known/security.txt",
                "static/style.css",
                "templates/base.html",
            ]
        );
    }
}

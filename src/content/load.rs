//! Reading the site's files: Markdown under `content/`, assets beside it and under `static/`.
//! Dotfiles, editor backups and the site's `exclude` globs are skipped here, once, so nothing
//! downstream (build, serve, publish) can ever see them.

use std::path::{Path, PathBuf};

use super::doc::Doc;
use super::section::markdown_stem;
use super::settings::ContentOptions;
use crate::error::{Diagnostic, Problem};
use globset::{Glob, GlobSet, GlobSetBuilder};

/// Files at or above this size are not held in memory; they are hashed and uploaded streaming.
pub(crate) const STREAM_THRESHOLD: u64 = 8 * 1024 * 1024;

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
    /// Whether the site's top holds a Jekyll layout to read (`None`: when `_posts/` or
    /// `_config.yml` is there).
    jekyll: Option<bool>,
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
            jekyll: None,
        }
    }

    /// The same filter, reading a Jekyll layout at the site's top when `jekyll` says so
    /// (`[content] jekyll` in site.toml; `None` detects it).
    pub(crate) fn with_jekyll(mut self, jekyll: Option<bool>) -> Filter {
        self.jekyll = jekyll;
        self
    }

    /// True when the site's top is read as a Jekyll layout.
    pub(crate) fn reads_jekyll_layout(&self, site_dir: &Path) -> bool {
        self.jekyll.unwrap_or_else(|| {
            site_dir.join("_posts").is_dir() || site_dir.join("_config.yml").is_file()
        })
    }

    /// True for hidden names (`.env`, `.git`), editor leftovers (`x~`, `#x#`, `x.swp`).
    pub(crate) fn is_ignored_name(name: &str) -> bool {
        name.starts_with('.')
            || name.ends_with('~')
            || (name.starts_with('#') && name.ends_with('#'))
            || name.ends_with(".swp")
            || name.ends_with(".tmp")
    }

    /// True when a path relative to the site should be left out. `static/.well-known/` is the
    /// one hidden folder kept (RFC 8615: `security.txt`, WebFinger); hidden names inside it are
    /// still left out.
    pub(crate) fn excludes(&self, rel_path: &str) -> bool {
        let checked = rel_path.strip_prefix(WELL_KNOWN).unwrap_or(rel_path);
        checked.split('/').any(Filter::is_ignored_name) || self.exclude.is_match(rel_path)
    }
}

/// True when `exclude` or the loader's own rules leave `rel_path` (relative to the site
/// folder) out of the site: `Filter::excludes` without a filter at hand.
pub(crate) fn left_out(exclude: &[String], rel_path: &str) -> bool {
    Filter::new(exclude).excludes(rel_path)
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
    /// Files left out because the build does not understand them (a warning each).
    pub warnings: Vec<Diagnostic>,
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

/// Lists `content/` and `static/` under `site_dir` (and, for a Jekyll layout, the Markdown
/// and assets at the site's top), skipping what `filter` excludes. Markdown files (every usual
/// extension) are documents and never copied; markup the build cannot render (AsciiDoc, Org,
/// a page with front matter that is not Markdown) is left out with a warning.
pub fn scan(site_dir: &Path, filter: &Filter) -> Scan {
    let mut found = Scan::default();
    for dir in ["content", "static"] {
        let mut warnings = Vec::new();
        walk(site_dir, dir, filter, &mut found.errors, |path, rel| {
            let name = rel.rsplit('/').next().unwrap_or("");
            if dir == "content" && markdown_stem(name).is_some() {
                found.markdown.push((path, rel));
                return;
            }
            if dir == "content"
                && let Some(why) = not_understood(&path, name)
            {
                warnings.push(Diagnostic::new(
                    Path::new(&rel),
                    None,
                    Problem::NotBuilt(why),
                ));
                return;
            }
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
        });
        found.warnings.extend(warnings);
    }
    if filter.reads_jekyll_layout(site_dir) {
        scan_jekyll_top(site_dir, filter, &mut found);
    }
    found.markdown.sort_by(|a, b| a.1.cmp(&b.1));
    found.assets.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    found
}

/// Why a file under `content/` is not built, if it is markup the build does not render.
fn not_understood(path: &Path, name: &str) -> Option<String> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    let markup = [
        "adoc", "asciidoc", "ad", "org", "rst", "pdc", "pandoc", "textile", "ipynb", "liquid",
    ];
    if markup.contains(&ext.as_str()) {
        return Some(format!(
            "a .{ext} file: bucketpress builds Markdown only (.md, .markdown, .mdown, .mkd), \
             and does not copy sources"
        ));
    }
    let text_page = [
        "html", "htm", "xml", "scss", "sass", "css", "js", "json", "txt",
    ];
    (text_page.contains(&ext.as_str()) && has_front_matter(path)).then(|| {
        format!(
            "a .{ext} file with front matter is a page for Jekyll's or Hugo's template engine, \
             which bucketpress does not run; it is not copied (move it to templates/ as a Tera \
             template, or write it in Markdown)"
        )
    })
}

/// True when the file starts with a `---` or `+++` line.
fn has_front_matter(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 4];
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let n = file.read(&mut head).unwrap_or(0);
    let head = &head[..n];
    head.starts_with(b"---\n") || head.starts_with(b"+++\n") || head.starts_with(b"---\r")
}

/// Names at a Jekyll site's top that are not part of the site (Jekyll's default `exclude`,
/// bucketpress's own folders).
const NOT_SITE: &[&str] = &[
    "content",
    "static",
    "templates",
    "public",
    "node_modules",
    "vendor",
    "site.toml",
    "Gemfile",
    "Gemfile.lock",
    "Rakefile",
    "package.json",
    "package-lock.json",
    "yarn.lock",
    "Makefile",
    "Dockerfile",
    "netlify.toml",
];

/// True for a file at a Jekyll site's top that is about the project, not the site
/// (`README.md`, `LICENSE`, a gemspec).
pub(crate) fn project_file(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "README",
        "LICENSE",
        "LICENCE",
        "CHANGELOG",
        "CONTRIBUTING",
        "CODE_OF_CONDUCT",
    ]
    .iter()
    .any(|p| upper.starts_with(p))
        || name.ends_with(".gemspec")
}

/// Reads a Jekyll layout at the site's top: Markdown anywhere (posts under `_posts/` and
/// `_drafts/`, pages elsewhere) and the files Jekyll would copy, skipping folders starting
/// with `_` (layouts, includes, `_site`), bucketpress's own folders, folders a build wrote
/// and project files.
fn scan_jekyll_top(site_dir: &Path, filter: &Filter, found: &mut Scan) {
    let walker = walkdir::WalkDir::new(site_dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            if e.depth() == 0 {
                return true;
            }
            if Filter::is_ignored_name(&name) {
                return false;
            }
            let is_dir = e.file_type().is_dir();
            let underscore = name.starts_with('_') && name != "_posts" && name != "_drafts";
            let top = e.depth() == 1 && (NOT_SITE.contains(&name.as_ref()) || project_file(&name));
            // A folder a build wrote (`build --out docs`) is output, not source.
            let output = is_dir && e.path().join(crate::write::RECORD_FILE).is_file();
            !(underscore && (is_dir || e.depth() == 1)) && !top && !output
        });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().unwrap_or(site_dir).to_path_buf();
                let problem = Problem::Walk(e.to_string());
                found
                    .errors
                    .push(Diagnostic::new(&path, None, problem).relative_to(site_dir));
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
        let name = rel.rsplit('/').next().unwrap_or("");
        let path = entry.path().to_path_buf();
        if markdown_stem(name).is_some() {
            found.markdown.push((path, rel));
        } else if let Some(why) = not_understood(&path, name) {
            found.warnings.push(Diagnostic::new(
                Path::new(&rel),
                None,
                Problem::NotBuilt(why),
            ));
        } else {
            // Copied at its own path, as Jekyll does (a picture beside a post too).
            found.assets.push(SourceAsset {
                key: rel.clone(),
                path,
                rel_path: rel,
            });
        }
    }
}

/// Walks the source folder `root` (`dir` is its name under the site: `content`, `static`, …) in
/// file-name order, following links, never entering or yielding an ignored name (dotfiles,
/// editor leftovers) except `static/.well-known/`. The one definition of which files are
/// sources: the build and the backups both walk with it.
pub(crate) fn source_walker(
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
pub(crate) fn site_relative(site_dir: &Path, path: &Path) -> Option<String> {
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
                let problem = match e.loop_ancestor() {
                    Some(a) => Problem::SymlinkLoop {
                        ancestor: a.to_path_buf(),
                    },
                    None => Problem::Walk(e.to_string()),
                };
                errors.push(Diagnostic::new(&path, None, problem).relative_to(site_dir));
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

/// Reads and parses one Markdown file; every problem of it on failure.
pub(crate) fn read_doc(
    path: &Path,
    rel_path: &str,
    opts: &ContentOptions,
) -> Result<Doc, Vec<Diagnostic>> {
    read_doc_text(path, rel_path, opts).map_err(|e| match e {
        Ok(problems) => problems,
        Err(d) => vec![d],
    })
}

type ReadError = Result<Vec<Diagnostic>, Diagnostic>;

fn read_doc_text(path: &Path, rel_path: &str, opts: &ContentOptions) -> Result<Doc, ReadError> {
    let bytes = std::fs::read(path).map_err(|e| {
        Err(Diagnostic::new(
            path,
            None,
            Problem::Io(format!("cannot read: {e}")),
        ))
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = crate::error::line_of(&String::from_utf8_lossy(&e.as_bytes()[..at]), at);
        Err(Diagnostic::new(path, Some(line), Problem::NotUtf8(at)))
    })?;
    // A Jekyll draft without a date is dated by its file, as Jekyll does.
    let modified = rel_path
        .split('/')
        .any(|p| p == "_drafts")
        .then(|| std::fs::metadata(path).and_then(|m| m.modified()).ok())
        .flatten()
        .map(|t| chrono::DateTime::<chrono::Utc>::from(t).fixed_offset());
    Doc::parse_with(rel_path, &text, opts, modified).map_err(|problems| {
        Ok(problems
            .into_iter()
            .map(|(line, problem)| Diagnostic::new(path, Some(line), problem))
            .collect())
    })
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

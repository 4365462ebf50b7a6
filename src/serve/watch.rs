//! Watching the site's sources: notify with a debouncer, and a pure classification of changed
//! paths into change kinds (like Zola's `fs_utils`). Knows nothing about HTTP: it calls back.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, EventKind, MetadataKind, ModifyKind};
use notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use crate::config::CONFIG_FILE;
use crate::content::Filter;

/// What kind of source changed; decides what the summary line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    /// `site.toml`.
    Config,
    /// Anything under `templates/`.
    Template,
    /// Markdown and bundle assets under `content/`.
    Content,
    /// Files under `static/` other than stylesheets.
    Static,
    /// A stylesheet (`*.css` under `static/` or `content/`): the page can swap it in place.
    Style,
}

impl ChangeKind {
    fn label(self) -> &'static str {
        match self {
            ChangeKind::Config => "config",
            ChangeKind::Template => "templates",
            ChangeKind::Content => "content",
            ChangeKind::Static => "static",
            ChangeKind::Style => "stylesheets",
        }
    }
}

/// The relevant changes of one debounced batch: (kind, path relative to the site), sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSet {
    /// Each changed source once.
    pub paths: BTreeSet<(ChangeKind, String)>,
    /// The watcher lost track (its event queue overflowed, or it reported an error): any
    /// file may have changed, so the next build must look at everything.
    pub rescan: bool,
}

impl ChangeSet {
    /// True when nothing relevant changed (only ignored files: dotfiles, swap files, `public/`).
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && !self.rescan
    }

    /// The changed paths (relative to the site), or `None` when any file may have changed.
    pub(crate) fn changed_paths(&self) -> Option<Vec<String>> {
        (!self.rescan).then(|| self.paths.iter().map(|(_, p)| p.clone()).collect())
    }

    /// The kinds present.
    pub fn kinds(&self) -> BTreeSet<ChangeKind> {
        self.paths.iter().map(|(k, _)| *k).collect()
    }

    /// True when only stylesheets changed.
    pub fn css_only(&self) -> bool {
        !self.is_empty() && self.paths.iter().all(|(k, _)| *k == ChangeKind::Style)
    }

    /// Adds another batch.
    pub(crate) fn merge(&mut self, other: ChangeSet) {
        self.paths.extend(other.paths);
        self.rescan |= other.rescan;
    }
}

impl fmt::Display for ChangeSet {
    /// `content/posts/a.md` for one file, `3 files (content, templates)` for more.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.paths.len() {
            0 if self.rescan => write!(f, "unknown files"),
            0 => write!(f, "nothing"),
            1 => write!(f, "{}", self.paths.iter().next().expect("one path").1),
            n => {
                let kinds: Vec<&str> = self.kinds().into_iter().map(ChangeKind::label).collect();
                write!(f, "{n} files ({})", kinds.join(", "))
            }
        }
    }
}

/// True for names editors create while saving and delete soon after: vim's `4913` probe and
/// swap files, JetBrains' safe-write files, backups, plus what the loader ignores (dotfiles).
pub(crate) fn is_temp_name(name: &str) -> bool {
    Filter::is_ignored_name(name)
        || (!name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()))
        || [
            ".swx",
            ".swo",
            ".swpx",
            ".bak",
            ".bck",
            "___jb_tmp___",
            "___jb_old___",
        ]
        .iter()
        .any(|s| name.ends_with(s))
}

/// Classifies one changed path (absolute, under `site_dir`). `None` for anything that cannot
/// affect the build: outside the site, dotfiles and editor temporaries, the `public/` output.
pub(crate) fn classify_path(site_dir: &Path, path: &Path) -> Option<(ChangeKind, String)> {
    let rel = path.strip_prefix(site_dir).ok()?;
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?),
            _ => return None,
        }
    }
    if parts.iter().any(|p| is_temp_name(p)) {
        return None;
    }
    let is_css = parts.len() > 1 && parts.last().is_some_and(|n| n.ends_with(".css"));
    let kind = match parts.first().copied()? {
        CONFIG_FILE if parts.len() == 1 => ChangeKind::Config,
        "templates" => ChangeKind::Template,
        "content" | "static" if is_css => ChangeKind::Style,
        "content" => ChangeKind::Content,
        "static" => ChangeKind::Static,
        // A Jekyll layout at the site's top: its posts, drafts and Markdown pages.
        _ if parts.iter().any(|p| *p == "_posts" || *p == "_drafts") => ChangeKind::Content,
        name if parts.len() == 1
            && crate::content::section::markdown_stem(name).is_some()
            && !crate::content::load::project_file(name) =>
        {
            ChangeKind::Content
        }
        _ => return None,
    };
    Some((kind, parts.join("/")))
}

/// Classifies a batch of changed paths.
pub(crate) fn classify<'a>(
    site_dir: &Path,
    paths: impl IntoIterator<Item = &'a Path>,
) -> ChangeSet {
    ChangeSet {
        paths: paths
            .into_iter()
            .filter_map(|p| classify_path(site_dir, p))
            .collect(),
        rescan: false,
    }
}

/// True for events that may change a file's content or existence; reads (which the build
/// itself causes) and access-time updates are not changes.
pub(crate) fn is_relevant(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => false,
        _ => true,
    }
}

/// A running watcher; dropping it stops watching.
pub struct Watcher {
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
}

/// Watches `site_dir` recursively and calls `on_change` on a dedicated thread with each
/// non-empty batch of changes. Batches that arrive while a callback runs are merged, so a burst
/// of saves costs one rebuild. `site_dir` must be canonical (events carry canonical paths).
pub fn watch(
    site_dir: PathBuf,
    debounce: Duration,
    mut on_change: impl FnMut(ChangeSet) + Send + 'static,
) -> notify::Result<Watcher> {
    let (tx, rx) = mpsc::channel::<DebounceEventResult>();
    let mut debouncer = new_debouncer(debounce, None, tx)?;
    debouncer.watch(&site_dir, RecursiveMode::Recursive)?;
    let batch = move |result: DebounceEventResult| match result {
        Ok(events) => {
            let mut changes = classify(
                &site_dir,
                events
                    .iter()
                    .filter(|e| is_relevant(&e.kind))
                    .flat_map(|e| e.paths.iter().map(PathBuf::as_path)),
            );
            changes.rescan = events.iter().any(|e| e.need_rescan());
            changes
        }
        Err(errors) => {
            for e in errors {
                tracing::warn!("watching files: {e}");
            }
            ChangeSet {
                rescan: true,
                ..ChangeSet::default()
            }
        }
    };
    std::thread::Builder::new()
        .name("bucketpress-watch".into())
        .spawn(move || {
            while let Ok(first) = rx.recv() {
                let mut changes = batch(first);
                while let Ok(more) = rx.try_recv() {
                    changes.merge(batch(more));
                }
                if !changes.is_empty() {
                    on_change(changes);
                }
            }
        })
        .map_err(|e| notify::Error::generic(&format!("cannot start the watch thread: {e}")))?;
    Ok(Watcher {
        _debouncer: debouncer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(path: &str) -> Option<ChangeKind> {
        classify_path(Path::new("/site"), &Path::new("/site").join(path)).map(|(k, _)| k)
    }

    #[test]
    fn sources_are_classified_by_folder() {
        assert_eq!(kind("site.toml"), Some(ChangeKind::Config));
        assert_eq!(kind("content/posts/a.md"), Some(ChangeKind::Content));
        assert_eq!(kind("content/posts/b/photo.png"), Some(ChangeKind::Content));
        assert_eq!(kind("_posts/2014-05-06-a.md"), Some(ChangeKind::Content));
        assert_eq!(kind("news/_posts/a.markdown"), Some(ChangeKind::Content));
        assert_eq!(kind("about.md"), Some(ChangeKind::Content));
        assert_eq!(kind("_layouts/post.html"), None);
        assert_eq!(kind("content/posts"), Some(ChangeKind::Content));
        assert_eq!(kind("templates/post.html"), Some(ChangeKind::Template));
        assert_eq!(kind("static/img/a.png"), Some(ChangeKind::Static));
        assert_eq!(kind("static/style.css"), Some(ChangeKind::Style));
        assert_eq!(kind("content/posts/b/extra.css"), Some(ChangeKind::Style));
    }

    #[test]
    fn output_dotfiles_temporaries_and_strangers_are_ignored() {
        for path in [
            "public/index.html",
            "public",
            "content/.git/index",
            ".git/HEAD",
            "content/posts/.a.md.swp",
            "content/posts/a.md.swx",
            "content/posts/4913",
            "content/posts/a.md~",
            "templates/#post.html#",
            "content/posts/a.md___jb_tmp___",
            "content/posts/.#a.md",
            "README.md",
            "sub/site.toml",
            "",
        ] {
            assert_eq!(kind(path), None, "{path}");
        }
        assert_eq!(
            classify_path(Path::new("/site"), Path::new("/other/a.md")),
            None
        );
    }

    #[test]
    fn batch_summaries_and_css_only() {
        let site = Path::new("/site");
        let one = classify(site, [Path::new("/site/content/posts/a.md")]);
        assert_eq!(one.to_string(), "content/posts/a.md");
        assert!(!one.css_only());

        // A rename-style save: temp file created, renamed over the real one, probe deleted.
        let paths = [
            "/site/content/posts/4913",
            "/site/content/posts/.a.md.swp",
            "/site/content/posts/a.md",
            "/site/content/posts/a.md~",
            "/site/content/posts/a.md",
        ]
        .map(Path::new);
        assert_eq!(classify(site, paths), one);

        let css = classify(site, [Path::new("/site/static/style.css")]);
        assert!(css.css_only());
        let mut mixed = css.clone();
        mixed.merge(classify(site, [Path::new("/site/templates/base.html")]));
        assert!(!mixed.css_only());
        assert_eq!(mixed.to_string(), "2 files (templates, stylesheets)");
        assert!(classify(site, [Path::new("/site/public/x.html")]).is_empty());
    }

    #[test]
    fn reads_are_not_changes() {
        assert!(!is_relevant(&EventKind::Access(AccessKind::Open(
            AccessMode::Any
        ))));
        assert!(is_relevant(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(is_relevant(&EventKind::Modify(ModifyKind::Any)));
        assert!(!is_relevant(&EventKind::Modify(ModifyKind::Metadata(
            MetadataKind::AccessTime
        ))));
    }
}

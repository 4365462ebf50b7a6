//! `Session`: the pipeline with memory. It keeps parsed documents (by file stamp), assets,
//! highlighted code, rendered Markdown and rendered pages between renders, so `serve` redoes
//! only what an edit touched. A one-shot build is simply a session's first render.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::config::{CONFIG_FILE, Config};
use crate::content::{ContentOptions, Doc, Scan};
use crate::error::{BuildErrors, Diagnostic};
use crate::highlight::{Highlighter, Keep};
use crate::images::process::Notify;
use crate::images::{IMAGE_CACHE, Images};
use crate::links::Base;
use crate::outputs::{Output, Outputs, PageSink};
use crate::private::{EnvLookup, KeyCache, process_env};
use crate::render::{RenderCache, RenderStats};
use crate::site::BuildOptions;
use crate::templates::Templates;
use crate::timing::Stages;
use crate::torrent::{PieceCache, TORRENT_CACHE};

mod load;
mod render;

use load::Stamp;

/// A rendered site and what was noticed on the way.
#[derive(Debug)]
pub struct Rendered {
    /// The configuration in force (with any `--base-url` override applied).
    pub config: Config,
    /// Every output.
    pub outputs: Outputs,
    /// Non-fatal problems (unknown config keys).
    pub warnings: Vec<Diagnostic>,
    /// How many posts and pages were built.
    pub documents: usize,
    /// How many of them are private (sealed with passphrases from the environment).
    pub private_documents: usize,
    /// The earliest date of a future post left out: the same sources build differently then.
    pub next_release: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// How many documents were left out (drafts, future and expired posts).
    pub left_out: crate::site::LeftOut,
}

/// A parsed document (or why it failed) and the stamp of the file it came from.
type CachedDoc = (Stamp, Result<Arc<Doc>, Vec<Diagnostic>>);

/// Where a site keeps its highlight cache, relative to the site folder.
pub const HIGHLIGHT_CACHE: &str = ".bucketpress/cache/highlight.bin";

/// A site being rendered, possibly many times.
pub struct Session {
    site_dir: PathBuf,
    opts: BuildOptions,
    highlighter: Highlighter,
    docs: FxHashMap<String, CachedDoc>,
    /// The options the cached documents were parsed with (from site.toml).
    content_options: ContentOptions,
    assets: HashMap<PathBuf, (Stamp, Output)>,
    cache: RenderCache,
    /// What the last link check found on each page (`serve` checks only what changed).
    link_memo: std::sync::Mutex<crate::links::LinkMemo>,
    highlight_file: Option<PathBuf>,
    torrent_pieces: PieceCache,
    images: Images,
    /// Image variants the last render made, and those left to the background.
    images_made: (usize, usize),
    stages: Stages,
    sources: Option<Arc<Sources>>,
    keys: KeyCache,
    env: Box<EnvLookup>,
    sink: Option<Arc<dyn PageSink>>,
    /// Renders once: sources are dropped as soon as they are rendered.
    single: bool,
    /// Goes on past documents that fail to parse, to report every problem (`check`).
    all_problems: bool,
    /// Takes every page's links even when `[links] internal = "off"` (`check --external`).
    collect_links: bool,
}

/// What the last load read: kept so a render after an edit to one post reads only that post.
struct Sources {
    config_text: String,
    config: Config,
    warnings: Vec<Diagnostic>,
    templates: Arc<Templates>,
    scan: Arc<Scan>,
}

/// How much of the sources a render must read again. Files a render did not know are read
/// in any case; known ones are stat-ed only when `restat_all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Reload {
    /// site.toml, the templates, the list of files and every file's stamp.
    everything: bool,
    /// The templates (one changed).
    templates: bool,
    /// The list of files (one was added, removed or renamed).
    file_list: bool,
}

impl Reload {
    const EVERYTHING: Reload = Reload {
        everything: true,
        templates: true,
        file_list: true,
    };

    /// Decides from the changed paths (relative to `site_dir`) and the last load.
    fn plan(last: Option<&Arc<Sources>>, site_dir: &Path, changed: Option<&[String]>) -> Reload {
        let (Some(last), Some(changed)) = (last, changed) else {
            return Reload::EVERYTHING;
        };
        let mut reload = Reload {
            everything: false,
            templates: false,
            file_list: false,
        };
        for path in changed {
            if path == CONFIG_FILE {
                return Reload::EVERYTHING;
            } else if path == "templates"
                || path.starts_with("templates/")
                || path == crate::templates::INCLUDES_DIR
                || path.starts_with(&format!("{}/", crate::templates::INCLUDES_DIR))
            {
                // A new `templates/` folder may come as one event for the folder alone: the
                // watcher can miss files written into it before it watches it.
                reload.templates = true;
            } else if !(last.scan.knows(path) && site_dir.join(path).is_file()) {
                reload.file_list = true;
            }
        }
        reload
    }
}

impl Session {
    /// A session for the site in `site_dir`.
    pub fn new(site_dir: &Path, opts: BuildOptions) -> Session {
        Session {
            site_dir: site_dir.to_path_buf(),
            opts,
            highlighter: Highlighter::new(),
            docs: FxHashMap::default(),
            content_options: ContentOptions::default(),
            assets: HashMap::new(),
            cache: RenderCache::new(),
            link_memo: Default::default(),
            highlight_file: None,
            torrent_pieces: PieceCache::in_memory(),
            images: Images::new(),
            images_made: (0, 0),
            stages: Stages::default(),
            sources: None,
            keys: KeyCache::new(),
            env: Box::new(process_env),
            sink: None,
            single: false,
            all_problems: false,
            collect_links: false,
        }
    }

    /// A session whose renders go on past documents that fail to parse (leaving them out), so
    /// one run reports every problem of every file: links, anchors, URL clashes and templates
    /// too (`check`). Without it a render stops after the documents' own problems.
    pub fn all_problems(mut self) -> Session {
        self.all_problems = true;
        self
    }

    /// A session that takes every page's links as it renders, for
    /// [`Session::external_links`], even when internal links are not checked.
    pub fn collect_links(mut self) -> Session {
        self.collect_links = true;
        self
    }

    /// The links to other sites on the pages of the last render (with
    /// [`Session::collect_links`] or internal link checks on), once each.
    pub fn external_links(&self) -> Vec<crate::links::ExternalRef> {
        let Some(sources) = &self.sources else {
            return Vec::new();
        };
        let config = &sources.config;
        let skip = config
            .links
            .skip_set()
            .unwrap_or_else(|_| globset::GlobSet::empty());
        let base = Base::new(&config.base_url, &config.base_path());
        crate::links::external_links(self.cache.page_links(), &base, &skip)
    }

    /// A session that renders once (`build`, `check`, `publish`): it keeps nothing for a next
    /// render, lets each document's Markdown go once parsed (read back from its file when its
    /// page is rendered) and parks rendered Markdown on disk until its page is made, so a
    /// render never holds every source or every rendered document at once.
    pub fn single_render(mut self) -> Session {
        self.single = true;
        self
    }

    /// Hands every page to `sink` as soon as it is rendered (a build to disk: `write::Spill`),
    /// so a render never holds every page's bytes at once.
    pub fn page_sink(&mut self, sink: Arc<dyn PageSink>) {
        self.sink = Some(sink);
    }

    /// Takes passphrases from `env` instead of the process environment (for tests).
    pub fn with_env(
        mut self,
        env: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Session {
        self.env = Box::new(env);
        self
    }

    /// How many private-post keys were derived so far: one per group and passphrase, however
    /// many renders (PBKDF2 is slow on purpose).
    pub fn key_derivations(&self) -> usize {
        self.keys.derivations()
    }

    /// Keeps highlighted code in `<site>/.bucketpress/cache/highlight.bin` between runs: loads
    /// it now, and saves it after each successful render. Torrent piece hashes are kept the
    /// same way, under `<site>/.bucketpress/cache/torrents/`.
    pub fn persist_highlights(&mut self) {
        self.load_highlights();
        self.highlight_file = Some(self.site_dir.join(HIGHLIGHT_CACHE));
        self.torrent_pieces
            .persist_in(self.site_dir.join(TORRENT_CACHE));
        self.images.persist_in(&self.site_dir.join(IMAGE_CACHE));
    }

    /// Makes missing image variants in the background (serving each original under its
    /// variants' names meanwhile) and calls `notify` when a batch is done (`serve`).
    pub(crate) fn images_lazily(&mut self, notify: Notify) {
        self.images.lazily(notify);
    }

    /// Reads the highlight cache a build left, without ever writing it (for `check`).
    pub fn load_highlights(&mut self) {
        self.highlighter.load(&self.site_dir.join(HIGHLIGHT_CACHE));
    }

    /// Adds highlighted blocks from cache-file bytes (a shard of the cache kept in the bucket);
    /// returns how many, or `None` when the bytes are not a cache file.
    pub(crate) fn load_highlight_bytes(&self, bytes: &[u8]) -> Option<usize> {
        self.highlighter.load_bytes(bytes)
    }

    /// The session's highlighter, holding what its renders highlighted and used (for a
    /// session that does not save to disk: see [`Highlighter::encode_shards`]).
    pub(crate) fn into_highlighter(self) -> Highlighter {
        self.highlighter
    }

    /// Writes what was highlighted since the last save to the highlight cache, if the
    /// session keeps one ([`Session::persist_highlights`]).
    pub fn save_highlights(&self) {
        self.write_highlights(Keep::All);
    }

    fn write_highlights(&self, keep: Keep) {
        if let Some(path) = &self.highlight_file
            && let Err(e) = self.highlighter.save(path, keep)
        {
            // The cache only saves time; a read-only checkout still builds.
            tracing::warn!("cannot save the highlight cache {}: {e}", path.display());
        }
    }

    /// The site folder.
    pub fn site_dir(&self) -> &Path {
        &self.site_dir
    }

    /// What the last render reused and redid.
    pub fn stats(&self) -> RenderStats {
        self.cache.stats
    }

    /// Image variants the last render made (0 when all came from the cache) and those it
    /// left to the background (lazy mode).
    pub fn images_made(&self) -> (usize, usize) {
        self.images_made
    }

    /// The warnings of the sources the last render read (site.toml's unknown keys, files
    /// left out), also when that render failed: `check` shows them with the errors.
    pub(crate) fn source_warnings(&self) -> Vec<Diagnostic> {
        let Some(sources) = &self.sources else {
            return Vec::new();
        };
        let mut warnings = sources.warnings.clone();
        warnings.extend(sources.scan.warnings.iter().cloned());
        warnings
    }

    /// How long each step of the last successful render took.
    pub fn stages(&self) -> &Stages {
        &self.stages
    }

    /// Loads what changed since the last render and renders the site: every source file is
    /// listed and its stamp checked.
    pub fn render(&mut self) -> Result<Rendered, BuildErrors> {
        self.render_changed(None)
    }
}

fn sorted(mut errors: Vec<Diagnostic>) -> BuildErrors {
    errors.sort_by(|a, b| {
        (a.path.cmp(&b.path))
            .then(a.line.cmp(&b.line))
            .then(a.column.cmp(&b.column))
    });
    errors.dedup();
    BuildErrors(errors)
}

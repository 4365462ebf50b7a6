//! `Session`: the pipeline with memory. It keeps parsed documents (by file stamp), assets,
//! highlighted code, rendered Markdown and rendered pages between renders, so `serve` redoes
//! only what an edit touched. A one-shot build is simply a session's first render.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::config::{CONFIG_FILE, Config};
use crate::content::{ContentOptions, Doc, Scan, SourceAsset, front_matter};
use crate::error::{BuildErrors, Diagnostic, Problem};
use crate::highlight::{Highlighter, Keep};
use crate::images::process::Notify;
use crate::images::{IMAGE_CACHE, Images};
use crate::links::{Base, Severity, SiteView, check_internal};
use crate::outputs::{Output, Outputs, PageSink};
use crate::private::{EnvLookup, KeyCache, process_env};
use crate::render::{Fingerprint, RenderCache, RenderStats, Renderer};
use crate::site::{BuildOptions, Site};
use crate::templates::Templates;
use crate::timing::Stages;
use crate::torrent::{PieceCache, TORRENT_CACHE, Torrents, make_torrents};

mod load;

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

    /// Renders the site after the files `changed` (paths relative to the site folder, as a
    /// file watcher reports them) were modified; `None` when unknown. When every changed
    /// path is a source file the last render already knew, nothing else is listed or
    /// stat-ed: on a 10,000-post site that is most of a warm render's file-system work.
    /// Anything else (site.toml, a new or removed file) reloads what it may affect.
    pub fn render_changed(&mut self, changed: Option<&[String]>) -> Result<Rendered, BuildErrors> {
        let mut stages = Stages::start();
        let reload = Reload::plan(self.sources.as_ref(), &self.site_dir, changed);
        let sources = self.load_sources(reload)?;
        let options = sources.config.content_options();
        if options != self.content_options {
            // Dates, URLs and kinds depend on these: every document is parsed again.
            self.docs.clear();
            self.content_options = options;
        }
        stages.lap("scan");
        let mut errors = Vec::new();
        let restat = if reload.everything { None } else { changed };
        let docs = self.load_docs(&sources.scan.markdown, restat, &mut errors);
        let doc_warnings: Vec<Diagnostic> = docs
            .iter()
            .flat_map(|d| {
                d.warnings.iter().map(|(line, problem)| {
                    Diagnostic::new(Path::new(&d.rel_path), Some(*line), problem.clone())
                })
            })
            .collect();
        if self.single {
            self.docs.clear();
        }
        stages.lap("parse");
        // Documents that failed are left out and the rest goes on, so one run reports every
        // problem of every file (links to a failed document are not reported again).
        if !errors.is_empty() && !self.all_problems {
            return Err(sorted(errors));
        }
        let failed: Vec<String> = errors
            .iter()
            .map(|d| d.path.to_string_lossy().replace('\\', "/"))
            .collect();
        let config = sources.config.clone();
        let site = match Site::assemble_with_clashes(
            config,
            docs,
            sources.scan.assets.clone(),
            &self.opts,
            front_matter::now(),
        ) {
            Ok((site, clashes)) if clashes.is_empty() || self.all_problems => {
                errors.extend(clashes);
                site
            }
            Ok((_, clashes)) | Err(clashes) => {
                errors.extend(clashes);
                return Err(sorted(errors));
            }
        };
        stages.lap("assemble");

        let keyring = match self.keys.keyring(
            site.private.iter().filter_map(|d| d.sealed()),
            &site.config.sealing(),
            &self.site_dir,
            &*self.env,
        ) {
            Ok(k) => k,
            Err(e) => {
                errors.extend(e.into_iter().map(Diagnostic::from));
                return Err(sorted(errors));
            }
        };
        stages.lap("private keys");
        let assets = match self.load_assets(&site.assets, restat) {
            Ok(a) => a,
            Err(e) => {
                errors.extend(e);
                return Err(sorted(errors));
            }
        };
        let torrents = self.make_torrents(&site, &assets)?;
        let torrent_links = Arc::new(torrents.links);
        stages.lap("assets and torrents");
        let base_path = site.config.base_path();
        let images = (self.images)
            .process(&site.config.images, &base_path, &site.assets, assets)
            .map_err(|e| sorted(e.into_iter().map(Diagnostic::from).collect()))?;
        self.images_made = (images.made, images.pending);
        stages.lap("images");
        let mut inputs = Fingerprint::new();
        inputs
            .str(&sources.config_text)
            .opt(self.opts.base_url.as_deref())
            .hash(&sources.templates.fingerprint())
            .str(&serde_json::to_string(&*torrent_links).unwrap_or_default())
            .hash(&keyring.fingerprint())
            .hash(&images.catalog.fingerprint());
        let renderer = Renderer::new(
            &site,
            &sources.templates,
            &self.highlighter,
            inputs.finish(),
        )
        .with_torrents(torrent_links)
        .with_lenient(self.opts.lenient || site.config.content.lenient)
        .with_images(images.catalog)
        .with_keys(Arc::new(keyring))
        .with_sink(self.sink.clone())
        .with_parked_html(self.single)
        .with_link_check(site.config.links.internal != Severity::Off || self.collect_links);
        let pages = renderer.render(&mut self.cache);
        // A failed render still reports the links from Markdown to documents not built.
        let link_errors = match site.config.links.internal {
            Severity::Error => self.cache.broken_links.clone(),
            Severity::Warn | Severity::Off => Vec::new(),
        };
        let pages = match pages {
            Ok(pages) if errors.is_empty() => pages,
            Ok(_) | Err(_) => {
                let e = pages.err().unwrap_or_default();
                errors.extend(
                    e.into_iter()
                        .chain(link_errors)
                        .filter(|d| !links_to_failed(&d.problem, &d.path, &failed)),
                );
                return Err(sorted(errors));
            }
        };
        stages.extend(&self.cache.stages);
        let mut warnings = sources.warnings.clone();
        warnings.extend(sources.scan.warnings.iter().cloned());
        warnings.extend(self.cache.warnings.iter().cloned());
        warnings.extend(self.cache.unknown_languages());
        warnings.extend(doc_warnings);

        // The pages come sorted, so the stable sort of pages and assets finds them in order
        // and only places the assets (check_clashes refused an asset at a page's key).
        let mut outputs: Outputs = pages
            .into_iter()
            .chain(images.outputs.into_iter().map(Arc::new))
            .collect();
        for torrent in torrents.outputs {
            if let Some(clash) = outputs.insert(torrent) {
                return Err(sorted(vec![torrent_clash(&site, &clash.key)]));
            }
        }
        renderer
            .add_files(&mut outputs, &mut self.cache)
            .map_err(sorted)?;
        drop(renderer);
        stages.lap("outputs");
        let link_problems = self.check_links(&site, &sources.templates, &outputs);
        match site.config.links.internal {
            _ if link_problems.is_empty() => {}
            Severity::Error => return Err(sorted(link_problems)),
            Severity::Warn | Severity::Off => warnings.extend(sorted(link_problems).0),
        }
        stages.lap("links");
        if self.cache.stats.markdown_reused == 0 {
            // Every block was asked for: the cache can drop what no page uses any more. After
            // an incremental render the save waits for `save_highlights` (serve calls it when
            // it stops), so an edit never waits for the whole cache to be written.
            self.write_highlights(Keep::Used);
        }
        self.torrent_pieces.prune_unused();
        self.images.prune_cache();
        stages.lap("save cache");
        self.stages = stages;
        Ok(Rendered {
            documents: site.posts.len() + site.pages.len() + site.private.len(),
            private_documents: site.private.len(),
            next_release: site.next_release,
            left_out: site.left_out,
            config: site.config,
            outputs,
            warnings,
        })
    }

    /// Every broken internal link of the last render (none when `[links] internal = "off"`):
    /// Markdown links to documents not built, then links and anchors of the rendered pages.
    fn check_links(
        &self,
        site: &Site,
        templates: &Templates,
        outputs: &Outputs,
    ) -> Vec<Diagnostic> {
        let config = &site.config.links;
        if config.internal == Severity::Off {
            return Vec::new();
        }
        // site.toml's validation refused bad patterns already.
        let skip = config
            .skip_set()
            .unwrap_or_else(|_| globset::GlobSet::empty());
        let exists = |key: &str| outputs.contains(key);
        let read_source = |rel: &str| std::fs::read_to_string(self.site_dir.join(rel)).ok();
        let view = SiteView {
            exists: &exists,
            base: Base::new(&site.config.base_url, &site.config.base_path()),
            skip: &skip,
            templates,
            read_source: &read_source,
        };
        let mut problems = self.cache.broken_links.clone();
        problems.extend(check_internal(self.cache.page_links(), &view));
        problems
    }

    /// Torrents for the big assets (`[torrents]` in site.toml), reusing cached pieces.
    fn make_torrents(&self, site: &Site, assets: &[Output]) -> Result<Torrents, BuildErrors> {
        let pairs: Vec<(&SourceAsset, &Output)> = site.assets.iter().zip(assets).collect();
        make_torrents(&site.config.seeding(), &pairs, &self.torrent_pieces).map_err(sorted)
    }
}

/// A site file that sits where bucketpress puts a generated torrent.
fn torrent_clash(site: &Site, torrent_key: &str) -> Diagnostic {
    let source = site
        .assets
        .iter()
        .find(|a| a.key == torrent_key)
        .map_or(torrent_key, |a| a.rel_path.as_str());
    let file = torrent_key.strip_suffix(".torrent").unwrap_or(torrent_key);
    Diagnostic::new(
        Path::new(source),
        None,
        Problem::Invalid {
            field: "torrents".into(),
            expected: format!(
                "no file of this name: bucketpress makes it for {file}; \
                 remove it or set [torrents] enabled = false in site.toml"
            ),
            found: torrent_key.into(),
        },
    )
}

/// True for a broken link (in the file `from`) to a document that failed to parse: that
/// document's own problems are reported, the link is not wrong.
fn links_to_failed(problem: &Problem, from: &Path, failed: &[String]) -> bool {
    let Problem::BrokenLink(link) = problem else {
        return false;
    };
    let target = link.split(['#', ' ']).next().unwrap_or("");
    let target = match target.strip_prefix("@/") {
        Some(rest) => format!("content/{rest}"),
        None => {
            let dir = from
                .parent()
                .map(|p| p.to_string_lossy().replace('\\', "/"));
            match dir {
                Some(dir) if !dir.is_empty() => format!("{dir}/{target}"),
                _ => target.to_string(),
            }
        }
    };
    let target = target.replace("/./", "/");
    failed.contains(&target)
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

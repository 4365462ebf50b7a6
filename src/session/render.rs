//! A session's render, phase by phase: scan and parse what changed, assemble the site, make
//! what its pages read (private keys, assets, torrents, images), render the pages, gather the
//! outputs and warnings, check the links, save the caches.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::{Reload, Rendered, Session, Sources, sorted};
use crate::config::Config;
use crate::content::{Doc, SourceAsset, front_matter};
use crate::error::{BuildErrors, Diagnostic, Problem};
use crate::highlight::Keep;
use crate::images::Processed;
use crate::links::{Base, Severity, SiteView, check_internal};
use crate::outputs::{Output, Outputs};
use crate::private::Keyring;
use crate::render::{Fingerprint, Renderer};
use crate::site::{BuildOptions, Site};
use crate::templates::Templates;
use crate::timing::Stages;
use crate::torrent::{TorrentLinks, Torrents, make_torrents};

/// What a site's pages read besides the site, made before they are rendered.
struct Prepared {
    keyring: Keyring,
    torrents: Torrents,
    images: Processed,
}

impl Session {
    /// Renders the site after the files `changed` (paths relative to the site folder, as a
    /// file watcher reports them) were modified; `None` when unknown. When every changed
    /// path is a source file the last render already knew, nothing else is listed or
    /// stat-ed: on a 10,000-post site that is most of a warm render's file-system work.
    /// Anything else (site.toml, a new or removed file) reloads what it may affect.
    pub fn render_changed(&mut self, changed: Option<&[String]>) -> Result<Rendered, BuildErrors> {
        let mut stages = Stages::start();
        let reload = Reload::plan(self.sources.as_ref(), &self.site_dir, changed);
        let sources = self.load_sources(reload)?;
        self.take_content_options(&sources.config);
        stages.lap("scan");
        let mut errors = Vec::new();
        let restat = if reload.everything { None } else { changed };
        let docs = self.load_docs(&sources.scan.markdown, restat, &mut errors);
        let doc_warnings = doc_warnings(&docs);
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
        let site = self.assemble(&sources, docs, &mut errors)?;
        stages.lap("assemble");
        let Prepared {
            keyring,
            torrents,
            images,
        } = self.prepare(&site, restat, &mut errors, &mut stages)?;
        let torrent_links = Arc::new(torrents.links);
        let inputs = render_inputs(&sources, &self.opts, &torrent_links, &keyring, &images);
        let renderer = Renderer::new(&site, &sources.templates, &self.highlighter, inputs)
            .with_torrents(torrent_links)
            .with_lenient(self.opts.lenient || site.config.content.lenient)
            .with_images(images.catalog)
            .with_keys(Arc::new(keyring))
            .with_sink(self.sink.clone())
            .with_parked_html(self.single)
            .with_link_check(site.config.links.internal != Severity::Off || self.collect_links);
        let pages = renderer.render(&mut self.cache);
        let pages = self.pages_or_errors(&site.config, pages, errors, &failed)?;
        stages.extend(&self.cache.stages);
        let mut warnings = self.warnings(&sources, doc_warnings);
        let mut outputs = outputs_of(&site, pages, images.outputs, torrents.outputs)?;
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
        self.save_caches();
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

    /// Takes the document parser's options from `config`: when they changed, every document
    /// is parsed again (dates, URLs and kinds depend on them).
    fn take_content_options(&mut self, config: &Config) {
        let options = config.content_options();
        if options != self.content_options {
            self.docs.clear();
            self.content_options = options;
        }
    }

    /// The site from `docs`; clashes join `errors` (and stop the render unless every problem
    /// is asked for).
    fn assemble(
        &self,
        sources: &Sources,
        docs: Vec<Arc<Doc>>,
        errors: &mut Vec<Diagnostic>,
    ) -> Result<Site, BuildErrors> {
        match Site::assemble_with_clashes(
            sources.config.clone(),
            docs,
            sources.scan.assets.clone(),
            &self.opts,
            front_matter::now(),
        ) {
            Ok((site, clashes)) if clashes.is_empty() || self.all_problems => {
                errors.extend(clashes);
                Ok(site)
            }
            Ok((_, clashes)) | Err(clashes) => {
                errors.extend(clashes);
                Err(sorted(std::mem::take(errors)))
            }
        }
    }

    /// The private keys, the assets (re-read where `restat` says, all when `None`), their
    /// torrents and the images: what `site`'s pages read. A problem stops the render, with
    /// `errors` so far.
    fn prepare(
        &mut self,
        site: &Site,
        restat: Option<&[String]>,
        errors: &mut Vec<Diagnostic>,
        stages: &mut Stages,
    ) -> Result<Prepared, BuildErrors> {
        let keyring = match self.keys.keyring(
            site.private.iter().filter_map(|d| d.sealed()),
            &site.config.sealing(),
            &self.site_dir,
            &*self.env,
        ) {
            Ok(k) => k,
            Err(e) => {
                errors.extend(e.into_iter().map(Diagnostic::from));
                return Err(sorted(std::mem::take(errors)));
            }
        };
        stages.lap("private keys");
        let assets = match self.load_assets(&site.assets, restat) {
            Ok(a) => a,
            Err(e) => {
                errors.extend(e);
                return Err(sorted(std::mem::take(errors)));
            }
        };
        let torrents = self.make_torrents(site, &assets)?;
        stages.lap("assets and torrents");
        let base_path = site.config.base_path();
        let images = (self.images)
            .process(&site.config.images, &base_path, &site.assets, assets)
            .map_err(|e| sorted(e.into_iter().map(Diagnostic::from).collect()))?;
        self.images_made = (images.made, images.pending);
        stages.lap("images");
        Ok(Prepared {
            keyring,
            torrents,
            images,
        })
    }

    /// The rendered pages, unless the render or an earlier phase (`errors`) failed: then
    /// every problem, with the links from Markdown to documents not built when those are
    /// errors, but not the links to documents that `failed`.
    fn pages_or_errors(
        &self,
        config: &Config,
        pages: Result<Vec<Arc<Output>>, Vec<Diagnostic>>,
        mut errors: Vec<Diagnostic>,
        failed: &[String],
    ) -> Result<Vec<Arc<Output>>, BuildErrors> {
        match pages {
            Ok(pages) if errors.is_empty() => Ok(pages),
            Ok(_) | Err(_) => {
                // A failed render still reports the links from Markdown to documents not built.
                let link_errors = match config.links.internal {
                    Severity::Error => self.cache.broken_links.clone(),
                    Severity::Warn | Severity::Off => Vec::new(),
                };
                let e = pages.err().unwrap_or_default();
                errors.extend(
                    e.into_iter()
                        .chain(link_errors)
                        .filter(|d| !links_to_failed(&d.problem, &d.path, failed)),
                );
                Err(sorted(errors))
            }
        }
    }

    /// The warnings of a render: site.toml's, the scan's, lenient shortcodes', unknown code
    /// languages, and the documents' own.
    fn warnings(&self, sources: &Sources, doc_warnings: Vec<Diagnostic>) -> Vec<Diagnostic> {
        let mut warnings = sources.warnings.clone();
        warnings.extend(sources.scan.warnings.iter().cloned());
        warnings.extend(self.cache.warnings.iter().cloned());
        warnings.extend(self.cache.unknown_languages());
        warnings.extend(doc_warnings);
        warnings
    }

    /// Saves what the caches learnt: the highlight cache after a full render, the pruned
    /// torrent pieces and images.
    fn save_caches(&mut self) {
        if self.cache.stats.markdown_reused == 0 {
            // Every block was asked for: the cache can drop what no page uses any more. After
            // an incremental render the save waits for `save_highlights` (serve calls it when
            // it stops), so an edit never waits for the whole cache to be written.
            self.write_highlights(Keep::Used);
        }
        self.torrent_pieces.prune_unused();
        self.images.prune_cache();
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
        // What the links can point at besides pages' ids: every key, and the skip rules.
        // Gathered in one buffer and hashed once: 270,000 small updates at 100,000 posts cost
        // several times the bytes' hashing.
        let outputs_print = || {
            let mut all = Vec::with_capacity(outputs.len() * 48);
            for key in outputs.keys() {
                all.extend_from_slice(key.as_bytes());
                all.push(0);
            }
            for pattern in &config.skip {
                all.extend_from_slice(pattern.as_bytes());
                all.push(1);
            }
            blake3::hash(&all)
        };
        // A one-shot render checks once: nothing to remember, nothing to fingerprint.
        let mut memo = self.link_memo.lock().unwrap_or_else(|e| e.into_inner());
        let memo = (!self.single).then_some(&mut *memo);
        let mut problems = self.cache.broken_links.clone();
        let pages = self.cache.shared_page_links();
        problems.extend(check_internal(pages, outputs_print, &view, memo));
        problems
    }

    /// Torrents for the big assets (`[torrents]` in site.toml), reusing cached pieces.
    fn make_torrents(&self, site: &Site, assets: &[Output]) -> Result<Torrents, BuildErrors> {
        let pairs: Vec<(&SourceAsset, &Output)> = site.assets.iter().zip(assets).collect();
        make_torrents(&site.config.seeding(), &pairs, &self.torrent_pieces).map_err(sorted)
    }
}

/// The warnings front matter gave each document, at their lines.
fn doc_warnings(docs: &[Arc<Doc>]) -> Vec<Diagnostic> {
    docs.iter()
        .flat_map(|d| {
            d.warnings.iter().map(|(line, problem)| {
                Diagnostic::new(Path::new(&d.rel_path), Some(*line), problem.clone())
            })
        })
        .collect()
}

/// The fingerprint of what every page reads beyond its own inputs: site.toml, the base URL
/// override, the templates, the torrents, the private keys and the images.
fn render_inputs(
    sources: &Sources,
    opts: &BuildOptions,
    torrent_links: &BTreeMap<String, TorrentLinks>,
    keyring: &Keyring,
    images: &Processed,
) -> blake3::Hash {
    let mut inputs = Fingerprint::new();
    inputs
        .str(&sources.config_text)
        .opt(opts.base_url.as_deref())
        .hash(&sources.templates.fingerprint())
        .str(&serde_json::to_string(torrent_links).unwrap_or_default())
        .hash(&keyring.fingerprint())
        .hash(&images.catalog.fingerprint());
    inputs.finish()
}

/// The site's outputs: the pages (sorted), the assets and image variants, the torrents.
fn outputs_of(
    site: &Site,
    pages: Vec<Arc<Output>>,
    assets: Vec<Output>,
    torrents: Vec<Output>,
) -> Result<Outputs, BuildErrors> {
    // The pages come sorted, so the stable sort of pages and assets finds them in order
    // and only places the assets (check_clashes refused an asset at a page's key).
    let mut outputs: Outputs = pages
        .into_iter()
        .chain(assets.into_iter().map(Arc::new))
        .collect();
    for torrent in torrents {
        if let Some(clash) = outputs.insert(torrent) {
            return Err(sorted(vec![torrent_clash(site, &clash.key)]));
        }
    }
    Ok(outputs)
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

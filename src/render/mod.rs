//! Render: `Site` → page `Outputs`, in parallel with rayon. Markdown first (so every link and
//! anchor can be checked), then every page is planned with a fingerprint of its inputs and
//! rendered only when no cached output has that fingerprint. A one-shot build starts with an
//! empty [`RenderCache`]; `serve` keeps one, so an edit re-renders only what it touches.

mod context;
mod files;
mod listings;
pub mod parked;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

pub use context::{Contexts, DocCtx, DocPrints, Fingerprint, PagePrint, SiteCtx};
pub(crate) use files::favicon;

use crate::content::Doc;
use crate::error::{Diagnostic, Problem};
use crate::highlight::Highlighter;
use crate::links::PageLinks;
use crate::markdown::{self, Document};
use crate::outputs::generated::{self, Depends};
use crate::outputs::{Output, OutputKind, PageSink};
use crate::private::Keyring;
use crate::site::Site;
use crate::templates::Templates;
use crate::timing::Stages;
use crate::torrent::TorrentLinks;
use parked::{HtmlStore, Parked};

/// What a render reused and redid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderStats {
    /// Documents whose Markdown was rendered.
    pub markdown_rendered: usize,
    /// Documents whose Markdown was reused.
    pub markdown_reused: usize,
    /// Pages rendered with templates.
    pub pages_rendered: usize,
    /// Pages reused from the cache.
    pub pages_reused: usize,
}

/// The problems of one document, each at a line.
type DocProblems = Vec<(usize, Problem)>;

struct MarkdownEntry {
    doc: Arc<Doc>,
    links: blake3::Hash,
    /// The fingerprint of the shortcode templates and site values, when the expansion of the
    /// document's shortcodes used them: a change to them renders it again.
    shortcodes: Option<blake3::Hash>,
    /// Shortcode problems let through in lenient mode.
    warnings: Arc<DocProblems>,
    document: Arc<Document>,
    prints: DocPrints,
    /// Links to documents that are not built: reported by the link check, every render.
    broken: DocProblems,
    /// The document's HTML was parked (the entry holds none): never reused.
    parked: bool,
}

/// A document's rendered Markdown and its fingerprints.
type Rendered = (Arc<Document>, DocPrints);

/// A rendered page, the fingerprint of its inputs, and the last render that produced it.
struct PageEntry {
    print: PagePrint,
    output: Arc<Output>,
    render: u64,
    /// The page's links and anchor ids, when links are checked.
    links: Option<Arc<PageLinks>>,
}

/// Rendered Markdown (by source path) and pages (by key) from earlier renders, each with the
/// fingerprint of the inputs it was made from. Updated in place: a render that reuses nearly
/// everything touches only what it redid.
#[derive(Default)]
pub(crate) struct RenderCache {
    markdown: FxHashMap<String, MarkdownEntry>,
    pages: FxHashMap<String, PageEntry>,
    /// Counts renders, to tell the pages the last one produced from those it no longer does.
    renders: u64,
    /// The last code stylesheet made (see [`Renderer::add_files`]).
    highlight_css: files::HighlightCss,
    /// The pages of the last render, sorted by key: an edit replaces a few in place, so
    /// no render after the first sorts 10,000 pages again unless pages come or go.
    sorted: Vec<Arc<Output>>,
    /// What the last render did.
    pub stats: RenderStats,
    /// How long each step of the last render took.
    pub stages: Stages,
    /// Problems of the last render that did not stop it (lenient shortcodes).
    pub warnings: Vec<Diagnostic>,
    /// Links from Markdown to documents that are not built (`[x](@/posts/gone.md)`), at
    /// their lines: the link check reports them with the rest.
    pub broken_links: Vec<Diagnostic>,
}

impl RenderCache {
    /// An empty cache.
    pub fn new() -> RenderCache {
        RenderCache::default()
    }

    /// One warning per code language no highlighter knows, at its first fence (files in path
    /// order): a build says it once, however many blocks use it. Drawn from every rendered
    /// document, reused ones included, so `serve` keeps saying it after an edit elsewhere.
    pub(crate) fn unknown_languages(&self) -> Vec<Diagnostic> {
        let mut found: Vec<(&str, &str, usize)> = self
            .markdown
            .iter()
            .flat_map(|(path, entry)| {
                let langs = &entry.document.unknown_langs;
                langs
                    .iter()
                    .map(|(l, line)| (l.as_str(), path.as_str(), *line))
            })
            .collect();
        found.sort_unstable();
        found.dedup_by(|a, b| a.0 == b.0);
        found
            .into_iter()
            .map(|(lang, path, line)| {
                let problem = Problem::UnknownLanguage {
                    lang: lang.to_string(),
                    hint: crate::highlight::unknown_lang_hint(lang),
                };
                Diagnostic::new(Path::new(path), Some(line), problem)
            })
            .collect()
    }

    /// Every page of the last render with the links and ids taken from it (renders with
    /// [`Renderer::with_link_check`] only): `(object key, links)`.
    pub(crate) fn page_links(&self) -> impl Iterator<Item = (&str, &PageLinks)> {
        self.pages
            .iter()
            .filter_map(|(key, e)| Some((key.as_str(), e.links.as_deref()?)))
    }
}

/// Renders one site's pages.
pub(crate) struct Renderer<'a> {
    site: &'a Site,
    templates: &'a Templates,
    highlighter: &'a Highlighter,
    site_ctx: SiteCtx,
    nav: Vec<context::LinkCtx>,
    /// Fingerprint of everything every page depends on (config, templates, navigation).
    common: blake3::Hash,
    /// Big files with torrents, the `torrents` global (fingerprinted by the caller).
    torrents: Arc<BTreeMap<String, TorrentLinks>>,
    /// The keys of private documents' groups (fingerprinted by the caller).
    keys: Arc<Keyring>,
    /// Where pages go as soon as they are rendered (a build to disk), if anywhere.
    sink: Option<Arc<dyn PageSink>>,
    /// Processed images: Markdown shows them as `<picture>`, templates get `images`.
    images: Arc<crate::images::Catalog>,
    /// Unknown shortcodes, tags and variables are warnings, shown marked on the page.
    lenient: bool,
    /// Park each document's HTML on disk until its page is rendered (a one-shot render).
    park_html: bool,
    /// Take each HTML page's links and ids as it is rendered, for the link check.
    link_check: bool,
}

/// A page to produce: its key, the fingerprint of its inputs, and how to render it.
struct Planned<'s> {
    key: Cow<'s, str>,
    print: PagePrint,
    job: Job<'s>,
}

enum Job<'s> {
    Doc(usize),
    Alias { doc: usize, key: &'s str },
    Listing(listings::Listing<'s>),
}

impl<'a> Renderer<'a> {
    /// A renderer for `site`; `inputs` fingerprints the config and templates in force.
    pub fn new(
        site: &'a Site,
        templates: &'a Templates,
        highlighter: &'a Highlighter,
        inputs: blake3::Hash,
    ) -> Self {
        let nav: Vec<context::LinkCtx> = site
            .pages
            .iter()
            .map(|p| context::LinkCtx {
                title: p.title.clone(),
                url: site.config.href(&p.url),
            })
            .collect();
        let mut common = Fingerprint::new();
        common.hash(&inputs);
        for link in &nav {
            common.str(&link.title).str(&link.url);
        }
        Renderer {
            site_ctx: SiteCtx::new(&site.config),
            nav,
            site,
            templates,
            highlighter,
            common: common.finish(),
            torrents: Arc::default(),
            keys: Arc::default(),
            sink: None,
            images: Arc::default(),
            lenient: false,
            park_html: false,
            link_check: false,
        }
    }

    /// Makes unknown shortcodes, Liquid tags and variables warnings (the source shows marked
    /// on the page) instead of errors.
    pub(crate) fn with_lenient(mut self, lenient: bool) -> Self {
        self.lenient = lenient;
        self
    }

    /// Takes every HTML page's links and anchor ids as it is rendered (before a sink takes
    /// it), for [`crate::links`]; [`RenderCache::page_links`] gives them.
    pub(crate) fn with_link_check(mut self, on: bool) -> Self {
        self.link_check = on;
        self
    }

    /// Parks each document's rendered HTML in a temporary file until its page is rendered,
    /// so a one-shot render holds metadata, not content ([`parked`]). Not for `serve`: a
    /// parked rendering is not reused.
    pub(crate) fn with_parked_html(mut self, on: bool) -> Self {
        self.park_html = on;
        self
    }

    /// Hands every page to `sink` as soon as it is rendered (a build puts it on disk, keeping
    /// only its hash and file in memory).
    pub(crate) fn with_sink(mut self, sink: Option<Arc<dyn PageSink>>) -> Self {
        self.sink = sink;
        self
    }

    /// Gives the keys private documents are sealed with. The caller puts
    /// [`Keyring::fingerprint`] into the `inputs` fingerprint, so cached pages are
    /// re-rendered when a key changes.
    pub(crate) fn with_keys(mut self, keys: Arc<Keyring>) -> Self {
        self.keys = keys;
        self
    }

    /// Gives Markdown and templates (the `images` global) the processed images. The caller
    /// puts [`crate::images::Catalog::fingerprint`] into the `inputs` fingerprint.
    pub(crate) fn with_images(mut self, images: Arc<crate::images::Catalog>) -> Self {
        self.images = images;
        self
    }

    /// Gives templates the `torrents` global: big files by object key. The caller puts the
    /// map into the `inputs` fingerprint, so cached pages are re-rendered when it changes.
    pub(crate) fn with_torrents(mut self, torrents: Arc<BTreeMap<String, TorrentLinks>>) -> Self {
        self.torrents = torrents;
        self
    }

    /// Renders every page (documents, listings, aliases), reusing what `cache` holds; the
    /// pages come sorted by key.
    pub fn render(&self, cache: &mut RenderCache) -> Result<Vec<Arc<Output>>, Vec<Diagnostic>> {
        let mut stages = Stages::start();
        let docs: Vec<&Arc<Doc>> = self.site.docs().collect();
        let mut stats = RenderStats::default();
        let unsealable = self
            .keys
            .missing(self.site.private.iter().filter_map(|d| d.sealed()));
        if !unsealable.is_empty() {
            return Err(unsealable.into_iter().map(Diagnostic::from).collect());
        }
        // A store that cannot be made (no temporary folder) leaves the HTML in memory.
        let store = self
            .park_html
            .then(|| {
                HtmlStore::new()
                    .inspect_err(|e| tracing::debug!("HTML stays in memory: {e}"))
                    .ok()
            })
            .flatten();
        let MarkdownStage {
            rendered,
            mut errors,
            warnings,
            broken_links,
            parked,
        } = self.render_markdown(&docs, cache, &mut stats, store.as_ref());
        cache.warnings = warnings;
        cache.broken_links = broken_links;
        stages.lap("markdown");
        if !errors.is_empty() {
            return Err(errors);
        }
        let (rendered, prints): (Vec<Arc<Document>>, Vec<DocPrints>) =
            rendered.into_iter().flatten().unzip();
        let mut contexts = Contexts::new(&self.site.config, &self.keys, &docs, &rendered)
            .with_images(&self.images);
        if let Some(store) = &store {
            contexts = contexts.with_parked(store, &parked);
        }
        self.templates.set_images(self.images.clone());

        stages.lap("anchors+prints");
        let mut plan = self.plan_documents(&docs, &prints);
        stages.lap("plan pages");
        plan.extend(self.plan_listings(&prints));
        stages.lap("plan listings");

        cache.renders += 1;
        let this_render = cache.renders;
        let mut todo = Vec::new();
        for p in plan {
            match cache.pages.get_mut(p.key.as_ref()) {
                Some(entry) if entry.print == p.print => {
                    entry.render = this_render;
                    stats.pages_reused += 1;
                }
                _ => todo.push(p),
            }
        }
        stats.pages_rendered = todo.len();
        stages.lap("plan");
        type Done<'p> = (Planned<'p>, Output, Option<Arc<PageLinks>>);
        let results: Vec<Result<Done<'_>, Diagnostic>> = todo
            .into_par_iter()
            .map(|p| {
                let mut output = self.run(&p, &docs, &contexts)?;
                let links = self.links_of(&p, &docs, &output);
                if let Some(sink) = &self.sink {
                    sink.accept(&mut output).map_err(|e| {
                        let problem = Problem::Io(format!("cannot write {}: {e}", output.key));
                        Diagnostic::new(Path::new(&output.key), None, problem)
                    })?;
                }
                Ok((p, output, links))
            })
            .collect();
        stages.lap("templates");
        let unreadable = contexts.failures();
        if !unreadable.is_empty() {
            return Err(unreadable);
        }

        // Pages rendered again at a key the cache knew: the sorted list takes them in place.
        let mut replaced = Vec::new();
        let mut keys_changed = false;
        for r in results {
            match r {
                Ok((p, output, links)) => {
                    let output = Arc::new(output);
                    let entry = PageEntry {
                        print: p.print,
                        output: output.clone(),
                        render: this_render,
                        links,
                    };
                    match cache.pages.get_mut(p.key.as_ref()) {
                        Some(slot) => *slot = entry,
                        None => {
                            cache.pages.insert(p.key.into_owned(), entry);
                            keys_changed = true;
                        }
                    }
                    replaced.push(output);
                }
                Err(e) => errors.push(e),
            }
        }
        cache.stats = stats;
        if !errors.is_empty() {
            // The sorted list no longer matches the pages: the next render sorts them anew.
            cache.sorted.clear();
            errors.sort_by(|a, b| a.path.cmp(&b.path).then(a.line.cmp(&b.line)));
            return Err(errors);
        }
        if cache.pages.len() != stats.pages_reused + stats.pages_rendered {
            // Pages no longer made (a removed post, a shorter pagination) leave the cache.
            cache.pages.retain(|_, entry| entry.render == this_render);
            keys_changed = true;
        }
        if keys_changed || cache.sorted.len() != cache.pages.len() {
            cache.sorted = cache.pages.values().map(|e| e.output.clone()).collect();
            cache.sorted.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        } else {
            for output in replaced {
                if let Ok(i) = cache.sorted.binary_search_by(|o| o.key.cmp(&output.key)) {
                    cache.sorted[i] = output;
                }
            }
        }
        stages.lap("collect");
        cache.stages = stages;
        Ok(cache.sorted.clone())
    }

    fn plan_documents<'s>(
        &'s self,
        docs: &[&'s Arc<Doc>],
        prints: &[DocPrints],
    ) -> Vec<Planned<'s>> {
        let n_posts = self.site.posts.len();
        let mut plan = Vec::with_capacity(docs.len());
        for (i, doc) in docs.iter().enumerate() {
            if doc.kind == crate::content::DocKind::Section {
                // A section's `_index.md` is shown by its listing pages.
                continue;
            }
            let mut fp = Fingerprint::new();
            fp.hash(&self.common)
                .hash(&prints[i].full)
                .opt(doc.template.as_deref())
                .opt(doc.layout.as_deref());
            if i < n_posts {
                // Post pages link to their neighbours by title.
                for j in [i.checked_sub(1), (i + 1 < n_posts).then_some(i + 1)] {
                    match j {
                        Some(j) => fp.hash(&prints[j].meta),
                        None => fp.num(0),
                    };
                }
            }
            plan.push(Planned {
                key: Cow::Borrowed(doc.output_key()),
                print: fp.into_print(),
                job: Job::Doc(i),
            });
            for alias in &doc.aliases {
                let mut fp = Fingerprint::new();
                fp.hash(&self.common).str(alias).str(&doc.url);
                plan.push(Planned {
                    key: Cow::Borrowed(alias),
                    print: fp.into_print(),
                    job: Job::Alias { doc: i, key: alias },
                });
            }
        }
        plan
    }

    /// The links and ids of a rendered HTML page, when links are checked.
    fn links_of(
        &self,
        planned: &Planned<'_>,
        docs: &[&Arc<Doc>],
        output: &Output,
    ) -> Option<Arc<PageLinks>> {
        if !self.link_check || !output.content_type.starts_with("text/html") {
            return None;
        }
        let source = match planned.job {
            Job::Doc(i) => Some(docs[i].rel_path.as_str()),
            _ => None,
        };
        let html = output.body.as_bytes()?;
        Some(Arc::new(crate::links::extract(html, source)))
    }

    fn run(
        &self,
        planned: &Planned<'_>,
        docs: &[&Arc<Doc>],
        contexts: &Contexts<'_>,
    ) -> Result<Output, Diagnostic> {
        match &planned.job {
            Job::Doc(i) => {
                let doc = docs[*i];
                let as_post = if *i < self.site.posts.len() {
                    Some(Some(*i))
                } else {
                    // A private post is a post without neighbours: no listing knows it.
                    (doc.kind == crate::content::DocKind::Post).then_some(None)
                };
                self.doc_page(doc, &contexts.page(*i), as_post)
            }
            Job::Alias { doc, key } => self.alias(docs[*doc], key),
            Job::Listing(l) => self.listing(l, &planned.key, contexts),
        }
    }

    /// Markdown for every document, reusing a cached rendering when the document and the link
    /// targets are unchanged; with a `store`, each new rendering's HTML is parked in it.
    fn render_markdown(
        &self,
        docs: &[&Arc<Doc>],
        cache: &mut RenderCache,
        stats: &mut RenderStats,
        store: Option<&HtmlStore>,
    ) -> MarkdownStage {
        // What every internal link resolves to: the base path and each document's URL. The
        // map of hrefs is built only if some document is rendered (a serve rebuild after an
        // edit renders one, and looks up the rest).
        let base_path = self.site.config.base_path();
        let mut links = Fingerprint::new();
        links.str(&base_path).hash(&self.images.fingerprint());
        for d in docs {
            links.str(&d.rel_path).str(&d.url);
        }
        let links = links.finish();
        let urls: OnceLock<HashMap<&str, String>> = OnceLock::new();
        let resolve = |target: &str| {
            urls.get_or_init(|| {
                docs.iter()
                    .map(|d| (d.rel_path.as_str(), self.site.config.href(&d.url)))
                    .collect()
            })
            .get(target)
            .cloned()
        };
        let shortcodes = ShortcodeSite::new(self.site, self.templates, self.lenient);
        let paths: OnceLock<Vec<&str>> = OnceLock::new();
        let results: Vec<Result<MarkdownResult, DocProblems>> = docs
            .par_iter()
            .map(|doc| {
                if let Some(hit) = cache.markdown.get(&doc.rel_path)
                    && Arc::ptr_eq(&hit.doc, doc)
                    && hit.links == links
                    && hit.shortcodes.is_none_or(|p| p == shortcodes.print)
                    && !hit.parked
                {
                    return Ok(MarkdownResult {
                        rendered: (hit.document.clone(), hit.prints),
                        new: false,
                        shortcodes: hit.shortcodes,
                        warnings: hit.warnings.clone(),
                        broken: hit.broken.clone(),
                        parked: None,
                    });
                }
                let body = match doc.markdown() {
                    Ok(body) => body,
                    Err(problem) => return Err(vec![(doc.body_line, problem)]),
                };
                let href = |path: &str| resolve(path);
                let docs_paths = || {
                    paths
                        .get_or_init(|| docs.iter().map(|d| d.rel_path.as_str()).collect())
                        .as_slice()
                };
                let expanded = shortcodes.expand(doc, &body, docs_paths, &href);
                let source = markdown::Source {
                    body: &expanded.text,
                    body_line: doc.body_line,
                    path: &doc.rel_path,
                    base_path: &base_path,
                };
                let images = Some(&*self.images).filter(|c| !c.is_empty());
                let to_source = |line: usize| expanded.lines.source_line(line, doc.body_line);
                let mut problems: DocProblems = expanded
                    .errors
                    .into_iter()
                    .map(|(line, e)| (line, Problem::Shortcode(e)))
                    .collect();
                let rendered =
                    markdown::render_with_images(source, &resolve, self.highlighter, images);
                let outcome = match rendered {
                    Ok(d) => Ok((d, Vec::new())),
                    // Links to documents that are not built: rendered as written, reported by
                    // the link check with every other link problem (anchors included).
                    Err(broken)
                        if broken
                            .iter()
                            .all(|(_, p)| matches!(p, Problem::BrokenLink(_))) =>
                    {
                        let as_written =
                            |target: &str| resolve(target).or_else(|| Some(format!("@/{target}")));
                        markdown::render_with_images(source, &as_written, self.highlighter, images)
                            .map(|d| (d, broken))
                    }
                    Err(more) => Err(more),
                };
                let (mut d, broken) = match outcome {
                    Ok((d, broken)) if problems.is_empty() => {
                        let broken = broken.into_iter().map(|(l, p)| (to_source(l), p));
                        (d, broken.collect::<DocProblems>())
                    }
                    Ok((_, more)) | Err(more) => {
                        problems.extend(more.into_iter().map(|(l, p)| (to_source(l), p)));
                        problems.sort_by_key(|(line, _)| *line);
                        return Err(problems);
                    }
                };
                for link in &mut d.links {
                    link.line = to_source(link.line);
                }
                if let Some(excerpt) = &doc.excerpt {
                    d.summary = markdown::render_excerpt(excerpt);
                }
                let prints = DocPrints::new(doc, &d);
                let parked = store.and_then(|store| match store.park(&d.html) {
                    Ok(parked) => {
                        d.html = String::new();
                        Some(parked)
                    }
                    Err(e) => {
                        tracing::debug!("{}: HTML stays in memory: {e}", doc.rel_path);
                        None
                    }
                });
                let warnings = expanded.warnings.into_iter();
                Ok(MarkdownResult {
                    rendered: (Arc::new(d), prints),
                    new: true,
                    shortcodes: expanded.used.then_some(shortcodes.print),
                    warnings: Arc::new(warnings.map(|(l, e)| (l, Problem::Shortcode(e))).collect()),
                    broken,
                    parked,
                })
            })
            .collect();
        let mut rendered = Vec::with_capacity(results.len());
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let mut broken_links = Vec::new();
        let mut parked_html = Vec::with_capacity(docs.len());
        // Source paths left out of the build, to explain broken links to them (on errors only).
        let mut excluded: Option<HashSet<&str>> = None;
        for (doc, result) in docs.iter().zip(results) {
            match result {
                Ok(MarkdownResult {
                    rendered: (document, prints),
                    new,
                    shortcodes,
                    warnings: doc_warnings,
                    broken,
                    parked,
                }) => {
                    warnings.extend(doc_warnings.iter().map(|(line, problem)| {
                        Diagnostic::new(Path::new(&doc.rel_path), Some(*line), problem.clone())
                    }));
                    if !broken.is_empty() {
                        let excluded = excluded.get_or_insert_with(|| {
                            self.site.excluded.iter().map(String::as_str).collect()
                        });
                        broken_links.extend(broken.iter().map(|(line, problem)| {
                            let problem = explain_unbuilt_target(problem.clone(), excluded);
                            Diagnostic::new(Path::new(&doc.rel_path), Some(*line), problem)
                        }));
                    }
                    if new {
                        stats.markdown_rendered += 1;
                        let entry = MarkdownEntry {
                            doc: Arc::clone(doc),
                            links,
                            shortcodes,
                            warnings: doc_warnings,
                            document: document.clone(),
                            prints,
                            broken,
                            parked: parked.is_some(),
                        };
                        cache.markdown.insert(doc.rel_path.clone(), entry);
                    } else {
                        stats.markdown_reused += 1;
                    }
                    rendered.push(Some((document, prints)));
                    parked_html.push(parked);
                }
                Err(problems) => {
                    rendered.push(None);
                    parked_html.push(None);
                    let excluded = excluded.get_or_insert_with(|| {
                        self.site.excluded.iter().map(String::as_str).collect()
                    });
                    errors.extend(problems.into_iter().map(|(line, problem)| {
                        let problem = explain_unbuilt_target(problem, excluded);
                        Diagnostic::new(Path::new(&doc.rel_path), Some(line), problem)
                    }));
                }
            }
        }
        if cache.markdown.len() > stats.markdown_reused + stats.markdown_rendered {
            // Documents removed or renamed leave the cache (a failed one keeps its last
            // rendering, which its next render replaces).
            let live: FxHashSet<&str> = docs.iter().map(|d| d.rel_path.as_str()).collect();
            cache
                .markdown
                .retain(|path, _| live.contains(path.as_str()));
        }
        warnings.sort_by(|a, b| a.path.cmp(&b.path).then(a.line.cmp(&b.line)));
        MarkdownStage {
            rendered,
            errors,
            warnings,
            broken_links,
            parked: parked_html,
        }
    }

    /// The context every template gets.
    fn common(&self, current_path: &str) -> tera::Context {
        let mut ctx = tera::Context::new();
        ctx.insert("site", &self.site_ctx);
        ctx.insert("pages", &self.nav);
        ctx.insert("current_path", current_path);
        ctx.insert("torrents", &*self.torrents);
        ctx.insert("images", self.images.by_key());
        ctx
    }

    /// Renders a document's page. `post` is `Some` for posts, with the index among listed
    /// posts (for the newer/older links) when it is listed.
    fn doc_page(
        &self,
        doc: &Doc,
        ctx: &DocCtx<'_>,
        post: Option<Option<usize>>,
    ) -> Result<Output, Diagnostic> {
        let mut context = self.common(&doc.url);
        let default_template = match post {
            Some(None) => {
                context.insert("newer", &None::<context::LinkCtx>);
                context.insert("older", &None::<context::LinkCtx>);
                context.insert("post", ctx);
                generated::template(Depends::Post)
            }
            Some(Some(i)) => {
                let link = |j: usize| {
                    let p = &self.site.posts[j];
                    context::LinkCtx {
                        title: p.title.clone(),
                        url: self.site.config.href(&p.url),
                    }
                };
                context.insert("newer", &i.checked_sub(1).map(link));
                context.insert(
                    "older",
                    &(i + 1 < self.site.posts.len()).then(|| link(i + 1)),
                );
                context.insert("post", ctx);
                generated::template(Depends::Post)
            }
            None => {
                context.insert("page", ctx);
                generated::template(Depends::Page)
            }
        };
        // A Jekyll `layout` is used when the site has a template of its own by that name; the
        // theme's names (`post`, `page`) and missing ones are ignored: each theme template
        // expects its own kind of page, and Jekyll sites name `default`, `post` by habit. A
        // `template` the site lacks is an error.
        let template = doc
            .template
            .as_deref()
            .or_else(|| {
                doc.layout
                    .as_deref()
                    .filter(|t| self.templates.has(t) && !crate::templates::is_theme_template(t))
            })
            .unwrap_or(default_template);
        if !self.templates.has(template) {
            return Err(Diagnostic::new(
                Path::new(&doc.rel_path),
                None,
                Problem::Invalid {
                    field: "template".into(),
                    expected: "the name of a template in templates/".into(),
                    found: template.into(),
                },
            ));
        }
        let html = self
            .templates
            .render(template, &context)
            .map_err(|e| e.on_page(&doc.rel_path))?;
        Ok(Output::from_bytes(
            doc.output_key(),
            html.into_bytes(),
            OutputKind::Page,
        ))
    }

    fn alias(&self, doc: &Doc, key: &str) -> Result<Output, Diagnostic> {
        let mut ctx = self.common(&format!("/{key}"));
        ctx.insert("target", &self.site.config.permalink(&doc.url));
        let html = self
            .templates
            .render(generated::template(Depends::Alias), &ctx)
            .map_err(|e| e.on_page(key))?;
        let mut output = Output::from_bytes(key, html.into_bytes(), OutputKind::Redirect);
        output.content_type = generated::row(Depends::Alias).media_type.to_string();
        output.redirect = Some(self.site.config.href(&doc.url));
        Ok(output)
    }
}

/// Every document's Markdown: each rendering (`None` where it failed) and where its HTML was
/// parked, in document order, with the problems found.
struct MarkdownStage {
    rendered: Vec<Option<Rendered>>,
    errors: Vec<Diagnostic>,
    /// Problems that did not stop the render (lenient shortcodes).
    warnings: Vec<Diagnostic>,
    /// Links to documents that are not built.
    broken_links: Vec<Diagnostic>,
    parked: Vec<Option<Parked>>,
}

/// One document's Markdown, rendered or reused.
struct MarkdownResult {
    rendered: Rendered,
    /// Rendered now (not reused).
    new: bool,
    /// See [`MarkdownEntry::shortcodes`].
    shortcodes: Option<blake3::Hash>,
    warnings: Arc<DocProblems>,
    /// Links to documents that are not built, at their source lines.
    broken: DocProblems,
    /// Where the HTML went, when it was parked.
    parked: Option<Parked>,
}

/// What every document's shortcodes read: the site's values and the templates.
struct ShortcodeSite<'a> {
    site: &'a Site,
    templates: &'a Templates,
    lenient: bool,
    /// `site`/`config`, made when the first document with a shortcode needs it.
    value: OnceLock<serde_json::Value>,
    /// The shortcode templates, includes, site values and leniency.
    print: blake3::Hash,
}

impl<'a> ShortcodeSite<'a> {
    fn new(site: &'a Site, templates: &'a Templates, lenient: bool) -> Self {
        let mut print = Fingerprint::new();
        print
            .hash(&templates.shortcodes_fingerprint())
            .str(&toml::to_string(&site.config).unwrap_or_default())
            .num(u64::from(lenient));
        ShortcodeSite {
            site,
            templates,
            lenient,
            value: OnceLock::new(),
            print: print.finish(),
        }
    }

    /// `body` of `doc` with its shortcodes expanded (borrowed when it has none).
    fn expand<'t, 'p>(
        &self,
        doc: &Doc,
        body: &'t str,
        docs: impl FnOnce() -> &'p [&'p str],
        href: &dyn Fn(&str) -> Option<String>,
    ) -> crate::shortcodes::Expanded<'t> {
        if !crate::shortcodes::may_have_any(body) {
            return crate::shortcodes::Expanded {
                text: Cow::Borrowed(body),
                ..Default::default()
            };
        }
        let site = self
            .value
            .get_or_init(|| crate::shortcodes::site_value(&self.site.config));
        let page = crate::shortcodes::page_value(doc, &self.site.config);
        let env = crate::shortcodes::Env {
            templates: self.templates,
            site,
            page: &page,
            path: &doc.rel_path,
            docs: docs(),
            href,
            lenient: self.lenient,
        };
        crate::shortcodes::expand(body, doc.body_line, &env)
    }
}

/// A broken link to a draft or future post says so: it exists, it just is not built.
fn explain_unbuilt_target(problem: Problem, excluded: &HashSet<&str>) -> Problem {
    match problem {
        Problem::BrokenLink(link) => {
            let path = link.split('#').next().unwrap_or("");
            let target = match path.strip_prefix("@/") {
                Some(rest) => format!("content/{rest}"),
                None => path.to_string(),
            };
            if excluded.contains(target.as_str())
                || excluded.iter().any(|e| e.ends_with(&format!("/{target}")))
            {
                Problem::BrokenLink(format!("{link} (a draft or future post, not built)"))
            } else {
                Problem::BrokenLink(link)
            }
        }
        other => other,
    }
}

/// The object key of a URL path: `/tags/x/` → `tags/x/index.html`, `/` → `index.html`.
pub fn page_key(path: &str) -> String {
    format!("{}index.html", path.trim_start_matches('/'))
}

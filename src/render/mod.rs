//! Render: `Site` → page `Outputs`, in parallel with rayon. Markdown first (so every link and
//! anchor can be checked), then every page is planned with a fingerprint of its inputs and
//! rendered only when no cached output has that fingerprint. A one-shot build starts with an
//! empty `RenderCache`; `serve` keeps one, so an edit re-renders only what it touches.

mod context;
mod documents;
mod files;
mod listings;
pub mod parked;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

pub use context::{Contexts, DocCtx, DocPrints, Fingerprint, PagePrint, SiteCtx};
pub(crate) use files::favicon;

use crate::content::Doc;
use crate::error::{Diagnostic, Problem};
use crate::highlight::Highlighter;
use crate::links::PageLinks;
use crate::markdown::Document;
use crate::outputs::generated::{self, Depends};
use crate::outputs::{Output, OutputKind, PageSink};
use crate::private::Keyring;
use crate::site::Site;
use crate::templates::Templates;
use crate::timing::Stages;
use crate::torrent::TorrentLinks;
use documents::MarkdownStage;
use parked::HtmlStore;

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

    /// Marks each page of `plan` that the cache holds with the same fingerprint as made by
    /// this render (counted in `stats`); returns the others, to render.
    fn reusing<'p>(&mut self, plan: Vec<Planned<'p>>, stats: &mut RenderStats) -> Vec<Planned<'p>> {
        let this_render = self.renders;
        let mut todo = Vec::new();
        for p in plan {
            match self.pages.get_mut(p.key.as_ref()) {
                Some(entry) if entry.print == p.print => {
                    entry.render = this_render;
                    stats.pages_reused += 1;
                }
                _ => todo.push(p),
            }
        }
        todo
    }

    /// Takes the pages rendered now in place of the ones they replace, drops the pages no
    /// longer made and returns this render's pages sorted by key; or the errors (`errors`
    /// so far, then the pages'), sorted by place.
    fn take_pages(
        &mut self,
        results: Vec<Result<Done<'_>, Diagnostic>>,
        mut errors: Vec<Diagnostic>,
    ) -> Result<Vec<Arc<Output>>, Vec<Diagnostic>> {
        let this_render = self.renders;
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
                    match self.pages.get_mut(p.key.as_ref()) {
                        Some(slot) => *slot = entry,
                        None => {
                            self.pages.insert(p.key.into_owned(), entry);
                            keys_changed = true;
                        }
                    }
                    replaced.push(output);
                }
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            // The sorted list no longer matches the pages: the next render sorts them anew.
            self.sorted.clear();
            errors.sort_by(|a, b| a.path.cmp(&b.path).then(a.line.cmp(&b.line)));
            return Err(errors);
        }
        if self.pages.len() != self.stats.pages_reused + self.stats.pages_rendered {
            // Pages no longer made (a removed post, a shorter pagination) leave the cache.
            self.pages.retain(|_, entry| entry.render == this_render);
            keys_changed = true;
        }
        if keys_changed || self.sorted.len() != self.pages.len() {
            self.sorted = self.pages.values().map(|e| e.output.clone()).collect();
            self.sorted.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        } else {
            for output in replaced {
                if let Ok(i) = self.sorted.binary_search_by(|o| o.key.cmp(&output.key)) {
                    self.sorted[i] = output;
                }
            }
        }
        Ok(self.sorted.clone())
    }

    /// Every page of the last render with the links and ids taken from it (renders with
    /// [`Renderer::with_link_check`] only): `(object key, links)`.
    pub(crate) fn page_links(&self) -> impl Iterator<Item = (&str, &PageLinks)> {
        self.shared_page_links().map(|(key, links)| (key, &**links))
    }

    /// [`RenderCache::page_links`], shared: a page not rendered again keeps its `Arc`.
    pub(crate) fn shared_page_links(&self) -> impl Iterator<Item = (&str, &Arc<PageLinks>)> {
        self.pages
            .iter()
            .filter_map(|(key, e)| Some((key.as_str(), e.links.as_ref()?)))
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

/// A page rendered now: its plan, its output and its links (when links are checked).
type Done<'p> = (Planned<'p>, Output, Option<Arc<PageLinks>>);

/// A page to produce: its key, the fingerprint of its inputs, and how to render it.
struct Planned<'s> {
    key: Cow<'s, str>,
    print: PagePrint,
    job: Job<'s>,
}

impl Planned<'_> {
    /// See [`listings::Listing::lists_whole_site`].
    fn lists_whole_site(&self) -> bool {
        matches!(&self.job, Job::Listing(l) if l.lists_whole_site())
    }
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
        let store = self.html_store();
        let MarkdownStage {
            rendered,
            errors,
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
        let todo = cache.reusing(plan, &mut stats);
        stats.pages_rendered = todo.len();
        stages.lap("plan");
        let results = self.render_pages(todo, &docs, &contexts);
        stages.lap("templates");
        let unreadable = contexts.failures();
        if !unreadable.is_empty() {
            return Err(unreadable);
        }
        cache.stats = stats;
        let pages = cache.take_pages(results, errors)?;
        stages.lap("collect");
        cache.stages = stages;
        Ok(pages)
    }

    /// A store for documents' HTML until their pages are rendered, when asked for one (a
    /// store that cannot be made, for want of a temporary folder, leaves the HTML in memory).
    fn html_store(&self) -> Option<HtmlStore> {
        self.park_html
            .then(|| {
                HtmlStore::new()
                    .inspect_err(|e| tracing::debug!("HTML stays in memory: {e}"))
                    .ok()
            })
            .flatten()
    }

    /// Renders the planned pages in parallel, each handed to the sink (if any) as soon as
    /// it is made, with its links when links are checked. The pages that list the whole
    /// site are rendered one after another on one thread from the start, beside the rest:
    /// each makes its whole context at once, so two at a time, or one at the end of the
    /// stage when every other page's links and output are held, would set the peak.
    fn render_pages<'p>(
        &self,
        todo: Vec<Planned<'p>>,
        docs: &[&Arc<Doc>],
        contexts: &Contexts<'_>,
    ) -> Vec<Result<Done<'p>, Diagnostic>> {
        let render = |p: Planned<'p>| {
            let mut output = self.run(&p, docs, contexts)?;
            let links = self.links_of(&p, docs, &output);
            if let Some(sink) = &self.sink {
                sink.accept(&mut output).map_err(|e| {
                    let problem = Problem::Io(format!("cannot write {}: {e}", output.key));
                    Diagnostic::new(Path::new(&output.key), None, problem)
                })?;
            }
            Ok((p, output, links))
        };
        let (whole_site, rest): (Vec<_>, Vec<_>) =
            todo.into_iter().partition(Planned::lists_whole_site);
        let (mut done, rest) = rayon::join(
            || whole_site.into_iter().map(render).collect::<Vec<_>>(),
            || rest.into_par_iter().map(render).collect::<Vec<_>>(),
        );
        done.extend(rest);
        done
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

/// The object key of a URL path: `/tags/x/` → `tags/x/index.html`, `/` → `index.html`.
pub fn page_key(path: &str) -> String {
    format!("{}index.html", path.trim_start_matches('/'))
}

//! The Markdown stage of a render: every document's shortcodes expanded and its Markdown
//! rendered to HTML (in parallel), or its cached rendering reused when the document, the link
//! targets and the shortcode inputs are unchanged; then the results gathered in document order
//! with their problems, and the cache brought up to date.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use rustc_hash::FxHashSet;

use super::parked::{HtmlStore, Parked};
use super::{
    DocPrints, DocProblems, Fingerprint, MarkdownEntry, RenderCache, RenderStats, Rendered,
    Renderer,
};
use crate::content::Doc;
use crate::error::{Diagnostic, Problem};
use crate::markdown::{self, Document};
use crate::site::Site;
use crate::templates::Templates;

/// Every document's Markdown: each rendering (`None` where it failed) and where its HTML was
/// parked, in document order, with the problems found.
pub(super) struct MarkdownStage {
    pub(super) rendered: Vec<Option<Rendered>>,
    pub(super) errors: Vec<Diagnostic>,
    /// Problems that did not stop the render (lenient shortcodes).
    pub(super) warnings: Vec<Diagnostic>,
    /// Links to documents that are not built.
    pub(super) broken_links: Vec<Diagnostic>,
    pub(super) parked: Vec<Option<Parked>>,
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

impl Renderer<'_> {
    /// Markdown for every document, reusing a cached rendering when the document and the link
    /// targets are unchanged; with a `store`, each new rendering's HTML is parked in it.
    pub(super) fn render_markdown(
        &self,
        docs: &[&Arc<Doc>],
        cache: &mut RenderCache,
        stats: &mut RenderStats,
        store: Option<&HtmlStore>,
    ) -> MarkdownStage {
        let pass = MarkdownPass::new(self, docs, store);
        let results: Vec<Result<MarkdownResult, DocProblems>> = docs
            .par_iter()
            .map(|doc| match cache.markdown.get(&doc.rel_path) {
                Some(hit) if pass.reuses(hit, doc) => Ok(reused(hit)),
                _ => pass.render(doc),
            })
            .collect();
        let mut gather = Gather::new(self.site, docs.len());
        for (doc, result) in docs.iter().zip(results) {
            match result {
                Ok(result) => gather.rendered(doc, result, pass.links, cache, stats),
                Err(problems) => gather.failed(doc, problems),
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
        let mut stage = gather.stage;
        stage
            .warnings
            .sort_by(|a, b| a.path.cmp(&b.path).then(a.line.cmp(&b.line)));
        stage
    }
}

/// A cached rendering, reused as it is.
fn reused(hit: &MarkdownEntry) -> MarkdownResult {
    MarkdownResult {
        rendered: (hit.document.clone(), hit.prints),
        new: false,
        shortcodes: hit.shortcodes,
        warnings: hit.warnings.clone(),
        broken: hit.broken.clone(),
        parked: None,
    }
}

/// What every document's rendering reads, shared by the parallel workers: where internal
/// links go (and their fingerprint), the shortcodes' site, the store for parked HTML.
struct MarkdownPass<'r, 'a> {
    renderer: &'r Renderer<'a>,
    docs: &'r [&'r Arc<Doc>],
    base_path: String,
    /// The fingerprint of every internal link's target: the base path, each document's URL
    /// and the images.
    links: blake3::Hash,
    /// Source path → href, built only if some document is rendered (a serve rebuild after
    /// an edit renders one, and looks up the rest).
    urls: OnceLock<HashMap<&'r str, String>>,
    /// Every document's source path, for shortcodes that name documents.
    paths: OnceLock<Vec<&'r str>>,
    shortcodes: ShortcodeSite<'r>,
    store: Option<&'r HtmlStore>,
}

impl<'r, 'a> MarkdownPass<'r, 'a> {
    fn new(
        renderer: &'r Renderer<'a>,
        docs: &'r [&'r Arc<Doc>],
        store: Option<&'r HtmlStore>,
    ) -> Self {
        let site = renderer.site;
        let base_path = site.config.base_path();
        let mut links = Fingerprint::new();
        links.str(&base_path).hash(&renderer.images.fingerprint());
        for d in docs {
            links.str(&d.rel_path).str(&d.url);
        }
        MarkdownPass {
            renderer,
            docs,
            base_path,
            links: links.finish(),
            urls: OnceLock::new(),
            paths: OnceLock::new(),
            shortcodes: ShortcodeSite::new(site, renderer.templates, renderer.lenient),
            store,
        }
    }

    /// The href of the document at source path `target`, if it is built.
    fn resolve(&self, target: &str) -> Option<String> {
        let config = &self.renderer.site.config;
        self.urls
            .get_or_init(|| {
                self.docs
                    .iter()
                    .map(|d| (d.rel_path.as_str(), config.href(&d.url)))
                    .collect()
            })
            .get(target)
            .cloned()
    }

    /// Every document's source path.
    fn doc_paths(&self) -> &[&'r str] {
        self.paths
            .get_or_init(|| self.docs.iter().map(|d| d.rel_path.as_str()).collect())
    }

    /// True when `hit` is `doc` rendered with the same link targets and shortcode inputs (and
    /// its HTML is held, not parked).
    fn reuses(&self, hit: &MarkdownEntry, doc: &Arc<Doc>) -> bool {
        Arc::ptr_eq(&hit.doc, doc)
            && hit.links == self.links
            && hit.shortcodes.is_none_or(|p| p == self.shortcodes.print)
            && !hit.parked
    }

    /// Renders `doc`'s Markdown: its shortcodes expanded, its lines those of its file, its
    /// HTML parked when there is a store.
    fn render(&self, doc: &Doc) -> Result<MarkdownResult, DocProblems> {
        let body = match doc.markdown() {
            Ok(body) => body,
            Err(problem) => return Err(vec![(doc.body_line, problem)]),
        };
        let href = |path: &str| self.resolve(path);
        let expanded = self
            .shortcodes
            .expand(doc, &body, || self.doc_paths(), &href);
        let source = markdown::Source {
            body: &expanded.text,
            body_line: doc.body_line,
            path: &doc.rel_path,
            base_path: &self.base_path,
        };
        let to_source = |line: usize| expanded.lines.source_line(line, doc.body_line);
        let mut problems: DocProblems = expanded
            .errors
            .into_iter()
            .map(|(line, e)| (line, Problem::Shortcode(e)))
            .collect();
        let (mut d, broken) = match self.to_html(source) {
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
        let parked = self.park(doc, &mut d);
        let warnings = expanded.warnings.into_iter();
        Ok(MarkdownResult {
            rendered: (Arc::new(d), prints),
            new: true,
            shortcodes: expanded.used.then_some(self.shortcodes.print),
            warnings: Arc::new(warnings.map(|(l, e)| (l, Problem::Shortcode(e))).collect()),
            broken,
            parked,
        })
    }

    /// The HTML of `source` and its links to documents that are not built (at lines of the
    /// expanded text): those are rendered as written and reported by the link check with
    /// every other link problem (anchors included). Any other problem fails the document.
    fn to_html(
        &self,
        source: markdown::Source<'_>,
    ) -> Result<(Document, DocProblems), DocProblems> {
        let renderer = self.renderer;
        let images = Some(&*renderer.images).filter(|c| !c.is_empty());
        let resolve = |target: &str| self.resolve(target);
        match markdown::render_with_images(source, &resolve, renderer.highlighter, images) {
            Ok(d) => Ok((d, Vec::new())),
            Err(broken)
                if broken
                    .iter()
                    .all(|(_, p)| matches!(p, Problem::BrokenLink(_))) =>
            {
                let as_written =
                    |target: &str| self.resolve(target).or_else(|| Some(format!("@/{target}")));
                markdown::render_with_images(source, &as_written, renderer.highlighter, images)
                    .map(|d| (d, broken))
            }
            Err(more) => Err(more),
        }
    }

    /// Parks `d`'s HTML and table of contents in the store, if there is one (a store that
    /// fails leaves them held), and lets go of what no later stage of a one-shot render
    /// reads: its anchors (the count stays) and internal links.
    fn park(&self, doc: &Doc, d: &mut Document) -> Option<Parked> {
        self.store
            .and_then(|store| match store.park(&d.html, &d.toc) {
                Ok(parked) => {
                    d.html = String::new();
                    d.toc = Vec::new();
                    d.anchors = Vec::new();
                    d.links = Vec::new();
                    d.summary.shrink_to_fit();
                    Some(parked)
                }
                Err(e) => {
                    tracing::debug!("{}: HTML stays in memory: {e}", doc.rel_path);
                    None
                }
            })
    }
}

/// The results gathered in document order: the stage so far, and the source paths left out
/// of the build, to explain broken links to them (made on the first problem only).
struct Gather<'s> {
    site: &'s Site,
    stage: MarkdownStage,
    excluded: Option<HashSet<&'s str>>,
}

impl<'s> Gather<'s> {
    fn new(site: &'s Site, docs: usize) -> Self {
        Gather {
            site,
            stage: MarkdownStage {
                rendered: Vec::with_capacity(docs),
                errors: Vec::new(),
                warnings: Vec::new(),
                broken_links: Vec::new(),
                parked: Vec::with_capacity(docs),
            },
            excluded: None,
        }
    }

    /// A document rendered or reused: its warnings and broken links noted, a new rendering
    /// cached (fingerprinted with `links`), the counts kept in `stats`.
    fn rendered(
        &mut self,
        doc: &Arc<Doc>,
        result: MarkdownResult,
        links: blake3::Hash,
        cache: &mut RenderCache,
        stats: &mut RenderStats,
    ) {
        let MarkdownResult {
            rendered: (document, prints),
            new,
            shortcodes,
            warnings,
            broken,
            parked,
        } = result;
        self.stage
            .warnings
            .extend(warnings.iter().map(|(line, problem)| {
                Diagnostic::new(Path::new(&doc.rel_path), Some(*line), problem.clone())
            }));
        if !broken.is_empty() {
            let found = self.at_lines(doc, broken.iter().cloned());
            self.stage.broken_links.extend(found);
        }
        if new {
            stats.markdown_rendered += 1;
            let entry = MarkdownEntry {
                doc: Arc::clone(doc),
                links,
                shortcodes,
                warnings,
                document: document.clone(),
                prints,
                broken,
                parked: parked.is_some(),
            };
            cache.markdown.insert(doc.rel_path.clone(), entry);
        } else {
            stats.markdown_reused += 1;
        }
        self.stage.rendered.push(Some((document, prints)));
        self.stage.parked.push(parked);
    }

    /// A document that failed: its problems, at their lines.
    fn failed(&mut self, doc: &Doc, problems: DocProblems) {
        self.stage.rendered.push(None);
        self.stage.parked.push(None);
        let found = self.at_lines(doc, problems);
        self.stage.errors.extend(found);
    }

    /// `problems` of `doc` as diagnostics at their lines, a link to a source left out of
    /// the build saying so.
    fn at_lines(
        &mut self,
        doc: &Doc,
        problems: impl IntoIterator<Item = (usize, Problem)>,
    ) -> Vec<Diagnostic> {
        let site = self.site;
        let excluded = self
            .excluded
            .get_or_insert_with(|| site.excluded.iter().map(String::as_str).collect());
        (problems.into_iter())
            .map(|(line, problem)| {
                let problem = explain_unbuilt_target(problem, excluded);
                Diagnostic::new(Path::new(&doc.rel_path), Some(line), problem)
            })
            .collect()
    }
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

//! Render: `Site` → `Outputs`, in parallel with rayon. Markdown first (so every link and
//! anchor can be checked), then templates, then assets. Pure apart from reading asset files.

mod context;
mod listings;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rayon::prelude::*;

pub use context::{DocCtx, SiteCtx};

use crate::content::SourceAsset;
use crate::content::load::STREAM_THRESHOLD;
use crate::error::{Diagnostic, Problem};
use crate::highlight::Highlighter;
use crate::markdown::{self, Document};
use crate::outputs::{Body, Output, OutputKind, Outputs, hash_file};
use crate::site::Site;
use crate::templates::{THEME_CSS, Templates};

/// Renders one site.
pub struct Renderer<'a> {
    site: &'a Site,
    templates: &'a Templates,
    highlighter: &'a Highlighter,
    site_ctx: SiteCtx,
    nav: Vec<context::LinkCtx>,
}

impl<'a> Renderer<'a> {
    /// A renderer for `site`.
    pub fn new(site: &'a Site, templates: &'a Templates, highlighter: &'a Highlighter) -> Self {
        Renderer {
            site_ctx: SiteCtx::new(&site.config),
            nav: site
                .pages
                .iter()
                .map(|p| context::LinkCtx {
                    title: p.title.clone(),
                    url: p.url.clone(),
                })
                .collect(),
            site,
            templates,
            highlighter,
        }
    }

    /// Renders every output, or returns every problem found.
    pub fn render(&self) -> Result<Outputs, Vec<Diagnostic>> {
        let docs: Vec<&crate::content::Doc> = self.site.docs().collect();
        let (rendered, mut errors) = self.render_markdown(&docs);
        errors.extend(self.check_anchors(&docs, &rendered));
        if !errors.is_empty() {
            return Err(errors);
        }
        let rendered: Vec<Document> = rendered
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect();

        let ctxs: Vec<DocCtx> = docs
            .par_iter()
            .zip(rendered.par_iter())
            .map(|(doc, r)| DocCtx::new(&self.site.config, doc, r))
            .collect();
        let n_posts = self.site.posts.len();
        let mut results: Vec<Result<Output, Diagnostic>> = ctxs
            .par_iter()
            .enumerate()
            .map(|(i, ctx)| self.doc_page(docs[i], ctx, (i < n_posts).then_some(i)))
            .collect();
        results.extend(self.listings(&ctxs[..n_posts]));
        results.extend(self.aliases(&docs));
        results.extend(self.assets());

        let mut outputs = Outputs::new();
        let mut errors = Vec::new();
        for result in results {
            match result {
                Ok(output) => {
                    outputs.insert(output);
                }
                Err(e) => errors.push(e),
            }
        }
        if !outputs.contains("style.css") {
            outputs.insert(Output::from_bytes(
                "style.css",
                THEME_CSS.as_bytes().to_vec(),
                OutputKind::Asset,
            ));
        }
        let cfg = &self.site.config;
        match crate::highlight::stylesheet(&cfg.highlight_theme, &cfg.highlight_theme_dark) {
            Ok(css) => {
                outputs.insert(Output::from_bytes(
                    "highlight.css",
                    css.into_bytes(),
                    OutputKind::Asset,
                ));
            }
            Err(e) => errors.push(Diagnostic::new(
                Path::new(crate::config::CONFIG_FILE),
                None,
                Problem::Invalid {
                    field: "highlight_theme".into(),
                    expected: format!("one of: {}", e.available),
                    found: e.name,
                },
            )),
        }
        if errors.is_empty() {
            Ok(outputs)
        } else {
            errors.sort_by(|a, b| a.path.cmp(&b.path).then(a.line.cmp(&b.line)));
            Err(errors)
        }
    }

    /// Markdown for every document; a failed one is `None`, its problems in the second list.
    fn render_markdown(
        &self,
        docs: &[&crate::content::Doc],
    ) -> (Vec<Option<Document>>, Vec<Diagnostic>) {
        let urls: HashMap<&str, &str> = docs
            .iter()
            .map(|d| (d.rel_path.as_str(), d.url.as_str()))
            .collect();
        let excluded: HashSet<&str> = self.site.excluded.iter().map(String::as_str).collect();
        let resolve = |target: &str| urls.get(target).map(|u| u.to_string());
        let results: Vec<Result<Document, Vec<(usize, Problem)>>> = docs
            .par_iter()
            .map(|doc| {
                let source = markdown::Source {
                    body: &doc.body,
                    body_line: doc.body_line,
                    path: &doc.rel_path,
                };
                markdown::render(source, &resolve, self.highlighter)
            })
            .collect();
        let mut rendered = Vec::with_capacity(results.len());
        let mut errors = Vec::new();
        for (doc, result) in docs.iter().zip(results) {
            match result {
                Ok(d) => rendered.push(Some(d)),
                Err(problems) => {
                    rendered.push(None);
                    errors.extend(problems.into_iter().map(|(line, problem)| {
                        let problem = explain_unbuilt_target(problem, &excluded);
                        Diagnostic::new(Path::new(&doc.rel_path), Some(line), problem)
                    }));
                }
            }
        }
        (rendered, errors)
    }

    /// Problems with `#anchor` links to documents that rendered (the others are reported).
    fn check_anchors(
        &self,
        docs: &[&crate::content::Doc],
        rendered: &[Option<Document>],
    ) -> Vec<Diagnostic> {
        let anchors: HashMap<&str, &[String]> = docs
            .iter()
            .zip(rendered)
            .filter_map(|(d, r)| Some((d.rel_path.as_str(), r.as_ref()?.anchors.as_slice())))
            .collect();
        let mut errors = Vec::new();
        for (doc, r) in docs.iter().zip(rendered) {
            let Some(r) = r else { continue };
            for link in &r.links {
                let Some(anchor) = &link.anchor else { continue };
                let Some(target_anchors) = anchors.get(link.target.as_str()) else {
                    continue; // the target failed to render and is reported already
                };
                if !target_anchors.contains(anchor) {
                    errors.push(Diagnostic::new(
                        Path::new(&doc.rel_path),
                        Some(link.line),
                        Problem::BrokenAnchor {
                            target: link.target.clone(),
                            anchor: anchor.clone(),
                        },
                    ));
                }
            }
        }
        errors
    }

    /// The context every template gets.
    fn common(&self, current_path: &str) -> tera::Context {
        let mut ctx = tera::Context::new();
        ctx.insert("site", &self.site_ctx);
        ctx.insert("pages", &self.nav);
        ctx.insert("current_path", current_path);
        ctx
    }

    fn doc_page(
        &self,
        doc: &crate::content::Doc,
        ctx: &DocCtx,
        post_index: Option<usize>,
    ) -> Result<Output, Diagnostic> {
        let mut context = self.common(&doc.url);
        let default_template = match post_index {
            Some(i) => {
                let link = |j: usize| {
                    let p = &self.site.posts[j];
                    context::LinkCtx {
                        title: p.title.clone(),
                        url: p.url.clone(),
                    }
                };
                context.insert("newer", &i.checked_sub(1).map(link));
                context.insert(
                    "older",
                    &(i + 1 < self.site.posts.len()).then(|| link(i + 1)),
                );
                context.insert("post", ctx);
                "post.html"
            }
            None => {
                context.insert("page", ctx);
                "page.html"
            }
        };
        let template = doc.template.as_deref().unwrap_or(default_template);
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
        let html = self.templates.render(template, &context).map_err(|mut e| {
            if let Problem::Template(m) = &mut e.problem {
                m.push_str(&format!(" (rendering {})", doc.rel_path));
            }
            e
        })?;
        Ok(Output::from_bytes(
            doc.output_key(),
            html.into_bytes(),
            OutputKind::Page,
        ))
    }

    fn aliases(&self, docs: &[&crate::content::Doc]) -> Vec<Result<Output, Diagnostic>> {
        docs.iter()
            .flat_map(|doc| doc.aliases.iter().map(move |alias| (doc, alias)))
            .map(|(doc, alias)| {
                let mut ctx = self.common(&format!("/{alias}"));
                ctx.insert("target", &self.site.config.permalink(&doc.url));
                let html = self.templates.render("alias.html", &ctx)?;
                let mut output =
                    Output::from_bytes(alias.clone(), html.into_bytes(), OutputKind::Redirect);
                output.content_type = crate::outputs::content_type_for("index.html");
                output.redirect = Some(doc.url.clone());
                Ok(output)
            })
            .collect()
    }

    fn assets(&self) -> Vec<Result<Output, Diagnostic>> {
        self.site.assets.par_iter().map(asset_output).collect()
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

/// Reads an asset: small files into memory, large ones as streamed file bodies.
fn asset_output(asset: &SourceAsset) -> Result<Output, Diagnostic> {
    let io = |e: std::io::Error| {
        Diagnostic::new(
            Path::new(&asset.rel_path),
            None,
            Problem::Io(format!("cannot read: {e}")),
        )
    };
    let size = std::fs::metadata(&asset.path).map_err(io)?.len();
    if size >= STREAM_THRESHOLD {
        let hash = hash_file(&asset.path).map_err(io)?;
        let mut output = Output::from_bytes(asset.key.clone(), Vec::new(), OutputKind::Asset);
        output.body = Body::File {
            path: asset.path.clone(),
            size,
        };
        output.hash = hash;
        Ok(output)
    } else {
        let bytes = std::fs::read(&asset.path).map_err(io)?;
        Ok(Output::from_bytes(
            asset.key.clone(),
            bytes,
            OutputKind::Asset,
        ))
    }
}

/// The object key of a URL path: `/tags/x/` → `tags/x/index.html`, `/` → `index.html`.
pub fn page_key(path: &str) -> String {
    format!("{}index.html", path.trim_start_matches('/'))
}

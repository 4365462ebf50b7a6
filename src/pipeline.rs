//! The whole pipeline in one call: load sources → assemble the `Site` → render `Outputs`.
//! `build`, `serve`, `check` and `publish` all start here.

use std::path::Path;

use crate::config::Config;
use crate::content::{Filter, front_matter, load_sources};
use crate::error::{BuildErrors, Diagnostic};
use crate::highlight::Highlighter;
use crate::outputs::Outputs;
use crate::render::Renderer;
use crate::site::Site;
use crate::templates::Templates;

pub use crate::site::BuildOptions;

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
}

/// Loads and renders the site in `site_dir`. A fresh highlight cache is used; long-lived callers
/// (serve) use [`render_site_with`] to keep theirs.
pub fn render_site(site_dir: &Path, opts: &BuildOptions) -> Result<Rendered, BuildErrors> {
    render_site_with(site_dir, opts, &Highlighter::new())
}

/// [`render_site`] with a caller-owned highlight cache.
pub fn render_site_with(
    site_dir: &Path,
    opts: &BuildOptions,
    highlighter: &Highlighter,
) -> Result<Rendered, BuildErrors> {
    let relative = |d: Diagnostic| d.relative_to(site_dir);
    let loaded = Config::load(site_dir).map_err(|d| BuildErrors(vec![relative(d)]))?;
    let mut config = loaded.config;
    let warnings: Vec<Diagnostic> = loaded.warnings.into_iter().map(relative).collect();
    if let Some(url) = &opts.base_url {
        config.base_url = url.clone();
    }

    let filter = Filter::new(&config.exclude);
    let (templates, sources) = rayon::join(
        || Templates::load(site_dir),
        || load_sources(site_dir, &filter),
    );
    let mut errors = sources.errors;
    let templates = match templates {
        Ok(t) => Some(t),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    if !errors.is_empty() {
        return Err(sorted(errors));
    }
    let templates = templates.expect("no errors means templates loaded");
    let site = Site::assemble(
        config,
        sources.docs,
        sources.assets,
        opts,
        front_matter::now(),
    )
    .map_err(sorted)?;
    let outputs = Renderer::new(&site, &templates, highlighter)
        .render()
        .map_err(sorted)?;
    Ok(Rendered {
        documents: site.posts.len() + site.pages.len(),
        config: site.config,
        outputs,
        warnings,
    })
}

fn sorted(mut errors: Vec<Diagnostic>) -> BuildErrors {
    errors.sort_by(|a, b| a.path.cmp(&b.path).then(a.line.cmp(&b.line)));
    errors.dedup();
    BuildErrors(errors)
}

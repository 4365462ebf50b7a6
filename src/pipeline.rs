//! The whole pipeline in one call: hash the sources → (skip when already rendered) → load
//! sources → assemble the `Site` → render `Outputs` → record the hash. `build`, `check` and
//! `publish` go through [`run`]; `serve` keeps a [`Session`] to rebuild quickly.

use std::path::{Path, PathBuf};

use crate::error::{BuildErrors, Diagnostic};
use crate::sources_hash::{SourcesRecord, record_after_render, sources_hash};

pub use crate::session::{Rendered, Session};
pub use crate::site::BuildOptions;

/// Loads and renders the site in `site_dir` once.
pub fn render_site(site_dir: &Path, opts: &BuildOptions) -> Result<Rendered, BuildErrors> {
    Session::new(site_dir, opts.clone())
        .single_render()
        .render()
}

/// The sources a pipeline run starts from: the site folder, the build options and, when
/// taken, the hash of everything a render of them reads (taken before anything is rendered).
#[derive(Debug, Clone)]
pub struct Sources {
    site_dir: PathBuf,
    opts: BuildOptions,
    hash: Option<String>,
}

impl Sources {
    /// The sources in `site_dir`, hashed now (`None` when they cannot be hashed: see
    /// `sources_hash`).
    pub fn hashed(site_dir: &Path, opts: &BuildOptions) -> Sources {
        let hash = sources_hash(site_dir, opts);
        Sources::with_hash(site_dir, opts, hash)
    }

    /// The sources in `site_dir`, with a hash taken earlier (or none: nothing is recorded).
    pub(crate) fn with_hash(site_dir: &Path, opts: &BuildOptions, hash: Option<String>) -> Sources {
        Sources {
            site_dir: site_dir.to_path_buf(),
            opts: opts.clone(),
            hash,
        }
    }

    /// The sources in `site_dir`, not hashed: every run renders and records nothing (`check`).
    pub fn unhashed(site_dir: &Path, opts: &BuildOptions) -> Sources {
        Sources::with_hash(site_dir, opts, None)
    }

    /// The hash of the sources, when they were hashed and could be.
    pub fn hash(&self) -> Option<&str> {
        self.hash.as_deref()
    }

    /// The site folder.
    pub fn site_dir(&self) -> &Path {
        &self.site_dir
    }

    /// The build options.
    pub fn options(&self) -> &BuildOptions {
        &self.opts
    }
}

/// A render and what it recorded.
pub struct Recorded {
    /// The render.
    pub rendered: Rendered,
    /// The sources record to keep with the outputs: `Some` when the sources hashed the same
    /// before and after the render (see `record_after_render`).
    pub sources: Option<SourcesRecord>,
    /// The session that rendered (its links, its highlighter, its stage timings).
    pub session: Session,
    /// When the render finished (before the sources were hashed again to record them).
    pub rendered_at: std::time::Instant,
}

/// What a pipeline run came to.
pub enum Run<T> {
    /// The hash says this is already rendered (the skip check's answer).
    Unchanged(T),
    /// Rendered (boxed: a render is large).
    Rendered(Box<Recorded>),
}

/// Why a pipeline run stopped.
#[derive(Debug)]
pub enum Stop<E> {
    /// Setting up the session failed (`prepare`'s error).
    Setup(E),
    /// The sources have errors; with the warnings met before the render stopped (site.toml's
    /// unknown keys, say), which the errors must not hide.
    Errors(BuildErrors, Vec<Diagnostic>),
}

/// The one orchestration `build`, `check` and `publish` share: given the hashed `sources`,
/// ask `current` whether that hash is already rendered (an output folder's record, a bucket's
/// manifest) and stop there when it says so ([`unchanged`]); else render once with a
/// single-render session that `prepare` sets up (caches, spilling, problems), and record the
/// hash when the sources did not change during the render (`render_recorded`).
pub fn run<T, E>(
    sources: &Sources,
    current: impl FnOnce(&str) -> Option<T>,
    prepare: impl FnOnce(Session) -> Result<Session, E>,
) -> Result<Run<T>, Stop<E>> {
    if let Some(done) = unchanged(sources, current) {
        return Ok(Run::Unchanged(done));
    }
    render_recorded(sources, prepare).map(|r| Run::Rendered(Box::new(r)))
}

/// The first half of [`run`]: `current`'s answer for the sources' hash, `None` when they
/// could not be hashed. `publish` calls the halves itself: between them it may fetch the
/// highlight cache from the bucket (async work the pipeline knows nothing of).
pub fn unchanged<T>(sources: &Sources, current: impl FnOnce(&str) -> Option<T>) -> Option<T> {
    sources.hash().and_then(current)
}

/// The second half of [`run`]: render once with the session `prepare` sets up, then record
/// the hash when the sources hashed the same before and after the render.
pub(crate) fn render_recorded<E>(
    sources: &Sources,
    prepare: impl FnOnce(Session) -> Result<Session, E>,
) -> Result<Recorded, Stop<E>> {
    let session = Session::new(&sources.site_dir, sources.opts.clone()).single_render();
    let mut session = prepare(session).map_err(Stop::Setup)?;
    let rendered = session
        .render()
        .map_err(|errors| Stop::Errors(errors, session.source_warnings()))?;
    let rendered_at = std::time::Instant::now();
    let record = record_after_render(
        &sources.site_dir,
        &sources.opts,
        sources.hash.clone(),
        rendered.private_documents,
        rendered.next_release,
    );
    Ok(Recorded {
        rendered,
        sources: record,
        session,
        rendered_at,
    })
}

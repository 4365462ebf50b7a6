//! The whole pipeline in one call: load sources → assemble the `Site` → render `Outputs`.
//! `build`, `check` and `publish` start here; `serve` keeps a [`Session`] to rebuild quickly.

use std::path::Path;

use crate::config::Config;
use crate::error::{BuildErrors, Diagnostic};
use crate::outputs::Outputs;

pub use crate::session::Session;
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
    /// How many of them are private (sealed with passphrases from the environment).
    pub private_documents: usize,
    /// The earliest date of a future post left out: the same sources build differently then.
    pub next_release: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// How many documents were left out (drafts, future and expired posts).
    pub left_out: crate::site::LeftOut,
}

/// Loads and renders the site in `site_dir` once.
pub fn render_site(site_dir: &Path, opts: &BuildOptions) -> Result<Rendered, BuildErrors> {
    Session::new(site_dir, opts.clone())
        .single_render()
        .render()
}

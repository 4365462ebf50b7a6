//! `[links]` in site.toml: how broken internal links count, which links to skip, and how
//! politely `check --external` asks other sites.

use serde::{Deserialize, Serialize};

/// How a broken internal link counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The build fails (the default).
    #[default]
    Error,
    /// A warning; the build goes on.
    Warn,
    /// Internal links are not checked (pages are not even scanned for links).
    Off,
}

/// The `[links]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LinksConfig {
    /// How a broken internal link counts in `build`, `check` and `serve`.
    pub internal: Severity,
    /// Glob patterns of links never checked, matched against the link as written
    /// (`/drafts/**`, `https://twitter.com/**`).
    pub skip: Vec<String>,
    /// `check --external`: requests in flight at once, over all hosts.
    pub external_concurrency: usize,
    /// `check --external`: requests in flight at once to one host.
    pub external_per_host: usize,
    /// `check --external`: seconds one request may take.
    pub external_timeout: u64,
    /// `check --external`: days a link found good is not asked about again.
    pub external_cache_days: u64,
}

impl Default for LinksConfig {
    fn default() -> LinksConfig {
        LinksConfig {
            internal: Severity::Error,
            skip: Vec::new(),
            external_concurrency: 16,
            external_per_host: 2,
            external_timeout: 15,
            external_cache_days: 7,
        }
    }
}

impl LinksConfig {
    /// The `skip` patterns as one matcher; a bad pattern's message names it.
    pub(crate) fn skip_set(&self) -> Result<globset::GlobSet, String> {
        let mut set = globset::GlobSetBuilder::new();
        for pattern in &self.skip {
            let glob = globset::GlobBuilder::new(pattern)
                .literal_separator(false)
                .build()
                .map_err(|e| format!("links.skip: {pattern:?} is not a glob pattern: {e}"))?;
            set.add(glob);
        }
        set.build().map_err(|e| format!("links.skip: {e}"))
    }
}

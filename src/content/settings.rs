//! The content settings of site.toml (`timezone`, `[permalinks]`, `[content]`) and the
//! options they give the pure document parser.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::date::SiteZone;
use super::section::DEFAULT_POST_SECTIONS;

/// `[content]` in site.toml.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct ContentConfig {
    /// The sections under `content/` whose documents are posts (default: `posts`, `post`,
    /// `blog`, `news`, `articles`). Jekyll's `_posts/` folders always hold posts.
    pub post_sections: Option<Vec<String>>,
    /// Read a Jekyll layout at the site's top (`_posts/`, `_drafts/`, pages beside
    /// `_config.yml`): `true`, `false`, or unset to do so when `_posts/` or `_config.yml` is
    /// there.
    pub jekyll: Option<bool>,
    /// Jekyll's `excerpt_separator`: a post's summary is the text before it.
    pub excerpt_separator: String,
    /// Unknown shortcodes, Liquid tags and variables in posts are warnings (their source is
    /// shown marked on the page) instead of errors: for a first look at a migrated blog.
    pub lenient: bool,
}

/// What the parser needs from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentOptions {
    /// The zone of dates written without an offset.
    pub zone: SiteZone,
    /// URL patterns by section (`posts` also for Jekyll's `_posts/`).
    pub permalinks: BTreeMap<String, String>,
    /// The sections whose documents are posts.
    pub post_sections: Vec<String>,
    /// The site's excerpt separator, if any.
    pub excerpt_separator: Option<String>,
}

impl Default for ContentOptions {
    fn default() -> ContentOptions {
        ContentOptions {
            zone: SiteZone::Utc,
            permalinks: BTreeMap::new(),
            post_sections: DEFAULT_POST_SECTIONS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            excerpt_separator: None,
        }
    }
}

impl ContentOptions {
    /// The options site.toml's `timezone`, `[permalinks]` and `[content]` give (an invalid
    /// `timezone` was refused when the configuration was parsed).
    pub fn new(
        timezone: &str,
        permalinks: &BTreeMap<String, String>,
        content: &ContentConfig,
    ) -> ContentOptions {
        let defaults = ContentOptions::default();
        ContentOptions {
            zone: SiteZone::parse(timezone).unwrap_or_default(),
            permalinks: permalinks.clone(),
            post_sections: content
                .post_sections
                .clone()
                .unwrap_or(defaults.post_sections),
            excerpt_separator: Some(content.excerpt_separator.clone()).filter(|s| !s.is_empty()),
        }
    }
}

//! `site.toml` → [`Config`]: defaults, validation, and "did you mean" warnings for unknown keys.
//!
//! Each feature owns its section's struct (`[torrents]` in `torrent/`, `[private]` in
//! `private/`, …) and this module gathers them; no feature module imports `config` back: they
//! take their own section (and the base URL) as arguments.

pub mod jekyll;
pub mod publish;

pub use publish::{CacheRule, PublishConfig};

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use crate::error::find_key_line;
use crate::error::{Diagnostic, Problem};

/// The file name of a site's configuration.
pub const CONFIG_FILE: &str = "site.toml";

/// The whole site configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// The blog's title.
    pub title: String,
    /// The public URL the site lives at, e.g. `https://blog.example.com/`.
    pub base_url: String,
    /// A one-line description, used in feeds and meta tags.
    pub description: String,
    /// The author's name, used in feeds.
    pub author: String,
    /// The language code for `<html lang>` and the feed.
    pub language: String,
    /// Posts per page on the home page and tag pages.
    pub posts_per_page: usize,
    /// The syntect theme for code in light mode.
    pub highlight_theme: String,
    /// The syntect theme for code in dark mode.
    pub highlight_theme_dark: String,
    /// Glob patterns (relative to the site) of source files never to publish.
    pub exclude: Vec<String>,
    /// How many posts the Atom feed holds.
    pub feed_limit: usize,
    /// Publishing settings.
    pub publish: PublishConfig,
    /// `[torrents]`: `.torrent` files and magnet links for big static files.
    pub torrents: crate::torrent::TorrentConfig,
    /// `[backup]`: where `bucketpress backup` keeps encrypted snapshots of the sources.
    pub backup: BackupConfig,
    /// `[private]`: encrypted posts (where passphrases come from, what a locked page shows).
    pub private: crate::private::PrivateConfig,
    /// The zone of dates written without an offset: an IANA name (`America/New_York`) or a
    /// fixed offset (`+02:00`); UTC when empty.
    pub timezone: String,
    /// `[permalinks]`: URL patterns by section (`posts = "/:year/:month/:day/:title/"`;
    /// `posts` also covers Jekyll's `_posts/`), Jekyll style names (`pretty`) allowed.
    pub permalinks: std::collections::BTreeMap<String, String>,
    /// `[content]`: where posts are, Jekyll layouts, the excerpt separator.
    pub content: crate::content::ContentConfig,
    /// `[images]`: responsive variants of raster images, metadata stripped.
    pub images: crate::images::ImageConfig,
    /// `[extra]`: the site's own values, for templates and posts (`config.extra.x` in a
    /// shortcode, `{{ site.x }}` in Liquid, Hugo's `param`).
    pub extra: toml::Table,
    /// `[links]`: the link checker (internal links on or off, links to skip, external checks).
    pub links: crate::links::LinksConfig,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            title: "My blog".into(),
            base_url: "http://localhost:1111/".into(),
            description: String::new(),
            author: String::new(),
            language: "en".into(),
            posts_per_page: 10,
            highlight_theme: "InspiredGitHub".into(),
            highlight_theme_dark: "base16-ocean.dark".into(),
            exclude: Vec::new(),
            feed_limit: 20,
            publish: PublishConfig::default(),
            torrents: crate::torrent::TorrentConfig::default(),
            backup: BackupConfig::default(),
            private: crate::private::PrivateConfig::default(),
            timezone: String::new(),
            permalinks: std::collections::BTreeMap::new(),
            content: crate::content::ContentConfig::default(),
            images: crate::images::ImageConfig::default(),
            extra: toml::Table::new(),
            links: crate::links::LinksConfig::default(),
        }
    }
}

/// The `[backup]` section: both unset means the `[publish]` bucket under
/// `<publish prefix>.bucketpress/backups/`. The connection settings (region, endpoint,
/// path style, profile) are always those of `[publish]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct BackupConfig {
    /// The bucket for backups (`None`: `[publish] bucket`).
    #[serde(deserialize_with = "crate::config::publish::unset_if_empty")]
    pub bucket: Option<String>,
    /// The key prefix of backups in that bucket (`None`: the default place, when `bucket` is
    /// unset too; else the bucket's root).
    #[serde(deserialize_with = "crate::config::publish::unset_if_empty")]
    pub prefix: Option<String>,
}

/// A parsed configuration and the warnings met on the way (unknown keys).
#[derive(Debug)]
pub struct Loaded {
    /// The configuration.
    pub config: Config,
    /// Non-fatal problems, e.g. `unknown key "titel" (did you mean "title"?)`.
    pub warnings: Vec<Diagnostic>,
}

impl Config {
    /// Parses `site.toml` text. `path` is only used in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Loaded, Diagnostic> {
        let mut unknown = Vec::new();
        let de = toml::Deserializer::parse(text).map_err(|e| toml_diagnostic(path, text, &e))?;
        let config: Config = serde_ignored::deserialize(de, |p| unknown.push(p.to_string()))
            .map_err(|e: toml::de::Error| toml_diagnostic(path, text, &e))?;
        let mut warnings: Vec<Diagnostic> = unknown
            .into_iter()
            .map(|key| {
                let leaf = key.rsplit('.').next().unwrap_or(&key).to_string();
                let line = find_key_line(text, &leaf);
                let hint = suggest(&key)
                    .map(|s| format!(" (did you mean \"{s}\"?)"))
                    .unwrap_or_default();
                Diagnostic::new(path, line, Problem::UnknownKey { key, hint })
            })
            .collect();
        warnings.sort_by_key(|w| w.line);
        config.validate(path, text)?;
        Ok(Loaded { config, warnings })
    }

    /// Reads `site.toml` from `site_dir` and parses it.
    pub fn load(site_dir: &Path) -> Result<Loaded, Diagnostic> {
        let text = Config::read_text(site_dir)?;
        Config::parse(&site_dir.join(CONFIG_FILE), &text)
    }

    /// The text of `site_dir`'s `site.toml`; a folder without one is told how to start.
    pub(crate) fn read_text(site_dir: &Path) -> Result<String, Diagnostic> {
        let path = site_dir.join(CONFIG_FILE);
        std::fs::read_to_string(&path).map_err(|e| {
            let message = if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "there is no site here (no {CONFIG_FILE} in {}): start one with \
                     `bucketpress new DIR`, or name a site folder with --site DIR",
                    site_dir.display()
                )
            } else {
                format!("cannot read the site configuration: {e}")
            };
            Diagnostic::new(&path, None, Problem::Io(message))
        })
    }

    /// A configuration for tests: the defaults with a fixed base URL.
    pub fn default_for_test() -> Config {
        Config {
            title: "Test blog".into(),
            base_url: "https://blog.example.com/".into(),
            ..Config::default()
        }
    }

    fn validate(&self, path: &Path, text: &str) -> Result<(), Diagnostic> {
        let bad = |key: &str, expected: &str, found: &str| {
            Diagnostic::new(
                path,
                find_key_line(text, key),
                Problem::Invalid {
                    field: key.to_string(),
                    expected: expected.to_string(),
                    found: found.to_string(),
                },
            )
        };
        if !valid_base_url(&self.base_url) {
            return Err(bad(
                "base_url",
                "an absolute http:// or https:// URL such as \"https://blog.example.com/\"",
                &self.base_url,
            ));
        }
        if self.posts_per_page == 0 {
            return Err(bad("posts_per_page", "a number of 1 or more", "0"));
        }
        if self.publish.concurrency == 0 {
            return Err(bad("concurrency", "a number of 1 or more", "0"));
        }
        if let Err(expected) = publish::check_previews_prefix(&self.publish.previews_prefix) {
            return Err(bad(
                "previews_prefix",
                expected,
                &self.publish.previews_prefix,
            ));
        }
        for pattern in &self.links.skip {
            if globset::Glob::new(pattern).is_err() {
                return Err(bad(
                    "skip",
                    "a glob pattern such as \"/drafts/**\"",
                    pattern,
                ));
            }
        }
        for (key, n) in [
            ("external_concurrency", self.links.external_concurrency),
            ("external_per_host", self.links.external_per_host),
        ] {
            if n == 0 {
                return Err(bad(key, "a number of 1 or more", "0"));
            }
        }
        for rule in &self.publish.cache_control {
            if globset::Glob::new(&rule.glob).is_err() {
                return Err(bad("cache_control", "a valid glob", &rule.glob));
            }
        }
        for glob in self.exclude.iter().chain(&self.publish.exclude) {
            if globset::Glob::new(glob).is_err() {
                return Err(bad("exclude", "a valid glob", glob));
            }
        }
        if crate::content::date::SiteZone::parse(&self.timezone).is_none() {
            return Err(bad(
                "timezone",
                "an IANA time zone such as \"Europe/Berlin\", or an offset such as \"+02:00\"",
                &self.timezone,
            ));
        }
        for (section, pattern) in &self.permalinks {
            if let Some(problem) = crate::content::permalink::check_pattern(pattern) {
                return Err(bad(section, &format!("a URL pattern ({problem})"), pattern));
            }
        }
        if let Some((key, expected, found)) = self.torrents.problem() {
            return Err(bad(key, expected, &found));
        }
        if let Some((key, expected, found)) = self.private.problem() {
            return Err(bad(key, &expected, &found));
        }
        if let Some((key, expected, found)) = self.images.problem() {
            return Err(bad(key, expected, &found));
        }
        Ok(())
    }

    /// What making torrents needs from this configuration.
    pub(crate) fn seeding(&self) -> crate::torrent::Seeding<'_> {
        crate::torrent::Seeding {
            settings: &self.torrents,
            base_url: &self.base_url,
        }
    }

    /// What sealing private documents needs from this configuration.
    pub(crate) fn sealing(&self) -> crate::private::Sealing<'_> {
        crate::private::Sealing {
            private: &self.private,
            exclude: &self.exclude,
            left_out: crate::content::left_out,
            base_url: &self.base_url,
        }
    }

    /// What the document parser needs from this configuration.
    pub(crate) fn content_options(&self) -> crate::content::ContentOptions {
        crate::content::ContentOptions::new(&self.timezone, &self.permalinks, &self.content)
    }

    /// The base URL with exactly one trailing slash.
    pub fn base_url(&self) -> String {
        format!("{}/", self.base_url.trim_end_matches('/'))
    }

    /// The path part of `base_url` with slashes at both ends: `/` or `/blog/`.
    pub fn base_path(&self) -> String {
        self.href("")
    }

    /// The link to a site path (`/posts/x/`) as pages write it: under the base path, so a
    /// site published below a prefix (`https://example.com/blog/`) links correctly.
    pub fn href(&self, path: &str) -> String {
        crate::content::url::href(&self.base_url, path)
    }

    /// The absolute URL of a site path such as `/posts/x/`.
    pub fn permalink(&self, path: &str) -> String {
        crate::content::url::permalink(&self.base_url, path)
    }
}

fn valid_base_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split('/').next().unwrap_or("");
            !host.is_empty()
                && !host.contains(char::is_whitespace)
                && !url.contains(['"', '<', '>'])
        }
        None => false,
    }
}

/// Every key `site.toml` knows, dotted for sections, but `[publish]`'s own (its
/// [`publish::KEYS`], kept beside its struct): see [`known_keys`].
const KNOWN_KEYS: &[&str] = &[
    "title",
    "base_url",
    "description",
    "author",
    "language",
    "posts_per_page",
    "highlight_theme",
    "highlight_theme_dark",
    "exclude",
    "feed_limit",
    "publish",
    "backup",
    "backup.bucket",
    "backup.prefix",
    "torrents",
    "torrents.enabled",
    "torrents.threshold",
    "torrents.trackers",
    "private",
    "private.key_file",
    "private.key_files",
    "private.show_title",
    "private.placeholder_title",
    "private.iterations",
    "timezone",
    "permalinks",
    "content",
    "content.post_sections",
    "content.jekyll",
    "content.excerpt_separator",
    "content.lenient",
    "links",
    "links.internal",
    "links.skip",
    "links.external_concurrency",
    "links.external_per_host",
    "links.external_timeout",
    "links.external_cache_days",
    "images",
    "images.enabled",
    "images.widths",
    "images.fallback_width",
    "images.webp_quality",
    "images.jpeg_quality",
    "images.sizes",
    "images.max_original",
    "images.publish_originals",
    "images.max_megapixels",
    "extra",
];

/// Every key `site.toml` knows, dotted for sections: [`KNOWN_KEYS`] and `[publish]`'s.
fn known_keys() -> impl Iterator<Item = String> {
    let publish = publish::KEYS.iter().map(|k| format!("publish.{k}"));
    KNOWN_KEYS.iter().map(|k| (*k).to_string()).chain(publish)
}

/// The closest known key to an unknown one, if any is close enough.
fn suggest(unknown: &str) -> Option<String> {
    let section = unknown.rsplit_once('.').map(|(s, _)| s);
    known_keys()
        .filter(|k| k.rsplit_once('.').map(|(s, _)| s) == section)
        .map(|k| (strsim::jaro_winkler(unknown, &k), k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

fn toml_diagnostic(path: &Path, text: &str, e: &toml::de::Error) -> Diagnostic {
    let start = e.span().map(|span| span.start.min(text.len()));
    Diagnostic::new(
        path,
        start.map(|at| crate::error::line_of(text, at)),
        Problem::Syntax {
            format: crate::error::SyntaxFormat::Toml,
            column: start.map(|at| crate::error::column_of(text, at)),
            message: crate::error::plain_words(e.message()),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Loaded, Diagnostic> {
        Config::parse(Path::new("site.toml"), text)
    }

    /// Optional settings are `None` when missing and when empty, as `""` always meant unset.
    #[test]
    fn empty_optional_settings_are_unset() {
        let text = "[publish]\nbucket = \"\"\nregion = \"eu-west-1\"\nprofile = \"\"\n\
                    [private]\nkey_file = \"\"\n[backup]\nprefix = \"b/\"\n";
        let c = Config::parse(Path::new("site.toml"), text).unwrap().config;
        assert_eq!(c.publish.bucket, None);
        assert_eq!(c.publish.region.as_deref(), Some("eu-west-1"));
        assert_eq!((c.publish.profile, c.publish.endpoint), (None, None));
        assert_eq!(c.publish.cloudfront_distribution_id, None);
        assert_eq!(c.private.key_file, None);
        assert_eq!(
            (c.backup.bucket, c.backup.prefix.as_deref()),
            (None, Some("b/"))
        );
    }

    /// Every field of the configuration structs is a known key (else writing it would warn
    /// "unknown key"), and every known key is a field (else a typo would pass unwarned;
    /// `[publish]`'s keys are checked against its fields beside them, in `publish.rs`).
    #[test]
    fn known_keys_are_exactly_the_config_fields() {
        let known: Vec<String> = known_keys().collect();
        let value = toml::Value::try_from(Config::default()).unwrap();
        let mut fields = Vec::new();
        for (key, v) in value.as_table().unwrap() {
            fields.push(key.clone());
            // Sections' fields; maps keyed by the user (permalinks, key_files) are values.
            if let Some(table) = v.as_table()
                && !matches!(key.as_str(), "permalinks")
            {
                for sub in table.keys() {
                    fields.push(format!("{key}.{sub}"));
                }
            }
        }
        for field in &fields {
            assert!(
                known.contains(field),
                "{field} is not in KNOWN_KEYS (or publish::KEYS)"
            );
        }
        // Fields that are unset (None) by default serialize to nothing.
        let unset = [
            "backup.bucket",
            "backup.prefix",
            "private.key_file",
            "content.post_sections",
            "content.jekyll",
            "private.key_files",
        ];
        for known in KNOWN_KEYS {
            assert!(
                fields.iter().any(|f| f == known) || unset.contains(known),
                "{known} is in KNOWN_KEYS but no field of the configuration"
            );
        }
    }

    #[test]
    fn defaults_fill_missing_keys() {
        let loaded = parse("title = \"T\"\nbase_url = \"https://x.org\"\n").unwrap();
        assert_eq!(loaded.config.posts_per_page, 10);
        assert_eq!(loaded.config.publish.max_deletes, 256);
        assert!(loaded.warnings.is_empty());
        assert_eq!(loaded.config.base_url(), "https://x.org/");
        assert_eq!(
            loaded.config.permalink("/posts/a/"),
            "https://x.org/posts/a/"
        );
        assert_eq!(loaded.config.href("/posts/a/"), "/posts/a/");
        let sub = parse("base_url = \"https://x.org/blog\"\n").unwrap().config;
        assert_eq!(sub.base_path(), "/blog/");
        assert_eq!(sub.href("/posts/a/"), "/blog/posts/a/");
        assert_eq!(sub.permalink("/posts/a/"), "https://x.org/blog/posts/a/");
    }

    #[test]
    fn unknown_key_suggests_closest() {
        let loaded = parse("titel = \"T\"\n[publish]\nbuckt = \"b\"\n").unwrap();
        let msgs: Vec<String> = loaded.warnings.iter().map(|w| w.to_string()).collect();
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(
            msgs[0].contains("site.toml:1:") && msgs[0].contains("did you mean \"title\""),
            "{msgs:?}"
        );
        assert!(msgs[1].contains("site.toml:3:") && msgs[1].contains("\"publish.bucket\""));
    }

    #[test]
    fn invalid_base_url_is_an_error_with_line() {
        let err = parse("title = \"T\"\nbase_url = \"blog.example.com\"\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(matches!(err.problem, Problem::Invalid { ref field, .. } if field == "base_url"));
    }

    #[test]
    fn syntax_error_names_line() {
        let err = parse("title = \"T\"\nposts_per_page = = 3\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(matches!(err.problem, Problem::Syntax { .. }));
    }
}

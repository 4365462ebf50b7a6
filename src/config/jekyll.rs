//! What a Jekyll site's `_config.yml` says that site.toml must say for bucketpress: the posts'
//! `permalink` (also from `defaults` scoped to posts), the `timezone`, the `excerpt_separator`
//! and the files Jekyll `exclude`s. bucketpress does not read `_config.yml` (a mover's site.toml is the one place
//! the build is configured), so each setting that would change URLs, dates or what is
//! published becomes a warning with the exact line to add. Pure: the caller reads the file.

use serde::Deserialize;

use super::{Config, find_key_line};

/// The keys of `_config.yml` that matter here; the rest is ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct JekyllConfig {
    permalink: Option<String>,
    timezone: Option<String>,
    exclude: Vec<String>,
    excerpt_separator: Option<String>,
    defaults: Vec<Default>,
}

/// One entry of Jekyll's front matter `defaults`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Default {
    scope: Scope,
    values: Values,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Scope {
    path: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Values {
    permalink: Option<String>,
}

/// One thing to add to site.toml, at a line of `_config.yml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    /// The 1-based line of `_config.yml` the setting is on.
    pub line: usize,
    /// What to do, in full.
    pub text: String,
}

/// The hints for a site whose `_config.yml` reads `yml` and whose site.toml gave `config`.
/// `published` says whether a path (relative to the site, `/`-separated) is part of the
/// built site, for the `exclude` hint. A `_config.yml` that is not valid YAML gives one hint
/// saying so.
pub fn hints(yml: &str, config: &Config, published: &[String]) -> Vec<Hint> {
    let jekyll: JekyllConfig = match serde_saphyr::from_str(yml) {
        Ok(c) => c,
        Err(e) => {
            return vec![Hint {
                line: 1,
                text: format!(
                    "cannot read _config.yml ({}): its permalink, timezone and exclude are not \
                     checked against site.toml",
                    e.to_string().lines().next().unwrap_or("invalid YAML")
                ),
            }];
        }
    };
    let line = |key: &str| find_key_line(yml, key).unwrap_or(1);
    let mut out = Vec::new();
    let posts_permalink = jekyll
        .defaults
        .iter()
        .find(|d| {
            d.scope.kind.as_deref() == Some("posts")
                && d.scope.path.as_deref().unwrap_or("").is_empty()
        })
        .and_then(|d| d.values.permalink.clone())
        .map(|p| (p, "permalink"))
        .or_else(|| jekyll.permalink.clone().map(|p| (p, "permalink")));
    if let Some((pattern, key)) = posts_permalink
        && !config.permalinks.contains_key("posts")
    {
        out.push(Hint {
            line: line(key),
            text: format!(
                "Jekyll puts posts at `{pattern}`; bucketpress does not read _config.yml: add \
                 `[permalinks]` with `posts = \"{pattern}\"` to site.toml to keep their URLs"
            ),
        });
    }
    if let Some(zone) = &jekyll.timezone
        && config.timezone.is_empty()
    {
        out.push(Hint {
            line: line("timezone"),
            text: format!(
                "Jekyll dates posts in {zone}; add `timezone = \"{zone}\"` to site.toml, or \
                 dates written without an offset are read as UTC"
            ),
        });
    }
    if let Some(separator) = &jekyll.excerpt_separator
        && config.content.excerpt_separator.is_empty()
    {
        out.push(Hint {
            line: line("excerpt_separator"),
            text: format!(
                "Jekyll ends summaries at `{separator}`; add `[content]` with \
                 `excerpt_separator = \"{separator}\"` to site.toml"
            ),
        });
    }
    let leaking: Vec<&String> = jekyll
        .exclude
        .iter()
        .filter(|pattern| published.iter().any(|p| excluded_by(p, pattern)))
        .collect();
    if !leaking.is_empty() {
        let globs: Vec<String> = leaking
            .iter()
            .flat_map(|p| [format!("\"{p}\""), format!("\"{p}/**\"")])
            .collect();
        let names: Vec<&str> = leaking.iter().map(|s| s.as_str()).collect();
        out.push(Hint {
            line: line("exclude"),
            text: format!(
                "Jekyll leaves out {}, which bucketpress would publish: add `exclude = [{}]` \
                 to site.toml",
                names.join(", "),
                globs.join(", ")
            ),
        });
    }
    out
}

/// Whether Jekyll's `exclude` entry `pattern` leaves out `path`: the entry names the path or
/// one of its folders, with `*` and `?` as in a file name.
fn excluded_by(path: &str, pattern: &str) -> bool {
    let pattern = pattern.trim_matches('/');
    let Ok(glob) = globset::Glob::new(pattern) else {
        return false;
    };
    let matcher = glob.compile_matcher();
    let mut prefix = String::new();
    for part in path.split('/') {
        if !prefix.is_empty() {
            prefix.push('/');
        }
        prefix.push_str(part);
        if matcher.is_match(&prefix) || matcher.is_match(part) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHIRPY_LIKE: &str = "\
title: A blog
timezone: America/Mexico_City
exclude:
  - '*.gem'
  - tools
  - gulpfile.js
  - package*.json
defaults:
  - scope:
      path: ''
      type: posts
    values:
      layout: post
      permalink: /posts/:title/
  - scope:
      path: _drafts
    values:
      comments: false
";

    fn published() -> Vec<String> {
        [
            "tools/deploy.sh",
            "gulpfile.js",
            "assets/app.js",
            "about.md",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn each_setting_that_changes_urls_dates_or_what_is_published_is_a_hint() {
        let hints = hints(CHIRPY_LIKE, &Config::default_for_test(), &published());
        assert_eq!(hints.len(), 3, "{hints:#?}");
        assert!(hints[0].text.contains("posts = \"/posts/:title/\""));
        assert_eq!(hints[0].line, 14);
        assert!(hints[1].text.contains("timezone = \"America/Mexico_City\""));
        assert_eq!(hints[1].line, 2);
        assert!(
            hints[2].text.contains("tools, gulpfile.js"),
            "{}",
            hints[2].text
        );
        assert!(!hints[2].text.contains("*.gem"), "nothing matches *.gem");
        assert!(hints[2].text.contains("\"tools/**\""));
    }

    #[test]
    fn settings_site_toml_already_has_give_no_hint() {
        let mut config = Config::default_for_test();
        config.timezone = "America/Mexico_City".into();
        config
            .permalinks
            .insert("posts".into(), "/posts/:title/".into());
        let none_published: Vec<String> = vec!["about.md".into()];
        assert!(hints(CHIRPY_LIKE, &config, &none_published).is_empty());
    }

    #[test]
    fn a_top_level_permalink_is_the_posts_pattern_and_bad_yaml_says_so() {
        let hints_of = |yml: &str| hints(yml, &Config::default_for_test(), &[]);
        let h = hints_of("permalink: pretty\n");
        assert_eq!(h.len(), 1);
        assert!(h[0].text.contains("posts = \"pretty\""));
        let h = hints_of("title: [unclosed\n");
        assert_eq!(h.len(), 1);
        assert!(
            h[0].text.contains("cannot read _config.yml"),
            "{}",
            h[0].text
        );
    }
}

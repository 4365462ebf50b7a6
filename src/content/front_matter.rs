//! Front matter: split a source file into its YAML (`---`) or TOML (`+++`) header and its
//! Markdown body, and parse the header into [`FrontMatter`]. Pure functions over `&str`.
//!
//! Accepts what Jekyll, Hugo and Zola write, so their posts build unchanged: `tags` as a list or
//! a comma-separated string, Zola's `[taxonomies] tags`, Jekyll's `redirect_from`, Hugo's
//! `lastmod`, `publishDate`, Jekyll's `published`, `category`, `author` and space-separated tag
//! strings, Zola's `[taxonomies]` and `[extra]`, Hugo's `params`, and native TOML datetimes.
//! Every key not read here is kept for templates (`page.extra`).

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::{Map, Value};

use super::date::{self, SiteZone, parse_date};
use crate::error::{Problem, SyntaxFormat};

/// The header syntax of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `---` fences, YAML inside.
    Yaml,
    /// `+++` fences, TOML inside.
    Toml,
}

/// A source file cut in two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split<'a> {
    /// The header syntax, `None` when the file has no front matter.
    pub format: Option<Format>,
    /// The header text between the fences.
    pub front: &'a str,
    /// The 1-based line of the first header line (the line after the opening fence).
    pub front_line: usize,
    /// The Markdown body.
    pub body: &'a str,
    /// The 1-based line on which the body starts.
    pub body_line: usize,
}

/// An error at a 1-based line of the file.
pub(crate) type LineError = (usize, Problem);

/// Splits `text` into front matter and body.
pub fn split(text: &str) -> Result<Split<'_>, LineError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err((1, Problem::Empty));
    }
    let first_line_end = text.find('\n').map_or(text.len(), |i| i + 1);
    let fence = text[..first_line_end].trim_end();
    let (format, fence_str) = match fence {
        "---" => (Format::Yaml, "---"),
        "+++" => (Format::Toml, "+++"),
        _ => {
            return Ok(Split {
                format: None,
                front: "",
                front_line: 1,
                body: text,
                body_line: 1,
            });
        }
    };
    let mut offset = first_line_end;
    let mut line = 2;
    while offset < text.len() {
        let end = text[offset..]
            .find('\n')
            .map_or(text.len(), |i| offset + i + 1);
        if text[offset..end].trim_end() == fence_str {
            return Ok(Split {
                format: Some(format),
                front: &text[first_line_end..offset],
                front_line: 2,
                body: &text[end..],
                body_line: line + 1,
            });
        }
        offset = end;
        line += 1;
    }
    Err((1, Problem::UnclosedFrontMatter(fence_str)))
}

/// The fields bucketpress reads from a header; every other key is kept in `extra`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrontMatter {
    /// The title.
    pub title: Option<String>,
    /// The publication date.
    pub date: Option<DateTime<FixedOffset>>,
    /// Hugo's `publishDate`: the post is left out until then (and dated by it when it has no
    /// `date`).
    pub publish_date: Option<DateTime<FixedOffset>>,
    /// Hugo's `expiryDate`: the post is left out from then on.
    pub expiry_date: Option<DateTime<FixedOffset>>,
    /// The date of the last update.
    pub updated: Option<DateTime<FixedOffset>>,
    /// Tags, as written.
    pub tags: Vec<String>,
    /// Categories (`categories`, Jekyll's `category`, Zola's `[taxonomies] categories`).
    pub categories: Vec<String>,
    /// Authors (`authors`, `author`, Zola's `[taxonomies] authors`).
    pub authors: Vec<String>,
    /// A description for listings and meta tags.
    pub description: Option<String>,
    /// Drafts are built only with `--drafts` (Jekyll's `published: false` is a draft too).
    pub draft: bool,
    /// Overrides the slug taken from the file name.
    pub slug: Option<String>,
    /// Old URL paths that redirect here.
    pub aliases: Vec<String>,
    /// A template name to render with instead of the default.
    pub template: Option<String>,
    /// Jekyll's `layout`: used as `<layout>.html` when the site has that template.
    pub layout: Option<String>,
    /// Zola's `path`: the page's URL path.
    pub path: Option<String>,
    /// Hugo's `url`: the page's URL path.
    pub url: Option<String>,
    /// Jekyll's `permalink`: the page's URL path, placeholders allowed.
    pub permalink: Option<String>,
    /// Jekyll's `excerpt`: Markdown shown as the summary.
    pub excerpt: Option<String>,
    /// Jekyll's `excerpt_separator`: the summary is the text before it.
    pub excerpt_separator: Option<String>,
    /// `image`, `cover` or `cover.image`, Hugo's first `images`.
    pub image: Option<String>,
    /// A section's (`_index.md`) sort order of its posts: `date` (default), `title`,
    /// `weight` or `none`.
    pub sort_by: Option<String>,
    /// A section's posts per page.
    pub paginate_by: Option<usize>,
    /// A post's order in a section sorted by `weight`.
    pub weight: Option<i64>,
    /// `private = true`: encrypt the body for the default group.
    pub private: Option<bool>,
    /// `encrypt = "<group>"`: encrypt the body for that group (implies private).
    pub encrypt: Option<String>,
    /// Every other key, and the keys of Zola's `[extra]` and Hugo's `params` tables.
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// Warnings at 1-based lines of the file: keys that look like misspellings of known ones.
    pub warnings: Vec<LineError>,
}

/// How a header is read.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The zone of dates written without an offset.
    pub zone: SiteZone,
    /// Jekyll's habit: a `tags`/`categories` string is split on spaces (else on commas).
    pub space_separated: bool,
}

/// Parses a header with the default options. Errors carry the 1-based line within the file.
pub fn parse(split: &Split<'_>) -> Result<FrontMatter, LineError> {
    parse_with(split, &Options::default()).map_err(|mut e| e.swap_remove(0))
}

/// Parses a header, reporting every problem of it (sorted by line).
pub(crate) fn parse_with(split: &Split<'_>, opts: &Options) -> Result<FrontMatter, Vec<LineError>> {
    match parse_partial(split, opts) {
        Err(e) => Err(vec![e]),
        Ok((fm, errors)) if errors.is_empty() => Ok(fm),
        Ok((_, errors)) => Err(errors),
    }
}

/// Parses a header: `Err` when it is not valid YAML/TOML; else the fields that could be read
/// and the problems of the others (sorted by line; a field with a problem is left unset).
pub(crate) fn parse_partial(
    split: &Split<'_>,
    opts: &Options,
) -> Result<(FrontMatter, Vec<LineError>), LineError> {
    let map = match split.format {
        None => Map::new(),
        Some(Format::Yaml) => parse_yaml(split)?,
        Some(Format::Toml) => parse_toml(split)?,
    };
    let mut r = Reader {
        map,
        split,
        opts,
        errors: Vec::new(),
    };
    let date = r.date("date");
    let publish_date = r.date_any(&["publishDate", "publishdate", "publish_date"]);
    let expiry_date = r.date_any(&["expiryDate", "expirydate", "expiry_date"]);
    let updated = r.date_any(&["updated", "lastmod", "last_modified_at", "modified"]);
    let mut taxonomies = r.map.remove("taxonomies").and_then(|v| match v {
        Value::Object(m) => Some(m),
        _ => None,
    });
    let mut from_taxonomy = |r: &mut Reader<'_>, name: &'static str| {
        taxonomies
            .as_mut()
            .and_then(|t| t.remove(name))
            .map(|v| r.list_value(name, v, ListSplit::Commas))
            .unwrap_or_default()
    };
    let mut tags = r.list("tags", ListSplit::Words);
    tags.extend(from_taxonomy(&mut r, "tags"));
    let mut categories = r.list("categories", ListSplit::Words);
    categories.extend(r.list("category", ListSplit::Words));
    categories.extend(from_taxonomy(&mut r, "categories"));
    // A name has spaces: an `author` string is split on commas only.
    let mut authors = r.list("authors", ListSplit::Commas);
    authors.extend(r.list("author", ListSplit::Commas));
    authors.extend(from_taxonomy(&mut r, "authors"));
    let published = r.boolean("published");
    let draft = r.boolean("draft").unwrap_or(false) || published == Some(false);
    let image = r.image();
    let fm = FrontMatter {
        title: r.text("title"),
        date,
        publish_date,
        expiry_date,
        updated,
        tags,
        categories,
        authors,
        description: r.text("description"),
        draft,
        slug: r.text("slug"),
        aliases: {
            let mut a = r.list("aliases", ListSplit::No);
            a.extend(r.list("redirect_from", ListSplit::No));
            a
        },
        template: r.text("template"),
        layout: r.text("layout"),
        path: r.text("path"),
        url: r.text("url"),
        permalink: r.text("permalink"),
        excerpt: r.text("excerpt"),
        excerpt_separator: r.text("excerpt_separator"),
        image,
        sort_by: r.text("sort_by"),
        paginate_by: r.number("paginate_by").map(|n| n as usize),
        weight: r.number("weight").map(|n| n as i64),
        private: r.boolean("private"),
        encrypt: r.text("encrypt"),
        extra: Map::new(),
        warnings: Vec::new(),
    };
    if let Some(t) = taxonomies.filter(|t| !t.is_empty()) {
        r.map.insert("taxonomies".into(), Value::Object(t));
    }
    let mut extra = Map::new();
    for table in ["extra", "params"] {
        if let Some(Value::Object(m)) = r.map.remove(table) {
            extra.extend(m);
        }
    }
    let mut warnings =
        super::known_keys::near_misses(r.map.keys().map(String::as_str), |k| r.line(k));
    warnings.sort_by_key(|(line, _)| *line);
    for (k, v) in std::mem::take(&mut r.map) {
        extra.entry(k).or_insert(v);
    }
    r.errors.sort_by_key(|(line, _)| *line);
    Ok((
        FrontMatter {
            extra,
            warnings,
            ..fm
        },
        r.errors,
    ))
}

/// How a list written as one text is split.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ListSplit {
    /// Not at all: one item.
    No,
    /// On commas.
    Commas,
    /// On commas, else (Jekyll) on spaces.
    Words,
}

/// Takes the known keys out of a header's table, collecting every problem.
struct Reader<'a> {
    map: Map<String, Value>,
    split: &'a Split<'a>,
    opts: &'a Options,
    errors: Vec<LineError>,
}

impl Reader<'_> {
    fn line(&self, key: &str) -> usize {
        crate::error::find_key_line(self.split.front, key)
            .map_or(self.split.front_line.min(2), |l| {
                l + self.split.front_line - 1
            })
    }

    fn invalid(&mut self, key: &str, expected: &str, found: &Value) {
        let found = match found {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let line = self.line(key);
        self.errors.push((
            line,
            Problem::Invalid {
                field: key.to_string(),
                expected: expected.to_string(),
                found,
            },
        ));
    }

    /// A scalar as text (numbers and booleans as written); null as absent.
    fn text(&mut self, key: &str) -> Option<String> {
        match self.map.remove(key)? {
            Value::Null => None,
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            other => {
                self.invalid(key, "a text", &other);
                None
            }
        }
    }

    fn boolean(&mut self, key: &str) -> Option<bool> {
        match self.map.remove(key)? {
            Value::Null => None,
            Value::Bool(b) => Some(b),
            Value::String(s) if s == "true" || s == "false" => Some(s == "true"),
            other => {
                self.invalid(key, "true or false", &other);
                None
            }
        }
    }

    fn number(&mut self, key: &str) -> Option<u64> {
        match self.map.remove(key)? {
            Value::Null => None,
            Value::Number(n) if n.as_u64().is_some() => n.as_u64(),
            Value::String(s) if s.parse::<u64>().is_ok() => s.parse().ok(),
            other => {
                self.invalid(key, "a whole number", &other);
                None
            }
        }
    }

    fn date(&mut self, key: &str) -> Option<DateTime<FixedOffset>> {
        let text = self.text(key)?;
        match parse_date(&text, &self.opts.zone) {
            Some(d) => Some(d),
            None => {
                self.invalid(key, date::EXPECTED, &Value::String(text));
                None
            }
        }
    }

    fn date_any(&mut self, keys: &[&str]) -> Option<DateTime<FixedOffset>> {
        let mut found = None;
        for key in keys {
            found = found.or(self.date(key));
        }
        found
    }

    fn list(&mut self, key: &'static str, split: ListSplit) -> Vec<String> {
        match self.map.remove(key) {
            Some(v) => self.list_value(key, v, split),
            None => Vec::new(),
        }
    }

    /// A list of texts, or one text: split on commas when it has one, else (`ListSplit::Words`
    /// with `space_separated`, Jekyll's habit) on spaces.
    fn list_value(&mut self, key: &str, value: Value, split: ListSplit) -> Vec<String> {
        let scalar = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        match value {
            Value::Null => Vec::new(),
            Value::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    match scalar(&item) {
                        Some(s) => out.push(s),
                        None => self.invalid(key, "a list of texts", &item),
                    }
                }
                out
            }
            Value::String(s) if split != ListSplit::No => {
                let words: Vec<&str> = if s.contains(',') {
                    s.split(',').collect()
                } else if split == ListSplit::Words && self.opts.space_separated {
                    s.split_whitespace().collect()
                } else {
                    vec![s.as_str()]
                };
                words
                    .into_iter()
                    .map(str::trim)
                    .filter(|w| !w.is_empty())
                    .map(String::from)
                    .collect()
            }
            other => match scalar(&other) {
                Some(s) => vec![s],
                None => {
                    self.invalid(key, "a text or a list of texts", &other);
                    Vec::new()
                }
            },
        }
    }

    /// `image`, `cover` (a text, or a table with `image`/`path`/`src`), or Hugo's `images`.
    fn image(&mut self) -> Option<String> {
        let of = |v: &Value| -> Option<String> {
            match v {
                Value::String(s) => Some(s.clone()),
                Value::Object(m) => ["image", "path", "src", "url"]
                    .iter()
                    .find_map(|k| m.get(*k).and_then(Value::as_str).map(String::from)),
                Value::Array(a) => a.first().and_then(Value::as_str).map(String::from),
                _ => None,
            }
        };
        // Only a plain text is consumed: a table stays visible to templates in `extra`.
        let mut found = None;
        for key in ["image", "cover", "images"] {
            if found.is_none()
                && let Some(v) = self.map.get(key)
            {
                found = of(v);
                if v.is_string() {
                    self.map.remove(key);
                }
            }
        }
        found
    }
}

fn parse_yaml(split: &Split<'_>) -> Result<Map<String, Value>, LineError> {
    if split.front.trim().is_empty() {
        return Ok(Map::new());
    }
    let value = serde_saphyr::from_str::<Value>(split.front).map_err(|e| {
        let location = e.location();
        let line = location.map_or(split.front_line, |l| {
            l.line() as usize + split.front_line - 1
        });
        let message = e.to_string();
        let message = crate::error::plain_words(message.lines().next().unwrap_or("invalid YAML"));
        (
            line,
            Problem::Syntax {
                format: SyntaxFormat::YamlFrontMatter,
                column: location.map(|l| l.column() as usize),
                message,
            },
        )
    })?;
    match value {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        _ => Err((
            split.front_line,
            Problem::Syntax {
                format: SyntaxFormat::YamlFrontMatter,
                column: None,
                message: "expected `key: value` lines".into(),
            },
        )),
    }
}

fn parse_toml(split: &Split<'_>) -> Result<Map<String, Value>, LineError> {
    let to_error = |message: String, span: Option<std::ops::Range<usize>>| {
        let line = span.clone().map_or(split.front_line, |s| {
            crate::error::line_of(split.front, s.start) + split.front_line - 1
        });
        (
            line,
            Problem::Syntax {
                format: SyntaxFormat::TomlFrontMatter,
                column: span.map(|s| crate::error::column_of(split.front, s.start)),
                message,
            },
        )
    };
    let mut table: toml::Table = toml::from_str(split.front)
        .map_err(|e| to_error(crate::error::plain_words(e.message()), e.span()))?;
    // TOML has native datetimes; the date fields are read as text and checked below.
    for (_, value) in table.iter_mut() {
        stringify_datetimes(value);
    }
    match serde_json::to_value(table) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(to_error("cannot read the table".into(), None)),
    }
}

fn stringify_datetimes(value: &mut toml::Value) {
    match value {
        toml::Value::Datetime(d) => *value = toml::Value::String(d.to_string()),
        toml::Value::Table(t) => t.iter_mut().for_each(|(_, v)| stringify_datetimes(v)),
        toml::Value::Array(a) => a.iter_mut().for_each(stringify_datetimes),
        _ => {}
    }
}

/// Parses a date in UTC (see `date::parse_date` for the forms).
pub fn parse_date_utc(s: &str) -> Option<DateTime<FixedOffset>> {
    parse_date(s, &SiteZone::Utc)
}

/// Now, as the fixed-offset type dates use.
pub fn now() -> DateTime<FixedOffset> {
    Utc::now().fixed_offset()
}

#[cfg(test)]
#[path = "front_matter_tests.rs"]
mod tests;

//! Front matter: split a source file into its YAML (`---`) or TOML (`+++`) header and its
//! Markdown body, and parse the header into [`FrontMatter`]. Pure functions over `&str`.
//!
//! Accepts what Jekyll, Hugo and Zola write, so their posts build unchanged: `tags` as a list or
//! a comma-separated string, Zola's `[taxonomies] tags`, Jekyll's `redirect_from`, Hugo's
//! `lastmod`, and native TOML datetimes.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;

use crate::error::Problem;

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
pub type LineError = (usize, Problem);

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

/// The fields bucketpress reads from a header. Unknown fields are ignored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrontMatter {
    /// The title.
    pub title: Option<String>,
    /// The publication date.
    pub date: Option<DateTime<FixedOffset>>,
    /// The date of the last update.
    pub updated: Option<DateTime<FixedOffset>>,
    /// Tags, as written.
    pub tags: Vec<String>,
    /// A description for listings and meta tags.
    pub description: Option<String>,
    /// Drafts are built only with `--drafts`.
    pub draft: bool,
    /// Overrides the slug taken from the file name.
    pub slug: Option<String>,
    /// Old URL paths that redirect here.
    pub aliases: Vec<String>,
    /// A template name to render with instead of the default.
    pub template: Option<String>,
    /// A cover image (relative to the Markdown file, or `/img/…` for `static/`).
    pub cover: Option<String>,
    /// `private = true`: encrypt the body for the default group.
    pub private: Option<bool>,
    /// `encrypt = "<group>"`: encrypt the body for that group (implies private).
    pub encrypt: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self, split_commas: bool) -> Vec<String> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(s) if split_commas => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Deserialize, Default)]
struct Taxonomies {
    #[serde(default)]
    tags: OneOrMany,
}

/// The header as written, before dates are checked.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Raw {
    title: Option<String>,
    date: Option<String>,
    #[serde(alias = "lastmod")]
    updated: Option<String>,
    tags: OneOrMany,
    taxonomies: Option<Taxonomies>,
    description: Option<String>,
    draft: Option<bool>,
    slug: Option<String>,
    #[serde(alias = "redirect_from")]
    aliases: OneOrMany,
    template: Option<String>,
    cover: Option<String>,
    private: Option<bool>,
    encrypt: Option<String>,
}

/// Parses a header. Errors carry the 1-based line within the whole file.
pub fn parse(split: &Split<'_>) -> Result<FrontMatter, LineError> {
    let raw: Raw = match split.format {
        None => Raw::default(),
        Some(Format::Yaml) => parse_yaml(split)?,
        Some(Format::Toml) => parse_toml(split)?,
    };
    let field_line = |key: &str| {
        crate::config::find_key_line(split.front, key).map_or(1, |l| l + split.front_line - 1)
    };
    let date_field = |key: &'static str, value: Option<String>| match value {
        None => Ok(None),
        Some(s) => parse_date(&s).map(Some).ok_or_else(|| {
            (
                field_line(key),
                Problem::Invalid {
                    field: key.to_string(),
                    expected: "YYYY-MM-DD or RFC 3339".to_string(),
                    found: s,
                },
            )
        }),
    };
    let date = date_field("date", raw.date)?;
    let updated = date_field("updated", raw.updated)?;
    let mut tags = raw.tags.into_vec(true);
    if let Some(tax) = raw.taxonomies {
        tags.extend(tax.tags.into_vec(true));
    }
    Ok(FrontMatter {
        title: raw.title,
        date,
        updated,
        tags,
        description: raw.description,
        draft: raw.draft.unwrap_or(false),
        slug: raw.slug,
        aliases: raw.aliases.into_vec(false),
        template: raw.template,
        cover: raw.cover,
        private: raw.private,
        encrypt: raw.encrypt,
    })
}

fn parse_yaml(split: &Split<'_>) -> Result<Raw, LineError> {
    if split.front.trim().is_empty() {
        return Ok(Raw::default());
    }
    serde_saphyr::from_str::<Raw>(split.front).map_err(|e| {
        let line = e.location().map_or(split.front_line, |l| {
            l.line() as usize + split.front_line - 1
        });
        let message = e.to_string();
        let message = message.lines().next().unwrap_or("invalid YAML").to_string();
        (
            line,
            Problem::Syntax(format!("invalid YAML front matter: {message}")),
        )
    })
}

fn parse_toml(split: &Split<'_>) -> Result<Raw, LineError> {
    let to_error = |e: toml::de::Error| {
        let line = e.span().map_or(split.front_line, |s| {
            crate::error::line_of(split.front, s.start) + split.front_line - 1
        });
        (
            line,
            Problem::Syntax(format!("invalid TOML front matter: {}", e.message())),
        )
    };
    let mut table: toml::Table = toml::from_str(split.front).map_err(to_error)?;
    // TOML has native datetimes; the date fields are read as text and checked below.
    for (_, value) in table.iter_mut() {
        stringify_datetimes(value);
    }
    Raw::deserialize(toml::Value::Table(table)).map_err(to_error)
}

fn stringify_datetimes(value: &mut toml::Value) {
    match value {
        toml::Value::Datetime(d) => *value = toml::Value::String(d.to_string()),
        toml::Value::Table(t) => t.iter_mut().for_each(|(_, v)| stringify_datetimes(v)),
        toml::Value::Array(a) => a.iter_mut().for_each(stringify_datetimes),
        _ => {}
    }
}

/// Parses `YYYY-MM-DD`, RFC 3339, and the `YYYY-MM-DD HH:MM:SS[ ±hhmm]` forms Jekyll and
/// TOML local datetimes use. Dates without a zone are taken as UTC.
pub fn parse_date(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d);
    }
    if let Ok(d) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S %z") {
        return Some(d);
    }
    let utc = FixedOffset::east_opt(0)?;
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, format) {
            return Some(utc.from_utc_datetime(&d));
        }
    }
    let day = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0)?))
}

/// Now, as the fixed-offset type dates use.
pub fn now() -> DateTime<FixedOffset> {
    Utc::now().fixed_offset()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fm(text: &str) -> Result<FrontMatter, LineError> {
        parse(&split(text)?)
    }

    #[test]
    fn splits_yaml_and_counts_lines() {
        let s = split("---\ntitle: A\n---\nbody\n").unwrap();
        assert_eq!(s.format, Some(Format::Yaml));
        assert_eq!(s.front, "title: A\n");
        assert_eq!(s.body, "body\n");
        assert_eq!(s.body_line, 4);
    }

    #[test]
    fn splits_toml() {
        let s = split("+++\ntitle = \"A\"\n+++\n\nbody").unwrap();
        assert_eq!(s.format, Some(Format::Toml));
        assert_eq!(s.body, "\nbody");
    }

    #[test]
    fn unclosed_fence_is_an_error() {
        assert_eq!(
            split("---\ntitle: A\nbody\n").unwrap_err(),
            (1, Problem::UnclosedFrontMatter("---"))
        );
    }

    #[test]
    fn empty_file_is_an_error() {
        assert_eq!(split("  \n").unwrap_err().1, Problem::Empty);
    }

    #[test]
    fn no_front_matter_is_all_body() {
        let s = split("# Hello\n").unwrap();
        assert_eq!(s.format, None);
        assert_eq!(s.body, "# Hello\n");
    }

    #[test]
    fn yaml_fields() {
        let f = fm("---\ntitle: Hello\ndate: 2024-03-01\ntags: [a, b]\ndraft: true\naliases: [/old/]\n---\n")
            .unwrap();
        assert_eq!(f.title.as_deref(), Some("Hello"));
        assert_eq!(f.date.unwrap().to_rfc3339(), "2024-03-01T00:00:00+00:00");
        assert_eq!(f.tags, ["a", "b"]);
        assert!(f.draft);
        assert_eq!(f.aliases, ["/old/"]);
    }

    #[test]
    fn jekyll_style_tags_and_redirects() {
        let f = fm("---\ntitle: J\ndate: 2024-03-01 10:20:30 +0200\ntags: rust, web\nredirect_from: /x/\n---\n")
            .unwrap();
        assert_eq!(f.tags, ["rust", "web"]);
        assert_eq!(f.aliases, ["/x/"]);
        assert_eq!(f.date.unwrap().to_rfc3339(), "2024-03-01T10:20:30+02:00");
    }

    #[test]
    fn toml_native_dates_and_zola_taxonomies() {
        let f = fm("+++\ntitle = \"Z\"\ndate = 2024-05-06T07:08:09Z\n[taxonomies]\ntags = [\"rust\"]\n+++\n")
            .unwrap();
        assert_eq!(f.date.unwrap().to_rfc3339(), "2024-05-06T07:08:09+00:00");
        assert_eq!(f.tags, ["rust"]);
        let f = fm("+++\ntitle = \"Z\"\ndate = 2024-05-06\n+++\n").unwrap();
        assert_eq!(f.date.unwrap().to_rfc3339(), "2024-05-06T00:00:00+00:00");
    }

    #[test]
    fn bad_date_names_field_line_and_expectation() {
        let (line, problem) = fm("---\ntitle: A\ndate: soon\n---\n").unwrap_err();
        assert_eq!(line, 3);
        assert_eq!(
            problem,
            Problem::Invalid {
                field: "date".into(),
                expected: "YYYY-MM-DD or RFC 3339".into(),
                found: "soon".into()
            }
        );
    }

    #[test]
    fn impossible_date_is_rejected() {
        assert!(parse_date("2023-02-30").is_none());
        assert!(parse_date("2024-02-29").is_some());
    }

    #[test]
    fn malformed_yaml_reports_line() {
        let (line, problem) = fm("---\ntitle: A\ntags: [a, b\n---\n").unwrap_err();
        assert!(matches!(problem, Problem::Syntax(_)), "{problem:?}");
        assert!((2..=4).contains(&line), "line {line}");
    }

    #[test]
    fn private_and_encrypt_in_yaml_and_toml() {
        let f = fm("---\ntitle: A\nprivate: true\n---\n").unwrap();
        assert_eq!((f.private, f.encrypt.as_deref()), (Some(true), None));
        let f = fm("+++\ntitle = \"A\"\nprivate = true\n+++\n").unwrap();
        assert_eq!(f.private, Some(true));
        let f = fm("+++\ntitle = \"A\"\nencrypt = \"family\"\n+++\n").unwrap();
        assert_eq!((f.private, f.encrypt.as_deref()), (None, Some("family")));
        let f = fm("---\ntitle: A\nencrypt: family\n---\n").unwrap();
        assert_eq!(f.encrypt.as_deref(), Some("family"));
        assert_eq!(fm("---\ntitle: A\n---\n").unwrap().private, None);
    }

    #[test]
    fn malformed_toml_reports_line() {
        let (line, problem) = fm("+++\ntitle = \"A\"\ndate = = 3\n+++\n").unwrap_err();
        assert!(matches!(problem, Problem::Syntax(_)));
        assert_eq!(line, 3);
    }
}

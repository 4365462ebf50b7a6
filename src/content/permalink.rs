//! URL patterns as Jekyll and Hugo write them (`/:year/:month/:day/:title/`,
//! `/:categories/:title:output_ext`), expanded for one document. Pure.
//!
//! `:title` and `:slug` mean what the tool that laid the document out means: for a Jekyll
//! post (`_posts/`) both are the file name (Jekyll keeps its case in `:title`) unless `slug`
//! is set; for a document under `content/` (Hugo), `:title` is the title made into a URL
//! and `:slug` is `slug`, else the same. `:name` is always bucketpress's own slug: `slug`,
//! else the file name without its date (`/posts/:name/` is where bucketpress put posts
//! before it kept sub-folders).

use chrono::{DateTime, Datelike, FixedOffset, Timelike};

/// Jekyll's named permalink styles.
const STYLES: &[(&str, &str)] = &[
    ("date", "/:categories/:year/:month/:day/:title:output_ext"),
    ("pretty", "/:categories/:year/:month/:day/:title/"),
    ("ordinal", "/:categories/:year/:y_day/:title:output_ext"),
    (
        "weekdate",
        "/:categories/:year/W:week/:short_day/:title:output_ext",
    ),
    ("none", "/:categories/:title:output_ext"),
];

/// Jekyll's default for posts: the `date` style.
pub(crate) const JEKYLL_DEFAULT: &str = "date";

/// What a pattern's placeholders are filled from.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    /// The date, already in the zone the URL is made in.
    pub date: Option<DateTime<FixedOffset>>,
    /// The title.
    pub title: &'a str,
    /// `slug` from the front matter.
    pub slug: Option<&'a str>,
    /// The file stem without its date, or the bundle folder's name.
    pub name: &'a str,
    /// The file stem as it is (Hugo's `:filename`).
    pub filename: &'a str,
    /// The document's slug as bucketpress makes it: `slug`, else the file or bundle name
    /// without its date, made into a URL (`:name`).
    pub doc_slug: &'a str,
    /// Categories (Jekyll: the folders above `_posts/`, then the front matter's).
    pub categories: &'a [String],
    /// The section (`posts`, or `blog/rust` for a nested one).
    pub section: &'a str,
    /// Folders between the section and the file.
    pub dirs: &'a [String],
    /// Jekyll's meaning of `:title`/`:slug` (else Hugo's).
    pub jekyll: bool,
}

/// The pattern a Jekyll style name stands for, or the pattern itself.
pub(crate) fn resolve_style(pattern: &str) -> &str {
    STYLES
        .iter()
        .find(|(name, _)| *name == pattern)
        .map_or(pattern, |(_, p)| p)
}

/// Expands `pattern` (or a Jekyll style name) into a URL path; `Err` names an unknown
/// placeholder or a date placeholder with no date.
pub fn expand(pattern: &str, f: &Fields<'_>) -> Result<String, String> {
    let pattern = resolve_style(pattern);
    let mut out = String::with_capacity(pattern.len() + 32);
    let mut rest = pattern;
    while let Some(at) = rest.find(':') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphabetic() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..len];
        if name.is_empty() {
            out.push(':');
        } else {
            out.push_str(&token(name, f)?);
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    Ok(tidy(&out))
}

fn token(name: &str, f: &Fields<'_>) -> Result<String, String> {
    let dated = |g: &dyn Fn(&DateTime<FixedOffset>) -> String| {
        f.date
            .as_ref()
            .map(g)
            .ok_or_else(|| format!(":{name} needs a date"))
    };
    Ok(match name {
        "year" => dated(&|d| format!("{:04}", d.year()))?,
        "short_year" => dated(&|d| format!("{:02}", d.year() % 100))?,
        "month" => dated(&|d| format!("{:02}", d.month()))?,
        "i_month" => dated(&|d| d.month().to_string())?,
        "monthname" => dated(&|d| d.format("%B").to_string().to_lowercase())?,
        "day" => dated(&|d| format!("{:02}", d.day()))?,
        "i_day" => dated(&|d| d.day().to_string())?,
        "y_day" => dated(&|d| format!("{:03}", d.ordinal()))?,
        "week" => dated(&|d| format!("{:02}", d.iso_week().week()))?,
        "short_day" => dated(&|d| d.format("%a").to_string())?,
        "weekday" => dated(&|d| d.weekday().num_days_from_sunday().to_string())?,
        "hour" => dated(&|d| format!("{:02}", d.hour()))?,
        "minute" => dated(&|d| format!("{:02}", d.minute()))?,
        "second" => dated(&|d| format!("{:02}", d.second()))?,
        "title" if f.jekyll => jekyll_title(f.slug.unwrap_or(f.name)),
        "title" => urlize(f.title),
        "slug" if f.jekyll => slug::slugify(f.slug.unwrap_or(f.name)),
        "slug" => f.slug.map_or_else(|| urlize(f.title), String::from),
        "filename" | "contentbasename" => f.filename.to_string(),
        "name" => f.doc_slug.to_string(),
        "categories" => {
            let mut seen: Vec<String> = Vec::new();
            for c in f.categories {
                let c = category_segment(c);
                if !seen.contains(&c) {
                    seen.push(c);
                }
            }
            seen.join("/")
        }
        "section" => f.section.split('/').next().unwrap_or("").to_string(),
        "sections" => {
            let mut parts: Vec<&str> = f.section.split('/').filter(|s| !s.is_empty()).collect();
            parts.extend(f.dirs.iter().map(String::as_str));
            parts.join("/")
        }
        "path" => {
            let mut parts: Vec<&str> = f.dirs.iter().map(String::as_str).collect();
            parts.push(f.name);
            parts.join("/")
        }
        "output_ext" => ".html".into(),
        other => return Err(format!("unknown placeholder :{other}")),
    })
}

/// A category as a URL segment: Jekyll lowercases it; what a URL cannot hold becomes `-`.
fn category_segment(c: &str) -> String {
    let lower = c.to_lowercase();
    if lower.chars().all(super::url::is_key_safe) {
        lower
    } else {
        slug::slugify(&lower)
    }
}

/// Jekyll's `:title`: the name with its case, characters a URL cannot hold made `-`.
fn jekyll_title(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if super::url::is_key_safe(c) {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// Hugo's `urlize` of a title: lowercase, spaces to `-` (one for a run), other punctuation
/// dropped; a title with letters outside ASCII is transliterated.
pub(crate) fn urlize(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    for c in title.trim().chars() {
        let c = if c.is_whitespace() { '-' } else { c };
        if c == '-' && out.ends_with('-') {
            continue;
        }
        if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~') {
            out.push(c.to_ascii_lowercase());
        } else if c.is_alphanumeric() {
            return slug::slugify(title);
        }
    }
    out
}

/// Why `pattern` cannot be a URL pattern (an unknown placeholder), if it cannot.
pub(crate) fn check_pattern(pattern: &str) -> Option<String> {
    let sample = Fields {
        date: chrono::DateTime::parse_from_rfc3339("2014-05-06T10:20:30Z").ok(),
        title: "t",
        slug: None,
        name: "n",
        filename: "n",
        doc_slug: "n",
        categories: &[],
        section: "s",
        dirs: &[],
        jekyll: false,
    };
    expand(pattern, &sample).err()
}

/// Collapses doubled slashes and makes the path start with one.
fn tidy(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 1);
    out.push('/');
    for c in path.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::date::{SiteZone, parse_date};

    fn fields<'a>(jekyll: bool, categories: &'a [String]) -> Fields<'a> {
        Fields {
            date: parse_date("2014-05-06 10:20:30", &SiteZone::Utc),
            title: "Hello, World: Take 2",
            slug: None,
            name: "Hello-World",
            filename: "2014-05-06-Hello-World",
            doc_slug: "hello-world",
            categories,
            section: "posts",
            dirs: &[],
            jekyll,
        }
    }

    #[test]
    fn jekyll_styles_and_placeholders() {
        let cats = vec!["Release".to_string(), "News".to_string()];
        let j = fields(true, &cats);
        assert_eq!(
            expand("date", &j).unwrap(),
            "/release/news/2014/05/06/Hello-World.html"
        );
        assert_eq!(
            expand("pretty", &fields(true, &[])).unwrap(),
            "/2014/05/06/Hello-World/"
        );
        assert_eq!(
            expand("none", &fields(true, &[])).unwrap(),
            "/Hello-World.html"
        );
        assert_eq!(
            expand("/:year/:i_month/:i_day/:slug/", &j).unwrap(),
            "/2014/5/6/hello-world/"
        );
        assert_eq!(
            expand("ordinal", &fields(true, &[])).unwrap(),
            "/2014/126/Hello-World.html"
        );
    }

    #[test]
    fn hugo_placeholders() {
        let h = fields(false, &[]);
        assert_eq!(
            expand("/:year/:month/:title/", &h).unwrap(),
            "/2014/05/hello-world-take-2/"
        );
        assert_eq!(
            expand("/:section/:slug/", &h).unwrap(),
            "/posts/hello-world-take-2/"
        );
        let with_slug = Fields {
            slug: Some("hw"),
            ..h
        };
        assert_eq!(
            expand("/:section/:slug/", &with_slug).unwrap(),
            "/posts/hw/"
        );
        assert_eq!(
            expand("/:filename/", &h).unwrap(),
            "/2014-05-06-Hello-World/"
        );
        assert_eq!(expand("/:monthname/:day/", &h).unwrap(), "/may/06/");
        assert_eq!(expand("/posts/:name/", &h).unwrap(), "/posts/hello-world/");
        assert_eq!(urlize("Hello, World: Rust & Go!"), "hello-world-rust-go");
        assert_eq!(urlize("An old .mdown file"), "an-old-.mdown-file");
    }

    #[test]
    fn unknown_placeholders_and_missing_dates_are_errors() {
        assert!(expand("/:nope/", &fields(false, &[])).is_err());
        let undated = Fields {
            date: None,
            ..fields(false, &[])
        };
        assert!(expand("/:year/:slug/", &undated).is_err());
    }
}

//! A document's URL: Zola's `path`, Hugo's `url`, Jekyll's `permalink`, the site's
//! `[permalinks]` patterns, else the folders it sits in; and the checks that keep every URL a
//! safe object key. Pure.

use chrono::{DateTime, FixedOffset};

use super::date::date_in_name;
use super::doc::DocKind;
use super::front_matter::FrontMatter;
use super::permalink::{self, Fields};
use super::section::Place;
use super::settings::ContentOptions;
use crate::error::Problem;

/// The URL of a document and the object key it is written to. `Err` names the front matter
/// field at fault.
pub(super) fn doc_url(
    place: &Place,
    fm: &FrontMatter,
    title: &str,
    slug: &str,
    date: Option<DateTime<FixedOffset>>,
    opts: &ContentOptions,
) -> Result<(String, String), (&'static str, Problem)> {
    let fields = |date: Option<DateTime<FixedOffset>>| Fields {
        date,
        title,
        slug: fm.slug.as_deref(),
        name: strip_date(&place.stem),
        doc_slug: slug,
        filename: &place.stem,
        categories: &place.categories,
        section: &place.section,
        dirs: &place.dirs,
        jekyll: place.jekyll,
    };
    // Jekyll makes a post's URL from its date in the site's zone; Hugo from the date as written.
    let url_date = if place.jekyll {
        date.map(|d| opts.zone.convert(&d))
    } else {
        date
    };
    let mut categories = place.categories.clone();
    categories.extend(fm.categories.iter().cloned());
    let expand = |field: &'static str, pattern: &str| {
        let f = Fields {
            categories: &categories,
            ..fields(url_date)
        };
        permalink::expand(pattern, &f).map_err(|message| {
            (
                field,
                Problem::Invalid {
                    field: field.into(),
                    expected: format!("a URL pattern ({message})"),
                    found: pattern.to_string(),
                },
            )
        })
    };
    let path = if place.kind == DocKind::Section {
        if place.section.is_empty() {
            "/".to_string()
        } else {
            format!("/{}/", place.section)
        }
    } else if let Some(p) = &fm.path {
        // Zola's `path` is the page's path, with or without slashes.
        format!("/{}/", p.trim_matches('/'))
    } else if let Some(u) = &fm.url {
        u.clone()
    } else if let Some(p) = &fm.permalink {
        expand("permalink", p)?
    } else if let Some(pattern) = opts.permalinks.get(&place.section) {
        expand("permalinks", pattern)?
    } else if place.kind == DocKind::Post && place.jekyll {
        expand("permalinks", permalink::JEKYLL_DEFAULT)?
    } else if place.jekyll {
        // A Jekyll page: `/about.html`, or `/about/` when posts have pretty URLs.
        let posts = opts
            .permalinks
            .get("posts")
            .map_or(permalink::JEKYLL_DEFAULT, String::as_str);
        let pretty = permalink::resolve_style(posts).ends_with('/');
        let mut parts: Vec<&str> = Vec::new();
        if !place.section.is_empty() {
            parts.push(&place.section);
        }
        parts.extend(place.dirs.iter().map(String::as_str));
        parts.push(slug);
        let path = parts.join("/");
        if pretty {
            format!("/{path}/")
        } else {
            format!("/{path}.html")
        }
    } else {
        let mut parts: Vec<&str> = Vec::new();
        if !place.section.is_empty() {
            parts.push(&place.section);
        }
        parts.extend(place.dirs.iter().map(String::as_str));
        parts.push(slug);
        format!("/{}/", parts.join("/"))
    };
    let field = match (&fm.path, &fm.url, &fm.permalink) {
        (Some(_), _, _) => "path",
        (_, Some(_), _) => "url",
        (_, _, Some(_)) => "permalink",
        _ => "permalinks",
    };
    if path == "/" {
        return Ok(("/".into(), "index.html".into()));
    }
    let key = url_key(&path, field).map_err(|p| (field, p))?;
    let url = match key.strip_suffix("index.html") {
        Some(dir) => format!("/{dir}"),
        None => format!("/{key}"),
    };
    Ok((url, key))
}

/// The name without a leading `YYYY-MM-DD-`.
pub(super) fn strip_date(name: &str) -> &str {
    match date_in_name(name) {
        Some(_) if name.len() > 11 => &name[11..],
        _ => name,
    }
}

/// The slug a file or bundle name gives, without a leading `YYYY-MM-DD-` (Jekyll and Zola
/// name posts that way).
pub(super) fn slug_from_name(name: &str) -> String {
    let s = slug::slugify(strip_date(name));
    if s.is_empty() { "untitled".into() } else { s }
}

/// True for the characters an object key segment may hold.
pub(crate) fn is_key_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~')
}

pub(super) fn validate_slug(slug: &str) -> Result<String, Problem> {
    let ok =
        !slug.is_empty() && slug != "." && !slug.contains("..") && slug.chars().all(is_key_safe);
    if ok {
        Ok(slug.to_string())
    } else {
        Err(Problem::Invalid {
            field: "slug".into(),
            expected: "letters, digits, '-', '_', '.' or '~' only (no '/', no '..')".into(),
            found: slug.to_string(),
        })
    }
}

/// Turns an alias URL path (`/2019/01/old/` or `/old.html`) into the object key that will
/// redirect (`2019/01/old/index.html`, `old.html`).
pub(crate) fn alias_key(alias: &str) -> Result<String, Problem> {
    url_key(alias, "aliases")
}

/// The object key a URL path is written to (`/a/b/` → `a/b/index.html`, `/a.html` →
/// `a.html`); `field` names the setting in the message when the path is not a safe one.
fn url_key(alias: &str, field: &str) -> Result<String, Problem> {
    let invalid = || {
        Problem::Invalid {
        field: field.into(),
        expected: "a site path such as \"/2019/01/old-name/\" (letters, digits, '-', '_', '.', '/'; no '..')".into(),
        found: alias.to_string(),
    }
    };
    let path = alias.trim().trim_start_matches('/');
    let segments_ok = path.trim_end_matches('/').split('/').all(|s| {
        !s.is_empty() && s != "." && s != ".." && !s.starts_with('.') && s.chars().all(is_key_safe)
    });
    if path.is_empty() || !segments_ok {
        return Err(invalid());
    }
    let last = path.rsplit('/').next().unwrap_or("");
    if path.ends_with('/') {
        Ok(format!("{path}index.html"))
    } else if last.ends_with(".html") || last.ends_with(".htm") {
        Ok(path.to_string())
    } else {
        Ok(format!("{path}/index.html"))
    }
}
/// The path part of a base URL without its slashes: `blog` for `https://example.com/blog/`.
fn base_dir(base_url: &str) -> &str {
    let rest = base_url.split_once("://").map_or("", |(_, rest)| rest);
    rest.split_once('/')
        .map_or("", |(_, p)| p)
        .trim_matches('/')
}

/// The link to a site path (`/posts/x/`) as pages write it, for a site at `base_url`: under
/// the base path, so a site published below a prefix (`https://example.com/blog/`) links
/// correctly.
pub(crate) fn href(base_url: &str, path: &str) -> String {
    // Called for every link of every page: one allocation, no formatting machinery.
    let dir = base_dir(base_url);
    let rest = path.trim_start_matches('/');
    let mut href = String::with_capacity(dir.len() + rest.len() + 2);
    href.push('/');
    if !dir.is_empty() {
        href.push_str(dir);
        href.push('/');
    }
    href.push_str(rest);
    href
}

/// The absolute URL of a site path such as `/posts/x/`, for a site at `base_url`.
pub(crate) fn permalink(base_url: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base_url.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

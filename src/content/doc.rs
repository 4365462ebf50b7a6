//! A post or standalone page parsed from one Markdown file: `Doc::parse` is pure, so tests feed
//! it inline strings; the loader only reads files and calls it.

use chrono::{DateTime, FixedOffset};

use super::front_matter::{self, FrontMatter};
use crate::error::Problem;

/// Whether a document is a dated post or a standalone page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    /// Under `content/posts/`: dated, listed, tagged, in the feed.
    Post,
    /// Anywhere else under `content/`: e.g. `/about/`.
    Page,
}

/// A parsed source document.
#[derive(Debug, Clone)]
pub struct Doc {
    /// Post or page.
    pub kind: DocKind,
    /// The path relative to the site, `/`-separated: `content/posts/hello.md`.
    pub rel_path: String,
    /// The title.
    pub title: String,
    /// The publication date (always set for posts).
    pub date: Option<DateTime<FixedOffset>>,
    /// The date of the last update.
    pub updated: Option<DateTime<FixedOffset>>,
    /// Tags as written.
    pub tags: Vec<String>,
    /// A description for listings and meta tags.
    pub description: Option<String>,
    /// Drafts are built only with `--drafts` and never published.
    pub draft: bool,
    /// The last URL segment.
    pub slug: String,
    /// The URL path, with slashes at both ends: `/posts/hello/`.
    pub url: String,
    /// The object key of the rendered page, made from `url` once: `posts/hello/index.html`.
    key: String,
    /// Old URL paths that redirect here, as object keys (`2019/old/index.html`).
    pub aliases: Vec<String>,
    /// A template to render with instead of `post.html`/`page.html`.
    pub template: Option<String>,
    /// The cover image as written in the front matter (see [`crate::images`]).
    pub cover: Option<String>,
    /// The encryption group of a private document (`"default"` for `private: true`), `None`
    /// for a public one.
    pub private: Option<String>,
    /// The Markdown body.
    pub body: String,
    /// The 1-based line where the body starts in the file.
    pub body_line: usize,
}

/// An error at a 1-based line of the document's file.
pub type DocError = (usize, Problem);

impl Doc {
    /// Parses a document's text. `rel_path` decides its kind, slug and URL; `bundle` is true
    /// for `…/<name>/index.md` page bundles, whose slug is the folder name.
    pub fn parse(rel_path: &str, text: &str) -> Result<Doc, DocError> {
        let split = front_matter::split(text)?;
        let kind = if rel_path.starts_with("content/posts/") {
            DocKind::Post
        } else {
            DocKind::Page
        };
        if split.format.is_none() && kind == DocKind::Post {
            return Err((1, Problem::NoFrontMatter));
        }
        let fm: FrontMatter = front_matter::parse(&split)?;
        let line_of = |key: &str| {
            crate::config::find_key_line(split.front, key).map_or(1, |l| l + split.front_line - 1)
        };
        let title = match fm.title {
            Some(t) if !t.trim().is_empty() => t,
            _ => return Err((split.front_line.min(2), Problem::Missing("title"))),
        };
        if kind == DocKind::Post && fm.date.is_none() {
            return Err((split.front_line.min(2), Problem::Missing("date")));
        }
        let slug = match fm.slug {
            Some(s) => validate_slug(&s).map_err(|p| (line_of("slug"), p))?,
            None => slug_from_path(rel_path),
        };
        let url = match kind {
            DocKind::Post => format!("/posts/{slug}/"),
            DocKind::Page => {
                let dir = page_dir(rel_path);
                if dir.is_empty() {
                    format!("/{slug}/")
                } else {
                    format!("/{dir}/{slug}/")
                }
            }
        };
        let aliases = fm
            .aliases
            .iter()
            .map(|a| alias_key(a).map_err(|p| (line_of("aliases"), p)))
            .collect::<Result<Vec<_>, _>>()?;
        for tag in &fm.tags {
            if tag_slug(tag).is_empty() {
                return Err((
                    line_of("tags"),
                    Problem::Invalid {
                        field: "tags".into(),
                        expected: "a tag with at least one letter or digit".into(),
                        found: tag.clone(),
                    },
                ));
            }
        }
        let private = crate::private::group_of(fm.private, fm.encrypt.as_deref()).map_err(|p| {
            let key = if fm.encrypt.is_some() {
                "encrypt"
            } else {
                "private"
            };
            (line_of(key), p)
        })?;
        Ok(Doc {
            kind,
            rel_path: rel_path.to_string(),
            title,
            date: fm.date,
            updated: fm.updated,
            tags: fm.tags,
            description: fm.description,
            draft: fm.draft,
            slug,
            key: format!("{}index.html", url.trim_start_matches('/')),
            url,
            aliases,
            template: fm.template,
            cover: fm.cover,
            private,
            body: split.body.to_string(),
            body_line: split.body_line,
        })
    }

    /// The object key of the rendered page: `posts/hello/index.html`.
    pub fn output_key(&self) -> &str {
        &self.key
    }

    /// For a bundle (`…/<name>/index.md`), the folder holding its assets, relative to the site.
    pub fn bundle_dir(&self) -> Option<&str> {
        self.rel_path
            .strip_suffix("/index.md")
            .filter(|dir| *dir != "content/posts" && *dir != "content")
    }
}

/// The URL slug of a tag: lowercase ASCII, `-` between words (`C++ / Rust` → `c-rust`).
pub fn tag_slug(tag: &str) -> String {
    slug::slugify(tag)
}

/// The slug a file name gives: the bundle folder for `index.md`, else the file stem, without a
/// leading `YYYY-MM-DD-` (Jekyll and Zola name posts that way).
fn slug_from_path(rel_path: &str) -> String {
    let without_ext = rel_path.strip_suffix(".md").unwrap_or(rel_path);
    let mut parts = without_ext.rsplit('/');
    let mut name = parts.next().unwrap_or("");
    if name == "index" {
        name = parts.next().unwrap_or("index");
    }
    let bytes = name.as_bytes();
    let dated = bytes.len() > 11
        && bytes[..10].iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
        && matches!(bytes[10], b'-' | b'_');
    let name = if dated { &name[11..] } else { name };
    let s = slug::slugify(name);
    if s.is_empty() { "untitled".into() } else { s }
}

/// The folder of a page under `content/` (`content/docs/x.md` → `docs`).
fn page_dir(rel_path: &str) -> String {
    let inner = rel_path.strip_prefix("content/").unwrap_or(rel_path);
    let inner = inner.strip_suffix("/index.md").unwrap_or(inner);
    match inner.rsplit_once('/') {
        Some((dir, _)) => dir.to_string(),
        None => String::new(),
    }
}

fn is_key_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~')
}

fn validate_slug(slug: &str) -> Result<String, Problem> {
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
fn alias_key(alias: &str) -> Result<String, Problem> {
    let invalid = || {
        Problem::Invalid {
        field: "aliases".into(),
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

#[cfg(test)]
mod tests {
    use super::*;

    const POST: &str = "---\ntitle: Hello\ndate: 2024-01-02\ntags: [Rust, Café au lait]\naliases: [/2024/01/hi/]\n---\nBody\n";

    #[test]
    fn post_fields_url_and_key() {
        let d = Doc::parse("content/posts/2024-01-02-hello-world.md", POST).unwrap();
        assert_eq!(d.kind, DocKind::Post);
        assert_eq!(d.slug, "hello-world");
        assert_eq!(d.url, "/posts/hello-world/");
        assert_eq!(d.output_key(), "posts/hello-world/index.html");
        assert_eq!(d.aliases, ["2024/01/hi/index.html"]);
        assert_eq!(d.body, "Body\n");
        assert_eq!(d.body_line, 7);
        assert_eq!(tag_slug(&d.tags[1]), "cafe-au-lait");
    }

    #[test]
    fn bundles_take_the_folder_name() {
        let d = Doc::parse("content/posts/trip/index.md", POST).unwrap();
        assert_eq!(d.slug, "trip");
        assert_eq!(d.bundle_dir(), Some("content/posts/trip"));
        let d = Doc::parse("content/posts/x.md", POST).unwrap();
        assert_eq!(d.bundle_dir(), None);
    }

    #[test]
    fn pages_live_at_their_path() {
        let d = Doc::parse("content/about.md", "---\ntitle: About\n---\nMe.\n").unwrap();
        assert_eq!((d.kind, d.url.as_str()), (DocKind::Page, "/about/"));
        let d = Doc::parse("content/docs/setup.md", "+++\ntitle = \"S\"\n+++\n").unwrap();
        assert_eq!(d.url, "/docs/setup/");
    }

    #[test]
    fn missing_title_and_date() {
        let (_, p) = Doc::parse("content/posts/a.md", "---\ndate: 2024-01-01\n---\n").unwrap_err();
        assert_eq!(p, Problem::Missing("title"));
        let (_, p) = Doc::parse("content/posts/a.md", "---\ntitle: A\n---\n").unwrap_err();
        assert_eq!(p, Problem::Missing("date"));
    }

    #[test]
    fn unsafe_slugs_and_aliases_are_rejected() {
        for slug in ["../x", "a/b", "/abs", "sp ace", ""] {
            let text = format!("---\ntitle: A\ndate: 2024-01-01\nslug: \"{slug}\"\n---\n");
            let (line, p) = Doc::parse("content/posts/a.md", &text).unwrap_err();
            assert_eq!(line, 4, "{slug}");
            assert!(
                matches!(p, Problem::Invalid { ref field, .. } if field == "slug"),
                "{slug}"
            );
        }
        for alias in ["/../etc/", "/a/../../b", "/a b/", "/.git/config", "/"] {
            let text = format!("---\ntitle: A\ndate: 2024-01-01\naliases: [\"{alias}\"]\n---\n");
            let (_, p) = Doc::parse("content/posts/a.md", &text).unwrap_err();
            assert!(
                matches!(p, Problem::Invalid { ref field, .. } if field == "aliases"),
                "{alias}"
            );
        }
    }

    #[test]
    fn alias_forms() {
        assert_eq!(alias_key("/old.html").unwrap(), "old.html");
        assert_eq!(alias_key("old/name").unwrap(), "old/name/index.html");
    }

    #[test]
    fn tags_slugify_consistently() {
        assert_eq!(tag_slug("C++ / Rust"), "c-rust");
        assert_eq!(tag_slug("Große Ideen"), "grosse-ideen");
        assert_eq!(tag_slug("web dev"), tag_slug("Web-Dev"));
        assert!(
            Doc::parse(
                "content/posts/a.md",
                "---\ntitle: A\ndate: 2024-01-01\ntags: [\"!!!\"]\n---\n"
            )
            .is_err()
        );
    }
}

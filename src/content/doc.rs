//! A post or standalone page parsed from one Markdown file: `Doc::parse` is pure, so tests feed
//! it inline strings; the loader only reads files and calls it.

use chrono::{DateTime, FixedOffset, NaiveTime};

use super::date::{date_in_name, date_in_path};
use super::front_matter::{self, FrontMatter};
use super::permalink::{self, Fields};
use super::section::{Place, place};
use super::settings::ContentOptions;
use crate::error::Problem;

/// Whether a document is a dated post, a standalone page or a section's listing page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    /// In a post section (`content/posts/`, `content/blog/`, a Jekyll `_posts/`): dated,
    /// listed, tagged, in the feed.
    Post,
    /// Anywhere else: e.g. `/about/`.
    Page,
    /// A section's `_index.md` (Hugo, Zola): the title, text and settings of its listing.
    Section,
}

/// A parsed source document.
#[derive(Debug, Clone)]
pub struct Doc {
    /// Post, page or section.
    pub kind: DocKind,
    /// The path relative to the site, `/`-separated: `content/posts/hello.md`.
    pub rel_path: String,
    /// The title (a page or section without one is named after its file or folder).
    pub title: String,
    /// The publication date (always set for posts).
    pub date: Option<DateTime<FixedOffset>>,
    /// Hugo's `publishDate`: left out of the build until then.
    pub publish_date: Option<DateTime<FixedOffset>>,
    /// The date of the last update.
    pub updated: Option<DateTime<FixedOffset>>,
    /// Tags as written.
    pub tags: Vec<String>,
    /// Categories as written (Jekyll's also from the folders above `_posts/`).
    pub categories: Vec<String>,
    /// Authors as written.
    pub authors: Vec<String>,
    /// A description for listings and meta tags.
    pub description: Option<String>,
    /// Drafts are built only with `--drafts` and never published.
    pub draft: bool,
    /// The last URL segment.
    pub slug: String,
    /// The section: `posts`, `blog/rust`, a page's first folder, `""` at the top.
    pub section: String,
    /// The URL path, with slashes at both ends (`/posts/hello/`), or ending in a file name
    /// (`/2014/05/06/hello.html`).
    pub url: String,
    /// The object key of the rendered page, made from `url` once: `posts/hello/index.html`.
    key: String,
    /// Old URL paths that redirect here, as object keys (`2019/old/index.html`).
    pub aliases: Vec<String>,
    /// A template to render with instead of `post.html`/`page.html` (an error when the site
    /// has no such template).
    pub template: Option<String>,
    /// Jekyll's `layout`, as the template `<layout>.html`: used when the site has it, else
    /// quietly ignored (Jekyll sites name `default`, `post`, `page` by habit).
    pub layout: Option<String>,
    /// The encryption group of a private document (`"default"` for `private: true`), `None`
    /// for a public one.
    pub private: Option<String>,
    /// Jekyll's `excerpt`: Markdown shown as the summary.
    pub excerpt: Option<String>,
    /// `image`/`cover`: a picture for listings and previews.
    pub image: Option<String>,
    /// A section's order of posts: `date`, `title`, `weight` or `none`.
    pub sort_by: Option<String>,
    /// A section's posts per page.
    pub paginate_by: Option<usize>,
    /// A post's weight, for sections sorted by weight.
    pub weight: Option<i64>,
    /// Every front matter key bucketpress does not read, for templates (`page.extra`).
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// For a bundle (`…/<name>/index.md`), the folder holding its assets.
    bundle: Option<String>,
    /// The Markdown body.
    pub body: String,
    /// The 1-based line where the body starts in the file.
    pub body_line: usize,
}

/// An error at a 1-based line of the document's file.
pub type DocError = (usize, Problem);

impl Doc {
    /// Parses a document's text with the default options; the first problem on failure.
    pub fn parse(rel_path: &str, text: &str) -> Result<Doc, DocError> {
        Doc::parse_with(rel_path, text, &ContentOptions::default(), None)
            .map_err(|mut e| e.swap_remove(0))
    }

    /// Parses a document's text: `rel_path` decides its kind, section, slug and default URL;
    /// `opts` come from site.toml; `modified` (the file's modification time) dates a Jekyll
    /// draft that has no date. Every problem of the file is returned, sorted by line.
    pub fn parse_with(
        rel_path: &str,
        text: &str,
        opts: &ContentOptions,
        modified: Option<DateTime<FixedOffset>>,
    ) -> Result<Doc, Vec<DocError>> {
        // Blank lines before the opening fence (Zola allows them) are not part of it.
        let trimmed = text.trim_start_matches(['\n', '\r', ' ', '\t']);
        let skipped = if trimmed.starts_with("---") || trimmed.starts_with("+++") {
            text[..text.len() - trimmed.len()].matches('\n').count()
        } else {
            0
        };
        let text = if skipped > 0 { trimmed } else { text };
        let shift = |(line, p): DocError| (line + skipped, p);
        let split = front_matter::split(text).map_err(|e| vec![shift(e)])?;
        let place = place(rel_path, &opts.post_sections);
        let kind = place.kind;
        if split.format.is_none() && kind == DocKind::Post {
            return Err(vec![(1, Problem::NoFrontMatter)]);
        }
        let fm_opts = front_matter::Options {
            zone: opts.zone,
            space_separated: place.jekyll,
        };
        // A header that is not valid YAML/TOML tells nothing more.
        let (fm, mut errors): (FrontMatter, Vec<DocError>) =
            front_matter::parse_partial(&split, &fm_opts).map_err(|e| vec![shift(e)])?;
        let bad_field = |errors: &[DocError], name: &str| {
            errors
                .iter()
                .any(|(_, p)| matches!(p, Problem::Invalid { field, .. } if field == name))
        };
        let bad_date = bad_field(&errors, "date") || bad_field(&errors, "publishDate");
        let head_line = split.front_line.min(2);
        let line_of = |key: &str| {
            crate::config::find_key_line(split.front, key).map_or(1, |l| l + split.front_line - 1)
        };
        let title = match fm.title.clone() {
            Some(t) if !t.trim().is_empty() => t,
            _ => match kind {
                DocKind::Post if place.jekyll => titleize(&place.stem),
                DocKind::Post => {
                    errors.push((head_line, Problem::Missing("title")));
                    String::new()
                }
                DocKind::Section if place.section.is_empty() => String::new(),
                DocKind::Section => place.section.rsplit('/').next().unwrap_or("").into(),
                DocKind::Page => place.stem.clone(),
            },
        };
        let date = post_date(&fm, &place, opts, modified);
        if kind == DocKind::Post && date.is_none() && !bad_date {
            errors.push((head_line, Problem::Missing("date")));
        }
        let slug = match &fm.slug {
            Some(s) => validate_slug(s).unwrap_or_else(|p| {
                errors.push((line_of("slug"), p));
                slug_from_name(&place.stem)
            }),
            None => slug_from_name(&place.stem),
        };
        let (url, key) = match doc_url(&place, &fm, &title, &slug, date, opts) {
            Ok(url) => url,
            Err((field, problem)) => {
                errors.push((line_of(field), problem));
                (String::new(), String::new())
            }
        };
        let mut aliases = Vec::with_capacity(fm.aliases.len());
        for a in &fm.aliases {
            match alias_key(a) {
                Ok(k) => aliases.push(k),
                Err(p) => errors.push((line_of_any(&line_of, &["aliases", "redirect_from"]), p)),
            }
        }
        for (field, names) in [
            ("tags", &fm.tags),
            ("categories", &fm.categories),
            ("authors", &fm.authors),
        ] {
            for name in names {
                if tag_slug(name).is_empty() {
                    errors.push((
                        line_of(field),
                        Problem::Invalid {
                            field: field.into(),
                            expected: "a name with at least one letter or digit".into(),
                            found: name.clone(),
                        },
                    ));
                }
            }
        }
        let private = crate::private::group_of(fm.private, fm.encrypt.as_deref())
            .map_err(|p| {
                let key = if fm.encrypt.is_some() {
                    "encrypt"
                } else {
                    "private"
                };
                errors.push((line_of(key), p));
            })
            .unwrap_or(None);
        if !errors.is_empty() {
            errors.sort_by_key(|(line, _)| *line);
            return Err(errors.into_iter().map(shift).collect());
        }
        let mut body = split.body.to_string();
        let separator = fm
            .excerpt_separator
            .clone()
            .or_else(|| opts.excerpt_separator.clone())
            .filter(|s| !s.trim().is_empty() && !s.contains('\n'));
        if let Some(sep) = separator
            && let Some(at) = body.find(&sep)
        {
            body.replace_range(at..at + sep.len(), "<!-- more -->");
        }
        let mut categories = place.categories.clone();
        categories.extend(fm.categories);
        Ok(Doc {
            kind,
            rel_path: rel_path.to_string(),
            title,
            date,
            publish_date: fm.publish_date,
            updated: fm.updated,
            tags: fm.tags,
            categories,
            authors: fm.authors,
            description: fm.description,
            draft: fm.draft || place.draft,
            slug,
            section: place.section.clone(),
            key,
            url,
            aliases,
            template: fm.template,
            layout: fm.layout.map(|l| format!("{l}.html")),
            private,
            excerpt: fm.excerpt,
            image: fm.image,
            sort_by: fm.sort_by,
            paginate_by: fm.paginate_by,
            weight: fm.weight,
            extra: fm.extra,
            bundle: bundle_dir(rel_path, &place),
            body,
            body_line: split.body_line + skipped,
        })
    }

    /// The object key of the rendered page: `posts/hello/index.html`.
    pub fn output_key(&self) -> &str {
        &self.key
    }

    /// For a bundle (`…/<name>/index.md`), the folder holding its assets, relative to the site.
    pub fn bundle_dir(&self) -> Option<&str> {
        self.bundle.as_deref()
    }

    /// The folder part of the URL, where a bundle's assets go: `/posts/trip/` for both
    /// `/posts/trip/` and `/posts/trip.html`.
    pub fn url_dir(&self) -> &str {
        match self.url.rfind('/') {
            Some(i) if i + 1 < self.url.len() => &self.url[..=i],
            _ => &self.url,
        }
    }
}

fn line_of_any(line_of: &dyn Fn(&str) -> usize, keys: &[&str]) -> usize {
    keys.iter()
        .map(|k| line_of(k))
        .find(|l| *l > 1)
        .unwrap_or(1)
}

/// The folder of a bundle's assets: `content/posts/trip` for `content/posts/trip/index.md`.
fn bundle_dir(rel_path: &str, place: &Place) -> Option<String> {
    if !place.bundle {
        return None;
    }
    let (dir, _) = rel_path.rsplit_once('/')?;
    Some(dir.to_string())
}

/// A Jekyll post without a title is titled from its file name: `hello-world` → `Hello World`.
fn titleize(name: &str) -> String {
    let name = match date_in_name(name) {
        Some(_) if name.len() > 11 => &name[11..],
        _ => name,
    };
    name.split(['-', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A post's date: `date`, else `publishDate`, else the file or bundle-folder name
/// (`2014-05-06-title`), else a URL path set in the front matter that starts with one
/// (Zola's `path = "2014/12/12/x"`), else (a Jekyll draft) the file's modification time.
fn post_date(
    fm: &FrontMatter,
    place: &Place,
    opts: &ContentOptions,
    modified: Option<DateTime<FixedOffset>>,
) -> Option<DateTime<FixedOffset>> {
    let day = || {
        date_in_name(&place.stem).or_else(|| {
            [&fm.path, &fm.url, &fm.permalink]
                .into_iter()
                .flatten()
                .find_map(|p| date_in_path(p))
        })
    };
    fm.date
        .or(fm.publish_date)
        .or_else(|| day().map(|d| opts.zone.localize(d.and_time(NaiveTime::MIN))))
        .or(modified.filter(|_| place.draft))
}

/// The URL of a document and the object key it is written to. `Err` names the front matter
/// field at fault.
fn doc_url(
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
fn strip_date(name: &str) -> &str {
    match date_in_name(name) {
        Some(_) if name.len() > 11 => &name[11..],
        _ => name,
    }
}

/// The URL slug of a tag: lowercase ASCII, `-` between words (`C++ / Rust` → `c-rust`).
pub fn tag_slug(tag: &str) -> String {
    slug::slugify(tag)
}

/// The slug a file or bundle name gives, without a leading `YYYY-MM-DD-` (Jekyll and Zola
/// name posts that way).
fn slug_from_name(name: &str) -> String {
    let s = slug::slugify(strip_date(name));
    if s.is_empty() { "untitled".into() } else { s }
}

/// True for the characters an object key segment may hold.
pub(crate) fn is_key_safe(c: char) -> bool {
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

    fn with(opts: &ContentOptions, path: &str, text: &str) -> Doc {
        Doc::parse_with(path, text, opts, None).unwrap_or_else(|e| panic!("{path}: {e:?}"))
    }

    #[test]
    fn urls_from_path_url_permalink_and_patterns() {
        let mut opts = ContentOptions::default();
        opts.permalinks
            .insert("posts".into(), "/:year/:month/:title/".into());
        let zola = with(
            &opts,
            "content/blog/2014-12-12-t.md",
            "+++\ntitle = \"T\"\npath = \"2014/12/12/1.0-Timeline\"\n+++\n",
        );
        assert_eq!(zola.url, "/2014/12/12/1.0-Timeline/");
        assert_eq!(zola.date.unwrap().to_rfc3339(), "2014-12-12T00:00:00+00:00");
        let hugo = with(
            &opts,
            "content/posts/x.md",
            "---\ntitle: X\ndate: 2020-01-01\nurl: /a/b.html\n---\n",
        );
        assert_eq!(
            (hugo.url.as_str(), hugo.output_key()),
            ("/a/b.html", "a/b.html")
        );
        let pattern = with(
            &opts,
            "content/posts/x.md",
            "---\ntitle: Big News\ndate: 2020-03-01\n---\n",
        );
        assert_eq!(pattern.url, "/2020/03/big-news/");
        let jekyll = with(
            &opts,
            "_posts/2020-03-01-x.md",
            "---\ntitle: X\npermalink: /:year/:slug.html\n---\n",
        );
        assert_eq!(jekyll.url, "/2020/x.html");
        let (_, p) = Doc::parse_with(
            "content/posts/x.md",
            "---\ntitle: X\ndate: 2020-01-01\npath: \"a b\"\n---\n",
            &opts,
            None,
        )
        .unwrap_err()
        .remove(0);
        assert!(matches!(p, Problem::Invalid { ref field, .. } if field == "path"));
    }

    #[test]
    fn sub_folders_are_kept_so_names_do_not_collide() {
        let opts = ContentOptions::default();
        let a = with(&opts, "content/posts/a/x.md", POST);
        let b = with(&opts, "content/posts/b/x.md", POST);
        assert_eq!(
            (a.url.as_str(), b.url.as_str()),
            ("/posts/a/x/", "/posts/b/x/")
        );
        assert_eq!(
            with(&opts, "content/posts/x.md", POST).url,
            "/posts/x/",
            "as before"
        );
    }

    #[test]
    fn sections_untitled_pages_and_blank_lines_before_the_fence() {
        let opts = ContentOptions::default();
        let s = with(
            &opts,
            "content/blog/_index.md",
            "+++\nsort_by = \"title\"\npaginate_by = 5\n+++\nText.\n",
        );
        assert_eq!(
            (s.kind, s.url.as_str(), s.title.as_str()),
            (DocKind::Section, "/blog/", "blog")
        );
        assert_eq!(
            (s.sort_by.as_deref(), s.paginate_by),
            (Some("title"), Some(5))
        );
        let p = with(&opts, "content/pages/no-title.md", "+++\n+++\nHi.\n");
        assert_eq!(
            (p.title.as_str(), p.url.as_str()),
            ("no-title", "/pages/no-title/")
        );
        let d = with(
            &opts,
            "content/posts/x.md",
            "\n\n+++\ntitle = \"X\"\ndate = 2020-01-01\n+++\nBody\n",
        );
        assert_eq!((d.title.as_str(), d.body_line), ("X", 7));
        let (line, p) = Doc::parse_with(
            "content/posts/y.md",
            "\n+++\ntitle = \"Y\"\ndate = \"soon\"\n+++\n",
            &opts,
            None,
        )
        .unwrap_err()
        .remove(0);
        assert_eq!(
            (line, matches!(p, Problem::Invalid { .. })),
            (4, true),
            "lines count the blank line"
        );
    }

    #[test]
    fn excerpt_separator_marks_the_summary() {
        let opts = ContentOptions {
            excerpt_separator: Some("<!--cut-->".into()),
            ..ContentOptions::default()
        };
        let d = with(
            &opts,
            "content/posts/x.md",
            "---\ntitle: X\ndate: 2020-01-01\n---\nOne.\n<!--cut-->\nTwo.\n",
        );
        assert_eq!(d.body, "One.\n<!-- more -->\nTwo.\n");
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

//! A post or standalone page parsed from one Markdown file: `Doc::parse` is pure, so tests feed
//! it inline strings; the loader only reads files and calls it.

use chrono::{DateTime, FixedOffset, NaiveTime};

use super::date::{date_in_name, date_in_path};
use super::front_matter::{self, FrontMatter};
use super::section::{Place, place};
use super::settings::ContentOptions;
use super::url::{alias_key, doc_url, slug_from_name, validate_slug};
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
    /// Hugo's `expiryDate`: left out of the build from then on.
    pub expiry_date: Option<DateTime<FixedOffset>>,
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
    /// Warnings at 1-based lines of the file (front-matter keys that look misspelt).
    pub warnings: Vec<DocError>,
    /// For a bundle (`…/<name>/index.md`), the folder holding its assets.
    bundle: Option<String>,
    /// The Markdown body, with a custom excerpt separator already turned into
    /// `<!-- more -->`; empty once released to its file (`Doc::release_body`): read it with
    /// `Doc::markdown`.
    pub body: String,
    /// The 1-based line where the body starts in the file.
    pub body_line: usize,
    /// Where the body is in the file, to read it again once released.
    body_origin: BodyOrigin,
}

/// Where a document's body lies in its file, so a one-shot render can let the text go after
/// parsing and read it back when the page's Markdown is rendered (a site's bodies are most
/// of what a parse holds: about 8 KB a post).
#[derive(Debug, Clone, Default)]
struct BodyOrigin {
    /// The file, once the body was released to it.
    released_to: Option<std::path::PathBuf>,
    /// The byte offset of the body in the file.
    start: usize,
    /// The file's length when parsed (a file that changed since is not read as if it had
    /// not).
    file_len: usize,
    /// The excerpt separator to turn into `<!-- more -->` when the body is read back.
    separator: Option<String>,
}

/// `body` with the first `separator` (a custom excerpt separator) turned into `<!-- more -->`.
fn mark_summary(body: &str, separator: Option<&str>) -> String {
    let mut body = body.to_string();
    if let Some(sep) = separator
        && let Some(at) = body.find(sep)
    {
        body.replace_range(at..at + sep.len(), "<!-- more -->");
    }
    body
}

/// An error at a 1-based line of the document's file.
pub(crate) type DocError = (usize, Problem);

impl Doc {
    /// Parses a document's text with the default options; the first problem on failure.
    pub fn parse(rel_path: &str, text: &str) -> Result<Doc, DocError> {
        Doc::parse_with(rel_path, text, &ContentOptions::default(), None)
            .map_err(|mut e| e.swap_remove(0))
    }

    /// Parses a document's text: `rel_path` decides its kind, section, slug and default URL;
    /// `opts` come from site.toml; `modified` (the file's modification time) dates a Jekyll
    /// draft that has no date. Every problem of the file is returned, sorted by line.
    pub(crate) fn parse_with(
        rel_path: &str,
        text: &str,
        opts: &ContentOptions,
        modified: Option<DateTime<FixedOffset>>,
    ) -> Result<Doc, Vec<DocError>> {
        let (header, mut errors) = Header::read(rel_path, text, opts)?;
        let fields = Fields::check(&header, opts, modified, &mut errors);
        if !errors.is_empty() {
            errors.sort_by_key(|(line, _)| *line);
            return Err(errors.into_iter().map(|e| header.shift(e)).collect());
        }
        Ok(Doc::assemble(rel_path, header, fields, opts))
    }

    /// The document from its checked `fields` and the rest of its `header`.
    fn assemble(rel_path: &str, header: Header<'_>, fields: Fields, opts: &ContentOptions) -> Doc {
        let Header {
            split,
            place,
            fm,
            skipped,
            file_len,
        } = header;
        let separator = fm
            .excerpt_separator
            .clone()
            .or_else(|| opts.excerpt_separator.clone())
            .filter(|s| !s.trim().is_empty() && !s.contains('\n'));
        let body = mark_summary(split.body, separator.as_deref());
        // The body is always the end of the file's text.
        let body_origin = BodyOrigin {
            released_to: None,
            start: file_len - split.body.len(),
            file_len,
            separator,
        };
        // Jekyll's folder categories, then the front matter's, each once.
        let mut categories = place.categories.clone();
        for c in fm.categories {
            if !categories.iter().any(|k| tag_slug(k) == tag_slug(&c)) {
                categories.push(c);
            }
        }
        Doc {
            kind: place.kind,
            rel_path: rel_path.to_string(),
            title: fields.title,
            date: fields.date,
            publish_date: fm.publish_date,
            expiry_date: fm.expiry_date,
            updated: fm.updated,
            tags: fm.tags,
            categories,
            authors: fm.authors,
            description: fm.description,
            draft: fm.draft || place.draft,
            slug: fields.slug,
            section: place.section.clone(),
            key: fields.key,
            url: fields.url,
            aliases: fields.aliases,
            template: fm.template,
            layout: fm.layout.map(|l| format!("{l}.html")),
            private: fields.private,
            excerpt: fm.excerpt,
            image: fm.image,
            sort_by: fm.sort_by,
            paginate_by: fm.paginate_by,
            weight: fm.weight,
            extra: fm.extra,
            warnings: fm
                .warnings
                .into_iter()
                .map(|(l, p)| (l + skipped, p))
                .collect(),
            bundle: bundle_dir(rel_path, &place),
            body,
            body_line: split.body_line + skipped,
            body_origin,
        }
    }

    /// Lets the body go, to be read back from `path` (the file it was parsed from) when
    /// [`Doc::markdown`] is asked for it.
    pub(crate) fn release_body(&mut self, path: &std::path::Path) {
        self.body = String::new();
        self.body_origin.released_to = Some(path.to_path_buf());
    }

    /// The Markdown body: the one held, or the one read back from the file it was released
    /// to. A file that changed length since it was parsed is an error (build again), never
    /// read at the old offset.
    pub(crate) fn markdown(&self) -> Result<std::borrow::Cow<'_, str>, Problem> {
        let origin = &self.body_origin;
        let Some(path) = &origin.released_to else {
            return Ok(std::borrow::Cow::Borrowed(&self.body));
        };
        let changed = || Problem::Io("changed while the site was being built: build again".into());
        let text = std::fs::read(path)
            .map_err(|e| Problem::Io(format!("cannot read: {e}")))
            .and_then(|bytes| String::from_utf8(bytes).map_err(|_| changed()))?;
        if text.len() != origin.file_len || !text.is_char_boundary(origin.start) {
            return Err(changed());
        }
        Ok(std::borrow::Cow::Owned(mark_summary(
            &text[origin.start..],
            origin.separator.as_deref(),
        )))
    }

    /// This document as sealing sees it: its path and group; `None` when it is public.
    pub(crate) fn sealed(&self) -> Option<crate::private::PrivateDoc<'_>> {
        Some(crate::private::PrivateDoc {
            path: &self.rel_path,
            group: self.private.as_deref()?,
        })
    }

    /// The object key of the rendered page: `posts/hello/index.html`.
    pub(crate) fn output_key(&self) -> &str {
        &self.key
    }

    /// For a bundle (`…/<name>/index.md`), the folder holding its assets, relative to the site.
    pub(crate) fn bundle_dir(&self) -> Option<&str> {
        self.bundle.as_deref()
    }

    /// The folder part of the URL, where a bundle's assets go: `/posts/trip/` for both
    /// `/posts/trip/` and `/posts/trip.html`.
    pub(crate) fn url_dir(&self) -> &str {
        match self.url.rfind('/') {
            Some(i) if i + 1 < self.url.len() => &self.url[..=i],
            _ => &self.url,
        }
    }
}

/// A document's file read as far as its front matter: the text split, where the file sits,
/// the front matter's fields.
struct Header<'t> {
    split: front_matter::Split<'t>,
    place: Place,
    fm: FrontMatter,
    /// Blank lines before the opening fence (Zola allows them), not part of the split text.
    skipped: usize,
    /// The length of the whole file's text.
    file_len: usize,
}

impl<'t> Header<'t> {
    /// Reads `text` as far as its front matter; with the problems found in its fields. A
    /// file without a usable header (none for a post, or invalid YAML/TOML) tells nothing
    /// more: its one problem is the error.
    fn read(
        rel_path: &str,
        text: &'t str,
        opts: &ContentOptions,
    ) -> Result<(Header<'t>, Vec<DocError>), Vec<DocError>> {
        let file_len = text.len();
        // A byte-order mark, then blank lines before the opening fence (Zola allows them):
        // neither is part of it.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
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
        if split.format.is_none() && place.kind == DocKind::Post {
            return Err(vec![(1, Problem::NoFrontMatter)]);
        }
        let fm_opts = front_matter::Options {
            zone: opts.zone,
            space_separated: place.jekyll,
        };
        let (fm, errors) =
            front_matter::parse_partial(&split, &fm_opts).map_err(|e| vec![shift(e)])?;
        let header = Header {
            split,
            place,
            fm,
            skipped,
            file_len,
        };
        Ok((header, errors))
    }

    /// A problem at a line of the split text, at the line of the file.
    fn shift(&self, (line, problem): DocError) -> DocError {
        (line + self.skipped, problem)
    }

    /// The line of the file (in the split text's numbering) where front matter `key` is set;
    /// 1 when it is not found.
    fn line_of(&self, key: &str) -> usize {
        let split = &self.split;
        crate::error::find_key_line(split.front, key).map_or(1, |l| l + split.front_line - 1)
    }
}

/// The fields checked against the front matter and the file's place before the document is
/// assembled.
struct Fields {
    title: String,
    date: Option<DateTime<FixedOffset>>,
    slug: String,
    url: String,
    key: String,
    aliases: Vec<String>,
    private: Option<String>,
}

impl Fields {
    /// Each field's value from `header`; each problem joins `errors` at its line.
    fn check(
        header: &Header<'_>,
        opts: &ContentOptions,
        modified: Option<DateTime<FixedOffset>>,
        errors: &mut Vec<DocError>,
    ) -> Fields {
        let Header { place, fm, .. } = header;
        let bad_field = |errors: &[DocError], name: &str| {
            errors
                .iter()
                .any(|(_, p)| matches!(p, Problem::Invalid { field, .. } if field == name))
        };
        let bad_date = bad_field(errors, "date") || bad_field(errors, "publishDate");
        let head_line = header.split.front_line.min(2);
        let line_of = |key: &str| header.line_of(key);
        let title = title_of(fm, place, head_line, errors);
        let date = post_date(fm, place, opts, modified);
        if place.kind == DocKind::Post && date.is_none() && !bad_date {
            errors.push((head_line, Problem::Missing("date")));
        }
        let slug = match &fm.slug {
            Some(s) => validate_slug(s).unwrap_or_else(|p| {
                errors.push((line_of("slug"), p));
                slug_from_name(&place.stem)
            }),
            None => slug_from_name(&place.stem),
        };
        let (url, key) = match doc_url(place, fm, &title, &slug, date, opts) {
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
        check_names(fm, &line_of, errors);
        let private = crate::private::group_of(fm.private, fm.encrypt.as_deref())
            .map_err(|e| {
                let key = if fm.encrypt.is_some() {
                    "encrypt"
                } else {
                    "private"
                };
                errors.push((line_of(key), Problem::from(e)));
            })
            .unwrap_or(None);
        Fields {
            title,
            date,
            slug,
            url,
            key,
            aliases,
            private,
        }
    }
}

/// The title: the front matter's, else one from the file's place (a Jekyll post's name, a
/// section's folder, a page's stem); a post without one is a problem.
fn title_of(
    fm: &FrontMatter,
    place: &Place,
    head_line: usize,
    errors: &mut Vec<DocError>,
) -> String {
    match fm.title.clone() {
        Some(t) if !t.trim().is_empty() => t,
        _ => match place.kind {
            DocKind::Post if place.jekyll => titleize(&place.stem),
            DocKind::Post => {
                errors.push((head_line, Problem::Missing("title")));
                String::new()
            }
            DocKind::Section if place.section.is_empty() => String::new(),
            DocKind::Section => place.section.rsplit('/').next().unwrap_or("").into(),
            DocKind::Page => place.stem.clone(),
        },
    }
}

/// Tags, categories and authors each need a letter or digit (their pages' URLs are made of
/// them).
fn check_names(fm: &FrontMatter, line_of: &dyn Fn(&str) -> usize, errors: &mut Vec<DocError>) {
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
/// (Zola's `path = "2014/12/12/x"`), else the update date (Hugo's `lastmod`, which Hugo falls
/// back to), else (a Jekyll draft) the file's modification time.
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
        .or(fm.updated)
        .or(modified.filter(|_| place.draft))
}

/// The URL slug of a tag: lowercase ASCII, `-` between words (`C++ / Rust` → `c-rust`).
pub fn tag_slug(tag: &str) -> String {
    slug::slugify(tag)
}

//! The values templates see: plain serializable structs built once per document and shared by
//! the post page, listings and the feed.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use crate::config::Config;
use crate::content::{Doc, tag_slug};
use crate::markdown::{Document, TocEntry};
use crate::private::Keyring;
use crate::render::parked::{HtmlStore, Parked};

/// `site` in every template.
#[derive(Debug, Clone, Serialize)]
pub struct SiteCtx {
    /// Title.
    pub title: String,
    /// Absolute base URL ending in `/`.
    pub base_url: String,
    /// The path of `base_url`, `/` or `/blog/`: prefix of every link a template writes.
    pub base_path: String,
    /// Description.
    pub description: String,
    /// Author.
    pub author: String,
    /// Language code.
    pub language: String,
}

impl SiteCtx {
    /// From the configuration.
    pub fn new(config: &Config) -> SiteCtx {
        SiteCtx {
            title: config.title.clone(),
            base_url: config.base_url(),
            base_path: config.base_path(),
            description: config.description.clone(),
            author: config.author.clone(),
            language: config.language.clone(),
        }
    }
}

/// A link to a page: `{ title, url }`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LinkCtx {
    /// The page title.
    pub title: String,
    /// Its URL path.
    pub url: String,
}

/// A tag as shown on a post: `{ name, slug, url }`.
#[derive(Debug, Clone, Serialize)]
pub struct TagRef {
    /// As written.
    pub name: String,
    /// URL slug.
    pub slug: String,
    /// URL path of the tag page.
    pub url: String,
}

/// A post or page as templates see it. Borrows the document and its HTML, so building one
/// copies nothing large; Tera makes the one copy it needs.
#[derive(Debug, Clone, Serialize)]
pub struct DocCtx<'a> {
    /// Title.
    pub title: &'a str,
    /// URL path, under the site's base path.
    pub url: String,
    /// Absolute URL.
    pub permalink: String,
    /// Last URL segment.
    pub slug: &'a str,
    /// RFC 3339, or null for undated pages.
    pub date: Option<String>,
    /// e.g. `1 March 2024`.
    pub date_display: Option<String>,
    /// RFC 3339 of the last update.
    pub updated: Option<String>,
    /// e.g. `2 March 2024`.
    pub updated_display: Option<String>,
    /// Tags.
    pub tags: Vec<TagRef>,
    /// Categories, linked like tags (`/categories/<slug>/`).
    pub categories: Vec<TagRef>,
    /// Authors, linked like tags (`/authors/<slug>/`).
    pub authors: Vec<TagRef>,
    /// The section (`posts`, `blog`, a page's first folder; empty at the top).
    pub section: &'a str,
    /// `image`/`cover` from the front matter, as written.
    pub image: Option<&'a str>,
    /// Every front matter key bucketpress does not read itself, Zola's `[extra]` and Hugo's
    /// `params` included.
    pub extra: &'a serde_json::Map<String, serde_json::Value>,
    /// Description.
    pub description: Option<&'a str>,
    /// Summary HTML.
    pub summary: &'a str,
    /// Full HTML; empty in listings. For a private document, the unlock form and the
    /// encrypted body.
    pub content: Cow<'a, str>,
    /// Table of contents; empty in listings.
    pub toc: Cow<'a, [TocEntry]>,
    /// How many headings the document has (the theme shows contents from three on).
    pub heading_count: usize,
    /// Words of prose.
    pub word_count: usize,
    /// Minutes to read at 200 words a minute, at least 1.
    pub reading_minutes: usize,
    /// True for a private (encrypted) document: its title, dates, tags and text are hidden.
    pub private: bool,
    /// The absolute URL of the picture that stands for the document in previews: the
    /// `cover`/`image` of the front matter, else the first image of the text (none for
    /// private documents).
    pub og_image: Option<String>,
    /// JSON-LD `BlogPosting` for search engines, ready for a `<script>` element (empty for
    /// private documents and in listings).
    pub json_ld: String,
    /// The `cover` image of the front matter as a processed picture (none for private
    /// documents, and when the cover is not a raster image of the site).
    pub cover: Option<&'a crate::images::Picture>,
}

/// Links to the terms of one taxonomy: `{ name, slug, url }` each.
fn term_refs(config: &Config, taxonomy: &str, names: &[String]) -> Vec<TagRef> {
    names
        .iter()
        .map(|name| {
            let slug = tag_slug(name);
            TagRef {
                name: name.clone(),
                url: config.href(&format!("/{taxonomy}/{slug}/")),
                slug,
            }
        })
        .collect()
}

/// An empty table, for documents whose front matter templates must not see.
fn empty_map() -> &'static serde_json::Map<String, serde_json::Value> {
    static EMPTY: OnceLock<serde_json::Map<String, serde_json::Value>> = OnceLock::new();
    EMPTY.get_or_init(serde_json::Map::new)
}

/// Formats a date for people: `1 March 2024`.
pub(crate) fn display_date(d: &DateTime<FixedOffset>) -> String {
    d.format("%-d %B %Y").to_string()
}

impl<'a> DocCtx<'a> {
    /// The full context of a rendered document.
    pub fn new(config: &Config, doc: &'a Doc, rendered: &'a Document) -> DocCtx<'a> {
        DocCtx {
            title: &doc.title,
            url: config.href(&doc.url),
            permalink: config.permalink(&doc.url),
            slug: &doc.slug,
            date: doc.date.map(|d| d.to_rfc3339()),
            date_display: doc.date.as_ref().map(display_date),
            updated: doc.updated.map(|d| d.to_rfc3339()),
            updated_display: doc.updated.as_ref().map(display_date),
            tags: term_refs(config, "tags", &doc.tags),
            categories: term_refs(config, "categories", &doc.categories),
            authors: term_refs(config, "authors", &doc.authors),
            section: &doc.section,
            image: doc.image.as_deref(),
            extra: &doc.extra,
            description: doc.description.as_deref(),
            summary: &rendered.summary,
            content: Cow::Borrowed(&rendered.html),
            toc: Cow::Borrowed(&rendered.toc),
            heading_count: rendered.heading_count,
            word_count: rendered.word_count,
            reading_minutes: rendered.word_count.div_ceil(200).max(1),
            private: false,
            cover: None,
            og_image: None,
            json_ld: String::new(),
        }
        .with_previews(config, doc, rendered)
    }

    /// Sets `og_image` and `json_ld`.
    fn with_previews(mut self, config: &Config, doc: &Doc, rendered: &Document) -> DocCtx<'a> {
        let page = config.permalink(&doc.url);
        self.og_image = doc
            .image
            .as_deref()
            .map(|i| absolute_url(config, &page, i, false))
            .or_else(|| {
                let first = rendered.first_image.as_deref()?;
                Some(absolute_url(config, &page, first, true))
            });
        self.json_ld = blog_posting(config, doc, &page, self.og_image.as_deref());
        self
    }

    /// The context of a private document: `locked` (the unlock form and the sealed body) as
    /// content; no summary, TOC, tags or word count; the title, dates and description only
    /// when `[private] show_title` asks for them, else the placeholder title.
    pub fn private(config: &'a Config, doc: &'a Doc, locked: String) -> DocCtx<'a> {
        let show = config.private.show_title;
        let date = |d: &Option<DateTime<FixedOffset>>| d.filter(|_| show);
        DocCtx {
            title: if show {
                &doc.title
            } else {
                &config.private.placeholder_title
            },
            url: config.href(&doc.url),
            permalink: config.permalink(&doc.url),
            slug: &doc.slug,
            date: date(&doc.date).map(|d| d.to_rfc3339()),
            date_display: date(&doc.date).as_ref().map(display_date),
            updated: date(&doc.updated).map(|d| d.to_rfc3339()),
            updated_display: date(&doc.updated).as_ref().map(display_date),
            tags: Vec::new(),
            categories: Vec::new(),
            authors: Vec::new(),
            section: &doc.section,
            image: None,
            extra: empty_map(),
            description: doc.description.as_deref().filter(|_| show),
            summary: "",
            content: Cow::Owned(locked),
            toc: Cow::Borrowed(&[]),
            heading_count: 0,
            word_count: 0,
            reading_minutes: 0,
            private: true,
            cover: None,
            og_image: None,
            json_ld: String::new(),
        }
    }

    /// The same without the full content and TOC, for listings.
    pub(crate) fn for_listing(&self) -> DocCtx<'a> {
        DocCtx {
            content: Cow::Borrowed(""),
            toc: Cow::Borrowed(&[]),
            json_ld: String::new(),
            ..self.clone()
        }
    }
}

/// The absolute URL of an image link: as is with a scheme, else against the site (`/x`: a
/// site path, or already under the base path when `under_base`) or the page (`x.png`).
fn absolute_url(config: &Config, page: &str, url: &str, under_base: bool) -> String {
    if url.contains("://") {
        return url.to_string();
    }
    if let Some(rest) = url.strip_prefix("//") {
        return format!("https://{rest}");
    }
    if url.starts_with('/') {
        let path = if under_base {
            url.to_string()
        } else {
            config.href(url)
        };
        let base = config.base_url();
        let origin = base
            .strip_suffix(&config.base_path())
            .unwrap_or(base.trim_end_matches('/'));
        return format!("{origin}{path}");
    }
    format!("{page}{}", url.trim_start_matches("./"))
}

/// The JSON-LD `BlogPosting` of a dated document (empty for an undated page), serialised by
/// serde_json and safe inside `<script>`: `<` is written `\u003c`, so no text can close the
/// element.
fn blog_posting(config: &Config, doc: &Doc, page: &str, image: Option<&str>) -> String {
    let Some(date) = doc.date else {
        return String::new();
    };
    let mut ld = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": doc.title,
        "datePublished": date.to_rfc3339(),
        "url": page,
        "mainEntityOfPage": page,
    });
    if let Some(updated) = doc.updated {
        ld["dateModified"] = updated.to_rfc3339().into();
    }
    let authors: Vec<serde_json::Value> = if doc.authors.is_empty() {
        [&config.author]
            .into_iter()
            .filter(|a| !a.is_empty())
            .map(|a| serde_json::json!({ "@type": "Person", "name": a }))
            .collect()
    } else {
        doc.authors
            .iter()
            .map(|a| serde_json::json!({ "@type": "Person", "name": a }))
            .collect()
    };
    if !authors.is_empty() {
        ld["author"] = authors.into();
    }
    if let Some(image) = image {
        ld["image"] = image.into();
    }
    if let Some(description) = &doc.description {
        ld["description"] = description.as_str().into();
    }
    ld.to_string().replace('<', "\\u003c")
}

/// Fingerprints of what a document shows in each kind of page, so a rebuild re-renders only
/// the pages whose inputs changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocPrints {
    /// Title, URL, dates, tags, categories, authors: what the archive and sitemap show.
    pub meta: blake3::Hash,
    /// `meta` plus description, summary and reading time: what listings show.
    pub listing: blake3::Hash,
    /// `listing` plus the rendered document: what the page and the feed show.
    pub full: blake3::Hash,
}

impl DocPrints {
    /// Fingerprints of `doc` rendered as `rendered`, straight from the data, so no template
    /// context is built for a page that will not be rendered. The URL is the site path; the
    /// base path is part of every page's common fingerprint.
    pub fn new(doc: &Doc, rendered: &Document) -> DocPrints {
        let mut h = Fingerprint::new();
        h.str(&doc.title)
            .str(&doc.url)
            .date(doc.date.as_ref())
            .date(doc.updated.as_ref());
        for (i, names) in [&doc.tags, &doc.categories, &doc.authors]
            .into_iter()
            .enumerate()
        {
            h.num(i as u64);
            for t in names {
                h.str(t);
            }
        }
        h.str(&doc.section);
        let meta = h.finish();
        let mut h = Fingerprint::new();
        h.hash(&meta)
            .opt(doc.description.as_deref())
            .opt(doc.image.as_deref())
            .opt(doc.excerpt.as_deref());
        if !doc.extra.is_empty() {
            h.str(&serde_json::Value::Object(doc.extra.clone()).to_string());
        }
        h.str(&rendered.summary).num(rendered.word_count as u64);
        let listing = h.finish();
        let mut h = Fingerprint::new();
        h.hash(&listing).num(rendered.id);
        DocPrints {
            meta,
            listing,
            full: h.finish(),
        }
    }
}

/// Template contexts built on first use: a rebuild that renders three pages builds three
/// contexts, not one per document.
pub struct Contexts<'a> {
    config: &'a Config,
    keys: &'a Keyring,
    docs: &'a [&'a Arc<Doc>],
    rendered: &'a [Arc<Document>],
    // Boxed: a slot is a pointer, so 10,000 slots are a small allocation to set up.
    full: Vec<OnceLock<Box<DocCtx<'a>>>>,
    listing: Vec<OnceLock<Box<DocCtx<'a>>>>,
    images: Option<&'a crate::images::Catalog>,
    /// Documents whose HTML is parked on disk (a one-shot render), by index.
    parked: Option<(&'a HtmlStore, &'a [Option<Parked>])>,
    /// Parked HTML that could not be read back: the render fails with these.
    failures: Mutex<Vec<crate::error::Diagnostic>>,
}

impl<'a> Contexts<'a> {
    /// Lazy contexts for `docs` rendered as `rendered` (same order); private documents are
    /// sealed with their group's key from `keys`.
    pub fn new(
        config: &'a Config,
        keys: &'a Keyring,
        docs: &'a [&'a Arc<Doc>],
        rendered: &'a [Arc<Document>],
    ) -> Contexts<'a> {
        Contexts {
            config,
            keys,
            docs,
            rendered,
            full: docs.iter().map(|_| OnceLock::new()).collect(),
            listing: docs.iter().map(|_| OnceLock::new()).collect(),
            images: None,
            parked: None,
            failures: Mutex::new(Vec::new()),
        }
    }

    /// Reads each document's HTML from `store` where `parked` says it is (same order as the
    /// documents): a document's own page gets a context of its own, dropped with the page.
    pub(crate) fn with_parked(
        mut self,
        store: &'a HtmlStore,
        parked: &'a [Option<Parked>],
    ) -> Contexts<'a> {
        self.parked = Some((store, parked));
        self
    }

    /// Problems reading parked HTML back (the pages concerned were rendered without it).
    pub(crate) fn failures(&self) -> Vec<crate::error::Diagnostic> {
        std::mem::take(&mut *self.failures.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Resolves each document's `cover` in `images`.
    pub(crate) fn with_images(mut self, images: &'a crate::images::Catalog) -> Contexts<'a> {
        self.images = Some(images);
        self
    }

    /// The full context of document `i`.
    pub fn full(&self, i: usize) -> &DocCtx<'a> {
        self.full[i].get_or_init(|| Box::new(self.make(i, true)))
    }

    /// The full context of document `i` for its own page: with the document's HTML parked,
    /// made for the page and dropped with it, so rendering every page does not bring every
    /// document's HTML back into memory.
    pub fn page(&self, i: usize) -> Cow<'_, DocCtx<'a>> {
        match self.parked_at(i) {
            Some(_) => Cow::Owned(self.make(i, true)),
            None => Cow::Borrowed(self.full(i)),
        }
    }

    fn parked_at(&self, i: usize) -> Option<(&'a HtmlStore, Parked)> {
        let (store, parked) = self.parked?;
        Some((store, (*parked.get(i)?)?))
    }

    /// Document `i`'s HTML and table of contents (read back when parked; empty without
    /// `content`).
    fn body(&self, i: usize, content: bool) -> (Cow<'a, str>, Cow<'a, [TocEntry]>) {
        let rendered = &self.rendered[i];
        match self.parked_at(i) {
            None => (Cow::Borrowed(&rendered.html), Cow::Borrowed(&rendered.toc)),
            Some(_) if !content => (Cow::Borrowed(""), Cow::Borrowed(&[])),
            Some((store, parked)) => store.load(parked).map_or_else(
                |e| {
                    let problem = crate::error::Problem::Io(format!(
                        "cannot read its rendered HTML back from the temporary file: {e}"
                    ));
                    let path = std::path::Path::new(&self.docs[i].rel_path);
                    let failure = crate::error::Diagnostic::new(path, None, problem);
                    let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
                    failures.push(failure);
                    (Cow::Borrowed(""), Cow::Borrowed(&[][..]))
                },
                |(html, toc)| (Cow::Owned(html), Cow::Owned(toc)),
            ),
        }
    }

    /// The full context of document `i`, with its HTML and contents when `content`.
    fn make(&self, i: usize, content: bool) -> DocCtx<'a> {
        let doc = self.docs[i];
        let (html, toc) = self.body(i, content);
        match &doc.private {
            None => {
                let mut ctx = DocCtx::new(self.config, doc, &self.rendered[i]);
                ctx.content = html;
                ctx.toc = toc;
                ctx.cover = (doc.image.as_deref())
                    .zip(self.images)
                    .and_then(|(cover, images)| images.lookup(cover, &doc.rel_path));
                ctx
            }
            Some(group) => {
                // The renderer checked every group has a key; without one nothing of the
                // body is shown, never the plaintext.
                let locked = self.keys.get(group).map_or_else(String::new, |key| {
                    crate::private::page::locked_html(
                        key,
                        &doc.url,
                        &doc.title,
                        &html,
                        &self.config.base_path(),
                    )
                });
                DocCtx::private(self.config, doc, locked)
            }
        }
    }

    /// The listing context (no content, no TOC) of document `i`.
    pub fn listing(&self, i: usize) -> &DocCtx<'a> {
        self.listing[i].get_or_init(|| match self.parked_at(i) {
            // Not `full`: that would read the HTML back only to leave it out.
            Some(_) => Box::new(self.make(i, false).for_listing()),
            None => Box::new(self.full(i).for_listing()),
        })
    }
}

/// A small builder over BLAKE3 with field separators, for cache keys. The fields are
/// gathered in a buffer and hashed once: a fingerprint is a few dozen small fields, and one
/// hash of the whole costs a fraction of a BLAKE3 update per field.
#[derive(Default)]
pub struct Fingerprint(Vec<u8>);

impl Fingerprint {
    /// An empty fingerprint.
    pub fn new() -> Fingerprint {
        // Room for the usual few dozen fields, so adding them never reallocates.
        Fingerprint(Vec::with_capacity(256))
    }

    /// Adds a string.
    pub fn str(&mut self, s: &str) -> &mut Fingerprint {
        self.0.extend_from_slice(&(s.len() as u64).to_le_bytes());
        self.0.extend_from_slice(s.as_bytes());
        self
    }

    /// Adds an optional string.
    pub(crate) fn opt(&mut self, s: Option<&str>) -> &mut Fingerprint {
        match s {
            Some(s) => self.num(1).str(s),
            None => self.num(0),
        }
    }

    /// Adds a number.
    pub(crate) fn num(&mut self, n: u64) -> &mut Fingerprint {
        self.0.extend_from_slice(&n.to_le_bytes());
        self
    }

    /// Adds an optional date: the instant and the offset it was written with.
    pub fn date(&mut self, d: Option<&DateTime<FixedOffset>>) -> &mut Fingerprint {
        match d {
            Some(d) => self
                .num(d.timestamp() as u64)
                .num(d.offset().local_minus_utc() as u64 + 1),
            None => self.num(0).num(0),
        }
    }

    /// Adds another fingerprint.
    pub fn hash(&mut self, h: &blake3::Hash) -> &mut Fingerprint {
        self.0.extend_from_slice(h.as_bytes());
        self
    }

    /// The result.
    pub fn finish(&self) -> blake3::Hash {
        blake3::hash(&self.0)
    }

    /// The result as a page's print: the fields themselves when they are few, else their hash.
    pub(crate) fn into_print(self) -> PagePrint {
        if self.0.len() <= PagePrint::MAX_INPUTS {
            PagePrint::Inputs(self.0)
        } else {
            PagePrint::Hash(self.finish())
        }
    }
}

/// What a page was made from, to tell whether a cached page still stands. Most pages depend
/// on a few fingerprints (a post page: the common inputs, its own document and its
/// neighbours' titles): comparing those few hundred bytes is exact and costs a fraction of
/// hashing them (hashing was a third of the instructions of a rebuild of a 10,000-post site
/// after one edit). Pages made from more (the archive, the sitemap) keep the hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PagePrint {
    /// The fields, as [`Fingerprint`] laid them out.
    Inputs(Vec<u8>),
    /// The BLAKE3 hash of longer fields.
    Hash(blake3::Hash),
}

impl PagePrint {
    /// The most bytes of fields kept as they are.
    const MAX_INPUTS: usize = 512;
}

/// `paginator` on paginated listings.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Paginator {
    /// 1-based page number.
    pub current: usize,
    /// Number of pages.
    pub total: usize,
    /// URL path of the previous page.
    pub prev_url: Option<String>,
    /// URL path of the next page.
    pub next_url: Option<String>,
}

/// `{ name, slug, url, count }` on tag listings.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TagCtx {
    /// As first written.
    pub name: String,
    /// URL slug.
    pub slug: String,
    /// URL path.
    pub url: String,
    /// Number of posts.
    pub count: usize,
}

/// A year of the archive.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct YearCtx<'a> {
    /// The year.
    pub year: i32,
    /// Its posts, newest first.
    pub posts: Vec<ArchivePost<'a>>,
}

/// A post as the archive lists it: what a line of an archive shows (fields of
/// [`DocPrints::meta`], so the archive's fingerprint covers all it shows), borrowed from the
/// post's listing context. The archive is the one page that lists every post, and Tera copies
/// its context into JSON values, each object a map node of ~0.6 KB before its keys and
/// values: the whole listing context (27 fields, tags as objects) made the archive cost
/// ~6.5 KB a post, 650 MB at 100,000 posts for one page; these nine fields (one node) cost
/// ~1.2 KB (issue #22).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ArchivePost<'a> {
    /// Title.
    pub title: &'a str,
    /// URL path, under the site's base path.
    pub url: &'a str,
    /// Absolute URL.
    pub permalink: &'a str,
    /// Last URL segment.
    pub slug: &'a str,
    /// RFC 3339, or null.
    pub date: Option<&'a str>,
    /// e.g. `1 March 2024`.
    pub date_display: Option<&'a str>,
    /// RFC 3339 of the last update.
    pub updated: Option<&'a str>,
    /// e.g. `2 March 2024`.
    pub updated_display: Option<&'a str>,
    /// The section.
    pub section: &'a str,
}

impl<'a> ArchivePost<'a> {
    /// The archive line of a post whose listing context is `ctx`.
    pub(crate) fn of(ctx: &'a DocCtx<'a>) -> ArchivePost<'a> {
        ArchivePost {
            title: ctx.title,
            url: &ctx.url,
            permalink: &ctx.permalink,
            slug: ctx.slug,
            date: ctx.date.as_deref(),
            date_display: ctx.date_display.as_deref(),
            updated: ctx.updated.as_deref(),
            updated_display: ctx.updated_display.as_deref(),
            section: ctx.section,
        }
    }
}

/// One sitemap entry.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SitemapEntry {
    /// Absolute URL.
    pub permalink: String,
    /// RFC 3339 or null.
    pub lastmod: Option<String>,
}

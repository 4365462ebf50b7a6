//! The values templates see: plain serializable structs built once per document and shared by
//! the post page, listings and the feed.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use crate::config::Config;
use crate::content::{Doc, tag_slug};
use crate::markdown::{Document, TocEntry};

/// `site` in every template.
#[derive(Debug, Clone, Serialize)]
pub struct SiteCtx {
    /// Title.
    pub title: String,
    /// Absolute base URL ending in `/`.
    pub base_url: String,
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
            description: config.description.clone(),
            author: config.author.clone(),
            language: config.language.clone(),
        }
    }
}

/// A link to a page: `{ title, url }`.
#[derive(Debug, Clone, Serialize)]
pub struct LinkCtx {
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

/// A post or page as templates see it.
#[derive(Debug, Clone, Serialize)]
pub struct DocCtx {
    /// Title.
    pub title: String,
    /// URL path.
    pub url: String,
    /// Absolute URL.
    pub permalink: String,
    /// Last URL segment.
    pub slug: String,
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
    /// Description.
    pub description: Option<String>,
    /// Summary HTML.
    pub summary: String,
    /// Full HTML; empty in listings.
    pub content: String,
    /// Table of contents.
    pub toc: Vec<TocEntry>,
    /// Words of prose.
    pub word_count: usize,
    /// Minutes to read at 200 words a minute, at least 1.
    pub reading_minutes: usize,
}

/// Formats a date for people: `1 March 2024`.
pub fn display_date(d: &DateTime<FixedOffset>) -> String {
    d.format("%-d %B %Y").to_string()
}

impl DocCtx {
    /// The full context of a rendered document.
    pub fn new(config: &Config, doc: &Doc, rendered: &Document) -> DocCtx {
        DocCtx {
            title: doc.title.clone(),
            url: doc.url.clone(),
            permalink: config.permalink(&doc.url),
            slug: doc.slug.clone(),
            date: doc.date.map(|d| d.to_rfc3339()),
            date_display: doc.date.as_ref().map(display_date),
            updated: doc.updated.map(|d| d.to_rfc3339()),
            updated_display: doc.updated.as_ref().map(display_date),
            tags: doc
                .tags
                .iter()
                .map(|name| {
                    let slug = tag_slug(name);
                    TagRef {
                        name: name.clone(),
                        url: format!("/tags/{slug}/"),
                        slug,
                    }
                })
                .collect(),
            description: doc.description.clone(),
            summary: rendered.summary.clone(),
            content: rendered.html.clone(),
            toc: rendered.toc.clone(),
            word_count: rendered.word_count,
            reading_minutes: rendered.word_count.div_ceil(200).max(1),
        }
    }

    /// The same without the full content and TOC, for listings.
    pub fn for_listing(&self) -> DocCtx {
        DocCtx {
            content: String::new(),
            toc: Vec::new(),
            ..self.clone()
        }
    }
}

/// `paginator` on paginated listings.
#[derive(Debug, Clone, Serialize)]
pub struct Paginator {
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
pub struct TagCtx {
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
pub struct YearCtx {
    /// The year.
    pub year: i32,
    /// Its posts, newest first, without content.
    pub posts: Vec<DocCtx>,
}

/// One sitemap entry.
#[derive(Debug, Clone, Serialize)]
pub struct SitemapEntry {
    /// Absolute URL.
    pub permalink: String,
    /// RFC 3339 or null.
    pub lastmod: Option<String>,
}

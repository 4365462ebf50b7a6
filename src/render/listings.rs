//! Pages made from many posts: the paginated home, tags, the archive, the Atom feed, the
//! sitemap, robots.txt and the 404 page. Each is planned with the fingerprints of just the
//! post fields it shows.

use super::context::{
    Contexts, DocCtx, DocPrints, Fingerprint, Paginator, SitemapEntry, TagCtx, YearCtx,
};
use super::{Job, Planned, Renderer, page_key};
use crate::error::Diagnostic;
use crate::outputs::{Output, OutputKind};
use crate::site::Tag;

/// A listing page to render.
pub(super) enum Listing<'s> {
    /// The home page or a tag page, one page of a pagination.
    Index {
        tag: Option<&'s Tag>,
        page: Page,
    },
    Tags,
    Archive,
    Feed,
    Sitemap,
    Robots,
    NotFound,
}

/// One page of a paginated listing.
pub(super) struct Page {
    path: String,
    posts: Vec<usize>,
    paginator: Paginator,
}

impl<'s> Renderer<'s> {
    /// Plans every listing page; `prints` are the posts' fingerprints, newest first.
    pub(super) fn plan_listings(&'s self, prints: &[DocPrints]) -> Vec<Planned<'s>> {
        let per_page = self.site.config.posts_per_page;
        let mut plan = Vec::new();
        let all: Vec<usize> = (0..prints.len()).collect();
        let indexes = paginate("/", &all, per_page)
            .map(|page| (None, page))
            .chain(self.site.tags.iter().flat_map(|tag| {
                paginate(&tag.url(), &tag.posts, per_page).map(move |page| (Some(tag), page))
            }));
        for (tag, page) in indexes {
            let mut fp = self.base_print("index");
            if let Some(tag) = tag {
                fp.str(&tag.name).num(tag.posts.len() as u64);
            }
            fp.num(page.paginator.total as u64);
            for &i in &page.posts {
                fp.hash(&prints[i].listing);
            }
            plan.push(Planned {
                key: page_key(&page.path).into(),
                print: fp.into_print(),
                job: Job::Listing(Listing::Index { tag, page }),
            });
        }
        let mut tags = self.base_print("tags");
        for t in &self.site.tags {
            tags.str(&t.name).num(t.posts.len() as u64);
        }
        let mut archive = self.base_print("archive");
        let mut sitemap = self.base_print("sitemap");
        for p in prints {
            archive.hash(&p.meta);
            sitemap.hash(&p.meta);
        }
        for page in &self.site.pages {
            sitemap.str(&page.url);
        }
        sitemap.hash(&tags.finish());
        let mut feed = self.base_print("feed");
        for p in prints.iter().take(self.site.config.feed_limit) {
            feed.hash(&p.full);
        }
        for (key, print, listing) in [
            ("tags/index.html", tags, Listing::Tags),
            ("archive/index.html", archive, Listing::Archive),
            ("atom.xml", feed, Listing::Feed),
            ("sitemap.xml", sitemap, Listing::Sitemap),
            ("robots.txt", self.base_print("robots"), Listing::Robots),
            ("404.html", self.base_print("404"), Listing::NotFound),
        ] {
            plan.push(Planned {
                key: std::borrow::Cow::Borrowed(key),
                print: print.into_print(),
                job: Job::Listing(listing),
            });
        }
        plan
    }

    fn base_print(&self, name: &str) -> Fingerprint {
        let mut fp = Fingerprint::new();
        fp.hash(&self.common).str(name);
        fp
    }

    /// Renders one listing page.
    pub(super) fn listing(
        &self,
        job: &Listing<'_>,
        key: &str,
        contexts: &Contexts<'_>,
    ) -> Result<Output, Diagnostic> {
        let cfg = &self.site.config;
        let (template, ctx) = match job {
            Listing::Index { tag, page } => {
                let mut ctx = self.common(&page.path);
                let posts: Vec<&DocCtx<'_>> =
                    page.posts.iter().map(|&i| contexts.listing(i)).collect();
                ctx.insert("posts", &posts);
                let href = |u: &Option<String>| u.as_deref().map(|u| cfg.href(u));
                ctx.insert(
                    "paginator",
                    &Paginator {
                        prev_url: href(&page.paginator.prev_url),
                        next_url: href(&page.paginator.next_url),
                        ..page.paginator.clone()
                    },
                );
                match tag {
                    Some(tag) => {
                        ctx.insert("tag", &tag_ctx(cfg, tag));
                        ("tag.html", ctx)
                    }
                    None => ("index.html", ctx),
                }
            }
            Listing::Tags => {
                let mut ctx = self.common("/tags/");
                let tags: Vec<TagCtx> = self.site.tags.iter().map(|t| tag_ctx(cfg, t)).collect();
                ctx.insert("tags", &tags);
                ("tags.html", ctx)
            }
            Listing::Archive => {
                let mut ctx = self.common("/archive/");
                let mut years: Vec<YearCtx<'_>> = Vec::new();
                for (i, doc) in self.site.posts.iter().enumerate() {
                    let post = contexts.listing(i);
                    let year = doc.date.map_or(0, |d| chrono::Datelike::year(&d));
                    match years.last_mut() {
                        Some(y) if y.year == year => y.posts.push(post),
                        _ => years.push(YearCtx {
                            year,
                            posts: vec![post],
                        }),
                    }
                }
                ctx.insert("years", &years);
                ("archive.html", ctx)
            }
            Listing::Feed => {
                let mut ctx = self.common("/atom.xml");
                let newest: Vec<&DocCtx<'_>> = (0..self.site.posts.len().min(cfg.feed_limit))
                    .map(|i| contexts.full(i))
                    .collect();
                let updated = self
                    .site
                    .posts
                    .iter()
                    .take(cfg.feed_limit)
                    .filter_map(|p| p.updated.or(p.date))
                    .max()
                    .map(|d| d.to_rfc3339())
                    .unwrap_or_else(|| "1970-01-01T00:00:00+00:00".into());
                ctx.insert("posts", &newest);
                ctx.insert("updated", &updated);
                ctx.insert("feed_url", &cfg.permalink("/atom.xml"));
                ("atom.xml", ctx)
            }
            Listing::Sitemap => {
                let mut ctx = self.common("/sitemap.xml");
                ctx.insert("entries", &self.sitemap_entries());
                ("sitemap.xml", ctx)
            }
            Listing::Robots => {
                let mut ctx = self.common("/robots.txt");
                ctx.insert("sitemap_url", &cfg.permalink("/sitemap.xml"));
                ("robots.txt", ctx)
            }
            Listing::NotFound => ("404.html", self.common("/404.html")),
        };
        let html = self.templates.render(template, &ctx)?;
        Ok(Output::from_bytes(
            key,
            html.into_bytes(),
            OutputKind::Listing,
        ))
    }

    fn sitemap_entries(&self) -> Vec<SitemapEntry> {
        let cfg = &self.site.config;
        let lastmod = |d: Option<chrono::DateTime<chrono::FixedOffset>>| d.map(|d| d.to_rfc3339());
        let mut entries = vec![SitemapEntry {
            permalink: cfg.base_url(),
            lastmod: lastmod(self.site.posts.first().and_then(|p| p.updated.or(p.date))),
        }];
        for doc in self.site.public_docs() {
            entries.push(SitemapEntry {
                permalink: cfg.permalink(&doc.url),
                lastmod: lastmod(doc.updated.or(doc.date)),
            });
        }
        let tag_urls = self.site.tags.iter().map(Tag::url);
        for path in ["/archive/".to_string(), "/tags/".to_string()]
            .into_iter()
            .chain(tag_urls)
        {
            entries.push(SitemapEntry {
                permalink: cfg.permalink(&path),
                lastmod: None,
            });
        }
        entries
    }
}

fn tag_ctx(cfg: &crate::config::Config, tag: &Tag) -> TagCtx {
    TagCtx {
        name: tag.name.clone(),
        slug: tag.slug.clone(),
        url: cfg.href(&tag.url()),
        count: tag.posts.len(),
    }
}

/// Splits `posts` into pages under `base` (`/` → `/`, `/page/2/`, …). An empty listing still
/// gets its first page.
fn paginate(base: &str, posts: &[usize], per_page: usize) -> impl Iterator<Item = Page> + use<> {
    let total = posts.len().div_ceil(per_page).max(1);
    let base = base.to_string();
    let url = move |n: usize| {
        if n == 1 {
            base.clone()
        } else {
            format!("{base}page/{n}/")
        }
    };
    let chunks: Vec<Vec<usize>> = if posts.is_empty() {
        vec![Vec::new()]
    } else {
        posts.chunks(per_page).map(<[usize]>::to_vec).collect()
    };
    chunks.into_iter().enumerate().map(move |(i, chunk)| {
        let n = i + 1;
        Page {
            path: url(n),
            posts: chunk,
            paginator: Paginator {
                current: n,
                total,
                prev_url: (n > 1).then(|| url(n - 1)),
                next_url: (n < total).then(|| url(n + 1)),
            },
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_urls() {
        let posts: Vec<usize> = (0..25).collect();
        let pages: Vec<Page> = paginate("/tags/x/", &posts, 10).collect();
        assert_eq!(pages.len(), 3);
        assert_eq!(pages[0].path, "/tags/x/");
        assert_eq!(pages[1].path, "/tags/x/page/2/");
        assert_eq!(pages[1].paginator.prev_url.as_deref(), Some("/tags/x/"));
        assert_eq!(
            pages[1].paginator.next_url.as_deref(),
            Some("/tags/x/page/3/")
        );
        assert_eq!(pages[2].posts.len(), 5);
        assert_eq!(pages[2].paginator.next_url, None);
        let empty: Vec<Page> = paginate("/", &[], 10).collect();
        assert_eq!(empty.len(), 1);
        assert_eq!(empty[0].paginator.total, 1);
    }
}

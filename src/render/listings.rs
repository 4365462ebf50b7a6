//! Pages made from many posts: the paginated home, tags, the archive, the Atom feed, the
//! sitemap, robots.txt and the 404 page.

use rayon::prelude::*;

use super::context::{DocCtx, Paginator, SitemapEntry, TagCtx, YearCtx};
use super::{Renderer, page_key};
use crate::error::Diagnostic;
use crate::outputs::{Output, OutputKind};

impl Renderer<'_> {
    /// Every listing output.
    pub(super) fn listings(&self, posts: &[DocCtx]) -> Vec<Result<Output, Diagnostic>> {
        let per_page = self.site.config.posts_per_page;
        let listing: Vec<DocCtx> = posts.par_iter().map(DocCtx::for_listing).collect();
        let mut jobs: Vec<Job<'_>> = Vec::new();

        let all: Vec<usize> = (0..listing.len()).collect();
        jobs.extend(paginate("/", &all, per_page).map(|p| Job::Index(None, p)));
        for tag in &self.site.tags {
            let base = tag.url();
            jobs.extend(
                paginate(&base, &tag.posts, per_page).map(move |p| Job::Index(Some(tag), p)),
            );
        }
        jobs.extend([
            Job::Tags,
            Job::Archive,
            Job::Feed,
            Job::Sitemap,
            Job::Robots,
            Job::NotFound,
        ]);

        jobs.par_iter()
            .map(|job| self.listing(job, &listing, posts))
            .collect()
    }

    fn listing(
        &self,
        job: &Job<'_>,
        listing: &[DocCtx],
        full: &[DocCtx],
    ) -> Result<Output, Diagnostic> {
        let cfg = &self.site.config;
        let (template, key, ctx) = match job {
            Job::Index(tag, page) => {
                let mut ctx = self.common(&page.path);
                let posts: Vec<&DocCtx> = page.posts.iter().map(|&i| &listing[i]).collect();
                ctx.insert("posts", &posts);
                ctx.insert("paginator", &page.paginator);
                let template = match tag {
                    Some(tag) => {
                        ctx.insert(
                            "tag",
                            &TagCtx {
                                name: tag.name.clone(),
                                slug: tag.slug.clone(),
                                url: tag.url(),
                                count: tag.posts.len(),
                            },
                        );
                        "tag.html"
                    }
                    None => "index.html",
                };
                (template, page_key(&page.path), ctx)
            }
            Job::Tags => {
                let mut ctx = self.common("/tags/");
                let tags: Vec<TagCtx> = self
                    .site
                    .tags
                    .iter()
                    .map(|t| TagCtx {
                        name: t.name.clone(),
                        slug: t.slug.clone(),
                        url: t.url(),
                        count: t.posts.len(),
                    })
                    .collect();
                ctx.insert("tags", &tags);
                ("tags.html", "tags/index.html".into(), ctx)
            }
            Job::Archive => {
                let mut ctx = self.common("/archive/");
                let mut years: Vec<YearCtx> = Vec::new();
                for (post, doc) in listing.iter().zip(&self.site.posts) {
                    let year = doc.date.map_or(0, |d| chrono::Datelike::year(&d));
                    match years.last_mut() {
                        Some(y) if y.year == year => y.posts.push(post.clone()),
                        _ => years.push(YearCtx {
                            year,
                            posts: vec![post.clone()],
                        }),
                    }
                }
                ctx.insert("years", &years);
                ("archive.html", "archive/index.html".into(), ctx)
            }
            Job::Feed => {
                let mut ctx = self.common("/atom.xml");
                let newest: Vec<&DocCtx> = full.iter().take(cfg.feed_limit).collect();
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
                ("atom.xml", "atom.xml".into(), ctx)
            }
            Job::Sitemap => {
                let mut ctx = self.common("/sitemap.xml");
                ctx.insert("entries", &self.sitemap_entries());
                ("sitemap.xml", "sitemap.xml".into(), ctx)
            }
            Job::Robots => {
                let mut ctx = self.common("/robots.txt");
                ctx.insert("sitemap_url", &cfg.permalink("/sitemap.xml"));
                ("robots.txt", "robots.txt".into(), ctx)
            }
            Job::NotFound => ("404.html", "404.html".into(), self.common("/404.html")),
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
        let mut entries = vec![SitemapEntry {
            permalink: cfg.base_url(),
            lastmod: self
                .site
                .posts
                .first()
                .and_then(|p| p.updated.or(p.date))
                .map(|d| d.to_rfc3339()),
        }];
        for doc in self.site.docs() {
            entries.push(SitemapEntry {
                permalink: cfg.permalink(&doc.url),
                lastmod: doc.updated.or(doc.date).map(|d| d.to_rfc3339()),
            });
        }
        for path in ["/archive/", "/tags/"] {
            entries.push(SitemapEntry {
                permalink: cfg.permalink(path),
                lastmod: None,
            });
        }
        for tag in &self.site.tags {
            entries.push(SitemapEntry {
                permalink: cfg.permalink(&tag.url()),
                lastmod: None,
            });
        }
        entries
    }
}

/// One listing output to render.
enum Job<'a> {
    Index(Option<&'a crate::site::Tag>, Page),
    Tags,
    Archive,
    Feed,
    Sitemap,
    Robots,
    NotFound,
}

/// One page of a paginated listing.
struct Page {
    path: String,
    posts: Vec<usize>,
    paginator: Paginator,
}

/// Splits `posts` into pages under `base` (`/` → `/`, `/page/2/`, …). An empty listing still
/// gets its first page.
fn paginate(base: &str, posts: &[usize], per_page: usize) -> impl Iterator<Item = Page> {
    let total = posts.len().div_ceil(per_page).max(1);
    let url = {
        let base = base.to_string();
        move |n: usize| {
            if n == 1 {
                base.clone()
            } else {
                format!("{base}page/{n}/")
            }
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

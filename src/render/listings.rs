//! Pages made from many posts: the paginated home, tags, the archive, the Atom feed, the
//! sitemap, robots.txt and the 404 page. Each is planned with the fingerprints of just the
//! post fields it shows.

use super::context::{
    ArchivePost, Contexts, DocCtx, DocPrints, Fingerprint, Paginator, SitemapEntry, TagCtx, YearCtx,
};
use super::{Job, Planned, Renderer};
use crate::error::Diagnostic;
use crate::outputs::generated::{self, Depends, GENERATED, Generated};
use crate::outputs::{Output, OutputKind};
use crate::site::{Section, Tag};

/// What a paginated listing lists.
#[derive(Clone, Copy)]
pub(super) enum IndexOf<'s> {
    /// Every post: the home page.
    Home,
    /// The posts of a term of a taxonomy (`tags`, `categories`, `authors`).
    Term { taxonomy: &'s str, tag: &'s Tag },
    /// The posts of a section with an `_index.md`.
    Section(&'s Section),
}

impl<'s> IndexOf<'s> {
    /// The indexes into `Site::docs` this listing shows, in its order (posts come first
    /// there, so a post's index is the same in both).
    fn posts(&self) -> Option<&'s [usize]> {
        match self {
            IndexOf::Home => None,
            IndexOf::Term { tag, .. } => Some(&tag.posts),
            IndexOf::Section(s) => Some(&s.posts),
        }
    }
}

/// A listing page to render.
pub(super) enum Listing<'s> {
    /// The home page, a term's page or a section's, one page of a pagination.
    Index { of: IndexOf<'s>, page: Page<'s> },
    /// The page listing a taxonomy's terms: `/tags/`, `/categories/`, `/authors/`.
    Terms { taxonomy: &'s str, terms: &'s [Tag] },
    /// The Atom feed of one tag: `/tags/<slug>/atom.xml`.
    TagFeed(&'s Tag),
    /// A page of its own at a fixed key, as its row of the table of generated outputs says:
    /// the archive, the feed, the sitemap, robots.txt, the 404 page.
    Single(&'static Generated),
}

impl Listing<'_> {
    /// True for the pages that list the whole site (the archive, the sitemap, a taxonomy's
    /// terms): their template context grows with the site, hundreds of MB of Tera values
    /// at 100,000 posts, so they are rendered one at a time, first ([`Renderer::render`]).
    pub(super) fn lists_whole_site(&self) -> bool {
        match self {
            Listing::Single(row) => matches!(row.depends, Depends::Archive | Depends::Sitemap),
            Listing::Terms { .. } => true,
            Listing::Index { .. } | Listing::TagFeed(_) => false,
        }
    }
}

/// One page of a paginated listing: which posts it shows, as a range, and its number. Only
/// its key is made when it is planned; its URL, the URLs it links and its list of posts are
/// made when it is rendered (a rebuild plans thousands of listing pages and renders a few).
pub(super) struct Page<'s> {
    /// The listing's first page: `/` or `/tags/<slug>/`.
    base: &'s str,
    /// 1-based.
    number: usize,
    /// How many pages the listing has.
    total: usize,
    /// The posts shown, as a range of the listing's posts.
    range: std::ops::Range<usize>,
}

impl Page<'_> {
    /// The URL path of page `n` of this listing: `base`, then `base` + `page/<n>/`.
    fn url_of(&self, n: usize) -> String {
        if n == 1 {
            self.base.to_string()
        } else {
            format!("{}page/{n}/", self.base)
        }
    }

    /// This page's URL path.
    fn path(&self) -> String {
        self.url_of(self.number)
    }

    /// This page's object key: `index.html` under its path, made in one allocation.
    fn key(&self) -> String {
        let base = self.base.trim_start_matches('/');
        if self.number == 1 {
            format!("{base}index.html")
        } else {
            format!("{base}page/{}/index.html", self.number)
        }
    }

    /// The paginator templates see, with URL paths (not yet under the base path).
    fn paginator(&self) -> Paginator {
        let n = self.number;
        Paginator {
            current: n,
            total: self.total,
            prev_url: (n > 1).then(|| self.url_of(n - 1)),
            next_url: (n < self.total).then(|| self.url_of(n + 1)),
        }
    }
}

/// The posts `range` of a listing shows (indexes into `Site::posts`): of a list of posts
/// (a tag's, a section's), or of all.
fn listed(
    list: Option<&[usize]>,
    range: std::ops::Range<usize>,
) -> impl Iterator<Item = usize> + '_ {
    let (tagged, all) = match list {
        Some(list) => (Some(list[range].iter().copied()), None),
        None => (None, Some(range)),
    };
    tagged
        .into_iter()
        .flatten()
        .chain(all.into_iter().flatten())
}

impl<'s> Renderer<'s> {
    /// Plans every listing page; `prints` are the fingerprints of every document, in
    /// [`crate::site::Site::docs`] order (posts first, newest first).
    pub(super) fn plan_listings(&'s self, prints: &[DocPrints]) -> Vec<Planned<'s>> {
        let mut plan = Vec::new();
        self.plan_indexes(prints, &mut plan);
        let mut sitemap = self.base_print("sitemap");
        self.plan_term_lists(&mut sitemap, &mut plan);
        let (archive, feed) = self.post_prints(prints, &mut sitemap);
        self.plan_tag_feeds(prints, &mut plan);
        let (archive, feed, sitemap) = (
            archive.into_print(),
            feed.into_print(),
            sitemap.into_print(),
        );
        for row in GENERATED {
            let print = match row.depends {
                Depends::Archive => archive.clone(),
                Depends::Feed => feed.clone(),
                Depends::Sitemap => sitemap.clone(),
                Depends::Robots => self.base_print("robots").into_print(),
                Depends::NotFound => self.base_print("404").into_print(),
                // Planned above (documents, paginated listings) or made in code (files).
                _ => continue,
            };
            plan.push(Planned {
                key: std::borrow::Cow::Borrowed(row.key),
                print,
                job: Job::Listing(Listing::Single(row)),
            });
        }
        plan
    }

    /// Each taxonomy with terms (tags always) and its terms.
    fn terms(&self) -> impl Iterator<Item = (&'s str, &'s [Tag])> + Clone + 's {
        let site = self.site;
        std::iter::once(("tags", site.tags.as_slice())).chain(
            site.taxonomies
                .iter()
                .filter(|t| !t.terms.is_empty())
                .map(|t| (t.name, t.terms.as_slice())),
        )
    }

    /// Plans the paginated indexes: home, each term's, each section's.
    fn plan_indexes(&'s self, prints: &[DocPrints], plan: &mut Vec<Planned<'s>>) {
        let site = self.site;
        let per_page = site.config.posts_per_page;
        let term_pages = self.terms().flat_map(|(taxonomy, tags)| {
            tags.iter().flat_map(move |tag| {
                paginate(tag.url(), tag.posts.len(), per_page)
                    .map(move |page| (IndexOf::Term { taxonomy, tag }, page))
            })
        });
        let section_pages = site
            .sections
            .iter()
            .filter(|s| s.doc.url != "/")
            .flat_map(|s| {
                paginate(&s.doc.url, s.posts.len(), s.per_page)
                    .map(move |page| (IndexOf::Section(s), page))
            });
        let indexes = paginate("/", site.posts.len(), per_page)
            .map(|page| (IndexOf::Home, page))
            .chain(term_pages)
            .chain(section_pages);
        for (of, page) in indexes {
            let mut fp = self.base_print("index");
            match of {
                IndexOf::Home => {
                    if let Some(home) = site.home() {
                        fp.hash(&prints[home.index].full);
                    }
                }
                IndexOf::Term { taxonomy, tag } => {
                    fp.str(taxonomy).str(&tag.name).num(tag.posts.len() as u64);
                }
                IndexOf::Section(s) => {
                    fp.str("section").hash(&prints[s.index].full);
                }
            }
            fp.num(page.total as u64);
            for i in listed(of.posts(), page.range.clone()) {
                fp.hash(&prints[i].listing);
            }
            plan.push(Planned {
                key: page.key().into(),
                print: fp.into_print(),
                job: Job::Listing(Listing::Index { of, page }),
            });
        }
    }

    /// Plans each taxonomy's list of terms; their prints go into the `sitemap`'s.
    fn plan_term_lists(&'s self, sitemap: &mut Fingerprint, plan: &mut Vec<Planned<'s>>) {
        for (taxonomy, tags) in self.terms() {
            let mut print = self.base_print("terms");
            print.str(taxonomy);
            for t in tags {
                print.str(&t.name).num(t.posts.len() as u64);
            }
            sitemap.hash(&print.finish());
            plan.push(Planned {
                key: format!("{taxonomy}/index.html").into(),
                print: print.into_print(),
                job: Job::Listing(Listing::Terms {
                    taxonomy,
                    terms: tags,
                }),
            });
        }
    }

    /// The archive's and the feed's prints; the posts, pages and sections go into the
    /// `sitemap`'s.
    fn post_prints(
        &self,
        prints: &[DocPrints],
        sitemap: &mut Fingerprint,
    ) -> (Fingerprint, Fingerprint) {
        let site = self.site;
        let n_posts = site.posts.len();
        let mut archive = self.base_print("archive");
        for p in &prints[..n_posts] {
            archive.hash(&p.meta);
            sitemap.hash(&p.meta);
        }
        for page in &site.pages {
            // The sitemap shows a page's URL and its last date.
            sitemap
                .str(&page.url)
                .date(page.updated.or(page.date).as_ref());
        }
        for section in &site.sections {
            sitemap
                .str(&section.doc.url)
                .num(section.posts.len() as u64);
        }
        let mut feed = self.base_print("feed");
        for p in prints.iter().take(n_posts.min(site.config.feed_limit)) {
            feed.hash(&p.full);
        }
        (archive, feed)
    }

    /// Plans each tag's feed.
    fn plan_tag_feeds(&'s self, prints: &[DocPrints], plan: &mut Vec<Planned<'s>>) {
        let site = self.site;
        for tag in &site.tags {
            let mut print = self.base_print("tag feed");
            print.str(&tag.name);
            // Entries show what listings show (summaries, not full texts).
            for &i in tag.posts.iter().take(site.config.feed_limit) {
                print.hash(&prints[i].listing);
            }
            plan.push(Planned {
                key: tag_feed_key(tag).into(),
                print: print.into_print(),
                job: Job::Listing(Listing::TagFeed(tag)),
            });
        }
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
            Listing::Index { of, page } => {
                let mut ctx = self.common(&page.path());
                let posts: Vec<&DocCtx<'_>> = listed(of.posts(), page.range.clone())
                    .map(|i| contexts.listing(i))
                    .collect();
                ctx.insert("posts", &posts);
                let href = |u: Option<String>| u.as_deref().map(|u| cfg.href(u));
                let paginator = page.paginator();
                ctx.insert(
                    "paginator",
                    &Paginator {
                        prev_url: href(paginator.prev_url),
                        next_url: href(paginator.next_url),
                        ..paginator
                    },
                );
                match of {
                    IndexOf::Term { taxonomy, tag } => {
                        ctx.insert("tag", &tag_ctx(cfg, tag));
                        ctx.insert("taxonomy", &taxonomy_ctx(cfg, taxonomy));
                        (generated::template(Depends::Term), ctx)
                    }
                    IndexOf::Section(s) => {
                        ctx.insert("section", contexts.full(s.index));
                        (generated::template(Depends::Section), ctx)
                    }
                    IndexOf::Home => {
                        if let Some(home) = self.site.home() {
                            ctx.insert("section", contexts.full(home.index));
                        }
                        (generated::template(Depends::Home), ctx)
                    }
                }
            }
            Listing::Terms { taxonomy, terms } => {
                let mut ctx = self.common(&format!("/{taxonomy}/"));
                let tags: Vec<TagCtx> = terms.iter().map(|t| tag_ctx(cfg, t)).collect();
                ctx.insert("tags", &tags);
                ctx.insert("taxonomy", &taxonomy_ctx(cfg, taxonomy));
                (generated::template(Depends::Terms), ctx)
            }
            Listing::TagFeed(tag) => {
                let path = format!("{}atom.xml", tag.url());
                let newest = tag.posts.iter().copied().take(cfg.feed_limit);
                let mut ctx = self.feed_ctx(&path, newest, contexts, false);
                ctx.insert("tag", &tag_ctx(cfg, tag));
                ctx.insert("page_url", &cfg.permalink(tag.url()));
                (generated::template(Depends::TermFeed), ctx)
            }
            Listing::Single(row) => {
                let path = format!("/{}", row.key.strip_suffix("index.html").unwrap_or(row.key));
                let template = row.template.map_or("", |t| t.name);
                let html = self
                    .templates
                    .render(template, &self.single_ctx(row, &path, contexts))
                    .map_err(|e| e.on_page(key))?;
                let mut output = Output::from_bytes(key, html.into_bytes(), OutputKind::Listing);
                output.content_type = row.media_type.to_string();
                return Ok(output);
            }
        };
        let html = self
            .templates
            .render(template, &ctx)
            .map_err(|e| e.on_page(key))?;
        Ok(Output::from_bytes(
            key,
            html.into_bytes(),
            OutputKind::Listing,
        ))
    }

    /// The context of the page of its own `row` makes at `path`.
    fn single_ctx(&self, row: &Generated, path: &str, contexts: &Contexts<'_>) -> tera::Context {
        let cfg = &self.site.config;
        match row.depends {
            Depends::Archive => {
                let mut ctx = self.common(path);
                let mut years: Vec<YearCtx<'_>> = Vec::new();
                for (i, doc) in self.site.posts.iter().enumerate() {
                    let post = ArchivePost::of(contexts.listing(i));
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
                ctx
            }
            Depends::Feed => {
                let newest = 0..self.site.posts.len().min(cfg.feed_limit);
                self.feed_ctx(path, newest, contexts, true)
            }
            Depends::Sitemap => {
                let mut ctx = self.common(path);
                ctx.insert("entries", &self.sitemap_entries());
                ctx
            }
            Depends::Robots => {
                let mut ctx = self.common(path);
                ctx.insert("sitemap_url", &cfg.permalink("/sitemap.xml"));
                ctx
            }
            _ => self.common(path),
        }
    }

    /// The context of an Atom feed at `path` of the posts `newest` (indexes into
    /// `Site::posts`, newest first), with their full texts when `full`.
    fn feed_ctx(
        &self,
        path: &str,
        newest: impl Iterator<Item = usize>,
        contexts: &Contexts<'_>,
        full: bool,
    ) -> tera::Context {
        let mut ctx = self.common(path);
        let newest: Vec<usize> = newest.collect();
        let posts: Vec<&DocCtx<'_>> = newest
            .iter()
            .map(|&i| {
                if full {
                    contexts.full(i)
                } else {
                    contexts.listing(i)
                }
            })
            .collect();
        let updated = newest
            .iter()
            .filter_map(|&i| self.site.posts[i].updated.or(self.site.posts[i].date))
            .max()
            .map(|d| d.to_rfc3339())
            .unwrap_or_else(|| "1970-01-01T00:00:00+00:00".into());
        ctx.insert("posts", &posts);
        ctx.insert("updated", &updated);
        ctx.insert("feed_url", &self.site.config.permalink(path));
        ctx
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
        for section in self.site.sections.iter().filter(|s| s.doc.url != "/") {
            entries.push(SitemapEntry {
                permalink: cfg.permalink(&section.doc.url),
                lastmod: lastmod(section.doc.updated.or(section.doc.date)),
            });
        }
        let tag_urls = self.site.tags.iter().map(Tag::url);
        let taxonomies = self.site.taxonomies.iter().filter(|t| !t.terms.is_empty());
        let mut paths: Vec<String> = vec!["/archive/".into(), "/tags/".into()];
        paths.extend(tag_urls.map(String::from));
        for t in taxonomies {
            paths.push(format!("/{}/", t.name));
            paths.extend(t.terms.iter().map(|term| term.url().to_string()));
        }
        for path in &paths {
            entries.push(SitemapEntry {
                permalink: cfg.permalink(path),
                lastmod: None,
            });
        }
        entries
    }
}

/// `taxonomy` on term pages and term lists: `{ name, singular, title, url }`.
fn taxonomy_ctx(cfg: &crate::config::Config, name: &str) -> serde_json::Value {
    let (singular, title) = match name {
        "categories" => ("category", "Categories"),
        "authors" => ("author", "Authors"),
        _ => ("tag", "Tags"),
    };
    serde_json::json!({
        "name": name,
        "singular": singular,
        "title": title,
        "url": cfg.href(&format!("/{name}/")),
    })
}

/// The object key of a tag's Atom feed: `tags/<slug>/atom.xml`.
fn tag_feed_key(tag: &Tag) -> String {
    format!("{}atom.xml", tag.url().trim_start_matches('/'))
}

fn tag_ctx(cfg: &crate::config::Config, tag: &Tag) -> TagCtx {
    TagCtx {
        name: tag.name.clone(),
        slug: tag.slug.clone(),
        url: cfg.href(tag.url()),
        count: tag.posts.len(),
    }
}

/// Splits a listing of `posts` posts into pages under `base` (`/` → `/`, `/page/2/`, …). An
/// empty listing still gets its first page.
fn paginate(base: &str, posts: usize, per_page: usize) -> impl Iterator<Item = Page<'_>> {
    let total = posts.div_ceil(per_page).max(1);
    (1..=total).map(move |number| Page {
        base,
        number,
        total,
        range: (number - 1) * per_page..(number * per_page).min(posts),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::page_key;

    #[test]
    fn pagination_urls() {
        let pages: Vec<Page> = paginate("/tags/x/", 25, 10).collect();
        assert_eq!(pages.len(), 3);
        assert_eq!(pages[0].path(), "/tags/x/");
        assert_eq!(pages[1].path(), "/tags/x/page/2/");
        assert_eq!(pages[0].key(), page_key(&pages[0].path()));
        assert_eq!(pages[1].key(), "tags/x/page/2/index.html");
        let home: Vec<Page> = paginate("/", 11, 10).collect();
        assert_eq!(home[0].key(), "index.html");
        assert_eq!(home[1].key(), "page/2/index.html");
        let middle = pages[1].paginator();
        assert_eq!(middle.prev_url.as_deref(), Some("/tags/x/"));
        assert_eq!(middle.next_url.as_deref(), Some("/tags/x/page/3/"));
        assert_eq!(pages[2].range, 20..25);
        assert_eq!(pages[2].paginator().next_url, None);
        let empty: Vec<Page> = paginate("/", 0, 10).collect();
        assert_eq!(empty.len(), 1);
        assert_eq!(empty[0].range, 0..0);
        assert_eq!(empty[0].paginator().total, 1);
        let tag = Tag::new("x".into(), "x".into(), vec![7, 3, 9]);
        assert_eq!(listed(Some(&tag.posts), 1..3).collect::<Vec<_>>(), [3, 9]);
        assert_eq!(listed(None, 1..3).collect::<Vec<_>>(), [1, 2]);
    }
}

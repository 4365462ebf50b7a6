//! `Site`: the blog as pure data — posts newest first, pages, tags, assets — checked for
//! clashes. No I/O here: `Site::assemble` takes what the loader read.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use rustc_hash::FxHashMap;

use crate::config::Config;
use crate::content::{Doc, DocKind, SourceAsset, tag_slug};
use crate::error::{Diagnostic, Problem};

/// Which documents to include.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Include drafts.
    pub drafts: bool,
    /// Include posts dated in the future.
    pub future: bool,
    /// Override `base_url` from site.toml.
    pub base_url: Option<String>,
    /// Unknown shortcodes, Liquid tags and variables are warnings, their source shown marked
    /// on the page (`--lenient`; also `[content] lenient = true`).
    pub lenient: bool,
}

/// A tag and the posts carrying it.
#[derive(Debug, Clone)]
pub struct Tag {
    /// The name as first written.
    pub name: String,
    /// The URL slug (set by [`Tag::new`], which makes the URL from it).
    pub slug: String,
    /// Indexes into `Site::posts`, newest first.
    pub posts: Vec<usize>,
    /// The tag page's URL path, made once from the slug.
    url: String,
}

impl Tag {
    /// A tag named `name` (as first written), with its slug and posts.
    pub fn new(name: String, slug: String, posts: Vec<usize>) -> Tag {
        Tag::of("tags", name, slug, posts)
    }

    /// A term of the taxonomy `taxonomy` (`tags`, `categories`, `authors`): its page is
    /// `/<taxonomy>/<slug>/`.
    pub fn of(taxonomy: &str, name: String, slug: String, posts: Vec<usize>) -> Tag {
        Tag {
            url: format!("/{taxonomy}/{slug}/"),
            name,
            slug,
            posts,
        }
    }

    /// The tag page's URL path: `/tags/<slug>/`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// The taxonomies besides tags, each with its listing pages like tags': `/<name>/`,
/// `/<name>/<term>/`.
pub(crate) const TAXONOMIES: &[&str] = &["categories", "authors"];

/// A taxonomy other than tags (Zola's `[taxonomies]`, Hugo's `categories`): its terms.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    /// `categories` or `authors`.
    pub name: &'static str,
    /// Its terms by slug, each with its posts.
    pub terms: Vec<Tag>,
}

/// A section's listing page (`content/<section>/_index.md`): its document and its posts.
#[derive(Debug, Clone)]
pub struct Section {
    /// The `_index.md` document (title, description, body, settings).
    pub doc: Arc<Doc>,
    /// Its index among [`Site::docs`].
    pub index: usize,
    /// What it lists, as indexes into [`Site::docs`], in the section's order (`sort_by`):
    /// its posts, or for a section of pages its pages.
    pub posts: Vec<usize>,
    /// Posts per page (`paginate_by`, else `posts_per_page`).
    pub per_page: usize,
}

/// The site as data.
#[derive(Debug)]
pub struct Site {
    /// The configuration.
    pub config: Config,
    /// Posts, newest first.
    pub posts: Vec<Arc<Doc>>,
    /// Standalone pages, by path.
    pub pages: Vec<Arc<Doc>>,
    /// Private (encrypted) posts and pages, newest first: rendered at their URL, listed
    /// nowhere (no listing, tag, feed, sitemap or neighbour link knows them).
    pub private: Vec<Arc<Doc>>,
    /// Tags by slug.
    pub tags: Vec<Tag>,
    /// Categories and authors, each with its terms by slug (a taxonomy no post uses has none).
    pub taxonomies: Vec<Taxonomy>,
    /// Sections with an `_index.md`, by path; the site's top one (`content/_index.md`, a
    /// Jekyll `index.md`) gives the home page its text and has URL `/`.
    pub sections: Vec<Section>,
    /// Files copied as is, with their keys.
    pub assets: Vec<SourceAsset>,
    /// Source paths of documents left out (drafts, future posts), so links to them can say so.
    pub excluded: Vec<String>,
    /// The earliest date of a post left out for being in the future, or of a built post's
    /// expiry (`expiryDate`): from then on the same sources build a different site.
    pub next_release: Option<DateTime<FixedOffset>>,
    /// How many documents were left out, and why.
    pub left_out: LeftOut,
}

/// How many documents a build left out, by reason (each counted once, in this order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LeftOut {
    /// Drafts (`--drafts` builds them).
    pub drafts: usize,
    /// Posts dated in the future (`--future` builds them).
    pub future: usize,
    /// Posts past their `expiryDate`.
    pub expired: usize,
}

impl LeftOut {
    /// "; left out 3 posts dated in the future (--future builds them) and 1 draft (--drafts)",
    /// or nothing when nothing was left out: the tail of a build's closing line.
    pub fn summary(&self) -> String {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut parts = Vec::new();
        if self.future > 0 {
            parts.push(format!(
                "{} (--future builds them)",
                plural(
                    self.future,
                    "post dated in the future",
                    "posts dated in the future"
                )
            ));
        }
        if self.drafts > 0 {
            parts.push(format!(
                "{} (--drafts)",
                plural(self.drafts, "draft", "drafts")
            ));
        }
        if self.expired > 0 {
            parts.push(plural(self.expired, "expired post", "expired posts"));
        }
        match parts.len() {
            0 => String::new(),
            _ => {
                let last = parts.pop().unwrap_or_default();
                let head = parts.join(", ");
                let list = if head.is_empty() {
                    last
                } else {
                    format!("{head} and {last}")
                };
                format!("; left out {list}")
            }
        }
    }
}

impl Site {
    /// Assembles the site from loaded documents and assets, dropping drafts and future posts
    /// as `opts` says, and reporting every URL clash.
    pub fn assemble(
        config: Config,
        docs: Vec<Arc<Doc>>,
        assets: Vec<SourceAsset>,
        opts: &BuildOptions,
        now: DateTime<FixedOffset>,
    ) -> Result<Site, Vec<Diagnostic>> {
        let (site, clashes) = Site::assemble_with_clashes(config, docs, assets, opts, now)?;
        if clashes.is_empty() {
            Ok(site)
        } else {
            Err(clashes)
        }
    }

    /// [`Site::assemble`], returning the URL clashes beside the site instead of failing on
    /// them (a check goes on to find the problems a render finds).
    pub(crate) fn assemble_with_clashes(
        config: Config,
        docs: Vec<Arc<Doc>>,
        assets: Vec<SourceAsset>,
        opts: &BuildOptions,
        now: DateTime<FixedOffset>,
    ) -> Result<(Site, Vec<Diagnostic>), Vec<Diagnostic>> {
        let Sorted {
            mut posts,
            pages,
            mut private,
            section_docs,
            excluded,
            unbuilt_bundles,
            next_release,
            left_out,
        } = Sorted::of(docs, opts, now);
        let newest_first =
            |a: &Arc<Doc>, b: &Arc<Doc>| b.date.cmp(&a.date).then_with(|| a.title.cmp(&b.title));
        posts.sort_by(newest_first);
        private.sort_by(newest_first);
        let leaks = private_bundle_leaks(&private, &assets);
        if !leaks.is_empty() {
            return Err(leaks);
        }
        let bundle_assets = place_bundle_assets(&posts, &pages, &unbuilt_bundles, assets);

        let tags = group_tags(&posts, "tags", |d| &d.tags);
        let taxonomies = TAXONOMIES
            .iter()
            .map(|name| Taxonomy {
                name,
                terms: group_tags(&posts, name, |d| match *name {
                    "categories" => &d.categories,
                    _ => &d.authors,
                }),
            })
            .collect();
        let first_section = posts.len() + pages.len() + private.len();
        let sections = sections_of(section_docs, &posts, &pages, first_section, &config);
        let site = Site {
            config,
            posts,
            pages,
            private,
            tags,
            taxonomies,
            sections,
            assets: bundle_assets,
            excluded,
            next_release,
            left_out,
        };
        let clashes = site.check_clashes().err().unwrap_or_default();
        Ok((site, clashes))
    }

    /// All documents: posts, pages, private documents, then sections' `_index.md`.
    pub fn docs(&self) -> impl Iterator<Item = &Arc<Doc>> {
        self.posts
            .iter()
            .chain(&self.pages)
            .chain(&self.private)
            .chain(self.sections.iter().map(|s| &s.doc))
    }

    /// The section whose URL is `/` (`content/_index.md`, a Jekyll `index.md`), if any.
    pub fn home(&self) -> Option<&Section> {
        self.sections.iter().find(|s| s.doc.url == "/")
    }

    /// The documents that may be listed: posts then pages (no private ones).
    pub(crate) fn public_docs(&self) -> impl Iterator<Item = &Arc<Doc>> {
        self.posts.iter().chain(&self.pages)
    }

    /// Every key produced by a document, alias or asset must come from one source only.
    fn check_clashes(&self) -> Result<(), Vec<Diagnostic>> {
        let mut owners: FxHashMap<&str, &str> = FxHashMap::default();
        owners.reserve(self.posts.len() + self.pages.len() + self.assets.len());
        let mut errors = Vec::new();
        let taken: Vec<&str> = self
            .taxonomies
            .iter()
            .filter(|t| !t.terms.is_empty())
            .map(|t| t.name)
            .collect();
        let keys = self
            .docs()
            .filter(|doc| doc.url != "/")
            .flat_map(|doc| {
                let aliases = doc
                    .aliases
                    .iter()
                    .map(|a| (a.as_str(), doc.rel_path.as_str()));
                std::iter::once((doc.output_key(), doc.rel_path.as_str())).chain(aliases)
            })
            .chain(
                self.assets
                    .iter()
                    .map(|a| (a.key.as_str(), a.rel_path.as_str())),
            );
        for (key, source) in keys {
            let generated = crate::outputs::generated::is_reserved(key)
                || taken.iter().any(|t| {
                    key.strip_prefix(t)
                        .is_some_and(|rest| rest.starts_with('/'))
                });
            let other = if generated {
                Some("bucketpress's generated pages")
            } else {
                owners.insert(key, source)
            };
            if let Some(other) = other {
                errors.push(Diagnostic::new(
                    Path::new(source),
                    None,
                    Problem::DuplicateUrl {
                        url: format!("/{}", key.trim_end_matches("index.html")),
                        other: other.to_string(),
                    },
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// What a section lists, as indexes into [`Site::docs`] in its order: the posts under its
/// folder (all posts for the top section), else (a section of pages, such as Hugo's
/// `content/docs/`) its pages; sorted by `sort_by` (`date`, newest first, by default;
/// `title`; `weight`; `none`: by path).
fn section_members(section: &Doc, posts: &[Arc<Doc>], pages: &[Arc<Doc>]) -> Vec<usize> {
    let dir = section.rel_path.rsplit_once('/').map_or("", |(dir, _)| dir);
    let top = section.url == "/";
    let inside = |d: &Doc| {
        top || d
            .rel_path
            .strip_prefix(dir)
            .is_some_and(|r| r.starts_with('/'))
    };
    let mut found: Vec<usize> = (0..posts.len()).filter(|&i| inside(&posts[i])).collect();
    if found.is_empty() && !top {
        found = (0..pages.len())
            .filter(|&j| inside(&pages[j]))
            .map(|j| posts.len() + j)
            .collect();
    }
    let doc = |i: usize| {
        if i < posts.len() {
            &posts[i]
        } else {
            &pages[i - posts.len()]
        }
    };
    match section.sort_by.as_deref() {
        Some("title") => found.sort_by(|&a, &b| doc(a).title.cmp(&doc(b).title)),
        Some("weight") => found.sort_by_key(|&i| (doc(i).weight.unwrap_or(0), i)),
        Some("none") => found.sort_by(|&a, &b| doc(a).rel_path.cmp(&doc(b).rel_path)),
        _ => {}
    }
    found
}

/// Groups posts (newest first) by the slug of the names `names` gives (tags, categories,
/// authors), sorted by slug; a term keeps the name it was first written with. A site has few
/// distinct terms and many posts, so each name is slugified once and nothing is allocated per
/// post.
fn group_tags(
    posts: &[Arc<Doc>],
    taxonomy: &str,
    names: impl Fn(&Doc) -> &Vec<String>,
) -> Vec<Tag> {
    let mut slug_of: FxHashMap<&str, usize> = FxHashMap::default();
    let mut by_slug: FxHashMap<String, usize> = FxHashMap::default();
    let mut tags: Vec<Tag> = Vec::new();
    for (i, post) in posts.iter().enumerate() {
        for name in names(post) {
            let t = *slug_of.entry(name.as_str()).or_insert_with(|| {
                let slug = tag_slug(name);
                *by_slug.entry(slug.clone()).or_insert_with(|| {
                    tags.push(Tag::of(taxonomy, name.clone(), slug, Vec::new()));
                    tags.len() - 1
                })
            });
            // Two names of one post with the same slug count once.
            if tags[t].posts.last() != Some(&i) {
                tags[t].posts.push(i);
            }
        }
    }
    tags.sort_unstable_by(|a, b| a.slug.cmp(&b.slug));
    tags
}

/// The documents sorted by what becomes of them in a build: listed posts, pages, private
/// documents, sections' `_index.md`, or left out (drafts, future and expired posts).
struct Sorted {
    posts: Vec<Arc<Doc>>,
    pages: Vec<Arc<Doc>>,
    private: Vec<Arc<Doc>>,
    section_docs: Vec<Arc<Doc>>,
    /// The source paths left out.
    excluded: Vec<String>,
    /// The bundle folders of documents left out: their assets are not built either.
    unbuilt_bundles: Vec<String>,
    /// The earliest date the same sources build another site (a future post, an expiry).
    next_release: Option<DateTime<FixedOffset>>,
    left_out: LeftOut,
}

impl Sorted {
    /// Sorts `docs` (in their order) as of `now`, with `opts`' drafts and future posts.
    fn of(docs: Vec<Arc<Doc>>, opts: &BuildOptions, now: DateTime<FixedOffset>) -> Sorted {
        let mut sorted = Sorted {
            posts: Vec::new(),
            pages: Vec::new(),
            private: Vec::new(),
            section_docs: Vec::new(),
            excluded: Vec::new(),
            unbuilt_bundles: Vec::new(),
            next_release: None,
            left_out: LeftOut::default(),
        };
        for doc in docs {
            if sorted.leaves_out(&doc, opts, now) {
                continue;
            }
            if doc.private.is_some() {
                sorted.private.push(doc);
                continue;
            }
            match doc.kind {
                DocKind::Post => sorted.posts.push(doc),
                DocKind::Page => sorted.pages.push(doc),
                DocKind::Section => sorted.section_docs.push(doc),
            }
        }
        sorted
    }

    /// True when `doc` is left out (counted, its path and bundle noted); a date at which the
    /// build changes (its release, its expiry) moves `next_release` earlier.
    fn leaves_out(&mut self, doc: &Doc, opts: &BuildOptions, now: DateTime<FixedOffset>) -> bool {
        let release = doc.publish_date.or(doc.date);
        let future = release.is_some_and(|d| d > now);
        let left_out_future = future && !opts.future;
        let left_out_draft = doc.draft && !opts.drafts;
        if let Some(date) = release
            && left_out_future
            && !left_out_draft
        {
            self.next_release = Some(self.next_release.map_or(date, |n| n.min(date)));
        }
        // Hugo's expiryDate: gone from then on, so the sources build another site then.
        let expired = doc.expiry_date.is_some_and(|d| d <= now);
        if let Some(expiry) = doc.expiry_date
            && !expired
            && !left_out_draft
            && !left_out_future
        {
            self.next_release = Some(self.next_release.map_or(expiry, |n| n.min(expiry)));
        }
        if !(left_out_draft || left_out_future || expired) {
            return false;
        }
        if left_out_draft {
            self.left_out.drafts += 1;
        } else if left_out_future {
            self.left_out.future += 1;
        } else {
            self.left_out.expired += 1;
        }
        self.excluded.push(doc.rel_path.clone());
        if let Some(dir) = doc.bundle_dir() {
            self.unbuilt_bundles.push(dir.to_string());
        }
        true
    }
}

/// An error for each asset in a private post's bundle folder: it would be published
/// unencrypted.
fn private_bundle_leaks(private: &[Arc<Doc>], assets: &[SourceAsset]) -> Vec<Diagnostic> {
    let private_bundles: Vec<(&str, &str)> = private
        .iter()
        .filter_map(|d| Some((d.bundle_dir()?, d.rel_path.as_str())))
        .collect();
    assets
        .iter()
        .filter_map(|a| {
            let (_, owner) = private_bundles.iter().find(|(dir, _)| {
                a.rel_path
                    .strip_prefix(dir)
                    .is_some_and(|r| r.starts_with('/'))
            })?;
            let problem = crate::private::PrivateError::BundleAsset(owner.to_string());
            Some(Diagnostic::new(
                Path::new(&a.rel_path),
                None,
                problem.into(),
            ))
        })
        .collect()
}

/// The sections, from their `_index.md` documents (sorted by path), each with its member
/// posts; their indexes among all documents start at `first_section`.
fn sections_of(
    mut section_docs: Vec<Arc<Doc>>,
    posts: &[Arc<Doc>],
    pages: &[Arc<Doc>],
    first_section: usize,
    config: &Config,
) -> Vec<Section> {
    section_docs.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    section_docs
        .into_iter()
        .enumerate()
        .map(|(j, doc)| {
            let posts = section_members(&doc, posts, pages);
            Section {
                per_page: doc.paginate_by.unwrap_or(config.posts_per_page).max(1),
                doc,
                index: first_section + j,
                posts,
            }
        })
        .collect()
}

/// Gives bundle assets (files beside `…/<name>/index.md`) keys under their page's URL, and
/// drops the assets of bundles that are not built (drafts, future posts: `unbuilt`).
fn place_bundle_assets(
    posts: &[Arc<Doc>],
    pages: &[Arc<Doc>],
    unbuilt: &[String],
    assets: Vec<SourceAsset>,
) -> Vec<SourceAsset> {
    let inside = |rel_path: &str, dir: &str| {
        rel_path
            .strip_prefix(dir)
            .is_some_and(|r| r.starts_with('/'))
    };
    let bundles: Vec<(&str, &str)> = posts
        .iter()
        .chain(pages)
        .filter_map(|d| d.bundle_dir().map(|dir| (dir, d.url_dir())))
        .collect();
    assets
        .into_iter()
        .filter_map(|mut asset| {
            let owner = bundles.iter().find(|(dir, _)| inside(&asset.rel_path, dir));
            match owner {
                Some((dir, url)) => {
                    let inner = &asset.rel_path[dir.len() + 1..];
                    asset.key = format!("{}{inner}", url.trim_start_matches('/'));
                    Some(asset)
                }
                // An asset of a bundle that is not built (a draft) stays out too.
                None if unbuilt.iter().any(|dir| inside(&asset.rel_path, dir)) => None,
                None => Some(asset),
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "site_tests.rs"]
mod tests;

//! The link checker: every internal `href`/`src`/`srcset` of the rendered site resolves to an
//! output (a page, a static file, an image variant), and every `#fragment` to an id on the
//! target page; `check --external` asks the outside world about the rest ([`external`]).
//!
//! Pages are not kept: each page's links and ids are taken while it is rendered
//! ([`extract()`], before a build spills it to disk), so the check holds small lists only.
//! A broken link is placed at its Markdown file and line (found by searching the source for
//! the link as written), else at the template that writes it.

mod config;
pub mod external;
mod extract;
mod resolve;

use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use crate::error::find_in;
use crate::error::{Diagnostic, Problem};
use crate::templates::Templates;

pub use config::{LinksConfig, Severity};
pub use extract::{PageLinks, extract};
pub use resolve::{Base, Target, resolve};

/// What the internal check needs to know about the site besides its pages' links.
pub(crate) struct SiteView<'a> {
    /// True when the site has an output at this object key.
    pub exists: &'a (dyn Fn(&str) -> bool + Sync),
    /// The site's address.
    pub base: Base,
    /// Links to skip (`[links] skip`).
    pub skip: &'a globset::GlobSet,
    /// The templates, to place a link no Markdown file has.
    pub templates: &'a Templates,
    /// The source text of a document (`content/posts/x.md`), read when one of its links is
    /// broken.
    pub read_source: &'a (dyn Fn(&str) -> Option<String> + Sync),
}

/// What the last check found on each page, kept for the next one (`serve` checks after every
/// edit): a page whose links are the same list as then (the same `Arc`: the page was not
/// rendered again) has the same broken links, as long as nothing a link can point at
/// changed — no output added or removed, same address and `skip` rules (the world's
/// fingerprint), and no page's ids changed (compared on the pages rendered again). At
/// 100,000 posts the whole check takes ~3.5 s; after an edit that leaves the world alone,
/// only the re-rendered pages are checked.
#[derive(Default)]
pub(crate) struct LinkMemo {
    world: Option<blake3::Hash>,
    pages: rustc_hash::FxHashMap<String, (Arc<PageLinks>, Vec<Found>)>,
}

/// Every page's links by key.
type Pages<'a> = rustc_hash::FxHashMap<&'a str, &'a Arc<PageLinks>>;

/// Whether a page's broken links were found by this check or kept from the last.
#[derive(Clone, Copy)]
enum Checked {
    Now,
    Before,
}

/// A broken link of a page, as kept in the [`LinkMemo`]: its position in the page's links
/// and the missing fragment, if that is what is wrong.
#[derive(Clone)]
struct Found {
    link: usize,
    anchor: Option<String>,
}

/// A link that does not resolve, found on a page.
struct Broken<'a> {
    key: &'a str,
    page: &'a PageLinks,
    link: &'a str,
    /// The missing fragment, when the page exists but has no such id.
    anchor: Option<String>,
}

/// Checks every internal link of `pages` (`(object key, links)`), returning a diagnostic per
/// broken link and page (the same template link broken on many pages groups into one line
/// when printed, see [`crate::error::grouped`]). `outputs` fingerprints every key the site
/// has (what `site.exists` answers) and the `skip` rules, asked only with a `memo`; pages
/// `memo` knows unchanged in an unchanged world are not checked again.
pub(crate) fn check_internal<'a>(
    pages: impl Iterator<Item = (&'a str, &'a Arc<PageLinks>)>,
    outputs: impl FnOnce() -> blake3::Hash,
    site: &SiteView<'_>,
    mut memo: Option<&mut LinkMemo>,
) -> Vec<Diagnostic> {
    let pages: Pages<'_> = pages.collect();
    let world = memo.as_ref().map(|_| world_print(outputs(), site));
    let kept = memo
        .as_deref()
        .filter(|m| m.world.is_some() && m.world == world && same_ids(m, &pages));
    // Pages in any order, and only those checked now (for the memo) or with broken links:
    // after an edit that is a few of 100,000, and sorting or visiting them all cost more
    // than the check itself. What is found is put in key order.
    let remember = memo.is_some();
    let mut found: Vec<(&str, Vec<Found>, Checked)> = pages
        .par_iter()
        .filter_map(|(&key, &links)| {
            let known = kept
                .and_then(|m| m.pages.get(key))
                .filter(|(old, _)| Arc::ptr_eq(old, links));
            match known {
                Some((_, list)) if list.is_empty() => None,
                Some((_, list)) => Some((key, list.clone(), Checked::Before)),
                None => {
                    let list = find_broken(key, links, &pages, site);
                    (remember || !list.is_empty()).then_some((key, list, Checked::Now))
                }
            }
        })
        .collect();
    found.sort_unstable_by_key(|(key, ..)| *key);
    let mut broken: Vec<Broken<'_>> = Vec::new();
    for (key, list, checked) in found {
        let page: &PageLinks = pages[key];
        if let (Checked::Now, Some(memo)) = (checked, memo.as_deref_mut()) {
            let entry = (Arc::clone(pages[key]), list.clone());
            memo.pages.insert(key.to_string(), entry);
        }
        broken.extend(list.into_iter().filter_map(|f| {
            Some(Broken {
                key,
                page,
                link: page.links.iter().nth(f.link)?,
                anchor: f.anchor,
            })
        }));
    }
    if let Some(memo) = memo {
        if memo.pages.len() != pages.len() {
            memo.pages.retain(|key, _| pages.contains_key(key.as_str()));
        }
        memo.world = world;
    }
    // A listing shows posts' summaries: a link broken there that is broken on the post's
    // own page too is that post's problem, reported once; a relative link that works on the
    // post's page but not on a listing (a bundle's `diagram.svg` in a summary) is left alone.
    let on_documents: rustc_hash::FxHashSet<&str> = broken
        .iter()
        .filter(|b| b.page.source.is_some())
        .map(|b| b.link)
        .collect();
    let broken: Vec<Broken<'_>> = broken
        .into_iter()
        .filter(|b| {
            b.page.source.is_some()
                || !(on_documents.contains(b.link)
                    || is_relative(b.link) && written_in_doc(b.link, &pages))
        })
        .collect();
    let mut out = Vec::with_capacity(broken.len());
    let mut source: Option<(&str, Option<String>)> = None;
    // Every key in order, made only when a link broken on a listing is placed.
    let keys: std::cell::OnceCell<Vec<&str>> = std::cell::OnceCell::new();
    for b in &broken {
        // A link broken on a listing (a post's summary on the home page) was written in the
        // first document whose page has it too.
        let src = b.page.source.as_deref().or_else(|| {
            let keys = keys.get_or_init(|| {
                let mut keys: Vec<&str> = pages.keys().copied().collect();
                keys.sort_unstable();
                keys
            });
            keys.iter()
                .map(|k| pages[k])
                .find(|p| p.source.is_some() && p.links.iter().any(|l| l == b.link))
                .and_then(|p| p.source.as_deref())
        });
        let text = match src {
            Some(src) => {
                if source.as_ref().is_none_or(|(s, _)| *s != src) {
                    source = Some((src, (site.read_source)(src)));
                }
                source.as_ref().and_then(|(s, t)| Some((*s, t.as_deref()?)))
            }
            None => None,
        };
        out.push(place(b, text, site));
    }
    out
}

/// The broken links of one page.
fn find_broken(key: &str, page: &PageLinks, pages: &Pages<'_>, site: &SiteView<'_>) -> Vec<Found> {
    page.links
        .iter()
        .enumerate()
        .filter_map(|(i, link)| {
            broken(key, page, link, pages, site).map(|b| Found {
                link: i,
                anchor: b.anchor,
            })
        })
        .collect()
}

/// The fingerprint of what a page's links are checked against besides the pages' ids: the
/// site's keys and `skip` rules (`outputs`, from the caller) and the address.
fn world_print(outputs: blake3::Hash, site: &SiteView<'_>) -> blake3::Hash {
    let mut h = blake3::Hasher::new();
    h.update(outputs.as_bytes());
    h.update(format!("{:?}", site.base).as_bytes());
    h.finalize()
}

/// True when every page has the ids it had at the last check: the same list (the page was
/// not rendered again) or an equal one. A page the memo does not know means the keys changed,
/// which the world's fingerprint says already. Only the pages rendered again compare lists:
/// hashing every page's key and ids after each edit took ~100 ms at 100,000 posts.
fn same_ids(memo: &LinkMemo, pages: &Pages<'_>) -> bool {
    pages.par_iter().all(|(key, new)| {
        memo.pages
            .get(*key)
            .is_some_and(|(old, _)| Arc::ptr_eq(old, new) || old.ids == new.ids)
    })
}

/// True for a link relative to its page's folder (`a.png`, `../x/`).
fn is_relative(link: &str) -> bool {
    !link.starts_with(['/', '#', '?']) && resolve::scheme(link).is_none()
}

/// True when some document's page has `link` (so a listing shows it in a summary).
fn written_in_doc(link: &str, pages: &Pages<'_>) -> bool {
    pages
        .values()
        .any(|p| p.source.is_some() && p.links.iter().any(|l| l == link))
}

/// The problem with `link` on page `key`, if it has one.
fn broken<'a>(
    key: &'a str,
    page: &'a PageLinks,
    link: &'a str,
    pages: &Pages<'_>,
    site: &SiteView<'_>,
) -> Option<Broken<'a>> {
    // Markdown links to documents (`@/posts/x.md`, `x.md`) that are not built were
    // reported with their lines when the Markdown was rendered.
    let path = link.split(['#', '?']).next().unwrap_or("");
    if path.starts_with("@/") || path.ends_with(".md") || site.skip.is_match(link) {
        return None;
    }
    let Target::Internal { keys, fragment } = resolve(link, key, &site.base) else {
        return None;
    };
    let Some(found) = keys.iter().find(|k| (site.exists)(k)) else {
        return Some(Broken {
            key,
            page,
            link,
            anchor: None,
        });
    };
    let fragment = fragment.filter(|f| f != "top")?;
    // Only pages the site rendered have known ids (a static HTML file is not read).
    let target = pages.get(found.as_str())?;
    (!target.ids.contains(&fragment)).then_some(Broken {
        key,
        page,
        link,
        anchor: Some(fragment),
    })
}

/// A diagnostic for a broken link, placed in the Markdown `text` of its page when it is
/// written there, else in the template that has it, else at the page.
fn place(b: &Broken<'_>, text: Option<(&str, &str)>, site: &SiteView<'_>) -> Diagnostic {
    let problem = match &b.anchor {
        Some(anchor) => Problem::BrokenAnchor {
            target: b.link.to_string(),
            anchor: anchor.clone(),
        },
        None => Problem::DeadLink(b.link.to_string()),
    };
    let mut needles = vec![b.link.to_string()];
    let base_path = site.base.path();
    if base_path != "/"
        && let Some(rest) = b.link.strip_prefix(base_path)
    {
        needles.push(format!("/{rest}"));
    }
    if let Some((_, fragment)) = b.link.split_once('#') {
        needles.push(format!("#{fragment}"));
    }
    let page = b
        .page
        .source
        .clone()
        .unwrap_or_else(|| format!("/{}", b.key));
    if let Some((src, text)) = text {
        for needle in &needles {
            if let Some((line, col)) = find_in(text, needle) {
                let d = Diagnostic::new(Path::new(src), Some(line), problem.clone())
                    .at_column(Some(col));
                return if b.page.source.as_deref() == Some(src) {
                    d
                } else {
                    d.on_page(page)
                };
            }
        }
    }
    // A template writes most links from variables (`{{ site.base_path }}favicon.svg`): its
    // last path segment is what the source has.
    let path = b.link.split(['#', '?']).next().unwrap_or("");
    let segment = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let in_template = needles
        .iter()
        .map(String::as_str)
        .chain((segment.len() >= 4).then_some(segment))
        .find_map(|n| site.templates.find_text(n));
    match in_template {
        Some((name, line, col)) => {
            Diagnostic::new(&Path::new("templates").join(name), Some(line), problem)
                .at_column(Some(col))
                .on_page(page)
        }
        None => Diagnostic::new(Path::new(&page), None, problem),
    }
}

/// An external link and the first page that has it (by key, preferring a document's page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalRef {
    /// The URL, without its fragment.
    pub url: String,
    /// The source file of the page, if it is a document's.
    pub source: Option<String>,
    /// The page's object key.
    pub page: String,
}

/// Every `http(s)` link to another site found on `pages`, once each, sorted by URL; links
/// matching `skip` are left out.
pub fn external_links<'a>(
    pages: impl Iterator<Item = (&'a str, &'a PageLinks)>,
    base: &Base,
    skip: &globset::GlobSet,
) -> Vec<ExternalRef> {
    let mut pages: Vec<(&str, &PageLinks)> = pages.collect();
    pages.sort_unstable_by_key(|(k, _)| *k);
    let mut found: std::collections::BTreeMap<String, ExternalRef> = Default::default();
    for (key, page) in pages {
        for link in page.links.iter() {
            if skip.is_match(link) {
                continue;
            }
            let Target::External(url) = resolve(link, key, base) else {
                continue;
            };
            let better = found
                .get(&url)
                .is_none_or(|r| r.source.is_none() && page.source.is_some());
            if better {
                let r = ExternalRef {
                    url: url.clone(),
                    source: page.source.clone(),
                    page: key.to_string(),
                };
                found.insert(url, r);
            }
        }
    }
    found.into_values().collect()
}

/// A diagnostic for an external link that does not answer well, at its line in the Markdown
/// source (`read_source`) when it is written there, else at its page.
pub fn external_diagnostic(
    r: &ExternalRef,
    status: &str,
    read_source: &dyn Fn(&str) -> Option<String>,
) -> Diagnostic {
    let problem = Problem::ExternalLink {
        url: r.url.clone(),
        status: status.to_string(),
    };
    if let Some(src) = &r.source
        && let Some((line, col)) = read_source(src).and_then(|t| find_in(&t, &r.url))
    {
        return Diagnostic::new(Path::new(src), Some(line), problem).at_column(Some(col));
    }
    let page = r.source.clone().unwrap_or_else(|| format!("/{}", r.page));
    Diagnostic::new(Path::new(&page), None, problem)
}

//! A page's links and anchor ids, taken from its HTML while it is rendered (html5gum's
//! WHATWG tokenizer with a callback: no tree, no token objects, attribute values borrowed
//! and their character references decoded), so the checker never holds a page's HTML.

use std::convert::Infallible;

use html5gum::emitters::callback::{CallbackEmitter, CallbackEvent};
use html5gum::{Span, Tokenizer};
use rustc_hash::FxHashSet;

/// What one page links to and which fragment ids it has: all the checker keeps of a page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageLinks {
    /// The source file the page was rendered from (`content/posts/x.md`), if any.
    pub source: Option<String>,
    /// Every `href`, `src`, `srcset` candidate and `poster`, as written, once each, in order.
    pub links: Vec<String>,
    /// Every `id` (and `name` of an `<a>`): the anchors `#fragment` links may point at.
    pub ids: Vec<String>,
}

/// An attribute the checker reads. The order is the order a tag's links are listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Attr {
    Href,
    Src,
    Poster,
    Srcset,
    Id,
    Name,
    Rel,
}

impl Attr {
    fn of(name: &[u8]) -> Option<Attr> {
        Some(match name {
            b"href" => Attr::Href,
            b"src" => Attr::Src,
            b"poster" => Attr::Poster,
            b"srcset" => Attr::Srcset,
            b"id" => Attr::Id,
            b"name" => Attr::Name,
            b"rel" => Attr::Rel,
            _ => return None,
        })
    }
}

/// The tag being read: its name and the attributes the checker reads.
#[derive(Default)]
struct OpenTag {
    name: Vec<u8>,
    attrs: Vec<(Attr, String)>,
    reading: Option<Attr>,
}

/// The links and ids of `html`. Malformed HTML is read as a browser would; links in
/// `<link rel="preconnect">`/`dns-prefetch` name hosts, not documents, and are left out.
pub fn extract(html: &[u8], source: Option<&str>) -> PageLinks {
    let mut page = PageLinks {
        source: source.map(str::to_string),
        ..PageLinks::default()
    };
    let mut seen: FxHashSet<String> = FxHashSet::default();
    let mut tag = OpenTag::default();
    let mut emitter = CallbackEmitter::new(
        |event: CallbackEvent<'_>, _: Span<()>| -> Option<Infallible> {
            match event {
                CallbackEvent::OpenStartTag { name } => {
                    tag.name.clear();
                    tag.name.extend_from_slice(name);
                    tag.attrs.clear();
                    tag.reading = None;
                }
                CallbackEvent::AttributeName { name } => tag.reading = Attr::of(name),
                CallbackEvent::AttributeValue { value } => {
                    if let Some(attr) = tag.reading.take() {
                        tag.attrs
                            .push((attr, String::from_utf8_lossy(value).into_owned()));
                    }
                }
                CallbackEvent::CloseStartTag { .. } => close_tag(&mut tag, &mut page, &mut seen),
                _ => {}
            }
            None
        },
    );
    // `<script>`, `<style>` and `<textarea>` hold text, not tags, as in a browser.
    emitter.naively_switch_states(true);
    // Reading from memory cannot fail.
    let _ = Tokenizer::new_with_emitter(html, emitter).finish();
    page
}

/// Takes a finished start tag's ids and links into `page` (each link once).
fn close_tag(tag: &mut OpenTag, page: &mut PageLinks, seen: &mut FxHashSet<String>) {
    if tag.attrs.is_empty() {
        return;
    }
    let is_a = tag.name == b"a";
    let hosts_only = tag.name == b"link"
        && tag.attrs.iter().any(|(a, v)| {
            *a == Attr::Rel
                && v.split_ascii_whitespace()
                    .any(|r| r == "preconnect" || r == "dns-prefetch")
        });
    // A tag's links in a fixed order (href, src, poster, srcset), whatever the order written.
    tag.attrs.sort_by_key(|(a, _)| *a);
    let mut add = |url: &str| {
        let url = url.trim();
        if !url.is_empty() && !seen.contains(url) {
            seen.insert(url.to_string());
            page.links.push(url.to_string());
        }
    };
    for (attr, value) in tag.attrs.drain(..) {
        match attr {
            Attr::Href | Attr::Src | Attr::Poster if !hosts_only => add(&value),
            Attr::Srcset if !hosts_only => srcset_urls(&value).for_each(&mut add),
            Attr::Id => page.ids.push(value),
            Attr::Name if is_a => page.ids.push(value),
            _ => {}
        }
    }
}

/// The URLs of a `srcset`: comma-separated candidates, each a URL then an optional
/// descriptor (`a.webp 480w, b.webp 2x`).
fn srcset_urls(set: &str) -> impl Iterator<Item = &str> {
    set.split(',')
        .filter_map(|c| c.split_ascii_whitespace().next())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_kind_of_link_and_id_once() {
        let html = br##"<!DOCTYPE html><html><head>
<link rel="stylesheet" href="/style.css"><link rel="preconnect" href="https://fonts.example">
</head><body><h2 id="intro">Intro <a class="anchor" href="#intro">#</a></h2>
<a name="old"></a><a href="../other/#x">o</a><a href="/style.css">again</a>
<picture><source srcset="/img/a-480.webp 480w, /img/a-960.webp 960w">
<img src="a.png" srcset="a.png 1x,a@2x.png 2x" alt=""></picture>
<video poster="/p.jpg" src="v.mp4"></video><a href="mailto:me@example.com">m</a>
<img src="&#x2F;img&#x2F;t.jpg?a=1&amp;b=2" id="caf&eacute;">
<script>let s = '<a href="/in-a-script/">';</script><style>a[href="/in-css/"] {}</style>
</body></html>"##;
        let page = extract(html, Some("content/posts/x.md"));
        assert_eq!(
            page.links,
            [
                "/style.css",
                "#intro",
                "../other/#x",
                "/img/a-480.webp",
                "/img/a-960.webp",
                "a.png",
                "a@2x.png",
                "v.mp4",
                "/p.jpg",
                "mailto:me@example.com",
                "/img/t.jpg?a=1&b=2",
            ]
        );
        assert_eq!(page.ids, ["intro", "old", "café"]);
        assert_eq!(page.source.as_deref(), Some("content/posts/x.md"));
    }
}

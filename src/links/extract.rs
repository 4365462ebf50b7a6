//! A page's links and anchor ids, taken from its HTML while it is rendered (lol_html's
//! streaming tokenizer: no tree is built), so the checker never holds a page's HTML.

use lol_html::{HtmlRewriter, Settings, element};
use rustc_hash::FxHashSet;

/// What one page links to and which fragment ids it has: all the checker keeps of a page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageLinks {
    /// The source file the page was rendered from (`content/posts/x.md`), if any.
    pub source: Option<String>,
    /// Every `href`, `src`, `srcset` candidate and `poster`, as written, once each, in order.
    pub links: StrList,
    /// Every `id` (and `name` of an `<a>`): the anchors `#fragment` links may point at.
    pub ids: StrList,
}

/// Strings packed end to end in one allocation, with their ends in another. A render keeps
/// every page's links and ids until the whole site is checked: as two exact-size allocations
/// a page instead of one per string, they take less memory and leave no small blocks
/// scattered among the page's temporary ones (at 10,000 pages, the link check's share of the
/// peak fell by more than its own size).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StrList {
    text: Box<str>,
    ends: Box<[u32]>,
}

impl StrList {
    /// The strings, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(start, end)| &self.text[start as usize..end as usize])
    }

    /// True when `s` is one of the strings.
    pub fn contains(&self, s: &str) -> bool {
        self.iter().any(|x| x == s)
    }

    /// How many strings there are.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

impl<S: AsRef<str>> FromIterator<S> for StrList {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> StrList {
        let mut text = String::new();
        let mut ends = Vec::new();
        for s in iter {
            text.push_str(s.as_ref());
            // A page of more than 4 GB of links is not a page this renders.
            ends.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
        }
        StrList {
            text: text.into_boxed_str(),
            ends: ends.into_boxed_slice(),
        }
    }
}

impl<const N: usize> PartialEq<[&str; N]> for StrList {
    fn eq(&self, other: &[&str; N]) -> bool {
        self.len() == N && self.iter().zip(other).all(|(a, b)| a == *b)
    }
}

/// The elements the handler sees: those with a link or an anchor id.
const WATCHED: &str = "[href], [src], [srcset], [poster], [id], a[name]";

/// Attributes holding one URL.
const URL_ATTRS: &[&str] = &["href", "src", "poster"];

/// The links and ids of `html`. Malformed HTML is read as a browser would; links in
/// `<link rel="preconnect">`/`dns-prefetch` name hosts, not documents, and are left out.
pub fn extract(html: &[u8], source: Option<&str>) -> PageLinks {
    let mut links: Vec<String> = Vec::new();
    let mut seen: FxHashSet<String> = FxHashSet::default();
    let mut ids: Vec<String> = Vec::new();
    {
        let mut add = |url: &str| {
            let url = url.trim();
            if !url.is_empty() && !seen.contains(url) {
                seen.insert(url.to_string());
                links.push(url.to_string());
            }
        };
        let mut rewriter = HtmlRewriter::new(
            // Only elements with an attribute the checker reads: most of a page (highlighted
            // code's spans) never reaches the handler.
            Settings::new().append_element_content_handler(element!(WATCHED, |el| {
                // lol_html gives attribute values as written: `&#x2F;` and `&amp;` (Tera
                // escapes `/` in values) are read as a browser reads them.
                let attr = |name: &str| {
                    el.get_attribute(name)
                        .map(|v| html_escape::decode_html_entities(&v).into_owned())
                };
                if let Some(id) = attr("id") {
                    ids.push(id);
                }
                let tag = el.tag_name();
                if tag == "a"
                    && let Some(name) = attr("name")
                {
                    ids.push(name);
                }
                if tag == "link"
                    && attr("rel").is_some_and(|r| {
                        r.split_ascii_whitespace()
                            .any(|r| r == "preconnect" || r == "dns-prefetch")
                    })
                {
                    return Ok(());
                }
                for name in URL_ATTRS {
                    if let Some(url) = attr(name) {
                        add(&url);
                    }
                }
                if let Some(set) = attr("srcset") {
                    for candidate in srcset_urls(&set) {
                        add(candidate);
                    }
                }
                Ok(())
            })),
            |_: &[u8]| {},
        );
        // The sink ignores output and the handlers never fail: no call can error.
        for part in outside_pre(html) {
            let _ = rewriter.write(part);
        }
        let _ = rewriter.end();
    }
    PageLinks {
        source: source.map(str::to_string),
        links: links.iter().collect(),
        ids: ids.iter().collect(),
    }
}

/// `html` without its `<pre>…</pre>` elements, in parts. A `<pre>` holds code: escaped text
/// and the highlighter's `<span class>`, never a link (Markdown makes none in code), and it
/// is most of a technical post's bytes, so the tokenizer is spared it. A `</pre>` inside code
/// is escaped (`&lt;/pre&gt;`); from an unclosed `<pre>` on, everything is read.
fn outside_pre(html: &[u8]) -> impl Iterator<Item = &[u8]> {
    let open = memchr::memmem::Finder::new(b"<pre");
    let close = memchr::memmem::Finder::new(b"</pre>");
    let mut rest = html;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut from = 0;
        // A `<pre` that starts a `<pre>` tag, not `<prefix>`.
        let start = loop {
            let Some(at) = open.find(&rest[from..]).map(|i| from + i) else {
                break None;
            };
            match rest.get(at + 4) {
                Some(b'>' | b' ' | b'\t' | b'\n' | b'\r' | b'/') => break Some(at),
                _ => from = at + 4,
            }
        };
        let Some(start) = start else {
            return Some(std::mem::take(&mut rest));
        };
        let Some(end) = close.find(&rest[start..]) else {
            // Unclosed: the tokenizer reads the rest as it is.
            return Some(std::mem::take(&mut rest));
        };
        let part = &rest[..start];
        rest = &rest[start + end + b"</pre>".len()..];
        Some(part)
    })
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

    #[test]
    fn code_blocks_are_skipped_and_the_rest_read() {
        let html = br#"<p id="a"><a href="/x/">x</a></p><pre class="z"><code><span class="k">fn</span> <a href="/in-pre/">no</a></code></pre>
<prefix-tag href="/after/"></prefix-tag><pre>one</pre><pre>two</pre><img src="/y.png"><pre><a href="/unclosed/">"#;
        let page = extract(html, None);
        assert_eq!(page.links, ["/x/", "/after/", "/y.png", "/unclosed/"]);
        assert_eq!(page.ids, ["a"]);
        let parts: Vec<&[u8]> = outside_pre(b"a<pre>b</pre>c").collect();
        assert_eq!(parts, [&b"a"[..], &b"c"[..]]);
    }
}

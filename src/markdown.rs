//! Markdown → HTML with pulldown-cmark: heading anchors, a table of contents, highlighted code,
//! internal links resolved to URLs, summaries and word counts. Pure: the caller supplies a link
//! resolver and a [`Highlighter`].

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Serialize;

use crate::content::normalize_site_path;
use crate::error::Problem;
use crate::highlight::{Highlighter, escape_html};
use crate::images::{Catalog, Picture};

/// One heading in the table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TocEntry {
    /// 1 to 6.
    pub level: u8,
    /// The heading's id (anchor).
    pub id: String,
    /// The heading's text.
    pub title: String,
    /// Headings nested under this one.
    pub children: Vec<TocEntry>,
}

/// An internal link found in a document, with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalLink {
    /// The target's source path, e.g. `content/posts/other.md`.
    pub target: String,
    /// The `#anchor` part, if any.
    pub anchor: Option<String>,
    /// The 1-based line of the link in the source file.
    pub line: usize,
}

/// Identifies each rendered document, so caches can tell a re-render from a reuse cheaply.
static NEXT_DOCUMENT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A rendered document.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// Unique per rendering (0 for an empty document): two documents with the same id are the
    /// same rendering.
    pub id: u64,
    /// The full HTML.
    pub html: String,
    /// The text before `<!-- more -->`, else the first paragraph, as HTML.
    pub summary: String,
    /// Nested table of contents.
    pub toc: Vec<TocEntry>,
    /// Every heading id in the document.
    pub anchors: Vec<String>,
    /// How many headings the document has (what `anchors` held, when a one-shot render has
    /// let them go).
    pub heading_count: usize,
    /// Internal links, with their lines.
    pub links: Vec<InternalLink>,
    /// Words of prose (code excluded).
    pub word_count: usize,
    /// Code languages no highlighter knows, each with the line of its first fence.
    pub unknown_langs: Vec<(String, usize)>,
    /// The first image of the document as written (`![](this)`), for `og:image`.
    pub first_image: Option<String>,
}

/// Where a document comes from, for relative links and line numbers.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The Markdown body (after front matter).
    pub body: &'a str,
    /// The 1-based line in the file where `body` starts.
    pub body_line: usize,
    /// The file's path relative to the site, with `/` separators: `content/posts/x.md`.
    pub path: &'a str,
    /// The site's base path (`/` or `/blog/`): root-relative links and images written in
    /// Markdown (`/img/a.png`) are placed under it.
    pub base_path: &'a str,
}

/// The marker that ends a summary (spaces inside it optional: Hugo writes `<!--more-->`).
const MORE_MARKER: &str = "<!-- more -->";

/// True when `html` is the summary marker alone.
fn is_more(html: &str) -> bool {
    html == MORE_MARKER
        || html
            .strip_prefix("<!--")
            .and_then(|h| h.strip_suffix("-->"))
            .is_some_and(|h| h.trim() == "more")
}

/// True when `html` holds the summary marker.
fn has_more(html: &str) -> bool {
    html.contains(MORE_MARKER)
        || html
            .match_indices("<!--")
            .any(|(i, _)| is_more(html[i..].split_inclusive("-->").next().unwrap_or("").trim()))
}

/// Renders a short Markdown text (a front matter `excerpt`) to HTML.
pub(crate) fn render_excerpt(text: &str) -> String {
    let mut html = String::with_capacity(text.len() + 16);
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(text, options()));
    html
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Renders `source`. `resolve` maps a target source path (`content/posts/x.md`) to its URL path
/// (`/posts/x/`), or `None` when no such document is built. Broken links are returned as
/// errors with their lines; everything else renders.
pub fn render(
    source: Source<'_>,
    resolve: &dyn Fn(&str) -> Option<String>,
    highlighter: &Highlighter,
) -> Result<Document, Vec<(usize, Problem)>> {
    render_with_images(source, resolve, highlighter, None)
}

/// [`render`], with images found in `images` written as responsive `<picture>` elements
/// (the first of the document loads eagerly, the others lazily).
pub(crate) fn render_with_images(
    source: Source<'_>,
    resolve: &dyn Fn(&str) -> Option<String>,
    highlighter: &Highlighter,
    images: Option<&Catalog>,
) -> Result<Document, Vec<(usize, Problem)>> {
    let mut walk = Walk::new(source, resolve, highlighter, images);
    for (event, range) in Parser::new_ext(source.body, options()).into_offset_iter() {
        walk.event(event, range.start);
    }
    walk.finish()
}

/// One document's walk over pulldown-cmark's events: what it has written so far and what it
/// is inside of (an image, a code block, a heading). Each event goes through [`Walk::event`].
struct Walk<'a> {
    source: Source<'a>,
    resolve: &'a dyn Fn(&str) -> Option<String>,
    highlighter: &'a Highlighter,
    images: Option<&'a Catalog>,
    lines: LineIndex,
    /// The events to write, as changed on the way.
    events: Vec<Event<'a>>,
    errors: Vec<(usize, Problem)>,
    doc: Document,
    /// (level, id, title) of each heading, for the table of contents.
    headings: Vec<(HeadingLevel, String, String)>,
    /// Inside a heading: the index of its start event and its text so far.
    heading_start: Option<(usize, String)>,
    /// Inside a code block: its info string, its text so far and its line.
    code: Option<(String, String, usize)>,
    /// Inside an image: what it shows, its title and its alt text so far.
    picture: Option<(Figure<'a>, CowStr<'a>, String)>,
    /// Images written so far (the first loads eagerly).
    pictures: usize,
}

impl<'a> Walk<'a> {
    fn new(
        source: Source<'a>,
        resolve: &'a dyn Fn(&str) -> Option<String>,
        highlighter: &'a Highlighter,
        images: Option<&'a Catalog>,
    ) -> Walk<'a> {
        Walk {
            source,
            resolve,
            highlighter,
            images,
            lines: LineIndex::new(source.body, source.body_line),
            events: Vec::with_capacity(source.body.len() / 16),
            errors: Vec::new(),
            doc: Document::default(),
            headings: Vec::new(),
            heading_start: None,
            code: None,
            picture: None,
            pictures: 0,
        }
    }

    /// Takes one event (at byte `start` of the body).
    #[inline]
    fn event(&mut self, event: Event<'a>, start: usize) {
        if self.picture.is_some() {
            self.in_picture(event);
            return;
        }
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((info, String::new(), self.lines.line(start)));
            }
            Event::Text(text) if self.code.is_some() => {
                if let Some((_, buf, _)) = self.code.as_mut() {
                    buf.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => self.end_code_block(),
            Event::Start(Tag::Heading { .. }) => {
                self.heading_start = Some((self.events.len(), String::new()));
                self.events.push(event);
            }
            Event::Text(ref text) | Event::Code(ref text) if self.heading_start.is_some() => {
                if let Some((_, title)) = self.heading_start.as_mut() {
                    title.push_str(text);
                }
                self.doc.word_count += count_words(text);
                self.events.push(event);
            }
            Event::End(TagEnd::Heading(level)) => {
                self.end_heading(level);
                self.events.push(event);
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest_url = self.link(dest_url, start);
                self.events.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
            }
            Event::Start(Tag::Image {
                dest_url, title, ..
            }) => self.start_image(dest_url, title),
            Event::Text(ref text) => {
                self.doc.word_count += count_words(text);
                self.events.push(event);
            }
            _ => self.events.push(event),
        }
    }

    /// An event inside an image shown as a `<picture>` or `<img>`: its text is the alt text,
    /// its end writes the element.
    #[inline]
    fn in_picture(&mut self, event: Event<'a>) {
        let Some((_, _, alt)) = self.picture.as_mut() else {
            return;
        };
        match event {
            Event::End(TagEnd::Image) => {
                let (found, title, alt) = self.picture.take().expect("inside a picture");
                let html = match found {
                    Figure::Picture(p) => p.html(&alt, &title, self.pictures == 0),
                    Figure::Img { src, size } => img_html(&src, &alt, &title, size, self.pictures),
                };
                self.pictures += 1;
                self.events.push(Event::InlineHtml(CowStr::from(html)));
            }
            Event::Text(text) | Event::Code(text) => {
                self.doc.word_count += count_words(&text);
                alt.push_str(&text);
            }
            Event::SoftBreak | Event::HardBreak => alt.push(' '),
            _ => {}
        }
    }

    /// The end of a code block: its highlighted HTML, or an error for a bad fence option.
    #[inline]
    fn end_code_block(&mut self) {
        let Some((info, buf, line)) = self.code.take() else {
            return;
        };
        match self.highlighter.fenced(&info, &buf) {
            Ok(block) => {
                if let Some(lang) = block.unknown_lang
                    && !self.doc.unknown_langs.iter().any(|(l, _)| *l == lang)
                {
                    self.doc.unknown_langs.push((lang, line));
                }
                self.events.push(Event::Html(CowStr::from(block.html)));
            }
            Err(bad) => self.errors.push((
                line,
                Problem::Invalid {
                    field: format!("code fence option {}", bad.option),
                    expected: bad.expected.into(),
                    found: bad.found,
                },
            )),
        }
    }

    /// The end of a heading: its id set and its anchor written (before the end event).
    #[inline]
    fn end_heading(&mut self, level: HeadingLevel) {
        let Some((start, title)) = self.heading_start.take() else {
            return;
        };
        let id = finish_heading(&mut self.events[start], &title, &self.doc.anchors);
        self.events.push(Event::InlineHtml(CowStr::from(format!(
            " <a class=\"anchor\" href=\"#{}\" aria-label=\"Link to this section\">#</a>",
            escape_html(&id)
        ))));
        self.doc.anchors.push(id.clone());
        self.headings.push((level, id, title));
    }

    /// A link's destination as written to the page: an internal link resolved to its URL
    /// (and kept for the anchor check), else moved under the base path; a broken one is an
    /// error and stays as written.
    #[inline]
    fn link(&mut self, dest_url: CowStr<'a>, start: usize) -> CowStr<'a> {
        let line = self.lines.line(start);
        match resolve_link(&dest_url, self.source.path) {
            LinkKind::External => under_base(dest_url, self.source.base_path),
            LinkKind::Internal { target, anchor } => match (self.resolve)(&target) {
                Some(url) => {
                    let href = match &anchor {
                        Some(a) => format!("{url}#{a}"),
                        None => url,
                    };
                    self.doc.links.push(InternalLink {
                        target,
                        anchor,
                        line,
                    });
                    CowStr::from(href)
                }
                None => {
                    self.errors
                        .push((line, Problem::BrokenLink(dest_url.to_string())));
                    dest_url
                }
            },
            LinkKind::Invalid => {
                self.errors
                    .push((line, Problem::BrokenLink(dest_url.to_string())));
                dest_url
            }
        }
    }

    /// The start of an image: a processed picture when the catalog has it, else an `<img>`
    /// of the file as it is; written at its end.
    #[inline]
    fn start_image(&mut self, dest_url: CowStr<'a>, title: CowStr<'a>) {
        let source = self.source;
        let figure = match self.images.and_then(|c| c.lookup(&dest_url, source.path)) {
            Some(found) => {
                self.doc
                    .first_image
                    .get_or_insert_with(|| found.src.clone());
                Figure::Picture(found)
            }
            None => {
                let size = self.images.and_then(|c| c.size_of(&dest_url, source.path));
                let src = under_base(dest_url, source.base_path).to_string();
                self.doc.first_image.get_or_insert_with(|| src.clone());
                Figure::Img { src, size }
            }
        };
        self.picture = Some((figure, title, String::new()));
    }

    /// The document: its errors if any, else its HTML, summary and table of contents.
    fn finish(self) -> Result<Document, Vec<(usize, Problem)>> {
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        let mut doc = self.doc;
        doc.id = NEXT_DOCUMENT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        doc.toc = nest_toc(&self.headings);
        doc.heading_count = doc.anchors.len();
        let summary: Vec<Event<'_>> = summary_events(&self.events)
            .iter()
            .filter(|e| !matches!(e, Event::Html(h) | Event::InlineHtml(h) if is_more(h.trim())))
            .cloned()
            .collect();
        doc.summary = render_html(&summary);
        doc.html = render_html(&self.events);
        Ok(doc)
    }
}

/// An image being written: a processed picture, or an `<img>` of a file left as it is.
enum Figure<'p> {
    Picture(&'p Picture),
    Img {
        src: String,
        /// Its pixel size, when the image step read it.
        size: Option<(u32, u32)>,
    },
}

/// The `<img>` of an image left as it is: with its size when known, loaded lazily unless it
/// is the document's first image (`shown` images came before it), which is likely in view.
fn img_html(src: &str, alt: &str, title: &str, size: Option<(u32, u32)>, shown: usize) -> String {
    let mut html = String::from("<img src=\"");
    pulldown_cmark_escape::escape_href(&mut html, src).expect("writing to a String");
    html.push_str("\" alt=\"");
    html.push_str(&escape_html(alt));
    html.push('"');
    if !title.is_empty() {
        html.push_str(&format!(" title=\"{}\"", escape_html(title)));
    }
    if let Some((w, h)) = size {
        html.push_str(&format!(" width=\"{w}\" height=\"{h}\""));
    }
    html.push_str(if shown == 0 {
        " decoding=\"async\">"
    } else {
        " loading=\"lazy\" decoding=\"async\">"
    });
    html
}

/// Sets the heading's id (given with `{#id}`, else slugified from its text, made unique) and
/// returns it.
fn finish_heading(start: &mut Event<'_>, title: &str, taken: &[String]) -> String {
    let Event::Start(Tag::Heading { id, .. }) = start else {
        unreachable!("heading_start always points at a heading start event");
    };
    let base = match id {
        Some(given) => given.to_string(),
        None => {
            let s = slug::slugify(title);
            if s.is_empty() { "section".into() } else { s }
        }
    };
    let mut unique = base.clone();
    let mut n = 1;
    while taken.contains(&unique) {
        unique = format!("{base}-{n}");
        n += 1;
    }
    *id = Some(CowStr::from(unique.clone()));
    unique
}

fn render_html<'a>(events: &[Event<'a>]) -> String {
    let mut html = String::with_capacity(events.len() * 16);
    pulldown_cmark::html::push_html(&mut html, events.iter().cloned());
    html
}

/// The events of the summary: up to the top-level block holding `<!-- more -->`, else the
/// first top-level paragraph.
fn summary_events<'e, 'a>(events: &'e [Event<'a>]) -> &'e [Event<'a>] {
    let mut depth = 0usize;
    let mut marker_seen = false;
    for (i, event) in events.iter().enumerate() {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Html(h) | Event::InlineHtml(h) if has_more(h) => marker_seen = true,
            _ => {}
        }
        if marker_seen && depth == 0 {
            return &events[..=i];
        }
    }
    let mut start = None;
    depth = 0;
    for (i, event) in events.iter().enumerate() {
        match event {
            Event::Start(Tag::Paragraph) if depth == 0 => {
                start = Some(i);
                depth += 1;
            }
            Event::Start(_) => depth += 1,
            Event::End(TagEnd::Paragraph) if depth == 1 && start.is_some() => {
                return &events[start.unwrap_or(0)..=i];
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    &[]
}

fn nest_toc(headings: &[(HeadingLevel, String, String)]) -> Vec<TocEntry> {
    fn insert(into: &mut Vec<TocEntry>, entry: TocEntry) {
        match into.last_mut() {
            Some(last) if last.level < entry.level => insert(&mut last.children, entry),
            _ => into.push(entry),
        }
    }
    let mut toc = Vec::new();
    for (level, id, title) in headings {
        insert(
            &mut toc,
            TocEntry {
                level: *level as u8,
                id: id.clone(),
                title: title.clone(),
                children: Vec::new(),
            },
        );
    }
    toc
}

/// A root-relative URL (`/img/a.png`, not `//host/…`) moved under the base path (unless
/// it is there already).
fn under_base<'a>(url: CowStr<'a>, base_path: &str) -> CowStr<'a> {
    // Already under it: a shortcode or Liquid (`relref`, `{{ site.baseurl }}`) wrote it so.
    if base_path != "/"
        && url.starts_with('/')
        && !url.starts_with("//")
        && !url.starts_with(base_path)
    {
        CowStr::from(format!("{base_path}{}", &url[1..]))
    } else {
        url
    }
}

fn count_words(text: &str) -> usize {
    text.split_whitespace().count()
}

#[derive(Debug, PartialEq, Eq)]
enum LinkKind {
    External,
    Internal {
        target: String,
        anchor: Option<String>,
    },
    Invalid,
}

/// Classifies a link: `@/posts/x.md#a` (Zola style) and relative `x.md` links are internal.
fn resolve_link(dest: &str, from: &str) -> LinkKind {
    let (path, anchor) = match dest.split_once('#') {
        Some((p, a)) => (p, Some(a.to_string()).filter(|a| !a.is_empty())),
        None => (dest, None),
    };
    if let Some(rest) = path.strip_prefix("@/") {
        return match normalize(&format!("content/{rest}")) {
            Some(target) => LinkKind::Internal { target, anchor },
            None => LinkKind::Invalid,
        };
    }
    let is_relative_md = !path.contains(':')
        && !path.starts_with('/')
        && !path.contains('?')
        && path.ends_with(".md");
    if !is_relative_md {
        return LinkKind::External;
    }
    let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
    match normalize(&format!("{dir}/{path}")) {
        Some(target) => LinkKind::Internal { target, anchor },
        None => LinkKind::Invalid,
    }
}

/// `normalize_site_path` with `%20` read as a space, as in a Markdown link destination.
fn normalize(path: &str) -> Option<String> {
    normalize_site_path(path).map(|p| p.replace("%20", " "))
}

/// Maps byte offsets of a body to 1-based file lines.
struct LineIndex {
    starts: Vec<usize>,
    first_line: usize,
}

impl LineIndex {
    fn new(text: &str, first_line: usize) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts, first_line }
    }

    fn line(&self, offset: usize) -> usize {
        let idx = self.starts.partition_point(|&s| s <= offset);
        idx + self.first_line - 1
    }
}

#[cfg(test)]
#[path = "markdown_tests.rs"]
mod tests;

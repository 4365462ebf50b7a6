//! `Outputs`: the rendered site held in memory, one entry per object key.
//!
//! The same value feeds `build` (written to disk), `serve` (answered from memory) and `publish`
//! (diffed against the remote manifest), so what a writer previews is byte for byte what is
//! uploaded. [`generated`] is the table of every output bucketpress generates.

pub mod generated;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What an output is, which decides the order of uploads (assets before the pages that link to
/// them, pages before the listings that link to pages) and the default cache headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// Static files, page-bundle images, the highlight stylesheet.
    Asset,
    /// A post page or a standalone page.
    Page,
    /// Home pages, tag pages, the archive, feeds, sitemap, robots.txt, 404 page.
    Listing,
    /// An alias: an old URL that redirects to a page.
    Redirect,
}

/// The bytes of an output: in memory, or a file on disk too large to hold (streamed on upload).
#[derive(Clone)]
pub enum Body {
    /// The whole object in memory.
    Bytes(Arc<[u8]>),
    /// A file read lazily; `size` was taken when the site was loaded.
    File {
        /// Where the file lives.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
    },
    /// Hashed and let go ([`HashOnly`]: `check` keeps no page): only the size is left, and
    /// anything that reads the bytes gets [`Body::dropped_error`].
    Dropped {
        /// The size in bytes.
        size: u64,
    },
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Body::File { path, size } => write!(f, "File({}, {size} bytes)", path.display()),
            Body::Dropped { size } => write!(f, "Dropped({size} bytes)"),
        }
    }
}

impl Body {
    /// The size of the body in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Body::Bytes(b) => b.len() as u64,
            Body::File { size, .. } | Body::Dropped { size } => *size,
        }
    }

    /// True when the body has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes when they are held in memory.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Body::Bytes(b) => Some(b),
            Body::File { .. } | Body::Dropped { .. } => None,
        }
    }

    /// Reads the whole body (from disk for `File` bodies).
    pub fn read_all(&self) -> std::io::Result<Vec<u8>> {
        match self {
            Body::Bytes(b) => Ok(b.to_vec()),
            Body::File { path, .. } => std::fs::read(path),
            Body::Dropped { .. } => Err(Body::dropped_error()),
        }
    }

    /// The error for reading a [`Body::Dropped`]: a bug, since only `check` drops bodies and
    /// it reads none.
    pub fn dropped_error() -> std::io::Error {
        std::io::Error::other("the bytes of this output were not kept (a check keeps none)")
    }
}

/// The content hash used everywhere (manifest, object metadata, build cache): BLAKE3, hex.
pub fn hash_bytes(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Hashes a file streaming, without holding it in memory.
pub fn hash_file(path: &Path) -> std::io::Result<String> {
    Ok(hash_file_raw(path)?.to_hex().to_string())
}

/// [`hash_file`] as BLAKE3's hash value, for callers that feed it into another hash.
pub(crate) fn hash_file_raw(path: &Path) -> std::io::Result<blake3::Hash> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(std::fs::File::open(path)?)?;
    Ok(hasher.finalize())
}

/// One object of the rendered site.
#[derive(Debug, Clone)]
pub struct Output {
    /// The object key, relative, without a leading slash: `posts/hello/index.html`.
    pub key: String,
    /// The stored bytes (already compressed when `content_encoding` is set).
    pub body: Body,
    /// BLAKE3 hex of the stored bytes.
    pub hash: String,
    /// The media type, with `; charset=utf-8` on text types.
    pub content_type: String,
    /// `Content-Encoding` (e.g. `gzip`) when the body is precompressed.
    pub content_encoding: Option<String>,
    /// `Cache-Control` to send, decided from the site's rules.
    pub cache_control: Option<String>,
    /// For aliases: the URL path this key redirects to (`/posts/new/`).
    pub redirect: Option<String>,
    /// What kind of output this is.
    pub kind: OutputKind,
}

impl Output {
    /// An in-memory output; the media type is guessed from the key, the hash computed.
    pub fn from_bytes(key: impl Into<String>, bytes: Vec<u8>, kind: OutputKind) -> Output {
        let key = key.into();
        let hash = hash_bytes(&bytes);
        Output {
            content_type: content_type_for(&key),
            content_encoding: content_encoding_for(&key).map(str::to_owned),
            key,
            body: Body::Bytes(bytes.into()),
            hash,
            cache_control: None,
            redirect: None,
            kind,
        }
    }

    /// Replaces the body (and its hash), e.g. after compression or live-reload injection.
    pub(crate) fn set_bytes(&mut self, bytes: Vec<u8>) {
        self.hash = hash_bytes(&bytes);
        self.body = Body::Bytes(bytes.into());
    }

    /// True for HTML pages (where serve injects its reload script).
    pub fn is_html(&self) -> bool {
        self.content_type.starts_with("text/html")
    }
}

/// Where a render hands each page as soon as it is rendered (mdBook's `Renderer`, Zola's
/// `BuildMode`): a sink may put the page's bytes elsewhere and point its body there (a build
/// writes it to disk and keeps only the file), so a render need not hold every page at once.
/// The render knows the trait only; `write.rs` implements it for a folder.
pub trait PageSink: Send + Sync {
    /// Takes one rendered page, and may replace its body (with a file holding the same bytes).
    fn accept(&self, page: &mut Output) -> std::io::Result<()>;
}

/// The sink of `check`: each page is hashed (as every output is) and its bytes let go, so a
/// check holds no page.
#[derive(Debug, Default)]
pub struct HashOnly;

impl PageSink for HashOnly {
    fn accept(&self, page: &mut Output) -> std::io::Result<()> {
        page.body = Body::Dropped {
            size: page.body.len(),
        };
        Ok(())
    }
}

/// Text types get `; charset=utf-8`; everything else is what mime_guess says, except source
/// maps (`.map`: JSON) and compressed SVG (`.svgz`: `image/svg+xml` without a charset, since
/// its bytes are gzip, not text; see `content_encoding_for`).
pub fn content_type_for(key: &str) -> String {
    let lower = key.to_ascii_lowercase();
    if lower.ends_with(".svgz") {
        return "image/svg+xml".to_string();
    }
    if lower.ends_with(".map") {
        return "application/json; charset=utf-8".to_string();
    }
    let mime = mime_guess::from_path(key).first_or_octet_stream();
    let essence = mime.essence_str();
    let is_text = mime.type_() == mime_guess::mime::TEXT
        || matches!(
            essence,
            "application/javascript"
                | "application/json"
                | "application/xml"
                | "application/atom+xml"
                | "application/rss+xml"
                | "image/svg+xml"
                | "application/manifest+json"
        );
    // mime_guess calls `.xml` text/xml and `.js` text/javascript or application/javascript
    // depending on version; an Atom feed deserves its own type so readers recognise it.
    let essence = if key.ends_with("atom.xml") {
        "application/atom+xml"
    } else {
        essence
    };
    if is_text {
        format!("{essence}; charset=utf-8")
    } else {
        essence.to_string()
    }
}

/// The `Content-Encoding` a file's name implies: `gzip` for `.svgz` (an SVG stored gzipped,
/// which a browser only renders when told it is encoded), else none.
pub(crate) fn content_encoding_for(key: &str) -> Option<&'static str> {
    key.to_ascii_lowercase()
        .ends_with(".svgz")
        .then_some("gzip")
}

/// The whole rendered site: key → output, sorted by key. Outputs are shared (`Arc`), so a
/// render that reuses a cached page, and a clone of the whole set, copy no output.
///
/// Held as one vector sorted by key: a site of 13,000 outputs is made by one sort of
/// pointers per render (no key is copied), and looked up by binary search.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    sorted: Vec<Arc<Output>>,
}

impl Outputs {
    /// An empty set.
    pub fn new() -> Outputs {
        Outputs::default()
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.sorted.binary_search_by(|o| o.key.as_str().cmp(key))
    }

    /// Adds an output; returns the one it replaced, if any (callers treat that as a clash).
    pub fn insert(&mut self, output: Output) -> Option<Output> {
        self.insert_shared(Arc::new(output))
            .map(Arc::unwrap_or_clone)
    }

    /// Adds a shared output; returns the one it replaced, if any. Each insert moves the
    /// outputs after it: to add many at once, collect them ([`FromIterator`]).
    pub(crate) fn insert_shared(&mut self, output: Arc<Output>) -> Option<Arc<Output>> {
        match self.position(&output.key) {
            Ok(i) => Some(std::mem::replace(&mut self.sorted[i], output)),
            Err(i) => {
                self.sorted.insert(i, output);
                None
            }
        }
    }

    /// The output at `key`.
    pub fn get(&self, key: &str) -> Option<&Output> {
        self.position(key).ok().map(|i| &*self.sorted[i])
    }

    /// True when `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.position(key).is_ok()
    }

    /// All outputs, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = &Output> {
        self.sorted.iter().map(|o| &**o)
    }

    /// All outputs, mutable, sorted by key (a shared output is copied first). The keys must
    /// stay as they are.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Output> {
        self.sorted.iter_mut().map(Arc::make_mut)
    }

    /// All keys, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.sorted.iter().map(|o| o.key.as_str())
    }

    /// How many outputs there are.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// Total stored bytes.
    pub fn total_bytes(&self) -> u64 {
        self.sorted.iter().map(|o| o.body.len()).sum()
    }
}

/// Collects outputs in any order; of two with one key, the later is kept.
impl FromIterator<Arc<Output>> for Outputs {
    fn from_iter<I: IntoIterator<Item = Arc<Output>>>(iter: I) -> Outputs {
        let mut all: Vec<Arc<Output>> = iter.into_iter().collect();
        // Stable, so outputs with one key keep their order and the last of each run wins.
        all.sort_by(|a, b| a.key.cmp(&b.key));
        let mut sorted: Vec<Arc<Output>> = Vec::with_capacity(all.len());
        for output in all {
            match sorted.last_mut() {
                Some(last) if last.key == output.key => *last = output,
                _ => sorted.push(output),
            }
        }
        Outputs { sorted }
    }
}

/// Collects outputs in any order; of two with one key, the later is kept.
impl FromIterator<Output> for Outputs {
    fn from_iter<I: IntoIterator<Item = Output>>(iter: I) -> Outputs {
        iter.into_iter().map(Arc::new).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_types_carry_charset() {
        assert_eq!(content_type_for("a/index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type_for("site.css"), "text/css; charset=utf-8");
        assert_eq!(
            content_type_for("atom.xml"),
            "application/atom+xml; charset=utf-8"
        );
        assert_eq!(content_type_for("logo.svg"), "image/svg+xml; charset=utf-8");
        assert_eq!(content_type_for("img/a.png"), "image/png");
        assert_eq!(content_type_for("img/a.svgz"), "image/svg+xml");
        assert_eq!(content_encoding_for("img/a.svgz"), Some("gzip"));
        assert_eq!(content_encoding_for("img/a.svg"), None);
        assert_eq!(
            content_type_for("app.3f2a9c1d.js.map"),
            "application/json; charset=utf-8"
        );
        assert_eq!(content_type_for("data.bin"), "application/octet-stream");
    }

    #[test]
    fn outputs_stay_sorted_and_the_last_of_a_key_wins() {
        let out = |key: &str, body: &str| Output::from_bytes(key, body.into(), OutputKind::Page);
        let mut all: Outputs = [out("b", "1"), out("a", "2"), out("c", "3"), out("a", "4")]
            .into_iter()
            .collect();
        assert_eq!(all.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(all.get("a").unwrap().hash, hash_bytes(b"4"));
        assert!(all.insert(out("ab", "5")).is_none());
        let replaced = all.insert(out("c", "6")).expect("c was there");
        assert_eq!(replaced.hash, hash_bytes(b"3"));
        assert_eq!(all.keys().collect::<Vec<_>>(), ["a", "ab", "b", "c"]);
        assert!(all.contains("ab") && !all.contains("d"));
        assert_eq!(all.get("c").unwrap().hash, hash_bytes(b"6"));
        assert_eq!(all.len(), 4);
    }

    #[test]
    fn set_bytes_updates_hash() {
        let mut o = Output::from_bytes("a.txt", b"one".to_vec(), OutputKind::Asset);
        let before = o.hash.clone();
        o.set_bytes(b"two".to_vec());
        assert_ne!(before, o.hash);
        assert_eq!(o.hash, hash_bytes(b"two"));
    }
}

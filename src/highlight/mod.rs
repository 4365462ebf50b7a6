//! Code highlighting at build time: fenced code comes out as HTML with CSS classes, and
//! [`stylesheet`] turns the configured light and dark themes into one stylesheet, so pages
//! carry no inline colours.
//!
//! Common blog languages go through hl-lite's lexers (`lexical_backend`: a single pass over
//! the bytes, ≈ 20 times cheaper than tree-sitter-highlight), Go and C through tree-sitter
//! (`tree_sitter_backend`); both write one short class per token (`tokens`). Every other
//! language syntect knows goes through syntect (`syntect_backend`); unknown ones come out
//! escaped and unhighlighted.
//!
//! The lexical path is too cheap to cache. The others cost 0.3-1 ms a block, so their results
//! are cached by a hash of (language, code): a `serve` session never highlights an unchanged
//! block twice, and [`Highlighter::save`] / [`Highlighter::load`] keep the cache on disk so
//! repeated builds (and CI runs that keep the cache folder) skip it too.

use std::collections::{HashMap, HashSet};
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

mod contrast;
mod css;
pub(crate) mod fence;
#[cfg(test)]
mod html_tests;
mod lexical_backend;
mod syntect_backend;
mod tokens;
mod tree_sitter_backend;

pub use css::stylesheet;
use tree_sitter_backend::Grammar;

/// The first bytes of a cache file; a new layout or highlighter output changes them, and an
/// old file is then ignored rather than misread.
const CACHE_MAGIC: &[u8] = b"bucketpress-highlight-cache v3 tree-sitter-0.25 syntect-5\n";

/// The first bytes of a cache file: the format, then the bucketpress build that wrote it (its
/// HTML is what that build makes; another build highlights again rather than trust it).
fn cache_header() -> Vec<u8> {
    let mut header = CACHE_MAGIC.to_vec();
    header.extend_from_slice(crate::sources_hash::BUILD_ID.as_bytes());
    header.push(b'\n');
    header
}

/// Which cached blocks a save writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Only those asked for since the last save: right after a render of every document.
    Used,
    /// Every block held: after incremental renders, which ask only for what they re-render.
    All,
}

/// Highlights fenced code blocks, remembering what it has done.
#[derive(Default)]
pub struct Highlighter {
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    blocks: HashMap<blake3::Hash, Arc<str>>,
    /// Keys asked for since the last save: what a save keeps.
    used: HashSet<blake3::Hash>,
    /// True when a block was highlighted (not found) since the last save or load.
    changed: bool,
}

impl Highlighter {
    /// A highlighter with an empty cache.
    pub fn new() -> Highlighter {
        Highlighter::default()
    }

    /// The `<pre>` block for `code` in language `info` (the fence's info string; only its first
    /// word counts). Unknown languages come out escaped and unhighlighted.
    pub fn block(&self, info: &str, code: &str) -> Arc<str> {
        let lang = info
            .split([',', ' ', '{'])
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if lexical_backend::lang_for(&lang).is_some() {
            // Too cheap to cache.
            return render_block(&lang, code).into();
        }
        let mut hasher = blake3::Hasher::new();
        hasher.update(lang.as_bytes());
        hasher.update(&[0]);
        hasher.update(code.as_bytes());
        let key = hasher.finalize();
        {
            let mut cache = self.cache.lock().expect("cache lock");
            cache.used.insert(key);
            if let Some(hit) = cache.blocks.get(&key) {
                return hit.clone();
            }
        }
        let html: Arc<str> = render_block(&lang, code).into();
        let mut cache = self.cache.lock().expect("cache lock");
        cache.blocks.insert(key, html.clone());
        cache.changed = true;
        html
    }

    /// The block for a fence: `info` is the fence's info string, whose line options
    /// (`linenos`, `hl_lines`, `linenostart`) apply to whichever backend highlights it. Also
    /// says whether no backend knows the language. An option with a bad value is an error.
    pub(crate) fn fenced(&self, info: &str, code: &str) -> Result<CodeBlock, fence::BadOption> {
        let fence = fence::parse(info)?;
        let html = self.block(&fence.lang, code);
        Ok(CodeBlock {
            html: fence::mark_lines(&html, &fence),
            unknown_lang: (!is_known(&fence.lang)).then_some(fence.lang),
        })
    }

    /// How many distinct blocks are cached.
    pub fn cached_blocks(&self) -> usize {
        self.cache.lock().expect("cache lock").blocks.len()
    }

    /// Adds the blocks saved in `path` to the cache. A missing, old or damaged file is not an
    /// error: the cache only saves work, so such a file is ignored (another build's file
    /// after reading its header alone), and the next save replaces it.
    pub fn load(&self, path: &Path) {
        let Ok(mut file) = std::fs::File::open(path) else {
            return;
        };
        let header = cache_header();
        let mut start = vec![0; header.len()];
        let ours = file.read_exact(&mut start).is_ok() && start == header;
        let mut bytes = start;
        if !(ours && file.read_to_end(&mut bytes).is_ok() && self.load_bytes(&bytes).is_some()) {
            tracing::debug!("ignoring unreadable highlight cache {}", path.display());
            self.cache.lock().expect("cache lock").changed = true;
        }
    }

    /// Adds the blocks of a cache file's bytes (as [`Highlighter::save`] or
    /// [`Highlighter::encode_shards`] wrote them) to the cache; returns how many it held, or
    /// `None` (adding nothing) when the bytes are not such a file.
    pub(crate) fn load_bytes(&self, bytes: &[u8]) -> Option<usize> {
        let blocks = decode_cache(bytes)?;
        let n = blocks.len();
        let mut cache = self.cache.lock().expect("cache lock");
        for (key, html) in blocks {
            cache.blocks.entry(key).or_insert(html);
        }
        Some(n)
    }

    /// The blocks asked for since the last save, split into `shards` cache files by the first
    /// byte of their key (so an edit changes few of them), each sorted by key: the same blocks
    /// give the same bytes. What a render of every document used, for keeping elsewhere; as
    /// (shard number, cache file) for the shards that hold any block.
    pub(crate) fn encode_shards(&self, shards: usize) -> Vec<(usize, Vec<u8>)> {
        let shards = shards.clamp(1, 256);
        let cache = self.cache.lock().expect("cache lock");
        let mut keys: Vec<&blake3::Hash> = cache.used.iter().collect();
        keys.sort_by_key(|k| *k.as_bytes());
        let header = cache_header();
        let mut out: Vec<Vec<u8>> = (0..shards).map(|_| header.clone()).collect();
        for key in keys {
            let Some(html) = cache.blocks.get(key) else {
                continue;
            };
            let shard = &mut out[usize::from(key.as_bytes()[0]) % shards];
            write_entry(shard, key, html).expect("writing to memory");
        }
        out.into_iter()
            .enumerate()
            .filter(|(_, shard)| shard.len() > header.len())
            .collect()
    }

    /// Writes the cache to `path` (atomically, through a temporary file), if anything new was
    /// highlighted since the last save or load. `keep` says which blocks: after a render that
    /// looked up every block, [`Keep::Used`] drops those no page needs any more. Returns
    /// whether it wrote.
    pub fn save(&self, path: &Path, keep: Keep) -> io::Result<bool> {
        let mut cache = self.cache.lock().expect("cache lock");
        if !cache.changed {
            if keep == Keep::Used {
                cache.used.clear();
            }
            return Ok(false);
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("tmp");
        let mut out = io::BufWriter::new(std::fs::File::create(&tmp)?);
        out.write_all(&cache_header())?;
        match keep {
            Keep::Used => {
                for key in &cache.used {
                    if let Some(html) = cache.blocks.get(key) {
                        write_entry(&mut out, key, html)?;
                    }
                }
            }
            Keep::All => {
                for (key, html) in &cache.blocks {
                    write_entry(&mut out, key, html)?;
                }
            }
        }
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path)?;
        cache.used.clear();
        cache.changed = false;
        Ok(true)
    }
}

/// A fenced block as HTML.
pub(crate) struct CodeBlock {
    /// The `<pre>` element.
    pub html: String,
    /// The fence's language, when no backend knows it (the block is plain text).
    pub unknown_lang: Option<String>,
}

/// Fence words that mean plain text on purpose: no highlighting, and no warning.
const PLAIN: &[&str] = &[
    "text",
    "txt",
    "plain",
    "plaintext",
    "output",
    "none",
    "nohighlight",
];

/// True when `lang` (lower-cased) is highlighted by a backend, or is plain text on purpose.
pub(crate) fn is_known(lang: &str) -> bool {
    lang.is_empty()
        || PLAIN.contains(&lang)
        || lexical_backend::lang_for(lang).is_some()
        || Grammar::for_lang(lang).is_some()
        || syntect_backend::syntax_for(lang).is_some()
}

/// The common fence words, for the list in an unknown-language warning.
const COMMON: &[&str] = &[
    "bash",
    "c",
    "cpp",
    "css",
    "diff",
    "dockerfile",
    "go",
    "html",
    "java",
    "javascript",
    "json",
    "markdown",
    "python",
    "ruby",
    "rust",
    "sh",
    "sql",
    "toml",
    "typescript",
    "yaml",
];

/// What a warning about unknown language `lang` adds: the closest known word, else the
/// common ones.
pub(crate) fn unknown_lang_hint(lang: &str) -> String {
    let hl_lite = [
        "bash",
        "shell",
        "zsh",
        "css",
        "dockerfile",
        "html",
        "xml",
        "svg",
        "javascript",
        "js",
        "jsx",
        "json",
        "markdown",
        "md",
        "python",
        "py",
        "rust",
        "rs",
        "toml",
        "typescript",
        "ts",
        "tsx",
        "yaml",
        "yml",
        "go",
        "golang",
        "c",
    ];
    let syntect = syntect_backend::syntaxes().syntaxes().iter().flat_map(|s| {
        s.file_extensions
            .iter()
            .map(|e| e.to_ascii_lowercase())
            .chain(std::iter::once(s.name.to_ascii_lowercase()))
    });
    // Fewest edits (a swap of two letters is one), the common words first among equals.
    let most = if lang.chars().count() > 3 { 2 } else { 1 };
    let closest = hl_lite
        .iter()
        .map(|s| s.to_string())
        .chain(syntect)
        .filter(|k| !k.contains(' ') && k != lang)
        .map(|k| (strsim::damerau_levenshtein(lang, &k), k))
        .filter(|(edits, _)| *edits <= most)
        .min_by_key(|(edits, _)| *edits);
    match closest {
        Some((_, k)) => format!("did you mean {k:?}?"),
        None => format!(
            "known languages include {}, and `text` for none",
            COMMON.join(", ")
        ),
    }
}

/// Writes one record of a cache file: the 32-byte key, the HTML's length (u64, little
/// endian), the HTML.
fn write_entry(out: &mut impl Write, key: &blake3::Hash, html: &str) -> io::Result<()> {
    out.write_all(key.as_bytes())?;
    out.write_all(&(html.len() as u64).to_le_bytes())?;
    out.write_all(html.as_bytes())
}

/// Reads a cache file: magic, then (32-byte key, u64 length, UTF-8 HTML) records.
fn decode_cache(bytes: &[u8]) -> Option<Vec<(blake3::Hash, Arc<str>)>> {
    let header = cache_header();
    let mut rest = bytes.strip_prefix(header.as_slice())?;
    let mut blocks = Vec::new();
    while !rest.is_empty() {
        let mut key = [0u8; 32];
        let mut len = [0u8; 8];
        rest.read_exact(&mut key).ok()?;
        rest.read_exact(&mut len).ok()?;
        let len = usize::try_from(u64::from_le_bytes(len)).ok()?;
        if len > rest.len() {
            return None;
        }
        let (html, tail) = rest.split_at(len);
        blocks.push((
            blake3::Hash::from(key),
            Arc::from(std::str::from_utf8(html).ok()?),
        ));
        rest = tail;
    }
    Some(blocks)
}

/// The start of a highlighted block, up to its `data-lang` attribute.
const OPEN: &str = "<pre class=\"code hl-code\"";
/// The end of every block.
const CLOSE: &str = "</code></pre>\n";

/// The ` data-lang="…"` attribute for a fence's language (none for no language).
fn lang_attr(lang: &str) -> String {
    if lang.is_empty() {
        String::new()
    } else {
        format!(" data-lang=\"{}\"", escape_html(lang))
    }
}

/// The `<pre>` block for `code` in `lang`, which hl-lite lexes as `lexer`.
fn lexical_block(lang: &str, lexer: hl_lite::Lang, code: &str) -> String {
    let mut html = String::with_capacity(OPEN.len() + code.len() * 3 + 64);
    html.push_str(OPEN);
    html.push_str(&lang_attr(lang));
    html.push_str("><code>");
    lexical_backend::render(lexer, code, &mut html);
    html.push_str(CLOSE);
    html
}

/// The `<pre>` block for `code` in language `lang` (lower-cased, maybe empty).
fn render_block(lang: &str, code: &str) -> String {
    if let Some(lexer) = lexical_backend::lang_for(lang) {
        return lexical_block(lang, lexer, code);
    }
    let lang_attr = lang_attr(lang);
    if let Some(grammar) = Grammar::for_lang(lang) {
        if too_big_for_tree_sitter(code) {
            return format!(
                "<pre class=\"code\"{lang_attr}><code>{}{CLOSE}",
                escape_html(code)
            );
        }
        let mut html = String::with_capacity(OPEN.len() + code.len() * 3 + 64);
        html.push_str(OPEN);
        html.push_str(&lang_attr);
        html.push_str("><code>");
        if tree_sitter_backend::render(grammar, code, &mut html) {
            html.push_str(CLOSE);
            return html;
        }
    } else if let Some(syntax) = (!lang.is_empty())
        .then(|| syntect_backend::syntax_for(lang))
        .flatten()
        && let Some(inner) = syntect_backend::render(syntax, code)
    {
        return format!("{OPEN}{lang_attr}><code>{inner}{CLOSE}");
    }
    // Unknown language, or a grammar failure: the code must not be lost, so plain text.
    format!(
        "<pre class=\"code\"{lang_attr}><code>{}{CLOSE}",
        escape_html(code)
    )
}

/// The longest line, and the largest block, the tree-sitter path highlights. Past them a
/// block is written plain: tree-sitter's error recovery on a very long line of unbalanced
/// tokens grows worse than linearly (and a 140 KB line overflowed a test thread's stack), and
/// nobody reads such a block for its colours.
const TREE_SITTER_MAX_LINE: usize = 4096;
const TREE_SITTER_MAX_BLOCK: usize = 256 * 1024;

fn too_big_for_tree_sitter(code: &str) -> bool {
    code.len() > TREE_SITTER_MAX_BLOCK
        || (code.len() > TREE_SITTER_MAX_LINE
            && code
                .split('\n')
                .any(|line| line.len() > TREE_SITTER_MAX_LINE))
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    escape_into(&mut out, text);
    out
}

/// Appends `text` to `out`, escaped for HTML element content and attribute values.
fn escape_into(out: &mut String, text: &str) {
    pulldown_cmark_escape::escape_html(out, text).expect("writing to a String cannot fail");
}

/// An error naming a theme that does not exist, with the themes that do.
#[derive(Debug, thiserror::Error)]
#[error("unknown highlight theme {name:?}; available: {available}")]
pub struct UnknownTheme {
    /// The requested theme.
    pub name: String,
    /// The known theme names, comma-separated.
    pub available: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_language_gets_classes() {
        let h = Highlighter::new();
        let html = h.block("rust", "fn main() { let x = 1; }\n");
        assert!(html.starts_with("<pre class=\"code hl-code\" data-lang=\"rust\">"));
        assert!(html.contains("<span class=\"hl-k\">fn</span>"), "{html}");
        assert!(html.contains("main"));
    }

    #[test]
    fn unknown_language_is_escaped_plain() {
        let h = Highlighter::new();
        let html = h.block("nosuchlang", "<b>&</b>");
        assert_eq!(
            &*html,
            "<pre class=\"code\" data-lang=\"nosuchlang\"><code>&lt;b&gt;&amp;&lt;/b&gt;</code></pre>\n"
        );
    }

    #[test]
    fn repeated_blocks_hit_the_cache() {
        let h = Highlighter::new();
        let a = h.block("go", "x := 1\n");
        let b = h.block("go", "x := 1\n");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(h.cached_blocks(), 1);
        h.block("go", "x := 2\n");
        assert_eq!(h.cached_blocks(), 2);
        let lexed = h.block("python", "print(1)\n");
        assert!(
            lexed.contains("<span class=\"hl-f\">print</span>"),
            "{lexed}"
        );
        assert_eq!(h.cached_blocks(), 2, "lexed blocks are too cheap to cache");
    }

    #[test]
    fn cache_survives_a_save_and_load_and_ignores_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache/highlight.bin");
        let first = Highlighter::new();
        let html = first.block("go", "a := 1\n");
        assert!(first.save(&path, Keep::Used).unwrap());
        assert!(
            !first.save(&path, Keep::Used).unwrap(),
            "nothing new, nothing written"
        );
        let second = Highlighter::new();
        second.load(&path);
        assert_eq!(second.cached_blocks(), 1);
        assert_eq!(second.block("go", "a := 1\n"), html);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let third = Highlighter::new();
        third.load(&path);
        assert_eq!(third.cached_blocks(), 0, "a truncated file is ignored");
        assert!(
            third.save(&path, Keep::Used).unwrap(),
            "and replaced by the next save, though nothing new was highlighted"
        );
        std::fs::write(&path, b"an older format\n").unwrap();
        let fourth = Highlighter::new();
        fourth.load(&path);
        assert!(fourth.save(&path, Keep::Used).unwrap());
        assert!(std::fs::read(&path).unwrap().starts_with(&cache_header()));
    }

    #[test]
    fn keep_used_prunes_and_keep_all_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("highlight.bin");
        let h = Highlighter::new();
        h.block("go", "a := 1\n");
        h.block("go", "b := 2\n");
        h.save(&path, Keep::Used).unwrap();
        // An incremental render asks only for the block it re-renders; a save of all keeps
        // the other one (a save of the used blocks would lose it).
        h.block("go", "c := 3\n");
        assert!(h.save(&path, Keep::All).unwrap());
        let all = Highlighter::new();
        all.load(&path);
        assert_eq!(all.cached_blocks(), 3);
        h.block("go", "d := 4\n");
        assert!(h.save(&path, Keep::Used).unwrap());
        let used = Highlighter::new();
        used.load(&path);
        assert_eq!(
            used.cached_blocks(),
            1,
            "only the block asked for since the last save"
        );
    }
}

//! Code highlighting at build time: syntect emits CSS classes, and [`stylesheet`] turns the
//! configured light and dark themes into one stylesheet, so pages carry no inline colours.
//!
//! Highlighting dominates build time, so results are cached by a hash of (language, code): a
//! `serve` session never highlights an unchanged block twice, and [`Highlighter::save`] /
//! [`Highlighter::load`] keep the cache on disk so repeated builds (and CI runs that keep the
//! cache folder) skip it too.

use std::collections::{HashMap, HashSet};
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use syntect::html::{ClassStyle, ClassedHTMLGenerator, css_for_theme_with_class_style};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// Class prefix for highlight spans, so theme CSS cannot collide with the site's own.
const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// The first bytes of a cache file; a new layout or highlighter output changes them, and an
/// old file is then ignored rather than misread.
const CACHE_MAGIC: &[u8] = b"bucketpress-highlight-cache v1 syntect-5\n";

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

    /// How many distinct blocks are cached.
    pub fn cached_blocks(&self) -> usize {
        self.cache.lock().expect("cache lock").blocks.len()
    }

    /// Adds the blocks saved in `path` to the cache. A missing, old or damaged file is not an
    /// error: the cache only saves work, so such a file is ignored.
    pub fn load(&self, path: &Path) {
        let Ok(bytes) = std::fs::read(path) else {
            return;
        };
        let Some(blocks) = decode_cache(&bytes) else {
            tracing::debug!("ignoring unreadable highlight cache {}", path.display());
            return;
        };
        let mut cache = self.cache.lock().expect("cache lock");
        for (key, html) in blocks {
            cache.blocks.entry(key).or_insert(html);
        }
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
        out.write_all(CACHE_MAGIC)?;
        let mut write = |key: &blake3::Hash, html: &str| -> io::Result<()> {
            out.write_all(key.as_bytes())?;
            out.write_all(&(html.len() as u64).to_le_bytes())?;
            out.write_all(html.as_bytes())
        };
        match keep {
            Keep::Used => {
                for key in &cache.used {
                    if let Some(html) = cache.blocks.get(key) {
                        write(key, html)?;
                    }
                }
            }
            Keep::All => {
                for (key, html) in &cache.blocks {
                    write(key, html)?;
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

/// Reads a cache file: magic, then (32-byte key, u64 length, UTF-8 HTML) records.
fn decode_cache(bytes: &[u8]) -> Option<Vec<(blake3::Hash, Arc<str>)>> {
    let mut rest = bytes.strip_prefix(CACHE_MAGIC)?;
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

fn render_block(lang: &str, code: &str) -> String {
    let set = syntaxes();
    let syntax = (!lang.is_empty())
        .then(|| set.find_syntax_by_token(lang))
        .flatten();
    let lang_attr = if lang.is_empty() {
        String::new()
    } else {
        format!(" data-lang=\"{}\"", escape_html(lang))
    };
    let Some(syntax) = syntax else {
        return format!(
            "<pre class=\"code\"{lang_attr}><code>{}</code></pre>\n",
            escape_html(code)
        );
    };
    let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, set, CLASS_STYLE);
    for line in LinesWithEndings::from(code) {
        if generator
            .parse_html_for_line_which_includes_newline(line)
            .is_err()
        {
            // A grammar failure must not lose the code: fall back to plain text.
            return format!(
                "<pre class=\"code\"{lang_attr}><code>{}</code></pre>\n",
                escape_html(code)
            );
        }
    }
    format!(
        "<pre class=\"code hl-code\"{lang_attr}><code>{}</code></pre>\n",
        generator.finalize()
    )
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    pulldown_cmark_escape::escape_html(&mut out, text).expect("writing to a String cannot fail");
    out
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

/// The stylesheet for highlighted code: `light` by default, `dark` under
/// `prefers-color-scheme: dark`.
pub fn stylesheet(light: &str, dark: &str) -> Result<String, UnknownTheme> {
    let themes = syntect::highlighting::ThemeSet::load_defaults();
    let get = |name: &str| {
        themes.themes.get(name).ok_or_else(|| UnknownTheme {
            name: name.to_string(),
            available: themes.themes.keys().cloned().collect::<Vec<_>>().join(", "),
        })
    };
    let css = |name: &str| -> Result<String, UnknownTheme> {
        let theme = get(name)?;
        Ok(css_for_theme_with_class_style(theme, CLASS_STYLE).unwrap_or_default())
    };
    let light_css = css(light)?;
    let dark_css = css(dark)?;
    // Each theme only styles the scopes it knows, so the light rules must not apply in dark
    // mode at all: a light-only rule (dark grey text) would stay in force on a dark background.
    Ok(format!(
        "/* Code highlighting: {light} (light), {dark} (dark). Generated by bucketpress. */\n\
         @media not all and (prefers-color-scheme: dark) {{\n{light_css}\n}}\n\
         @media (prefers-color-scheme: dark) {{\n{dark_css}\n}}\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_language_gets_classes() {
        let h = Highlighter::new();
        let html = h.block("rust", "fn main() { let x = 1; }\n");
        assert!(html.starts_with("<pre class=\"code hl-code\" data-lang=\"rust\">"));
        assert!(html.contains("<span class=\"hl-"), "{html}");
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
        let a = h.block("python", "print(1)\n");
        let b = h.block("python", "print(1)\n");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(h.cached_blocks(), 1);
        h.block("python", "print(2)\n");
        assert_eq!(h.cached_blocks(), 2);
    }

    #[test]
    fn cache_survives_a_save_and_load_and_ignores_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache/highlight.bin");
        let first = Highlighter::new();
        let html = first.block("rust", "let a = 1;\n");
        assert!(first.save(&path, Keep::Used).unwrap());
        assert!(
            !first.save(&path, Keep::Used).unwrap(),
            "nothing new, nothing written"
        );
        let second = Highlighter::new();
        second.load(&path);
        assert_eq!(second.cached_blocks(), 1);
        assert_eq!(second.block("rust", "let a = 1;\n"), html);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let third = Highlighter::new();
        third.load(&path);
        assert_eq!(third.cached_blocks(), 0, "a truncated file is ignored");
    }

    #[test]
    fn keep_used_prunes_and_keep_all_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("highlight.bin");
        let h = Highlighter::new();
        h.block("rust", "let a = 1;\n");
        h.block("rust", "let b = 2;\n");
        h.save(&path, Keep::Used).unwrap();
        // An incremental render asks only for the block it re-renders; a save of all keeps
        // the other one (a save of the used blocks would lose it).
        h.block("rust", "let c = 3;\n");
        assert!(h.save(&path, Keep::All).unwrap());
        let all = Highlighter::new();
        all.load(&path);
        assert_eq!(all.cached_blocks(), 3);
        h.block("rust", "let d = 4;\n");
        assert!(h.save(&path, Keep::Used).unwrap());
        let used = Highlighter::new();
        used.load(&path);
        assert_eq!(
            used.cached_blocks(),
            1,
            "only the block asked for since the last save"
        );
    }

    #[test]
    fn stylesheet_has_both_schemes_and_rejects_unknown_theme() {
        let css = stylesheet("InspiredGitHub", "base16-ocean.dark").unwrap();
        assert!(css.contains(".hl-"));
        assert!(css.contains("@media not all and (prefers-color-scheme: dark) {"));
        assert!(css.contains("@media (prefers-color-scheme: dark) {"));
        let light_block = css
            .split("@media (prefers-color-scheme: dark)")
            .next()
            .unwrap();
        assert!(
            light_block.contains(".hl-"),
            "light rules are scoped to light mode"
        );
        assert!(stylesheet("nope", "base16-ocean.dark").is_err());
    }
}

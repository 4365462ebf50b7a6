//! Code highlighting at build time: syntect emits CSS classes, and [`stylesheet`] turns the
//! configured light and dark themes into one stylesheet, so pages carry no inline colours.
//!
//! Highlighting dominates build time, so results are cached by a hash of (language, code): a
//! `serve` session or a repeated build never highlights an unchanged block twice.

use std::collections::HashMap;
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

/// Highlights fenced code blocks, remembering what it has done.
#[derive(Default)]
pub struct Highlighter {
    cache: Mutex<HashMap<blake3::Hash, Arc<str>>>,
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
        if let Some(hit) = self.cache.lock().expect("cache lock").get(&key) {
            return hit.clone();
        }
        let html: Arc<str> = render_block(&lang, code).into();
        self.cache
            .lock()
            .expect("cache lock")
            .insert(key, html.clone());
        html
    }

    /// How many distinct blocks are cached.
    pub fn cached_blocks(&self) -> usize {
        self.cache.lock().expect("cache lock").len()
    }
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

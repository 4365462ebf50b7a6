//! The fast path: hl-lite's hand-written lexers for the common blog languages (Rust, Python,
//! JavaScript/TypeScript, shell, TOML, JSON, CSS, HTML, YAML, Dockerfile, Markdown), one pass
//! over the bytes per block, writing the short token classes of [`CLASSES`](super::tokens::CLASSES).
//!
//! Lexical, not a parse: the fidelity of Hugo's Chroma or highlight.js (keywords, strings,
//! comments, numbers, types, calls, properties), at about 10 µs a block where
//! tree-sitter-highlight takes 205 µs (`bench/results/highlighters.md`). So cheap that its
//! blocks are not cached.

use hl_lite::{Kind, Lang};

use super::tokens::{self, SpanWriter};

/// The lexer for a fence's language word (already lower-cased): hl-lite's own slugs, and the
/// aliases bucketpress accepted before it used hl-lite.
pub(super) fn lang_for(lang: &str) -> Option<Lang> {
    Lang::from_slug(lang).or(match lang {
        "python3" => Some(Lang::Python),
        "node" => Some(Lang::JavaScript),
        "mts" | "cts" => Some(Lang::TypeScript),
        "ksh" | "shellscript" => Some(Lang::Bash),
        "xhtml" => Some(Lang::Html),
        _ => None,
    })
}

/// The index in [`CLASSES`](super::tokens::CLASSES) of a kind of token, or `None` for plain
/// text (identifiers, whitespace, punctuation).
fn class_of(kind: Kind) -> Option<usize> {
    Some(match kind {
        Kind::Keyword => tokens::KEYWORD,
        Kind::Operator => tokens::OPERATOR,
        Kind::String => tokens::STRING,
        Kind::Comment => tokens::COMMENT,
        Kind::Function => tokens::FUNCTION,
        Kind::Type => tokens::TYPE,
        Kind::Number => tokens::NUMBER,
        Kind::Constant => tokens::BUILTIN,
        Kind::Variable => tokens::VARIABLE,
        Kind::Property => tokens::PROPERTY,
        Kind::Attribute => tokens::ATTRIBUTE,
        Kind::Tag => tokens::TAG,
        _ => return None,
    })
}

/// Appends the highlighted HTML of `code` (the inside of `<code>`) to `out`.
pub(super) fn render(lang: Lang, code: &str, out: &mut String) {
    let mut writer = SpanWriter::new(code, out);
    let mut end = 0;
    for span in hl_lite::highlight(lang, code) {
        end += span.text.len();
        writer.text_to(end, class_of(span.kind));
    }
    writer.finish();
}

//! tree-sitter-highlight for the common languages the lexical path has no lexer for (Go, C),
//! writing the same short token classes (see [`CLASSES`](super::tokens::CLASSES)).
//!
//! Each grammar's [`HighlightConfiguration`] is built the first time a block of its language
//! is met (a `OnceLock` each) and then shared by every thread; the `tree_sitter_highlight`
//! highlighter, which holds a parser and query cursors, is one per thread, so rayon's threads
//! never wait on each other.

use std::cell::RefCell;
use std::sync::OnceLock;

use tree_sitter_highlight::{HighlightConfiguration, HighlightEvent};

use super::tokens::{self, SpanWriter};

/// The highlight names given to [`HighlightConfiguration::configure`], each with the index in
/// [`CLASSES`](super::tokens::CLASSES) of the class it gets: every capture the Go and C queries
/// use that has a colour of its own. A query's capture name picks the longest of these it
/// starts with (`function.method` → `function`), and captures that match none (`variable`,
/// `label`, `delimiter`) stay plain.
const NAMES: &[(&str, usize)] = &[
    ("keyword", tokens::KEYWORD),
    ("operator", tokens::OPERATOR),
    ("string", tokens::STRING),
    ("escape", tokens::ESCAPE),
    ("comment", tokens::COMMENT),
    ("function", tokens::FUNCTION),
    ("type", tokens::TYPE),
    ("number", tokens::NUMBER),
    ("constant.builtin", tokens::BUILTIN),
    ("constant", tokens::CONSTANT),
    ("property", tokens::PROPERTY),
];

/// A language the tree-sitter path highlights: the common ones the lexical path lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Grammar {
    Go,
    C,
}

/// Every grammar, in the order of the `OnceLock`s in [`config`].
pub(super) const GRAMMARS: [Grammar; 2] = [Grammar::Go, Grammar::C];

impl Grammar {
    /// The grammar for a fence's language word (already lower-cased), by name or alias.
    pub(super) fn for_lang(lang: &str) -> Option<Grammar> {
        Some(match lang {
            "go" | "golang" => Grammar::Go,
            "c" | "h" => Grammar::C,
            _ => return None,
        })
    }

    /// Builds the configuration: the grammar and its highlight query. Locals queries are left
    /// out (they cost a pass and only recolour references to parameters).
    fn build(self) -> HighlightConfiguration {
        let (language, highlights): (tree_sitter_language::LanguageFn, &str) = match self {
            Grammar::Go => (tree_sitter_go::LANGUAGE, tree_sitter_go::HIGHLIGHTS_QUERY),
            Grammar::C => (tree_sitter_c::LANGUAGE, tree_sitter_c::HIGHLIGHT_QUERY),
        };
        let name = format!("{self:?}").to_ascii_lowercase();
        let mut config = HighlightConfiguration::new(language.into(), &name, highlights, "", "")
            .unwrap_or_else(|e| panic!("the bundled {name} highlight query is broken: {e}"));
        let names: Vec<&str> = NAMES.iter().map(|(name, _)| *name).collect();
        config.configure(&names);
        config
    }
}

/// The configuration of `grammar`, built on first use.
fn config(grammar: Grammar) -> &'static HighlightConfiguration {
    static CONFIGS: [OnceLock<HighlightConfiguration>; GRAMMARS.len()] =
        [const { OnceLock::new() }; GRAMMARS.len()];
    CONFIGS[grammar as usize].get_or_init(|| grammar.build())
}

thread_local! {
    /// One highlighter (parser + query cursors) per thread.
    static HIGHLIGHTER: RefCell<tree_sitter_highlight::Highlighter> =
        RefCell::new(tree_sitter_highlight::Highlighter::new());
}

/// Appends the highlighted HTML of `code` (the inside of `<code>`) to `out`. Returns false,
/// with `out` unchanged, if tree-sitter fails; the caller then writes the code plain.
pub(super) fn render(grammar: Grammar, code: &str, out: &mut String) -> bool {
    let base = config(grammar);
    let mark = out.len();
    let ok = HIGHLIGHTER.with(|cell| {
        let mut highlighter = cell.borrow_mut();
        let Ok(events) = highlighter.highlight(base, code.as_bytes(), None, |_| None) else {
            return false;
        };
        let mut writer = SpanWriter::new(code, out);
        let mut stack: Vec<usize> = Vec::new();
        for event in events {
            match event {
                Ok(HighlightEvent::HighlightStart(h)) => stack.push(NAMES[h.0].1),
                Ok(HighlightEvent::HighlightEnd) => {
                    stack.pop();
                }
                Ok(HighlightEvent::Source { end, .. }) => {
                    writer.text_to(end, stack.last().copied());
                }
                Err(_) => return false,
            }
        }
        writer.finish();
        true
    });
    if !ok {
        out.truncate(mark);
    }
    ok
}

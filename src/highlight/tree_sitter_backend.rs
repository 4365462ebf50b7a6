//! The fast path: tree-sitter-highlight for the common blog languages, writing one span per
//! token with one short class per kind of token (see [`CLASSES`]).
//!
//! Each grammar's [`HighlightConfiguration`] is built the first time a block of its language
//! is met (a `OnceLock` each) and then shared by every thread; the `tree_sitter_highlight`
//! highlighter, which holds a parser and query cursors, is one per thread, so rayon's threads
//! never wait on each other.

use std::cell::RefCell;
use std::sync::OnceLock;

use tree_sitter_highlight::{HighlightConfiguration, HighlightEvent};

/// A kind of token with its own colour: the class its spans get, and the TextMate scopes
/// (tried in order) whose style in a syntect theme stands for it in `/highlight.css`.
pub(super) struct TokenClass {
    /// The CSS class of its spans.
    pub class: &'static str,
    /// Representative TextMate scopes; the first one the theme styles wins.
    pub scopes: &'static [&'static str],
}

/// Every class the tree-sitter path emits. Short, so highlighted code stays compact; none of
/// them is a class syntect's fallback can emit (`hl-` + a scope atom: a test checks it).
pub(super) const CLASSES: &[TokenClass] = &[
    TokenClass {
        class: "hl-k",
        scopes: &["keyword", "storage.modifier"],
    },
    TokenClass {
        class: "hl-o",
        scopes: &["keyword.operator"],
    },
    TokenClass {
        class: "hl-s",
        scopes: &["string.quoted", "string"],
    },
    TokenClass {
        class: "hl-e",
        scopes: &["constant.character.escape", "constant.character"],
    },
    TokenClass {
        class: "hl-cm",
        scopes: &["comment"],
    },
    TokenClass {
        class: "hl-f",
        scopes: &["entity.name.function", "support.function"],
    },
    TokenClass {
        class: "hl-t",
        scopes: &["entity.name.type", "storage.type", "support.type"],
    },
    TokenClass {
        class: "hl-n",
        scopes: &["constant.numeric"],
    },
    TokenClass {
        class: "hl-b",
        scopes: &["constant.language"],
    },
    TokenClass {
        class: "hl-cn",
        scopes: &["constant.other", "variable.other.constant", "constant"],
    },
    TokenClass {
        class: "hl-v",
        scopes: &["variable.language"],
    },
    TokenClass {
        class: "hl-pa",
        scopes: &["variable.parameter"],
    },
    TokenClass {
        class: "hl-p",
        scopes: &["support.type.property-name", "variable.other.member"],
    },
    TokenClass {
        class: "hl-ta",
        scopes: &["entity.other.attribute-name"],
    },
    TokenClass {
        class: "hl-g",
        scopes: &["entity.name.tag"],
    },
];

/// The highlight names given to [`HighlightConfiguration::configure`], each with the index in
/// [`CLASSES`] of the class it gets, or `None` for plain text. A query's capture name picks
/// the longest of these it starts with (`function.method` → `function`), and captures that
/// match none (`variable`, `punctuation.bracket`) stay plain. `embedded` and
/// `punctuation.special` are plain on purpose: they mark code inside a string (`${x}`), which
/// must not take the string's colour.
const NAMES: &[(&str, Option<usize>)] = &[
    ("keyword", Some(0)),
    ("operator", Some(1)),
    ("string", Some(2)),
    ("escape", Some(3)),
    ("comment", Some(4)),
    ("function", Some(5)),
    ("type", Some(6)),
    ("constructor", Some(6)),
    ("number", Some(7)),
    ("boolean", Some(8)),
    ("constant.builtin", Some(8)),
    ("constant", Some(9)),
    ("variable.builtin", Some(10)),
    ("variable.parameter", Some(11)),
    ("property", Some(12)),
    ("string.special.key", Some(12)),
    ("attribute", Some(13)),
    ("tag", Some(14)),
    ("embedded", None),
    ("punctuation.special", None),
];

/// A language the tree-sitter path highlights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Grammar {
    Rust,
    Python,
    JavaScript,
    Jsx,
    TypeScript,
    Tsx,
    Bash,
    Toml,
    Json,
    Go,
    C,
    Css,
    Html,
    Yaml,
}

/// Every grammar, in the order of the `OnceLock`s in [`config`].
pub(super) const GRAMMARS: [Grammar; 14] = [
    Grammar::Rust,
    Grammar::Python,
    Grammar::JavaScript,
    Grammar::Jsx,
    Grammar::TypeScript,
    Grammar::Tsx,
    Grammar::Bash,
    Grammar::Toml,
    Grammar::Json,
    Grammar::Go,
    Grammar::C,
    Grammar::Css,
    Grammar::Html,
    Grammar::Yaml,
];

impl Grammar {
    /// The grammar for a fence's language word (already lower-cased), by name or alias.
    pub(super) fn for_lang(lang: &str) -> Option<Grammar> {
        Some(match lang {
            "rust" | "rs" => Grammar::Rust,
            "python" | "py" | "python3" | "py3" => Grammar::Python,
            "javascript" | "js" | "mjs" | "cjs" | "node" => Grammar::JavaScript,
            "jsx" => Grammar::Jsx,
            "typescript" | "ts" | "mts" | "cts" => Grammar::TypeScript,
            "tsx" => Grammar::Tsx,
            "bash" | "sh" | "shell" | "zsh" | "ksh" | "shellscript" => Grammar::Bash,
            "toml" => Grammar::Toml,
            "json" | "jsonc" => Grammar::Json,
            "go" | "golang" => Grammar::Go,
            "c" | "h" => Grammar::C,
            "css" => Grammar::Css,
            "html" | "htm" | "xhtml" => Grammar::Html,
            "yaml" | "yml" => Grammar::Yaml,
            _ => return None,
        })
    }

    /// The grammar an injection names (`script` in HTML → `javascript`).
    fn for_injection(name: &str) -> Option<Grammar> {
        Grammar::for_lang(&name.to_ascii_lowercase())
    }

    /// Builds the configuration: the grammar, its highlight (and for HTML, injection)
    /// queries. Where a grammar extends another (JSX, TypeScript), the base query comes first:
    /// for a node that several patterns match, tree-sitter-highlight 0.25 keeps the last. Locals queries are left out (they cost a pass and only recolour references to
    /// parameters), and so are the Rust and JavaScript injection queries (Rust's re-parses
    /// every macro's arguments as Rust, which would make macro-heavy code dearest).
    fn build(self) -> HighlightConfiguration {
        use tree_sitter_javascript as js;
        use tree_sitter_typescript as ts;
        let (language, highlights, injections): (tree_sitter_language::LanguageFn, String, &str) =
            match self {
                Grammar::Rust => (
                    tree_sitter_rust::LANGUAGE,
                    tree_sitter_rust::HIGHLIGHTS_QUERY.into(),
                    "",
                ),
                Grammar::Python => (
                    tree_sitter_python::LANGUAGE,
                    tree_sitter_python::HIGHLIGHTS_QUERY.into(),
                    "",
                ),
                Grammar::JavaScript => (js::LANGUAGE, js::HIGHLIGHT_QUERY.into(), ""),
                Grammar::Jsx => (
                    js::LANGUAGE,
                    [js::HIGHLIGHT_QUERY, js::JSX_HIGHLIGHT_QUERY].concat(),
                    "",
                ),
                Grammar::TypeScript => (
                    ts::LANGUAGE_TYPESCRIPT,
                    [js::HIGHLIGHT_QUERY, ts::HIGHLIGHTS_QUERY].concat(),
                    "",
                ),
                Grammar::Tsx => (
                    ts::LANGUAGE_TSX,
                    [
                        js::HIGHLIGHT_QUERY,
                        js::JSX_HIGHLIGHT_QUERY,
                        ts::HIGHLIGHTS_QUERY,
                    ]
                    .concat(),
                    "",
                ),
                Grammar::Bash => (
                    tree_sitter_bash::LANGUAGE,
                    tree_sitter_bash::HIGHLIGHT_QUERY.into(),
                    "",
                ),
                Grammar::Toml => (
                    tree_sitter_toml_ng::LANGUAGE,
                    tree_sitter_toml_ng::HIGHLIGHTS_QUERY.into(),
                    "",
                ),
                Grammar::Json => (
                    tree_sitter_json::LANGUAGE,
                    tree_sitter_json::HIGHLIGHTS_QUERY.into(),
                    "",
                ),
                Grammar::Go => (
                    tree_sitter_go::LANGUAGE,
                    tree_sitter_go::HIGHLIGHTS_QUERY.into(),
                    "",
                ),
                Grammar::C => (
                    tree_sitter_c::LANGUAGE,
                    tree_sitter_c::HIGHLIGHT_QUERY.into(),
                    "",
                ),
                Grammar::Css => (
                    tree_sitter_css::LANGUAGE,
                    tree_sitter_css::HIGHLIGHTS_QUERY.into(),
                    "",
                ),
                Grammar::Html => (
                    tree_sitter_html::LANGUAGE,
                    tree_sitter_html::HIGHLIGHTS_QUERY.into(),
                    tree_sitter_html::INJECTIONS_QUERY,
                ),
                Grammar::Yaml => (
                    tree_sitter_yaml::LANGUAGE,
                    tree_sitter_yaml::HIGHLIGHTS_QUERY.into(),
                    "",
                ),
            };
        let name = format!("{self:?}").to_ascii_lowercase();
        let mut config =
            HighlightConfiguration::new(language.into(), &name, &highlights, injections, "")
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
        let Ok(events) = highlighter.highlight(base, code.as_bytes(), None, |name| {
            Grammar::for_injection(name).map(config)
        }) else {
            return false;
        };
        let mut writer = SpanWriter::new(code, out);
        let mut stack: Vec<Option<usize>> = Vec::new();
        for event in events {
            match event {
                Ok(HighlightEvent::HighlightStart(h)) => stack.push(NAMES[h.0].1),
                Ok(HighlightEvent::HighlightEnd) => {
                    stack.pop();
                }
                Ok(HighlightEvent::Source { end, .. }) => {
                    writer.text_to(end, stack.last().copied().flatten());
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

/// Writes code as HTML, one span per run of text with the same class: a new span opens only
/// when the class changes, and whitespace between two tokens of one class stays inside their
/// span.
struct SpanWriter<'a> {
    code: &'a str,
    out: &'a mut String,
    /// How much of `code` has been written (or is pending).
    pos: usize,
    /// The class of the open span.
    open: Option<usize>,
    /// Plain whitespace after the open span, not yet written: it joins the span if the next
    /// token has the same class.
    pending: Option<(usize, usize)>,
}

impl<'a> SpanWriter<'a> {
    fn new(code: &'a str, out: &'a mut String) -> SpanWriter<'a> {
        SpanWriter {
            code,
            out,
            pos: 0,
            open: None,
            pending: None,
        }
    }

    /// Writes `code[pos..end]` with `class`. `end` is moved forward to a character boundary
    /// (tree-sitter counts bytes), and text already written is never written again.
    fn text_to(&mut self, end: usize, class: Option<usize>) {
        let mut end = end.min(self.code.len());
        while !self.code.is_char_boundary(end) {
            end += 1;
        }
        if end <= self.pos {
            return;
        }
        let start = self.pos;
        self.pos = end;
        let text = &self.code[start..end];
        if class.is_some() && class == self.open {
            self.flush_pending();
            super::escape_into(self.out, text);
            return;
        }
        if class.is_none() && self.open.is_some() && text.bytes().all(|b| b.is_ascii_whitespace()) {
            let run = self.pending.get_or_insert((start, end));
            run.1 = end;
            return;
        }
        self.close();
        if let Some(class) = class {
            self.out.push_str("<span class=\"");
            self.out.push_str(CLASSES[class].class);
            self.out.push_str("\">");
            self.open = Some(class);
        }
        super::escape_into(self.out, text);
    }

    fn flush_pending(&mut self) {
        if let Some((start, end)) = self.pending.take() {
            super::escape_into(self.out, &self.code[start..end]);
        }
    }

    /// Closes the open span and writes any pending whitespace after it.
    fn close(&mut self) {
        if self.open.take().is_some() {
            self.out.push_str("</span>");
        }
        self.flush_pending();
    }

    /// Writes whatever tree-sitter did not cover as plain text and closes the open span.
    fn finish(mut self) {
        let len = self.code.len();
        self.text_to(len, None);
        self.close();
    }
}

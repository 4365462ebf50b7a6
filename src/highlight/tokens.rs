//! The short token classes both token backends (the lexical one and tree-sitter) write, and
//! the writer that turns a run of classified text into `<span>`s.

/// A kind of token with its own colour: the class its spans get, and the TextMate scopes
/// (tried in order) whose style in a syntect theme stands for it in `/highlight.css`.
pub(super) struct TokenClass {
    /// The CSS class of its spans.
    pub class: &'static str,
    /// Representative TextMate scopes; the first one the theme styles wins.
    pub scopes: &'static [&'static str],
}

/// Every class the token backends emit. Short, so highlighted code stays compact; none of
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

/// The index in [`CLASSES`] of `hl-k`.
pub(super) const KEYWORD: usize = 0;
/// The index in [`CLASSES`] of `hl-o`.
pub(super) const OPERATOR: usize = 1;
/// The index in [`CLASSES`] of `hl-s`.
pub(super) const STRING: usize = 2;
/// The index in [`CLASSES`] of `hl-e`.
pub(super) const ESCAPE: usize = 3;
/// The index in [`CLASSES`] of `hl-cm`.
pub(super) const COMMENT: usize = 4;
/// The index in [`CLASSES`] of `hl-f`.
pub(super) const FUNCTION: usize = 5;
/// The index in [`CLASSES`] of `hl-t`.
pub(super) const TYPE: usize = 6;
/// The index in [`CLASSES`] of `hl-n`.
pub(super) const NUMBER: usize = 7;
/// The index in [`CLASSES`] of `hl-b`.
pub(super) const BUILTIN: usize = 8;
/// The index in [`CLASSES`] of `hl-cn`.
pub(super) const CONSTANT: usize = 9;
/// The index in [`CLASSES`] of `hl-v`.
pub(super) const VARIABLE: usize = 10;
/// The index in [`CLASSES`] of `hl-p`.
pub(super) const PROPERTY: usize = 11;
/// The index in [`CLASSES`] of `hl-ta`.
pub(super) const ATTRIBUTE: usize = 12;
/// The index in [`CLASSES`] of `hl-g`.
pub(super) const TAG: usize = 13;

/// Writes code as HTML, one span per run of text with the same class: a new span opens only
/// when the class changes, and whitespace between two tokens of one class stays inside their
/// span.
pub(super) struct SpanWriter<'a> {
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
    pub(super) fn new(code: &'a str, out: &'a mut String) -> SpanWriter<'a> {
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
    pub(super) fn text_to(&mut self, end: usize, class: Option<usize>) {
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

    /// Writes whatever the backend did not cover as plain text and closes the open span.
    pub(super) fn finish(mut self) {
        let len = self.code.len();
        self.text_to(len, None);
        self.close();
    }
}

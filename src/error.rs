//! Typed errors: a [`Diagnostic`] names a file, a line and a [`Problem`]; a build collects them.

use std::fmt;
use std::path::{Path, PathBuf};

/// What is wrong, with what was expected. Tests match on these variants, not on message text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// A file could not be read or written.
    #[error("{0}")]
    Io(String),
    /// A setting to carry over (a warning): what another tool's configuration says that
    /// site.toml must say too.
    #[error("{0}")]
    Hint(String),
    /// A file is not valid UTF-8.
    #[error("not valid UTF-8 text (byte {0}); save the file as UTF-8")]
    NotUtf8(usize),
    /// The file is empty.
    #[error("the file is empty; expected front matter (--- or +++) then Markdown")]
    Empty,
    /// Front matter opened with `---`/`+++` and never closed.
    #[error("front matter opened with {0} is never closed; expected a line with {0} alone")]
    UnclosedFrontMatter(&'static str),
    /// A post without front matter.
    #[error("no front matter; expected the file to start with --- (YAML) or +++ (TOML)")]
    NoFrontMatter,
    /// YAML or TOML that does not parse.
    #[error("{format}{message}")]
    Syntax {
        /// What kind of text it is.
        format: SyntaxFormat,
        /// The 1-based column within the line, when the parser knows it.
        column: Option<usize>,
        /// The parser's message, in plain words.
        message: String,
    },
    /// A required field is missing.
    #[error("{0}: required field is missing{hint}", hint = missing_hint(.0))]
    Missing(&'static str),
    /// A file in the content folders that the build does not understand (a warning: it is
    /// neither built nor copied).
    #[error("left out: {0}")]
    NotBuilt(String),
    /// An old URL that the site no longer answers (`check --urls`).
    #[error("{0}: no page, file or redirect answers this old URL")]
    OldUrlGone(String),
    /// A field has the wrong value.
    #[error("{field}: expected {expected}, found {found:?}")]
    Invalid {
        /// The field name.
        field: String,
        /// What would be accepted.
        expected: String,
        /// What was found.
        found: String,
    },
    /// An unknown configuration key (a warning).
    #[error("unknown key {key:?}{hint}")]
    UnknownKey {
        /// The dotted key.
        key: String,
        /// ` (did you mean "x"?)` or empty.
        hint: String,
    },
    /// Two sources produce the same URL.
    #[error("URL {url} is also produced by {other}")]
    DuplicateUrl {
        /// The clashing URL path.
        url: String,
        /// The other source file.
        other: String,
    },
    /// An internal link to a file that is not part of the site.
    #[error("link to {0:?}: no such post or page")]
    BrokenLink(String),
    /// A link in a rendered page to a URL of the site that no page or file answers.
    #[error("link to {0:?}: no page or file of the site has this URL")]
    DeadLink(String),
    /// An external link that does not answer well (`check --external`).
    #[error("link to {url}: {status}")]
    ExternalLink {
        /// The URL.
        url: String,
        /// What went wrong: `404 Not Found`, `timed out`, …
        status: String,
    },
    /// An internal link to an anchor that the target does not have.
    #[error("link to {target:?}: it has no heading with id {anchor:?}")]
    BrokenAnchor {
        /// The linked file.
        target: String,
        /// The missing anchor.
        anchor: String,
    },
    /// A code fence names a language no highlighter knows (a warning: the block is shown
    /// without colours).
    #[error("code language {lang:?} is not known, so the block has no highlighting; {hint}")]
    UnknownLanguage {
        /// The fence's language word.
        lang: String,
        /// The closest known word, or the common ones.
        hint: String,
    },
    /// A template failed to parse or render.
    #[error("{0}")]
    Template(String),
    /// A walk error other than a symlink loop (a folder that cannot be listed, …).
    #[error("{0}")]
    Walk(String),
    /// A symlink in the sources points back to a folder it is in.
    #[error("symlink loop back to {}; remove the link", .ancestor.display())]
    SymlinkLoop {
        /// The folder the link leads back to.
        ancestor: std::path::PathBuf,
    },
    /// A private post cannot be built (no passphrase, bad group, …).
    #[error(transparent)]
    Private(#[from] crate::private::PrivateError),
    /// An image cannot be processed (unreadable, a decompression bomb, …).
    #[error(transparent)]
    Image(#[from] crate::images::ImageError),
    /// A shortcode, Liquid tag or variable in a post that cannot be rendered.
    #[error(transparent)]
    Shortcode(#[from] crate::shortcodes::ShortcodeError),
}

/// The kind of text a [`Problem::Syntax`] was found in; shown as the message's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntaxFormat {
    /// A post's or page's YAML front matter.
    YamlFrontMatter,
    /// A post's or page's TOML front matter.
    TomlFrontMatter,
    /// A TOML file (`site.toml`).
    Toml,
}

impl fmt::Display for SyntaxFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SyntaxFormat::YamlFrontMatter => "invalid YAML front matter: ",
            SyntaxFormat::TomlFrontMatter => "invalid TOML front matter: ",
            SyntaxFormat::Toml => "",
        })
    }
}

impl Problem {
    /// The column the problem is at, for the problems that know one.
    pub(crate) fn column(&self) -> Option<usize> {
        match self {
            Problem::Syntax { column, .. } => *column,
            _ => None,
        }
    }
}

/// Where a missing field may come from, for the fields that have more than one source.
fn missing_hint(field: &str) -> &'static str {
    match field {
        "date" => {
            "; a post's date comes from `date` (or `publishDate`) in its front matter, a file or \
             bundle-folder name starting YYYY-MM-DD- (2014-05-06-title.md), or a `path`/`url`/\
             `permalink` starting /YYYY/MM/DD/, or `updated`/`lastmod`"
        }
        _ => "",
    }
}

/// A problem located in a file, optionally at a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Diagnostic {
    /// The file at fault.
    pub path: PathBuf,
    /// The 1-based line, when known.
    pub line: Option<usize>,
    /// The 1-based column (in characters) on that line, when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub problem: Problem,
    /// The page being rendered when a template failed (its source file, or its URL for a
    /// listing): the same template error on many pages is reported once, with a count.
    pub page: Option<String>,
}

impl Diagnostic {
    /// A diagnostic for `path` (at `line`, when known).
    pub fn new(path: &Path, line: Option<usize>, problem: Problem) -> Diagnostic {
        Diagnostic {
            path: path.to_path_buf(),
            line,
            column: None,
            problem,
            page: None,
        }
    }

    /// The same diagnostic at 1-based `column` of its line.
    pub(crate) fn at_column(mut self, column: Option<usize>) -> Diagnostic {
        self.column = column;
        self
    }

    /// The same diagnostic met while rendering `page`.
    pub(crate) fn on_page(mut self, page: impl Into<String>) -> Diagnostic {
        self.page = Some(page.into());
        self
    }

    /// `file:line:col` (as far as known).
    pub fn position(&self) -> String {
        match (self.line, self.column.or(self.problem.column())) {
            (Some(line), Some(col)) => format!("{}:{line}:{col}", self.path.display()),
            (Some(line), None) => format!("{}:{line}", self.path.display()),
            _ => self.path.display().to_string(),
        }
    }

    /// True when `other` is the same problem at the same place (perhaps on another page).
    fn same_as(&self, other: &Diagnostic) -> bool {
        self.path == other.path
            && self.line == other.line
            && self.column == other.column
            && self.problem == other.problem
    }

    /// The same diagnostic with its path made relative to `root` (for readable messages).
    pub(crate) fn relative_to(mut self, root: &Path) -> Diagnostic {
        if let Ok(rel) = self.path.strip_prefix(root) {
            self.path = rel.to_path_buf();
        }
        self
    }
}

impl From<crate::private::Unsealable> for Diagnostic {
    fn from(u: crate::private::Unsealable) -> Diagnostic {
        Diagnostic {
            path: u.path,
            line: None,
            column: None,
            problem: Problem::Private(u.error),
            page: None,
        }
    }
}

impl From<crate::images::ImageFailure> for Diagnostic {
    fn from(f: crate::images::ImageFailure) -> Diagnostic {
        Diagnostic {
            path: f.path,
            line: None,
            column: None,
            problem: Problem::Image(f.error),
            page: None,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let note = match &self.page {
            Some(page) => format!(" (rendering {page})"),
            None => String::new(),
        };
        f.write_str(&headed(&self.position(), &self.problem, &note))
    }
}

/// `position: problem` with `note` at the end of the problem's first line: a multi-line
/// problem (Tera's source line and caret) keeps its further lines below.
fn headed(position: &str, problem: &Problem, note: &str) -> String {
    let text = problem.to_string();
    match text.split_once('\n') {
        Some((first, rest)) => format!("{position}: {first}{note}\n{rest}"),
        None => format!("{position}: {text}{note}"),
    }
}

/// Diagnostics with the same problem at the same place said once: a template error met on
/// 1,979 pages is one line, "(in 1,979 pages, first content/posts/a.md)". Order is kept
/// (each group where its first member was).
pub fn grouped(diagnostics: &[Diagnostic]) -> Vec<String> {
    // Each group: its first member, its size, and the first of its pages by name (a
    // diagnostic without a page was met on the page of its own file).
    let mut groups: Vec<(&Diagnostic, usize, String)> = Vec::new();
    // Diagnostics of one kind come together in practice; an index keeps the worst case linear.
    type Place<'d> = (&'d Path, Option<usize>, Option<usize>);
    let mut index: std::collections::HashMap<Place<'_>, Vec<usize>> =
        std::collections::HashMap::new();
    let page_of = |d: &Diagnostic| {
        d.page
            .clone()
            .unwrap_or_else(|| d.path.to_string_lossy().into_owned())
    };
    for d in diagnostics {
        let slot = index.entry((&d.path, d.line, d.column)).or_default();
        match slot.iter().find(|&&g| groups[g].0.same_as(d)) {
            Some(&g) => {
                let group = &mut groups[g];
                group.1 += 1;
                let page = page_of(d);
                if page < group.2 {
                    group.2 = page;
                }
            }
            None => {
                slot.push(groups.len());
                groups.push((d, 1, page_of(d)));
            }
        }
    }
    groups
        .into_iter()
        .map(|(d, n, first)| {
            if n > 1 {
                let note = format!(" (in {} pages, first {first})", thousands(n));
                headed(&d.position(), &d.problem, &note)
            } else {
                d.to_string()
            }
        })
        .collect()
}

/// `1979` → `1,979`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Every error of a build, reported together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildErrors(pub Vec<Diagnostic>);

impl fmt::Display for BuildErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, line) in grouped(&self.0).iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{line}")?;
        }
        Ok(())
    }
}

impl std::error::Error for BuildErrors {}

impl From<Diagnostic> for BuildErrors {
    fn from(d: Diagnostic) -> BuildErrors {
        BuildErrors(vec![d])
    }
}

/// A parser's message in a writer's words: without the parser's own "error:" and
/// "line L column C:" prefixes (the diagnostic names the file's line) and with Rust type names
/// (`usize`, `i64`, `f64`, sequence, map) said plainly.
pub(crate) fn plain_words(message: &str) -> String {
    let mut text = message.trim();
    text = text.strip_prefix("error: ").unwrap_or(text);
    if let Some(rest) = text.strip_prefix("line ")
        && let Some((position, after)) = rest.split_once(": ")
        && position
            .split(" column ")
            .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    {
        text = after;
    }
    let mut out = text.to_string();
    for (rust, plain) in [
        ("usize", "a whole number (0 or more)"),
        ("u64", "a whole number (0 or more)"),
        ("u32", "a whole number (0 or more)"),
        ("u16", "a whole number (0 or more)"),
        ("u8", "a whole number (0 or more)"),
        ("i64", "a whole number"),
        ("i32", "a whole number"),
        ("f64", "a number"),
        ("f32", "a number"),
        ("a sequence", "a list"),
        ("a map", "a table"),
    ] {
        for lead in ["expected ", "invalid type: "] {
            out = out.replace(&format!("{lead}{rust}"), &format!("{lead}{plain}"));
        }
    }
    out
}

/// The 1-based column (in characters) of byte `offset` in `text`.
pub(crate) fn column_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    let line_start = text.as_bytes()[..end]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    text.get(line_start..end)
        .map_or(1, |s| s.chars().count() + 1)
}

/// The 1-based line of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The 1-based line on which `key = …` appears, if it does.
pub fn find_key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(['=', ':']))
        })
        .map(|i| i + 1)
}

/// The 1-based line and character column of the first `needle` in `text`.
pub(crate) fn find_in(text: &str, needle: &str) -> Option<(usize, usize)> {
    let at = text.find(needle)?;
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    Some((line_of(text, at), text[line_start..at].chars().count() + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_includes_path_and_line() {
        let d = Diagnostic::new(
            Path::new("content/posts/x.md"),
            Some(3),
            Problem::Invalid {
                field: "date".into(),
                expected: "YYYY-MM-DD or RFC 3339".into(),
                found: "soon".into(),
            },
        );
        assert_eq!(
            d.to_string(),
            "content/posts/x.md:3: date: expected YYYY-MM-DD or RFC 3339, found \"soon\""
        );
    }

    #[test]
    fn the_same_template_error_on_many_pages_is_said_once() {
        let on = |page: &str| {
            Diagnostic::new(
                Path::new("templates/post.html"),
                Some(4),
                Problem::Template("Variable `post.titel` not found".into()),
            )
            .at_column(Some(8))
            .on_page(page)
        };
        let mut all: Vec<Diagnostic> = (0..1979)
            .map(|i| on(&format!("content/posts/p{i}.md")))
            .collect();
        all.push(Diagnostic::new(
            Path::new("content/posts/x.md"),
            Some(2),
            Problem::BrokenLink("/nope/".into()),
        ));
        all.push(on("content/posts/p1.md").at_column(Some(30)));
        assert_eq!(
            grouped(&all),
            [
                "templates/post.html:4:8: Variable `post.titel` not found (in 1,979 pages, \
                 first content/posts/p0.md)",
                "content/posts/x.md:2: link to \"/nope/\": no such post or page",
                "templates/post.html:4:30: Variable `post.titel` not found (rendering \
                 content/posts/p1.md)",
            ]
        );
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1979), "1,979");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn line_of_counts_newlines() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }

    #[test]
    fn parser_messages_are_said_plainly() {
        assert_eq!(
            plain_words("invalid type: string \"ten\", expected usize"),
            "invalid type: string \"ten\", expected a whole number (0 or more)"
        );
        assert_eq!(
            plain_words("error: line 2 column 5: illegal placement of ':' indicator"),
            "illegal placement of ':' indicator"
        );
        assert_eq!(
            plain_words("invalid type: integer `5`, expected a sequence"),
            "invalid type: integer `5`, expected a list"
        );
        assert_eq!(plain_words("line of text: kept"), "line of text: kept");
    }
}

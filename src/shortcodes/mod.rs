//! Shortcodes and Liquid in Markdown, expanded before the Markdown is parsed: Zola's
//! `{{ name(args) }}` and `{% name(args) %}body{% end %}`, Hugo's `{{< name args >}}` and
//! `{{% name %}}`, and Jekyll's Liquid (`{% highlight %}`, `{% link %}`, `{{ site.x }}`, …).
//! Every form renders through `templates/shortcodes/<name>.html` or a built-in; code blocks
//! and code spans are never touched; anything unknown is an error naming its line (or, when
//! lenient, a warning with the source shown marked on the page). Docs: `docs/shortcodes.md`.

mod args;
mod builtins;
mod code;
mod expand;
mod links;
mod liquid;
mod tokens;
mod values;

#[cfg(test)]
mod tests;

use std::borrow::Cow;

use serde_json::Value;

use crate::templates::Templates;

pub(crate) use values::{page_value, site_value};

/// What is wrong with a shortcode, a Liquid tag or a variable in a post.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShortcodeError {
    /// A shortcode with no template.
    #[error("no template for shortcode `{0}`: add templates/shortcodes/{0}.html")]
    UnknownShortcode(String),
    /// A Liquid tag bucketpress does not render in posts.
    #[error(
        "unknown Liquid tag `{{% {0} %}}`: posts may use highlight, raw, comment, link, post_url and include; move other logic into a template"
    )]
    UnknownTag(String),
    /// A variable that neither site.toml nor the front matter defines.
    #[error("unknown variable `{name}`: {hint}")]
    UnknownVariable {
        /// The variable as written (`site.github_user`).
        name: String,
        /// Where it could be defined.
        hint: String,
    },
    /// A Liquid filter bucketpress does not have.
    #[error(
        "unknown Liquid filter `{0}`: posts may use relative_url, absolute_url, date, date_to_string, date_to_xmlschema, escape, xml_escape, upcase, downcase, strip, slugify, default"
    )]
    UnknownFilter(String),
    /// An opening tag without its closing tag.
    #[error("`{open}` is never closed: expected `{close}` after it")]
    Unclosed {
        /// The opening tag as written.
        open: String,
        /// The closing tag expected.
        close: String,
    },
    /// A closing tag with nothing open.
    #[error("`{0}` closes nothing: no opening tag before it")]
    UnexpectedClose(String),
    /// A tag that cannot be read.
    #[error("cannot read `{text}`: {reason}")]
    Syntax {
        /// The tag as written (shortened).
        text: String,
        /// What was expected.
        reason: String,
    },
    /// `ref`, `relref`, `{% link %}` or `{% post_url %}` to a document the site does not build.
    #[error("{tag} {target:?}: no such post or page")]
    BrokenRef {
        /// Which form (`ref`, `post_url`, …).
        tag: String,
        /// The target as written.
        target: String,
    },
    /// `{% include %}` of a file `_includes/` does not have.
    #[error("include {0:?}: no such file in _includes/")]
    MissingInclude(String),
    /// The shortcode's template failed.
    #[error("shortcode `{name}`: {message}")]
    Render {
        /// The shortcode.
        name: String,
        /// Tera's message.
        message: String,
    },
}

/// What expanding shortcodes needs to know about the site and the document.
pub(crate) struct Env<'a> {
    /// The site's templates (`shortcodes/*.html`) and Jekyll includes.
    pub templates: &'a Templates,
    /// `site` / `config`: see [`site_value`].
    pub site: &'a Value,
    /// `page`: see [`page_value`].
    pub page: &'a Value,
    /// The document's path relative to the site (`content/posts/x.md`).
    pub path: &'a str,
    /// Every document's path relative to the site, for `ref` and `post_url`.
    pub docs: &'a [&'a str],
    /// A document's path → its URL path (`/blog/posts/x/`), `None` when it is not built.
    pub href: &'a dyn Fn(&str) -> Option<String>,
    /// Errors become warnings, and the source is shown marked on the page.
    pub lenient: bool,
}

/// A body with its shortcodes expanded.
#[derive(Debug, Default)]
pub(crate) struct Expanded<'t> {
    /// The Markdown to render.
    pub text: Cow<'t, str>,
    /// Errors at 1-based file lines (when lenient: none, they are warnings).
    pub errors: Vec<(usize, ShortcodeError)>,
    /// Warnings at 1-based file lines (lenient mode).
    pub warnings: Vec<(usize, ShortcodeError)>,
    /// True when some template or the site's values were used: the result depends on them.
    pub used: bool,
    /// Maps lines of `text` back to lines of the source.
    pub lines: LineMap,
}

/// True when `body` may hold a shortcode or Liquid (`{{` or `{%`): every other body is left
/// alone without a parse.
pub(crate) fn may_have_any(body: &str) -> bool {
    let bytes = body.as_bytes();
    let mut from = 0;
    while let Some(i) = bytes[from..].iter().position(|&b| b == b'{') {
        let at = from + i;
        match bytes.get(at + 1) {
            Some(b'{' | b'%') => return true,
            Some(_) => from = at + 1,
            None => return false,
        }
    }
    false
}

/// Expands every shortcode, Liquid tag and variable of `body` (which starts at file line
/// `body_line`). A body with neither `{{` nor `{%` comes back borrowed, untouched.
pub(crate) fn expand<'t>(body: &'t str, body_line: usize, env: &Env<'_>) -> Expanded<'t> {
    if !may_have_any(body) {
        return Expanded {
            text: Cow::Borrowed(body),
            ..Expanded::default()
        };
    }
    expand::Expander::new(body, body_line, env).run()
}

/// Lines of an expanded text → lines of its source: after each replacement, the expanded
/// line where the source resumes and the source's line there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LineMap {
    points: Vec<(usize, usize)>,
}

impl LineMap {
    /// Records that expanded line `expanded` is source line `source` (both 1-based, counted
    /// from the body's start).
    fn mark(&mut self, expanded: usize, source: usize) {
        if expanded != source || !self.points.is_empty() {
            self.points.push((expanded, source));
        }
    }

    /// The source line of an expanded line (both as file lines: the body's first line is
    /// `body_line`).
    pub(crate) fn source_line(&self, line: usize, body_line: usize) -> usize {
        let rel = line.saturating_sub(body_line);
        let i = self.points.partition_point(|&(e, _)| e <= rel);
        match i.checked_sub(1).map(|j| self.points[j]) {
            Some((e, s)) => s + (rel - e) + body_line,
            None => line,
        }
    }
}

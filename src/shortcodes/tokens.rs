//! Reading one tag where the text has `{{` or `{%`: which tool's syntax it is, its name,
//! arguments and end. Zola's calls have parentheses (`{{ name(…) }}`), Hugo's angle brackets
//! or percent signs (`{{< name >}}`, `{{% name %}}`); everything else is Liquid.

use super::ShortcodeError;
use super::args::{self, Arg};

/// How a shortcode was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    /// `{{ name(args) }}`.
    ZolaInline,
    /// `{% name(args) %}body{% end %}`.
    ZolaBody,
    /// `{{< name >}}` (`markdown: false`) or `{{% name %}}` (`markdown: true`), maybe `/>}}`.
    Hugo {
        /// The `%` form: the body is Markdown.
        markdown: bool,
        /// Ends with `/>}}`: no body.
        self_closing: bool,
    },
}

/// A shortcode call.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Call {
    /// The shortcode's name.
    pub name: String,
    /// Its arguments.
    pub args: Vec<Arg>,
    /// How it was written.
    pub form: Form,
}

/// One tag.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    /// An escaped tag (`{{</* x */>}}`, `{{/* x() */}}`): this text, as is.
    Literal(String),
    /// A shortcode call (a body follows for [`Form::ZolaBody`] and for Hugo calls that have
    /// a closing tag).
    Call(Call),
    /// Zola's `{% end %}`.
    ZolaEnd,
    /// Hugo's `{{< /name >}}`.
    HugoClose(String),
    /// Liquid's `{{ expression }}`.
    Output(String),
    /// Liquid's `{% name rest %}`.
    Tag {
        /// The tag's name.
        name: String,
        /// What follows the name.
        rest: String,
    },
}

/// A bad tag: the error, and where its text ends.
pub(super) type Bad = (ShortcodeError, usize);

/// Reads the tag at `at` (where `text` has `{{` or `{%`); returns it and the offset after it.
pub(super) fn read(text: &str, at: usize) -> Result<(Token, usize), Bad> {
    let rest = &text[at..];
    let (open, close) = if rest.starts_with("{{<") {
        ("{{<", ">}}")
    } else if rest.starts_with("{{%") {
        ("{{%", "%}}")
    } else if rest.starts_with("{{") {
        ("{{", "}}")
    } else {
        ("{%", "%}")
    };
    let inner_start = at + open.len();
    // Escapes: `{{</* … */>}}`, `{{/* … */}}`, `{%/* … */%}`.
    if text[inner_start..].starts_with("/*")
        || (open.len() == 3 && text[inner_start..].trim_start().starts_with("/*"))
    {
        return escaped(text, at, (open, close));
    }
    let Some(inner_end) = find_close(text, inner_start, close) else {
        return Err(unclosed(text, at, close));
    };
    let end = inner_end + close.len();
    let inner = text[inner_start..inner_end]
        .trim()
        .trim_start_matches('-')
        .trim_end_matches('-')
        .trim();
    let bad = |reason: &str| {
        (
            ShortcodeError::Syntax {
                text: shorten(&text[at..end]),
                reason: reason.into(),
            },
            end,
        )
    };
    Ok((token(open, inner, &bad)?, end))
}

/// An escaped tag at `at` (`{{</* … */>}}`, `{{/* … */}}`, `{%/* … */%}`), with its
/// `(open, close)` marks: the tag without the comment marks, as literal text.
fn escaped(text: &str, at: usize, (open, close): (&str, &str)) -> Result<(Token, usize), Bad> {
    let inner_start = at + open.len();
    let comment = inner_start + text[inner_start..].find("/*").unwrap_or(0);
    let ending = format!("*/{close}");
    let Some(end) = text[comment..].find(&ending).map(|i| comment + i) else {
        return Err(unclosed(text, at, &ending));
    };
    let literal = format!("{open}{}{close}", &text[comment + 2..end]);
    Ok((Token::Literal(literal), end + ending.len()))
}

/// The token a tag opened with `open` holds, from its trimmed `inner` text; `bad` makes the
/// error for a reason.
fn token(open: &str, inner: &str, bad: &dyn Fn(&str) -> Bad) -> Result<Token, Bad> {
    Ok(match open {
        "{{<" | "{{%" => hugo(inner, open == "{{%").map_err(|r| bad(&r))?,
        "{{" => match zola_call(inner) {
            Some(call) => {
                let (name, args) = call.map_err(|r| bad(&r))?;
                Token::Call(Call {
                    name,
                    args,
                    form: Form::ZolaInline,
                })
            }
            None if inner.is_empty() => return Err(bad("expected a variable or a shortcode")),
            None => Token::Output(inner.to_string()),
        },
        _ => match zola_call(inner) {
            Some(call) => {
                let (name, args) = call.map_err(|r| bad(&r))?;
                Token::Call(Call {
                    name,
                    args,
                    form: Form::ZolaBody,
                })
            }
            None if inner == "end" => Token::ZolaEnd,
            None => {
                let (name, rest) = inner.split_once(char::is_whitespace).unwrap_or((inner, ""));
                if name.is_empty() {
                    return Err(bad("expected a tag name"));
                }
                Token::Tag {
                    name: name.to_string(),
                    rest: rest.trim().to_string(),
                }
            }
        },
    })
}

/// A Hugo tag's inside: `/name`, `name args`, `name args /`.
fn hugo(inner: &str, markdown: bool) -> Result<Token, String> {
    if let Some(name) = inner.strip_prefix('/') {
        return Ok(Token::HugoClose(name.trim().to_string()));
    }
    let (inner, self_closing) = match inner.strip_suffix('/') {
        Some(rest) => (rest.trim_end(), true),
        None => (inner, false),
    };
    let (name, rest) = inner.split_once(char::is_whitespace).unwrap_or((inner, ""));
    if !is_name(name) {
        return Err("expected a shortcode name".into());
    }
    Ok(Token::Call(Call {
        name: name.to_string(),
        args: args::parse(rest)?,
        form: Form::Hugo {
            markdown,
            self_closing,
        },
    }))
}

/// `name(args)`: `None` when `inner` is not a call at all, an error when its arguments are
/// unreadable.
fn zola_call(inner: &str) -> Option<Result<(String, Vec<Arg>), String>> {
    let paren = inner.find('(')?;
    let name = inner[..paren].trim_end();
    if !is_name(name) || name.contains('-') || !inner.ends_with(')') {
        return None;
    }
    Some(args::parse(&inner[paren + 1..inner.len() - 1]).map(|a| (name.to_string(), a)))
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/' | '.'))
}

/// The offset of `close` after `from`, skipping quoted strings.
fn find_close(text: &str, from: usize, close: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        if text[i..].starts_with(close) {
            return Some(i);
        }
        match bytes[i] {
            q @ (b'"' | b'`') => match text[i + 1..].find(q as char) {
                // A quote that is never closed is taken as a plain character.
                Some(j) if !text[i + 1..i + 1 + j].contains(close) => i += j + 2,
                _ => i += 1,
            },
            b'\n' if text[i + 1..].starts_with('\n') || text[i + 1..].starts_with("\r\n") => {
                // A blank line ends the search: a tag never spans paragraphs.
                return None;
            }
            _ => i += 1,
        }
    }
    None
}

fn unclosed(text: &str, at: usize, close: &str) -> Bad {
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let end = line_end.max(at + 2).min(text.len());
    (
        ShortcodeError::Unclosed {
            open: shorten(&text[at..end]),
            close: close.to_string(),
        },
        end,
    )
}

/// A tag's text for a message: at most 60 characters, on one line.
pub(super) fn shorten(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 60 {
        format!("{}…", one_line.chars().take(60).collect::<String>())
    } else {
        one_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(text: &str) -> Token {
        read(text, 0).unwrap().0
    }

    #[test]
    fn each_syntax_is_told_apart() {
        assert!(matches!(
            token(r#"{{ youtube(id="x") }}"#),
            Token::Call(Call {
                form: Form::ZolaInline,
                ..
            })
        ));
        assert!(matches!(
            token("{% quote(author=\"A\") %}"),
            Token::Call(Call {
                form: Form::ZolaBody,
                ..
            })
        ));
        assert_eq!(token("{% end %}"), Token::ZolaEnd);
        assert!(matches!(
            token("{{< youtube abc >}}"),
            Token::Call(Call {
                form: Form::Hugo {
                    markdown: false,
                    self_closing: false
                },
                ..
            })
        ));
        assert!(matches!(
            token("{{% note /%}}"),
            Token::Call(Call {
                form: Form::Hugo {
                    markdown: true,
                    self_closing: true
                },
                ..
            })
        ));
        assert_eq!(token("{{< /note >}}"), Token::HugoClose("note".into()));
        assert_eq!(
            token("{{ site.baseurl }}"),
            Token::Output("site.baseurl".into())
        );
        assert_eq!(
            token("{%- highlight ruby linenos -%}"),
            Token::Tag {
                name: "highlight".into(),
                rest: "ruby linenos".into()
            }
        );
    }

    #[test]
    fn escapes_become_literal_text() {
        assert_eq!(
            read("{{</* youtube abc */>}} after", 0).unwrap(),
            (Token::Literal("{{< youtube abc >}}".into()), 23)
        );
        assert_eq!(
            token("{{%/* note */%}}"),
            Token::Literal("{{% note %}}".into())
        );
        assert_eq!(
            token("{{/* gallery() */}}"),
            Token::Literal("{{ gallery() }}".into())
        );
        assert_eq!(
            token("{%/* quote() */%}"),
            Token::Literal("{% quote() %}".into())
        );
    }

    #[test]
    fn a_quoted_closer_does_not_end_the_tag() {
        let (t, end) = read(r#"{{< figure caption="a }} b" >}}!"#, 0).unwrap();
        assert!(matches!(t, Token::Call(_)));
        assert_eq!(end, 31);
    }

    #[test]
    fn unclosed_tag_is_an_error_ending_at_its_line() {
        let (e, end) = read("{{< youtube abc\n\nnext", 0).unwrap_err();
        assert!(matches!(e, ShortcodeError::Unclosed { .. }), "{e}");
        assert_eq!(end, 15);
    }
}

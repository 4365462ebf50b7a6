//! The expansion walk: find each tag outside code, read it, render it (a body first, with its
//! own tags expanded), and put the result where the tag was. Problems are collected with their
//! lines, never stop the walk, and in lenient mode leave the tag visibly marked.

use std::collections::HashMap;
use std::ops::Range;

use serde_json::Value;

use super::tokens::{self, Call, Form, Token};
use super::{Env, Expanded, LineMap, ShortcodeError, builtins, code, liquid};

/// Includes nested deeper than this are refused (an include that includes itself).
const MAX_DEPTH: usize = 10;

/// Where a text being expanded comes from, for error lines.
#[derive(Clone, Copy)]
enum Origin {
    /// At this byte offset of the body.
    Body(usize),
    /// An included file: errors are reported at the include tag's line.
    Line(usize),
}

/// Expands one body.
pub(super) struct Expander<'t, 'e> {
    body: &'t str,
    body_line: usize,
    env: &'e Env<'e>,
    /// Byte offsets where the body's lines start.
    line_starts: Vec<usize>,
    nth: HashMap<String, usize>,
    result: Expanded<'t>,
    depth: usize,
}

impl<'t, 'e> Expander<'t, 'e> {
    /// An expander for `body`, which starts at file line `body_line`.
    pub(super) fn new(body: &'t str, body_line: usize, env: &'e Env<'e>) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(body.match_indices('\n').map(|(i, _)| i + 1));
        Expander {
            body,
            body_line,
            env,
            line_starts,
            nth: HashMap::new(),
            result: Expanded::default(),
            depth: 0,
        }
    }

    /// Expands the whole body.
    pub(super) fn run(mut self) -> Expanded<'t> {
        let mut map = LineMap::default();
        let text = self.expand_text(self.body, Origin::Body(0), None, Some(&mut map));
        self.result.text = text.into();
        self.result.lines = map;
        self.result
    }

    fn line(&self, origin: Origin, offset: usize) -> usize {
        match origin {
            Origin::Body(base) => {
                self.line_starts.partition_point(|&s| s <= base + offset) + self.body_line - 1
            }
            Origin::Line(line) => line,
        }
    }

    fn expand_text(
        &mut self,
        text: &str,
        origin: Origin,
        include: Option<&Value>,
        mut map: Option<&mut LineMap>,
    ) -> String {
        let code = code::ranges(text);
        let mut next_code = 0;
        let mut out = String::with_capacity(text.len() + text.len() / 4);
        let (mut pos, mut out_lines, mut counted) = (0, 0, 0);
        while let Some(i) = next_open(text, pos) {
            while next_code < code.len() && code[next_code].end <= i {
                next_code += 1;
            }
            if let Some(range) = code.get(next_code).filter(|r| r.start <= i) {
                out.push_str(&text[pos..range.start]);
                code::unescape(&text[range.clone()], &mut out);
                pos = range.end;
                next_code += 1;
                continue;
            }
            out.push_str(&text[pos..i]);
            let end = self.one(text, i, &code, origin, include, &mut out);
            pos = end;
            if let Some(map) = map.as_deref_mut() {
                out_lines += out[counted..].matches('\n').count();
                counted = out.len();
                map.mark(out_lines, text[..end].matches('\n').count());
            }
        }
        out.push_str(&text[pos..]);
        out
    }

    /// Expands the tag at `at` into `out`; returns where the text resumes.
    fn one(
        &mut self,
        text: &str,
        at: usize,
        code: &[Range<usize>],
        origin: Origin,
        include: Option<&Value>,
        out: &mut String,
    ) -> usize {
        let line = self.line(origin, at);
        let (token, end) = match tokens::read(text, at) {
            Ok(found) => found,
            Err((e, end)) => {
                self.fail(e, line, &text[at..end], out);
                return end;
            }
        };
        let result = match token {
            Token::Literal(s) => Ok((s, end)),
            Token::ZolaEnd | Token::HugoClose(_) => Err(ShortcodeError::UnexpectedClose(
                tokens::shorten(&text[at..end]),
            )),
            Token::Output(expr) => {
                self.result.used = true;
                liquid::output(&expr, &self.scope(include)).map(|s| (s, end))
            }
            Token::Tag { name, rest } => self.liquid_tag(text, end, &name, &rest, line, include),
            Token::Call(call) => self
                .call(text, at, end, &call, code, origin, include, line)
                .map(|(html, end)| (inline_if_needed(html, out), end)),
        };
        match result {
            Ok((replacement, end)) => {
                if replacement.starts_with("```") && !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str(&replacement);
                end
            }
            Err(e) => {
                // A tag with a body is marked whole; a tag alone, up to its end.
                self.fail(e, line, &text[at..end], out);
                end
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn call(
        &mut self,
        text: &str,
        at: usize,
        end: usize,
        call: &Call,
        code: &[Range<usize>],
        origin: Origin,
        include: Option<&Value>,
        line: usize,
    ) -> Result<(String, usize), ShortcodeError> {
        let body = match call.form {
            Form::ZolaInline
            | Form::Hugo {
                self_closing: true, ..
            } => None,
            Form::ZolaBody => match find_close(text, end, code, &|t| match t {
                Token::Call(Call {
                    form: Form::ZolaBody,
                    ..
                }) => Some(true),
                Token::ZolaEnd => Some(false),
                _ => None,
            }) {
                Some(found) => Some(found),
                None => {
                    return Err(ShortcodeError::Unclosed {
                        open: tokens::shorten(&text[at..end]),
                        close: "{% end %}".into(),
                    });
                }
            },
            Form::Hugo { .. } => {
                if text[end..].contains(&format!("/{}", call.name)) {
                    find_close(text, end, code, &|t| match t {
                        Token::Call(c)
                            if c.name == call.name
                                && matches!(
                                    c.form,
                                    Form::Hugo {
                                        self_closing: false,
                                        ..
                                    }
                                ) =>
                        {
                            Some(true)
                        }
                        Token::HugoClose(n) if *n == call.name => Some(false),
                        _ => None,
                    })
                } else {
                    None
                }
            }
        };
        let (body, resume) = match body {
            Some((inner, close_end)) => {
                let inner_origin = match origin {
                    Origin::Body(base) => Origin::Body(base + inner.start),
                    other => other,
                };
                let mut expanded =
                    self.expand_text(&text[inner.clone()], inner_origin, include, None);
                if matches!(call.form, Form::Hugo { markdown: true, .. }) {
                    expanded = crate::markdown::render_excerpt(&expanded);
                }
                (Some(expanded), close_end)
            }
            None => (None, end),
        };
        let nth = {
            let n = self.nth.entry(call.name.clone()).or_insert(0);
            *n += 1;
            *n
        };
        self.result.used = true;
        let _ = line;
        let html = builtins::render(self.env, call, body, nth)?;
        Ok((html, resume))
    }

    fn liquid_tag(
        &mut self,
        text: &str,
        end: usize,
        name: &str,
        rest: &str,
        line: usize,
        include: Option<&Value>,
    ) -> Result<(String, usize), ShortcodeError> {
        let block = |close: &str| {
            find_tag(text, end, close).ok_or_else(|| ShortcodeError::Unclosed {
                open: format!("{{% {name} %}}"),
                close: format!("{{% {close} %}}"),
            })
        };
        self.result.used = true;
        match name {
            "raw" => block("endraw").map(|(inner, resume)| (text[inner].to_string(), resume)),
            "comment" => block("endcomment").map(|(_, resume)| (String::new(), resume)),
            "highlight" => block("endhighlight").map(|(inner, resume)| {
                let lang = rest.split_whitespace().next().unwrap_or("");
                (builtins::fence(lang, &text[inner]), resume)
            }),
            "link" | "post_url" => builtins::link(self.env, name, rest).map(|u| (u, end)),
            "include" => self.include(rest, line, include).map(|s| (s, end)),
            "endraw" | "endcomment" | "endhighlight" => {
                Err(ShortcodeError::UnexpectedClose(format!("{{% {name} %}}")))
            }
            other => Err(ShortcodeError::UnknownTag(other.to_string())),
        }
    }

    fn include(
        &mut self,
        rest: &str,
        line: usize,
        outer: Option<&Value>,
    ) -> Result<String, ShortcodeError> {
        let bad = |reason: String| ShortcodeError::Syntax {
            text: format!("{{% include {rest} %}}"),
            reason,
        };
        let args = super::args::parse(rest).map_err(bad)?;
        let Some(super::args::Arg {
            name: None,
            value: super::args::Raw::Bare(file) | super::args::Raw::Str(file),
        }) = args.first()
        else {
            return Err(bad("expected a file name in _includes/ first".into()));
        };
        let Some(source) = self.env.templates.include(file) else {
            return Err(ShortcodeError::MissingInclude(file.clone()));
        };
        if self.depth >= MAX_DEPTH {
            return Err(bad(format!("includes nested more than {MAX_DEPTH} deep")));
        }
        let mut params = serde_json::Map::new();
        for arg in &args[1..] {
            let Some(name) = &arg.name else {
                return Err(bad("expected name=value after the file name".into()));
            };
            let value = match &arg.value {
                super::args::Raw::Bare(var) => liquid::operand(var, &self.scope(outer))?,
                other => builtins::to_value(other),
            };
            params.insert(name.clone(), value);
        }
        let params = Value::Object(params);
        self.depth += 1;
        let text = self.expand_text(source, Origin::Line(line), Some(&params), None);
        self.depth -= 1;
        Ok(text)
    }

    fn scope<'s>(&'s self, include: Option<&'s Value>) -> liquid::Scope<'s> {
        liquid::Scope {
            site: self.env.site,
            page: self.env.page,
            include,
        }
    }

    /// Records `error` at `line`; writes the tag's source, marked when lenient.
    fn fail(&mut self, error: ShortcodeError, line: usize, source: &str, out: &mut String) {
        if self.env.lenient {
            out.push_str(&builtins::marked(source, &error));
            self.result.warnings.push((line, error));
        } else {
            out.push_str(source);
            self.result.errors.push((line, error));
        }
    }
}

/// Template output placed after text on the same line goes on that one line: a line break
/// would split the paragraph around it.
fn inline_if_needed(html: String, out: &str) -> String {
    let line_start = out.rfind('\n').map_or(0, |i| i + 1);
    if !html.contains('\n') || html.starts_with("```") || out[line_start..].trim().is_empty() {
        return html;
    }
    html.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}

/// The next `{{` or `{%` at or after `from`.
fn next_open(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    while let Some(j) = bytes[i..].iter().position(|&b| b == b'{') {
        let at = i + j;
        match bytes.get(at + 1) {
            Some(b'{' | b'%') => return Some(at),
            Some(_) => i = at + 1,
            None => return None,
        }
    }
    None
}

/// The body and the end of the closing tag of a block opened before `from`: `kind` says of a
/// token whether it opens (`Some(true)`) or closes (`Some(false)`) a block of the same kind.
fn find_close(
    text: &str,
    from: usize,
    code: &[Range<usize>],
    kind: &dyn Fn(&Token) -> Option<bool>,
) -> Option<(Range<usize>, usize)> {
    let mut depth = 0usize;
    let mut pos = from;
    while let Some(i) = next_open(text, pos) {
        if let Some(range) = code.iter().find(|r| r.contains(&i)) {
            pos = range.end;
            continue;
        }
        let Ok((token, end)) = tokens::read(text, i) else {
            pos = i + 2;
            continue;
        };
        match kind(&token) {
            Some(true) => depth += 1,
            Some(false) if depth == 0 => return Some((from..i, end)),
            Some(false) => depth -= 1,
            None => {}
        }
        pos = end;
    }
    None
}

/// The inside of a Liquid block up to `{% close %}` (any whitespace, `{%-` allowed), and the
/// offset after the closing tag. The inside is not read for tags (raw, highlight, comment).
fn find_tag(text: &str, from: usize, close: &str) -> Option<(Range<usize>, usize)> {
    let mut pos = from;
    while let Some(i) = text[pos..].find("{%").map(|i| pos + i) {
        let end = text[i..].find("%}").map(|j| i + j + 2)?;
        let inner = text[i + 2..end - 2].trim().trim_matches('-').trim();
        if inner == close {
            return Some((from..i, end));
        }
        pos = i + 2;
    }
    None
}

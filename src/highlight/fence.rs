//! A code fence's info string: its language and the line options `linenos`, `hl_lines` and
//! `linenostart`, in Zola's form (```` ```rust,linenos,hl_lines=2 4-6 ````) and Hugo's
//! (```` ```go {linenos=true,hl_lines=[2,"4-6"],linenostart=10} ````); and the line markup
//! those options put around already highlighted code, whichever backend highlighted it.

use std::ops::RangeInclusive;

/// What a fence's info string asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Fence {
    /// The language word, lower-cased (empty when none is given).
    pub lang: String,
    /// Show line numbers.
    pub linenos: bool,
    /// The number shown on the first line (1 unless `linenostart` says otherwise).
    pub linenostart: usize,
    /// Lines to mark, counted from the block's first line (1), whatever `linenostart` says.
    pub hl_lines: Vec<RangeInclusive<usize>>,
}

/// An option with a value the parser cannot use: the option and the value as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadOption {
    /// `hl_lines`, `linenostart` or `linenos`.
    pub option: &'static str,
    /// What it accepts.
    pub expected: &'static str,
    /// The value as written.
    pub found: String,
}

impl Fence {
    /// True when the block needs line markup (numbers or marked lines).
    pub(crate) fn has_line_options(&self) -> bool {
        self.linenos || !self.hl_lines.is_empty()
    }

    /// True when line `n` (1-based, within the block) is marked.
    fn is_marked(&self, n: usize) -> bool {
        self.hl_lines.iter().any(|r| r.contains(&n))
    }
}

/// Parses a fence's info string. Options it does not know (`title=…`, Hugo's `style=…`,
/// `{.class}`) are left alone; a known option with a value it cannot use is an error.
pub fn parse(info: &str) -> Result<Fence, BadOption> {
    let info = info.trim();
    // Hugo: `go {k=v,…}`; Zola: `rust,k=v,…`; also `py hl_lines="2 3"` (Python-Markdown).
    let (head, attrs) = match info.split_once('{') {
        Some((head, rest)) => (head, rest.rsplit_once('}').map_or(rest, |(a, _)| a)),
        None => match info.find([',', ' ', '\t']) {
            Some(i) => (&info[..i], &info[i + 1..]),
            None => (info, ""),
        },
    };
    let mut fence = Fence {
        lang: head.trim().to_ascii_lowercase(),
        linenostart: 1,
        ..Fence::default()
    };
    let mut last_key = String::new();
    for item in split_items(attrs) {
        let (key, value) = match item.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(unquote(v.trim()))),
            None => (String::new(), None),
        };
        if key.is_empty() {
            // A bare word: an option without value (`linenos`), or Zola's `hl_lines=2 4-6`
            // going on after a space.
            let word = item.trim();
            if last_key == "hl_lines" && word.starts_with(|c: char| c.is_ascii_digit()) {
                fence.hl_lines.extend(line_ranges(word)?);
            } else if word.eq_ignore_ascii_case("linenos") {
                fence.linenos = true;
                last_key = "linenos".into();
            } else {
                last_key.clear();
            }
            continue;
        }
        let value = value.unwrap_or_default();
        match key.as_str() {
            "linenos" | "linenums" => {
                fence.linenos = match value.to_ascii_lowercase().as_str() {
                    "true" | "table" | "inline" | "" => true,
                    "false" => false,
                    // Python-Markdown's `linenums="10"` is a start number.
                    v if v.parse::<usize>().is_ok() => {
                        fence.linenostart = v.parse().unwrap_or(1);
                        true
                    }
                    _ => {
                        return Err(BadOption {
                            option: "linenos",
                            expected: "true or false",
                            found: value,
                        });
                    }
                };
            }
            "linenostart" => {
                fence.linenostart = value.parse().map_err(|_| BadOption {
                    option: "linenostart",
                    expected: "a whole number like 10",
                    found: value.clone(),
                })?;
            }
            "hl_lines" => fence.hl_lines.extend(line_ranges(&value)?),
            _ => {}
        }
        last_key = key;
    }
    Ok(fence)
}

/// Splits options at commas and blanks, keeping `[…]` and `"…"` whole.
fn split_items(attrs: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut quoted, mut start) = (0usize, false, 0usize);
    for (i, c) in attrs.char_indices() {
        match c {
            '"' | '\'' => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth = depth.saturating_sub(1),
            ',' | ' ' | '\t' if !quoted && depth == 0 => {
                items.push(&attrs[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&attrs[start..]);
    items.retain(|s| !s.trim().is_empty());
    items
}

/// A value without its quotes.
fn unquote(v: &str) -> String {
    v.trim_matches(|c| c == '"' || c == '\'').to_string()
}

/// `2 4-6`, `[2,"4-6"]`, `"2 4-6"` → the ranges.
fn line_ranges(value: &str) -> Result<Vec<RangeInclusive<usize>>, BadOption> {
    let bad = || BadOption {
        option: "hl_lines",
        expected: "line numbers and ranges like 2 4-6",
        found: value.to_string(),
    };
    let list = value.trim().trim_start_matches('[').trim_end_matches(']');
    let mut ranges = Vec::new();
    for part in list.split([',', ' ', '\t']) {
        let part = part.trim().trim_matches(|c| c == '"' || c == '\'');
        if part.is_empty() {
            continue;
        }
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let a: usize = a.trim().parse().map_err(|_| bad())?;
        let b: usize = b.trim().parse().map_err(|_| bad())?;
        if a == 0 || b < a {
            return Err(bad());
        }
        ranges.push(a..=b);
    }
    if ranges.is_empty() {
        return Err(bad());
    }
    Ok(ranges)
}

/// Wraps each line of a highlighted block (`<pre …><code>…</code></pre>`) in
/// `<span class="line">` (`line hl` when marked), with an empty `<span class="ln"
/// data-ln="N">` before it when numbered: the stylesheet shows the number, so copying the
/// code does not copy it. Spans a backend opened across a line end are closed at the end of
/// the line and opened again on the next, so every line is well-formed HTML on its own.
pub(crate) fn mark_lines(block: &str, fence: &Fence) -> String {
    if !fence.has_line_options() {
        return block.to_string();
    }
    let Some(code_start) = block.find("<code>").map(|i| i + "<code>".len()) else {
        return block.to_string();
    };
    let code_end = block.rfind("</code>").unwrap_or(block.len());
    let (open, inner, close) = (
        &block[..code_start],
        &block[code_start..code_end],
        &block[code_end..],
    );
    let mut out = String::with_capacity(block.len() + inner.len() / 2 + 64);
    // The <pre> says which options are on, for the stylesheet.
    let pre_class = if fence.linenos {
        "<pre class=\"code linenos "
    } else {
        "<pre class=\"code "
    };
    match open.strip_prefix("<pre class=\"code") {
        Some(rest) => {
            out.push_str(pre_class.trim_end());
            out.push_str(rest);
        }
        None => out.push_str(open),
    }
    let mut open_tags: Vec<&str> = Vec::new();
    let mut lines: Vec<&str> = inner.split('\n').collect();
    // The code's last newline ends the last line; what follows it is at most the closing tags
    // of spans that run to the end (syntect's), which every line closes anyway.
    if lines.len() > 1 && lines.last().is_some_and(|l| is_tags_only(l)) {
        lines.pop();
    }
    if fence.linenos {
        // The widest number, so every line's code starts in the same column.
        let digits = (fence.linenostart + lines.len().saturating_sub(1))
            .to_string()
            .len();
        if let Some(i) = out.find('>') {
            out.insert_str(i, &format!(" style=\"--ln-width:{digits}ch\""));
        }
    }
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        out.push_str(if fence.is_marked(n) {
            "<span class=\"line hl\">"
        } else {
            "<span class=\"line\">"
        });
        if fence.linenos {
            out.push_str("<span class=\"ln\" aria-hidden=\"true\" data-ln=\"");
            out.push_str(&(fence.linenostart + i).to_string());
            out.push_str("\"></span>");
        }
        for tag in &open_tags {
            out.push_str(tag);
        }
        track_tags(line, &mut open_tags);
        out.push_str(line);
        for _ in &open_tags {
            out.push_str("</span>");
        }
        out.push_str("\n</span>");
    }
    out.push_str(close);
    out
}

/// True when `html` holds tags and no text.
fn is_tags_only(html: &str) -> bool {
    let mut in_tag = false;
    html.chars().all(|c| {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => return false,
            _ => {}
        }
        true
    })
}

/// Updates the stack of `<span …>` tags left open after `html` (the backends write spans
/// only; anything else is text or a closed element).
fn track_tags<'a>(html: &'a str, open: &mut Vec<&'a str>) {
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        let after = &rest[i..];
        let end = after.find('>').map_or(after.len(), |e| e + 1);
        let tag = &after[..end];
        if tag.starts_with("</span") {
            open.pop();
        } else if tag.starts_with("<span") {
            open.push(tag);
        }
        rest = &after[end..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(f: &Fence) -> Vec<(usize, usize)> {
        f.hl_lines.iter().map(|r| (*r.start(), *r.end())).collect()
    }

    #[test]
    fn zola_syntax() {
        let f = parse("rust,linenos,hl_lines=2 4-6,linenostart=10").unwrap();
        assert_eq!(f.lang, "rust");
        assert!(f.linenos);
        assert_eq!(f.linenostart, 10);
        assert_eq!(ranges(&f), [(2, 2), (4, 6)]);
        let f = parse("Python,hl_lines=3").unwrap();
        assert_eq!((f.lang.as_str(), f.linenos), ("python", false));
        assert_eq!(ranges(&f), [(3, 3)]);
    }

    #[test]
    fn hugo_syntax() {
        let f = parse(r#"go {linenos=true,hl_lines=[2,"4-6"],linenostart=10}"#).unwrap();
        assert_eq!(f.lang, "go");
        assert!(f.linenos);
        assert_eq!(f.linenostart, 10);
        assert_eq!(ranges(&f), [(2, 2), (4, 6)]);
        let f = parse(r#"go {linenos=table hl_lines="1 3-4" style=monokai}"#).unwrap();
        assert!(f.linenos);
        assert_eq!(ranges(&f), [(1, 1), (3, 4)]);
        let f = parse("go {linenos=false}").unwrap();
        assert!(!f.linenos && !f.has_line_options());
    }

    #[test]
    fn plain_language_and_unknown_options() {
        assert_eq!(parse("").unwrap().lang, "");
        let f = parse("sh title=\"install it\"").unwrap();
        assert_eq!(f.lang, "sh");
        assert!(!f.has_line_options());
        let f = parse(r#"py hl_lines="2 3""#).unwrap();
        assert_eq!(ranges(&f), [(2, 2), (3, 3)]);
    }

    #[test]
    fn bad_values_are_errors_naming_the_option() {
        let e = parse("rust,hl_lines=two").unwrap_err();
        assert_eq!((e.option, e.found.as_str()), ("hl_lines", "two"));
        let e = parse("rust,hl_lines=6-4").unwrap_err();
        assert_eq!(e.option, "hl_lines");
        let e = parse("go {linenostart=ten}").unwrap_err();
        assert_eq!((e.option, e.found.as_str()), ("linenostart", "ten"));
        let e = parse("go {linenos=maybe}").unwrap_err();
        assert_eq!(e.option, "linenos");
    }

    #[test]
    fn lines_are_wrapped_numbered_and_marked() {
        let f = parse("rust,linenos,hl_lines=2,linenostart=7").unwrap();
        let block = "<pre class=\"code hl-code\" data-lang=\"rust\"><code>a\nb\n</code></pre>\n";
        assert_eq!(
            mark_lines(block, &f),
            "<pre class=\"code linenos hl-code\" data-lang=\"rust\" style=\"--ln-width:1ch\"><code>\
             <span class=\"line\"><span class=\"ln\" aria-hidden=\"true\" data-ln=\"7\"></span>a\n</span>\
             <span class=\"line hl\"><span class=\"ln\" aria-hidden=\"true\" data-ln=\"8\"></span>b\n</span>\
             </code></pre>\n"
        );
    }

    #[test]
    fn spans_across_lines_are_closed_and_reopened() {
        let f = parse("c,hl_lines=1").unwrap();
        let block =
            "<pre class=\"code\"><code><span class=\"hl-cm\">/* a\nb */</span> x\n</code></pre>\n";
        let html = mark_lines(block, &f);
        assert_eq!(
            html,
            "<pre class=\"code\"><code>\
             <span class=\"line hl\"><span class=\"hl-cm\">/* a</span>\n</span>\
             <span class=\"line\"><span class=\"hl-cm\">b */</span> x\n</span>\
             </code></pre>\n"
        );
        assert_eq!(
            html.matches("<span").count(),
            html.matches("</span>").count()
        );
    }

    #[test]
    fn without_line_options_the_block_is_unchanged() {
        let block = "<pre class=\"code\"><code>x\n</code></pre>\n";
        assert_eq!(mark_lines(block, &parse("text").unwrap()), block);
    }
}

//! Where a body has code (fenced and indented blocks, code spans), as pulldown-cmark parses it:
//! no shortcode is expanded there. Only the tools' escape forms are undone inside code, as
//! Hugo, Zola and Jekyll do (a post documenting `{{< youtube >}}` writes `{{</* youtube */>}}`
//! in its code block, and Jekyll's `{% raw %}` wraps Liquid shown in code).

use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag};

/// The byte ranges of code in `text`, in order and disjoint.
pub(super) fn ranges(text: &str) -> Vec<Range<usize>> {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES;
    let mut out: Vec<Range<usize>> = Vec::new();
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        if matches!(event, Event::Start(Tag::CodeBlock(_)) | Event::Code(_))
            && out.last().is_none_or(|last| last.end <= range.start)
        {
            out.push(range);
        }
    }
    out
}

/// Code as written, with only the escape forms undone: `{{</* x */>}}` → `{{< x >}}` (also
/// `{{%/* */%}}`, `{{/* */}}`, `{%/* */%}`) and `{% raw %}`/`{% endraw %}` dropped.
pub(super) fn unescape(code: &str, out: &mut String) {
    let mut rest = code;
    while let Some(i) = rest.find("{{").into_iter().chain(rest.find("{%")).min() {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if let Some(n) = raw_marker(rest) {
            rest = &rest[n..];
            continue;
        }
        match super::tokens::read(rest, 0) {
            Ok((super::tokens::Token::Literal(text), end)) => {
                out.push_str(&text);
                rest = &rest[end..];
            }
            _ => {
                out.push_str(&rest[..2]);
                rest = &rest[2..];
            }
        }
    }
    out.push_str(rest);
}

/// The length of a `{% raw %}` or `{% endraw %}` marker at the start of `text`, if one is there.
pub(super) fn raw_marker(text: &str) -> Option<usize> {
    if !text.starts_with("{%") {
        return None;
    }
    let end = text.find("%}").filter(|&i| i < 24)? + 2;
    let inner = text[2..end - 2].trim().trim_matches('-').trim();
    matches!(inner, "raw" | "endraw").then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_indented_blocks_and_spans_are_code() {
        let text = "a `{{ x }}` b\n\n```\n{{< y >}}\n```\n\n    {% z %}\n\ntail {{ w }}\n";
        let found: Vec<&str> = ranges(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(found, ["`{{ x }}`", "```\n{{< y >}}\n```", "{% z %}\n"]);
    }

    #[test]
    fn only_escapes_are_undone_in_code() {
        let mut out = String::new();
        unescape(
            "{{</* youtube a */>}} {{< kept >}} {% raw %}{{ x }}{% endraw %} {{/* f() */}}",
            &mut out,
        );
        assert_eq!(out, "{{< youtube a >}} {{< kept >}} {{ x }} {{ f() }}");
    }
}

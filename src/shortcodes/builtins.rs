//! Rendering one call: through `templates/shortcodes/<name>.html` (the theme ships `youtube`,
//! `vimeo`, `figure`, `gist`, `x`, `tweet`, `ref`, `relref`, `param`; a site's template of the
//! same name wins), with the values only Rust can find (`ref`'s URL, `param`'s value) given
//! to the template; `highlight` without a site template becomes a fenced code block, so the
//! site's highlighter colours it.

use serde_json::{Map, Value};

use super::args::Raw;
use super::tokens::{Call, Form};
use super::values::lookup;
use super::{Env, ShortcodeError, links};
use crate::highlight::escape_html;

/// Renders `call` (its expanded `body`, if any; `nth` counts the calls of that name so far).
pub(super) fn render(
    env: &Env<'_>,
    call: &Call,
    body: Option<String>,
    nth: usize,
) -> Result<String, ShortcodeError> {
    let name = call.name.as_str();
    let template = format!("shortcodes/{name}.html");
    let has_template = env.templates.has(&template);
    let mut positional = Vec::new();
    let mut named = Map::new();
    for arg in &call.args {
        match &arg.name {
            Some(n) => {
                named.insert(n.clone(), to_value(&arg.value));
            }
            None => positional.push(to_value(&arg.value)),
        }
    }
    let first = |keys: &[&str]| -> Option<String> {
        keys.iter()
            .find_map(|k| named.get(*k))
            .or(positional.first())
            .map(super::values::to_text)
    };
    if name == "highlight" && !has_template {
        let lang = first(&["lang", "language"]).unwrap_or_default();
        return Ok(fence(&lang, body.as_deref().unwrap_or("")));
    }
    if !has_template {
        return Err(ShortcodeError::UnknownShortcode(name.to_string()));
    }
    let mut ctx = tera::Context::new();
    match name {
        "ref" | "relref" => {
            let target = first(&["path", "target"]).unwrap_or_default();
            let href = resolve_ref(env, name, &target)?;
            let url = if name == "ref" {
                // The scheme and host of base_url: `href` holds the base path already.
                let text = |k: &str| lookup(env.site, &[k]).and_then(Value::as_str).unwrap_or("");
                let origin = text("url").strip_suffix(text("baseurl")).unwrap_or("");
                format!("{origin}{href}")
            } else {
                href
            };
            ctx.insert("url", &url);
        }
        "param" => {
            let key = first(&["name", "key"]).unwrap_or_default();
            let path: Vec<&str> = key.split('.').collect();
            let value = lookup(env.page, &["extra"])
                .and_then(|v| lookup(v, &path))
                .or_else(|| lookup(env.site, &["extra"]).and_then(|v| lookup(v, &path)))
                .ok_or_else(|| ShortcodeError::UnknownVariable {
                    name: format!("param {key:?}"),
                    hint: format!(
                        "add `{key}` to the front matter or `{key} = …` under [extra] in site.toml"
                    ),
                })?;
            ctx.insert("value", value);
        }
        _ => {}
    }
    for (k, v) in &named {
        ctx.insert(k.as_str(), v);
    }
    ctx.insert("args", &positional);
    // A call without a body sees an empty one, so one template serves both forms.
    ctx.insert("body", body.as_deref().unwrap_or(""));
    ctx.insert("nth", &nth);
    ctx.insert("page", env.page);
    ctx.insert("config", env.site);
    ctx.insert("site", env.site);
    ctx.insert(
        "markdown_form",
        &matches!(call.form, Form::Hugo { markdown: true, .. }),
    );
    let html = env
        .templates
        .render_shortcode(&template, &ctx)
        .map_err(|message| ShortcodeError::Render {
            name: name.to_string(),
            message,
        })?;
    Ok(as_block(&html))
}

/// Template output made safe to stand in Markdown: no blank line (which would end an HTML
/// block and let Markdown rewrite the rest), no surrounding whitespace.
fn as_block(html: &str) -> String {
    if !html.contains('\n') {
        return html.trim().to_string();
    }
    html.lines()
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

fn resolve_ref(env: &Env<'_>, tag: &str, target: &str) -> Result<String, ShortcodeError> {
    let (path, anchor) = match target.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (target, None),
    };
    let broken = || ShortcodeError::BrokenRef {
        tag: tag.to_string(),
        target: target.to_string(),
    };
    let href = if path.is_empty() {
        lookup(env.page, &["url"])
            .and_then(Value::as_str)
            .map(str::to_string)
    } else {
        links::find_doc(path, env.path, env.docs).and_then(|doc| (env.href)(doc))
    };
    let mut href = href.ok_or_else(broken)?;
    if let Some(a) = anchor {
        href.push('#');
        href.push_str(a);
    }
    Ok(href)
}

/// Jekyll's `{% link path %}` and `{% post_url name %}`: the URL path (with the base path).
pub(super) fn link(env: &Env<'_>, tag: &str, rest: &str) -> Result<String, ShortcodeError> {
    let target = rest.trim().trim_matches(|c| c == '"' || c == '\'');
    let found = if tag == "post_url" {
        links::find_post(target, env.docs)
    } else {
        let (path, _) = target.split_once('#').unwrap_or((target, ""));
        env.docs
            .iter()
            .copied()
            .find(|d| *d == path.trim_start_matches('/'))
    };
    let href = found.and_then(|doc| (env.href)(doc));
    let anchor = target.split_once('#').map(|(_, a)| a);
    match (href, anchor) {
        (Some(h), Some(a)) => Ok(format!("{h}#{a}")),
        (Some(h), None) => Ok(h),
        (None, _) => Err(ShortcodeError::BrokenRef {
            tag: tag.to_string(),
            target: target.to_string(),
        }),
    }
}

/// A fenced code block holding `code`, with a fence longer than any backtick run inside.
pub(super) fn fence(lang: &str, code: &str) -> String {
    let code = code
        .strip_prefix("\r\n")
        .or_else(|| code.strip_prefix('\n'))
        .unwrap_or(code);
    let code = code.trim_end_matches([' ', '\t']);
    let longest = code.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let ticks = "`".repeat(longest.max(2) + 1);
    let newline = if code.ends_with('\n') { "" } else { "\n" };
    format!("{ticks}{lang}\n{code}{newline}{ticks}")
}

/// `source` shown as written, marked as not rendered (lenient mode), the problem as its title.
pub(super) fn marked(source: &str, error: &ShortcodeError) -> String {
    let mut escaped = String::with_capacity(source.len() * 2);
    for c in source.chars() {
        match c {
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            c if c.is_ascii_punctuation() => {
                escaped.push('\\');
                escaped.push(c);
            }
            c => escaped.push(c),
        }
    }
    format!(
        "<mark class=\"unrendered\" title=\"not rendered: {}\">{escaped}</mark>",
        escape_html(&error.to_string())
    )
}

/// An argument as a template value (a bare word is a string).
pub(super) fn to_value(raw: &Raw) -> Value {
    match raw {
        Raw::Str(s) | Raw::Bare(s) => Value::String(s.clone()),
        Raw::Int(n) => Value::from(*n),
        Raw::Num(n) => Value::from(*n),
        Raw::Bool(b) => Value::Bool(*b),
        Raw::List(items) => Value::Array(items.iter().map(to_value).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_the_code_backticks() {
        assert_eq!(fence("rust", "\nlet a = 1;\n"), "```rust\nlet a = 1;\n```");
        assert_eq!(
            fence("md", "````\nx\n````"),
            "`````md\n````\nx\n````\n`````"
        );
    }

    #[test]
    fn blank_lines_leave_template_output() {
        assert_eq!(
            as_block("\n<div>\n\n  <p>x</p>\n</div>\n\n"),
            "<div>\n  <p>x</p>\n</div>"
        );
    }

    #[test]
    fn marked_source_is_escaped_for_markdown() {
        let m = marked(
            "{{< gallery *x* >}}",
            &ShortcodeError::UnknownShortcode("gallery".into()),
        );
        assert!(m.starts_with("<mark class=\"unrendered\" title=\"not rendered: no template"));
        assert!(m.contains("\\{\\{&lt; gallery \\*x\\* &gt;\\}\\}"), "{m}");
    }
}

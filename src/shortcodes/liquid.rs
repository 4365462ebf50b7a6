//! Liquid's `{{ expression | filter: arg }}` as Jekyll posts use it: `site.*`, `page.*`,
//! `include.*` and literals, through the common filters. Anything else is an error.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde_json::Value;

use super::ShortcodeError;
use super::values::{lookup, to_text};
use crate::highlight::escape_html;

/// The variables an expression can read.
pub(super) struct Scope<'a> {
    /// `site`.
    pub site: &'a Value,
    /// `page`.
    pub page: &'a Value,
    /// `include` (inside an included file).
    pub include: Option<&'a Value>,
}

/// Evaluates `expression` (what stands between `{{` and `}}`).
pub(super) fn output(expression: &str, scope: &Scope<'_>) -> Result<String, ShortcodeError> {
    let mut parts = split_outside_quotes(expression, '|').into_iter();
    let first = parts.next().unwrap_or_default();
    let has_default = parts
        .clone()
        .any(|f| f.split(':').next().is_some_and(|n| n.trim() == "default"));
    // `page.subtitle | default: "…"` names a value that may be missing: that is no error.
    let mut value = match operand(first.trim(), scope) {
        Err(ShortcodeError::UnknownVariable { .. }) if has_default => Value::Null,
        other => other?,
    };
    for filter in parts {
        let (name, arg) = match filter.split_once(':') {
            Some((n, a)) => (n.trim(), Some(operand(a.trim(), scope)?)),
            None => (filter.trim(), None),
        };
        value = apply(name, value, arg, scope)?;
    }
    Ok(to_text(&value))
}

/// A literal or a variable.
pub(super) fn operand(text: &str, scope: &Scope<'_>) -> Result<Value, ShortcodeError> {
    if let Some(s) = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .or_else(|| text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')))
    {
        return Ok(Value::String(s.to_string()));
    }
    if let Ok(n) = text.parse::<i64>() {
        return Ok(Value::from(n));
    }
    if let Ok(n) = text.parse::<f64>() {
        return Ok(Value::from(n));
    }
    match text {
        "true" => return Ok(Value::Bool(true)),
        "false" => return Ok(Value::Bool(false)),
        "nil" | "null" => return Ok(Value::Null),
        _ => {}
    }
    let path: Vec<&str> = text.split('.').collect();
    let (root, hint) = match path[0] {
        "site" => (
            Some(scope.site),
            format!(
                "add `{} = …` under [extra] in site.toml",
                path[1..].join(".")
            ),
        ),
        "page" => (
            Some(scope.page),
            format!("add `{}:` to the front matter", path[1..].join(".")),
        ),
        "include" => (
            scope.include,
            "pass it to the include: {% include file.html name=value %}".to_string(),
        ),
        _ => (
            None,
            "posts can read site.*, page.* and include.* (or quote a string)".to_string(),
        ),
    };
    root.and_then(|r| lookup(r, &path[1..]))
        .filter(|_| path.len() > 1)
        .cloned()
        .ok_or_else(|| ShortcodeError::UnknownVariable {
            name: text.to_string(),
            hint,
        })
}

fn apply(
    name: &str,
    value: Value,
    arg: Option<Value>,
    scope: &Scope<'_>,
) -> Result<Value, ShortcodeError> {
    let text = to_text(&value);
    let base_url = lookup(scope.site, &["base_url"])
        .map(to_text)
        .unwrap_or_default();
    let base_path = lookup(scope.site, &["base_path"])
        .map(to_text)
        .unwrap_or_else(|| "/".into());
    let is_absolute = text.contains("://") || text.starts_with("//");
    let date = |format: &str| -> Result<Value, ShortcodeError> {
        let Some(d) = parse_date(&text) else {
            return Err(ShortcodeError::Syntax {
                text: text.clone(),
                reason: "the date filter needs a date (YYYY-MM-DD or RFC 3339)".into(),
            });
        };
        format_date(d, format).map(Value::String)
    };
    Ok(match name {
        "relative_url" if is_absolute => value,
        "relative_url" => Value::String(format!("{base_path}{}", text.trim_start_matches('/'))),
        "absolute_url" if is_absolute => value,
        "absolute_url" => Value::String(format!("{base_url}{}", text.trim_start_matches('/'))),
        "date" => date(&arg.as_ref().map(to_text).unwrap_or_else(|| "%F".into()))?,
        "date_to_string" => date("%d %b %Y")?,
        "date_to_long_string" => date("%d %B %Y")?,
        "date_to_xmlschema" => match parse_date(&text) {
            Some(d) => Value::String(d.to_rfc3339()),
            None => date("")?,
        },
        "escape" | "xml_escape" => Value::String(escape_html(&text).to_string()),
        "upcase" => Value::String(text.to_uppercase()),
        "downcase" => Value::String(text.to_lowercase()),
        "strip" => Value::String(text.trim().to_string()),
        "slugify" => Value::String(slug::slugify(&text)),
        "default" if text.is_empty() || value == Value::Bool(false) => arg.unwrap_or(Value::Null),
        "default" => value,
        other => return Err(ShortcodeError::UnknownFilter(other.to_string())),
    })
}

fn parse_date(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text.trim()).ok().or_else(|| {
        let day = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()?;
        Some(day.and_hms_opt(0, 0, 0)?.and_utc().fixed_offset())
    })
}

/// A strftime format, refused (not a panic) when chrono cannot read it.
fn format_date(date: DateTime<FixedOffset>, format: &str) -> Result<String, ShortcodeError> {
    use chrono::format::{Item, StrftimeItems};
    let items: Vec<Item<'_>> = StrftimeItems::new(format).collect();
    if items.iter().any(|i| matches!(i, Item::Error)) {
        return Err(ShortcodeError::Syntax {
            text: format.to_string(),
            reason: "not a strftime date format".into(),
        });
    }
    Ok(date.format_with_items(items.into_iter()).to_string())
}

/// `text` split at `sep` where it is not inside quotes.
pub(super) fn split_outside_quotes(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == sep => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            None => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(expr: &str) -> Result<String, ShortcodeError> {
        let site = json!({"base_url": "https://ex.org/blog/", "base_path": "/blog/",
            "baseurl": "/blog", "url": "https://ex.org/blog", "github": "me"});
        let page = json!({"title": "A <b> post", "date": "2016-02-29T10:00:00+01:00"});
        output(
            expr,
            &Scope {
                site: &site,
                page: &page,
                include: None,
            },
        )
    }

    #[test]
    fn variables_and_filters() {
        assert_eq!(eval("site.baseurl").unwrap(), "/blog");
        assert_eq!(eval("site.github").unwrap(), "me");
        assert_eq!(
            eval("'/img/a.png' | relative_url").unwrap(),
            "/blog/img/a.png"
        );
        assert_eq!(
            eval("\"/feed.xml\" | absolute_url").unwrap(),
            "https://ex.org/blog/feed.xml"
        );
        assert_eq!(eval("page.title | escape").unwrap(), "A &lt;b&gt; post");
        assert_eq!(
            eval("page.date | date: \"%B %-d, %Y\"").unwrap(),
            "February 29, 2016"
        );
        assert_eq!(eval("page.date | date_to_string").unwrap(), "29 Feb 2016");
        assert_eq!(eval("page.subtitle | default: 'none'").unwrap(), "none");
    }

    #[test]
    fn unknown_names_are_errors_with_hints() {
        let e = eval("site.twitter").unwrap_err();
        assert_eq!(
            e,
            ShortcodeError::UnknownVariable {
                name: "site.twitter".into(),
                hint: "add `twitter = …` under [extra] in site.toml".into()
            }
        );
        assert!(matches!(
            eval("paginator.page"),
            Err(ShortcodeError::UnknownVariable { .. })
        ));
        assert_eq!(
            eval("site.url | shout"),
            Err(ShortcodeError::UnknownFilter("shout".into()))
        );
        assert!(matches!(
            eval("page.date | date: \"%Q\""),
            Err(ShortcodeError::Syntax { .. })
        ));
    }
}

//! The values shortcodes and Liquid read: `site`/`config` from site.toml, `page` from the
//! front matter, under the names each tool uses (Jekyll's `site.baseurl`, Zola's
//! `config.base_url`, Hugo's `.Params`).

use serde_json::{Map, Value, json};

use crate::config::Config;
use crate::content::Doc;

/// `site` (also `config`): title, description, author, language, `base_url` (Zola, with its
/// slash), `url` and `baseurl` (Jekyll: no trailing slash, `baseurl` empty at the root),
/// `base_path`, `extra`/`params`, and every `[extra]` key at the top too.
pub(crate) fn site_value(config: &Config) -> Value {
    let extra = serde_json::to_value(&config.extra).unwrap_or_else(|_| json!({}));
    let base_path = config.base_path();
    let mut site = Map::new();
    if let Value::Object(extra) = &extra {
        site.extend(extra.clone());
    }
    for (k, v) in [
        ("title", json!(config.title)),
        ("description", json!(config.description)),
        ("author", json!(config.author)),
        ("language", json!(config.language)),
        ("base_url", json!(config.base_url())),
        ("url", json!(config.base_url().trim_end_matches('/'))),
        ("baseurl", json!(base_path.trim_end_matches('/'))),
        ("base_path", json!(base_path)),
        ("extra", extra.clone()),
        ("params", extra),
    ] {
        site.insert(k.to_string(), v);
    }
    Value::Object(site)
}

/// `page`: title, date, updated, url (with the base path), permalink, slug, section, tags,
/// categories, authors, description, draft, `extra`/`params` (front matter keys bucketpress
/// does not read), and those keys at the top too.
pub(crate) fn page_value(doc: &Doc, config: &Config) -> Value {
    let extra = Value::Object(doc.extra.clone());
    let mut page = doc.extra.clone();
    for (k, v) in [
        ("title", json!(doc.title)),
        ("date", json!(doc.date.map(|d| d.to_rfc3339()))),
        ("updated", json!(doc.updated.map(|d| d.to_rfc3339()))),
        ("url", json!(config.href(&doc.url))),
        ("permalink", json!(config.permalink(&doc.url))),
        ("slug", json!(doc.slug)),
        ("section", json!(doc.section)),
        ("tags", json!(doc.tags)),
        ("categories", json!(doc.categories)),
        ("authors", json!(doc.authors)),
        ("description", json!(doc.description)),
        ("draft", json!(doc.draft)),
        ("path", json!(doc.rel_path)),
        ("extra", extra.clone()),
        ("params", extra),
    ] {
        page.insert(k.to_string(), v);
    }
    Value::Object(page)
}

/// `root.a.b` in `value`, if there.
pub(super) fn lookup<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, key| match v {
        Value::Object(map) => map.get(*key),
        Value::Array(items) => items.get(key.parse::<usize>().ok()?),
        _ => None,
    })
}

/// A value as Liquid prints it: strings as they are, nothing for null, lists joined.
pub(super) fn to_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(to_text).collect(),
        other => other.to_string(),
    }
}

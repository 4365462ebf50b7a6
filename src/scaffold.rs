//! `new` and `post`: create a site skeleton or a post file. Text generation is pure; the
//! `create_*` functions write.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::{DateTime, FixedOffset, SecondsFormat, Timelike};

/// The `site.toml` a new site starts with.
pub(crate) fn site_toml(title: &str) -> String {
    format!(
        r#"title = "{title}"
base_url = "https://blog.example.com/"
description = "Notes and essays."
author = "Your Name"
language = "en"
posts_per_page = 10

# [publish]
# bucket = "my-blog-bucket"
# region = "us-east-1"
# gzip = true
"#
    )
}

/// The front matter and body of a new post, dated to the second (so two posts of one day
/// sort by the time they were written).
pub(crate) fn post_text(
    title: &str,
    date: DateTime<FixedOffset>,
    tags: &[String],
    draft: bool,
) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let tags: Vec<String> = tags
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .map(quote)
        .collect();
    format!(
        "---\ntitle: {}\ndate: {}\ntags: [{}]\ndescription: \"\"\ndraft: {}\n---\n\nWrite the first paragraph here; it becomes the summary.\n\n<!-- more -->\n\nThe rest of the post.\n",
        quote(title),
        date.to_rfc3339_opts(SecondsFormat::Secs, true),
        tags.join(", "),
        draft
    )
}

/// The writer's local time, to the second.
fn now() -> DateTime<FixedOffset> {
    let now = chrono::Local::now().fixed_offset();
    now.with_nanosecond(0).unwrap_or(now)
}

/// Creates a new site in `dir` (which must not exist or be empty).
pub fn create_site(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() && dir.read_dir()?.next().is_some() {
        bail!(
            "{} exists and is not empty; choose a new folder",
            dir.display()
        );
    }
    let title = dir
        .file_name()
        .map(|n| n.to_string_lossy().replace(['-', '_'], " "))
        .unwrap_or_else(|| "My blog".into());
    let files: [(&str, String); 5] = [
        ("site.toml", site_toml(&title)),
        (
            "content/posts/hello-world.md",
            post_text("Hello, world", now(), &["meta".into()], false),
        ),
        (
            "content/about.md",
            "---\ntitle: About\n---\n\nWho writes here, and why.\n".into(),
        ),
        ("templates/README.md", templates_readme()),
        // The theme links /favicon.svg: a new site has one, so no page asks for a missing file.
        ("static/favicon.svg", crate::render::favicon(&title)),
    ];
    for (rel, text) in files {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("file has a parent"))?;
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    std::fs::write(dir.join(".gitignore"), "/public\n/.bucketpress/\n")?;
    Ok(())
}

/// `templates/README.md` of a new site: which of the theme's templates a file there replaces.
fn templates_readme() -> String {
    let names: Vec<&str> = crate::templates::page_template_names().collect();
    let list = format!("({}).", names.join(", "));
    let mut text = String::from(
        "Put a template here to override the built-in theme's template of the same name\n",
    );
    let mut line = String::new();
    for word in list.split(' ') {
        if !line.is_empty() && line.len() + 1 + word.len() > 96 {
            text.push_str(&line);
            text.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    text.push_str(&line);
    text.push('\n');
    text
}

/// Creates `content/posts/<slug>.md` for a new post and returns its path.
pub fn create_post(
    site: &Path,
    title: &str,
    tags: &[String],
    draft: bool,
) -> anyhow::Result<PathBuf> {
    if !site.join(crate::config::CONFIG_FILE).is_file() {
        bail!(
            "{} has no site.toml; run this inside a site or pass --site",
            site.display()
        );
    }
    let slug = slug::slugify(title);
    if slug.is_empty() {
        bail!("the title {title:?} gives an empty file name; use letters or digits");
    }
    let path = site.join("content/posts").join(format!("{slug}.md"));
    if path.exists() {
        bail!("{} already exists; choose another title", path.display());
    }
    std::fs::create_dir_all(path.parent().expect("has parent"))?;
    std::fs::write(&path, post_text(title, now(), tags, draft))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Doc;

    #[test]
    fn new_post_text_parses_back() {
        let date = DateTime::parse_from_rfc3339("2024-05-01T09:30:15+02:00").unwrap();
        let text = post_text("Say \"hi\"", date, &["a b".into(), "c".into()], true);
        assert!(
            text.contains("\ndate: 2024-05-01T09:30:15+02:00\n"),
            "{text}"
        );
        let doc = Doc::parse("content/posts/say-hi.md", &text).unwrap();
        assert_eq!(doc.title, "Say \"hi\"");
        assert_eq!(doc.tags, ["a b", "c"]);
        assert!(doc.draft);
        assert_eq!(doc.date.unwrap(), date);
        // A second post of the same day, written later, is newer.
        let later = DateTime::parse_from_rfc3339("2024-05-01T17:05:00+02:00").unwrap();
        let second = Doc::parse("content/posts/b.md", &post_text("B", later, &[], false)).unwrap();
        assert!(second.date.unwrap() > doc.date.unwrap());
    }

    #[test]
    fn new_site_builds() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("my-blog");
        create_site(&site).unwrap();
        let rendered = crate::pipeline::render_site(&site, &Default::default()).unwrap();
        assert!(rendered.outputs.contains("posts/hello-world/index.html"));
        assert!(rendered.outputs.contains("about/index.html"));
        // The theme links /favicon.svg: the new site has it, a valid SVG with the initial.
        let text = |key: &str| {
            let body = &rendered.outputs.get(key).expect(key).body;
            String::from_utf8(body.read_all().unwrap()).unwrap()
        };
        let home = text("index.html");
        assert!(home.contains("favicon.svg"));
        let svg = text("favicon.svg");
        assert!(
            svg.starts_with("<svg ") && svg.contains(">M</text>"),
            "{svg}"
        );
        assert!(create_site(&site).is_err(), "refuses a non-empty folder");
        let post = create_post(&site, "Second post!", &[], false).unwrap();
        assert!(post.ends_with("content/posts/second-post.md"));
        assert!(create_post(&site, "Second post!", &[], false).is_err());
    }
}

//! Where a document sits, from its path alone: a post of a section (`content/posts/…`, a
//! Jekyll `_posts/` folder anywhere), a section's listing page (`_index.md`, Hugo and Zola),
//! or a standalone page; a site path with its `.` and `..` resolved. Pure.

use super::doc::DocKind;

/// The file extensions read as Markdown.
pub(crate) const MARKDOWN_EXTENSIONS: &[&str] = &["md", "markdown", "mdown", "mkd", "mkdn", "mdwn"];

/// The sections whose documents are posts when site.toml does not say
/// (`[content] post_sections`): the names Hugo themes and Zola sites use for a blog.
pub(crate) const DEFAULT_POST_SECTIONS: &[&str] = &["posts", "post", "blog", "news", "articles"];

/// The stem of a Markdown file name (`a.markdown` → `a`), `None` for any other file.
pub(crate) fn markdown_stem(file_name: &str) -> Option<&str> {
    let (stem, ext) = file_name.rsplit_once('.')?;
    let known = MARKDOWN_EXTENSIONS
        .iter()
        .any(|e| ext.eq_ignore_ascii_case(e));
    (known && !stem.is_empty()).then_some(stem)
}

/// Where a document sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Post, page or section listing.
    pub kind: DocKind,
    /// The section: `posts` (also for Jekyll's `_posts/`), `blog/rust` for a nested one, the
    /// first folder of a page, `""` at the top.
    pub section: String,
    /// Folders between the section and the file (a bundle's own folder excluded).
    pub dirs: Vec<String>,
    /// The file stem, or a bundle's folder name (`…/<name>/index.md`).
    pub stem: String,
    /// True for `…/<name>/index.md`.
    pub bundle: bool,
    /// From a Jekyll layout (`_posts/`, `_drafts/`, a page outside `content/`).
    pub jekyll: bool,
    /// In Jekyll's `_drafts/`.
    pub draft: bool,
    /// Jekyll's categories from the folders above `_posts/`.
    pub categories: Vec<String>,
}

/// Places the Markdown file at `rel_path` (relative to the site, `/`-separated).
/// `post_sections` names the sections under `content/` whose documents are posts.
pub fn place(rel_path: &str, post_sections: &[String]) -> Place {
    let (inner, jekyll) = match rel_path.strip_prefix("content/") {
        Some(inner) => (inner, false),
        None => (rel_path, true),
    };
    let mut parts: Vec<&str> = inner.split('/').collect();
    let file = parts.pop().unwrap_or("");
    let stem = markdown_stem(file).unwrap_or(file);
    let mut place = Place {
        kind: DocKind::Page,
        section: String::new(),
        dirs: Vec::new(),
        stem: stem.to_string(),
        bundle: false,
        jekyll,
        draft: false,
        categories: Vec::new(),
    };
    if stem == "_index" || (jekyll && parts.is_empty() && stem == "index") {
        place.kind = DocKind::Section;
        place.section = parts.join("/");
        return place;
    }
    if stem == "index"
        && let Some(folder) = parts.pop()
    {
        place.stem = folder.to_string();
        place.bundle = true;
    }
    if let Some(at) = parts.iter().position(|p| *p == "_posts" || *p == "_drafts") {
        place.kind = DocKind::Post;
        place.jekyll = true;
        place.draft = parts[at] == "_drafts";
        place.section = "posts".into();
        place.categories = parts[..at].iter().map(|s| s.to_string()).collect();
        place.dirs = parts[at + 1..].iter().map(|s| s.to_string()).collect();
        return place;
    }
    if let Some((first, rest)) = parts.split_first() {
        place.section = first.to_string();
        place.dirs = rest.iter().map(|s| s.to_string()).collect();
        if !jekyll && post_sections.iter().any(|s| s == first) {
            place.kind = DocKind::Post;
        }
    }
    place
}

/// Resolves `.` and `..` in a `/`-separated site path (`content/posts/../about.md`); `None` if
/// it climbs out of the site. Shared by Markdown links, shortcode refs and image lookups.
pub(crate) fn normalize_site_path(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sections() -> Vec<String> {
        DEFAULT_POST_SECTIONS
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn extensions() {
        for name in ["a.md", "a.markdown", "a.mdown", "a.mkd", "a.MD"] {
            assert_eq!(markdown_stem(name), Some("a"), "{name}");
        }
        for name in ["a.html", "a", ".md", "a.md.bak"] {
            assert_eq!(markdown_stem(name), None, "{name}");
        }
    }

    #[test]
    fn posts_pages_and_sections() {
        let p = place("content/posts/2014/x.markdown", &sections());
        assert_eq!((p.kind, p.section.as_str()), (DocKind::Post, "posts"));
        assert_eq!((p.dirs, p.stem.as_str()), (vec!["2014".to_string()], "x"));
        let p = place("content/blog/trip/index.md", &sections());
        assert_eq!(
            (p.kind, p.stem.as_str(), p.bundle),
            (DocKind::Post, "trip", true)
        );
        let p = place("content/docs/setup.md", &sections());
        assert_eq!((p.kind, p.section.as_str()), (DocKind::Page, "docs"));
        let p = place("content/blog/_index.md", &sections());
        assert_eq!((p.kind, p.section.as_str()), (DocKind::Section, "blog"));
        let p = place("content/_index.md", &sections());
        assert_eq!((p.kind, p.section.as_str()), (DocKind::Section, ""));
        assert_eq!(place("content/about.md", &sections()).kind, DocKind::Page);
    }

    #[test]
    fn jekyll_posts_drafts_and_categories() {
        let p = place("news/_posts/2014-05-06-x.md", &sections());
        assert_eq!((p.kind, p.jekyll, p.draft), (DocKind::Post, true, false));
        assert_eq!(p.categories, ["news"]);
        let p = place("_drafts/idea.md", &sections());
        assert!(p.draft && p.kind == DocKind::Post);
        let p = place("content/_posts/2014-05-06-x.md", &sections());
        assert_eq!(p.kind, DocKind::Post);
        assert_eq!(place("index.md", &sections()).kind, DocKind::Section);
        assert_eq!(place("about.md", &sections()).kind, DocKind::Page);
    }
}

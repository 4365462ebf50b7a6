//! Which document a `ref`/`relref`, `{% link %}` or `{% post_url %}` names, among the site's
//! source paths (`content/posts/x.md`, `_posts/2016-01-01-x.md`). Pure.

/// Hugo's `ref` and Jekyll's `link`: `posts/x.md`, `/posts/x`, `content/posts/x.md`, a path
/// relative to `from` (`../x.md`, `x.md`), a bundle folder, or a file name the site has once
/// (`x`, `x.md`). `None` when nothing (or more than one document, by bare name) matches.
pub(super) fn find_doc<'d>(target: &str, from: &str, docs: &[&'d str]) -> Option<&'d str> {
    let path = target.trim_start_matches('/');
    if path.is_empty() {
        return None;
    }
    let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
    let relative = crate::content::normalize_site_path(&format!("{dir}/{path}"));
    let mut bases = vec![path.to_string(), format!("content/{path}")];
    bases.extend(relative);
    for base in &bases {
        let base = base.trim_end_matches('/');
        for candidate in [
            base.to_string(),
            format!("{base}.md"),
            format!("{base}/index.md"),
            format!("{base}/_index.md"),
        ] {
            if let Some(found) = docs.iter().find(|d| **d == candidate) {
                return Some(found);
            }
        }
    }
    let path = path.trim_end_matches('/');
    let mut by_name = docs.iter().filter(|d| {
        let stem = d.rsplit_once('.').map_or(**d, |(s, _)| s);
        let stem = stem
            .strip_suffix("/index")
            .or_else(|| stem.strip_suffix("/_index"))
            .unwrap_or(stem);
        stem.ends_with(&format!("/{}", path.trim_end_matches(".md")))
    });
    match (by_name.next(), by_name.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// Jekyll's `post_url`: `2010-07-21-name` (or `folder/2010-07-21-name`) is the post of that
/// file name under a `_posts/` folder, whatever its extension.
pub(super) fn find_post<'d>(name: &str, docs: &[&'d str]) -> Option<&'d str> {
    let name = name.trim_matches('/');
    let (folder, file) = name.rsplit_once('/').unwrap_or(("", name));
    docs.iter().copied().find(|d| {
        let Some((dir, base)) = d.rsplit_once('/') else {
            return false;
        };
        let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
        stem == file
            && (dir == "_posts" || dir.ends_with("/_posts") || dir.contains("_posts/"))
            && (folder.is_empty() || dir.contains(folder))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCS: &[&str] = &[
        "content/posts/first.md",
        "content/posts/bundle/index.md",
        "content/about.md",
        "_posts/2016-01-02-new-year.md",
        "_posts/2016/2016-03-04-march.markdown",
        "about.md",
    ];

    #[test]
    fn ref_finds_paths_relative_names_and_bundles() {
        let from = "content/posts/other.md";
        assert_eq!(find_doc("posts/first.md", from, DOCS), Some(DOCS[0]));
        assert_eq!(find_doc("/posts/first", from, DOCS), Some(DOCS[0]));
        assert_eq!(find_doc("first.md", from, DOCS), Some(DOCS[0]));
        assert_eq!(find_doc("first", from, DOCS), Some(DOCS[0]));
        assert_eq!(find_doc("bundle", from, DOCS), Some(DOCS[1]));
        assert_eq!(find_doc("../about.md", from, DOCS), Some(DOCS[2]));
        assert_eq!(find_doc("about.md", "index.md", DOCS), Some(DOCS[5]));
        assert_eq!(find_doc("missing.md", from, DOCS), None);
    }

    #[test]
    fn post_url_finds_the_post_of_that_name() {
        assert_eq!(find_post("2016-01-02-new-year", DOCS), Some(DOCS[3]));
        assert_eq!(find_post("2016/2016-03-04-march", DOCS), Some(DOCS[4]));
        assert_eq!(find_post("2016-03-04-march", DOCS), Some(DOCS[4]));
        assert_eq!(find_post("2099-01-01-nope", DOCS), None);
    }
}

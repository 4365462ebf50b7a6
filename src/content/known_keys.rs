//! Front-matter keys: the ones bucketpress reads, the ones other generators' themes use
//! (silent), and "did you mean" for a key that looks like a misspelling of either.
//!
//! A key nobody knows and that resembles no known key is a writer's own field for templates
//! (`page.extra`): it stays silent. Only a near miss (`tag`, `titel`, `descripton`) warns,
//! since that is the mistake that builds with exit 0 and quietly loses the value.

use crate::error::Problem;

/// Keys bucketpress reads from a header (in any of the spellings it accepts).
const READ: &[&str] = &[
    "title",
    "date",
    "publishDate",
    "publishdate",
    "publish_date",
    "expiryDate",
    "expirydate",
    "expiry_date",
    "updated",
    "lastmod",
    "last_modified_at",
    "modified",
    "tags",
    "categories",
    "category",
    "authors",
    "author",
    "taxonomies",
    "description",
    "draft",
    "published",
    "slug",
    "aliases",
    "redirect_from",
    "template",
    "layout",
    "path",
    "url",
    "permalink",
    "excerpt",
    "excerpt_separator",
    "image",
    "cover",
    "images",
    "sort_by",
    "paginate_by",
    "weight",
    "private",
    "encrypt",
    "extra",
    "params",
];

/// Keys that Jekyll, Hugo and Zola (and their popular themes) use: a site moved here keeps
/// them, templates can read them from `page.extra`, and they are not misspellings.
const OTHER_TOOLS: &[&str] = &[
    // Jekyll and its themes
    "comments",
    "sitemap",
    "toc",
    "toc_label",
    "toc_sticky",
    "header",
    "sidebar",
    "classes",
    "share",
    "related",
    "read_time",
    "redirect_to",
    "lang",
    "locale",
    "hidden",
    "pinned",
    "feature",
    "featured",
    "thumbnail",
    "subtitle",
    "summary",
    "keywords",
    "math",
    "mathjax",
    "katex",
    "mermaid",
    "series",
    "type",
    "menu",
    "tagline",
    "last_modified",
    // Hugo
    "linkTitle",
    "translationKey",
    "markup",
    "outputs",
    "resources",
    "build",
    "cascade",
    "headless",
    "isCJKLanguage",
    "keywords",
    "section",
    "showToc",
    "ShowToc",
    "TocOpen",
    "ShowReadingTime",
    "ShowWordCount",
    "ShowBreadCrumbs",
    "ShowPostNavLinks",
    "disableShare",
    "hideSummary",
    "searchHidden",
    "canonicalURL",
    "expired",
    "audio",
    "videos",
    "series",
    "toc",
    // Zola
    "in_search_index",
    "render",
    "insert_anchor_links",
    "transparent",
    "generate_feeds",
    "page_template",
    "redirect_to",
    "sort_by",
    "year",
    "month",
    "day",
];

/// A warning for each top-level front-matter key (with its 1-based line in the file, from
/// `line_of`) that is not known but looks like a known one.
pub(crate) fn near_misses<'k>(
    keys: impl Iterator<Item = &'k str>,
    line_of: impl Fn(&str) -> usize,
) -> Vec<(usize, Problem)> {
    keys.filter(|k| !is_known(k))
        .filter_map(|k| {
            let closest = closest(k)?;
            Some((
                line_of(k),
                Problem::UnknownKey {
                    key: k.to_string(),
                    hint: format!(" (did you mean \"{closest}\"?)"),
                },
            ))
        })
        .collect()
}

/// True for a key bucketpress reads or another tool uses (case as written).
fn is_known(key: &str) -> bool {
    READ.contains(&key) || OTHER_TOOLS.contains(&key)
}

/// The known key closest to `key`, if one is close enough to be a misspelling of it.
fn closest(key: &str) -> Option<&'static str> {
    let lower = key.to_ascii_lowercase();
    READ.iter()
        .chain(OTHER_TOOLS)
        .map(|k| (strsim::jaro_winkler(&lower, &k.to_ascii_lowercase()), *k))
        // A key that differs from a known one only in case (`Title`) is that key misspelt.
        .filter(|(score, _)| *score > 0.88)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warn(keys: &[&str]) -> Vec<String> {
        near_misses(keys.iter().copied(), |_| 3)
            .into_iter()
            .map(|(line, p)| format!("{line}: {p}"))
            .collect()
    }

    #[test]
    fn a_misspelt_key_names_the_closest_known_one() {
        assert_eq!(
            warn(&["tag", "titel", "descripton", "Title"]),
            [
                "3: unknown key \"tag\" (did you mean \"tags\"?)",
                "3: unknown key \"titel\" (did you mean \"title\"?)",
                "3: unknown key \"descripton\" (did you mean \"description\"?)",
                "3: unknown key \"Title\" (did you mean \"title\"?)",
            ]
        );
    }

    #[test]
    fn other_tools_keys_and_own_fields_are_silent() {
        let keys = [
            "layout",
            "categories",
            "author",
            "permalink",
            "weight",
            "aliases",
            "slug",
            "comments",
            "linkTitle",
            "in_search_index",
            "mood",
            "reading_playlist",
        ];
        assert_eq!(warn(&keys), Vec::<String>::new());
    }
}

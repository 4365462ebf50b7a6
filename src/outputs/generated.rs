//! The one table of what bucketpress generates besides the site's own files: each row is an
//! object key (or its pattern), the theme template that renders it, its media type and what
//! it depends on. The render plans listings from it (`render/listings.rs`), the site refuses
//! documents and files at its reserved keys (`site.rs`), the theme's template list is made of
//! its templates (`templates.rs`) and `bucketpress new` names them (`scaffold.rs`).
//!
//! A new output is a row here and, when it is rendered, its template under `templates/`: a
//! JSON feed is `{ key: "feed.json", template: Some(theme!("feed.json")), media_type:
//! "application/json; charset=utf-8", depends: Depends::Feed, reserve: Reserve::Key }`
//! (the feed context — `posts`, `updated`, `feed_url` — is the Atom feed's).

/// A theme template: its name and its source, embedded in the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ThemeFile {
    /// The name under `templates/` (what a site's override is named).
    pub name: &'static str,
    /// The theme's source.
    pub source: &'static str,
}

/// A file of the theme (`templates/<name>`), embedded.
macro_rules! theme {
    ($name:literal) => {
        ThemeFile {
            name: $name,
            source: include_str!(concat!("../../templates/", $name)),
        }
    };
}

/// What a generated output is made from: which inputs a render plans it with (its
/// fingerprint, so an edit re-renders it) and which context its template sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Depends {
    /// A post: its document, and its neighbours' titles (`post`, `newer`, `older`).
    Post,
    /// A standalone page: its document (`page`).
    Page,
    /// An old URL of a document (`aliases`): the document's URL (`target`).
    Alias,
    /// One page of the paginated home: the listed posts' listing fields, the home section's
    /// `_index.md` (`posts`, `paginator`, `section`).
    Home,
    /// One page of a section with an `_index.md`: its posts' listing fields (`section`).
    Section,
    /// A taxonomy's list of terms: their names and counts (`tags`, `taxonomy`).
    Terms,
    /// One page of a term's posts: their listing fields (`tag`, `taxonomy`, `posts`).
    Term,
    /// A term's feed: its newest `feed_limit` posts, listing fields (`tag`, `posts`).
    TermFeed,
    /// Every post by year: dates, titles, URLs (`years`, each post with the nine fields of
    /// an archive line, not the whole listing context).
    Archive,
    /// The site's feed: the newest `feed_limit` posts, full text (`posts`, `updated`,
    /// `feed_url`).
    Feed,
    /// Every URL with its last date (`entries`).
    Sitemap,
    /// The site's settings only (`sitemap_url`).
    Robots,
    /// The site's settings only.
    NotFound,
    /// A fixed file of the theme, published unless the site's `static/` has its own.
    Static,
    /// A fixed file of the theme, published when the site has private posts (and no file of
    /// its own there).
    PrivateScript,
    /// The site's title (the icon shows its first letter), unless the site has its own.
    Favicon,
    /// `highlight_theme` and `highlight_theme_dark`: the code stylesheet.
    HighlightCss,
}

/// Which object keys a row keeps for itself: a document or static file there is a clash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reserve {
    /// Exactly the row's key.
    Key,
    /// Every key under this prefix (`tags/`).
    Prefix(&'static str),
    /// Nothing: the site may have its own file there, or the key is a document's own.
    No,
}

/// One generated output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Generated {
    /// The object key; `{…}` stands for a part made at render time (`{url}` a document's
    /// URL path, `{n}` a page number, `{term}` a term's slug, `{taxonomy}` a taxonomy's name).
    pub key: &'static str,
    /// The theme template that renders it, or for a fixed file its bytes (`None`: made in
    /// code).
    pub template: Option<ThemeFile>,
    /// The media type it is served with.
    pub media_type: &'static str,
    /// What it depends on.
    pub depends: Depends,
    /// The keys it keeps for itself.
    pub reserve: Reserve,
}

const HTML: &str = "text/html; charset=utf-8";

/// Everything bucketpress generates, in the order the render plans listings.
pub(crate) const GENERATED: &[Generated] = &[
    Generated {
        key: "{url}index.html",
        template: Some(theme!("post.html")),
        media_type: HTML,
        depends: Depends::Post,
        reserve: Reserve::No,
    },
    Generated {
        key: "{url}index.html",
        template: Some(theme!("page.html")),
        media_type: HTML,
        depends: Depends::Page,
        reserve: Reserve::No,
    },
    Generated {
        key: "{alias}",
        template: Some(theme!("alias.html")),
        media_type: HTML,
        depends: Depends::Alias,
        reserve: Reserve::No,
    },
    Generated {
        key: "index.html",
        template: Some(theme!("index.html")),
        media_type: HTML,
        depends: Depends::Home,
        reserve: Reserve::Key,
    },
    Generated {
        key: "page/{n}/index.html",
        template: Some(theme!("index.html")),
        media_type: HTML,
        depends: Depends::Home,
        reserve: Reserve::Prefix("page/"),
    },
    Generated {
        key: "{url}index.html",
        template: Some(theme!("section.html")),
        media_type: HTML,
        depends: Depends::Section,
        reserve: Reserve::No,
    },
    Generated {
        key: "{taxonomy}/index.html",
        template: Some(theme!("tags.html")),
        media_type: HTML,
        depends: Depends::Terms,
        reserve: Reserve::Prefix("tags/"),
    },
    Generated {
        key: "{taxonomy}/{term}/index.html",
        template: Some(theme!("tag.html")),
        media_type: HTML,
        depends: Depends::Term,
        reserve: Reserve::Prefix("tags/"),
    },
    Generated {
        key: "tags/{term}/atom.xml",
        template: Some(theme!("atom.xml")),
        media_type: "application/atom+xml; charset=utf-8",
        depends: Depends::TermFeed,
        reserve: Reserve::Prefix("tags/"),
    },
    Generated {
        key: "archive/index.html",
        template: Some(theme!("archive.html")),
        media_type: HTML,
        depends: Depends::Archive,
        reserve: Reserve::Prefix("archive/"),
    },
    Generated {
        key: "atom.xml",
        template: Some(theme!("atom.xml")),
        media_type: "application/atom+xml; charset=utf-8",
        depends: Depends::Feed,
        reserve: Reserve::Key,
    },
    Generated {
        key: "sitemap.xml",
        template: Some(theme!("sitemap.xml")),
        media_type: "text/xml; charset=utf-8",
        depends: Depends::Sitemap,
        reserve: Reserve::Key,
    },
    Generated {
        key: "robots.txt",
        template: Some(theme!("robots.txt")),
        media_type: "text/plain; charset=utf-8",
        depends: Depends::Robots,
        reserve: Reserve::Key,
    },
    Generated {
        key: "404.html",
        template: Some(theme!("404.html")),
        media_type: HTML,
        depends: Depends::NotFound,
        reserve: Reserve::Key,
    },
    Generated {
        key: "style.css",
        template: Some(theme!("style.css")),
        media_type: "text/css; charset=utf-8",
        depends: Depends::Static,
        reserve: Reserve::No,
    },
    Generated {
        key: "private.js",
        template: Some(theme!("private.js")),
        media_type: "text/javascript; charset=utf-8",
        depends: Depends::PrivateScript,
        reserve: Reserve::No,
    },
    Generated {
        key: "favicon.svg",
        template: None,
        media_type: "image/svg+xml; charset=utf-8",
        depends: Depends::Favicon,
        reserve: Reserve::No,
    },
    Generated {
        key: "highlight.css",
        template: None,
        media_type: "text/css; charset=utf-8",
        depends: Depends::HighlightCss,
        reserve: Reserve::Key,
    },
];

/// The row of what `depends` makes (the first, for kinds with more than one row).
pub(crate) fn row(depends: Depends) -> &'static Generated {
    GENERATED
        .iter()
        .find(|g| g.depends == depends)
        .expect("every kind of output has a row")
}

/// The name of the theme template that renders what `depends` makes.
pub(crate) fn template(depends: Depends) -> &'static str {
    row(depends).template.map_or("", |t| t.name)
}

/// True for the rows of fixed files (`style.css`): served as they are, never through Tera.
pub(crate) fn is_fixed_file(g: &Generated) -> bool {
    matches!(g.depends, Depends::Static | Depends::PrivateScript)
}

/// The templates the rows render with, each once, in table order.
pub(crate) fn templates() -> impl Iterator<Item = ThemeFile> {
    let mut seen: Vec<&str> = Vec::new();
    GENERATED
        .iter()
        .filter(|g| !is_fixed_file(g))
        .filter_map(|g| g.template)
        .filter(move |t| {
            let new = !seen.contains(&t.name);
            seen.push(t.name);
            new
        })
}

/// True when `key` is generated by bucketpress (a document or static file may not be there).
pub(crate) fn is_reserved(key: &str) -> bool {
    GENERATED.iter().any(|g| match g.reserve {
        Reserve::Key => g.key == key,
        Reserve::Prefix(prefix) => key.starts_with(prefix),
        Reserve::No => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row's media type is what the key's extension gives (`content_type_for`, what any
    /// other file of that name is served with), so the table changed no header.
    #[test]
    fn media_types_match_the_keys() {
        for g in GENERATED {
            let sample = g
                .key
                .replace("{url}", "posts/x/")
                .replace("{alias}", "old/index.html")
                .replace("{n}", "2")
                .replace("{taxonomy}", "tags")
                .replace("{term}", "x");
            assert_eq!(
                g.media_type,
                super::super::content_type_for(&sample),
                "{}",
                g.key
            );
        }
    }

    #[test]
    fn reserved_keys() {
        for key in [
            "index.html",
            "atom.xml",
            "sitemap.xml",
            "robots.txt",
            "404.html",
            "highlight.css",
            "tags/x/index.html",
            "archive/x",
            "page/2/index.html",
        ] {
            assert!(is_reserved(key), "{key}");
        }
        for key in ["style.css", "favicon.svg", "private.js", "about/index.html"] {
            assert!(!is_reserved(key), "{key}");
        }
    }
}

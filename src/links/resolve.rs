//! Where a link points: another output of the site (and which fragment), the outside world,
//! or nowhere to check (`mailto:`, `data:`…). Pure: strings in, a [`Target`] out.

use percent_encoding::percent_decode_str;

/// What a link, found on one page, points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An output of this site: the object keys that would answer (the first that exists
    /// wins, as the S3 website endpoint tries `dir` then `dir/index.html`), and the
    /// `#fragment`, decoded, if any.
    Internal {
        /// Candidate object keys, best first.
        keys: Vec<String>,
        /// The fragment (without `#`), when not empty.
        fragment: Option<String>,
    },
    /// An `http(s)` URL elsewhere (fragment removed).
    External(String),
    /// Nothing to check: another scheme, or a path outside the site's base path.
    Skip,
}

/// The site's address, for telling its own links from others.
#[derive(Debug, Clone)]
pub struct Base {
    /// `https://example.com/blog` (no trailing slash).
    url: String,
    /// `/blog/` or `/`.
    path: String,
}

impl Base {
    /// The base path: `/blog/` or `/`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// From site.toml's `base_url` and the base path derived from it.
    pub fn new(base_url: &str, base_path: &str) -> Base {
        Base {
            url: base_url.trim_end_matches('/').to_string(),
            path: base_path.to_string(),
        }
    }
}

/// Resolves `link`, found on the page at object key `page_key` (`posts/x/index.html`).
pub fn resolve(link: &str, page_key: &str, base: &Base) -> Target {
    let link = link.trim();
    let (rest, fragment) = match link.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (link, None),
    };
    let fragment = fragment
        .filter(|f| !f.is_empty())
        .map(|f| percent_decode_str(f).decode_utf8_lossy().into_owned());
    // The site's own absolute URLs (canonical links, feeds) are internal.
    let own = rest
        .strip_prefix(base.url.as_str())
        .filter(|r| r.is_empty() || r.starts_with(['/', '?']));
    let path_part = match own {
        Some(r) => format!("{}{}", base.path.trim_end_matches('/'), r),
        None => {
            if let Some(scheme) = scheme(rest) {
                return match scheme.to_ascii_lowercase().as_str() {
                    "http" | "https" => Target::External(rest.to_string()),
                    _ => Target::Skip,
                };
            }
            if let Some(host_path) = rest.strip_prefix("//") {
                return Target::External(format!("https://{host_path}"));
            }
            rest.to_string()
        }
    };
    let path = path_part.split('?').next().unwrap_or("");
    let page_path = format!("{}{page_key}", base.path);
    let absolute = if path.is_empty() {
        page_path.clone()
    } else if path.starts_with('/') {
        path.to_string()
    } else {
        let dir = &page_path[..page_path.rfind('/').map_or(1, |i| i + 1)];
        format!("{dir}{path}")
    };
    let absolute = normalize(&percent_decode_str(&absolute).decode_utf8_lossy());
    let Some(inside) = absolute.strip_prefix(base.path.as_str()).or_else(|| {
        // `/blog` itself, without its slash.
        (absolute.as_str() == base.path.trim_end_matches('/')).then_some("")
    }) else {
        return Target::Skip;
    };
    let keys = if path.is_empty() {
        vec![page_key.to_string()]
    } else if inside.is_empty() || inside.ends_with('/') {
        vec![format!("{inside}index.html")]
    } else {
        vec![inside.to_string(), format!("{inside}/index.html")]
    };
    Target::Internal { keys, fragment }
}

/// The scheme of an absolute URL (`https`, `mailto`), if `s` has one.
pub(crate) fn scheme(s: &str) -> Option<&str> {
    let (scheme, _) = s.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)))
        .then_some(scheme)
}

/// Resolves `.` and `..` segments (a `..` above the root stays at the root, as browsers do);
/// keeps a trailing slash.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len() - 1;
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => {}
            ".." => {
                parts.pop();
            }
            "" if i != last => {}
            s => parts.push(s),
        }
    }
    let mut out = String::from("/");
    out.push_str(&parts.join("/"));
    if matches!(segments.last(), Some(&"" | &"." | &"..")) && !out.ends_with('/') {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn internal(keys: &[&str], fragment: Option<&str>) -> Target {
        Target::Internal {
            keys: keys.iter().map(|k| k.to_string()).collect(),
            fragment: fragment.map(str::to_string),
        }
    }

    #[test]
    fn resolves_like_a_browser_at_the_root() {
        let base = Base::new("https://t.example/", "/");
        let on = |link: &str| resolve(link, "posts/x/index.html", &base);
        assert_eq!(on("/posts/y/"), internal(&["posts/y/index.html"], None));
        assert_eq!(
            on("../y/#sec"),
            internal(&["posts/y/index.html"], Some("sec"))
        );
        assert_eq!(
            on("a.png"),
            internal(&["posts/x/a.png", "posts/x/a.png/index.html"], None)
        );
        assert_eq!(on("#top"), internal(&["posts/x/index.html"], Some("top")));
        assert_eq!(on("/"), internal(&["index.html"], None));
        assert_eq!(
            on("/tags?page=2"),
            internal(&["tags", "tags/index.html"], None)
        );
        assert_eq!(
            on("/caf%C3%A9/#%C3%A0"),
            internal(&["café/index.html"], Some("à"))
        );
        assert_eq!(
            on("https://t.example/atom.xml"),
            internal(&["atom.xml", "atom.xml/index.html"], None)
        );
        assert_eq!(
            on("https://other.example/a#b"),
            Target::External("https://other.example/a".into())
        );
        assert_eq!(
            on("//cdn.example/x.js"),
            Target::External("https://cdn.example/x.js".into())
        );
        assert_eq!(on("mailto:me@t.example"), Target::Skip);
        assert_eq!(on("data:image/png;base64,AAA"), Target::Skip);
        assert_eq!(
            on("../../../../etc"),
            internal(&["etc", "etc/index.html"], None)
        );
    }

    #[test]
    fn a_site_under_a_path_checks_only_its_own() {
        let base = Base::new("https://t.example/blog/", "/blog/");
        let on = |link: &str| resolve(link, "posts/x/index.html", &base);
        assert_eq!(
            on("/blog/posts/y/"),
            internal(&["posts/y/index.html"], None)
        );
        assert_eq!(on("/blog"), internal(&["index.html"], None));
        assert_eq!(on("/elsewhere/"), Target::Skip);
        assert_eq!(
            on("https://t.example/blog/tags/"),
            internal(&["tags/index.html"], None)
        );
    }
}

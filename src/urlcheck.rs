//! `check --urls`: which old URLs (an old sitemap.xml, or a list with one URL or path a line)
//! the rendered site no longer answers. Pure: the list's text and the outputs in, the lost URLs
//! out.

use std::path::Path;

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::error::{Diagnostic, Problem};
use crate::outputs::Outputs;

/// An old URL and the 1-based line of the list it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OldUrl {
    /// As written.
    pub url: String,
    /// Its line in the list.
    pub line: usize,
}

/// The URLs of a sitemap (every `<loc>`; a sitemap index's `<loc>`s are sitemaps and are
/// listed as they are) or of a plain list (one a line; blank lines and `#` comments skipped).
pub fn parse_list(text: &str) -> Result<Vec<OldUrl>, String> {
    if text.trim_start().starts_with('<') {
        return parse_sitemap(text);
    }
    Ok(text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .map(|(line, l)| OldUrl {
            url: l.to_string(),
            line,
        })
        .collect())
}

fn parse_sitemap(text: &str) -> Result<Vec<OldUrl>, String> {
    let mut reader = Reader::from_str(text);
    let mut urls = Vec::new();
    // The `<loc>` being read: its text so far and its line.
    let mut loc: Option<(String, usize)> = None;
    loop {
        let at = reader.buffer_position() as usize;
        let line = crate::error::line_of(text, at);
        match reader.read_event() {
            Ok(Event::Start(e)) if e.local_name().as_ref() == b"loc" => {
                loc = Some((String::new(), line));
            }
            Ok(Event::End(e)) if e.local_name().as_ref() == b"loc" => {
                if let Some((url, line)) = loc.take()
                    && !url.trim().is_empty()
                {
                    urls.push(OldUrl {
                        url: url.trim().to_string(),
                        line,
                    });
                }
            }
            Ok(Event::Text(t)) => {
                if let Some((url, _)) = loc.as_mut() {
                    let chunk = t.xml10_content().map_err(|e| format!("line {line}: {e}"))?;
                    url.push_str(&chunk);
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let Some((url, _)) = loc.as_mut() {
                    let name: &[u8] = &r;
                    url.push_str(match name {
                        b"amp" => "&",
                        b"lt" => "<",
                        b"gt" => ">",
                        b"quot" => "\"",
                        b"apos" => "'",
                        _ => "",
                    });
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(format!("line {line}: not a valid sitemap: {e}")),
        }
    }
    Ok(urls)
}

/// The site path of an old URL: scheme and host, query and fragment dropped, percent-escapes
/// decoded, and the site's base path (`/blog/`) taken off.
pub(crate) fn site_path(url: &str, base_path: &str) -> String {
    let rest = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => url,
    };
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let decoded = percent_encoding::percent_decode_str(rest)
        .decode_utf8_lossy()
        .into_owned();
    let path = format!("/{}", decoded.trim_start_matches('/'));
    match path.strip_prefix(base_path.trim_end_matches('/')) {
        Some(inner) if base_path != "/" => format!("/{}", inner.trim_start_matches('/')),
        _ => path,
    }
}

/// True when the site answers `path` as a static host does: `/x/` with `x/index.html`, `/x`
/// with the object `x` or (by a redirect to `/x/`) `x/index.html`.
pub fn answers(outputs: &Outputs, path: &str) -> bool {
    let key = path.trim_start_matches('/');
    if key.is_empty() {
        return outputs.contains("index.html");
    }
    if key.ends_with('/') {
        return outputs.contains(&format!("{key}index.html"));
    }
    outputs.contains(key) || outputs.contains(&format!("{key}/index.html"))
}

/// A problem for each URL of `list` (the file at `list_path`) that `outputs` does not answer.
pub fn lost_urls(
    outputs: &Outputs,
    list: &[OldUrl],
    base_path: &str,
    list_path: &Path,
) -> Vec<Diagnostic> {
    list.iter()
        .filter(|u| !answers(outputs, &site_path(&u.url, base_path)))
        .map(|u| Diagnostic::new(list_path, Some(u.line), Problem::OldUrlGone(u.url.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::{Output, OutputKind};

    #[test]
    fn sitemaps_and_lists() {
        let sitemap = "<?xml version=\"1.0\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n  <url><loc>https://old.example/a/</loc></url>\n  <url>\n    <loc>https://old.example/b?x=1&amp;y=2</loc>\n  </url>\n</urlset>\n";
        let urls = parse_list(sitemap).unwrap();
        assert_eq!(
            urls,
            [
                OldUrl {
                    url: "https://old.example/a/".into(),
                    line: 3
                },
                OldUrl {
                    url: "https://old.example/b?x=1&y=2".into(),
                    line: 5
                }
            ]
        );
        let list = parse_list("# old URLs\n/a/\n\nhttps://x.example/b.html\n").unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(
            (list[1].line, list[1].url.as_str()),
            (4, "https://x.example/b.html")
        );
        assert!(parse_list("<urlset><loc>a</urlset>").is_err());
    }

    #[test]
    fn paths_and_answers() {
        assert_eq!(site_path("https://x.example/a%20b/?q#f", "/"), "/a b/");
        assert_eq!(site_path("https://x.example", "/"), "/");
        assert_eq!(site_path("https://x.example/blog/a/", "/blog/"), "/a/");
        assert_eq!(site_path("/a/b.html", "/"), "/a/b.html");
        let outputs: Outputs = ["index.html", "a/index.html", "b.html"]
            .into_iter()
            .map(|k| std::sync::Arc::new(Output::from_bytes(k, vec![], OutputKind::Page)))
            .collect();
        for path in ["/", "/a/", "/a", "/b.html"] {
            assert!(answers(&outputs, path), "{path}");
        }
        for path in ["/b/", "/c", "/a/index"] {
            assert!(!answers(&outputs, path), "{path}");
        }
        let list = parse_list("/a/\n/gone/\n").unwrap();
        let lost = lost_urls(&outputs, &list, "/", Path::new("old.txt"));
        assert_eq!(lost.len(), 1);
        assert_eq!(lost[0].line, Some(2));
        assert_eq!(lost[0].problem, Problem::OldUrlGone("/gone/".into()));
    }
}

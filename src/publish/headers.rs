//! Publish-time headers: Cache-Control from the site's rules or sensible defaults, and optional
//! deterministic gzip of text types. Pure: it only rewrites [`Outputs`] in memory.

use std::io::Write;

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::config::PublishConfig;
use crate::outputs::{Body, Output, OutputKind, Outputs};

/// Cache-Control for documents whose content changes under the same URL: HTML, feeds, sitemap,
/// robots.txt, redirects. Five minutes bounds how stale a reader (or a CDN without invalidation)
/// can be after a publish, while still absorbing a burst of traffic on a popular post.
pub const SHORT_CACHE: &str = "public, max-age=300";

/// Cache-Control for static assets with plain names (`style.css`, `img/me.jpg`): they rarely
/// change, but they *can* change under the same name, so one day rather than a year: an edited
/// stylesheet reaches every reader by the next day.
pub const ASSET_CACHE: &str = "public, max-age=86400";

/// Cache-Control for fingerprinted assets (`main.3f2a9c1d.css`): the name changes whenever the
/// bytes do, so caching forever is safe.
pub const IMMUTABLE_CACHE: &str = "public, max-age=31536000, immutable";

/// The gzip level used for precompression. Fixed so the same input always gives the same
/// bytes (and the same hash), which is what lets an unchanged site publish nothing.
const GZIP_LEVEL: u32 = 6;

/// Sets `cache_control` on every output and, when `cfg.gzip` is on, precompresses text types.
///
/// Cache-Control: the first rule of `cfg.cache_control` whose glob matches the key wins (globs
/// match across `/`, so `*.html` matches at any depth); otherwise [`default_cache_control`].
/// Gzip never touches an output that already has a `Content-Encoding`, a body on disk, a
/// non-text type, a body that already starts with the gzip magic, or a body that would not
/// shrink.
pub fn apply_headers(outputs: &mut Outputs, cfg: &PublishConfig) {
    let rules = compile_rules(cfg);
    for output in outputs.iter_mut() {
        let rule = rules
            .as_ref()
            .and_then(|set| set.matches(&output.key).into_iter().min());
        output.cache_control = Some(match rule {
            Some(i) => cfg.cache_control[i].value.clone(),
            None => default_cache_control(output).to_string(),
        });
        if cfg.gzip {
            gzip_output(output);
        }
    }
}

/// Rules were validated when `site.toml` was loaded; an invalid glob here (a config built by
/// hand) makes the rules be ignored as a whole rather than shift indices.
fn compile_rules(cfg: &PublishConfig) -> Option<GlobSet> {
    if cfg.cache_control.is_empty() {
        return None;
    }
    let mut builder = GlobSetBuilder::new();
    for rule in &cfg.cache_control {
        builder.add(Glob::new(&rule.glob).ok()?);
    }
    builder.build().ok()
}

/// The built-in Cache-Control for an output (see [`SHORT_CACHE`], [`ASSET_CACHE`],
/// [`IMMUTABLE_CACHE`]).
pub fn default_cache_control(output: &Output) -> &'static str {
    let essence = essence(&output.content_type);
    let document = output.kind != OutputKind::Asset
        || output.redirect.is_some()
        || matches!(
            essence,
            "text/html"
                | "application/xml"
                | "text/xml"
                | "application/atom+xml"
                | "application/rss+xml"
                | "application/json"
                | "application/manifest+json"
                | "text/plain"
        );
    if document {
        SHORT_CACHE
    } else if is_fingerprinted(&output.key) {
        IMMUTABLE_CACHE
    } else {
        ASSET_CACHE
    }
}

/// True when the file name carries a content hash as a dot-separated part of at least eight hex
/// digits, as Hugo and bundlers write them: `main.3f2a9c1d.css`.
pub(crate) fn is_fingerprinted(key: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() >= 3
        && parts[1..parts.len() - 1]
            .iter()
            .any(|p| p.len() >= 8 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The media type without parameters, lowercased.
fn essence(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or("").trim()
}

/// True for the types worth compressing: HTML, CSS, JavaScript, XML (feeds, sitemap), JSON,
/// plain text and SVG.
pub(crate) fn is_compressible(content_type: &str) -> bool {
    matches!(
        essence(content_type),
        "text/html"
            | "text/css"
            | "text/javascript"
            | "application/javascript"
            | "application/xml"
            | "text/xml"
            | "application/atom+xml"
            | "application/rss+xml"
            | "application/json"
            | "application/manifest+json"
            | "text/plain"
            | "image/svg+xml"
    )
}

/// Gzips `output` in place when it is a compressible text type held in memory, not encoded
/// yet, and shrinks.
pub(crate) fn gzip_output(output: &mut Output) {
    if output.content_encoding.is_some() || !is_compressible(&output.content_type) {
        return;
    }
    let Body::Bytes(bytes) = &output.body else {
        return;
    };
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return;
    }
    let compressed = gzip(bytes);
    if compressed.len() >= bytes.len() {
        return;
    }
    output.set_bytes(compressed);
    output.content_encoding = Some("gzip".to_string());
}

/// Deterministic gzip: fixed level, no file name, mtime 0, so equal input gives equal output.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::new(GZIP_LEVEL));
    // Writing into a Vec cannot fail.
    encoder.write_all(bytes).expect("gzip into memory");
    encoder.finish().expect("gzip into memory")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CacheRule;

    fn out(key: &str, kind: OutputKind, body: &str) -> Output {
        Output::from_bytes(key, body.as_bytes().to_vec(), kind)
    }

    fn site() -> Outputs {
        let long = "<p>hello</p>".repeat(50);
        [
            out("index.html", OutputKind::Listing, &long),
            out("posts/a/index.html", OutputKind::Page, &long),
            out("atom.xml", OutputKind::Listing, &long),
            out("robots.txt", OutputKind::Listing, "User-agent: *\n"),
            out("style.css", OutputKind::Asset, &"body{}".repeat(50)),
            out("main.3f2a9c1d.js", OutputKind::Asset, &"f();".repeat(50)),
            out("img/a.png", OutputKind::Asset, &"png".repeat(50)),
        ]
        .into_iter()
        .collect()
    }

    fn cc<'a>(o: &'a Outputs, key: &str) -> &'a str {
        o.get(key).unwrap().cache_control.as_deref().unwrap()
    }

    #[test]
    fn defaults_short_for_documents_day_for_assets_year_for_fingerprints() {
        let mut o = site();
        apply_headers(&mut o, &PublishConfig::default());
        assert_eq!(cc(&o, "index.html"), SHORT_CACHE);
        assert_eq!(cc(&o, "posts/a/index.html"), SHORT_CACHE);
        assert_eq!(cc(&o, "atom.xml"), SHORT_CACHE);
        assert_eq!(cc(&o, "robots.txt"), SHORT_CACHE);
        assert_eq!(cc(&o, "style.css"), ASSET_CACHE);
        assert_eq!(cc(&o, "img/a.png"), ASSET_CACHE);
        assert_eq!(cc(&o, "main.3f2a9c1d.js"), IMMUTABLE_CACHE);
        // No gzip unless asked.
        assert!(o.iter().all(|x| x.content_encoding.is_none()));
    }

    #[test]
    fn first_matching_rule_wins() {
        let mut o = site();
        let cfg = PublishConfig {
            cache_control: vec![
                CacheRule {
                    glob: "img/**".into(),
                    value: "max-age=1".into(),
                },
                CacheRule {
                    glob: "*.png".into(),
                    value: "max-age=2".into(),
                },
                CacheRule {
                    glob: "*.html".into(),
                    value: "no-cache".into(),
                },
            ],
            ..PublishConfig::default()
        };
        apply_headers(&mut o, &cfg);
        assert_eq!(cc(&o, "img/a.png"), "max-age=1");
        assert_eq!(cc(&o, "posts/a/index.html"), "no-cache");
        assert_eq!(cc(&o, "style.css"), ASSET_CACHE);
    }

    #[test]
    fn gzip_is_deterministic_and_only_for_text() {
        let cfg = PublishConfig {
            gzip: true,
            ..PublishConfig::default()
        };
        let mut a = site();
        let mut b = site();
        apply_headers(&mut a, &cfg);
        apply_headers(&mut b, &cfg);
        for key in ["index.html", "atom.xml", "style.css", "main.3f2a9c1d.js"] {
            let x = a.get(key).unwrap();
            assert_eq!(x.content_encoding.as_deref(), Some("gzip"), "{key}");
            assert_eq!(
                x.hash,
                b.get(key).unwrap().hash,
                "{key}: same input, same bytes"
            );
            assert_eq!(
                x.hash,
                crate::outputs::hash_bytes(x.body.as_bytes().unwrap())
            );
        }
        assert!(a.get("img/a.png").unwrap().content_encoding.is_none());
        // Too small to shrink: left alone.
        assert!(a.get("robots.txt").unwrap().content_encoding.is_none());
    }

    #[test]
    fn gzip_never_double_compresses() {
        let cfg = PublishConfig {
            gzip: true,
            ..PublishConfig::default()
        };
        let mut o = site();
        apply_headers(&mut o, &cfg);
        let before = o.get("index.html").unwrap().hash.clone();
        apply_headers(&mut o, &cfg);
        assert_eq!(o.get("index.html").unwrap().hash, before);

        // Already gzip bytes under a text type, without an encoding set.
        let mut pre = Outputs::new();
        pre.insert(Output::from_bytes(
            "x.svg",
            gzip(&b"<svg/>".repeat(100)),
            OutputKind::Asset,
        ));
        let h = pre.get("x.svg").unwrap().hash.clone();
        apply_headers(&mut pre, &cfg);
        assert_eq!(pre.get("x.svg").unwrap().hash, h);
        assert!(pre.get("x.svg").unwrap().content_encoding.is_none());
    }

    #[test]
    fn fingerprint_detection() {
        assert!(is_fingerprinted("a/main.3f2a9c1d.css"));
        assert!(is_fingerprinted("app.0123456789abcdef.min.js"));
        assert!(!is_fingerprinted("style.css"));
        assert!(!is_fingerprinted("deadbeef.css"));
        assert!(!is_fingerprinted("a.cafe.css"));
    }
}

//! The headers a publish sends for files whose name says more than their media type
//! (`.svgz`, `.map`), read back from the in-process S3 server; and README's list of
//! Cache-Control defaults checked against the code's.

use bucketpress::config::PublishConfig;
use bucketpress::outputs::{Output, OutputKind};
use bucketpress::pipeline::{BuildOptions, render_site};
use bucketpress::publish::apply::NoProgress;
use bucketpress::publish::headers::{
    ASSET_CACHE, IMMUTABLE_CACHE, SHORT_CACHE, default_cache_control,
};
use bucketpress::publish::publish_outputs;

use crate::publish::opts;
use crate::s3_server::{BUCKET, S3Server};
use crate::support::site;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn svgz_is_gzip_encoded_svg_and_source_maps_are_json() {
    let server = S3Server::start().await;
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\">".to_string() + &"<g/>".repeat(200);
    let dir = site(&[(
        "static/app.3f2a9c1d.js.map",
        "{\"version\":3,\"sources\":[]}",
    )]);
    std::fs::write(
        dir.path().join("static/logo.svgz"),
        bucketpress::publish::headers::gzip(svg.as_bytes()),
    )
    .unwrap();
    let rendered = render_site(dir.path(), &BuildOptions::default()).expect("renders");
    // With gzip on, as most sites have it: the .svgz must not be compressed a second time.
    let cfg = PublishConfig {
        gzip: true,
        ..PublishConfig::default()
    };
    publish_outputs(
        &server.target(""),
        rendered.outputs,
        &cfg,
        &opts(),
        &NoProgress,
    )
    .await
    .unwrap();
    let client = server.client();
    let head = |key: &'static str| {
        let client = client.clone();
        async move {
            client
                .get_object()
                .bucket(BUCKET)
                .key(key)
                .send()
                .await
                .unwrap()
        }
    };
    let svgz = head("logo.svgz").await;
    assert_eq!(svgz.content_type(), Some("image/svg+xml"));
    assert_eq!(svgz.content_encoding(), Some("gzip"));
    let bytes = svgz.body.collect().await.unwrap().into_bytes();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
        .unwrap();
    assert_eq!(text, svg, "stored once-compressed, as on disk");

    let map = head("app.3f2a9c1d.js.map").await;
    assert_eq!(map.content_type(), Some("application/json; charset=utf-8"));
}

/// The part of README's bullet "Content-Type from the file name, ..." after "else:": each
/// `;`-separated row is a description and the Cache-Control value in backticks that closes
/// it, e.g. ("other assets", "public, max-age=86400").
fn readme_rows() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(crate::support::repo().join("README.md")).unwrap();
    let start = readme
        .find("- Content-Type from the file name")
        .expect("README lists the headers a publish sends");
    let bullet = &readme[start + 2..];
    let bullet = &bullet[..bullet.find("\n- ").expect("the next bullet")];
    let bullet = bullet.replace('\n', " ");
    let defaults = &bullet[bullet.find("else:").expect("the defaults follow `else:`") + 5..];
    let mut rows = Vec::new();
    // Split on `;` outside backticks (values contain commas, never semicolons).
    let (mut row, mut quoted) = (String::new(), false);
    for c in defaults.trim_end().trim_end_matches('.').chars() {
        match c {
            '`' => {
                quoted = !quoted;
                row.push(c);
            }
            ';' if !quoted => rows.push(std::mem::take(&mut row)),
            _ => row.push(c),
        }
    }
    rows.push(row);
    rows.into_iter()
        .map(|row| {
            let row = row.trim();
            let end = row.rfind('`').expect("a row ends with its value");
            let begin = row[..end].rfind('`').expect("a quoted value");
            (
                row[..begin].trim().to_string(),
                row[begin + 1..end].to_string(),
            )
        })
        .collect()
}

/// The outputs a README description names, as the code would build them.
fn examples(description: &str) -> Vec<Output> {
    let out = |key: &str, kind| Output::from_bytes(key, b"x".to_vec(), kind);
    let mut named = Vec::new();
    let words = description.to_ascii_lowercase();
    let mut known = |word: &str, outputs: Vec<Output>| {
        if words.contains(word) {
            named.extend(outputs);
        }
    };
    known(
        "html",
        vec![
            out("index.html", OutputKind::Listing),
            out("posts/a/index.html", OutputKind::Page),
            out("static.html", OutputKind::Asset),
        ],
    );
    known("feeds", vec![out("atom.xml", OutputKind::Listing)]);
    known("sitemap", vec![out("sitemap.xml", OutputKind::Listing)]);
    known("robots", vec![out("robots.txt", OutputKind::Listing)]);
    known("redirects", {
        let mut alias = out("old/index.html", OutputKind::Redirect);
        alias.redirect = Some("/new/".into());
        vec![alias]
    });
    known("json", vec![out("data/search.json", OutputKind::Asset)]);
    known("xml", vec![out("data/list.xml", OutputKind::Asset)]);
    known("plain-text", vec![out("notes.txt", OutputKind::Asset)]);
    known("source maps", vec![out("app.js.map", OutputKind::Asset)]);
    if words.starts_with("fingerprinted names") {
        let start = description.find('`').expect("an example name") + 1;
        let end = start + description[start..].find('`').expect("closing backtick");
        named.push(out(&description[start..end], OutputKind::Asset));
    }
    named
}

/// Assets of every kind a site's `static/` may hold; "other assets" in README means those of
/// them no other row names.
const ASSETS: [&str; 10] = [
    "style.css",
    "app.js",
    "img/a.png",
    "logo.svg",
    "logo.svgz",
    "f.woff2",
    "data/search.json",
    "data/list.xml",
    "notes.txt",
    "app.js.map",
];

#[test]
fn readmes_cache_control_defaults_are_what_is_sent() {
    let rows = readme_rows();
    let values: Vec<&str> = rows.iter().map(|(_, v)| v.as_str()).collect();
    assert_eq!(
        values,
        [SHORT_CACHE, ASSET_CACHE, IMMUTABLE_CACHE],
        "{rows:?}"
    );
    let named: Vec<String> = rows
        .iter()
        .flat_map(|(d, _)| examples(d))
        .map(|o| o.key)
        .collect();
    for (description, value) in &rows {
        let mut outputs = examples(description);
        if description.to_ascii_lowercase().starts_with("other assets") {
            outputs.extend(
                ASSETS
                    .iter()
                    .filter(|k| !named.iter().any(|n| n == *k))
                    .map(|k| Output::from_bytes(*k, b"x".to_vec(), OutputKind::Asset)),
            );
        }
        assert!(
            !outputs.is_empty(),
            "README row not understood: {description}"
        );
        for output in outputs {
            assert_eq!(
                default_cache_control(&output),
                value,
                "README says {value} for {description}, but {} ({:?}, {}) gets another",
                output.key,
                output.kind,
                output.content_type
            );
        }
    }
}

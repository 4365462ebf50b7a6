//! The default theme's pages: code fences, previews (OpenGraph, Twitter, JSON-LD), per-tag
//! feeds and accessibility.

use bucketpress::error::Problem;
use bucketpress::pipeline::{BuildOptions, Rendered, render_site};
use bucketpress::publish::apply::NoProgress;
use bucketpress::publish::publish_outputs;

use crate::publish::{get, opts};
use crate::s3_server::S3Server;
use crate::support::{bin, site, text};

fn render(dir: &std::path::Path) -> Rendered {
    render_site(dir, &BuildOptions::default()).expect("the site renders")
}

/// The `content` of the first `<meta>` whose attributes contain `name` in `page`.
fn meta(page: &str, name: &str) -> Option<String> {
    let start = page.find(name)?;
    let tag = &page[page[..start].rfind('<')?..];
    let tag = &tag[..tag.find('>')?];
    let value = &tag[tag.find("content=\"")? + 9..];
    Some(value[..value.find('"')?].to_string())
}

const POST: &str = "---\ntitle: P\ndate: 2024-01-01T10:00:00Z\ntags: [rust]\n---\n";

#[test]
fn fences_number_and_mark_lines_and_an_unknown_language_warns_once() {
    let dir = site(&[
        (
            "content/posts/a.md",
            &format!(
                "{POST}Text.\n\n```rust,linenos,hl_lines=2 3\nfn a() {{}}\nfn b() {{}}\nfn c() {{}}\n```\n\n```rsut\nx\n```\n"
            ),
        ),
        (
            "content/posts/b.md",
            &format!(
                "{POST}```go {{linenos=true,hl_lines=[1],linenostart=10}}\nx := 1\n```\n\n```rsut\ny\n```\n\n```klingon\nz\n```\n"
            ),
        ),
    ]);
    let r = render(dir.path());
    let a = text(&r.outputs, "posts/a/index.html");
    assert_eq!(a.matches("<span class=\"line hl\">").count(), 2, "{a}");
    assert!(a.contains("data-ln=\"3\""));
    let b = text(&r.outputs, "posts/b/index.html");
    assert!(
        b.contains(
            "<span class=\"line hl\"><span class=\"ln\" aria-hidden=\"true\" data-ln=\"10\">"
        ),
        "{b}"
    );
    let unknown: Vec<(String, String, Option<usize>)> = r
        .warnings
        .iter()
        .filter_map(|w| match &w.problem {
            Problem::UnknownLanguage { lang, hint } => Some((lang.clone(), hint.clone(), w.line)),
            _ => None,
        })
        .collect();
    assert_eq!(unknown.len(), 2, "once per language: {unknown:?}");
    assert_eq!(unknown[1].0, "rsut");
    assert_eq!(unknown[1].1, "did you mean \"rust\"?");
    assert_eq!(unknown[1].2, Some(14), "the first fence, in a.md");
    assert!(
        unknown[0]
            .1
            .starts_with("known languages include bash, c, "),
        "{}",
        unknown[0].1
    );

    // The wording, as the command prints it.
    let out = bin(&[
        "build",
        "--site",
        dir.path().to_str().unwrap(),
        "--out",
        dir.path().join("public").to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains("rsut")).collect();
    assert_eq!(
        lines,
        [
            "warning: content/posts/a.md:14: code language \"rsut\" is not known, so the block has no highlighting; did you mean \"rust\"?"
        ]
    );
}

#[test]
fn a_bad_fence_option_fails_the_build_naming_file_and_line() {
    let dir = site(&[(
        "content/posts/a.md",
        &format!("{POST}Text.\n\n```go {{hl_lines=[\"4-x\"]}}\nx := 1\n```\n"),
    )]);
    let errors = render_site(dir.path(), &BuildOptions::default()).unwrap_err();
    let text = errors.to_string();
    assert!(
        text.contains("content/posts/a.md:8: code fence option hl_lines: expected line numbers and ranges like 2 4-6, found \"[\\\"4-x\\\"]\""),
        "{text}"
    );
}

#[test]
fn previews_have_og_image_twitter_card_and_json_ld() {
    let dir = site(&[
        (
            "site.toml",
            "title = \"T\"\nbase_url = \"https://t.example/blog/\"\nauthor = \"Ann\"\n",
        ),
        (
            "content/posts/cover.md",
            "---\ntitle: 'Ends </script> here'\ndate: 2024-01-02\nupdated: 2024-02-03\nimage: /img/cover.svg\n---\nText ![x](/img/other.svg).\n",
        ),
        (
            "content/posts/first.md",
            "---\ntitle: First\ndate: 2024-01-01\n---\nText.\n\n![a](/img/in-text.svg) ![b](/img/second.svg)\n",
        ),
        (
            "content/posts/plain.md",
            "---\ntitle: Plain\ndate: 2024-01-03\n---\nNo pictures.\n",
        ),
        (
            "static/img/cover.svg",
            "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        ),
        (
            "static/img/other.svg",
            "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        ),
        (
            "static/img/in-text.svg",
            "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        ),
        (
            "static/img/second.svg",
            "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        ),
    ]);
    let r = render(dir.path());
    let cover = text(&r.outputs, "posts/cover/index.html");
    assert_eq!(
        meta(&cover, "property=\"og:image\"").as_deref(),
        Some("https://t.example/blog/img/cover.svg"),
        "the front matter's image, under the base path"
    );
    assert_eq!(
        meta(&cover, "name=\"twitter:card\"").as_deref(),
        Some("summary_large_image")
    );
    assert_eq!(
        meta(&cover, "name=\"twitter:image\"").as_deref(),
        Some("https://t.example/blog/img/cover.svg")
    );
    let first = text(&r.outputs, "posts/first/index.html");
    assert_eq!(
        meta(&first, "property=\"og:image\"").as_deref(),
        Some("https://t.example/blog/img/in-text.svg"),
        "the first image of the text"
    );
    let plain = text(&r.outputs, "posts/plain/index.html");
    assert_eq!(meta(&plain, "property=\"og:image\""), None);
    assert_eq!(
        meta(&plain, "name=\"twitter:card\"").as_deref(),
        Some("summary")
    );

    // JSON-LD: valid JSON, and no text can end the <script> element early.
    let open = "<script type=\"application/ld+json\">";
    let start = cover.find(open).expect("JSON-LD") + open.len();
    let json = &cover[start..start + cover[start..].find("</script>").unwrap()];
    assert!(!json.contains('<'), "{json}");
    let ld: serde_json::Value = serde_json::from_str(json).expect("valid JSON");
    assert_eq!(ld["@type"], "BlogPosting");
    assert_eq!(ld["headline"], "Ends </script> here");
    assert_eq!(ld["datePublished"], "2024-01-02T00:00:00+00:00");
    assert_eq!(ld["dateModified"], "2024-02-03T00:00:00+00:00");
    assert_eq!(ld["author"][0]["name"], "Ann");
    assert_eq!(ld["image"], "https://t.example/blog/img/cover.svg");
    assert_eq!(ld["url"], "https://t.example/blog/posts/cover/");
    assert!(
        !plain.contains("\"dateModified\""),
        "no update, no dateModified"
    );
}

#[tokio::test]
async fn each_tag_has_an_atom_feed_linked_from_its_page_and_published() {
    let dir = site(&[
        (
            "content/posts/a.md",
            "---\ntitle: A\ndate: 2024-01-01\ntags: [rust, 'S3 & co']\n---\nA.\n",
        ),
        (
            "content/posts/b.md",
            "---\ntitle: B\ndate: 2024-01-02\ntags: [rust]\n---\nB.\n",
        ),
        (
            "content/posts/c.md",
            "---\ntitle: C\ndate: 2024-01-03\n---\nC.\n",
        ),
    ]);
    let r = render(dir.path());
    let feed: atom_syndication::Feed = text(&r.outputs, "tags/rust/atom.xml")
        .parse()
        .expect("valid Atom");
    assert_eq!(feed.title().as_str(), "T: rust");
    let titles: Vec<&str> = feed.entries().iter().map(|e| e.title().as_str()).collect();
    assert_eq!(titles, ["B", "A"], "the tag's posts, newest first");
    assert_eq!(feed.id(), "https://t.example/tags/rust/atom.xml");
    let b = &feed.entries()[0];
    assert!(b.content().is_none(), "a tag's feed carries summaries");
    assert_eq!(b.summary().map(|s| s.as_str()), Some("<p>B.</p>\n"));
    assert_eq!(b.links()[0].href(), "https://t.example/posts/b/");
    let other: atom_syndication::Feed = text(&r.outputs, "tags/s3-co/atom.xml").parse().unwrap();
    assert_eq!(other.title().as_str(), "T: S3 & co");
    assert_eq!(other.entries().len(), 1);
    assert_eq!(
        r.outputs.get("tags/rust/atom.xml").unwrap().content_type,
        "application/atom+xml; charset=utf-8"
    );
    let page = text(&r.outputs, "tags/rust/index.html");
    assert!(
        page.contains("<link rel=\"alternate\" type=\"application/atom+xml\" title=\"T: rust\" href=\"/tags/rust/atom.xml\">"),
        "{page}"
    );

    // Publish sees the new outputs like any other.
    let server = S3Server::start().await;
    let cfg = r.config.publish.clone();
    publish_outputs(&server.target(""), r.outputs, &cfg, &opts(), &NoProgress)
        .await
        .unwrap();
    let published = get(&server.client(), "tags/rust/atom.xml").await;
    assert!(
        String::from_utf8(published)
            .unwrap()
            .contains("<title type=\"text\">B</title>")
    );
}

#[test]
fn tag_pages_mark_tags_current_and_contents_need_three_headings() {
    let dir = site(&[
        (
            "content/posts/two.md",
            &format!("{POST}## One\n\nText.\n\n## Two\n\nText.\n"),
        ),
        (
            "content/posts/three.md",
            "---\ntitle: Three\ndate: 2024-01-02\n---\n## One\n\n## Two\n\n### Three\n",
        ),
    ]);
    let r = render(dir.path());
    let current = "tags/\" aria-current=\"page\">Tags</a>";
    assert!(text(&r.outputs, "tags/rust/index.html").contains(current));
    assert!(text(&r.outputs, "tags/index.html").contains(current));
    assert!(!text(&r.outputs, "posts/two/index.html").contains(current));
    assert!(!text(&r.outputs, "posts/two/index.html").contains("class=\"toc\""));
    assert!(text(&r.outputs, "posts/three/index.html").contains("class=\"toc\""));
}

#[test]
fn markdown_images_get_their_size_from_the_file_and_load_lazily() {
    let dir = site(&[
        (
            "content/posts/a.md",
            &format!("{POST}![One](/img/wide.svg)\n\n![Two](/img/wide.svg)\n"),
        ),
        (
            "static/img/wide.svg",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 800 450\"></svg>",
        ),
    ]);
    let r = render(dir.path());
    let page = text(&r.outputs, "posts/a/index.html");
    assert!(
        page.contains(
            "<img src=\"/img/wide.svg\" alt=\"Two\" width=\"800\" height=\"450\" loading=\"lazy\""
        ),
        "{page}"
    );
    assert!(page.contains("alt=\"One\" width=\"800\" height=\"450\" decoding=\"async\">"));
}

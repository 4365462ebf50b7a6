//! Tests of parsing documents: kinds, URLs, dates, sections, errors.

use super::doc::*;
use super::settings::ContentOptions;
use super::url::alias_key;
use crate::error::Problem;

const POST: &str = "---\ntitle: Hello\ndate: 2024-01-02\ntags: [Rust, Café au lait]\naliases: [/2024/01/hi/]\n---\nBody\n";

#[test]
fn post_fields_url_and_key() {
    let d = Doc::parse("content/posts/2024-01-02-hello-world.md", POST).unwrap();
    assert_eq!(d.kind, DocKind::Post);
    assert_eq!(d.slug, "hello-world");
    assert_eq!(d.url, "/posts/hello-world/");
    assert_eq!(d.output_key(), "posts/hello-world/index.html");
    assert_eq!(d.aliases, ["2024/01/hi/index.html"]);
    assert_eq!(d.body, "Body\n");
    assert_eq!(d.body_line, 7);
    assert_eq!(tag_slug(&d.tags[1]), "cafe-au-lait");
}

#[test]
fn bundles_take_the_folder_name() {
    let d = Doc::parse("content/posts/trip/index.md", POST).unwrap();
    assert_eq!(d.slug, "trip");
    assert_eq!(d.bundle_dir(), Some("content/posts/trip"));
    let d = Doc::parse("content/posts/x.md", POST).unwrap();
    assert_eq!(d.bundle_dir(), None);
}

#[test]
fn pages_live_at_their_path() {
    let d = Doc::parse("content/about.md", "---\ntitle: About\n---\nMe.\n").unwrap();
    assert_eq!((d.kind, d.url.as_str()), (DocKind::Page, "/about/"));
    let d = Doc::parse("content/docs/setup.md", "+++\ntitle = \"S\"\n+++\n").unwrap();
    assert_eq!(d.url, "/docs/setup/");
}

#[test]
fn missing_title_and_date() {
    let (_, p) = Doc::parse("content/posts/a.md", "---\ndate: 2024-01-01\n---\n").unwrap_err();
    assert_eq!(p, Problem::Missing("title"));
    let (_, p) = Doc::parse("content/posts/a.md", "---\ntitle: A\n---\n").unwrap_err();
    assert_eq!(p, Problem::Missing("date"));
}

#[test]
fn unsafe_slugs_and_aliases_are_rejected() {
    for slug in ["../x", "a/b", "/abs", "sp ace", ""] {
        let text = format!("---\ntitle: A\ndate: 2024-01-01\nslug: \"{slug}\"\n---\n");
        let (line, p) = Doc::parse("content/posts/a.md", &text).unwrap_err();
        assert_eq!(line, 4, "{slug}");
        assert!(
            matches!(p, Problem::Invalid { ref field, .. } if field == "slug"),
            "{slug}"
        );
    }
    for alias in ["/../etc/", "/a/../../b", "/a b/", "/.git/config", "/"] {
        let text = format!("---\ntitle: A\ndate: 2024-01-01\naliases: [\"{alias}\"]\n---\n");
        let (_, p) = Doc::parse("content/posts/a.md", &text).unwrap_err();
        assert!(
            matches!(p, Problem::Invalid { ref field, .. } if field == "aliases"),
            "{alias}"
        );
    }
}

#[test]
fn alias_forms() {
    assert_eq!(alias_key("/old.html").unwrap(), "old.html");
    assert_eq!(alias_key("old/name").unwrap(), "old/name/index.html");
}

fn with(opts: &ContentOptions, path: &str, text: &str) -> Doc {
    Doc::parse_with(path, text, opts, None).unwrap_or_else(|e| panic!("{path}: {e:?}"))
}

#[test]
fn urls_from_path_url_permalink_and_patterns() {
    let mut opts = ContentOptions::default();
    opts.permalinks
        .insert("posts".into(), "/:year/:month/:title/".into());
    let zola = with(
        &opts,
        "content/blog/2014-12-12-t.md",
        "+++\ntitle = \"T\"\npath = \"2014/12/12/1.0-Timeline\"\n+++\n",
    );
    assert_eq!(zola.url, "/2014/12/12/1.0-Timeline/");
    assert_eq!(zola.date.unwrap().to_rfc3339(), "2014-12-12T00:00:00+00:00");
    let hugo = with(
        &opts,
        "content/posts/x.md",
        "---\ntitle: X\ndate: 2020-01-01\nurl: /a/b.html\n---\n",
    );
    assert_eq!(
        (hugo.url.as_str(), hugo.output_key()),
        ("/a/b.html", "a/b.html")
    );
    let pattern = with(
        &opts,
        "content/posts/x.md",
        "---\ntitle: Big News\ndate: 2020-03-01\n---\n",
    );
    assert_eq!(pattern.url, "/2020/03/big-news/");
    let jekyll = with(
        &opts,
        "_posts/2020-03-01-x.md",
        "---\ntitle: X\npermalink: /:year/:slug.html\n---\n",
    );
    assert_eq!(jekyll.url, "/2020/x.html");
    let (_, p) = Doc::parse_with(
        "content/posts/x.md",
        "---\ntitle: X\ndate: 2020-01-01\npath: \"a b\"\n---\n",
        &opts,
        None,
    )
    .unwrap_err()
    .remove(0);
    assert!(matches!(p, Problem::Invalid { ref field, .. } if field == "path"));
}

#[test]
fn sub_folders_are_kept_so_names_do_not_collide() {
    let opts = ContentOptions::default();
    let a = with(&opts, "content/posts/a/x.md", POST);
    let b = with(&opts, "content/posts/b/x.md", POST);
    assert_eq!(
        (a.url.as_str(), b.url.as_str()),
        ("/posts/a/x/", "/posts/b/x/")
    );
    assert_eq!(
        with(&opts, "content/posts/x.md", POST).url,
        "/posts/x/",
        "as before"
    );
    let mut flat = ContentOptions::default();
    flat.permalinks
        .insert("posts".into(), "/posts/:name/".into());
    assert_eq!(
        with(&flat, "content/posts/2023/2023-01-02-x.md", POST).url,
        "/posts/x/",
        "the URLs of earlier versions, on request"
    );
}

#[test]
fn sections_untitled_pages_and_blank_lines_before_the_fence() {
    let opts = ContentOptions::default();
    let s = with(
        &opts,
        "content/blog/_index.md",
        "+++\nsort_by = \"title\"\npaginate_by = 5\n+++\nText.\n",
    );
    assert_eq!(
        (s.kind, s.url.as_str(), s.title.as_str()),
        (DocKind::Section, "/blog/", "blog")
    );
    assert_eq!(
        (s.sort_by.as_deref(), s.paginate_by),
        (Some("title"), Some(5))
    );
    let p = with(&opts, "content/pages/no-title.md", "+++\n+++\nHi.\n");
    assert_eq!(
        (p.title.as_str(), p.url.as_str()),
        ("no-title", "/pages/no-title/")
    );
    let d = with(
        &opts,
        "content/posts/x.md",
        "\n\n+++\ntitle = \"X\"\ndate = 2020-01-01\n+++\nBody\n",
    );
    assert_eq!((d.title.as_str(), d.body_line), ("X", 7));
    let (line, p) = Doc::parse_with(
        "content/posts/y.md",
        "\n+++\ntitle = \"Y\"\ndate = \"soon\"\n+++\n",
        &opts,
        None,
    )
    .unwrap_err()
    .remove(0);
    assert_eq!(
        (line, matches!(p, Problem::Invalid { .. })),
        (4, true),
        "lines count the blank line"
    );
}

#[test]
fn excerpt_separator_marks_the_summary() {
    let opts = ContentOptions {
        excerpt_separator: Some("<!--cut-->".into()),
        ..ContentOptions::default()
    };
    let d = with(
        &opts,
        "content/posts/x.md",
        "---\ntitle: X\ndate: 2020-01-01\n---\nOne.\n<!--cut-->\nTwo.\n",
    );
    assert_eq!(d.body, "One.\n<!-- more -->\nTwo.\n");
}

#[test]
fn a_released_body_is_read_back_as_it_was_parsed() {
    let opts = ContentOptions {
        excerpt_separator: Some("<!--cut-->".into()),
        ..ContentOptions::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.md");
    // Before the fence, a byte-order mark, or blank lines: the offset lands on the body.
    let bom = "\u{feff}---\ntitle: Ünï\ndate: 2020-01-01\n---\nÉté.\n<!--cut-->\nTwo.\n";
    std::fs::write(&path, bom).unwrap();
    let mut d = with(&opts, "content/posts/x.md", bom);
    d.release_body(&path);
    assert_eq!(d.markdown().unwrap(), "Été.\n<!-- more -->\nTwo.\n");
    let both = "\u{feff}\n\n---\ntitle: Ünï\ndate: 2020-01-01\n---\nÉté.\n<!--cut-->\nTwo.\n";
    std::fs::write(&path, both).unwrap();
    let mut d = with(&opts, "content/posts/x.md", both);
    assert_eq!(d.body_line, 7, "the body's line counts the blank lines");
    d.release_body(&path);
    assert_eq!(d.markdown().unwrap(), "Été.\n<!-- more -->\nTwo.\n");
    let text = "\n\n---\ntitle: Ünï\ndate: 2020-01-01\n---\nÉté.\n<!--cut-->\nTwo.\n";
    std::fs::write(&path, text).unwrap();
    let mut d = with(&opts, "content/posts/x.md", text);
    let held = d.body.clone();
    d.release_body(&path);
    assert!(d.body.is_empty());
    assert_eq!(d.markdown().unwrap(), held);
    assert_eq!(held, "Été.\n<!-- more -->\nTwo.\n");

    // Edited since it was parsed: an error, never the old offset in new text.
    std::fs::write(&path, text.replace("Two.", "Two and more.")).unwrap();
    let err = d.markdown().unwrap_err();
    assert!(
        matches!(&err, Problem::Io(m) if m.contains("changed")),
        "{err:?}"
    );
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(d.markdown(), Err(Problem::Io(_))));
}

#[test]
fn tags_slugify_consistently() {
    assert_eq!(tag_slug("C++ / Rust"), "c-rust");
    assert_eq!(tag_slug("Große Ideen"), "grosse-ideen");
    assert_eq!(tag_slug("web dev"), tag_slug("Web-Dev"));
    assert!(
        Doc::parse(
            "content/posts/a.md",
            "---\ntitle: A\ndate: 2024-01-01\ntags: [\"!!!\"]\n---\n"
        )
        .is_err()
    );
}

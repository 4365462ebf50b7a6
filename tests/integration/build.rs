//! Building real sites through the library: the example site and generated corpora.

use std::collections::BTreeSet;

use bucketpress::error::Problem;
use bucketpress::outputs::OutputKind;
use bucketpress::pipeline::{BuildOptions, render_site};

use crate::support::{self, bin, example_site, text};

#[test]
fn example_site_has_every_kind_of_page() {
    let site = support::example_site();
    let r = render_site(site.path(), &BuildOptions::default()).expect("example site builds");
    for key in [
        "index.html",
        "page/2/index.html",
        "posts/why-a-bucket/index.html",
        "posts/kyoto-in-march/index.html",
        "posts/slow-train-to-lisbon/index.html",
        "posts/slow-train-to-lisbon/tagus-sunset.png",
        "about/index.html",
        "tags/index.html",
        "tags/cooking/index.html",
        "archive/index.html",
        "atom.xml",
        "sitemap.xml",
        "robots.txt",
        "404.html",
        "style.css",
        "highlight.css",
        "favicon.svg",
        "img/tomatoes.svg",
    ] {
        assert!(r.outputs.contains(key), "missing {key}");
    }
    let home = r.outputs.get("index.html").unwrap();
    assert_eq!(home.content_type, "text/html; charset=utf-8");
    assert_eq!(home.kind, OutputKind::Listing);
    assert_eq!(
        r.outputs
            .get("posts/slow-train-to-lisbon/tagus-sunset.png")
            .unwrap()
            .content_type,
        "image/png"
    );
}

#[test]
fn drafts_appear_nowhere_unless_asked() {
    let site = support::example_site();
    let r = render_site(site.path(), &BuildOptions::default()).unwrap();
    for output in r.outputs.iter() {
        let body = output.body.read_all().unwrap();
        let body = String::from_utf8_lossy(&body);
        assert!(
            !body.contains("Winter soups"),
            "draft title in {}",
            output.key
        );
        assert!(!body.contains("drafts-only"), "draft tag in {}", output.key);
        assert!(
            !output.key.contains("winter-soups"),
            "draft page {}",
            output.key
        );
    }
    let with_drafts = BuildOptions {
        drafts: true,
        ..Default::default()
    };
    let r = render_site(site.path(), &with_drafts).unwrap();
    assert!(r.outputs.contains("posts/winter-soups/index.html"));
}

#[test]
fn internal_links_resolve_to_urls() {
    let site = support::example_site();
    let r = render_site(site.path(), &BuildOptions::default()).unwrap();
    let page = text(&r.outputs, "posts/two-years-on-a-bucket/index.html");
    assert!(
        page.contains("href=\"/posts/why-a-bucket/\""),
        "relative .md link"
    );
    assert!(
        page.contains("href=\"/posts/link-checker-in-rust/\""),
        "@/ link"
    );
    assert!(
        page.contains("href=\"/posts/kyoto-in-march/#the-breakfast\""),
        "anchor link"
    );
    assert!(
        !page.contains(".md\""),
        "no link left pointing at a .md file"
    );
}

#[test]
fn alias_is_a_redirect_to_its_post() {
    let site = support::example_site();
    let r = render_site(site.path(), &BuildOptions::default()).unwrap();
    let alias = r
        .outputs
        .get("2024/02/moving-to-s3/index.html")
        .expect("alias output");
    assert_eq!(alias.kind, OutputKind::Redirect);
    assert_eq!(alias.redirect.as_deref(), Some("/posts/why-a-bucket/"));
    let body = text(&r.outputs, "2024/02/moving-to-s3/index.html");
    assert!(body.contains("https://blog.example.com/posts/why-a-bucket/"));
}

#[test]
fn post_page_has_highlighted_code_toc_and_tags() {
    let site = support::example_site();
    let r = render_site(site.path(), &BuildOptions::default()).unwrap();
    let page = text(&r.outputs, "posts/link-checker-in-rust/index.html");
    assert!(page.contains("data-lang=\"rust\""));
    assert!(
        page.contains("<span class=\"hl-k\">fn</span>"),
        "tree-sitter classes"
    );
    assert!(page.contains("id=\"the-rust-version\""));
    assert!(page.contains("href=\"/tags/rust/\""));
    assert!(page.contains("A tiny Rust tool to check my links"));
}

#[test]
fn feed_is_valid_atom_with_full_content() {
    let site = support::example_site();
    let r = render_site(site.path(), &BuildOptions::default()).unwrap();
    let feed: atom_syndication::Feed = text(&r.outputs, "atom.xml").parse().expect("valid Atom");
    assert_eq!(feed.title().as_str(), "Field Notes");
    let published = r
        .outputs
        .keys()
        .filter(|k| k.starts_with("posts/") && k.ends_with("/index.html"))
        .count();
    assert!(published >= 6, "the example site has at least six posts");
    // Every post page but the private one (family-recipes), which no feed may list.
    assert!(r.outputs.contains("posts/family-recipes/index.html"));
    assert_eq!(feed.entries().len(), published - 1);
    let newest = &feed.entries()[0];
    assert_eq!(newest.title().as_str(), "Two years on a bucket");
    let content = newest.content().and_then(|c| c.value()).expect("content");
    assert!(content.contains("<h2"), "full HTML content, not a summary");
    let ids: BTreeSet<&str> = feed.entries().iter().map(|e| e.id()).collect();
    assert_eq!(ids.len(), published - 1, "entry ids are unique");
}

#[test]
fn invalid_inputs_are_all_reported_with_file_and_line() {
    let site = support::site(&[
        (
            "content/posts/bad-date.md",
            "---\ntitle: A\ndate: soon\n---\nx\n",
        ),
        (
            "content/posts/no-title.md",
            "---\ndate: 2024-01-01\n---\nx\n",
        ),
        (
            "content/posts/link.md",
            "---\ntitle: L\ndate: 2024-01-01\n---\n\n[gone](@/posts/nope.md)\n",
        ),
        (
            "content/posts/anchor.md",
            "---\ntitle: An\ndate: 2024-01-01\n---\n[x](target.md#nowhere) [y](target.md#real)\n",
        ),
        (
            "content/posts/target.md",
            "---\ntitle: Tg\ndate: 2024-01-01\n---\n## Real\n",
        ),
    ]);
    let errors = render_site(site.path(), &BuildOptions::default())
        .expect_err("build fails")
        .0;
    let found: Vec<(String, Option<usize>)> = errors
        .iter()
        .map(|e| (e.path.to_string_lossy().into_owned(), e.line))
        .collect();
    assert_eq!(
        found,
        [
            ("content/posts/bad-date.md".to_string(), Some(3)),
            ("content/posts/no-title.md".to_string(), Some(2)),
        ],
        "load errors stop the build before links are checked: {errors:?}"
    );
    assert!(matches!(errors[0].problem, Problem::Invalid { ref field, .. } if field == "date"));
    assert_eq!(errors[1].problem, Problem::Missing("title"));

    std::fs::remove_file(site.path().join("content/posts/bad-date.md")).unwrap();
    std::fs::remove_file(site.path().join("content/posts/no-title.md")).unwrap();
    let errors = render_site(site.path(), &BuildOptions::default())
        .unwrap_err()
        .0;
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].path.to_str(), Some("content/posts/anchor.md"));
    assert!(
        matches!(errors[0].problem, Problem::BrokenAnchor { ref anchor, .. } if anchor == "nowhere")
    );
    assert_eq!(errors[1].path.to_str(), Some("content/posts/link.md"));
    assert_eq!(errors[1].line, Some(6));
    assert!(matches!(errors[1].problem, Problem::BrokenLink(_)));
}

fn corpus_builds(front: &str) {
    let corpus = support::corpus(200, front);
    let r = render_site(corpus.path(), &BuildOptions::default()).expect("corpus builds");
    let posts: Vec<&str> = r
        .outputs
        .keys()
        .filter(|k| k.starts_with("posts/") && k.ends_with("/index.html"))
        .collect();
    // The corpus marks about 1% of posts as drafts.
    let drafts: Vec<String> = std::fs::read_dir(corpus.path().join("content/posts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            text.contains("\ndraft: true") || text.contains("\ndraft = true")
        })
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(posts.len() + drafts.len(), 200);
    let sitemap = text(&r.outputs, "sitemap.xml");
    for key in &posts {
        let url = format!(
            "https://corpus.example/{}",
            key.trim_end_matches("index.html")
        );
        assert!(
            sitemap.contains(&format!("<loc>{url}</loc>")),
            "sitemap lacks {url}"
        );
    }
    for draft in &drafts {
        assert!(
            !sitemap.contains(draft.as_str()),
            "draft {draft} in sitemap"
        );
        assert!(!r.outputs.contains(&format!("posts/{draft}/index.html")));
    }
    let feed: atom_syndication::Feed = text(&r.outputs, "atom.xml").parse().expect("valid Atom");
    assert_eq!(feed.entries().len(), 20, "newest 20");
    assert!(r.outputs.contains("page/2/index.html"));
    assert!(r.outputs.contains("css/site.css"));
}

#[test]
fn generated_corpus_with_yaml_front_matter() {
    corpus_builds("yaml");
}

#[test]
fn generated_corpus_with_toml_front_matter() {
    corpus_builds("toml");
}

#[test]
fn site_templates_override_the_theme_by_name() {
    let site = support::site(&[
        (
            "content/posts/a.md",
            "---\ntitle: Alpha\ndate: 2024-01-01\n---\nHi.\n",
        ),
        (
            "templates/post.html",
            "<main>custom {{ post.title }}</main>",
        ),
    ]);
    let r = render_site(site.path(), &BuildOptions::default()).unwrap();
    assert_eq!(
        text(&r.outputs, "posts/a/index.html"),
        "<main>custom Alpha</main>"
    );
    assert!(
        text(&r.outputs, "index.html").contains("Alpha"),
        "theme still renders the rest"
    );
}

#[test]
fn a_site_under_a_path_links_below_that_path() {
    let site = support::example_site();
    let opts = BuildOptions {
        base_url: Some("https://example.com/blog/".into()),
        ..Default::default()
    };
    let r = render_site(site.path(), &opts).unwrap();
    let page = text(&r.outputs, "posts/two-years-on-a-bucket/index.html");
    assert!(
        page.contains("href=\"/blog/posts/why-a-bucket/\""),
        "internal link"
    );
    assert!(page.contains("href=\"/blog/style.css\""), "stylesheet");
    assert!(page.contains("href=\"/blog/tags/"), "tags");
    assert_eq!(
        r.outputs
            .get("2024/02/moving-to-s3/index.html")
            .unwrap()
            .redirect
            .as_deref(),
        Some("/blog/posts/why-a-bucket/")
    );
    // No root-relative link escapes the base path, in any page.
    for output in r.outputs.iter().filter(|o| o.is_html()) {
        let html = String::from_utf8(output.body.read_all().unwrap()).unwrap();
        for (i, _) in html.match_indices("href=\"/") {
            let rest = &html[i + 6..];
            assert!(
                rest.starts_with("/blog/") || rest.starts_with("//"),
                "{}: {}",
                output.key,
                &rest[..rest.len().min(60)]
            );
        }
    }
}

#[test]
fn a_build_that_fails_while_rendering_pages_leaves_the_output_folder_as_it_was() {
    let site = example_site();
    let out = site.path().join("out");
    let build = || {
        bin(&[
            "build",
            "--site",
            site.path().to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
    };
    // A failing first build creates nothing.
    let post_template = site.path().join("templates/post.html");
    std::fs::create_dir_all(post_template.parent().unwrap()).unwrap();
    std::fs::write(&post_template, "{{ post.no_such_field | upper }}").unwrap();
    assert!(!build().status.success());
    assert!(!out.exists(), "a failed build made the output folder");

    std::fs::remove_file(&post_template).unwrap();
    assert!(build().status.success());
    let about = out.join("about/index.html");
    let before = std::fs::read(&about).unwrap();
    let listed: Vec<String> = walkdir::WalkDir::new(&out)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();

    // The about page renders (and is staged) before the broken post template fails.
    let about_md = site.path().join("content/about.md");
    let text = std::fs::read_to_string(&about_md).unwrap() + "\nAn edit.\n";
    std::fs::write(&about_md, text).unwrap();
    std::fs::write(&post_template, "{{ post.no_such_field | upper }}").unwrap();
    let failed = build();
    assert!(!failed.status.success());
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(std::fs::read(&about).unwrap(), before);
    let after: Vec<String> = walkdir::WalkDir::new(&out)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    assert_eq!(
        after, listed,
        "files appeared or went (a staging folder left behind?)"
    );

    // Fixed: the edit lands, and only what changed is written.
    std::fs::remove_file(&post_template).unwrap();
    let ok = build();
    assert!(ok.status.success());
    assert_ne!(std::fs::read(&about).unwrap(), before);
    let stderr = String::from_utf8_lossy(&ok.stderr);
    assert!(stderr.contains(" written, "), "{stderr}");
    assert!(!stderr.contains("(0 written"), "{stderr}");
}

#[test]
fn a_build_of_sources_it_already_built_renders_nothing_while_the_folder_is_intact() {
    let site = example_site();
    let _ = std::fs::remove_dir_all(site.path().join(".bucketpress"));
    let private_post = site.path().join("content/posts/family-recipes.md");
    let private_text = std::fs::read(&private_post).unwrap();
    std::fs::remove_file(&private_post).unwrap();
    let out = site.path().join("out");
    let build_with = |extra: &[&str]| {
        let dirs = [site.path().to_str().unwrap(), out.to_str().unwrap()];
        let args = [&["build", "--site", dirs[0], "--out", dirs[1]], extra].concat();
        let o = bin(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stderr).to_string()
    };
    let build = || build_with(&[]);
    assert!(build().contains("built "));
    let first = build();
    assert!(first.contains("nothing to do"), "{first}");

    // The same bytes written again (a fresh checkout's new file times): still nothing to do.
    let post = site.path().join("content/posts/cache-control.md");
    let text = std::fs::read(&post).unwrap();
    std::fs::write(&post, &text).unwrap();
    assert!(build().contains("nothing to do"));

    // A page deleted by hand is noticed and written again.
    let about = out.join("about/index.html");
    let about_bytes = std::fs::read(&about).unwrap();
    std::fs::remove_file(&about).unwrap();
    let again = build();
    assert!(again.contains("built "), "{again}");
    assert_eq!(std::fs::read(&about).unwrap(), about_bytes);

    // An edit renders; so does the same sources built with other options.
    std::fs::write(&post, [text.as_slice(), b"\nOne more line.\n"].concat()).unwrap();
    assert!(build().contains("built "));
    assert!(build().contains("nothing to do"));
    assert!(build_with(&["--drafts"]).contains("built "));

    // A private post is sealed with a passphrase from outside the sources: always rendered.
    std::fs::write(&private_post, private_text).unwrap();
    assert!(build().contains("built "));
    assert!(build().contains("built "));
}

/// A post without a description is described by its own first words (escaped, cut at 160
/// characters), not by the site's description; a private post never is.
#[test]
fn a_post_without_description_is_described_by_its_first_words() {
    let long = "Tom & Jerry say \"hi\" to you, and this first paragraph goes on for a while \
                so that it has to be cut somewhere before its end, which is far away from \
                here, far far away, beyond the hills and the rivers and the sea.";
    let site = support::site(&[
        (
            "site.toml",
            "title = \"T\"\nbase_url = \"https://t.example/\"\ndescription = \"Site words\"\n",
        ),
        (
            "content/posts/a.md",
            &format!("---\ntitle: A\ndate: 2024-01-01\n---\n{long}\n\nSecond.\n"),
        ),
        (
            "content/posts/b.md",
            "---\ntitle: B\ndate: 2024-01-02\ndescription: 'He said \"b\" & left'\n---\nBody.\n",
        ),
    ]);
    let r = render_site(site.path(), &BuildOptions::default()).unwrap();
    let meta = |key: &str, name: &str| -> String {
        let page = text(&r.outputs, key);
        let start = page.find(name).unwrap_or_else(|| panic!("{name} in {key}"));
        let rest = &page[start..];
        let value = &rest[rest.find("content=\"").unwrap() + 9..];
        value[..value.find('"').unwrap()].to_string()
    };
    let a = meta("posts/a/index.html", "name=\"description\"");
    assert!(a.starts_with("Tom &amp; Jerry say “hi” to you"), "{a}");
    assert!(a.ends_with('…') && a.chars().count() < 200, "{a}");
    assert_eq!(a, meta("posts/a/index.html", "property=\"og:description\""));
    let b = meta("posts/b/index.html", "property=\"og:description\"");
    assert_eq!(b, "He said &quot;b&quot; &amp; left");
}

/// A one-shot render parks each document's HTML and table of contents on disk until its page
/// is rendered and lets go of its anchors and links (issue #22); `serve` keeps them in
/// memory. Every output is the same bytes either way, contents (the TOC) included.
#[test]
fn one_shot_render_equals_the_in_memory_render_contents_included() {
    use bucketpress::session::Session;
    let site = support::example_site();
    let bytes = |outputs: &bucketpress::outputs::Outputs| -> Vec<(String, Vec<u8>)> {
        (outputs.iter())
            .map(|o| (o.key.clone(), o.body.read_all().unwrap()))
            .collect()
    };
    let one_shot = render_site(site.path(), &BuildOptions::default()).unwrap();
    let in_memory = Session::new(site.path(), BuildOptions::default())
        .render()
        .unwrap();
    let (one_shot, in_memory) = (bytes(&one_shot.outputs), bytes(&in_memory.outputs));
    assert_eq!(one_shot.len(), in_memory.len());
    for ((key, a), (other, b)) in one_shot.iter().zip(&in_memory) {
        assert_eq!(key, other);
        assert!(
            a == b,
            "{key} differs between the one-shot and the in-memory render"
        );
    }
    let page = text_of(&one_shot, "posts/kyoto-in-march/index.html");
    assert!(page.contains("class=\"toc\""), "{page}");
}

fn text_of<'a>(outputs: &'a [(String, Vec<u8>)], key: &str) -> &'a str {
    let (_, bytes) = outputs.iter().find(|(k, _)| k == key).expect(key);
    std::str::from_utf8(bytes).unwrap()
}

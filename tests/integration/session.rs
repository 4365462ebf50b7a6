//! Incremental rendering: after an edit, a session redoes only what the edit touched, and its
//! outputs are byte for byte those of a fresh full render.

use bucketpress::outputs::Outputs;
use bucketpress::pipeline::{BuildOptions, Session, render_site};

use crate::support;

fn assert_same(incremental: &Outputs, full: &Outputs) {
    let a: Vec<(&str, &str)> = incremental
        .iter()
        .map(|o| (o.key.as_str(), o.hash.as_str()))
        .collect();
    let b: Vec<(&str, &str)> = full
        .iter()
        .map(|o| (o.key.as_str(), o.hash.as_str()))
        .collect();
    assert_eq!(a, b, "incremental render differs from a full render");
}

/// Rewrites a file so its modification time surely moves on.
fn edit(path: &std::path::Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(2);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(later)
        .unwrap();
}

#[test]
fn editing_one_post_rerenders_only_what_shows_it() {
    let corpus = support::corpus(120, "yaml");
    // Deleting a post (at the end) leaves the links to it broken: warnings, here.
    let config = corpus.path().join("site.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}[links]\ninternal = \"warn\"\n")).unwrap();
    let opts = BuildOptions::default();
    let mut session = Session::new(corpus.path(), opts.clone());
    let first = session.render().unwrap();
    let cold = session.stats();
    assert_eq!(cold.pages_reused, 0);

    let again = session.render().unwrap();
    assert_same(&again.outputs, &first.outputs);
    let warm = session.stats();
    assert_eq!(warm.markdown_rendered, 0, "{warm:?}");
    assert_eq!(warm.pages_rendered, 0, "{warm:?}");

    // A change deep in one post's body: its page, and the listings that show its word count
    // (its listing page, its 1-4 tags' pages and their feeds, whose entries a site's
    // atom.xml may show the same way).
    let post = corpus.path().join("content/posts/post-00042.md");
    let text = std::fs::read_to_string(&post).unwrap();
    let last_line = text.trim_end().lines().last().unwrap().to_string();
    edit(
        &post,
        &last_line,
        &format!("{last_line}\n\nA new closing paragraph."),
    );
    let edited = session.render().unwrap();
    let stats = session.stats();
    assert_eq!(stats.markdown_rendered, 1, "{stats:?}");
    assert!(
        stats.pages_rendered >= 1 && stats.pages_rendered <= 12,
        "{stats:?}"
    );
    let page = String::from_utf8(
        edited
            .outputs
            .get("posts/post-00042/index.html")
            .unwrap()
            .body
            .read_all()
            .unwrap(),
    )
    .unwrap();
    assert!(page.contains("A new closing paragraph."));
    assert_same(
        &edited.outputs,
        &render_site(corpus.path(), &opts).unwrap().outputs,
    );

    // A title change reaches the archive, neighbours, feed, listings: still equal to a full render.
    edit(&post, "title: \"", "title: \"Renamed ");
    let renamed = session.render().unwrap();
    assert_same(
        &renamed.outputs,
        &render_site(corpus.path(), &opts).unwrap().outputs,
    );

    // Deleting a post removes its page and updates everything that listed it.
    std::fs::remove_file(&post).unwrap();
    let removed = session.render().unwrap();
    assert!(!removed.outputs.contains("posts/post-00042/index.html"));
    assert!(
        removed.warnings.iter().any(
            |w| w.problem == bucketpress::error::Problem::DeadLink("/posts/post-00042/".into())
        ),
        "{:?}",
        removed.warnings
    );
    assert_same(
        &removed.outputs,
        &render_site(corpus.path(), &opts).unwrap().outputs,
    );
}

#[test]
fn a_broken_edit_fails_and_the_fix_recovers() {
    let site = support::example_site();
    let mut session = Session::new(site.path(), BuildOptions::default());
    session.render().unwrap();
    let post = site.path().join("content/posts/tomato-season.md");
    edit(&post, "date: 2025-08-14", "date: someday");
    let errors = session.render().unwrap_err();
    assert_eq!(errors.0.len(), 1);
    assert!(
        errors.0[0].to_string().contains("tomato-season.md:3: date"),
        "{}",
        errors
    );
    edit(&post, "date: someday", "date: 2025-08-14");
    let fixed = session.render().unwrap();
    assert_same(
        &fixed.outputs,
        &render_site(site.path(), &BuildOptions::default())
            .unwrap()
            .outputs,
    );
}

#[test]
fn render_changed_reads_only_the_named_files_and_reloads_what_they_affect() {
    let site = support::example_site();
    let opts = BuildOptions::default();
    let mut session = Session::new(site.path(), opts.clone());
    session.render().unwrap();
    let page = |outputs: &Outputs, key: &str| {
        String::from_utf8(outputs.get(key).unwrap().body.read_all().unwrap()).unwrap()
    };
    let named = "content/posts/tomato-season.md";
    let unnamed = site.path().join("content/posts/kyoto-notes.md");
    let before_unnamed = std::fs::read_to_string(&unnamed).unwrap();

    // Two posts edited, only one named: the named edit shows, the other file is not even
    // looked at (that is the point: a watcher's change list saves stat-ing every file).
    edit(
        &site.path().join(named),
        "Six plants",
        "Named edit: six plants",
    );
    let last = before_unnamed
        .trim_end()
        .lines()
        .last()
        .unwrap()
        .to_string();
    edit(&unnamed, &last, &format!("{last}\n\nUnnamed edit."));
    let fast = session.render_changed(Some(&[named.to_string()])).unwrap();
    assert!(page(&fast.outputs, "posts/tomato-season/index.html").contains("Named edit"));
    assert!(!page(&fast.outputs, "posts/kyoto-in-march/index.html").contains("Unnamed edit."));

    // Unknown changes look at everything again: equal to a fresh render.
    let full = session.render_changed(None).unwrap();
    assert!(page(&full.outputs, "posts/kyoto-in-march/index.html").contains("Unnamed edit."));
    assert_same(
        &full.outputs,
        &render_site(site.path(), &opts).unwrap().outputs,
    );

    // A new file named in the list is found (the file list is read again).
    let new_post = "content/posts/brand-new.md";
    std::fs::write(
        site.path().join(new_post),
        "---\ntitle: Brand new\ndate: 2025-09-01\n---\nFresh words.\n",
    )
    .unwrap();
    let added = session
        .render_changed(Some(&[new_post.to_string()]))
        .unwrap();
    assert!(page(&added.outputs, "posts/brand-new/index.html").contains("Fresh words."));
    assert_same(
        &added.outputs,
        &render_site(site.path(), &opts).unwrap().outputs,
    );

    // A removed file named in the list is gone.
    std::fs::remove_file(site.path().join(new_post)).unwrap();
    let removed = session
        .render_changed(Some(&[new_post.to_string()]))
        .unwrap();
    assert!(!removed.outputs.contains("posts/brand-new/index.html"));

    // A site template named in the list is read again.
    std::fs::create_dir_all(site.path().join("templates")).unwrap();
    let theme_404 = page(&removed.outputs, "404.html");
    std::fs::write(
        site.path().join("templates/404.html"),
        "{% extends \"base.html\" %}{% block content %}Lost in the garden{% endblock %}",
    )
    .unwrap();
    let templated = session
        .render_changed(Some(&["templates/404.html".to_string()]))
        .unwrap();
    assert!(!theme_404.contains("Lost in the garden"));
    assert!(page(&templated.outputs, "404.html").contains("Lost in the garden"));
    assert_same(
        &templated.outputs,
        &render_site(site.path(), &opts).unwrap().outputs,
    );

    // site.toml named: everything is read again.
    edit(
        &site.path().join("site.toml"),
        "title = \"",
        "title = \"Renamed ",
    );
    let configured = session
        .render_changed(Some(&["site.toml".to_string()]))
        .unwrap();
    assert!(configured.config.title.starts_with("Renamed "));
    assert_same(
        &configured.outputs,
        &render_site(site.path(), &opts).unwrap().outputs,
    );
}

#[test]
fn an_incremental_render_keeps_the_whole_highlight_cache() {
    let corpus = support::corpus(40, "yaml");
    // The corpus's languages are lexed, not cached; Go blocks go through tree-sitter and are.
    for n in 0..5 {
        let path = corpus.path().join(format!("content/posts/post-{n:05}.md"));
        let text = std::fs::read_to_string(&path).unwrap();
        let block = format!("\n\n```go\nfunc f{n}() int {{ return {n} }}\n```\n");
        std::fs::write(&path, text + &block).unwrap();
    }
    let cache = corpus.path().join(bucketpress::session::HIGHLIGHT_CACHE);
    let mut session = Session::new(corpus.path(), BuildOptions::default());
    session.persist_highlights();
    session.render().unwrap();
    let full = std::fs::metadata(&cache).unwrap().len();
    assert!(
        full > 1000,
        "the first render saved the cache ({full} bytes)"
    );

    // serve: one post gets a new code block; the save waits for save_highlights and then
    // keeps every block, not only the one this render asked for.
    let post = "content/posts/post-00007.md";
    let path = corpus.path().join(post);
    let text = std::fs::read_to_string(&path).unwrap();
    let last = text.trim_end().lines().last().unwrap().to_string();
    edit(
        &path,
        &last,
        &format!("{last}\n\n```go\nfunc brandNew() {{}}\n```\n"),
    );
    session.render_changed(Some(&[post.to_string()])).unwrap();
    assert_eq!(
        std::fs::metadata(&cache).unwrap().len(),
        full,
        "not written mid-edit"
    );
    session.save_highlights();
    let after = std::fs::metadata(&cache).unwrap().len();
    assert!(after > full, "cache lost blocks: {full} → {after} bytes");
}

#[test]
fn pages_rendered_by_a_failed_render_are_not_lost_by_the_next() {
    let site = support::example_site();
    let opts = BuildOptions::default();
    let mut session = Session::new(site.path(), opts.clone());
    session.render().unwrap();
    let good = site.path().join("content/posts/tomato-season.md");
    let bad = site.path().join("content/posts/kyoto-notes.md");

    // One render both re-renders a good page and fails on another (a missing template).
    edit(&good, "Six plants", "Edited plants");
    edit(
        &bad,
        "slug: kyoto-in-march",
        "slug: kyoto-in-march\ntemplate: nowhere.html",
    );
    let errors = session.render().unwrap_err();
    assert!(errors.to_string().contains("nowhere.html"), "{errors}");

    // The fix touches only the failing post: the good page the failed render made is reused,
    // and it is the edited one.
    edit(
        &bad,
        "slug: kyoto-in-march\ntemplate: nowhere.html",
        "slug: kyoto-in-march",
    );
    let fixed = session.render().unwrap();
    let page = fixed.outputs.get("posts/tomato-season/index.html").unwrap();
    let html = String::from_utf8(page.body.read_all().unwrap()).unwrap();
    assert!(html.contains("Edited plants"));
    assert_same(
        &fixed.outputs,
        &render_site(site.path(), &opts).unwrap().outputs,
    );
}

#[test]
fn a_page_dated_anew_updates_the_sitemap() {
    let site = support::example_site();
    let opts = BuildOptions::default();
    let mut session = Session::new(site.path(), opts.clone());
    let before = session.render().unwrap();
    let sitemap = |outputs: &Outputs| {
        String::from_utf8(outputs.get("sitemap.xml").unwrap().body.read_all().unwrap()).unwrap()
    };
    assert!(!sitemap(&before.outputs).contains("2026-11-30"));

    // The sitemap shows a page's last date as its lastmod.
    edit(
        &site.path().join("content/about.md"),
        "title: \"About\"",
        "title: \"About\"\nupdated: 2026-11-30",
    );
    let after = session
        .render_changed(Some(&["content/about.md".to_string()]))
        .unwrap();
    assert!(sitemap(&after.outputs).contains("2026-11-30"));
    assert_same(
        &after.outputs,
        &render_site(site.path(), &opts).unwrap().outputs,
    );
}

/// A copy of a fixture site from `tests/fixtures/` (tests edit it).
fn fixture_copy(name: &str) -> tempfile::TempDir {
    let from = support::repo().join("tests/fixtures").join(name);
    let dir = tempfile::tempdir().unwrap();
    for entry in walkdir::WalkDir::new(&from) {
        let entry = entry.unwrap();
        let to = dir.path().join(entry.path().strip_prefix(&from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
    dir
}

#[test]
fn editing_migrated_front_matter_fields_matches_a_full_render() {
    // Every field templates see since the move to Jekyll/Hugo/Zola layouts: an edit to it
    // re-renders every page showing it (pages, listings, sections, taxonomy pages, sitemap).
    let site = fixture_copy("hugo-blog");
    let opts = BuildOptions::default();
    let mut session = Session::new(site.path(), opts.clone());
    session.render().unwrap();
    let first = site.path().join("content/posts/first-post.md");
    let bundle = site.path().join("content/posts/a-bundle/index.md");
    let section = site.path().join("content/posts/_index.md");
    let home = site.path().join("content/_index.md");
    let edits: [(&std::path::Path, &str, &str); 9] = [
        (&first, "categories = [\"Life\"]", "categories = [\"Work\"]"),
        (
            &first,
            "tags = [\"hello\", \"meta\"]",
            "tags = [\"hello\"]\nauthors = [\"Kim\"]",
        ),
        (
            &first,
            "+++\nHello",
            "[params]\nmood = \"calm\"\n+++\nHello",
        ),
        (&bundle, "image: \"cover.png\"", "image: \"other.png\""),
        (
            &bundle,
            "date: 2019-07-07T07:07:07+02:00",
            "date: 2019-07-07T07:07:07+02:00\nexcerpt: A teaser",
        ),
        (&section, "title: \"All posts\"", "title: \"Every post\""),
        (&section, "Posts, newest first.", "Posts, the newest first."),
        (&home, "Welcome to my corner", "Welcome to my little corner"),
        (
            &first,
            "date = 2019-03-10T14:00:00+01:00",
            "date = 2019-03-11T14:00:00+01:00",
        ),
    ];
    for (path, from, to) in edits {
        edit(path, from, to);
        let incremental = session.render().unwrap();
        assert_same(
            &incremental.outputs,
            &render_site(site.path(), &opts).unwrap().outputs,
        );
        assert!(session.stats().pages_reused > 0, "{to}: incremental");
    }
    let last = session.render().unwrap();
    let text = |key: &str| {
        String::from_utf8(last.outputs.get(key).unwrap().body.read_all().unwrap()).unwrap()
    };
    assert!(text("posts/index.html").contains("Every post"));
    assert!(text("index.html").contains("my little corner"));
    assert!(last.outputs.contains("categories/work/index.html"));
    assert!(last.outputs.contains("authors/kim/index.html"));
    assert!(last.outputs.contains("2019/03/my-first-post/index.html"));
}

/// Every field templates see of a post (`post.*`, dumped as JSON by the site's post.html)
/// is part of the page's fingerprint: an edit to the front matter field behind it re-renders
/// the page in a session, byte for byte as a full render does. A new field of the template
/// context fails here until it has an edit below (or a reason it comes from no field).
#[test]
fn every_template_visible_front_matter_field_rerenders_its_page() {
    let post = "---\ntitle: Alpha\ndate: 2024-03-01T10:00:00Z\nupdated: 2024-03-02T10:00:00Z\n\
                tags: [one]\ncategories: [cat]\nauthors: [kim]\ndescription: First words\n\
                slug: alpha\nimage: https://example.org/cover.png\nexcerpt: A teaser\n\
                mood: calm\n---\n\n## A heading\n\nBody text with words.\n";
    let site = support::site(&[
        (
            "site.toml",
            // The JSON dump holds the contents' `#anchors` as text, not links.
            "title = \"T\"\nbase_url = \"https://example.org/\"\n[links]\ninternal = \"off\"\n",
        ),
        ("templates/post.html", "{{ post | json_encode() | safe }}"),
        ("content/posts/a.md", post),
        (
            "content/posts/b.md",
            "---\ntitle: Beta\ndate: 2024-01-01T10:00:00Z\n---\n\nOther.\n",
        ),
    ]);
    // (what templates see, the edit of the source behind it); `None`: no field of its own.
    let a = site.path().join("content/posts/a.md");
    let fields: &[(&str, Option<(&str, &str)>)] = &[
        ("title", Some(("title: Alpha", "title: Alpha two"))),
        ("url", Some(("slug: alpha", "slug: alpha-two"))),
        ("permalink", Some(("slug: alpha-two", "slug: alpha-three"))),
        ("slug", Some(("slug: alpha-three", "slug: alpha"))),
        ("date", Some(("date: 2024-03-01T", "date: 2024-03-03T"))),
        (
            "date_display",
            Some(("date: 2024-03-03T", "date: 2024-03-04T")),
        ),
        (
            "updated",
            Some(("updated: 2024-03-02T", "updated: 2024-03-05T")),
        ),
        (
            "updated_display",
            Some(("updated: 2024-03-05T", "updated: 2024-03-06T")),
        ),
        ("tags", Some(("tags: [one]", "tags: [one, two]"))),
        (
            "categories",
            Some(("categories: [cat]", "categories: [dog]")),
        ),
        ("authors", Some(("authors: [kim]", "authors: [kim, lee]"))),
        ("section", None), // the folder the file sits in
        ("image", Some(("cover.png", "other.png"))),
        ("extra", Some(("mood: calm", "mood: bright"))),
        ("description", Some(("First words", "Second words"))),
        ("summary", Some(("A teaser", "Another teaser"))),
        ("content", Some(("with words.", "with more words."))),
        ("toc", Some(("## A heading", "## The heading"))),
        (
            "heading_count",
            Some(("## The heading", "## The heading\n\n## Two")),
        ),
        ("word_count", Some(("more words.", "even more words."))),
        ("reading_minutes", None), // from word_count
        ("private", None),         // tests/integration/private.rs
        ("og_image", Some(("other.png", "third.png"))),
        ("json_ld", Some(("Alpha two", "Alpha three"))),
        ("cover", None), // `image` of a raster file of the site: tests/integration/images.rs
    ];
    let opts = BuildOptions::default();
    let mut session = Session::new(site.path(), opts.clone());
    let page_of = |outputs: &Outputs| {
        let page = outputs
            .iter()
            .find(|o| {
                let body = o.body.as_bytes().unwrap_or_default();
                body.starts_with(b"{") && !body.starts_with(b"{\"title\":\"Beta\"")
            })
            .expect("the post's page");
        (
            page.key.clone(),
            page.hash.clone(),
            page.body.read_all().unwrap(),
        )
    };
    let first = session.render().unwrap();
    let (_, _, json) = page_of(&first.outputs);
    let seen: serde_json::Value = serde_json::from_slice(&json).unwrap();
    for key in seen.as_object().unwrap().keys() {
        assert!(
            fields.iter().any(|(f, _)| f == key),
            "templates see post.{key}: add the edit of the field behind it here"
        );
    }
    let mut last = page_of(&first.outputs);
    for (field, edit_of) in fields {
        let Some((from, to)) = edit_of else { continue };
        edit(&a, from, to);
        let incremental = session.render().unwrap();
        assert_same(
            &incremental.outputs,
            &render_site(site.path(), &opts).unwrap().outputs,
        );
        let stats = session.stats();
        assert!(stats.pages_rendered >= 1, "{field}: {stats:?}");
        let now = page_of(&incremental.outputs);
        assert_ne!(now.1, last.1, "{field}: the page did not change");
        last = now;
    }
}

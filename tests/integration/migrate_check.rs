//! Moving a blog, the tools around it: `check --urls` and `check`'s full report, where a
//! post's date may come from, new front matter fields in templates and in serve's
//! incremental renders, and (ignored: CI installs the tools) the real Jekyll and Hugo
//! building the fixtures to the same URLs and dates.

use std::collections::BTreeMap;
use std::process::Command;

use bucketpress::error::Problem;
use bucketpress::pipeline::{BuildOptions, Rendered, Session, render_site};

use crate::migrate::{JEKYLL_POSTS, archived, build, fixture, key_of, shown_date};
use crate::support::{self, bin, text};

#[test]
fn check_urls_reports_every_old_url_that_no_longer_answers() {
    let site = fixture("jekyll-blog");
    let dir = tempfile::tempdir().unwrap();
    // The old site's sitemap, as jekyll-sitemap writes it, with every post and page.
    let mut sitemap = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let pages = [
        "/",
        "/about/",
        "/contact.html",
        "/old/may/",
        "/assets/css/site.css",
    ];
    for url in JEKYLL_POSTS.iter().map(|(u, _)| *u).chain(pages) {
        sitemap.push_str(&format!(
            "<url><loc>https://news.example.org{url}</loc></url>\n"
        ));
    }
    sitemap.push_str("</urlset>\n");
    let old = dir.path().join("old-sitemap.xml");
    std::fs::write(&old, &sitemap).unwrap();
    let site_arg = site.to_str().unwrap();
    let o = bin(&["check", "--site", site_arg, "--urls", old.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("all 24 old URLs answer"), "{stderr}");

    let list = dir.path().join("old.txt");
    std::fs::write(
        &list,
        "# URLs from the old server's logs\n/about/\n/2014/05/06/welcome-to-jekyll.html\nhttps://news.example.org/feed.xml\n/valentine\n",
    )
    .unwrap();
    let o = bin(&[
        "check",
        "--site",
        site_arg,
        "--urls",
        list.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    let lost: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("no longer answer") || l.contains("answers this old URL"))
        .collect();
    assert_eq!(lost.len(), 3, "{stderr}");
    assert!(
        lost[0].contains("old.txt:3:") && lost[0].contains("/2014/05/06/welcome-to-jekyll.html")
    );
    assert!(lost[1].contains("old.txt:4:") && lost[1].contains("feed.xml"));
    assert!(lost[2].contains("2 of 4 old URLs no longer answer"));
}

#[test]
fn check_reports_every_problem_of_every_file_sorted() {
    let site = support::site(&[
        (
            "content/posts/a.md",
            "---\ntitle: A\ndate: soon\nslug: \"a/b\"\ntags: [\"!!\"]\n---\n",
        ),
        ("content/posts/b.md", "---\ndate: 2024-01-01\n---\n"),
        (
            "content/posts/c.md",
            "---\ntitle: C\ndate: 2024-01-01\n---\n[y](a.md) [z](@/posts/nope.md)\n",
        ),
        (
            "content/posts/d.md",
            "---\ntitle: D\ndate: 2024-01-01\nslug: c\n---\n",
        ),
    ]);
    let o = bin(&["check", "--site", site.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.find("content/posts/").map(|i| &l[i..]))
        .collect();
    // a.md's three field problems; b.md's missing title; c.md's broken link (its link to
    // a.md, which failed, is not reported again); d.md claims c.md's URL.
    assert_eq!(lines.len(), 6, "{stderr}");
    assert!(
        lines[0].starts_with("content/posts/a.md:3: date:"),
        "{stderr}"
    );
    assert!(
        lines[1].starts_with("content/posts/a.md:4: slug:"),
        "{stderr}"
    );
    assert!(
        lines[2].starts_with("content/posts/a.md:5: tags:"),
        "{stderr}"
    );
    assert!(
        lines[3].starts_with("content/posts/b.md:2: title:"),
        "{stderr}"
    );
    assert!(
        lines[4].starts_with("content/posts/c.md:5: link to \"@/posts/nope.md\""),
        "{stderr}"
    );
    assert!(
        lines[5].starts_with("content/posts/d.md: URL /posts/c/"),
        "{stderr}"
    );
    // build stops after the documents' own problems, as it always did.
    let o = bin(&["build", "--site", site.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("nope.md"));
}

#[test]
fn a_post_with_no_date_anywhere_says_where_dates_come_from() {
    let site = support::site(&[("content/posts/undated.md", "---\ntitle: U\n---\n")]);
    let errors = render_site(site.path(), &BuildOptions::default())
        .unwrap_err()
        .0;
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].problem, Problem::Missing("date"));
    let message = errors[0].to_string();
    for source in ["`date`", "publishDate", "2014-05-06-title.md", "`path`"] {
        assert!(message.contains(source), "{message}");
    }
}

#[test]
fn new_front_matter_fields_reach_templates_and_rerender_on_edit() {
    let site = support::site(&[
        (
            "content/posts/a.md",
            "---\ntitle: A\ndate: 2024-01-01\ncategories: [Cats]\nauthor: Ann Lee\nimage: /a.png\nmood: calm\nparams:\n  color: red\n---\nBody.\n",
        ),
        (
            "templates/post.html",
            "{{ post.extra.mood }}|{{ post.extra.color }}|{{ post.image | safe }}|{{ post.categories.0.url | safe }}|{{ post.authors.0.name }}|{{ post.section }}\n",
        ),
        (
            "templates/index.html",
            "{% for p in posts %}{{ p.extra.mood }}|{{ p.image | safe }}|{{ p.categories.0.name }}{% endfor %}\n",
        ),
    ]);
    let mut session = Session::new(site.path(), BuildOptions::default());
    let first = session.render().unwrap();
    assert_eq!(
        text(&first.outputs, "posts/a/index.html"),
        "calm|red|/a.png|/categories/cats/|Ann Lee|posts\n"
    );
    assert_eq!(text(&first.outputs, "index.html"), "calm|/a.png|Cats\n");
    let post = site.path().join("content/posts/a.md");
    for (from, to, page, index) in [
        (
            "mood: calm",
            "mood: bright",
            "bright|red|/a.png|/categories/cats/|Ann Lee|posts\n",
            "bright|/a.png|Cats\n",
        ),
        (
            "image: /a.png",
            "image: /b.png",
            "bright|red|/b.png|/categories/cats/|Ann Lee|posts\n",
            "bright|/b.png|Cats\n",
        ),
        (
            "categories: [Cats]",
            "categories: [Dogs]",
            "bright|red|/b.png|/categories/dogs/|Ann Lee|posts\n",
            "bright|/b.png|Dogs\n",
        ),
    ] {
        let before = std::fs::read_to_string(&post).unwrap();
        std::fs::write(&post, before.replace(from, to)).unwrap();
        let again = session
            .render_changed(Some(&["content/posts/a.md".to_string()]))
            .unwrap();
        assert_eq!(text(&again.outputs, "posts/a/index.html"), page, "{to}");
        assert_eq!(text(&again.outputs, "index.html"), index, "{to}");
    }
    let cats = session.render().unwrap();
    assert!(cats.outputs.contains("categories/dogs/index.html"));
    assert!(!cats.outputs.contains("categories/cats/index.html"));
}

#[test]
fn a_timezone_change_in_site_toml_redates_every_post() {
    let site = support::site(&[(
        "content/posts/a.md",
        "---\ntitle: A\ndate: 2024-01-01 10:00\n---\n",
    )]);
    let mut session = Session::new(site.path(), BuildOptions::default());
    let utc = session.render().unwrap();
    assert_eq!(
        shown_date(&utc.outputs, "posts/a/index.html"),
        "2024-01-01T10:00:00+00:00"
    );
    support::write(
        site.path(),
        "site.toml",
        "title = \"T\"\nbase_url = \"https://t.example/\"\ntimezone = \"Asia/Tokyo\"\n",
    );
    let tokyo = session
        .render_changed(Some(&["site.toml".to_string()]))
        .unwrap();
    assert_eq!(
        shown_date(&tokyo.outputs, "posts/a/index.html"),
        "2024-01-01T10:00:00+09:00"
    );
    support::write(
        site.path(),
        "site.toml",
        "base_url = \"https://t.example/\"\ntimezone = \"Mars/Base\"\n",
    );
    let errors = session
        .render_changed(Some(&["site.toml".to_string()]))
        .unwrap_err()
        .0;
    assert!(matches!(errors[0].problem, Problem::Invalid { ref field, .. } if field == "timezone"));
}

/// A mover who has not yet copied `_config.yml`'s settings is told each one, at its line;
/// with the fixture's own site.toml (which carries them over) nothing is said.
#[test]
fn jekyll_config_settings_not_in_site_toml_are_each_a_warning_with_the_line_to_add() {
    let with_site_toml = build("jekyll-blog");
    let hints = |r: &Rendered| -> Vec<String> {
        r.warnings
            .iter()
            .filter(|w| matches!(w.problem, Problem::Hint(_)))
            .map(|w| w.to_string())
            .collect()
    };
    assert!(
        hints(&with_site_toml).is_empty(),
        "{:?}",
        hints(&with_site_toml)
    );

    let bare = tempfile::tempdir().unwrap();
    support::copy_dir(&fixture("jekyll-blog"), bare.path());
    support::write(
        bare.path(),
        "site.toml",
        "title = \"T\"\nbase_url = \"https://news.example.org/\"\n",
    );
    support::write(bare.path(), "tools/release.sh", "#!/bin/sh\n");
    let yml = std::fs::read_to_string(bare.path().join("_config.yml")).unwrap();
    std::fs::write(
        bare.path().join("_config.yml"),
        yml.replace("exclude:\n", "exclude:\n  - tools\n"),
    )
    .unwrap();
    let rendered = render_site(bare.path(), &BuildOptions::default()).unwrap();
    let said = hints(&rendered);
    assert_eq!(said.len(), 4, "{said:#?}");
    assert!(said[0].starts_with("_config.yml:7: ") && said[0].contains("posts = \"date\""));
    assert!(
        said[1].contains("timezone = \"America/New_York\""),
        "{}",
        said[1]
    );
    assert!(
        said[2].contains("excerpt_separator = \"<!--more-->\""),
        "{}",
        said[2]
    );
    assert!(said[3].contains("\"tools/**\""), "{}", said[3]);
    // What the hint warns about is real: without the exclude, the script is published.
    assert!(rendered.outputs.get("tools/release.sh").is_some());
}

/// A tool's list of its posts: `<url> <date>` a line (HTML escapes undone).
fn tool_list(text: &str) -> BTreeMap<String, chrono::DateTime<chrono::FixedOffset>> {
    text.lines()
        .filter_map(|l| l.trim().split_once(' '))
        .map(|(url, date)| {
            let date = date.replace("&#43;", "+");
            let date = chrono::DateTime::parse_from_rfc3339(&date)
                .unwrap_or_else(|e| panic!("{date}: {e}"));
            (url.to_string(), date)
        })
        .collect()
}

/// Runs `program` (which must be installed: CI installs it from Debian).
fn run_tool(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} must be installed (apt-get install {program}): {e}"));
    assert!(
        out.status.success(),
        "{program} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Asserts that every post the tool built is ours at the same URL with the same instant, and
/// that we built no other post.
fn assert_agree(
    tool: &str,
    theirs: &BTreeMap<String, chrono::DateTime<chrono::FixedOffset>>,
    ours: &Rendered,
) {
    let mut posts = 0;
    for (url, date) in theirs {
        let key = key_of(url);
        assert!(
            ours.outputs.contains(&key),
            "{tool} built {url}, we did not"
        );
        if date.timestamp() < 0 {
            continue; // an undated page (Hugo's zero date)
        }
        posts += 1;
        let mine = chrono::DateTime::parse_from_rfc3339(&shown_date(&ours.outputs, &key)).unwrap();
        // Jekyll's date_to_xmlschema shows whole seconds.
        assert_eq!(
            mine.timestamp(),
            date.timestamp(),
            "{tool}'s date of {url}: {mine} vs {date}"
        );
    }
    assert_eq!(
        archived(&ours.outputs),
        posts,
        "{tool} and we built as many posts"
    );
    assert!(posts >= 15, "{tool} built {posts} posts");
}

#[test]
#[ignore = "needs jekyll and hugo (CI installs them from Debian)"]
fn real_jekyll_and_hugo_agree_on_every_post_url_and_date() {
    let out = tempfile::tempdir().unwrap();
    let copy = tempfile::tempdir().unwrap();
    // The tools write caches into their sources: they build copies.
    for name in ["jekyll-blog", "hugo-blog"] {
        let to = copy.path().join(name);
        for entry in walkdir::WalkDir::new(fixture(name)) {
            let entry = entry.unwrap();
            let rel = entry.path().strip_prefix(fixture(name)).unwrap();
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(to.join(rel)).unwrap();
            } else {
                std::fs::copy(entry.path(), to.join(rel)).unwrap();
            }
        }
    }
    let jekyll_out = out.path().join("jekyll");
    run_tool(
        "jekyll",
        &[
            "build",
            "--disable-disk-cache",
            "--source",
            copy.path().join("jekyll-blog").to_str().unwrap(),
            "--destination",
            jekyll_out.to_str().unwrap(),
        ],
    );
    let theirs = tool_list(&std::fs::read_to_string(jekyll_out.join("posts.txt")).unwrap());
    assert_agree("jekyll", &theirs, &build("jekyll-blog"));

    let hugo_out = out.path().join("hugo");
    run_tool(
        "hugo",
        &[
            "--source",
            copy.path().join("hugo-blog").to_str().unwrap(),
            "--destination",
            hugo_out.to_str().unwrap(),
            "--cacheDir",
            out.path().join("hugo-cache").to_str().unwrap(),
        ],
    );
    let theirs = tool_list(&std::fs::read_to_string(hugo_out.join("index.html")).unwrap());
    assert_agree("hugo", &theirs, &build("hugo-blog"));
}

#[test]
fn jekyll_layouts_are_used_when_the_site_has_them_and_ignored_otherwise() {
    let site = support::site(&[
        (
            "_posts/2020-01-01-a.md",
            "---\nlayout: page\ntitle: A\n---\nA.\n",
        ),
        (
            "_posts/2020-01-02-b.md",
            "---\nlayout: wide\ntitle: B\n---\nB.\n",
        ),
        (
            "_posts/2020-01-03-c.md",
            "---\nlayout: default\ntitle: C\n---\nC.\n",
        ),
        ("about.md", "---\nlayout: post\ntitle: About\n---\nMe.\n"),
        ("templates/wide.html", "WIDE {{ post.title }}\n"),
    ]);
    let r = render_site(site.path(), &BuildOptions::default()).unwrap();
    assert_eq!(text(&r.outputs, "2020/01/02/b.html"), "WIDE B\n");
    for (key, title) in [
        ("2020/01/01/a.html", "A"),
        ("2020/01/03/c.html", "C"),
        ("about.html", "About"),
    ] {
        let page = text(&r.outputs, key);
        assert!(
            page.contains(&format!("<h1 class=\"post-title\">{title}</h1>")),
            "{key}: {page}"
        );
    }
}

#[test]
fn a_jekyll_post_edit_is_seen_by_the_next_build() {
    // The sources hash covers a Jekyll layout's files: an edit is never "nothing to do".
    let site = support::site(&[(
        "_posts/2020-01-01-a.md",
        "---\ntitle: A\n---\nFirst words.\n",
    )]);
    let dir = site.path().to_str().unwrap();
    let page = site.path().join("public/2020/01/01/a.html");
    assert_eq!(bin(&["build", "--site", dir]).status.code(), Some(0));
    assert!(
        std::fs::read_to_string(&page)
            .unwrap()
            .contains("First words.")
    );
    support::write(
        site.path(),
        "_posts/2020-01-01-a.md",
        "---\ntitle: A\n---\nSecond words.\n",
    );
    let o = bin(&["build", "--site", dir]);
    assert_eq!(o.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("nothing to do"));
    assert!(
        std::fs::read_to_string(&page)
            .unwrap()
            .contains("Second words.")
    );
    // An output folder inside the site (GitHub Pages' docs/) is never read back as source.
    let docs = site.path().join("docs");
    for _ in 0..2 {
        let o = bin(&["build", "--site", dir, "--out", docs.to_str().unwrap()]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert!(docs.join("2020/01/01/a.html").is_file());
    assert!(
        !docs.join("docs").exists(),
        "the output was copied into itself"
    );
    assert!(
        !docs.join("public").exists(),
        "the default output was copied"
    );
}

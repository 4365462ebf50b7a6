//! Moving a blog: fixture sites laid out as Jekyll, Hugo and Zola lay them out
//! (`tests/fixtures/*-blog/`, each with the site.toml a mover adds) build unchanged, every post
//! at the URL and with the date the old tool gave it, and no source file reaches the output.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use bucketpress::error::Problem;
use bucketpress::outputs::Outputs;
use bucketpress::pipeline::{BuildOptions, Rendered, Session, render_site};

use crate::support::{self, bin, text};

fn fixture(name: &str) -> PathBuf {
    support::repo().join("tests/fixtures").join(name)
}

fn build(name: &str) -> Rendered {
    render_site(&fixture(name), &BuildOptions::default())
        .unwrap_or_else(|e| panic!("{name} must build unchanged:\n{e}"))
}

/// The object key of a URL path: `/a/` → `a/index.html`, `/a.html` → `a.html`.
fn key_of(url: &str) -> String {
    let key = url.trim_start_matches('/');
    if key.is_empty() || key.ends_with('/') {
        format!("{key}index.html")
    } else {
        key.to_string()
    }
}

/// The publication date a post page shows (its first `<time datetime>`).
fn shown_date(outputs: &Outputs, key: &str) -> String {
    let page = text(outputs, key);
    let at = page
        .find("datetime=\"")
        .unwrap_or_else(|| panic!("{key} shows no date"));
    let rest = &page[at + 10..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// How many posts the archive lists.
fn archived(outputs: &Outputs) -> usize {
    text(outputs, "archive/index.html")
        .matches("<time datetime=")
        .count()
}

/// Asserts each post's URL and date, and that no other post was built.
fn assert_posts(r: &Rendered, posts: &[(&str, &str)]) {
    for (url, date) in posts {
        let key = key_of(url);
        assert!(r.outputs.contains(&key), "no page at {url}");
        assert_eq!(shown_date(&r.outputs, &key), *date, "date of {url}");
    }
    assert_eq!(archived(&r.outputs), posts.len(), "posts built");
}

/// Every post of the Jekyll fixture: its URL as Jekyll makes it and its date as written.
const JEKYLL_POSTS: &[(&str, &str)] = &[
    (
        "/jekyll/update/2014/05/06/welcome-to-jekyll.html",
        "2014-05-06T10:20:30-04:00",
    ),
    (
        "/2014/06/01/no-date-in-front-matter.html",
        "2014-06-01T00:00:00-04:00",
    ),
    ("/2014/07/04/utc-date.html", "2014-07-04T12:00:00+00:00"),
    (
        "/2014/08/15/fractional-seconds.html",
        "2014-08-15T09:45:47.123-07:00",
    ),
    (
        "/2014/09/30/offset-without-colon.html",
        "2014-09-30T09:45:47-04:00",
    ),
    ("/2014/10/05/local-time.html", "2014-10-05T23:30:00-04:00"),
    // 03:00 UTC on the 12th is the 11th in New York: the URL has the site's day.
    ("/2014/11/11/late-in-utc.html", "2014-11-12T03:00:00+00:00"),
    (
        "/release/news/2015/01/01/category-list.html",
        "2015-01-01T08:00:00-05:00",
    ),
    ("/valentine/", "2015-02-14T12:00:00-05:00"),
    (
        "/2015/03/03/Mixed-Case-Name.html",
        "2015-03-03T12:00:00-05:00",
    ),
    ("/2015/04/01/april-fools.html", "2015-04-01T12:00:00-04:00"),
    ("/2015/05/05/redirects.html", "2015-05-05T12:00:00-04:00"),
    (
        "/2015/06/06/excerpt-separator.html",
        "2015-06-06T12:00:00-04:00",
    ),
    (
        "/2015/06/07/excerpt-in-front-matter.html",
        "2015-06-07T12:00:00-04:00",
    ),
    (
        "/2015/07/07/author-and-image.html",
        "2015-07-07T12:00:00-04:00",
    ),
    (
        "/news/2015/09/09/in-a-news-folder.html",
        "2015-09-09T12:00:00-04:00",
    ),
    (
        "/2016/01/02/in-a-subfolder.html",
        "2016-01-02T12:00:00-05:00",
    ),
    ("/2016/02/29/leap-day.html", "2016-02-29T00:00:00-05:00"),
    (
        "/2016/03/03/title-from-the-file-name.html",
        "2016-03-03T12:00:00-05:00",
    ),
];

#[test]
fn jekyll_fixture_builds_with_every_url_and_date() {
    let r = build("jekyll-blog");
    assert_posts(&r, JEKYLL_POSTS);
    let o = &r.outputs;
    // Pages: a `permalink`, else Jekyll's `/name.html` (posts use the `date` style).
    assert!(o.contains("about/index.html") && o.contains("contact.html"));
    // Space-separated tags and categories, an author with a space in the name.
    for key in [
        "tags/intro/index.html",
        "tags/meta/index.html",
        "categories/jekyll/index.html",
        "categories/update/index.html",
        "categories/news/index.html",
        "authors/jane-doe/index.html",
    ] {
        assert!(o.contains(key), "missing {key}");
    }
    assert!(text(o, "categories/news/index.html").contains("A post in news"));
    // A title made from the file name; redirect_from; assets copied at their path.
    assert!(
        text(o, "2016/03/03/title-from-the-file-name.html")
            .contains("<h1 class=\"post-title\">Title From The File Name</h1>")
    );
    assert_eq!(
        o.get("old/may/index.html").unwrap().redirect.as_deref(),
        Some("/2015/05/05/redirects.html")
    );
    assert!(o.contains("assets/css/site.css") && o.contains("assets/img/logo.png"));
    // Excerpts: the front matter's, and the text before the site's separator.
    let listings: String = ["index.html", "page/2/index.html"]
        .iter()
        .map(|k| text(o, k))
        .collect();
    assert!(listings.contains("A <em>short</em> teaser."), "excerpt");
    assert!(listings.contains("This is the excerpt."));
    assert!(!listings.contains("kept out of listings"), "separator");
    // published: false, and the draft, are not built.
    assert!(
        !o.iter()
            .any(|out| out.key.contains("unpublished") || out.key.contains("draft"))
    );
    // The Liquid pages are named, not copied; the project's files are not the site's.
    let left_out: Vec<String> = r
        .warnings
        .iter()
        .filter(|w| matches!(w.problem, Problem::NotBuilt(_)))
        .map(|w| w.path.to_string_lossy().into_owned())
        .collect();
    assert_eq!(left_out, ["index.html", "posts.txt"]);
    for key in [
        "posts.txt",
        "README.md",
        "Gemfile",
        "_config.yml",
        "site.toml",
    ] {
        assert!(!o.contains(key), "{key} published");
    }
}

/// Every post of the Hugo fixture, with Hugo's URL and date.
const HUGO_POSTS: &[(&str, &str)] = &[
    ("/2019/03/my-first-post/", "2019-03-10T14:00:00+01:00"),
    (
        "/2019/04/dated-by-its-file-name/",
        "2019-04-01T00:00:00+02:00",
    ),
    (
        "/2019/05/a-local-date-and-time/",
        "2019-05-05T10:00:00+02:00",
    ),
    ("/2019/06/only-a-day/", "2019-06-06T00:00:00+02:00"),
    ("/2019/07/a-page-bundle/", "2019-07-07T07:07:07+02:00"),
    ("/special/place/", "2019-07-20T12:00:00+02:00"),
    ("/2019/07/title-decides-here/", "2019-07-21T12:00:00+02:00"),
    (
        "/2019/08/dated-by-publishdate/",
        "2019-08-01T09:00:00+02:00",
    ),
    (
        "/2019/08/a-post-in-a-sub-folder/",
        "2019-08-15T18:30:00+02:00",
    ),
    (
        "/2019/09/offset-without-colon/",
        "2019-09-09T09:09:09-07:00",
    ),
    ("/2019/10/space-and-z/", "2019-10-10T10:10:10+00:00"),
    ("/2019/11/an-rfc-1123-date/", "2019-11-11T11:11:11+01:00"),
    ("/2019/12/hello-world-rust-go/", "2019-12-01T12:00:00+01:00"),
    ("/2020/01/an-old-.mdown-file/", "2020-01-05T12:00:00+01:00"),
    ("/2020/02/moved-with-aliases/", "2020-02-02T12:00:00+01:00"),
    ("/2020/03/updated-later/", "2020-03-03T12:00:00+01:00"),
    ("/2020/05/a-summary-divider/", "2020-05-05T12:00:00+02:00"),
    ("/2020/06/a-toml-local-date/", "2020-06-06T00:00:00+02:00"),
    ("/notes/a-note/", "2020-07-07T12:00:00+02:00"),
    ("/notes/my-slug/", "2020-07-08T12:00:00+02:00"),
];

#[test]
fn hugo_fixture_builds_with_every_url_and_date() {
    let r = build("hugo-blog");
    assert_posts(&r, HUGO_POSTS);
    let o = &r.outputs;
    assert!(o.contains("about-me/index.html"), "a page's url");
    assert!(
        o.contains("2019/07/a-page-bundle/cover.png"),
        "bundle asset"
    );
    assert!(o.contains("old/moved/index.html"), "alias");
    assert!(o.contains("categories/travel/index.html"));
    // Sections: _index.md gives the listing its title and text, paginated like Hugo's.
    let posts = text(o, "posts/index.html");
    assert!(posts.contains("All posts") && posts.contains("Posts, newest first."));
    assert!(posts.contains("A summary divider"), "newest first");
    assert!(o.contains("posts/page/2/index.html"));
    assert!(text(o, "notes/index.html").contains("A slugged note"));
    // The home page's text from content/_index.md.
    assert!(text(o, "index.html").contains("Welcome to my corner of the web."));
    // Hugo's <!--more--> divider.
    let listed: String = ["index.html", "page/2/index.html"]
        .iter()
        .map(|k| text(o, k))
        .collect();
    assert!(listed.contains("The summary.") && !listed.contains("The rest."));
    for gone in ["2099", "still-a-draft", "config.toml", "layouts/index.html"] {
        assert!(!o.iter().any(|out| out.key.contains(gone)), "{gone} built");
    }
}

/// Every post of the Zola fixture, with Zola's URL and the date Zola reads.
const ZOLA_POSTS: &[(&str, &str)] = &[
    ("/2014/12/12/1.0-Timeline/", "2014-12-12T00:00:00+00:00"),
    ("/2015/01/02/Another-Path/", "2015-01-02T00:00:00+00:00"),
    ("/blog/toml-datetime/", "2015-03-04T05:06:07+00:00"),
    ("/blog/toml-local-datetime/", "2015-03-05T05:06:07+00:00"),
    ("/blog/toml-date/", "2015-03-06T00:00:00+00:00"),
    ("/blog/string-date/", "2015-03-07T08:00:00+01:00"),
    ("/blog/underscore/", "2015-05-05T00:00:00+00:00"),
    ("/blog/leading-blank-line/", "2015-06-01T00:00:00+00:00"),
    ("/blog/some-bundle/", "2015-07-01T00:00:00+00:00"),
    ("/blog/2016/nested/", "2016-01-10T00:00:00+00:00"),
    ("/blog/a/same-name/", "2016-02-01T00:00:00+00:00"),
    ("/blog/b/same-name/", "2016-02-02T00:00:00+00:00"),
    ("/blog/slugged/", "2016-03-03T00:00:00+00:00"),
    ("/blog/written-in/", "2016-05-05T00:00:00+00:00"),
    ("/blog/summary/", "2016-07-07T00:00:00+00:00"),
    ("/blog/extra-params/", "2016-08-08T00:00:00+00:00"),
];

#[test]
fn zola_fixture_builds_with_every_url_and_date() {
    let r = build("zola-blog");
    assert_posts(&r, ZOLA_POSTS);
    let o = &r.outputs;
    // The section: its title and text, paginate_by = 5 over 16 posts, newest first.
    let blog = text(o, "blog/index.html");
    assert!(blog.contains("The blog") && blog.contains("Everything the team wrote"));
    assert!(blog.contains("Extra keys") && !blog.contains("The 1.0 timeline"));
    assert!(o.contains("blog/page/4/index.html") && !o.contains("blog/page/5/index.html"));
    assert!(text(o, "blog/page/4/index.html").contains("The 1.0 timeline"));
    // [taxonomies], aliases, a bundle's picture, a page without a title.
    for key in [
        "tags/roadmap/index.html",
        "categories/announcements/index.html",
        "authors/the-core-team/index.html",
        "authors/ada/index.html",
        "old-url/index.html",
        "blog/some-bundle/diagram.svg",
    ] {
        assert!(o.contains(key), "missing {key}");
    }
    assert!(
        text(o, "pages/no-title/index.html").contains("<h1 class=\"post-title\">no-title</h1>")
    );
    assert!(!o.iter().any(|out| out.key.contains("draft")));
    let warned: Vec<String> = r.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        warned
            .iter()
            .any(|w| w.starts_with("content/blog/notes.adoc: left out")),
        "{warned:?}"
    );
}

/// True for a file a build reads as a source: Markdown, other markup, or a page with front
/// matter.
fn is_source(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    let bytes = std::fs::read(path).unwrap();
    ["md", "markdown", "mdown", "mkd", "adoc", "toml", "yml"].contains(&ext)
        || bytes.starts_with(b"---\n")
        || bytes.starts_with(b"+++\n")
}

#[test]
fn no_source_file_ever_reaches_the_output() {
    let example = support::example_site();
    let sites = [
        fixture("jekyll-blog"),
        fixture("hugo-blog"),
        fixture("zola-blog"),
        example.path().to_path_buf(),
    ];
    for site in &sites {
        let r = render_site(site, &BuildOptions::default()).unwrap();
        let mut sources = 0;
        for entry in walkdir::WalkDir::new(site) {
            let entry = entry.unwrap();
            if !entry.file_type().is_file() || !is_source(entry.path()) {
                continue;
            }
            sources += 1;
            let source = std::fs::read(entry.path()).unwrap();
            let rel = entry.path().strip_prefix(site).unwrap().to_string_lossy();
            for output in r.outputs.iter() {
                let body = output.body.read_all().unwrap();
                assert!(
                    body != source,
                    "{rel} is published as {} in {}",
                    output.key,
                    site.display()
                );
            }
        }
        assert!(sources >= 5, "{} has sources", site.display());
        for output in r.outputs.iter() {
            let ext = output.key.rsplit_once('.').map_or("", |(_, e)| e);
            assert!(
                !["md", "markdown", "mdown", "mkd", "adoc", "yml", "toml"].contains(&ext),
                "{} published from {}",
                output.key,
                site.display()
            );
        }
    }
}

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
        ],
    );
    let theirs = tool_list(&std::fs::read_to_string(hugo_out.join("index.html")).unwrap());
    assert_agree("hugo", &theirs, &build("hugo-blog"));
}

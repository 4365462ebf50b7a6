//! Moving a blog: fixture sites laid out as Jekyll, Hugo and Zola lay them out
//! (`tests/fixtures/*-blog/`, each with the site.toml a mover adds) build unchanged, every post
//! at the URL and with the date the old tool gave it, and no source file reaches the output.

use std::path::{Path, PathBuf};

use bucketpress::error::Problem;
use bucketpress::outputs::Outputs;
use bucketpress::pipeline::{BuildOptions, Rendered, render_site};

use crate::support::{self, text};

pub(crate) fn fixture(name: &str) -> PathBuf {
    support::repo().join("tests/fixtures").join(name)
}

pub(crate) fn build(name: &str) -> Rendered {
    render_site(&fixture(name), &BuildOptions::default())
        .unwrap_or_else(|e| panic!("{name} must build unchanged:\n{e}"))
}

/// The object key of a URL path: `/a/` → `a/index.html`, `/a.html` → `a.html`.
pub(crate) fn key_of(url: &str) -> String {
    let key = url.trim_start_matches('/');
    if key.is_empty() || key.ends_with('/') {
        format!("{key}index.html")
    } else {
        key.to_string()
    }
}

/// The publication date a post page shows (its first `<time datetime>`).
pub(crate) fn shown_date(outputs: &Outputs, key: &str) -> String {
    let page = text(outputs, key);
    let at = page
        .find("datetime=\"")
        .unwrap_or_else(|| panic!("{key} shows no date"));
    let rest = &page[at + 10..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// How many posts the archive lists.
pub(crate) fn archived(outputs: &Outputs) -> usize {
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
pub(crate) const JEKYLL_POSTS: &[(&str, &str)] = &[
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
    // A section of pages lists its pages.
    let projects = text(o, "projects/index.html");
    assert!(projects.contains("Things I made.") && projects.contains("A small tool"));
    assert!(o.contains("projects/tool/index.html"));
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

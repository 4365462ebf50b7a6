//! Shortcodes and Liquid in posts (issue #18): the migrated fixtures render them as HTML, the
//! built-ins' HTML is pinned by a snapshot, unknown ones are errors at file:line (reported by
//! `check` with every other problem) or, lenient, warnings with the source marked, and
//! `serve` renders a post again when a shortcode template it uses changes.

use std::path::Path;

use bucketpress::error::Problem;
use bucketpress::pipeline::{BuildOptions, Session, render_site};
use bucketpress::shortcodes::ShortcodeError;

use crate::migrate::build;
use crate::support::{self, bin, text};

/// The rendered Markdown of a page: what its `<div class="content">` holds.
fn content(page: &str) -> &str {
    let start = page.find("<div class=\"content\">").expect("a content div") + 21;
    let end = start + page[start..].find("</article>").expect("an article end");
    page[start..end]
        .trim_end()
        .trim_end_matches("</div>")
        .trim()
}

/// No tag reaches the page outside `<code>`: every `{{`/`{%` left is inside code.
fn assert_no_raw_tags(page: &str) {
    let mut rest = page;
    while let Some(i) = rest.find("<code") {
        let before = &rest[..i];
        assert!(
            !before.contains("{{") && !before.contains("{%"),
            "a raw tag outside code: {before}"
        );
        rest = &rest[i + rest[i..].find("</code>").unwrap_or(0)..];
        rest = &rest[rest.find('>').map_or(rest.len(), |j| j + 1)..];
    }
}

#[test]
fn hugo_fixture_shortcodes_render_as_html() {
    let r = build("hugo-blog");
    let page = text(&r.outputs, "2019/03/my-first-post/index.html");
    let html = content(&page);
    for expected in [
        "<iframe src=\"https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ\"",
        "<figcaption>Where it <em>happens</em></figcaption>",
        "<a href=\"/notes/a-note/\">the note</a>",
        "<a href=\"https://blog.example.net/projects/tool/\">the tool</a>",
        "Today’s mood: sunny.",
        "data-lang=\"go\"",
        "<div class=\"notice notice-tip\">\n<p>Shortcodes may hold <strong>Markdown</strong>",
        "<a href=\"https://gist.github.com/spf13/7896402\">",
        "<a href=\"https://x.com/SanDiegoZoo/status/1453110110599868418\">",
        // Escapes in prose and in code come out as the tag, code otherwise as written.
        "<code>{{&lt; youtube ID &gt;}}</code>",
        "{{&lt; youtube dQw4w9WgXcQ &gt;}}\n{{&lt; kept-as-written &gt;}}",
    ] {
        assert!(html.contains(expected), "missing {expected:?} in:\n{html}");
    }
    assert_no_raw_tags(html);
}

#[test]
fn jekyll_fixture_liquid_renders_as_html() {
    let r = build("jekyll-blog");
    let page = text(
        &r.outputs,
        "jekyll/update/2014/05/06/welcome-to-jekyll.html",
    );
    let html = content(&page);
    for expected in [
        "data-lang=\"ruby\"",
        "<a href=\"/2016/02/29/leap-day.html\">leap day post</a>",
        "<a href=\"/about/\">about page</a>",
        "The feed is at https://news.example.org/feed.xml.",
        // `{{ site.baseurl }}/assets/logo.png` is found and served as a processed picture.
        "<picture><source type=\"image/webp\" srcset=\"/img/logo.",
        "alt=\"Logo\" width=\"32\" height=\"32\"",
        "<p>Liquid such as {{ page.title }} is shown as written.</p>",
        "<p>Posted on May 6, 2014 to Jekyll News.</p>",
        "<footer>Jekyll News</footer>",
    ] {
        assert!(html.contains(expected), "missing {expected:?} in:\n{html}");
    }
    assert!(
        !html.contains("Remember to update"),
        "a comment shows:\n{html}"
    );
}

#[test]
fn zola_fixture_shortcodes_nest_with_markdown_bodies() {
    let r = build("zola-blog");
    let key = r
        .outputs
        .iter()
        .find(|o| o.key.ends_with("index.html") && text(&r.outputs, &o.key).contains("admonition"))
        .map(|o| o.key.clone())
        .expect("the summary post");
    let page = text(&r.outputs, &key);
    let html = content(&page);
    assert!(
        html.contains("<div class=\"admonition warning\">\n<p>Back up <strong>first</strong>."),
        "{html}"
    );
    assert!(
        html.contains("<div class=\"video video-vimeo\">\n<iframe src=\"https://player.vimeo.com/video/76979871?dnt=1\""),
        "the nested shortcode renders inside the body:\n{html}"
    );
    assert!(html.contains("title=\"The talk\""), "{html}");
    assert!(
        html.contains("<code>{{ youtube(id=\"…\") }}</code>"),
        "{html}"
    );
}

/// A post calling every built-in, with `base_url` under a path.
const BUILTINS_POST: &str = r#"---
title: Built-ins
date: 2024-05-01
mood: calm
---
{{< youtube id="dQw4w9WgXcQ" title="A talk" start=30 >}}

{{< vimeo 76979871 >}}

{{< figure src="/img/a.jpg" alt="A" caption="The *caption*" title="Title" link="https://ex.org/" width=640 height=480 class="wide" >}}

{{< gist spf13 7896402 "img.html" >}}

{{< x user="SanDiegoZoo" id="1453110110599868418" >}}

{{< tweet 1453110110599868418 >}}

[ref]({{< ref "other.md#part" >}}) [relref]({{< relref "posts/other" >}}) {{< param mood >}} {{< param github >}}

{{< highlight rust >}}
fn main() {}
{{< /highlight >}}
"#;

#[test]
fn builtins_html_matches_the_snapshot() {
    let site = support::site(&[
        (
            "site.toml",
            "title = \"T\"\nbase_url = \"https://t.example/blog/\"\n[extra]\ngithub = \"me\"\n",
        ),
        ("content/posts/builtins.md", BUILTINS_POST),
        (
            "content/posts/other.md",
            "---\ntitle: Other\ndate: 2024-04-01\n---\n## Part\n",
        ),
    ]);
    // The figure's image exists (the link check would refuse a missing one).
    let img = site.path().join("static/img/a.jpg");
    std::fs::create_dir_all(img.parent().unwrap()).unwrap();
    std::fs::copy(
        support::repo().join("tests/fixtures/hugo-blog/static/img/desk.jpg"),
        &img,
    )
    .unwrap();
    let r = render_site(site.path(), &BuildOptions::default()).unwrap();
    let page = text(&r.outputs, "posts/builtins/index.html");
    let html = content(&page);
    let snapshot = support::repo().join("tests/fixtures/shortcodes/builtins.html");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(snapshot.parent().unwrap()).unwrap();
        std::fs::write(&snapshot, format!("{html}\n")).unwrap();
    }
    let expected =
        std::fs::read_to_string(&snapshot).expect("the snapshot (UPDATE_SNAPSHOTS=1 writes it)");
    assert_eq!(
        html,
        expected.trim_end(),
        "the built-ins' HTML changed (UPDATE_SNAPSHOTS=1 to accept)"
    );
}

/// A site whose posts hold one problem each, at known lines.
fn broken_site(extra_config: &str) -> tempfile::TempDir {
    support::site(&[
        (
            "site.toml",
            &format!("title = \"T\"\nbase_url = \"https://t.example/\"\n{extra_config}"),
        ),
        (
            "content/posts/a.md",
            "---\ntitle: A\ndate: 2024-01-01\n---\nIntro.\n\n{{< gallery dir=\"x\" >}}\n\n```\n{{< gallery >}} is fine in code\n```\n",
        ),
        (
            "content/posts/b.md",
            "---\ntitle: B\ndate: 2024-01-02\n---\nBy {{ site.twitter }}.\n\nSee {{< ref \"missing.md\" >}} and [x](nope.md).\n",
        ),
    ])
}

#[test]
fn unknown_shortcodes_tags_and_variables_are_errors_at_file_and_line() {
    let site = broken_site("");
    let errors = render_site(site.path(), &BuildOptions::default())
        .unwrap_err()
        .0;
    let found: Vec<(&Path, Option<usize>, &Problem)> = errors
        .iter()
        .map(|d| (d.path.as_path(), d.line, &d.problem))
        .collect();
    assert_eq!(found.len(), 4, "{errors:?}");
    assert_eq!(
        found[0],
        (
            Path::new("content/posts/a.md"),
            Some(7),
            &Problem::Shortcode(ShortcodeError::UnknownShortcode("gallery".into()))
        )
    );
    assert!(matches!(
        found[1],
        (
            _,
            Some(5),
            Problem::Shortcode(ShortcodeError::UnknownVariable { .. })
        )
    ));
    assert!(matches!(
        found[2],
        (
            _,
            Some(7),
            Problem::Shortcode(ShortcodeError::BrokenRef { .. })
        )
    ));
    // The Markdown link after the shortcode keeps its own line.
    assert_eq!(found[3].1, Some(7));
    assert!(matches!(found[3].2, Problem::BrokenLink(_)), "{errors:?}");
    assert_eq!(
        errors[0].to_string(),
        "content/posts/a.md:7: no template for shortcode `gallery`: add templates/shortcodes/gallery.html"
    );
}

#[test]
fn check_reports_shortcode_errors_with_every_other_problem() {
    let site = broken_site("");
    support::write(
        site.path(),
        "content/posts/c.md",
        "---\ntitle: C\ndate: someday\n---\n{% if x %}\n",
    );
    let o = bin(&["check", "--site", site.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    for expected in [
        "content/posts/a.md:7: no template for shortcode `gallery`: add templates/shortcodes/gallery.html",
        "content/posts/b.md:5: unknown variable `site.twitter`: add `twitter = …` under [extra] in site.toml",
        "content/posts/b.md:7: ref \"missing.md\": no such post or page",
        "content/posts/c.md:3: date:",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
}

#[test]
fn lenient_mode_warns_and_marks_the_source_on_the_page() {
    let site = broken_site("");
    support::write(
        site.path(),
        "content/posts/b.md",
        "---\ntitle: B\ndate: 2024-01-02\n---\nBy {{ site.twitter }}.\n",
    );
    let out = tempfile::tempdir().unwrap();
    let o = bin(&[
        "build",
        "--lenient",
        "--site",
        site.path().to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: content/posts/a.md:7: no template for shortcode `gallery`"),
        "{stderr}"
    );
    let page = std::fs::read_to_string(out.path().join("posts/a/index.html")).unwrap();
    assert!(
        page.contains(
            "<mark class=\"unrendered\" title=\"not rendered: no template for shortcode `gallery`"
        ),
        "{page}"
    );
    assert!(
        page.contains("{{&lt; gallery dir=\"x\" &gt;}}</mark>"),
        "{page}"
    );

    // The same from site.toml.
    let site = broken_site("[content]\nlenient = true\n");
    support::write(
        site.path(),
        "content/posts/b.md",
        "---\ntitle: B\ndate: 2024-01-02\n---\nBy {{ site.twitter }}.\n",
    );
    let r = render_site(site.path(), &BuildOptions::default()).unwrap();
    let warned: Vec<(String, Option<usize>)> = r
        .warnings
        .iter()
        .filter(|w| matches!(w.problem, Problem::Shortcode(_)))
        .map(|w| (w.path.display().to_string(), w.line))
        .collect();
    assert_eq!(
        warned,
        [
            ("content/posts/a.md".to_string(), Some(7)),
            ("content/posts/b.md".to_string(), Some(5))
        ]
    );
}

#[test]
fn a_shortcode_template_or_include_edit_rerenders_the_posts_using_it() {
    let site = support::site(&[
        (
            "templates/shortcodes/note.html",
            "<div class=\"note\">v1 {{ body | safe }}</div>",
        ),
        ("_includes/sig.html", "<p>sig v1</p>"),
        (
            "content/posts/uses.md",
            "---\ntitle: U\ndate: 2024-01-01\n---\n{{< note >}}hi{{< /note >}}\n",
        ),
        (
            "content/posts/includes.md",
            "---\ntitle: I\ndate: 2024-01-02\n---\n{% include sig.html %}\n",
        ),
        (
            "content/posts/plain.md",
            "---\ntitle: P\ndate: 2024-01-03\n---\nNo shortcode.\n",
        ),
    ]);
    let mut session = Session::new(site.path(), BuildOptions::default());
    session.render().unwrap();

    support::write(
        site.path(),
        "templates/shortcodes/note.html",
        "<div class=\"note\">v2 {{ body | safe }}</div>",
    );
    let r = session
        .render_changed(Some(&["templates/shortcodes/note.html".to_string()]))
        .unwrap();
    assert!(text(&r.outputs, "posts/uses/index.html").contains("<div class=\"note\">v2 hi</div>"));
    let stats = session.stats();
    // Both posts that expanded something depend on the shortcode templates and includes;
    // the plain post is reused.
    assert_eq!(
        (stats.markdown_rendered, stats.markdown_reused),
        (2, 1),
        "{stats:?}"
    );

    support::write(site.path(), "_includes/sig.html", "<p>sig v2</p>");
    let r = session
        .render_changed(Some(&["_includes/sig.html".to_string()]))
        .unwrap();
    assert!(text(&r.outputs, "posts/includes/index.html").contains("<p>sig v2</p>"));
    assert_eq!(session.stats().markdown_reused, 1);
}

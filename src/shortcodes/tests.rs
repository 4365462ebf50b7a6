//! Expansion end to end on inline bodies: each syntax, escapes, code, nesting, errors.

use serde_json::json;

use super::*;

fn templates() -> Templates {
    let sources: Vec<(String, String)> = vec![
        (
            "shortcodes/note.html".into(),
            "<div class=\"note\" data-nth=\"{{ nth }}\">{{ body | markdown | safe }}</div>".into(),
        ),
        (
            "shortcodes/quote.html".into(),
            "<blockquote>{{ body | safe }}<cite>{{ author }}</cite></blockquote>".into(),
        ),
        (
            "shortcodes/pos.html".into(),
            "[{{ args.0 }}|{{ args.1 }}|{{ k }}]".into(),
        ),
    ];
    let theme = crate::templates::Templates::from_sources(sources).expect("templates parse");
    let mut includes = std::collections::BTreeMap::new();
    includes.insert(
        "box.html".to_string(),
        "<aside>{{ include.text }} on {{ site.title }}</aside>".to_string(),
    );
    theme.with_includes(includes)
}

struct Fixture {
    templates: Templates,
    site: serde_json::Value,
    page: serde_json::Value,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            templates: templates(),
            site: json!({"title": "Bench", "base_url": "https://ex.org/blog/", "url": "https://ex.org/blog",
                "baseurl": "/blog", "base_path": "/blog/", "extra": {"github": "me"}, "github": "me"}),
            page: json!({"title": "Hello", "url": "/blog/posts/hello/", "extra": {"mood": "calm"}, "mood": "calm"}),
        }
    }

    fn expand(&self, body: &str, lenient: bool) -> (String, Vec<(usize, ShortcodeError)>, usize) {
        let href = |path: &str| match path {
            "content/posts/other.md" => Some("/blog/posts/other/".to_string()),
            "_posts/2016-01-02-new-year.md" => Some("/blog/2016/01/02/new-year.html".to_string()),
            _ => None,
        };
        let docs = ["content/posts/other.md", "_posts/2016-01-02-new-year.md"];
        let env = Env {
            templates: &self.templates,
            site: &self.site,
            page: &self.page,
            path: "content/posts/hello.md",
            docs: &docs,
            href: &href,
            lenient,
        };
        let e = expand(body, 10, &env);
        let problems = if lenient { e.warnings } else { e.errors };
        (e.text.into_owned(), problems, usize::from(e.used))
    }

    fn ok(&self, body: &str) -> String {
        let (text, errors, _) = self.expand(body, false);
        assert!(errors.is_empty(), "{errors:?}");
        text
    }
}

#[test]
fn a_body_without_tags_is_borrowed_untouched() {
    let f = Fixture::new();
    let href = |_: &str| None;
    let env = Env {
        templates: &f.templates,
        site: &f.site,
        page: &f.page,
        path: "x.md",
        docs: &[],
        href: &href,
        lenient: false,
    };
    let body = "Plain { text } with {braces} and } {.\n";
    let e = expand(body, 1, &env);
    assert!(matches!(e.text, std::borrow::Cow::Borrowed(_)));
    assert!(!e.used);
}

#[test]
fn zola_inline_and_body_forms_with_positional_and_named_args() {
    let f = Fixture::new();
    assert_eq!(f.ok("a {{ pos(\"x\", 2, k=true) }} b"), "a [x|2|true] b");
    assert_eq!(
        f.ok("{% quote(author=\"Ann\") %}Said *this*.{% end %}"),
        "<blockquote>Said *this*.<cite>Ann</cite></blockquote>"
    );
}

#[test]
fn hugo_forms_nested_with_markdown_bodies() {
    let f = Fixture::new();
    let text =
        f.ok("{{% note %}}\n**bold** {{< pos a b k=\"v\" >}}\n{{% /note %}}\n\n{{< note />}}");
    assert!(
        text.starts_with("<div class=\"note\" data-nth=\"1\"><p><strong>bold</strong> [a|b|v]</p>"),
        "{text}"
    );
    assert!(
        text.contains("<div class=\"note\" data-nth=\"2\"></div>"),
        "{text}"
    );
    // Zola bodies nest, each `{% end %}` closing the innermost.
    let text = f.ok("{% quote(author=\"A\") %}x {% quote(author=\"B\") %}y{% end %} z{% end %}");
    assert_eq!(
        text,
        "<blockquote>x <blockquote>y<cite>B</cite></blockquote> z<cite>A</cite></blockquote>"
    );
}

#[test]
fn liquid_tags_variables_and_includes() {
    let f = Fixture::new();
    assert_eq!(
        f.ok("![a]({{ site.baseurl }}/img/a.png) {{ \"/x/\" | relative_url }} {{ page.mood }}"),
        "![a](/blog/img/a.png) /blog/x/ calm"
    );
    assert_eq!(
        f.ok("[n]({% post_url 2016-01-02-new-year %}) [o]({% link content/posts/other.md %})"),
        "[n](/blog/2016/01/02/new-year.html) [o](/blog/posts/other/)"
    );
    assert_eq!(
        f.ok("{% include box.html text=\"Hi\" %}{% comment %}gone {{ x }}{% endcomment %}"),
        "<aside>Hi on Bench</aside>"
    );
    assert_eq!(
        f.ok("{% raw %}{{ site.nope }}{% endraw %}"),
        "{{ site.nope }}"
    );
    assert_eq!(
        f.ok("Run:\n{% highlight ruby linenos %}\nputs 1\n{% endhighlight %}\n"),
        "Run:\n```ruby\nputs 1\n```\n"
    );
}

#[test]
fn code_is_left_as_written_but_escapes_work_everywhere() {
    let f = Fixture::new();
    let body = "`{{< nope >}}` and\n\n```\n{{ site.nope }} {{</* youtube x */>}}\n```\n\n    {% nope %}\n\nProse {{</* youtube x */>}} {{/* f() */}}\n";
    assert_eq!(
        f.ok(body),
        "`{{< nope >}}` and\n\n```\n{{ site.nope }} {{< youtube x >}}\n```\n\n    {% nope %}\n\nProse {{< youtube x >}} {{ f() }}\n"
    );
}

#[test]
fn unknown_things_are_errors_at_their_lines() {
    let f = Fixture::new();
    let body = "one\n{{ gallery() }}\n\n{{< tweetz 1 >}} {% if x %}\n{{ site.twitter }}\n{% quote(author=\"a\") %}never closed\n";
    let (_, errors, _) = f.expand(body, false);
    let found: Vec<(usize, &ShortcodeError)> = errors.iter().map(|(l, e)| (*l, e)).collect();
    assert_eq!(found.len(), 5, "{errors:?}");
    assert_eq!(
        found[0],
        (11, &ShortcodeError::UnknownShortcode("gallery".into()))
    );
    assert_eq!(
        found[1],
        (13, &ShortcodeError::UnknownShortcode("tweetz".into()))
    );
    assert_eq!(found[2], (13, &ShortcodeError::UnknownTag("if".into())));
    assert!(matches!(
        found[3],
        (14, ShortcodeError::UnknownVariable { .. })
    ));
    assert!(matches!(found[4], (15, ShortcodeError::Unclosed { .. })));
    assert_eq!(
        errors[0].1.to_string(),
        "no template for shortcode `gallery`: add templates/shortcodes/gallery.html"
    );
}

#[test]
fn lenient_mode_marks_the_source_and_warns() {
    let f = Fixture::new();
    let (text, warnings, _) = f.expand("See {{< gallery dir=\"x\" >}} here.", true);
    assert_eq!(
        warnings,
        vec![(10, ShortcodeError::UnknownShortcode("gallery".into()))]
    );
    assert!(text.starts_with("See <mark class=\"unrendered\""), "{text}");
    assert!(text.ends_with("</mark> here."), "{text}");
}

#[test]
fn line_map_points_back_at_source_lines() {
    let f = Fixture::new();
    let href = |_: &str| None;
    let env = Env {
        templates: &f.templates,
        site: &f.site,
        page: &f.page,
        path: "x.md",
        docs: &[],
        href: &href,
        lenient: false,
    };
    // Three source lines of Liquid become one line of code fence... and one of text after.
    let e = expand(
        "{% comment %}\na\nb\n{% endcomment %}after\n[x](y.md)\n",
        5,
        &env,
    );
    assert_eq!(e.text, "after\n[x](y.md)\n");
    assert_eq!(e.lines.source_line(5, 5), 8);
    assert_eq!(e.lines.source_line(6, 5), 9);
}

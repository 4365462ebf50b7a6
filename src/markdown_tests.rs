//! Tests of Markdown rendering: anchors, links, summaries, code, images.

use super::*;

fn render_str(body: &str) -> Result<Document, Vec<(usize, Problem)>> {
    let resolve = |target: &str| match target {
        "content/posts/other.md" => Some("/posts/other/".to_string()),
        "content/about.md" => Some("/about/".to_string()),
        _ => None,
    };
    render(
        Source {
            body,
            body_line: 5,
            path: "content/posts/this.md",
            base_path: "/",
        },
        &resolve,
        &Highlighter::new(),
    )
}

#[test]
fn headings_get_unique_ids_and_anchors() {
    let doc = render_str("# Why S3?\n\n## Why S3?\n\n## Custom {#mine}\n").unwrap();
    assert_eq!(doc.anchors, ["why-s3", "why-s3-1", "mine"]);
    assert!(
        doc.html
            .contains("<h1 id=\"why-s3\">Why S3? <a class=\"anchor\" href=\"#why-s3\"")
    );
    assert_eq!(doc.toc.len(), 1);
    assert_eq!(doc.toc[0].children.len(), 2);
    assert_eq!(doc.toc[0].children[1].id, "mine");
}

#[test]
fn extensions_are_on() {
    let doc = render_str(
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ \"quoted\"\n\n- [x] done\n\nNote[^1].\n\n[^1]: Foot.\n",
        )
        .unwrap();
    assert!(doc.html.contains("<table>"));
    assert!(doc.html.contains("<del>old</del>"));
    assert!(doc.html.contains("\u{201c}quoted\u{201d}"));
    assert!(doc.html.contains("type=\"checkbox\""));
    assert!(doc.html.contains("footnote"));
}

#[test]
fn raw_html_passes_through() {
    let doc = render_str("<div class=\"x\">hi</div>\n").unwrap();
    assert!(doc.html.contains("<div class=\"x\">hi</div>"));
}

#[test]
fn internal_links_resolve_both_styles() {
    let doc =
        render_str("[a](@/posts/other.md#sec) and [b](other.md) and [c](../about.md)\n").unwrap();
    assert!(doc.html.contains("href=\"/posts/other/#sec\""));
    assert!(doc.html.contains("href=\"/posts/other/\""));
    assert!(doc.html.contains("href=\"/about/\""));
    assert_eq!(doc.links.len(), 3);
    assert_eq!(doc.links[0].anchor.as_deref(), Some("sec"));
    assert_eq!(doc.links[0].line, 5);
}

#[test]
fn broken_link_reports_file_line() {
    let errors = render_str("fine\n\n[x](@/posts/missing.md)\n").unwrap_err();
    assert_eq!(
        errors,
        vec![(7, Problem::BrokenLink("@/posts/missing.md".into()))]
    );
}

#[test]
fn root_relative_links_and_images_go_under_the_base_path() {
    let source = Source {
        body: "[a](/archive/) ![i](/img/a.png) [b](//cdn.example/x) [c](https://x.org/y)\n",
        body_line: 1,
        path: "content/posts/this.md",
        base_path: "/blog/",
    };
    let doc = render(source, &|_| None, &Highlighter::new()).unwrap();
    assert!(doc.html.contains("href=\"/blog/archive/\""));
    assert!(doc.html.contains("src=\"/blog/img/a.png\""));
    assert!(doc.html.contains("href=\"//cdn.example/x\""));
    assert!(doc.html.contains("href=\"https://x.org/y\""));
}

#[test]
fn external_links_untouched() {
    let doc = render_str("[x](https://example.org/a.md) [y](/posts/z/) [z](#top)\n").unwrap();
    assert!(doc.html.contains("href=\"https://example.org/a.md\""));
    assert!(doc.html.contains("href=\"/posts/z/\""));
    assert!(doc.links.is_empty());
}

#[test]
fn summary_is_first_paragraph_or_text_before_more() {
    let doc = render_str("# T\n\nFirst para.\n\nSecond.\n").unwrap();
    assert_eq!(doc.summary, "<p>First para.</p>\n");
    let doc = render_str("One.\n\nTwo.\n\n<!-- more -->\n\nThree.\n").unwrap();
    assert!(doc.summary.contains("One.") && doc.summary.contains("Two."));
    assert!(!doc.summary.contains("Three."));
    assert!(
        !doc.summary.contains("more"),
        "the marker itself is dropped: {}",
        doc.summary
    );
}

#[test]
fn code_is_highlighted_and_not_counted_as_words() {
    let doc = render_str("Two words.\n\n```rust\nlet a = 1;\n```\n").unwrap();
    assert!(doc.html.contains("data-lang=\"rust\""));
    assert_eq!(doc.word_count, 2);
}

#[test]
fn fence_line_options_work_with_every_backend() {
    // rust: hl-lite; go: tree-sitter; ruby: syntect; nosuchlang: plain text.
    for lang in [
        "rust",
        "go {linenos=true,hl_lines=[2]}",
        "ruby",
        "nosuchlang",
    ] {
        let info = if lang.contains('{') {
            lang.to_string()
        } else {
            format!("{lang},linenos,hl_lines=2,linenostart=9")
        };
        let doc = render_str(&format!("```{info}\na\nb\nc\n```\n")).unwrap();
        assert_eq!(
            doc.html.matches("<span class=\"line").count(),
            3,
            "{}",
            doc.html
        );
        assert_eq!(
            doc.html.matches("<span class=\"line hl\">").count(),
            1,
            "{lang}"
        );
        let marked = doc.html.split("<span class=\"line hl\">").nth(1).unwrap();
        assert!(
            marked.contains("b"),
            "the second line is marked: {}",
            doc.html
        );
        assert!(doc.html.contains("class=\"code linenos"), "{}", doc.html);
    }
    let doc = render_str("```rust,linenos,linenostart=9\na\nb\n```\n").unwrap();
    assert!(doc.html.contains("data-ln=\"9\"") && doc.html.contains("data-ln=\"10\""));
}

#[test]
fn unknown_languages_are_noted_once_with_their_line() {
    let doc = render_str("```rsut\na\n```\n\n```rsut\nb\n```\n\n```text\nc\n```\n").unwrap();
    assert_eq!(doc.unknown_langs, [("rsut".to_string(), 5)]);
}

#[test]
fn bad_fence_option_is_an_error_at_its_line() {
    let errors = render_str("x\n\n```rust,hl_lines=two\na\n```\n").unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].0, 7);
    assert!(
        matches!(&errors[0].1, Problem::Invalid { field, found, .. }
                if field == "code fence option hl_lines" && found == "two"),
        "{errors:?}"
    );
}

#[test]
fn images_left_as_they_are_get_their_size_and_load_lazily() {
    let catalog = Catalog::default().with_sizes(vec![
        ("img/a.gif".into(), "static/img/a.gif".into(), (30, 20)),
        ("posts/b.svg".into(), "content/posts/b.svg".into(), (64, 48)),
    ]);
    let source = Source {
        body: "![first](/img/a.gif \"T\") ![second](b.svg) ![third](/img/unknown.gif)\n",
        body_line: 1,
        path: "content/posts/this.md",
        base_path: "/",
    };
    let doc = render_with_images(source, &|_| None, &Highlighter::new(), Some(&catalog)).unwrap();
    assert!(
            doc.html.contains(
                "<img src=\"/img/a.gif\" alt=\"first\" title=\"T\" width=\"30\" height=\"20\" decoding=\"async\">"
            ),
            "the first image loads at once: {}",
            doc.html
        );
    assert!(
            doc.html.contains(
                "<img src=\"b.svg\" alt=\"second\" width=\"64\" height=\"48\" loading=\"lazy\" decoding=\"async\">"
            ),
            "{}",
            doc.html
        );
    assert!(
        doc.html.contains(
            "<img src=\"/img/unknown.gif\" alt=\"third\" loading=\"lazy\" decoding=\"async\">"
        ),
        "no size when none is known: {}",
        doc.html
    );
}

#[test]
fn first_image_is_kept_for_og_image() {
    let doc = render_str("Text ![a](/img/one.png) ![b](two.png)\n").unwrap();
    assert_eq!(doc.first_image.as_deref(), Some("/img/one.png"));
}

#[test]
fn normalize_refuses_to_climb_out() {
    assert_eq!(
        normalize("content/posts/../about.md").as_deref(),
        Some("content/about.md")
    );
    assert_eq!(normalize("content/../../x.md"), None);
}

//! Bad input: each fixture gives one clear problem with file and line, exit code 1, and
//! nothing written.

use bucketpress::error::{Diagnostic, Problem, SyntaxFormat};
use bucketpress::pipeline::{BuildOptions, render_site};

use crate::support::{self, bin};

const OK_POST: (&str, &str) = (
    "content/posts/fine.md",
    "---\ntitle: Fine\ndate: 2024-01-01\n---\nAll good.\n",
);

/// Builds a site with `files` (plus one good post) and returns its problems.
fn problems(files: &[(&str, &str)]) -> Vec<Diagnostic> {
    let mut all = vec![OK_POST];
    all.extend_from_slice(files);
    let site = support::site(&all);
    let errors = render_site(site.path(), &BuildOptions::default())
        .expect_err("the build must fail")
        .0;
    // The binary agrees: exit 1, one line per problem, nothing written.
    let out = site.path().join("public");
    let o = bin(&["build", "--site", site.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    for e in &errors {
        assert!(
            stderr.contains(&e.to_string()),
            "{e} missing from:\n{stderr}"
        );
    }
    assert!(!out.exists(), "nothing may be written when the build fails");
    errors
}

fn one(files: &[(&str, &str)]) -> Diagnostic {
    let mut errors = problems(files);
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors.remove(0)
}

fn at(d: &Diagnostic, path: &str, line: Option<usize>) {
    assert_eq!(d.path.to_str(), Some(path), "{d}");
    assert_eq!(d.line, line, "{d}");
}

#[test]
fn malformed_yaml_front_matter() {
    let d = one(&[(
        "content/posts/a.md",
        "---\ntitle: A\ndate: 2024-01-01\ntags: [x, y\n---\n",
    )]);
    assert!(
        matches!(
            d.problem,
            Problem::Syntax {
                format: SyntaxFormat::YamlFrontMatter,
                ..
            }
        ),
        "{d}"
    );
    assert_eq!(d.path.to_str(), Some("content/posts/a.md"));
    assert!(d.line.is_some_and(|l| (4..=5).contains(&l)), "{d}");
}

#[test]
fn malformed_toml_front_matter() {
    let d = one(&[(
        "content/posts/a.md",
        "+++\ntitle = \"A\"\ndate = 2024-01-01\ntags = [\"x\"\n+++\n",
    )]);
    assert!(
        matches!(
            d.problem,
            Problem::Syntax {
                format: SyntaxFormat::TomlFrontMatter,
                ..
            }
        ),
        "{d}"
    );
    assert!(d.line.is_some_and(|l| (4..=5).contains(&l)), "{d}");
}

#[test]
fn unclosed_front_matter_fence() {
    let d = one(&[(
        "content/posts/a.md",
        "---\ntitle: A\ndate: 2024-01-01\n\nBody\n",
    )]);
    at(&d, "content/posts/a.md", Some(1));
    assert_eq!(d.problem, Problem::UnclosedFrontMatter("---"));
}

#[test]
fn missing_title_and_missing_date_both_reported() {
    let errors = problems(&[
        ("content/posts/a.md", "---\ndate: 2024-01-01\n---\n"),
        ("content/posts/b.md", "---\ntitle: B\n---\n"),
    ]);
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].problem, Problem::Missing("title"));
    assert_eq!(errors[1].problem, Problem::Missing("date"));
}

#[test]
fn impossible_date() {
    let d = one(&[(
        "content/posts/a.md",
        "---\ntitle: A\ndate: 2023-02-30\n---\n",
    )]);
    at(&d, "content/posts/a.md", Some(3));
    assert!(
        matches!(d.problem, Problem::Invalid { ref field, ref found, .. } if field == "date" && found == "2023-02-30")
    );
}

#[test]
fn non_utf8_file() {
    let site = support::site(&[OK_POST]);
    std::fs::write(
        site.path().join("content/posts/latin1.md"),
        b"---\ntitle: Caf\xe9\ndate: 2024-01-01\n---\n",
    )
    .unwrap();
    let errors = render_site(site.path(), &BuildOptions::default())
        .unwrap_err()
        .0;
    assert_eq!(errors.len(), 1);
    at(&errors[0], "content/posts/latin1.md", Some(2));
    assert_eq!(errors[0].problem, Problem::NotUtf8(14));
}

#[test]
fn empty_file() {
    let d = one(&[("content/posts/empty.md", "")]);
    assert_eq!(d.problem, Problem::Empty);
}

#[test]
fn two_posts_claiming_one_url_name_both_files() {
    let d = one(&[(
        "content/posts/other.md",
        "---\ntitle: O\ndate: 2024-01-01\nslug: fine\n---\n",
    )]);
    let message = d.to_string();
    assert!(
        message.contains("content/posts/fine.md") && message.contains("content/posts/other.md"),
        "{message}"
    );
    assert!(matches!(d.problem, Problem::DuplicateUrl { ref url, .. } if url == "/posts/fine/"));
}

#[test]
fn unsafe_slugs_and_aliases() {
    let errors = problems(&[
        (
            "content/posts/a.md",
            "---\ntitle: A\ndate: 2024-01-01\nslug: ../../etc\n---\n",
        ),
        (
            "content/posts/b.md",
            "---\ntitle: B\ndate: 2024-01-01\naliases: [\"/x/../../y/\"]\n---\n",
        ),
        (
            "content/posts/c.md",
            "---\ntitle: C\ndate: 2024-01-01\nslug: \"a b?c\"\n---\n",
        ),
    ]);
    assert_eq!(errors.len(), 3, "{errors:?}");
    at(&errors[0], "content/posts/a.md", Some(4));
    at(&errors[1], "content/posts/b.md", Some(4));
    at(&errors[2], "content/posts/c.md", Some(4));
}

#[test]
fn odd_tags_are_slugified_consistently() {
    let site = support::site(&[
        (
            "content/posts/a.md",
            "---\ntitle: A\ndate: 2024-01-01\ntags: [\"C++/Rust\", \"Web Dev\", \"Été\"]\n---\n",
        ),
        (
            "content/posts/b.md",
            "---\ntitle: B\ndate: 2024-01-02\ntags: [\"web-dev\", \"ete\"]\n---\n",
        ),
    ]);
    let r = render_site(site.path(), &BuildOptions::default()).unwrap();
    for key in [
        "tags/c-rust/index.html",
        "tags/web-dev/index.html",
        "tags/ete/index.html",
    ] {
        assert!(r.outputs.contains(key), "{key}");
    }
    let tags: Vec<&str> = r
        .outputs
        .keys()
        .filter(|k| k.starts_with("tags/") && k.ends_with("/index.html"))
        .collect();
    assert_eq!(tags.len(), 4, "three tags and the tag index: {tags:?}");
}

#[test]
fn symlink_loop_under_content() {
    let site = support::site(&[OK_POST]);
    std::fs::create_dir_all(site.path().join("content/posts/loop")).unwrap();
    std::os::unix::fs::symlink("..", site.path().join("content/posts/loop/back")).unwrap();
    let errors = render_site(site.path(), &BuildOptions::default())
        .unwrap_err()
        .0;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        matches!(errors[0].problem, Problem::SymlinkLoop { ref ancestor } if ancestor.ends_with("content/posts")),
        "{}",
        errors[0]
    );
    assert!(errors[0].path.starts_with("content/posts/loop"));
}

#[test]
fn template_syntax_error_names_template_and_line() {
    let d = one(&[(
        "templates/post.html",
        "<h1>{{ post.title }}</h1>\n{% if %}\n",
    )]);
    at(&d, "templates/post.html", Some(2));
    assert!(matches!(d.problem, Problem::Template(_)));
}

#[test]
fn template_with_unknown_variable() {
    let d = one(&[("templates/post.html", "<h1>{{ post.titel }}</h1>\n")]);
    assert_eq!(d.path.to_str(), Some("templates/post.html"));
    assert!(d.to_string().contains("titel"), "{d}");
}

#[test]
fn invalid_base_url() {
    let d = one(&[("site.toml", "title = \"T\"\nbase_url = \"not a url\"\n")]);
    at(&d, "site.toml", Some(2));
    assert!(matches!(d.problem, Problem::Invalid { ref field, .. } if field == "base_url"));
}

#[test]
fn a_50_mb_post_builds() {
    let paragraph = "Storage is cheap and the words are many. ".repeat(20) + "\n\n";
    let mut text = String::from("---\ntitle: Huge\ndate: 2024-01-01\n---\n");
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(&paragraph);
    }
    let site = support::site(&[("content/posts/huge.md", &text)]);
    let r = render_site(site.path(), &BuildOptions::default()).expect("a big post builds");
    let page = r.outputs.get("posts/huge/index.html").unwrap();
    assert!(page.body.len() > 50 * 1024 * 1024);
}

//! A writer's errors, word for word (issue #19): a template typo met on every page is one
//! line with a count and its `file:line:col`; a misspelt front-matter key warns with the
//! closest known key while other tools' keys stay silent.

use crate::support::{self, bin};

/// `n` posts, each a day apart.
fn posts(n: usize) -> Vec<(String, String)> {
    (1..=n)
        .map(|i| {
            (
                format!("content/posts/p{i:02}.md"),
                format!("---\ntitle: Post {i}\ndate: 2024-01-{i:02}\n---\nText {i}.\n"),
            )
        })
        .collect()
}

fn stderr_lines(o: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_template_typo_on_every_post_is_one_line_with_a_count() {
    let mut files = posts(25);
    files.push((
        "templates/post.html".into(),
        "<html>\n<body>\n  <h1>{{ post.titel }}</h1>\n</body>\n</html>\n".into(),
    ));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let site = support::site(&refs);
    let o = bin(&["build", "--site", site.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr_lines(&o),
        [
            "error: templates/post.html:3:10: Failed to render 'post.html' (in 25 pages, first \
             content/posts/p01.md)",
            "Variable `post.titel` not found in context while rendering 'post.html'",
            "error: 1 problem found; nothing was written",
        ]
    );
}

#[test]
fn a_template_syntax_error_keeps_the_caret_display() {
    let mut files = posts(2);
    files.push((
        "templates/post.html".into(),
        "<html>\n<h1>{{ post.title }</h1>\n</html>\n".into(),
    ));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let site = support::site(&refs);
    let o = bin(&["build", "--site", site.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let lines = stderr_lines(&o);
    assert!(
        lines[0].starts_with("error: templates/post.html:2:"),
        "{lines:#?}"
    );
    // Tera's own display: the source line and a caret under the fault, on lines of their own.
    assert!(
        lines.iter().any(|l| l == "2 | <h1>{{ post.title }</h1>"),
        "{lines:#?}"
    );
    assert!(lines.iter().any(|l| l.contains('^')), "{lines:#?}");
}

#[test]
fn a_misspelt_front_matter_key_warns_with_the_closest_known_key() {
    let site = support::site(&[
        (
            "content/posts/a.md",
            "---\ntitle: A\ndate: 2024-01-01\ntag: [rust]\nlayout: post\ncategories: [x]\n\
             author: Me\npermalink: /a/\nweight: 3\nmood: calm\n---\nText.\n",
        ),
        (
            "content/about.md",
            "+++\ntitle = \"About\"\ndescripton = \"Who\"\nslug = \"about\"\n+++\nMe.\n",
        ),
    ]);
    let o = bin(&["build", "--site", site.path().to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let warnings: Vec<String> = stderr_lines(&o)
        .into_iter()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(
        warnings,
        [
            "warning: content/about.md:3: unknown key \"descripton\" (did you mean \
             \"description\"?)",
            "warning: content/posts/a.md:4: unknown key \"tag\" (did you mean \"tags\"?)",
        ]
    );
}

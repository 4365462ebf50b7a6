//! What the binary says, as snapshots (insta): error lists, the publish plan, `--json`.
//! Sizes, times and temporary paths are masked, so a theme change does not move them; a
//! change of wording shows up as a diff to review (`cargo insta review`).

use crate::site_test::SiteTest;

/// Masks what changes from run to run or with the theme: temporary paths, sizes, times.
fn masked(run: impl FnOnce()) {
    let mut settings = insta::Settings::clone_current();
    for (pattern, replacement) in [
        (r"file:///[^\s\x22]+", "file:///[out]"),
        (r"\d+ bytes", "[n] bytes"),
        (r"\d+(\.\d+)? (KiB|MiB|B)\b", "[size]"),
        (r"in \d+\.\d+ s", "in [t] s"),
        (
            r#""(size|uploaded_bytes|unchanged_bytes|concurrency)": \d+"#,
            r#""$1": "[n]""#,
        ),
        (r#""seconds": [0-9.e-]+"#, r#""seconds": "[t]""#),
    ] {
        settings.add_filter(pattern, replacement);
    }
    settings.bind(run);
}

#[test]
fn check_lists_every_problem_once_with_file_and_line() {
    let site = SiteTest::new()
        .config("post_per_page = 3")
        .post("a", "title: A\ndate: 2024-01-01", "A.")
        .post("x", "title: X\ndate: soon", "x")
        .post("y", "title: Y\ndate: 2024-01-01\ntags: [a, b", "y")
        .file("content/posts/z.md", "+++\ntitle = \"Z\"\n+++\nz\n");
    let run = site.run(&["check"]).exits_with(1);
    masked(|| insta::assert_snapshot!(run.stderr()));
}

#[test]
fn publish_plan_names_each_key_and_why() {
    let site = SiteTest::new().post("a", "title: A\ndate: 2024-01-01", "A.");
    let out = tempfile::tempdir().unwrap();
    let to = format!("file://{}", out.path().display());
    site.run(&["publish", "--to", &to]).succeeds();
    let site = site.post("b", "title: B\ndate: 2024-02-01", "B.");
    let dry = site.run(&["publish", "--to", &to, "--dry-run"]).succeeds();
    masked(|| {
        insta::assert_snapshot!("plan_stdout", dry.stdout());
        insta::assert_snapshot!("plan_stderr", dry.stderr());
    });
    let json = site
        .run(&["publish", "--to", &to, "--dry-run", "--json"])
        .succeeds();
    let value: serde_json::Value = serde_json::from_str(&json.stdout()).expect("one JSON object");
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    masked(|| insta::assert_snapshot!("plan_json", pretty));
}

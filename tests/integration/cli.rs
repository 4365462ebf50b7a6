//! The binary: exit codes, messages, and what lands on disk.

use crate::support::{self, bin};

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn build_writes_the_site_and_rebuild_writes_nothing_new() {
    let site = support::example_site();
    let out = site.path().join("out");
    let args = [
        "build",
        "--site",
        site.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let first = bin(&args);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(out.join("posts/why-a-bucket/index.html").is_file());
    assert!(
        !out.join("posts/winter-soups").exists(),
        "draft not written"
    );
    let second = bin(&args);
    assert!(second.status.success());
    assert!(
        stderr(&second).contains("(0 written"),
        "{}",
        stderr(&second)
    );
}

#[test]
fn content_errors_exit_1_name_file_and_line_and_write_nothing() {
    let site = support::site(&[
        (
            "content/posts/ok.md",
            "---\ntitle: Ok\ndate: 2024-01-01\n---\nfine\n",
        ),
        (
            "content/posts/x.md",
            "---\ntitle: X\ndate: soon\n---\nbody\n",
        ),
    ]);
    let out = site.path().join("public");
    let o = bin(&["build", "--site", site.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("content/posts/x.md:3: date: expected YYYY-MM-DD or RFC 3339, found \"soon\""),
        "{err}"
    );
    assert!(!out.exists(), "nothing written on error");
    let check = bin(&["check", "--site", site.path().to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(1));
}

#[test]
fn a_folder_without_a_site_says_how_to_start_one() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["build", "check"] {
        let o = bin(&[command, "--site", dir.path().to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1));
        let err = stderr(&o);
        assert!(err.contains("there is no site here"), "{err}");
        assert!(err.contains("bucketpress new"), "{err}");
        assert!(!err.contains("os error"), "{err}");
    }
}

#[test]
fn build_and_check_say_how_many_posts_they_left_out_and_why() {
    let site = support::site(&[
        (
            "content/posts/a.md",
            "---\ntitle: A\ndate: 2024-01-01\n---\nA.\n",
        ),
        (
            "content/posts/b.md",
            "---\ntitle: B\ndate: 2024-01-02\ndraft: true\n---\nB.\n",
        ),
        (
            "content/posts/c.md",
            "---\ntitle: C\ndate: 2999-01-01\n---\nC.\n",
        ),
        (
            "content/posts/d.md",
            "---\ntitle: D\ndate: 2998-01-01\n---\nD.\n",
        ),
    ]);
    let dir = site.path().to_str().unwrap();
    let out = site.path().join("out");
    let o = bin(&["build", "--site", dir, "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let said = "left out 2 posts dated in the future (--future builds them) and 1 draft (--drafts)";
    assert!(stderr(&o).contains(said), "{}", stderr(&o));
    let o = bin(&["check", "--site", dir]);
    assert!(stderr(&o).contains(said), "{}", stderr(&o));
    let o = bin(&["check", "--site", dir, "--drafts", "--future"]);
    assert!(!stderr(&o).contains("left out"), "{}", stderr(&o));
}

#[test]
fn usage_errors_exit_2() {
    let o = bin(&["build", "--no-such-flag"]);
    assert_eq!(o.status.code(), Some(2));
    let o = bin(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn unknown_config_key_warns_with_suggestion_but_builds() {
    let site = support::site(&[(
        "site.toml",
        "title = \"T\"\nbase_url = \"https://t.example/\"\npost_per_page = 3\n",
    )]);
    let o = bin(&["check", "--site", site.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "site.toml:3: unknown key \"post_per_page\" (did you mean \"posts_per_page\"?)"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn new_then_post_then_build() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("blog");
    let site_s = site.to_str().unwrap();
    assert!(bin(&["new", site_s]).status.success());
    let o = bin(&[
        "post",
        "My First Trip!",
        "--tags",
        "travel,food",
        "--site",
        site_s,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let printed = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert!(
        printed.ends_with("content/posts/my-first-trip.md"),
        "{printed}"
    );
    let text = std::fs::read_to_string(&printed).unwrap();
    assert!(
        text.contains("title: \"My First Trip!\"") && text.contains("tags: [\"travel\", \"food\"]")
    );
    let o = bin(&["build", "--site", site_s]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(site.join("public/posts/my-first-trip/index.html").is_file());
    assert!(site.join("public/tags/food/index.html").is_file());
}

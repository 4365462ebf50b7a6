//! The binary: exit codes, messages, and what lands on disk.

use crate::site_test::SiteTest;
use crate::support::bin;

#[test]
fn build_writes_the_site_and_rebuild_writes_nothing_new() {
    let site = SiteTest::example();
    let out = site.path().join("out");
    let out_s = out.to_str().unwrap();
    site.run(&["build", "--out", out_s])
        .succeeds()
        .out_dir(&out)
        .wrote("posts/why-a-bucket/index.html", "</html>")
        .did_not_write("posts/winter-soups");
    site.run(&["build", "--out", out_s])
        .succeeds()
        .says("(0 written");
}

#[test]
fn content_errors_exit_1_name_file_and_line_and_write_nothing() {
    let site = SiteTest::new()
        .post("ok", "title: Ok\ndate: 2024-01-01", "fine")
        .post("x", "title: X\ndate: soon", "body");
    site.run(&["build"])
        .exits_with(1)
        .says("content/posts/x.md:3: date: expected YYYY-MM-DD or RFC 3339, found \"soon\"")
        .wrote_nothing();
    site.run(&["check"]).exits_with(1);
}

#[test]
fn a_folder_without_a_site_says_how_to_start_one() {
    let dir = SiteTest::empty();
    for command in ["build", "check"] {
        dir.run(&[command])
            .exits_with(1)
            .says("there is no site here")
            .says("bucketpress new")
            .never_says("os error");
    }
}

#[test]
fn build_and_check_say_how_many_posts_they_left_out_and_why() {
    let site = SiteTest::new()
        .post("a", "title: A\ndate: 2024-01-01", "A.")
        .post("b", "title: B\ndate: 2024-01-02\ndraft: true", "B.")
        .post("c", "title: C\ndate: 2999-01-01", "C.")
        .post("d", "title: D\ndate: 2998-01-01", "D.");
    let said = "left out 2 posts dated in the future (--future builds them) and 1 draft (--drafts)";
    let out = site.path().join("out");
    site.run(&["build", "--out", out.to_str().unwrap()])
        .succeeds()
        .says(said);
    site.run(&["check"]).says(said);
    site.run(&["check", "--drafts", "--future"])
        .never_says("left out");
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
    SiteTest::new()
        .config("post_per_page = 3")
        .run(&["check"])
        .succeeds()
        .says("site.toml:3: unknown key \"post_per_page\" (did you mean \"posts_per_page\"?)");
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
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
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
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(site.join("public/posts/my-first-trip/index.html").is_file());
    assert!(site.join("public/tags/food/index.html").is_file());
}

//! Unit tests of the invalidation path reduction.

use super::*;

fn set(paths: &[&str]) -> BTreeSet<String> {
    paths.iter().map(|p| p.to_string()).collect()
}

fn limits(group: usize, max_paths: usize, max_wildcards: usize) -> Limits {
    Limits {
        group,
        max_paths,
        max_wildcards,
    }
}

#[test]
fn base_paths_come_from_base_url() {
    assert_eq!(base_path("https://blog.example.com/"), "/");
    assert_eq!(base_path("https://blog.example.com"), "/");
    assert_eq!(base_path("https://x.org/blog"), "/blog/");
    assert_eq!(base_path("https://x.org/a/b/?q=1"), "/a/b/");
    assert_eq!(base_path("/sub/"), "/sub/");
}

#[test]
fn pretty_urls_give_the_folder_and_the_file() {
    assert_eq!(key_paths("/", "index.html"), ["/", "/index.html"]);
    assert_eq!(
        key_paths("/", "posts/x/index.html"),
        ["/posts/x/", "/posts/x/index.html"]
    );
    assert_eq!(
        key_paths("/blog/", "posts/x/index.html"),
        ["/blog/posts/x/", "/blog/posts/x/index.html"]
    );
    assert_eq!(key_paths("/", "atom.xml"), ["/atom.xml"]);
    // Only a whole file name counts: `myindex.html` is not a folder index.
    assert_eq!(key_paths("/", "a/myindex.html"), ["/a/myindex.html"]);
}

#[test]
fn unsafe_characters_are_percent_encoded() {
    assert_eq!(key_paths("/", "img/a b.png"), ["/img/a%20b.png"]);
    assert_eq!(key_paths("/", "weird*name.txt"), ["/weird%2Aname.txt"]);
    assert_eq!(key_paths("/", "café.html"), ["/caf%C3%A9.html"]);
    assert_eq!(key_paths("/", "a-b_c.~d"), ["/a-b_c.~d"]);
    // A quote would break the shell command of the retry hint.
    assert_eq!(key_paths("/", "it's.html"), ["/it%27s.html"]);
}

#[test]
fn nothing_changed_means_no_paths() {
    assert!(invalidation_paths("/", std::iter::empty(), Limits::default()).is_empty());
}

#[test]
fn a_small_change_is_listed_path_by_path() {
    let keys = [
        "posts/new/index.html",
        "index.html",
        "atom.xml",
        "tags/rust/index.html",
    ];
    assert_eq!(
        invalidation_paths("/", keys, Limits::default()),
        [
            "/",
            "/atom.xml",
            "/index.html",
            "/posts/new/",
            "/posts/new/index.html",
            "/tags/rust/",
            "/tags/rust/index.html",
        ]
    );
}

#[test]
fn many_paths_under_one_folder_become_a_wildcard() {
    // 6 tag pages = 12 paths under /tags/ (more than 10); the rest stays precise.
    let tags: Vec<String> = (0..6).map(|i| format!("tags/t{i}/index.html")).collect();
    let keys = tags.iter().map(String::as_str).chain(["index.html"]);
    assert_eq!(
        invalidation_paths("/", keys, Limits::default()),
        ["/", "/index.html", "/tags/*"]
    );
    // 5 tag pages = exactly 10 paths: not more than the limit, kept.
    let tags: Vec<String> = (0..5).map(|i| format!("tags/t{i}/index.html")).collect();
    let paths = invalidation_paths("/", tags.iter().map(String::as_str), Limits::default());
    assert_eq!(paths.len(), 10);
    assert!(paths.iter().all(|p| !p.contains('*')));
}

#[test]
fn the_deepest_crowded_folder_is_chosen() {
    // 3 paths in /tags/a/ (limit 2) collapse there; /tags/ then holds 2 entries: kept.
    let paths = set(&["/tags/a/1", "/tags/a/2", "/tags/a/3", "/tags/b/1"]);
    assert_eq!(
        reduce("/", paths, limits(2, 30, 15)),
        ["/tags/a/*", "/tags/b/1"]
    );
    // Adding two more siblings makes /tags/ crowded too: one wildcard covers both.
    let paths = set(&[
        "/tags/a/1",
        "/tags/a/2",
        "/tags/a/3",
        "/tags/b/1",
        "/tags/c/1",
    ]);
    assert_eq!(reduce("/", paths, limits(2, 30, 15)), ["/tags/*"]);
}

#[test]
fn a_folder_path_itself_is_covered_by_its_wildcard() {
    let paths = set(&["/page/", "/page/2/", "/page/3/", "/page/4/"]);
    assert_eq!(reduce("/", paths, limits(2, 30, 15)), ["/page/*"]);
}

#[test]
fn the_base_folder_is_never_grouped_only_replaced_whole() {
    let paths = set(&["/a", "/b", "/c", "/d"]);
    assert_eq!(
        reduce("/", paths.clone(), limits(2, 30, 15)),
        paths.iter().cloned().collect::<Vec<_>>()
    );
    assert_eq!(reduce("/", paths, limits(2, 3, 15)), ["/*"]);
}

#[test]
fn too_many_paths_become_everything_under_the_base() {
    let keys: Vec<String> = (0..40).map(|i| format!("f{i}.html")).collect();
    assert_eq!(
        invalidation_paths("/", keys.iter().map(String::as_str), Limits::default()),
        ["/*"]
    );
    assert_eq!(
        invalidation_paths("/blog/", keys.iter().map(String::as_str), Limits::default()),
        ["/blog/*"]
    );
    // Exactly MAX_PATHS stays a list.
    let keys: Vec<String> = (0..MAX_PATHS).map(|i| format!("f{i}.html")).collect();
    assert_eq!(
        invalidation_paths("/", keys.iter().map(String::as_str), Limits::default()).len(),
        MAX_PATHS
    );
}

#[test]
fn too_many_wildcards_become_everything() {
    // 4 crowded folders with a wildcard limit of 3.
    let paths: BTreeSet<String> = (0..4)
        .flat_map(|d| (0..3).map(move |f| format!("/d{d}/f{f}")))
        .collect();
    assert_eq!(reduce("/", paths.clone(), limits(2, 30, 3)).len(), 1);
    assert_eq!(reduce("/", paths.clone(), limits(2, 30, 3)), ["/*"]);
    assert_eq!(
        reduce("/", paths, limits(2, 30, 4)),
        ["/d0/*", "/d1/*", "/d2/*", "/d3/*"]
    );
}

#[test]
fn an_existing_everything_wildcard_wins() {
    assert_eq!(reduce("/", set(&["/*", "/a"]), Limits::default()), ["/*"]);
}

#[test]
fn a_big_site_wide_change_is_one_wildcard() {
    // A theme change: every page of a 200-post blog.
    let keys: Vec<String> = (0..200)
        .map(|i| format!("posts/p{i}/index.html"))
        .chain((2..21).map(|i| format!("page/{i}/index.html")))
        .chain(["index.html".to_string(), "style.css".to_string()])
        .collect();
    let paths = invalidation_paths("/", keys.iter().map(String::as_str), Limits::default());
    assert_eq!(
        paths,
        ["/", "/index.html", "/page/*", "/posts/*", "/style.css"]
    );
}

#[test]
fn results_are_sorted_and_unique() {
    let keys = ["b.html", "a.html", "b.html", "index.html"];
    let paths = invalidation_paths("/", keys, Limits::default());
    let mut sorted = paths.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(paths, sorted);
    assert_eq!(paths.len(), 4);
}

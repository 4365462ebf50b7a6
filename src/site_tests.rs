//! Tests of assembling a site: drafts, future posts, bundles, tags, clashes.

use super::*;
use crate::content::front_matter::parse_date_utc as parse_date;

fn doc(path: &str, front: &str) -> Arc<Doc> {
    Arc::new(Doc::parse(path, &format!("---\n{front}\n---\nBody.\n")).unwrap())
}

fn now() -> DateTime<FixedOffset> {
    parse_date("2025-01-01").unwrap()
}

#[test]
fn drafts_and_future_posts_are_left_out_unless_asked() {
    let docs = vec![
        doc("content/posts/a.md", "title: A\ndate: 2024-01-01"),
        doc(
            "content/posts/d.md",
            "title: D\ndate: 2024-01-02\ndraft: true",
        ),
        doc("content/posts/f.md", "title: F\ndate: 2030-01-01"),
    ];
    let cfg = Config::default_for_test();
    let site = Site::assemble(
        cfg.clone(),
        docs.clone(),
        vec![],
        &BuildOptions::default(),
        now(),
    )
    .unwrap();
    assert_eq!(site.posts.len(), 1);
    assert_eq!(site.excluded.len(), 2);
    let all = BuildOptions {
        drafts: true,
        future: true,
        base_url: None,
        lenient: false,
    };
    let site = Site::assemble(cfg, docs, vec![], &all, now()).unwrap();
    let titles: Vec<_> = site.posts.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(titles, ["F", "D", "A"], "newest first");
}

#[test]
fn assets_of_a_draft_bundle_are_left_out() {
    let asset = |rel: &str| SourceAsset {
        path: rel.into(),
        rel_path: rel.into(),
        key: rel.trim_start_matches("content/").into(),
    };
    let docs = vec![
        doc(
            "content/posts/secret/index.md",
            "title: S\ndate: 2024-01-01\ndraft: true",
        ),
        doc("content/posts/open/index.md", "title: O\ndate: 2024-01-01"),
    ];
    let assets = vec![
        asset("content/posts/secret/photo.png"),
        asset("content/posts/open/photo.png"),
        asset("content/posts/secret-other.png"),
    ];
    // No file system here: which bundles are drafts comes from the documents alone.
    let site = Site::assemble(
        Config::default_for_test(),
        docs,
        assets,
        &BuildOptions::default(),
        now(),
    )
    .unwrap();
    let keys: Vec<&str> = site.assets.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(keys, ["posts/open/photo.png", "posts/secret-other.png"]);
}

#[test]
fn tags_group_by_slug() {
    let docs = vec![
        doc(
            "content/posts/a.md",
            "title: A\ndate: 2024-01-01\ntags: [Web Dev, rust]",
        ),
        doc(
            "content/posts/b.md",
            "title: B\ndate: 2024-02-01\ntags: [web-dev]",
        ),
    ];
    let site = Site::assemble(
        Config::default_for_test(),
        docs,
        vec![],
        &BuildOptions::default(),
        now(),
    )
    .unwrap();
    let web = site.tags.iter().find(|t| t.slug == "web-dev").unwrap();
    assert_eq!(web.posts, [0, 1]);
    assert_eq!(web.url(), "/tags/web-dev/");
}

#[test]
fn duplicate_urls_name_both_files() {
    let docs = vec![
        doc(
            "content/posts/a.md",
            "title: A\ndate: 2024-01-01\nslug: same",
        ),
        doc("content/posts/same.md", "title: B\ndate: 2024-01-01"),
    ];
    let errs = Site::assemble(
        Config::default_for_test(),
        docs,
        vec![],
        &BuildOptions::default(),
        now(),
    )
    .unwrap_err();
    assert_eq!(errs.len(), 1);
    let msg = errs[0].to_string();
    assert!(
        msg.contains("content/posts/a.md") && msg.contains("content/posts/same.md"),
        "{msg}"
    );
}

#[test]
fn alias_onto_generated_page_is_a_clash() {
    let docs = vec![doc(
        "content/posts/a.md",
        "title: A\ndate: 2024-01-01\naliases: [/tags/x/]",
    )];
    let errs = Site::assemble(
        Config::default_for_test(),
        docs,
        vec![],
        &BuildOptions::default(),
        now(),
    )
    .unwrap_err();
    assert!(matches!(errs[0].problem, Problem::DuplicateUrl { .. }));
}

#[test]
fn sections_list_their_posts_in_their_order_or_their_pages() {
    let docs = vec![
        doc("content/blog/_index.md", "sort_by: weight"),
        doc("content/blog/a.md", "title: A\ndate: 2024-01-03\nweight: 2"),
        doc("content/blog/b.md", "title: B\ndate: 2024-01-02\nweight: 1"),
        doc("content/blog/c.md", "title: C\ndate: 2024-01-01\nweight: 3"),
        doc("content/posts/_index.md", "title: All"),
        doc("content/posts/z.md", "title: Z\ndate: 2023-01-01"),
        doc("content/docs/_index.md", "title: Docs"),
        doc("content/docs/setup.md", "title: Setup"),
        doc("content/_index.md", "title: Home"),
    ];
    let site = Site::assemble(
        Config::default_for_test(),
        docs,
        vec![],
        &BuildOptions::default(),
        now(),
    )
    .unwrap();
    let all: Vec<&Arc<Doc>> = site.docs().collect();
    let listed = |url: &str| -> Vec<String> {
        let s = site.sections.iter().find(|s| s.doc.url == url).unwrap();
        s.posts.iter().map(|&i| all[i].title.clone()).collect()
    };
    assert_eq!(listed("/blog/"), ["B", "A", "C"], "by weight");
    assert_eq!(listed("/posts/"), ["Z"]);
    assert_eq!(
        listed("/docs/"),
        ["Setup"],
        "a section of pages lists its pages"
    );
    assert_eq!(
        listed("/"),
        ["A", "B", "C", "Z"],
        "the top lists every post"
    );
    assert_eq!(site.home().map(|h| h.doc.title.as_str()), Some("Home"));
}

#[test]
fn expired_posts_are_left_out_and_a_coming_expiry_is_the_next_release() {
    let docs = vec![
        doc(
            "content/posts/gone.md",
            "title: G\ndate: 2024-01-01\nexpiryDate: 2024-06-01",
        ),
        doc(
            "content/posts/soon.md",
            "title: S\ndate: 2024-01-01\nexpiryDate: 2025-03-01",
        ),
        doc("content/posts/later.md", "title: L\ndate: 2026-01-01"),
    ];
    let site = Site::assemble(
        Config::default_for_test(),
        docs,
        vec![],
        &BuildOptions::default(),
        now(),
    )
    .unwrap();
    let titles: Vec<&str> = site.posts.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(titles, ["S"]);
    assert_eq!(site.excluded.len(), 2);
    assert_eq!(
        site.next_release,
        parse_date("2025-03-01"),
        "the expiry comes first"
    );
}

#[test]
fn the_summary_says_what_was_left_out_and_why() {
    use crate::site::LeftOut;
    assert_eq!(LeftOut::default().summary(), "");
    let one_draft = LeftOut {
        drafts: 1,
        ..LeftOut::default()
    };
    assert_eq!(one_draft.summary(), "; left out 1 draft (--drafts)");
    let all = LeftOut {
        drafts: 21,
        future: 32_770,
        expired: 2,
    };
    assert_eq!(
        all.summary(),
        "; left out 32770 posts dated in the future (--future builds them), 21 drafts \
         (--drafts) and 2 expired posts"
    );
}

//! Unit tests of [`plan`](super::plan): reasons, order, exclusions, delete safety.

use super::*;
use crate::outputs::Output;

fn out(key: &str, kind: OutputKind, body: &str) -> Output {
    let mut o = Output::from_bytes(key, body.as_bytes().to_vec(), kind);
    o.cache_control = Some("public, max-age=300".into());
    o
}

fn site() -> Outputs {
    [
        out("index.html", OutputKind::Listing, "home"),
        out("posts/a/index.html", OutputKind::Page, "a"),
        out("posts/b/index.html", OutputKind::Page, "b"),
        out("style.css", OutputKind::Asset, "css"),
        out("img/z.png", OutputKind::Asset, "png"),
        out("atom.xml", OutputKind::Listing, "feed"),
        {
            let mut r = out("old/index.html", OutputKind::Redirect, "<meta refresh>");
            r.redirect = Some("/posts/a/".into());
            r
        },
    ]
    .into_iter()
    .collect()
}

fn keys<'a>(steps: impl Iterator<Item = &'a Step>) -> Vec<&'a str> {
    steps.map(|s| s.key.as_str()).collect()
}

#[test]
fn first_publish_uploads_everything_in_phase_order() {
    let p = plan(&site(), &Manifest::new(), &PlanOptions::default()).unwrap();
    assert_eq!(
        keys(p.uploads()),
        [
            "img/z.png",
            "style.css",
            "posts/a/index.html",
            "posts/b/index.html",
            "atom.xml",
            "index.html",
            "old/index.html",
        ]
    );
    assert!(p.uploads().all(|s| s.reason == Reason::New));
    assert_eq!(p.deletes().count(), 0);
    assert_eq!(p.unchanged, 0);
    assert_eq!(p.manifest, Manifest::from_outputs(&site()));
    assert_eq!(p.upload_bytes(), site().total_bytes());
}

#[test]
fn unchanged_site_plans_nothing() {
    let s = site();
    let p = plan(&s, &Manifest::from_outputs(&s), &PlanOptions::default()).unwrap();
    assert!(p.is_empty());
    assert_eq!(p.unchanged, s.len());
    assert_eq!(p.unchanged_bytes, s.total_bytes());
    assert_eq!(p.manifest, Manifest::from_outputs(&s));
}

#[test]
fn content_and_header_changes_have_reasons() {
    let old = Manifest::from_outputs(&site());
    let mut s = site();
    s.insert(out("posts/a/index.html", OutputKind::Page, "a, edited"));
    let mut css = out("style.css", OutputKind::Asset, "css");
    css.cache_control = Some("no-cache".into());
    css.content_type = "text/plain".into();
    s.insert(css);
    let mut r = out("old/index.html", OutputKind::Redirect, "<meta refresh>");
    r.redirect = Some("/posts/b/".into());
    s.insert(r);
    let p = plan(&s, &old, &PlanOptions::default()).unwrap();
    let got: Vec<(&str, &Reason)> = p.uploads().map(|s| (s.key.as_str(), &s.reason)).collect();
    assert_eq!(
        got,
        [
            (
                "style.css",
                &Reason::HeadersChanged(vec![Header::ContentType, Header::CacheControl])
            ),
            ("posts/a/index.html", &Reason::ContentChanged),
            (
                "old/index.html",
                &Reason::HeadersChanged(vec![Header::Redirect])
            ),
        ]
    );
    assert_eq!(p.unchanged, s.len() - 3);
}

#[test]
fn headers_are_ignored_when_the_target_stores_none() {
    let old = Manifest::from_outputs(&site());
    let mut s = site();
    let mut css = out("style.css", OutputKind::Asset, "css");
    css.cache_control = None;
    s.insert(css);
    let opts = PlanOptions {
        compare_headers: false,
        ..PlanOptions::default()
    };
    assert!(plan(&s, &old, &opts).unwrap().is_empty());
}

#[test]
fn removed_outputs_are_deleted_after_uploads_and_unmanaged_keys_never() {
    let mut old = Manifest::from_outputs(&site());
    old.entries.insert(
        "posts/gone/index.html".into(),
        Entry::of(&out("posts/gone/index.html", OutputKind::Page, "x")),
    );
    let mut s = site();
    s.insert(out("new.txt", OutputKind::Asset, "n"));
    let p = plan(&s, &old, &PlanOptions::default()).unwrap();
    let actions: Vec<(&str, Action)> = p
        .actions
        .iter()
        .map(|s| (s.key.as_str(), s.action))
        .collect();
    assert_eq!(
        actions,
        [
            ("new.txt", Action::Upload),
            ("posts/gone/index.html", Action::Delete)
        ]
    );
    assert_eq!(p.actions[1].reason, Reason::Removed);
    assert_eq!(p.actions[1].size, 1);
    assert!(!p.manifest.entries.contains_key("posts/gone/index.html"));
    // A key that only exists remotely (never in the manifest) is not even visible to the plan:
    // the plan only ever deletes keys of `old`.
    assert!(p.deletes().all(|d| old.entries.contains_key(&d.key)));
}

#[test]
fn max_deletes_refuses_with_counts() {
    let old = Manifest::from_outputs(&site());
    let opts = PlanOptions {
        max_deletes: 3,
        ..PlanOptions::default()
    };
    let err = plan(&Outputs::new(), &old, &opts).unwrap_err();
    assert_eq!(err, PlanError::TooManyDeletes { count: 7, max: 3 });
    assert!(err.to_string().contains("--max-deletes 7"));
    let opts = PlanOptions {
        max_deletes: 7,
        ..PlanOptions::default()
    };
    assert_eq!(
        plan(&Outputs::new(), &old, &opts)
            .unwrap()
            .deletes()
            .count(),
        7
    );
}

#[test]
fn dotfiles_excludes_and_reserved_prefix_are_never_touched() {
    let mut s = site();
    for key in [
        ".DS_Store",
        "img/.thumbs/x.png",
        ".git/config",
        ".bucketpress/manifest.json",
        "drafts/secret.html",
        ".well-known/security.txt",
    ] {
        s.insert(out(key, OutputKind::Asset, "x"));
    }
    let mut old = Manifest::new();
    for key in ["drafts/old.html", ".bucketpress/other", "img/.thumbs/y.png"] {
        old.entries
            .insert(key.into(), Entry::of(&out(key, OutputKind::Asset, "y")));
    }
    let opts = PlanOptions {
        exclude: vec!["drafts/**".into()],
        ..PlanOptions::default()
    };
    let p = plan(&s, &old, &opts).unwrap();
    let up = keys(p.uploads());
    assert!(up.contains(&".well-known/security.txt"));
    assert_eq!(up.len(), site().len() + 1, "{up:?}");
    assert_eq!(p.deletes().count(), 0);
    assert_eq!(
        p.skipped,
        [
            ".DS_Store",
            ".bucketpress/manifest.json",
            ".git/config",
            "drafts/secret.html",
            "img/.thumbs/x.png"
        ]
    );
    assert!(p.manifest.entries.keys().all(|k| !is_hidden(k)));
}

#[test]
fn force_uploads_unchanged_outputs() {
    let s = site();
    let opts = PlanOptions {
        force: true,
        ..PlanOptions::default()
    };
    let p = plan(&s, &Manifest::from_outputs(&s), &opts).unwrap();
    assert_eq!(p.uploads().count(), s.len());
    assert!(p.uploads().all(|s| s.reason == Reason::Forced));
}

#[test]
fn bad_exclude_glob_is_typed() {
    let opts = PlanOptions {
        exclude: vec!["a/[".into()],
        ..PlanOptions::default()
    };
    assert!(matches!(
        plan(&site(), &Manifest::new(), &opts),
        Err(PlanError::BadGlob { .. })
    ));
}

#[test]
fn json_shape_is_flat_and_stable() {
    let old = Manifest::from_outputs(&site());
    let mut s = site();
    let mut css = out("style.css", OutputKind::Asset, "css");
    css.cache_control = None;
    s.insert(css);
    s.insert(out("n.txt", OutputKind::Asset, "n"));
    let p = plan(&s, &old, &PlanOptions::default()).unwrap();
    let v = serde_json::to_value(&p).unwrap();
    assert_eq!(
        v["actions"][0],
        serde_json::json!({"key": "n.txt", "action": "upload", "reason": "new", "size": 1, "kind": "asset"})
    );
    assert_eq!(
        v["actions"][1],
        serde_json::json!({"key": "style.css", "action": "upload", "reason": "headers_changed",
            "headers": ["cache_control"], "size": 3, "kind": "asset"})
    );
    assert_eq!(v["unchanged"], 6);
    assert!(v.get("manifest").is_none());
}

#[test]
fn pending_deletes_of_an_interrupted_publish_are_finished_outside_the_limit() {
    let s = site();
    let mut old = Manifest::from_outputs(&s);
    old.pending_deletes.insert("gone/index.html".into());
    old.pending_deletes.insert("also-gone.css".into());
    // Produced again since: an upload (the entry is not in the manifest), never a delete.
    old.entries.remove("style.css");
    old.pending_deletes.insert("style.css".into());
    let opts = PlanOptions {
        max_deletes: 0,
        ..PlanOptions::default()
    };
    let p = plan(&s, &old, &opts).unwrap();
    assert_eq!(keys(p.deletes()), ["also-gone.css", "gone/index.html"]);
    assert!(p.deletes().all(|d| d.reason == Reason::Interrupted));
    assert_eq!(p.interrupted_deletes(), 2);
    assert_eq!(keys(p.uploads()), ["style.css"]);
    assert!(p.manifest.pending_deletes.is_empty());
}

#[test]
fn a_torrent_goes_up_after_its_file_and_before_the_pages() {
    let mut s = site();
    s.insert(out("media/talk.mp4", OutputKind::Asset, "video"));
    s.insert(out("media/talk.mp4.torrent", OutputKind::Asset, "d4:info"));
    let p = plan(&s, &Manifest::new(), &PlanOptions::default()).unwrap();
    let order = keys(p.uploads());
    let at = |k: &str| order.iter().position(|x| *x == k).unwrap();
    assert!(at("media/talk.mp4") < at("media/talk.mp4.torrent"));
    assert!(at("media/talk.mp4.torrent") < at("posts/a/index.html"));
    let phases: Vec<u8> = p.uploads().map(phase).collect();
    assert!(phases.windows(2).all(|w| w[0] <= w[1]), "{phases:?}");
}

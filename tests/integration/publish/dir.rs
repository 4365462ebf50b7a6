//! `publish --to file:///dir`: the same tree as the outputs, a manifest under `.bucketpress/`,
//! incremental updates, deletes, and the emulated conditional write.

use std::collections::BTreeSet;
use std::path::Path;

use bucketpress::outputs::{Output, OutputKind, Outputs};
use bucketpress::publish::dir::DirTarget;
use bucketpress::publish::manifest::{MANIFEST_KEY, Manifest};
use bucketpress::publish::target::{DryRun, Target};

use crate::publish::faults::Meddle;
use crate::publish::{publish, site};

/// Every file under `root` (relative, `/`-separated), skipping `.bucketpress/`.
fn tree(root: &Path) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(
                    p.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(root, root, &mut out);
    out.retain(|k| !k.starts_with(".bucketpress/"));
    out
}

fn assert_same_tree(root: &Path, outputs: &Outputs) {
    let want: BTreeSet<String> = outputs.keys().map(str::to_owned).collect();
    assert_eq!(tree(root), want);
    for o in outputs.iter() {
        assert_eq!(
            std::fs::read(root.join(&o.key)).unwrap(),
            o.body.read_all().unwrap(),
            "{}",
            o.key
        );
    }
}

#[tokio::test]
async fn file_target_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("out");
    let target = DirTarget::new(&root);
    let report = publish(&target, site("")).await.unwrap();
    assert_eq!(report.summary.uploaded, site("").len());
    assert_same_tree(&root, &site(""));
    // Redirects are written as their HTML body.
    let alias = std::fs::read_to_string(root.join("old-a/index.html")).unwrap();
    assert!(alias.contains("url=/posts/a/"));
    // The manifest records the plain outputs: a directory gets no headers and no gzip.
    let m = Manifest::decode(&std::fs::read(root.join(MANIFEST_KEY)).unwrap()).unwrap();
    assert_eq!(m.entries, Manifest::from_outputs(&site("")).entries);
    assert!(m.site_id.is_some() && m.pending_deletes.is_empty());

    // Unchanged: only the manifest read.
    let target = DirTarget::new(&root);
    let report = publish(&target, site("")).await.unwrap();
    assert_eq!(target.requests(), 1);
    assert!(!report.summary.manifest_written);

    // An edit and a removal; a file the site never produced is left alone.
    std::fs::write(root.join("notes.txt"), "mine").unwrap();
    let next: Outputs = site(" edited")
        .iter()
        .filter(|o| o.key != "posts/b/index.html")
        .cloned()
        .collect();
    let report = publish(&DirTarget::new(&root), next.clone()).await.unwrap();
    assert_eq!((report.summary.uploaded, report.summary.deleted), (1, 1));
    assert!(
        !root.join("posts/b").exists(),
        "the emptied directory is pruned"
    );
    assert!(root.join("notes.txt").exists());
    let mut with_notes = next.clone();
    with_notes.insert(Output::from_bytes(
        "notes.txt",
        b"mine".to_vec(),
        OutputKind::Asset,
    ));
    assert_same_tree(&root, &with_notes);
}

#[tokio::test]
async fn file_target_conflict_and_dry_run() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    publish(&DirTarget::new(&root), site("")).await.unwrap();

    let manifest_path = root.join(MANIFEST_KEY);
    let meddle = Meddle {
        inner: DirTarget::new(&root),
        after_read: || {
            let p = manifest_path.clone();
            async move { std::fs::write(p, Manifest::new().encode()).unwrap() }
        },
        fail: BTreeSet::new(),
        fired: Default::default(),
    };
    let err = publish(&meddle, site(" edited")).await.unwrap_err();
    assert_eq!(err.exit_code(), 4, "{err:?}");

    let before = std::fs::read(root.join("posts/a/index.html")).unwrap();
    let dry = DryRun(DirTarget::new(&root));
    let report = publish(&dry, site(" dry")).await.unwrap();
    assert!(report.plan.uploads().count() >= 1);
    assert_eq!(
        std::fs::read(root.join("posts/a/index.html")).unwrap(),
        before
    );
}

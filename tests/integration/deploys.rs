//! Deploy history and `rollback` against the in-process S3 server: the bucket after each
//! rollback equals a fresh publish of the version it restores, byte for byte and header for
//! header; an interrupted rollback finishes when run again, or gives way to a publish.

use std::collections::BTreeMap;

use bucketpress::config::PublishConfig;
use bucketpress::outputs::{Output, OutputKind, Outputs};
use bucketpress::publish::apply::NoProgress;
use bucketpress::publish::deploys::rollback::{
    RollbackError, RollbackOptions, RollbackReport, rollback,
};
use bucketpress::publish::deploys::{self, Kind, Status};
use bucketpress::publish::dir::DirTarget;
use bucketpress::publish::manifest::{MANIFEST_KEY, Manifest};
use bucketpress::publish::publish_outputs;
use bucketpress::publish::s3::HASH_METADATA;
use bucketpress::publish::target::Target;

use crate::publish::chaos::stored_manifest;
use crate::publish::{opts, site, without};
use crate::s3_server::{BUCKET, S3Server};

/// What a reader gets for a key: the bytes and every header bucketpress sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    bytes: Vec<u8>,
    content_type: Option<String>,
    cache_control: Option<String>,
    content_encoding: Option<String>,
    redirect: Option<String>,
    /// The hash metadata.
    pub hash: Option<String>,
}

/// Every site object under `prefix` (keys relative to it), leaving out bucketpress's own
/// `.bucketpress/` objects and previews.
pub async fn snapshot(server: &S3Server, prefix: &str) -> BTreeMap<String, Stored> {
    let client = server.client();
    let mut out = BTreeMap::new();
    for key in server.objects(prefix).await.into_keys() {
        let rel = key[prefix.len()..].to_string();
        if rel.starts_with('.') {
            continue;
        }
        let o = client
            .get_object()
            .bucket(BUCKET)
            .key(&key)
            .send()
            .await
            .unwrap();
        let stored = Stored {
            content_type: o.content_type().map(str::to_owned),
            cache_control: o.cache_control().map(str::to_owned),
            content_encoding: o.content_encoding().map(str::to_owned),
            redirect: o.website_redirect_location().map(str::to_owned),
            hash: o.metadata().and_then(|m| m.get(HASH_METADATA)).cloned(),
            bytes: match o.body.collect().await {
                Ok(b) => b.into_bytes().to_vec(),
                Err(e) => panic!("{key}: {e:?}"),
            },
        };
        out.insert(rel, stored);
    }
    out
}

/// What a fresh publish of `outputs` stores (into a prefix of its own).
async fn fresh(server: &S3Server, name: &str, outputs: Outputs) -> BTreeMap<String, Stored> {
    let prefix = format!("fresh-{name}/");
    publish(&server.target(&prefix), outputs).await;
    snapshot(server, &prefix).await
}

async fn publish<T: Target>(target: &T, outputs: Outputs) {
    publish_outputs(
        target,
        outputs,
        &PublishConfig::default(),
        &opts(),
        &NoProgress,
    )
    .await
    .unwrap();
}

fn options(to: Option<&str>) -> RollbackOptions {
    RollbackOptions {
        to: to.map(str::to_owned),
        max_deletes: 256,
        concurrency: 4,
        dry_run: false,
        keep_deploys: 20,
    }
}

/// Three versions: v2 edits post a, drops the feed and adds a page; v3 edits post a again,
/// restyles and moves the alias.
fn versions() -> [Outputs; 3] {
    let v1 = site("1");
    let mut v2 = without(site("2"), &["atom.xml"]);
    v2.insert(Output::from_bytes(
        "about/index.html",
        b"<p>about</p>".to_vec(),
        OutputKind::Page,
    ));
    let mut v3 = without(site("3"), &["atom.xml", "style.css", "old-a/index.html"]);
    v3.insert(Output::from_bytes(
        "about/index.html",
        b"<p>about</p>".to_vec(),
        OutputKind::Page,
    ));
    v3.insert(Output::from_bytes(
        "style.css",
        b"body{color:red}".to_vec(),
        OutputKind::Asset,
    ));
    let mut alias = Output::from_bytes(
        "old-a/index.html",
        b"<p>moved</p>".to_vec(),
        OutputKind::Redirect,
    );
    alias.redirect = Some("/posts/b/".into());
    v3.insert(alias);
    [v1, v2, v3]
}

#[tokio::test]
async fn v1_v2_v3_then_rollback_twice_gives_v2_then_v1_and_a_publish_gives_the_build() {
    let server = S3Server::start().await;
    let [v1, v2, v3] = versions();
    let want = [
        fresh(&server, "v1", v1.clone()).await,
        fresh(&server, "v2", v2.clone()).await,
        fresh(&server, "v3", v3.clone()).await,
    ];
    assert_ne!(want[0], want[1]);
    assert_ne!(want[1], want[2]);
    let target = server.target("blog/");
    for v in [&v1, &v2, &v3] {
        publish(&target, v.clone()).await;
    }
    assert_eq!(snapshot(&server, "blog/").await, want[2]);
    let records = deploys::list(&target).await.unwrap();
    // The first publish has nothing to undo (the site was empty): v2 and v3 are recorded.
    assert_eq!(records.len(), 2, "{records:#?}");
    assert!(
        records
            .iter()
            .all(|r| r.kind == Kind::Publish && r.status == Status::Done)
    );
    let v3_record = &records[1];
    assert!(v3_record.changes.contains_key("style.css"));
    assert!(v3_record.changes["style.css"].before.is_some());

    server.reset();
    let r = rollback(&target, &options(None)).await.unwrap();
    assert_eq!(r.plan.to, v3_record.id);
    assert_eq!(r.requests as usize, server.requests().len());
    // Only copies and bucketpress's own objects: no page was uploaded, none rendered.
    let live_puts: Vec<String> = server
        .put_keys()
        .into_iter()
        .filter(|k| !k.starts_with("blog/.bucketpress/"))
        .collect();
    assert_eq!(live_puts.len(), r.restored, "{live_puts:?}");
    assert_eq!(
        snapshot(&server, "blog/").await,
        want[1],
        "rolled back to v2"
    );
    // The manifest says what is stored, so the next publish diffs correctly.
    assert_manifest_matches(&server, &want[1]).await;

    let r2 = rollback(&target, &options(None)).await.unwrap();
    assert_eq!(r2.plan.to, records[0].id);
    assert_eq!(
        snapshot(&server, "blog/").await,
        want[0],
        "rolled back to v1"
    );
    assert_manifest_matches(&server, &want[0]).await;

    // Nothing left to undo (v1 was the first publish).
    let none = rollback(&target, &options(None)).await.unwrap_err();
    assert!(matches!(none, RollbackError::Plan(_)), "{none:?}");

    server.reset();
    let report = publish_outputs(
        &target,
        v3.clone(),
        &PublishConfig::default(),
        &opts(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(
        snapshot(&server, "blog/").await,
        want[2],
        "published v3 again"
    );
    // It uploaded what differs from v1, not the whole site.
    assert!(report.summary.uploaded < v3.len(), "{:?}", report.summary);
}

/// The stored manifest lists exactly the stored keys with their hashes.
async fn assert_manifest_matches(server: &S3Server, want: &BTreeMap<String, Stored>) {
    let m = stored_manifest(server, "blog/").await;
    let hashes: BTreeMap<&str, Option<&str>> = m
        .entries
        .iter()
        .map(|(k, e)| (k.as_str(), Some(e.hash.as_str())))
        .collect();
    let want: BTreeMap<&str, Option<&str>> = want
        .iter()
        .map(|(k, s)| (k.as_str(), s.hash.as_deref()))
        .collect();
    assert_eq!(hashes, want);
    assert!(m.pending_rollback.is_none() && m.pending_deletes.is_empty());
}

#[tokio::test]
async fn rolling_back_a_rollback_redoes_the_deploy() {
    let server = S3Server::start().await;
    let [v1, v2, _] = versions();
    let want_v2 = fresh(&server, "v2", v2.clone()).await;
    let want_v1 = fresh(&server, "v1", v1.clone()).await;
    let target = server.target("blog/");
    publish(&target, v1).await;
    publish(&target, v2).await;
    let undo = rollback(&target, &options(None)).await.unwrap();
    assert_eq!(snapshot(&server, "blog/").await, want_v1);
    let redo = rollback(&target, &options(undo.deploy.as_deref()))
        .await
        .unwrap();
    assert_eq!(snapshot(&server, "blog/").await, want_v2, "redone");
    assert!(redo.restored > 0);
    let records = deploys::list(&target).await.unwrap();
    let kinds: Vec<_> = records.iter().map(|r| (&r.kind, r.status)).collect();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert!(
        matches!(records[2].kind, Kind::Rollback { ref to } if Some(to) == undo.deploy.as_ref())
    );
    // A dry run plans and writes nothing.
    server.reset();
    let dry = RollbackOptions {
        dry_run: true,
        ..options(None)
    };
    let planned: RollbackReport = rollback(&target, &dry).await.unwrap();
    assert!(!planned.plan.is_empty());
    assert!(server.writes().is_empty(), "{:#?}", server.writes());
    assert_eq!(snapshot(&server, "blog/").await, want_v2);
}

#[tokio::test]
async fn a_rollback_cut_short_finishes_when_run_again_or_gives_way_to_a_publish() {
    for then_publish in [false, true] {
        let server = S3Server::start().await;
        let [v1, v2, v3] = versions();
        let want_v1 = fresh(&server, "v1", v1.clone()).await;
        let want_v3 = fresh(&server, "v3", v3.clone()).await;
        let target = server.target("blog/");
        publish(&target, v1).await;
        publish(&target, v2).await;
        // Every copy onto a page fails (past the retries): the assets are restored, the pages
        // not. The process dying there leaves the same state.
        server.inject("PUT", "blog/posts/", 100, 500, "InternalError");
        let err = rollback(&target, &options(None)).await.unwrap_err();
        assert!(matches!(err, RollbackError::Copies { .. }), "{err:?}");
        server.clear_faults();
        let m: Manifest = stored_manifest(&server, "blog/").await;
        assert!(
            m.pending_rollback.is_some(),
            "the manifest names the rollback under way"
        );
        assert!(m.has_pending_work());
        if then_publish {
            // Going forward instead: a publish re-uploads what the rollback touched.
            publish(&target, v3.clone()).await;
            assert_eq!(snapshot(&server, "blog/").await, want_v3);
            assert!(
                stored_manifest(&server, "blog/")
                    .await
                    .pending_rollback
                    .is_none()
            );
        } else {
            let r = rollback(&target, &options(None)).await.unwrap();
            assert!(r.resumed, "{r:?}");
            assert_eq!(snapshot(&server, "blog/").await, want_v1);
            assert_manifest_matches(&server, &want_v1).await;
        }
        assert!(
            server
                .objects("blog/")
                .await
                .contains_key(&format!("blog/{MANIFEST_KEY}"))
        );
    }
}

#[tokio::test]
async fn a_rollback_racing_a_publish_exits_with_a_conflict_and_changes_no_live_key() {
    let server = S3Server::start().await;
    let [v1, v2, _] = versions();
    let target = server.target("blog/");
    publish(&target, v1).await;
    publish(&target, v2.clone()).await;
    let before = snapshot(&server, "blog/").await;
    // The manifest write is refused as if another publish had written first.
    server.inject("PUT", MANIFEST_KEY, 1, 412, "PreconditionFailed");
    let err = rollback(&target, &options(None)).await.unwrap_err();
    assert_eq!(err.exit_code(), 4, "{err:?}");
    assert_eq!(snapshot(&server, "blog/").await, before);
}

#[tokio::test]
async fn history_is_pruned_to_keep_deploys() {
    let server = S3Server::start().await;
    let target = server.target("blog/");
    let cfg = PublishConfig {
        keep_deploys: 2,
        ..PublishConfig::default()
    };
    for i in 0..5 {
        publish_outputs(&target, site(&i.to_string()), &cfg, &opts(), &NoProgress)
            .await
            .unwrap();
    }
    let records = deploys::list(&target).await.unwrap();
    assert_eq!(records.len(), 2);
    let kept: Vec<String> = server
        .objects("blog/.bucketpress/history/")
        .await
        .into_keys()
        .collect();
    assert!(
        kept.iter()
            .all(|k| records.iter().any(|r| k.contains(&r.id))),
        "history of pruned deploys left: {kept:?}"
    );
    // Off: no history, no copies.
    let off = PublishConfig {
        keep_deploys: 0,
        ..PublishConfig::default()
    };
    server.reset();
    let report = publish_outputs(&target, site("x"), &off, &opts(), &NoProgress)
        .await
        .unwrap();
    assert!(report.summary.deploy.is_none());
    assert!(
        server
            .put_keys()
            .iter()
            .all(|k| !k.contains(".bucketpress/history/"))
    );
}

/// Every file under `dir` but bucketpress's own, with its bytes.
fn files(dir: &std::path::Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .filter(|(rel, _)| !rel.starts_with('.'))
        .collect()
}

#[tokio::test]
async fn a_folder_target_rolls_back_too() {
    let [v1, v2, v3] = versions();
    let fresh_v1 = tempfile::tempdir().unwrap();
    publish(&DirTarget::new(fresh_v1.path()), v1.clone()).await;
    let fresh_v2 = tempfile::tempdir().unwrap();
    publish(&DirTarget::new(fresh_v2.path()), v2.clone()).await;
    let out = tempfile::tempdir().unwrap();
    let target = DirTarget::new(out.path());
    for v in [v1, v2, v3] {
        publish(&target, v).await;
    }
    rollback(&target, &options(None)).await.unwrap();
    assert_eq!(files(out.path()), files(fresh_v2.path()));
    rollback(&target, &options(None)).await.unwrap();
    assert_eq!(files(out.path()), files(fresh_v1.path()));
}

//! One scenario run against every backend (docs.rs storage-test habit): the in-process S3
//! server and the local directory must behave the same through the [`Target`] interface.

use std::path::{Path, PathBuf};

use bucketpress::config::PublishConfig;
use bucketpress::outputs::Outputs;
use bucketpress::publish::apply::NoProgress;
use bucketpress::publish::dir::DirTarget;
use bucketpress::publish::manifest::Manifest;
use bucketpress::publish::plan::PlanError;
use bucketpress::publish::target::Target;
use bucketpress::publish::{PublishError, PublishOptions, publish_outputs};

use crate::publish::faults::Meddle;
use crate::publish::{opts, publish, site};
use crate::s3_server::{BUCKET, S3Server};

/// Runs the shared scenario. `make` opens a fresh target on the same store; `root` is where the
/// store keeps objects as plain files (s3s-fs and the directory target both do).
async fn scenario<T: Target>(make: impl Fn() -> T, root: &Path) {
    let read = |key: &str| std::fs::read(root.join(key)).ok();

    // First publish: every output lands, byte for byte.
    let report = publish(&make(), site("")).await.unwrap();
    assert_eq!(report.summary.uploaded, site("").len());
    for o in site("").iter() {
        assert_eq!(read(&o.key), Some(o.body.read_all().unwrap()), "{}", o.key);
    }

    // Unchanged: one request, nothing planned.
    let target = make();
    let report = publish(&target, site("")).await.unwrap();
    assert!(report.plan.is_empty());
    assert_eq!(target.requests(), 1);

    // An edit and a removal.
    let next: Outputs = site(" v2")
        .iter()
        .filter(|o| o.key != "posts/b/index.html")
        .cloned()
        .collect();
    let report = publish(&make(), next.clone()).await.unwrap();
    let ups: Vec<&str> = report.plan.uploads().map(|s| s.key.as_str()).collect();
    let dels: Vec<&str> = report.plan.deletes().map(|s| s.key.as_str()).collect();
    assert_eq!(
        (ups, dels),
        (vec!["posts/a/index.html"], vec!["posts/b/index.html"])
    );
    assert_eq!(read("posts/b/index.html"), None);
    assert_eq!(
        read("posts/a/index.html"),
        Some(
            next.get("posts/a/index.html")
                .unwrap()
                .body
                .read_all()
                .unwrap()
        )
    );

    // Too many deletes: refused after the one manifest read.
    let target = make();
    let strict = PublishOptions {
        max_deletes: 1,
        ..opts()
    };
    let err = publish_outputs(
        &target,
        Outputs::new(),
        &PublishConfig::default(),
        &strict,
        &NoProgress,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, PublishError::Plan(PlanError::TooManyDeletes { .. })),
        "{err:?}"
    );
    assert_eq!(target.requests(), 1);

    // Another publisher rewrites the manifest between our read and our write: conflict.
    let rival = make();
    let meddle = Meddle {
        inner: make(),
        after_read: || async {
            let (_, etag) = rival.read_manifest().await.unwrap().unwrap();
            rival
                .write_manifest(&Manifest::new(), Some(&etag))
                .await
                .unwrap();
        },
        fail: Default::default(),
        fired: Default::default(),
    };
    let err = publish(&meddle, site(" v3")).await.unwrap_err();
    assert_eq!(err.exit_code(), 4, "{err:?}");
}

#[tokio::test]
async fn scenario_on_s3() {
    let server = S3Server::start().await;
    let root: PathBuf = server.root.path().join(BUCKET);
    scenario(|| server.target(""), &root).await;
}

#[tokio::test]
async fn scenario_on_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    scenario(|| DirTarget::new(dir.path()), dir.path()).await;
}

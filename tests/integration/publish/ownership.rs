//! Two sites in one bucket: `--verify` of one never deletes the other's objects (issue #15),
//! and every object says which site wrote it.

use aws_sdk_s3::primitives::ByteStream;
use bucketpress::config::PublishConfig;
use bucketpress::outputs::{Output, OutputKind, Outputs};
use bucketpress::publish::apply::NoProgress;
use bucketpress::publish::s3::{HASH_METADATA, SITE_METADATA};
use bucketpress::publish::{PublishOptions, Report, publish_outputs};

use crate::publish::chaos::{assert_converged, expected_manifest, stored_manifest};
use crate::publish::{exists, opts, publish, site, without};
use crate::s3_server::{BUCKET, S3Server};

/// Site B: a different small site (other keys than [`site`]).
fn other_site() -> Outputs {
    [
        Output::from_bytes("index.html", b"<p>B home</p>".to_vec(), OutputKind::Listing),
        Output::from_bytes(
            "posts/z/index.html",
            b"<p>B post</p>".to_vec(),
            OutputKind::Page,
        ),
        Output::from_bytes("b.css", b"p{}".to_vec(), OutputKind::Asset),
    ]
    .into_iter()
    .collect()
}

async fn verify(server: &S3Server, prefix: &str, outputs: Outputs) -> Report {
    let verify = PublishOptions {
        verify: true,
        ..opts()
    };
    publish_outputs(
        &server.target(prefix),
        outputs,
        &PublishConfig::default(),
        &verify,
        &NoProgress,
    )
    .await
    .unwrap()
}

fn b_expected() -> bucketpress::publish::manifest::Manifest {
    expected_manifest(&other_site(), &PublishConfig::default())
}

#[tokio::test]
async fn verify_of_the_root_site_leaves_a_site_under_a_prefix_alone() {
    let server = S3Server::start().await;
    publish(&server.target(""), site("")).await.unwrap();
    publish(&server.target("blog/"), other_site())
        .await
        .unwrap();

    // Every object carries its site's id, and the two ids differ.
    let a_id = stored_manifest(&server, "").await.site_id.unwrap();
    let b_id = stored_manifest(&server, "blog/").await.site_id.unwrap();
    assert_ne!(a_id, b_id);
    let client = server.client();
    for (key, id) in [("index.html", &a_id), ("blog/index.html", &b_id)] {
        let head = client
            .head_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .unwrap();
        assert_eq!(&head.metadata().unwrap()[SITE_METADATA], id, "{key}");
    }

    // A's --verify sees B's objects (hash metadata and all) under blog/: it must not delete
    // them, nor upload anything.
    let report = verify(&server, "", site("")).await;
    assert_eq!(
        report.plan.deletes().count(),
        0,
        "{:?}",
        report.plan.actions
    );
    assert!(report.plan.is_empty());
    assert_converged(&server, "blog/", &b_expected()).await;
    server.reset();
    let report = publish(&server.target("blog/"), other_site())
        .await
        .unwrap();
    assert!(report.plan.is_empty());
    assert_eq!(server.requests().len(), 1);

    // Even with B's manifest gone, B's objects carry B's id: A's --verify keeps them.
    client
        .delete_object()
        .bucket(BUCKET)
        .key("blog/.bucketpress/manifest.json")
        .send()
        .await
        .unwrap();
    let report = verify(&server, "", site("")).await;
    assert_eq!(
        report.plan.deletes().count(),
        0,
        "{:?}",
        report.plan.actions
    );
    for key in b_expected().entries.keys() {
        assert!(exists(&client, &format!("blog/{key}")).await, "{key}");
    }

    // A's own leftovers are still found and removed: an object A wrote and no longer produces.
    let smaller = without(site(""), &["posts/b/index.html"]);
    let report = verify(&server, "", smaller).await;
    let deletes: Vec<&str> = report.plan.deletes().map(|s| s.key.as_str()).collect();
    assert_eq!(deletes, ["posts/b/index.html"]);
    assert!(!exists(&client, "posts/b/index.html").await);
}

#[tokio::test]
async fn objects_from_before_site_ids_are_deleted_only_when_our_manifest_lists_them() {
    let server = S3Server::start().await;
    let client = server.client();
    publish(&server.target(""), site("")).await.unwrap();
    // Objects as an older bucketpress wrote them: a hash, no site id. One is in our manifest
    // (we wrote it), the other is not (someone else's).
    let legacy = |key: &'static str| {
        client
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .metadata(HASH_METADATA, "0123")
            .body(ByteStream::from_static(b"old"))
            .send()
    };
    legacy("posts/b/index.html").await.unwrap();
    legacy("theirs/index.html").await.unwrap();

    let smaller = without(site(""), &["posts/b/index.html"]);
    let report = verify(&server, "", smaller.clone()).await;
    let deletes: Vec<&str> = report.plan.deletes().map(|s| s.key.as_str()).collect();
    assert_eq!(deletes, ["posts/b/index.html"]);
    assert!(!exists(&client, "posts/b/index.html").await);
    assert!(exists(&client, "theirs/index.html").await);

    // Without a manifest at all nothing unmarked is ours: nothing is deleted.
    client
        .delete_object()
        .bucket(BUCKET)
        .key(".bucketpress/manifest.json")
        .send()
        .await
        .unwrap();
    legacy("posts/b/index.html").await.unwrap();
    let report = verify(&server, "", smaller).await;
    assert_eq!(
        report.plan.deletes().count(),
        0,
        "{:?}",
        report.plan.actions
    );
    assert!(exists(&client, "theirs/index.html").await);
    assert!(exists(&client, "posts/b/index.html").await);
}

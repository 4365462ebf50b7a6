//! `--verify`: diff against what is really stored (listing + hash metadata), not the manifest.

use aws_sdk_s3::primitives::ByteStream;
use bucketpress::publish::apply::NoProgress;
use bucketpress::publish::{PublishOptions, publish_outputs};

use crate::publish::{exists, opts, publish, site};
use crate::s3_server::{BUCKET, S3Server};

#[tokio::test]
async fn verify_without_manifest_reuploads_nothing_identical() {
    let server = S3Server::start().await;
    let client = server.client();
    publish(&server.target("p"), site("")).await.unwrap();
    client
        .put_object()
        .bucket(BUCKET)
        .key("p/unmanaged.txt")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    client
        .delete_object()
        .bucket(BUCKET)
        .key("p/.bucketpress/manifest.json")
        .send()
        .await
        .unwrap();
    server.reset();
    let verify = PublishOptions {
        verify: true,
        ..opts()
    };
    let report = publish_outputs(
        &server.target("p"),
        site(" edited"),
        &crate::publish::no_history(),
        &verify,
        &NoProgress,
    )
    .await
    .unwrap();
    // Only the edited post and the rebuilt manifest are written.
    assert_eq!(
        server.put_keys(),
        ["p/.bucketpress/manifest.json", "p/posts/a/index.html"]
    );
    assert_eq!(report.summary.unchanged, site("").len() - 1);
    assert!(
        exists(&client, "p/unmanaged.txt").await,
        "no hash metadata: never deleted"
    );
    // The rebuilt manifest makes the next publish a one-request no-op.
    server.reset();
    publish(&server.target("p"), site(" edited")).await.unwrap();
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn verify_restores_an_object_deleted_behind_the_manifests_back() {
    let server = S3Server::start().await;
    let client = server.client();
    publish(&server.target(""), site("")).await.unwrap();
    client
        .delete_object()
        .bucket(BUCKET)
        .key("style.css")
        .send()
        .await
        .unwrap();

    // The manifest cannot know: a plain publish does nothing.
    server.reset();
    let report = publish(&server.target(""), site("")).await.unwrap();
    assert!(report.plan.is_empty());
    assert_eq!(server.requests().len(), 1);

    // --verify looks at what is stored: exactly the missing object is uploaded, and the
    // manifest (already right) is not rewritten.
    server.reset();
    let verify = PublishOptions {
        verify: true,
        ..opts()
    };
    let report = publish_outputs(
        &server.target(""),
        site(""),
        &crate::publish::no_history(),
        &verify,
        &NoProgress,
    )
    .await
    .unwrap();
    let ups: Vec<&str> = report.plan.uploads().map(|s| s.key.as_str()).collect();
    assert_eq!(ups, ["style.css"]);
    assert!(!report.summary.manifest_written);
    assert_eq!(server.put_keys(), ["style.css"]);
    // GET manifest + one listing + a HeadObject per remaining object + the PUT.
    let n = site("").len();
    assert_eq!(
        server.requests().len(),
        1 + 1 + (n - 1) + 1,
        "{:#?}",
        server.requests()
    );
    assert!(exists(&client, "style.css").await);
}

//! Faults during a publish, against the real S3 protocol: a concurrent publish (conflict) and
//! uploads that fail part way (the manifest must record only what landed).

use std::collections::BTreeSet;
use std::future::Future;

use aws_sdk_s3::primitives::ByteStream;
use bucketpress::outputs::{Output, Outputs};
use bucketpress::publish::apply::{ApplyError, NoProgress};
use bucketpress::publish::manifest::{Manifest, UNKNOWN_HASH};
use bucketpress::publish::target::{Etag, Listing, Target, TargetError};
use bucketpress::publish::{PublishError, publish_outputs};

use crate::publish::{opts, publish, site};
use crate::s3_server::{BUCKET, S3Server};

/// A target that runs `after_read` right after its first manifest read (another publisher
/// acting in the window) and fails uploads of `fail` keys with a transient error.
pub struct Meddle<T, F> {
    /// The real target.
    pub inner: T,
    /// Runs after the manifest read.
    pub after_read: F,
    /// Keys whose upload fails.
    pub fail: BTreeSet<String>,
    /// Whether `after_read` has run (it runs once: later reads, e.g. after a conflict, see
    /// the store as the rival left it).
    pub fired: std::sync::atomic::AtomicBool,
}

impl<T, F, Fut> Target for Meddle<T, F>
where
    T: Target,
    F: Fn() -> Fut + Sync,
    Fut: Future<Output = ()> + Send,
{
    async fn read_manifest(&self) -> Result<Option<(Vec<u8>, Etag)>, TargetError> {
        let read = self.inner.read_manifest().await;
        if !self.fired.swap(true, std::sync::atomic::Ordering::SeqCst) {
            (self.after_read)().await;
        }
        read
    }

    async fn put(&self, output: &Output, site_id: &str) -> Result<(), TargetError> {
        if self.fail.contains(&output.key) {
            return Err(TargetError::Transient(format!(
                "{}: injected failure",
                output.key
            )));
        }
        self.inner.put(output, site_id).await
    }

    async fn delete_many(
        &self,
        keys: &[String],
    ) -> Result<Vec<(String, TargetError)>, TargetError> {
        self.inner.delete_many(keys).await
    }

    async fn write_manifest(
        &self,
        manifest: &Manifest,
        expected: Option<&Etag>,
    ) -> Result<Etag, TargetError> {
        self.inner.write_manifest(manifest, expected).await
    }

    async fn list_hashes(&self) -> Result<Listing, TargetError> {
        self.inner.list_hashes().await
    }

    fn stores_headers(&self) -> bool {
        self.inner.stores_headers()
    }

    fn requests(&self) -> u64 {
        self.inner.requests()
    }
}

/// A no-op `after_read`.
pub async fn nothing() {}

fn assert_conflict(err: &PublishError) {
    match err {
        PublishError::Apply { failure, .. } => {
            assert!(
                matches!(failure.error, ApplyError::Conflict { repair: None, .. }),
                "{err:?}"
            );
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(err.exit_code(), 4);
    assert!(
        err.to_string().contains("another publish changed the site"),
        "{err}"
    );
}

#[tokio::test]
async fn manifest_changed_after_our_read_is_a_conflict_and_nothing_is_deleted() {
    let server = S3Server::start().await;
    publish(&server.target(""), site("")).await.unwrap();
    let client = server.client();
    let other = Manifest::new().encode();
    let meddle = Meddle {
        inner: server.target(""),
        after_read: || {
            let client = client.clone();
            let other = other.clone();
            async move {
                client
                    .put_object()
                    .bucket(BUCKET)
                    .key(".bucketpress/manifest.json")
                    .body(ByteStream::from(other))
                    .send()
                    .await
                    .unwrap();
            }
        },
        fail: BTreeSet::new(),
        fired: Default::default(),
    };
    let mut smaller: Outputs = site(" edited")
        .iter()
        .filter(|o| o.key != "posts/b/index.html")
        .cloned()
        .collect();
    smaller.insert(Output::from_bytes(
        "new.txt",
        b"n".to_vec(),
        bucketpress::outputs::OutputKind::Asset,
    ));
    let err = publish(&meddle, smaller).await.unwrap_err();
    assert_conflict(&err);
    // Deletes run only after the manifest write succeeded: the removed post is still there.
    assert!(
        client
            .head_object()
            .bucket(BUCKET)
            .key("posts/b/index.html")
            .send()
            .await
            .is_ok()
    );
    // The other publisher's manifest was kept: only the keys this publish uploaded were added,
    // marked as of unknown content (they may have overwritten the other's objects).
    let stored = client
        .get_object()
        .bucket(BUCKET)
        .key(".bucketpress/manifest.json")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    let stored = Manifest::decode(&stored).unwrap();
    let marked: Vec<(&str, &str)> = stored
        .entries
        .iter()
        .map(|(k, e)| (k.as_str(), e.hash.as_str()))
        .collect();
    assert_eq!(
        marked,
        [
            ("new.txt", UNKNOWN_HASH),
            ("posts/a/index.html", UNKNOWN_HASH)
        ]
    );
}

#[tokio::test]
async fn two_first_publishes_racing_conflict_on_if_none_match() {
    let server = S3Server::start().await;
    let rival = server.target("");
    let meddle = Meddle {
        inner: server.target(""),
        after_read: || async {
            publish(&rival, site("rival")).await.unwrap();
        },
        fail: BTreeSet::new(),
        fired: Default::default(),
    };
    let err = publish(&meddle, site("")).await.unwrap_err();
    assert_conflict(&err);
}

#[tokio::test]
async fn failed_uploads_are_left_out_of_the_manifest_and_retried_next_time() {
    let server = S3Server::start().await;
    let meddle = Meddle {
        inner: server.target(""),
        after_read: nothing,
        fail: ["posts/a/index.html".to_string()].into(),
        fired: Default::default(),
    };
    let err = publish(&meddle, site("")).await.unwrap_err();
    assert_eq!(err.exit_code(), 3);
    let PublishError::Apply { failure, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(
        matches!(
            failure.error,
            ApplyError::Uploads {
                failed: 1,
                not_attempted: 3,
                planned: 7,
                ..
            }
        ),
        "{:?}",
        failure.error
    );
    // Assets and the other page landed; the listings phase never started.
    assert_eq!(failure.summary.uploaded, 3);
    assert!(failure.summary.manifest_written);
    assert_eq!(failure.summary.failed.len(), 1);
    assert_eq!(failure.summary.failed[0].key, "posts/a/index.html");

    server.reset();
    let report = publish(&server.target(""), site("")).await.unwrap();
    let retried: Vec<&str> = report.plan.uploads().map(|s| s.key.as_str()).collect();
    assert_eq!(
        retried,
        [
            "posts/a/index.html",
            "atom.xml",
            "index.html",
            "old-a/index.html"
        ]
    );
    assert_eq!(server.put_keys().len(), 5);
    server.reset();
    publish(&server.target(""), site("")).await.unwrap();
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn corrupt_manifest_is_a_typed_error_and_force_rebuilds_it() {
    let server = S3Server::start().await;
    let client = server.client();
    client
        .put_object()
        .bucket(BUCKET)
        .key(".bucketpress/manifest.json")
        .body(ByteStream::from_static(b"\x1f\x8bgarbage"))
        .send()
        .await
        .unwrap();
    server.reset();
    let err = publish(&server.target(""), site("")).await.unwrap_err();
    assert!(matches!(err, PublishError::Manifest(_)), "{err:?}");
    assert!(err.to_string().contains("--force"));
    assert!(server.writes().is_empty());

    let force = bucketpress::publish::PublishOptions {
        force: true,
        ..opts()
    };
    let report = publish_outputs(
        &server.target(""),
        site(""),
        &crate::publish::no_history(),
        &force,
        &NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(report.summary.uploaded, site("").len());
    server.reset();
    publish(&server.target(""), site("")).await.unwrap();
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn throttling_is_retried_by_the_sdk() {
    let server = S3Server::start().await;
    let n = site("").len();
    server.inject("PUT", "/posts/a/index.html", 2, 503, "SlowDown");
    let report = publish(&server.target(""), site("")).await.unwrap();
    assert_eq!(report.summary.uploaded, n);
    // Two refused attempts, then success: the count is of requests sent, retries included
    // (n uploads, the manifest GET and PUT, two retries), as the server saw them.
    assert_eq!(server.requests().len(), n + 3 + 2);
    assert_eq!(report.summary.requests, (n + 3 + 2) as u64);
    server.reset();
    publish(&server.target(""), site("")).await.unwrap();
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn persistent_server_errors_give_up_after_five_attempts_and_are_retried_next_publish() {
    let server = S3Server::start().await;
    server.inject("PUT", "/style.css", 5, 500, "InternalError");
    let err = publish(&server.target(""), site("")).await.unwrap_err();
    assert_eq!(err.exit_code(), 3);
    let PublishError::Apply { failure, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(
        matches!(failure.error, ApplyError::Uploads { failed: 1, .. }),
        "{:?}",
        failure.error
    );
    assert!(
        failure.summary.failed[0].error.contains("InternalError"),
        "{:?}",
        failure.summary.failed
    );
    let attempts = server
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.path.ends_with("/style.css"))
        .count();
    assert_eq!(attempts, 5);

    server.reset();
    let report = publish(&server.target(""), site("")).await.unwrap();
    assert_eq!(report.plan.uploads().next().unwrap().key, "style.css");
}

#[tokio::test]
async fn access_denied_on_upload_stops_at_once() {
    let server = S3Server::start().await;
    server.inject("PUT", "", 1000, 403, "AccessDenied");
    let opts1 = bucketpress::publish::PublishOptions {
        concurrency: 1,
        ..opts()
    };
    let err = publish_outputs(
        &server.target(""),
        site(""),
        &crate::publish::no_history(),
        &opts1,
        &NoProgress,
    )
    .await
    .unwrap_err();
    let PublishError::Apply { failure, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(
        matches!(
            failure.error,
            ApplyError::Target(TargetError::AccessDenied(_))
        ),
        "{:?}",
        failure.error
    );
    // One refused PUT, no further uploads, no manifest write.
    assert_eq!(server.count("PUT"), 1, "{:#?}", server.requests());
}

#[tokio::test]
async fn a_store_without_conditional_writes_falls_back_to_compare_then_write() {
    let server = S3Server::start().await;
    publish(&server.target(""), site("")).await.unwrap();
    server.reset();
    server.inject(
        "PUT",
        "/.bucketpress/manifest.json",
        1,
        501,
        "NotImplemented",
    );
    let report = publish(&server.target(""), site(" edited")).await.unwrap();
    assert!(report.summary.manifest_written);
    // GET manifest, PUT post, PUT manifest (501), HEAD manifest, PUT manifest.
    let seen: Vec<String> = server.requests().iter().map(|r| r.method.clone()).collect();
    assert_eq!(seen, ["GET", "PUT", "PUT", "HEAD", "PUT"]);
    server.reset();
    publish(&server.target(""), site(" edited")).await.unwrap();
    assert_eq!(server.requests().len(), 1);

    // And the fallback still detects a manifest changed behind our back.
    let client = server.client();
    let meddle = Meddle {
        inner: server.target(""),
        after_read: || {
            let client = client.clone();
            let server = &server;
            async move {
                client
                    .put_object()
                    .bucket(BUCKET)
                    .key(".bucketpress/manifest.json")
                    .body(ByteStream::from(Manifest::new().encode()))
                    .send()
                    .await
                    .unwrap();
                // From now on the store refuses conditional writes.
                server.inject(
                    "PUT",
                    "/.bucketpress/manifest.json",
                    1,
                    501,
                    "NotImplemented",
                );
            }
        },
        fail: BTreeSet::new(),
        fired: Default::default(),
    };
    let err = publish(&meddle, site(" again")).await.unwrap_err();
    assert_eq!(err.exit_code(), 4, "{err:?}");
}

#[tokio::test]
async fn access_denied_on_the_manifest_read_fails_fast_with_a_hint() {
    let server = S3Server::start().await;
    server.inject("GET", "/.bucketpress/manifest.json", 1, 403, "AccessDenied");
    let err = publish(&server.target(""), site("")).await.unwrap_err();
    let PublishError::Target(TargetError::AccessDenied(detail)) = &err else {
        panic!("{err:?}");
    };
    assert!(detail.contains("s3:ListBucket"), "{detail}");
    assert_eq!(err.exit_code(), 3);
    assert_eq!(server.requests().len(), 1);
}

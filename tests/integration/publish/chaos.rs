//! Faults in the middle of a publish, injected by the in-process S3 server on chosen requests
//! (500, 503 SlowDown, a dropped connection, a response slower than the client's timeout), and
//! two publishes of different versions racing for the same bucket.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bucketpress::config::PublishConfig;
use bucketpress::outputs::{Output, OutputKind, Outputs};
use bucketpress::publish::apply::ApplyError;
use bucketpress::publish::headers;
use bucketpress::publish::manifest::{MANIFEST_KEY, Manifest, UNKNOWN_HASH};
use bucketpress::publish::plan::{PlanOptions, plan};
use bucketpress::publish::target::Target;
use bucketpress::publish::{PublishError, Report};

use crate::publish::faults::Meddle;
use crate::publish::{exists, get, publish, site};
use crate::s3_server::{BUCKET, Fault, FaultKind, S3Server};

/// The attempt timeout of clients facing slow responses: long enough that an ordinary request
/// never hits it on a loaded machine, short next to the 5 s the slow responses take.
const ATTEMPT: Duration = Duration::from_secs(1);

/// The manifest stored under `prefix`.
pub async fn stored_manifest(server: &S3Server, prefix: &str) -> Manifest {
    let bytes = get(&server.client(), &format!("{prefix}{MANIFEST_KEY}")).await;
    Manifest::decode(&bytes).expect("the stored manifest decodes")
}

/// The manifest a publish of `outputs` with `cfg` ends with (headers applied, hidden and
/// excluded keys left out).
pub fn expected_manifest(outputs: &Outputs, cfg: &PublishConfig) -> Manifest {
    let mut outputs = outputs.clone();
    headers::apply_headers(&mut outputs, cfg);
    let opts = PlanOptions {
        exclude: cfg.exclude.clone(),
        ..PlanOptions::default()
    };
    plan(&outputs, &Manifest::new(), &opts).unwrap().manifest
}

/// Asserts the bucket under `prefix` holds exactly `expected`: every key with the expected
/// hash metadata and nothing else (besides the manifest), and the manifest says the same.
pub async fn assert_converged(server: &S3Server, prefix: &str, expected: &Manifest) {
    let want: BTreeMap<String, Option<String>> = expected
        .entries
        .iter()
        .map(|(k, e)| (format!("{prefix}{k}"), Some(e.hash.clone())))
        .collect();
    let mut stored = server.objects(prefix).await;
    // The deploy history is bucketpress's own, not the site.
    stored.retain(|k, _| {
        let rel = &k[prefix.len()..];
        !rel.starts_with(".bucketpress/deploys/") && !rel.starts_with(".bucketpress/history/")
    });
    assert!(
        stored.remove(&format!("{prefix}{MANIFEST_KEY}")).is_some(),
        "no manifest"
    );
    let missing: Vec<&String> = want.keys().filter(|k| !stored.contains_key(*k)).collect();
    let stale: Vec<&String> = stored.keys().filter(|k| !want.contains_key(*k)).collect();
    assert!(missing.is_empty(), "missing from the bucket: {missing:?}");
    assert!(stale.is_empty(), "stale in the bucket: {stale:?}");
    for (key, hash) in &want {
        assert_eq!(&stored[key], hash, "{key} holds other bytes");
    }
    assert_eq!(
        stored_manifest(server, prefix).await.entries,
        expected.entries
    );
}

/// The Apply failure inside `err`.
fn apply_error(err: &PublishError) -> &bucketpress::publish::apply::ApplyFailure {
    match err {
        PublishError::Apply { failure, .. } => failure,
        other => panic!("expected an apply failure, got {other:?}"),
    }
}

fn upload_keys(report: &Report) -> Vec<&str> {
    report.plan.uploads().map(|s| s.key.as_str()).collect()
}

#[tokio::test]
async fn transient_faults_on_chosen_requests_are_retried_and_the_publish_succeeds() {
    let server = S3Server::start().await;
    let slow = Duration::from_secs(5);
    server.fault(Fault::new(
        "PUT",
        "/style.css",
        2,
        FaultKind::Status(500, "InternalError".into()),
    ));
    server.fault(Fault::new(
        "PUT",
        "/img/logo.png",
        2,
        FaultKind::Status(503, "SlowDown".into()),
    ));
    server.fault(Fault::new("PUT", "/posts/a/", 2, FaultKind::Reset));
    server.fault(Fault::new("PUT", "/posts/b/", 1, FaultKind::Delay(slow)));
    server.fault(Fault::new("PUT", MANIFEST_KEY, 1, FaultKind::Reset));
    let target = server.target_with_attempt_timeout("", ATTEMPT);
    let report = publish(&target, site("")).await.unwrap();
    assert_eq!(report.summary.uploaded, site("").len());
    assert!(report.summary.manifest_written);
    assert!(report.summary.failed.is_empty());

    // Every faulted request was tried again: 2 + 2 + 2 + 1 + 1 extra attempts.
    let puts = |pattern: &str| {
        server
            .requests()
            .iter()
            .filter(|r| r.method == "PUT" && r.path.contains(pattern))
            .count()
    };
    assert_eq!(puts("/style.css"), 3);
    assert_eq!(puts("/img/logo.png"), 3);
    assert_eq!(puts("/posts/a/"), 3);
    assert_eq!(puts("/posts/b/"), 2);
    assert_eq!(puts(MANIFEST_KEY), 2);
    assert_converged(
        &server,
        "",
        &expected_manifest(&site(""), &PublishConfig::default()),
    )
    .await;
    server.reset();
    publish(&server.target(""), site("")).await.unwrap();
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_manifest_write_whose_answer_is_too_slow_is_not_mistaken_for_a_conflict() {
    let server = S3Server::start().await;
    publish(&server.target(""), site("")).await.unwrap();
    // The conditional write lands, its answer comes after the client gave up, the SDK retries
    // and the store refuses the retry (412): the publish must see its own manifest, not a rival.
    server.fault(Fault::new(
        "PUT",
        MANIFEST_KEY,
        1,
        FaultKind::Delay(Duration::from_secs(5)),
    ));
    server.reset();
    let target = server.target_with_attempt_timeout("", ATTEMPT);
    let report = publish(&target, site(" edited")).await.unwrap();
    assert!(report.summary.manifest_written);
    let manifest_puts = server
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.path.ends_with(MANIFEST_KEY))
        .count();
    assert_eq!(manifest_puts, 2, "{:#?}", server.requests());
    assert_converged(
        &server,
        "",
        &expected_manifest(&site(" edited"), &PublishConfig::default()),
    )
    .await;
}

#[tokio::test]
async fn a_persistent_fault_fails_with_a_summary_and_the_next_publish_uploads_exactly_what_is_missing()
 {
    let server = S3Server::start().await;
    publish(&server.target(""), site("")).await.unwrap();
    let v1 = stored_manifest(&server, "").await;

    // Version 2 changes both posts; every connection uploading post b is dropped.
    let v2 = || {
        let mut outputs = site(" v2");
        outputs.insert(Output::from_bytes(
            "posts/b/index.html",
            b"<!doctype html><title>b v2</title>".to_vec(),
            OutputKind::Page,
        ));
        outputs
    };
    server.fault(Fault::new("PUT", "/posts/b/", usize::MAX, FaultKind::Reset));
    server.reset();
    let err = publish(&server.target(""), v2()).await.unwrap_err();
    assert_eq!(err.exit_code(), 3);
    let failure = apply_error(&err);
    assert!(
        matches!(
            failure.error,
            ApplyError::Uploads {
                failed: 1,
                not_attempted: 0,
                planned: 2,
                ..
            }
        ),
        "{:?}",
        failure.error
    );
    let failed: Vec<&str> = failure
        .summary
        .failed
        .iter()
        .map(|f| f.key.as_str())
        .collect();
    assert_eq!(failed, ["posts/b/index.html"]);
    assert!(
        failure.summary.failed[0]
            .error
            .contains("no answer from the store (retried)"),
        "{}",
        failure.summary.failed[0].error
    );
    assert!(err.to_string().contains("1 of 2 uploads failed"), "{err}");
    // The SDK tried 5 times before giving up.
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|r| r.path.contains("/posts/b/"))
            .count(),
        5
    );

    // The manifest records what landed (post a v2) and the old entry for post b.
    let mut want = expected_manifest(&v2(), &PublishConfig::default());
    want.entries.insert(
        "posts/b/index.html".into(),
        v1.entries["posts/b/index.html"].clone(),
    );
    let stored = stored_manifest(&server, "").await;
    assert_eq!(
        (stored.entries, stored.sources),
        (want.entries, want.sources)
    );

    server.clear_faults();
    server.reset();
    let report = publish(&server.target(""), v2()).await.unwrap();
    assert_eq!(upload_keys(&report), ["posts/b/index.html"]);
    assert_eq!(server.put_keys(), [MANIFEST_KEY, "posts/b/index.html"]);
    assert_converged(
        &server,
        "",
        &expected_manifest(&v2(), &PublishConfig::default()),
    )
    .await;
}

/// Version A and version B of the site: they change post a differently, and each drops a
/// different key the other keeps.
fn version(name: &str, drop: &str) -> Outputs {
    site(&format!(" version {name}"))
        .iter()
        .filter(|o| o.key != drop)
        .cloned()
        .chain([Output::from_bytes(
            format!("only-{name}.txt"),
            name.as_bytes().to_vec(),
            OutputKind::Asset,
        )])
        .collect()
}

#[tokio::test]
async fn concurrent_publishes_of_two_versions_one_wins_the_loser_exits_4_and_a_rerun_converges() {
    let server = S3Server::start().await;
    publish(&server.target(""), site("")).await.unwrap();
    let a = version("a", "atom.xml");
    let b = version("b", "posts/b/index.html");

    // A reads the manifest; then B publishes all the way (B wins); then A uploads and tries to
    // write its manifest, conditional on the one it read.
    let winner = server.target("");
    let loser = Meddle {
        inner: server.target(""),
        after_read: || async {
            let report = publish(&winner, version("b", "posts/b/index.html"))
                .await
                .unwrap();
            assert_eq!(report.summary.deleted, 1);
        },
        fail: BTreeSet::new(),
        fired: Default::default(),
    };
    server.reset();
    let err = publish(&loser, a).await.unwrap_err();
    assert_eq!(err.exit_code(), 4);
    let failure = apply_error(&err);
    assert!(
        matches!(
            failure.error,
            ApplyError::Conflict {
                attempted: 2,
                repair: None
            }
        ),
        "{:?}",
        failure.error
    );
    let message = err.to_string();
    assert!(
        message.contains("another publish changed the site")
            && message.contains("nothing was deleted"),
        "{message}"
    );
    eprintln!("conflict message: {message}");

    // The loser deleted nothing: atom.xml (which B needs and A dropped) is still there, and
    // the only DeleteObjects request was the winner's.
    assert!(exists(&server.client(), "atom.xml").await);
    let deletes = server
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(deletes, 1);
    // The loser's uploads landed after the winner's manifest: post a holds A's bytes, and the
    // manifest no longer vouches for it, nor for A's extra key.
    let post_a = String::from_utf8(get(&server.client(), "posts/a/index.html").await).unwrap();
    assert!(post_a.contains("version a"), "{post_a}");
    let stored = stored_manifest(&server, "").await;
    assert_eq!(stored.entries["posts/a/index.html"].hash, UNKNOWN_HASH);
    assert_eq!(stored.entries["only-a.txt"].hash, UNKNOWN_HASH);
    let unknown: Vec<&str> = stored
        .entries
        .iter()
        .filter(|(_, e)| e.hash == UNKNOWN_HASH)
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(unknown, ["only-a.txt", "posts/a/index.html"]);

    // The winner runs again: it re-uploads exactly the overwritten key, deletes A's extra key,
    // and the bucket is exactly version B.
    server.reset();
    let report = publish(&server.target(""), b.clone()).await.unwrap();
    assert_eq!(upload_keys(&report), ["posts/a/index.html"]);
    let deleted: Vec<&str> = report.plan.deletes().map(|s| s.key.as_str()).collect();
    assert_eq!(deleted, ["only-a.txt"]);
    assert_converged(
        &server,
        "",
        &expected_manifest(&b, &PublishConfig::default()),
    )
    .await;

    // Had the loser run again instead, its version would win just as cleanly.
    let a = version("a", "atom.xml");
    publish(&server.target(""), a.clone()).await.unwrap();
    assert_converged(
        &server,
        "",
        &expected_manifest(&a, &PublishConfig::default()),
    )
    .await;
}

#[tokio::test]
async fn the_loser_of_a_race_reruns_and_its_version_converges_too() {
    let server = S3Server::start().await;
    publish(&server.target(""), site("")).await.unwrap();
    let winner = server.target("");
    let loser = Meddle {
        inner: server.target(""),
        after_read: || async {
            publish(&winner, version("b", "posts/b/index.html"))
                .await
                .unwrap();
        },
        fail: BTreeSet::new(),
        fired: Default::default(),
    };
    let err = publish(&loser, version("a", "atom.xml")).await.unwrap_err();
    assert_eq!(err.exit_code(), 4);
    // The loser's re-run plans from a fresh read of the winner's manifest (with the loser's
    // keys marked unknown) and makes the bucket exactly version A.
    let a = version("a", "atom.xml");
    let report = publish(&server.target(""), a.clone()).await.unwrap();
    let mut uploads = upload_keys(&report);
    uploads.sort();
    // Both keys marked unknown are uploaded again, whatever the bucket holds for them.
    assert!(uploads.contains(&"posts/a/index.html"), "{uploads:?}");
    assert!(uploads.contains(&"only-a.txt"), "{uploads:?}");
    assert_converged(
        &server,
        "",
        &expected_manifest(&a, &PublishConfig::default()),
    )
    .await;
}

#[tokio::test]
async fn deletes_never_touch_keys_outside_the_previous_manifest() {
    let server = S3Server::start().await;
    let client = server.client();
    // Objects bucketpress never uploaded, including under the prefix and with look-alike names.
    for key in [
        "blog/unmanaged.html",
        "blog/posts/a/extra.png",
        "other/index.html",
    ] {
        client
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(aws_sdk_s3::primitives::ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
    }
    publish(&server.target("blog"), site("")).await.unwrap();
    // Publishing an empty site deletes exactly the manifest's keys, nothing else.
    let all = bucketpress::publish::PublishOptions {
        max_deletes: 100,
        ..crate::publish::opts()
    };
    let report = bucketpress::publish::publish_outputs(
        &server.target("blog"),
        Outputs::new(),
        &crate::publish::no_history(),
        &all,
        &bucketpress::publish::apply::NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(report.summary.deleted, site("").len());
    let left: Vec<String> = server.objects("").await.into_keys().collect();
    assert_eq!(
        left,
        [
            "blog/.bucketpress/manifest.json",
            "blog/posts/a/extra.png",
            "blog/unmanaged.html",
            "other/index.html"
        ]
    );
    assert!(stored_manifest(&server, "blog/").await.entries.is_empty());
}

#[tokio::test]
async fn after_an_interrupted_publish_an_older_version_needs_verify_and_verify_repairs_it() {
    let server = S3Server::start().await;
    let v1 = site("");
    publish(&server.target(""), v1.clone()).await.unwrap();
    // A publish of version 2 died after uploading post a, before its manifest write.
    let v2 = site(" v2");
    let site_id = stored_manifest(&server, "").await.site_id.unwrap();
    server
        .target("")
        .put(v2.get("posts/a/index.html").unwrap(), &site_id)
        .await
        .unwrap();

    // Publishing version 1 again trusts the manifest, which still says version 1: the
    // documented limit. `--verify` reads the stored hashes and puts version 1 back.
    let report = publish(&server.target(""), v1.clone()).await.unwrap();
    assert!(report.plan.is_empty());
    let verify = bucketpress::publish::PublishOptions {
        verify: true,
        ..crate::publish::opts()
    };
    let report = bucketpress::publish::publish_outputs(
        &server.target(""),
        v1.clone(),
        &PublishConfig::default(),
        &verify,
        &bucketpress::publish::apply::NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(upload_keys(&report), ["posts/a/index.html"]);
    assert_converged(
        &server,
        "",
        &expected_manifest(&v1, &PublishConfig::default()),
    )
    .await;
}

#[tokio::test]
async fn a_loser_that_cannot_mark_its_uploads_says_to_run_verify() {
    let server = S3Server::start().await;
    publish(&server.target(""), site("")).await.unwrap();
    // The conditional manifest write is refused (412), then so is the repair write (403).
    server.inject("PUT", MANIFEST_KEY, 1, 412, "PreconditionFailed");
    server.inject("PUT", MANIFEST_KEY, 1, 403, "AccessDenied");
    let err = publish(&server.target(""), site(" edited"))
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), 4);
    let failure = apply_error(&err);
    assert!(
        matches!(
            &failure.error,
            ApplyError::Conflict { attempted: 1, repair: Some(e) } if e.contains("access denied")
        ),
        "{:?}",
        failure.error
    );
    assert!(
        err.to_string().contains("run publish with --verify"),
        "{err}"
    );
    // And --verify does repair it.
    let verify = bucketpress::publish::PublishOptions {
        verify: true,
        ..crate::publish::opts()
    };
    bucketpress::publish::publish_outputs(
        &server.target(""),
        site(" edited"),
        &PublishConfig::default(),
        &verify,
        &bucketpress::publish::apply::NoProgress,
    )
    .await
    .unwrap();
    assert_converged(
        &server,
        "",
        &expected_manifest(&site(" edited"), &PublishConfig::default()),
    )
    .await;
}

//! A publish killed at every step (issue #15): the next publish converges, deletes included.
//!
//! "Killed" here is a publish future dropped while one of its requests hangs: nothing of it
//! runs afterwards (no cleanup, no error path), as with SIGKILL, and every request it sent
//! before really reached the in-process S3 server.

use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bucketpress::config::PublishConfig;
use bucketpress::outputs::{Output, OutputKind, Outputs};
use bucketpress::pipeline::{BuildOptions, render_site};
use bucketpress::publish::lines::summary_line;
use bucketpress::publish::manifest::Manifest;
use bucketpress::publish::target::{Etag, Listing, Target, TargetError};
use bucketpress::publish::{Report, TargetSpec};

use crate::publish::chaos::{assert_converged, expected_manifest, stored_manifest};
use crate::publish::kill::{assert_success, configure, publish_command, run};
use crate::publish::{exists, publish, site, without};
use crate::s3_server::{Fault, FaultKind, S3Server};

/// A target that lets `budget` write requests through and hangs on the next one for ever
/// (the test then drops the publish: a kill at exactly that point).
struct Freeze<T> {
    inner: T,
    budget: AtomicUsize,
    frozen: tokio::sync::Notify,
}

impl<T> Freeze<T> {
    fn new(inner: T, budget: usize) -> Freeze<T> {
        Freeze {
            inner,
            budget: AtomicUsize::new(budget),
            frozen: tokio::sync::Notify::new(),
        }
    }

    /// Returns when the write may go ahead; never, once the budget is spent.
    async fn gate(&self) {
        let left = self.budget.load(Ordering::SeqCst);
        if left == 0 {
            self.frozen.notify_one();
            std::future::pending::<()>().await;
        }
        self.budget.store(left - 1, Ordering::SeqCst);
    }
}

impl<T: Target> Target for Freeze<T> {
    async fn read_manifest(&self) -> Result<Option<(Vec<u8>, Etag)>, TargetError> {
        self.inner.read_manifest().await
    }

    async fn put(&self, output: &Output, site_id: &str) -> Result<(), TargetError> {
        self.gate().await;
        self.inner.put(output, site_id).await
    }

    async fn delete_many(
        &self,
        keys: &[String],
    ) -> Result<Vec<(String, TargetError)>, TargetError> {
        self.gate().await;
        self.inner.delete_many(keys).await
    }

    async fn write_manifest(
        &self,
        manifest: &Manifest,
        expected: Option<&Etag>,
    ) -> Result<Etag, TargetError> {
        self.gate().await;
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

/// Version 2 of [`site`]: a new asset, post a and the home page edited, post b and the feed
/// removed: a write in every phase (asset, page, listing), the manifest, the deletes.
fn v2() -> Outputs {
    let mut v2 = without(site(" v2"), &["posts/b/index.html", "atom.xml"]);
    v2.insert(Output::from_bytes(
        "new.css",
        b"a{}".to_vec(),
        OutputKind::Asset,
    ));
    v2.insert(Output::from_bytes(
        "index.html",
        b"<p>home v2</p>".to_vec(),
        OutputKind::Listing,
    ));
    v2
}

fn line(report: &Report) -> String {
    let spec = TargetSpec::S3 {
        bucket: "site".into(),
        prefix: String::new(),
    };
    summary_line(&spec, false, &report.plan, &report.summary)
}

#[tokio::test]
async fn a_publish_killed_at_any_write_converges_on_the_next_run() {
    let want = expected_manifest(&v2(), &PublishConfig::default());
    let mut finished_deletes = 0;
    for budget in 0.. {
        let server = S3Server::start().await;
        publish(&server.target(""), site("")).await.unwrap();
        let frozen = Freeze::new(server.target(""), budget);
        let completed = tokio::select! {
            r = publish(&frozen, v2()) => { r.unwrap(); true }
            () = frozen.frozen.notified() => false,
        };
        if completed {
            // The budget outlasted the publish: every write point has been a kill point (3
            // uploads, the manifest, the deletes, the manifest clearing them).
            assert_eq!(budget, 6);
            break;
        }
        // The next publish of the same version converges: bucket == build, nothing stale.
        let report = publish(&server.target(""), v2()).await.unwrap();
        assert_converged(&server, "", &want).await;
        let stored = stored_manifest(&server, "").await;
        assert!(stored.pending_deletes.is_empty(), "budget {budget}");
        if report.plan.interrupted_deletes() > 0 {
            finished_deletes += 1;
            assert_eq!(report.summary.deleted, 2);
            let text = line(&report);
            assert!(
                text.contains("finishing 2 deletes left by an interrupted publish"),
                "{text}"
            );
        }
        // And it is stable: the run after that has nothing to do, in one request.
        server.reset();
        let report = publish(&server.target(""), v2()).await.unwrap();
        assert!(report.plan.is_empty(), "budget {budget}: {:?}", report.plan);
        assert_eq!(server.requests().len(), 1, "budget {budget}");
    }
    // Killed between the manifest write and the deletes, and during the deletes.
    assert_eq!(finished_deletes, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_killed_before_its_deletes_finishes_them_on_the_next_run() {
    let server = S3Server::start().await;
    let src = crate::support::site(&[
        (
            "content/posts/a.md",
            "---\ntitle: A\ndate: 2024-01-02\n---\nA.\n",
        ),
        (
            "content/posts/b.md",
            "---\ntitle: B\ndate: 2024-01-03\n---\nB.\n",
        ),
    ]);
    configure(src.path(), &server, "");
    assert_success(&run(publish_command(src.path(), &[])).await);
    assert!(exists(&server.client(), "blog/posts/b/index.html").await);

    // Post b goes; the publish is killed while its DeleteObjects is held at the server (the
    // manifest, recording its sources, is already written).
    std::fs::remove_file(src.path().join("content/posts/b.md")).unwrap();
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
    server.fault(Fault::new("POST", "", usize::MAX, FaultKind::Hold(gate)));
    server.reset();
    let mut child = publish_command(src.path(), &[])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while server.count("POST") == 0 {
        assert!(child.try_wait().unwrap().is_none(), "the publish ended");
        assert!(
            Instant::now() < deadline,
            "the publish never got to its deletes"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    server.clear_faults();
    assert!(exists(&server.client(), "blog/posts/b/index.html").await);

    // The next run renders (the sources record must not say "nothing to do") and finishes.
    let out = run(publish_command(src.path(), &[])).await;
    assert_success(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("left by an interrupted publish") && !stderr.contains("nothing to do"),
        "{stderr}"
    );
    assert!(!exists(&server.client(), "blog/posts/b/index.html").await);
    let rendered = render_site(src.path(), &BuildOptions::default()).unwrap();
    let want = expected_manifest(&rendered.outputs, &rendered.config.publish);
    assert_converged(&server, "blog/", &want).await;
    // Stable: one request, nothing to do.
    server.reset();
    assert_success(&run(publish_command(src.path(), &[])).await);
    assert_eq!(server.requests().len(), 1);
}

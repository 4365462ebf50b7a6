//! Big files (issue #15): a publish killed during a multipart upload leaves an unfinished
//! upload, which the next publish aborts (only ours); a `.torrent` goes up only once its file
//! is stored.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;

use bucketpress::config::PublishConfig;
use bucketpress::outputs::{Body, Output, OutputKind, Outputs, hash_bytes};
use bucketpress::publish::manifest::Manifest;
use bucketpress::publish::target::{Etag, Listing, Target, TargetError};

use crate::publish::chaos::{assert_converged, expected_manifest, stored_manifest};
use crate::publish::{publish, site};
use crate::s3_server::{BUCKET, Fault, FaultKind, S3Server};

/// `site("")` plus a 17 MiB file (uploaded in parts) stored in `dir`.
fn with_video(dir: &Path) -> Outputs {
    let path = dir.join("talk.mp4");
    let size = (17 << 20) + 7;
    let bytes: Vec<u8> = (0..size).map(|i| (i % 253) as u8).collect();
    std::fs::write(&path, &bytes).unwrap();
    let mut outputs = site("");
    outputs.insert(Output {
        key: "media/talk.mp4".into(),
        body: Body::File {
            path,
            size: size as u64,
        },
        hash: hash_bytes(&bytes),
        content_type: "video/mp4".into(),
        content_encoding: None,
        cache_control: None,
        redirect: None,
        kind: OutputKind::Asset,
    });
    outputs
}

/// The unfinished uploads in the bucket: (key, upload id).
async fn open_uploads(server: &S3Server) -> BTreeSet<String> {
    let out = server
        .client()
        .list_multipart_uploads()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    out.uploads()
        .iter()
        .map(|u| u.key().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_multipart_upload_is_aborted_by_the_next_publish_and_no_other() {
    let server = crate::uploads_s3::start().await;
    let files = tempfile::tempdir().unwrap();
    let v2 = with_video(files.path());
    publish(&server.target("blog/"), site("")).await.unwrap();
    // Uploads that are not ours: outside the site, and under its prefix for another key.
    let client = server.client();
    for key in ["other/media/talk.mp4", "blog/someone-elses.bin"] {
        client
            .create_multipart_upload()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .unwrap();
    }

    // The video's parts are held at the server; the publish is killed (dropped) once the
    // first one arrives.
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
    server.fault(Fault::new(
        "PUT",
        "/blog/media/talk.mp4",
        usize::MAX,
        FaultKind::Hold(gate),
    ));
    let part_sent = async {
        while !server
            .requests()
            .iter()
            .any(|r| r.method == "PUT" && r.query.contains("uploadId"))
        {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    };
    let killed = server.target("blog/");
    tokio::select! {
        r = publish(&killed, v2.clone()) => panic!("not killed: {r:?}"),
        () = part_sent => {}
    }
    server.clear_faults();
    let ours = "blog/media/talk.mp4".to_string();
    assert!(open_uploads(&server).await.contains(&ours));
    let recorded = stored_manifest(&server, "blog/").await.pending_multipart;
    assert_eq!(recorded, BTreeSet::from(["media/talk.mp4".to_string()]));

    // The next publish aborts exactly that one, and converges.
    let report = publish(&server.target("blog/"), v2.clone()).await.unwrap();
    assert_eq!(report.summary.aborted_uploads, 1);
    assert_eq!(
        open_uploads(&server).await,
        BTreeSet::from([
            "blog/someone-elses.bin".to_string(),
            "other/media/talk.mp4".to_string()
        ])
    );
    assert_converged(
        &server,
        "blog/",
        &expected_manifest(&v2, &PublishConfig::default()),
    )
    .await;
    assert!(
        stored_manifest(&server, "blog/")
            .await
            .pending_multipart
            .is_empty()
    );
    server.reset();
    publish(&server.target("blog/"), v2).await.unwrap();
    assert_eq!(server.requests().len(), 1);
}

/// A target that logs when each upload starts and ends.
struct Recording<T> {
    inner: T,
    log: Mutex<Vec<(&'static str, String)>>,
}

impl<T: Target> Target for Recording<T> {
    async fn read_manifest(&self) -> Result<Option<(Vec<u8>, Etag)>, TargetError> {
        self.inner.read_manifest().await
    }

    async fn put(&self, output: &Output, site_id: &str) -> Result<(), TargetError> {
        self.log.lock().unwrap().push(("start", output.key.clone()));
        let result = self.inner.put(output, site_id).await;
        self.log.lock().unwrap().push(("end", output.key.clone()));
        result
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torrent_is_uploaded_only_after_its_file_has_landed() {
    let server = S3Server::start().await;
    let files = tempfile::tempdir().unwrap();
    let mut outputs = with_video(files.path());
    outputs.insert(Output::from_bytes(
        "media/talk.mp4.torrent",
        b"d8:announce0:4:infod6:lengthi1e4:name8:talk.mp4ee".to_vec(),
        OutputKind::Asset,
    ));
    let target = Recording {
        inner: server.target(""),
        log: Mutex::new(Vec::new()),
    };
    publish(&target, outputs).await.unwrap();
    let log = target.log.into_inner().unwrap();
    let at = |what: &str, key: &str| {
        log.iter()
            .position(|(w, k)| *w == what && k == key)
            .unwrap_or_else(|| panic!("no {what} of {key} in {log:?}"))
    };
    assert!(
        at("end", "media/talk.mp4") < at("start", "media/talk.mp4.torrent"),
        "{log:?}"
    );
    // And before the pages that may link to it.
    assert!(at("end", "media/talk.mp4.torrent") < at("start", "posts/a/index.html"));
}

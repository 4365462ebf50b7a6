//! What a restore does with a bucket it should not trust: another key, flipped bytes, missing
//! chunks, an index naming paths outside the folder; and that publish never touches backups.

use bucketpress::backup::index::{FileEntry, Snapshot, VERSION};
use bucketpress::backup::restore::restore;
use bucketpress::backup::{BackupError, BackupKey};
use bucketpress::pipeline::{BuildOptions, render_site};
use bucketpress::publish::apply::NoProgress;
use bucketpress::publish::publish_outputs;

use super::{PREFIX, rich_site, store, take};
use crate::publish::opts;
use crate::s3_server::{BUCKET, S3Server};
use crate::support::example_site;

/// A restore that failed must leave the folder as it was: empty.
fn assert_left_empty(dir: &std::path::Path) {
    let left: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_key_fails_cleanly_before_writing_anything() {
    let server = S3Server::start().await;
    let src = rich_site();
    let ours = store(&server, PREFIX, BackupKey::generate());
    let report = take(&ours, src.path()).await;
    let theirs = store(&server, PREFIX, BackupKey::generate());
    let dest = tempfile::tempdir().unwrap();
    let err = restore(&theirs, "latest", dest.path(), 4)
        .await
        .unwrap_err();
    match &err {
        BackupError::WrongKey { snapshot } => assert_eq!(snapshot, &report.id),
        other => panic!("expected WrongKey, got {other:?}"),
    }
    assert!(err.to_string().contains("another backup key"), "{err}");
    assert_eq!(err.exit_code(), 3);
    assert_left_empty(dest.path());
    let err = bucketpress::backup::run::list(&theirs).await.unwrap_err();
    assert!(matches!(err, BackupError::WrongKey { .. }), "{err:?}");
}

/// The first chunk of `file` in the latest snapshot, and its path in the server's folder.
async fn chunk_of(
    server: &S3Server,
    s: &bucketpress::backup::Store,
    file: &str,
) -> (String, std::path::PathBuf) {
    let id = s.resolve("latest").await.unwrap();
    let snapshot = s.get_snapshot(&id).await.unwrap();
    let entry = snapshot.files.iter().find(|f| f.path == file).unwrap();
    let chunk = entry.chunks[entry.chunks.len() / 2].clone();
    let path = server
        .root
        .path()
        .join(BUCKET)
        .join(format!("{PREFIX}chunks/{chunk}"));
    assert!(path.is_file(), "{}", path.display());
    (chunk, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flipped_byte_in_a_chunk_is_detected_and_named() {
    let server = S3Server::start().await;
    let src = rich_site();
    let s = store(&server, PREFIX, BackupKey::generate());
    take(&s, src.path()).await;
    let (chunk, path) = chunk_of(&server, &s, "static/big.bin").await;
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let dest = tempfile::tempdir().unwrap();
    let err = restore(&s, "latest", dest.path(), 4).await.unwrap_err();
    match &err {
        BackupError::CorruptChunk { chunk: c, file, .. } => {
            assert_eq!(c, &chunk);
            assert_eq!(file, "static/big.bin");
        }
        other => panic!("expected CorruptChunk, got {other:?}"),
    }
    assert!(err.to_string().contains(&chunk));
    assert_left_empty(dest.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_swapped_for_another_is_detected() {
    let server = S3Server::start().await;
    let src = rich_site();
    let s = store(&server, PREFIX, BackupKey::generate());
    take(&s, src.path()).await;
    let (chunk, path) = chunk_of(&server, &s, "content/about.md").await;
    let (_, other) = chunk_of(&server, &s, "site.toml").await;
    assert!(path.is_file());
    // A validly encrypted object of the same key, written through the API under the wrong name
    // (what someone with write access to the bucket could do).
    server
        .client()
        .put_object()
        .bucket(BUCKET)
        .key(format!("{PREFIX}chunks/{chunk}"))
        .body(std::fs::read(&other).unwrap().into())
        .send()
        .await
        .unwrap();
    let dest = tempfile::tempdir().unwrap();
    let err = restore(&s, "latest", &dest.path().join("r"), 4)
        .await
        .unwrap_err();
    match &err {
        BackupError::CorruptChunk {
            chunk: c, reason, ..
        } => {
            assert_eq!(c, &chunk);
            assert!(reason.contains("do not match"), "{reason}");
        }
        other => panic!("expected CorruptChunk, got {other:?}"),
    }
    assert_left_empty(&dest.path().join("r"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_chunk_is_detected_and_named() {
    let server = S3Server::start().await;
    let src = rich_site();
    let s = store(&server, PREFIX, BackupKey::generate());
    take(&s, src.path()).await;
    let (chunk, _) = chunk_of(&server, &s, "content/about.md").await;
    server
        .client()
        .delete_object()
        .bucket(BUCKET)
        .key(format!("{PREFIX}chunks/{chunk}"))
        .send()
        .await
        .unwrap();
    let dest = tempfile::tempdir().unwrap();
    let err = restore(&s, "latest", dest.path(), 4).await.unwrap_err();
    match &err {
        BackupError::MissingChunk { chunk: c, file } => {
            assert_eq!(c, &chunk);
            assert_eq!(file, "content/about.md");
        }
        other => panic!("expected MissingChunk, got {other:?}"),
    }
    assert_left_empty(dest.path());
    // The next backup notices the gap by its listing and uploads the chunk again.
    server.reset();
    let again = take(&s, src.path()).await;
    assert_eq!(again.uploaded, 1);
    restore(&s, "latest", &dest.path().join("ok"), 4)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malicious_index_cannot_write_outside_the_folder() {
    let server = S3Server::start().await;
    let key = BackupKey::generate();
    let chunk = key.chunk_id(b"pwned");
    let s = store(&server, PREFIX, key);
    let sealed = s.key().encrypt(b"pwned").unwrap();
    s.put_chunk(&chunk, sealed).await.unwrap();
    let out = tempfile::tempdir().unwrap();
    for (i, evil) in [
        "../escape.txt",
        "/tmp/bucketpress-escape.txt",
        "a/../../escape.txt",
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("20260101T00000{i}.000Z");
        let snapshot = Snapshot {
            version: VERSION,
            id: id.clone(),
            created: "2026-01-01T00:00:00Z".into(),
            files: vec![FileEntry {
                path: evil.into(),
                size: 5,
                mode: 0o644,
                hash: blake3::hash(b"pwned").to_hex().to_string(),
                chunks: vec![chunk.clone()],
            }],
            chunk_records: Default::default(),
        };
        s.put_snapshot(&snapshot).await.unwrap();
        let dest = out.path().join("dest");
        let err = restore(&s, &id, &dest, 4).await.unwrap_err();
        assert!(
            matches!(&err, BackupError::Index { source: bucketpress::backup::index::IndexError::UnsafePath(p), .. } if p == evil),
            "{err:?}"
        );
        assert_left_empty(&dest);
    }
    assert!(!out.path().join("escape.txt").exists());
    assert!(!std::path::Path::new("/tmp/bucketpress-escape.txt").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_after_backup_leaves_every_backup_object_in_place() {
    let server = S3Server::start().await;
    let src = example_site();
    let render = || render_site(src.path(), &BuildOptions::default()).unwrap();
    let rendered = render();
    let cfg = rendered.config.publish.clone();
    let target = server.target("");
    publish_outputs(&target, rendered.outputs, &cfg, &opts(), &NoProgress)
        .await
        .unwrap();
    let s = store(&server, PREFIX, BackupKey::generate());
    take(&s, src.path()).await;
    let before = server.objects(PREFIX).await;
    assert!(
        before.len() > 5 && before.values().all(Option::is_none),
        "{before:?}"
    );

    // Remove a post, publish (which deletes its pages), then publish --verify (which lists
    // the bucket and would delete anything with bucketpress hash metadata it does not render).
    let posts = src.path().join("content/posts");
    let first = std::fs::read_dir(&posts)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    if first.is_dir() {
        std::fs::remove_dir_all(&first).unwrap();
    } else {
        std::fs::remove_file(&first).unwrap();
    }
    server.reset();
    let report = publish_outputs(&target, render().outputs, &cfg, &opts(), &NoProgress)
        .await
        .unwrap();
    assert!(report.summary.deleted > 0, "the publish deleted pages");
    let mut verify = opts();
    verify.verify = true;
    verify.force = true;
    publish_outputs(&target, render().outputs, &cfg, &verify, &NoProgress)
        .await
        .unwrap();
    let deleted: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE" || r.query.contains("delete"))
        .collect();
    assert!(!deleted.is_empty());
    assert_eq!(server.objects(PREFIX).await, before);
    restore(
        &s,
        "latest",
        &tempfile::tempdir().unwrap().path().join("r"),
        4,
    )
    .await
    .unwrap();
}

#[test]
fn the_public_policy_never_opens_the_backup_prefix() {
    use bucketpress::publish::bucket_rules::public_statements;
    let mut config = bucketpress::config::Config::default_for_test();
    config.publish.bucket = Some("b".into());
    // Even when the listing of the bucket shows `.bucketpress/` among the top-level names.
    let names: Vec<String> = ["index.html", "posts/", ".bucketpress/", "chunks/"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for site_prefix in ["", "blog/"] {
        config.publish.prefix = site_prefix.into();
        let (bucket, prefix) =
            bucketpress::backup::location::resolve_location(None, &config).unwrap();
        let backup_arn = format!("arn:aws:s3:::{bucket}/{prefix}chunks/x");
        let statements = public_statements(&bucket, site_prefix, &names);
        let covers = |pattern: &str| match pattern.strip_suffix('*') {
            Some(start) => backup_arn.starts_with(start),
            None => backup_arn == pattern,
        };
        // One Allow, listing the site's names; none of them reaches the backups.
        assert_eq!(statements.len(), 1, "{statements:?}");
        assert_eq!(statements[0]["Effect"], "Allow");
        let resources = statements[0]["Resource"].as_array().unwrap();
        assert!(resources.len() >= 2, "{statements:?}");
        for r in resources {
            assert!(
                !covers(r.as_str().unwrap()),
                "{prefix}: {r} opens {backup_arn}"
            );
        }
    }
}

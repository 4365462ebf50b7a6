//! `backup` / `restore` against the in-process S3 server: byte-for-byte round trips, request
//! budgets of a second backup, wrong keys, damaged and missing chunks, malicious indexes, and
//! publish leaving the backups alone.

mod check;
mod cli;
mod damage;
mod independent;

use std::collections::BTreeMap;
use std::path::Path;

use bucketpress::backup::restore::restore;
use bucketpress::backup::{BackupError, BackupKey, BackupReport, Store, backup};
use bucketpress::content::load::Filter;

use crate::s3_server::{BUCKET, S3Server};
use crate::support::{example_site, site, write};

/// The default backup prefix for a site published at the bucket root.
pub const PREFIX: &str = ".bucketpress/backups/";

/// A store on the test server under `prefix`.
pub fn store(server: &S3Server, prefix: &str, key: BackupKey) -> Store {
    Store::new(server.target(prefix), key)
}

/// Backs up `dir` with the build's default filter.
pub async fn take(store: &Store, dir: &Path) -> BackupReport {
    backup(store, dir, &Filter::new(&[]), 8)
        .await
        .expect("backup works")
}

/// Every file under `root` with its bytes.
pub fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(root).unwrap();
            let rel = rel.to_string_lossy().replace('\\', "/");
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// Deterministic incompressible bytes.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// The PUTs the server saw under the backup prefix, split into (chunks, snapshots).
pub fn backup_puts(server: &S3Server, prefix: &str) -> (usize, usize) {
    let keys = server.put_keys();
    let under = |sub: &str| {
        let p = format!("{prefix}{sub}");
        keys.iter().filter(|k| k.starts_with(&p)).count()
    };
    (under("chunks/"), under("snapshots/"))
}

/// A site with sources in every folder, a 1 MiB binary (several chunks), and files a backup
/// must leave out.
pub fn rich_site() -> tempfile::TempDir {
    let dir = example_site();
    let root = dir.path();
    write(
        root,
        "templates/base.html",
        "<html>{% block content %}{% endblock %}</html>",
    );
    write(
        root,
        "static/.well-known/security.txt",
        "Contact: mailto:a@example.com\n",
    );
    write(root, "static/empty.txt", "");
    std::fs::write(root.join("static/big.bin"), noise(1 << 20, 3)).unwrap();
    for skipped in [
        ".env",
        "content/.env",
        "content/posts/.draft.md.swp",
        "public/index.html",
        ".bucketpress/cache/highlight.json",
        ".git/HEAD",
        "notes.txt",
    ] {
        write(root, skipped, "SECRET_TOKEN=do-not-back-up\n");
    }
    dir
}

/// What a restore of `rich_site` must hold: its sources, nothing else.
pub fn expected_sources(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut all = tree(root);
    all.retain(|k, _| {
        (k == "site.toml"
            || ["content/", "templates/", "static/"]
                .iter()
                .any(|d| k.starts_with(d)))
            && !k.ends_with(".env")
            && !k.ends_with(".swp")
    });
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_restores_every_byte_and_stores_no_plaintext() {
    let server = S3Server::start().await;
    let src = rich_site();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let p = src.path().join("static/empty.txt");
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let store = store(&server, PREFIX, BackupKey::generate());
    let report = take(&store, src.path()).await;
    let expected = expected_sources(src.path());
    assert!(expected.contains_key("static/.well-known/security.txt"));
    assert!(expected.contains_key("static/big.bin"));
    assert_eq!(report.files, expected.len());
    assert!(
        report.chunks >= expected.len() + 4,
        "big.bin is cut: {report:?}"
    );
    assert_eq!(report.uploaded, report.chunks);

    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("restored");
    let restored = restore(&store, "latest", &dest, 8).await.unwrap();
    assert_eq!(restored.id, report.id);
    assert_eq!(tree(&dest), expected);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dest.join("static/empty.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o640);
    }

    // The bucket holds no plaintext: no source file's text, no skipped secret, and no chunk
    // named by the plain BLAKE3 of its contents.
    let stored = tree(&server.root.path().join(BUCKET));
    assert!(
        stored.keys().all(|k| k.starts_with(PREFIX)),
        "{:?}",
        stored.keys()
    );
    let post = std::fs::read(src.path().join("content/about.md")).unwrap();
    let needle = &post[..40.min(post.len())];
    for (key, bytes) in &stored {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "{key} holds plaintext"
        );
        assert!(!bytes.windows(12).any(|w| w == b"SECRET_TOKEN"), "{key}");
        assert!(!key.contains(blake3::hash(&post).to_hex().as_str()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_backup_uploads_only_the_changed_chunks_and_the_index() {
    let server = S3Server::start().await;
    let src = rich_site();
    let store = store(&server, PREFIX, BackupKey::generate());
    let first = take(&store, src.path()).await;

    // Nothing changed: one listing, the newest index (what its chunks looked like when
    // recorded) and the new index.
    server.reset();
    let same = take(&store, src.path()).await;
    assert_eq!(backup_puts(&server, PREFIX), (0, 1));
    assert_eq!(server.count("GET"), 2, "{:?}", server.requests());
    assert_eq!(server.requests().len(), 3);
    assert_eq!((same.uploaded, same.requests), (0, 3));

    // One post edited: its one chunk, and the index.
    let post = src.path().join("content/about.md");
    let mut text = std::fs::read_to_string(&post).unwrap();
    text.push_str("\nOne more line.\n");
    std::fs::write(&post, &text).unwrap();
    server.reset();
    let edited = take(&store, src.path()).await;
    assert_eq!(backup_puts(&server, PREFIX), (1, 1));
    assert_eq!(edited.uploaded, 1);
    // The listing, the newest index, the chunk, a listing to record it as stored, the index.
    assert_eq!(server.requests().len(), 5);

    // A few bytes changed in the middle of the 1 MiB file: one or two of its chunks.
    let big = src.path().join("static/big.bin");
    let mut bytes = std::fs::read(&big).unwrap();
    bytes[500_000..500_010].copy_from_slice(b"0123456789");
    std::fs::write(&big, &bytes).unwrap();
    server.reset();
    let patched = take(&store, src.path()).await;
    let (chunks, indexes) = backup_puts(&server, PREFIX);
    assert!((1..=2).contains(&chunks), "{chunks} chunks re-uploaded");
    assert_eq!(indexes, 1);
    assert!(patched.chunks > 10);

    // Every snapshot is still restorable as it was.
    let out = tempfile::tempdir().unwrap();
    restore(&store, &first.id, &out.path().join("first"), 4)
        .await
        .unwrap();
    restore(&store, &edited.id, &out.path().join("edited"), 4)
        .await
        .unwrap();
    let first_text = std::fs::read_to_string(out.path().join("first/content/about.md")).unwrap();
    let edited_text = std::fs::read_to_string(out.path().join("edited/content/about.md")).unwrap();
    assert!(!first_text.contains("One more line."));
    assert_eq!(edited_text, text);
    let ids: Vec<String> = bucketpress::backup::run::list(&store)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, [first.id, same.id, edited.id, patched.id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chunk_listing_is_paginated() {
    let server = S3Server::start().await;
    let files: Vec<(String, String)> = (0..1100)
        .map(|i| {
            (
                format!("content/posts/p{i}.md"),
                format!("+++\ntitle = \"{i}\"\n+++\n{i}\n"),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let src = site(&refs);
    let store = store(&server, PREFIX, BackupKey::generate());
    let first = take(&store, src.path()).await;
    assert_eq!(first.uploaded, 1101);
    server.reset();
    let second = take(&store, src.path()).await;
    assert_eq!(
        second.uploaded, 0,
        "every chunk was found in the two listing pages"
    );
    let lists = server
        .requests()
        .iter()
        .filter(|r| r.query.contains("list-type=2"))
        .count();
    assert_eq!(lists, 2);
    assert_eq!(backup_puts(&server, PREFIX), (0, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_a_non_empty_folder_and_an_unknown_snapshot() {
    let server = S3Server::start().await;
    let src = site(&[("content/a.md", "+++\ntitle = \"a\"\n+++\nA\n")]);
    let store = store(&server, PREFIX, BackupKey::generate());
    let err = restore(
        &store,
        "latest",
        &tempfile::tempdir().unwrap().path().join("x"),
        4,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, BackupError::NoSnapshots(_)), "{err:?}");
    let nothing = tempfile::tempdir().unwrap();
    let err = backup(&store, nothing.path(), &Filter::new(&[]), 4)
        .await
        .unwrap_err();
    assert!(matches!(err, BackupError::Usage(_)), "{err:?}");
    assert!(
        server.put_keys().is_empty(),
        "an empty folder uploads nothing"
    );
    take(&store, src.path()).await;
    let dest = tempfile::tempdir().unwrap();
    write(dest.path(), "keep.txt", "mine");
    let err = restore(&store, "latest", dest.path(), 4).await.unwrap_err();
    assert!(matches!(err, BackupError::NotEmpty(_)), "{err:?}");
    assert_eq!(tree(dest.path()).len(), 1);
    let err = restore(&store, "20200101T000000.000Z", &dest.path().join("n"), 4)
        .await
        .unwrap_err();
    assert!(matches!(err, BackupError::NoSnapshot { .. }), "{err:?}");
    let err = restore(&store, "../../manifest.json", &dest.path().join("n"), 4)
        .await
        .unwrap_err();
    assert!(matches!(err, BackupError::NoSnapshot { .. }), "{err:?}");
}

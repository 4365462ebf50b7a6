//! The backups checked with code we did not write: the `age` command-line tool (Debian's
//! `age`, installed by `.ci/run`) decrypts every stored chunk and snapshot with the writer's
//! key file, the site's files come back from the chunks byte for byte, and another key fails.

use std::path::Path;
use std::process::Command;

use bucketpress::backup::BackupKey;

use super::{PREFIX, store, take};
use crate::s3_server::{BUCKET, S3Server};
use crate::support::example_site;

/// `age --decrypt -i KEY FILE`: the plaintext, or `None` when age refuses.
fn age_decrypt(key: &Path, file: &Path) -> Option<Vec<u8>> {
    let out = Command::new("age")
        .arg("--decrypt")
        .arg("-i")
        .arg(key)
        .arg(file)
        .output()
        .expect("the age tool runs (apt-get install age)");
    out.status.success().then_some(out.stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the age CLI (apt-get install age); run with --ignored"]
async fn the_age_tool_decrypts_every_stored_object_with_the_key_file() {
    let server = S3Server::start().await;
    let src = example_site();
    let keys = tempfile::tempdir().unwrap();
    let key_file = keys.path().join("backup-key.txt");
    let key = BackupKey::init(&key_file).unwrap();
    let report = take(&store(&server, PREFIX, key), src.path()).await;
    assert!(report.chunks > 5, "{report:?}");

    let root = server.root.path().join(BUCKET).join(PREFIX);
    let objects = |sub: &str| -> Vec<std::path::PathBuf> {
        walkdir::WalkDir::new(root.join(sub))
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect()
    };
    let chunks = objects("chunks");
    let snapshots = objects("snapshots");
    assert_eq!(chunks.len(), report.chunks);
    assert_eq!(snapshots.len(), 1);

    let plain: Vec<Vec<u8>> = chunks
        .iter()
        .map(|c| age_decrypt(&key_file, c).unwrap_or_else(|| panic!("age refused {c:?}")))
        .collect();
    // Small sources are one chunk each: age alone gives them back byte for byte.
    for rel in ["site.toml", "content/about.md"] {
        let bytes = std::fs::read(src.path().join(rel)).unwrap();
        assert!(plain.contains(&bytes), "no chunk decrypts to {rel}");
    }
    let index = age_decrypt(&key_file, &snapshots[0]).expect("age decrypts the snapshot");
    assert!(!index.is_empty());

    // Another key opens nothing.
    let other = keys.path().join("other-key.txt");
    BackupKey::init(&other).unwrap();
    assert_eq!(age_decrypt(&other, &chunks[0]), None);
    assert_eq!(age_decrypt(&other, &snapshots[0]), None);
}

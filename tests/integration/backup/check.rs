//! A damaged chunk is never reused by the next backup, and `backup --check [--full]` names
//! every snapshot that cannot be restored (issue #15).

use std::time::Duration;

use bucketpress::backup::restore::restore;
use bucketpress::backup::verify::check;
use bucketpress::backup::{BackupError, BackupKey, Store};

use super::{PREFIX, expected_sources, rich_site, store, take, tree};
use crate::s3_server::{BUCKET, S3Server};

/// The chunk holding `file` (its middle one) in the newest snapshot.
async fn chunk_of(s: &Store, file: &str) -> String {
    let id = s.resolve("latest").await.unwrap();
    let snapshot = s.get_snapshot(&id).await.unwrap();
    let entry = snapshot.files.iter().find(|f| f.path == file).unwrap();
    entry.chunks[entry.chunks.len() / 2].clone()
}

/// Asserts `err` is a failed check naming exactly `snapshots` and `chunk` (with `why` in its
/// reason), and says so in its message.
fn assert_damaged(err: &BackupError, snapshots: &[&str], chunk: &str, why: &str) {
    match err {
        BackupError::Damaged {
            snapshots: s,
            damage,
            ..
        } => {
            assert_eq!(s, snapshots, "{err}");
            assert_eq!(damage.len(), 1, "{err}");
            assert_eq!(damage[0].chunk, chunk);
            assert!(damage[0].reason.contains(why), "{err}");
        }
        other => panic!("expected Damaged, got {other:?}"),
    }
    assert_eq!(err.exit_code(), 3);
    let text = err.to_string();
    assert!(
        text.contains(chunk) && text.contains("cannot be restored"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_chunk_is_uploaded_again_and_check_names_it_until_then() {
    let server = S3Server::start().await;
    let src = rich_site();
    let s = store(&server, PREFIX, BackupKey::generate());
    let first = take(&s, src.path()).await;
    let ok = check(&s, true).await.unwrap();
    assert_eq!((ok.snapshots, ok.read), (1, ok.chunks));

    // Someone with write access truncates a chunk through the S3 API.
    let chunk = chunk_of(&s, "content/about.md").await;
    let key = format!("{PREFIX}chunks/{chunk}");
    let client = server.client();
    let stored = crate::publish::get(&client, &key).await;
    client
        .put_object()
        .bucket(BUCKET)
        .key(&key)
        .body(stored[..stored.len() / 2].to_vec().into())
        .send()
        .await
        .unwrap();
    let err = check(&s, false).await.unwrap_err();
    assert_damaged(&err, &[&first.id], &chunk, "changed since it was uploaded");

    // The next backup does not trust it by its name: it uploads it again.
    let second = take(&s, src.path()).await;
    assert_eq!((second.uploaded, second.replaced), (1, 1));
    let ok = check(&s, true).await.unwrap();
    assert_eq!((ok.snapshots, ok.read), (2, ok.chunks));
    // Both snapshots restore (the first one needed that chunk too).
    let out = tempfile::tempdir().unwrap();
    for id in [&first.id, &second.id] {
        let dir = out.path().join(id);
        restore(&s, id, &dir, 4).await.unwrap();
        assert_eq!(tree(&dir), expected_sources(src.path()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_full_reads_what_no_listing_can_show_and_a_rewrite_is_not_reused() {
    let server = S3Server::start().await;
    let src = rich_site();
    let s = store(&server, PREFIX, BackupKey::generate());
    let first = take(&s, src.path()).await;
    let chunk = chunk_of(&s, "static/big.bin").await;
    // Bit rot the store does not notice: one byte flipped in its own file, with the same
    // size, the ETag it computed at upload and the file's old modification time.
    let path = server
        .root
        .path()
        .join(BUCKET)
        .join(format!("{PREFIX}chunks/{chunk}"));
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(mtime).unwrap();
    drop(file);
    // Only reading it shows: --full decrypts every chunk.
    let err = check(&s, true).await.unwrap_err();
    assert_damaged(&err, &[&first.id], &chunk, "decrypt");

    // Rewritten through the S3 API with the same size (the damaged bytes): the listing shows
    // a new modification time (and, on stores that list them, a new ETag).
    tokio::time::sleep(Duration::from_millis(20)).await;
    server
        .client()
        .put_object()
        .bucket(BUCKET)
        .key(format!("{PREFIX}chunks/{chunk}"))
        .body(bytes.into())
        .send()
        .await
        .unwrap();
    let err = check(&s, false).await.unwrap_err();
    assert_damaged(&err, &[&first.id], &chunk, "changed since it was uploaded");
    // The next backup uploads it again, and every snapshot is whole again.
    let second = take(&s, src.path()).await;
    assert_eq!((second.uploaded, second.replaced), (1, 1));
    let ok = check(&s, true).await.unwrap();
    assert_eq!((ok.snapshots, ok.read), (2, ok.chunks));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_names_a_missing_chunk_and_an_unreadable_index() {
    let server = S3Server::start().await;
    let src = rich_site();
    let s = store(&server, PREFIX, BackupKey::generate());
    let first = take(&s, src.path()).await;
    std::fs::write(
        src.path().join("content/extra.md"),
        "---\ntitle: X\n---\nx\n",
    )
    .unwrap();
    let second = take(&s, src.path()).await;
    let chunk = chunk_of(&s, "site.toml").await;
    let client = server.client();
    client
        .delete_object()
        .bucket(BUCKET)
        .key(format!("{PREFIX}chunks/{chunk}"))
        .send()
        .await
        .unwrap();
    let err = check(&s, false).await.unwrap_err();
    assert_damaged(&err, &[&first.id, &second.id], &chunk, "missing");

    // A snapshot index that no longer decrypts is named too.
    client
        .put_object()
        .bucket(BUCKET)
        .key(format!("{PREFIX}snapshots/{}", second.id))
        .body(b"garbage".to_vec().into())
        .send()
        .await
        .unwrap();
    let err = check(&s, false).await.unwrap_err();
    let BackupError::Damaged {
        snapshots, damage, ..
    } = &err
    else {
        panic!("expected Damaged, got {err:?}");
    };
    assert_eq!(snapshots, &[first.id.clone(), second.id.clone()]);
    assert!(
        damage
            .iter()
            .any(|d| d.chunk == "index" && d.snapshots.contains(&second.id)),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_rewritten_with_the_same_contents_passes_check_full() {
    let server = S3Server::start().await;
    let src = rich_site();
    let s = store(&server, PREFIX, BackupKey::generate());
    let first = take(&s, src.path()).await;
    // Another backup uploading the same chunk: a new encryption of the same plaintext.
    let chunk = chunk_of(&s, "content/about.md").await;
    let plain = s.get_chunk(&chunk, "content/about.md").await.unwrap();
    let sealed = s.key().encrypt(&plain).unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    server
        .client()
        .put_object()
        .bucket(BUCKET)
        .key(format!("{PREFIX}chunks/{chunk}"))
        .body(sealed.into())
        .send()
        .await
        .unwrap();
    // The listing alone cannot tell: --check flags it; reading it shows it intact.
    let err = check(&s, false).await.unwrap_err();
    assert_damaged(&err, &[&first.id], &chunk, "--full reads it");
    let ok = check(&s, true).await.unwrap();
    assert_eq!(ok.read, ok.chunks);
}

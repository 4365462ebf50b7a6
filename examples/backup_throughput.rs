//! Measures `backup` against the in-process S3 server (s3s + s3s-fs on 127.0.0.1, SigV4):
//! time and request count of a first backup, a second one after an edit, and a restore.
//!
//! `cargo run --release --example backup_throughput -- <site-dir> [mutate-command...]`
//! The optional command (e.g. `python3 gen_corpus.py --posts 1000 --out DIR --mutate 1`) runs
//! between the two backups; without it the second backup runs on an unchanged site.

#[allow(dead_code)]
#[path = "../tests/integration/s3_server.rs"]
mod s3_server;

use std::path::PathBuf;
use std::time::Instant;

use bucketpress::backup::{BackupKey, Store, backup, restore::restore};
use bucketpress::content::load::Filter;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let site = PathBuf::from(
        args.next()
            .expect("usage: backup_throughput <site-dir> [cmd...]"),
    );
    let mutate: Vec<String> = args.collect();
    let server = s3_server::S3Server::start().await;
    let store = Store::new(
        server.target(".bucketpress/backups/"),
        BackupKey::generate(),
    );
    let config = bucketpress::config::Config::load(&site)
        .map(|l| l.config)
        .unwrap_or_default();
    let filter = Filter::new(&config.exclude);
    let run = |label: &'static str| {
        let (store, site, filter, server) = (&store, &site, &filter, &server);
        async move {
            server.reset();
            let r = backup(store, site, filter, 16).await.expect("backup");
            let puts = server.count("PUT");
            println!(
                "{label}: {} files, {} bytes, {} chunks, uploaded {} ({} bytes) in {:.3} s; \
                 {} requests ({} PUT, {} GET)",
                r.files,
                r.bytes,
                r.chunks,
                r.uploaded,
                r.uploaded_bytes,
                r.seconds,
                server.requests().len(),
                puts,
                server.count("GET"),
            );
        }
    };
    run("first backup").await;
    if let Some((cmd, rest)) = mutate.split_first() {
        let status = std::process::Command::new(cmd)
            .args(rest)
            .status()
            .expect("mutate");
        assert!(status.success(), "the mutate command failed");
    }
    run("second backup").await;
    let out = tempfile::tempdir().unwrap();
    server.reset();
    let started = Instant::now();
    let r = restore(&store, "latest", &out.path().join("r"), 16)
        .await
        .expect("restore");
    println!(
        "restore: {} files, {} bytes in {:.3} s; {} requests",
        r.files,
        r.bytes,
        started.elapsed().as_secs_f64(),
        server.requests().len()
    );
}

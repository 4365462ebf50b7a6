//! Publish figures against a real S3 server: starts the tests' in-process S3 server (s3s +
//! s3s-fs, SigV4 on, 127.0.0.1) and runs the `bucketpress` binary against it, each case a new
//! process on a fresh copy of the site's sources with no cache, as a CI job on a fresh checkout
//! would: a first publish, a no-op publish, and a publish after one post changed; then the
//! same edit case with `[publish] highlight_cache_in_bucket = true` (after a publish that seeds
//! the bucket's cache). Prints wall seconds and the requests the server saw for each case.
//!
//! `cargo build --release --examples && target/release/examples/publish_bench SITE [BINARY]`
//! (BINARY defaults to `target/release/bucketpress`; `bench/run.sh` runs it). The site is
//! copied to a temporary folder, so SITE is never changed.

mod support;

#[allow(dead_code)]
#[path = "../tests/integration/s3_server.rs"]
mod s3_server;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use s3_server::{BUCKET, REGION, S3Server, SECRET_KEY, isolate_aws_env};

/// One case: a fresh `bucketpress publish` process, timed, with the requests it caused.
async fn case(name: &str, bin: &Path, site: &Path, server: &S3Server) {
    // A fresh checkout has no highlight cache.
    let _ = std::fs::remove_dir_all(site.join(".bucketpress"));
    server.reset();
    let mut command = Command::new(bin);
    command.arg("publish").arg("--site").arg(site);
    isolate_aws_env(&mut command, site, SECRET_KEY).env("CI", "true");
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the publish task")
        .expect("the binary runs");
    let secs = started.elapsed().as_secs_f64();
    let requests = server.requests();
    let puts = requests.iter().filter(|r| r.method == "PUT").count();
    let summary = String::from_utf8_lossy(&out.stderr)
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or("")
        .to_string();
    println!(
        "{name:<18} {secs:>8.2} s  {:>6} requests ({puts} PUT)  exit {}  | {summary}",
        requests.len(),
        out.status.code().unwrap_or(-1),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let site = PathBuf::from(args.next().expect("usage: publish_bench SITE [BINARY]"));
    let bin = args.next().map_or_else(
        || PathBuf::from("target/release/bucketpress"),
        PathBuf::from,
    );
    assert!(bin.is_file(), "no binary at {}", bin.display());

    let server = S3Server::start().await;
    let work = tempfile::tempdir().expect("a temporary folder");
    let copy = work.path().join("site");
    support::copy_sources(&site, &copy);
    let config = std::fs::read_to_string(copy.join("site.toml")).expect("site.toml");
    assert!(
        !config.contains("[publish]"),
        "the site has a [publish] table; publish_bench adds its own"
    );
    let config = format!(
        "{config}\n[publish]\nbucket = \"{BUCKET}\"\nregion = \"{REGION}\"\n\
         endpoint = \"{}\"\npath_style = true\n",
        server.endpoint
    );
    std::fs::write(copy.join("site.toml"), config).expect("write site.toml");

    println!(
        "publish to the in-process S3 server at {} (fresh process, no cache, each case)",
        server.endpoint
    );
    case("first publish", &bin, &copy, &server).await;
    case("no-op publish", &bin, &copy, &server).await;
    let post = support::first_post(&copy.join("content/posts"));
    let text = std::fs::read_to_string(&post).expect("read the post");
    std::fs::write(&post, format!("{text}\nOne more sentence, edited.\n")).expect("edit");
    case("one post changed", &bin, &copy, &server).await;

    // With `highlight_cache_in_bucket`: the first such publish leaves the highlight cache in
    // the bucket; after one more edit, a fresh process with no local cache takes it from there.
    let config = std::fs::read_to_string(copy.join("site.toml")).expect("site.toml");
    std::fs::write(
        copy.join("site.toml"),
        format!("{config}highlight_cache_in_bucket = true\n"),
    )
    .expect("write site.toml");
    case("seed bucket cache", &bin, &copy, &server).await;
    let text = std::fs::read_to_string(&post).expect("read the post");
    std::fs::write(&post, format!("{text}\nAnd one more.\n")).expect("edit");
    case("changed, bkt cache", &bin, &copy, &server).await;
}

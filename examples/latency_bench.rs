//! Publishing at real network latency: the tests' in-process S3 server (s3s + s3s-fs, SigV4,
//! with ETags in listings as AWS gives them: `uploads_s3.rs`) behind a shaping proxy (`tests/integration/shaping_proxy.rs`: a round-trip time per request
//! and per new connection, one shared bandwidth limit each way), and three tools publishing the
//! same site through it, each into its own bucket, in one run:
//!
//! - `bucketpress publish` (a fresh process on a fresh copy of the sources, no cache);
//! - `aws s3 sync` of the site as `bucketpress build` writes it (pip's `awscli`), the way a CI
//!   job runs it: after a fresh checkout the files are new, so their times are newer;
//! - `hugo deploy` of the same posts laid out for Hugo (`bench/hugo-site/prepare.sh`), when a
//!   prepared Hugo site is given.
//!
//! Each tool does a first publish, then a publish after the same one-post edit. Only the
//! publish is timed: bucketpress's includes its render, the others' builds are left out.
//!
//! ```text
//! cargo build --release --bin bucketpress --example latency_bench
//! target/release/examples/latency_bench SITE [--rtt-ms 50] [--mbit 100] [--bin PATH]
//!     [--hugo-site DIR] [--no-aws] [--gzip]
//! ```
//! `--gzip` turns on bucketpress's `[publish] gzip` (the other tools upload as built).
//! `bench/latency.sh` runs it on the generated corpus.

mod support;
#[allow(dead_code)]
#[path = "../tests/integration/uploads_s3.rs"]
mod uploads_s3;

#[allow(dead_code)]
#[path = "../tests/integration/s3_server.rs"]
mod s3_server;
#[allow(dead_code)]
#[path = "../tests/integration/shaping_proxy.rs"]
mod shaping_proxy;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use s3_server::{BUCKET, REGION, S3Server, SECRET_KEY, isolate_aws_env};
use shaping_proxy::{Link, ShapingProxy};

/// Command-line options.
struct Args {
    site: PathBuf,
    rtt_ms: u64,
    mbit: u64,
    bin: PathBuf,
    hugo_site: Option<PathBuf>,
    aws: bool,
    gzip: bool,
}

fn parse_args() -> Args {
    let mut args = std::env::args().skip(1);
    let mut parsed = Args {
        site: PathBuf::new(),
        rtt_ms: 50,
        mbit: 100,
        bin: PathBuf::from("target/release/bucketpress"),
        hugo_site: None,
        aws: true,
        gzip: false,
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().expect("a value after the option");
        match arg.as_str() {
            "--rtt-ms" => parsed.rtt_ms = value().parse().expect("--rtt-ms N"),
            "--mbit" => parsed.mbit = value().parse().expect("--mbit N"),
            "--bin" => parsed.bin = PathBuf::from(value()),
            "--hugo-site" => parsed.hugo_site = Some(PathBuf::from(value())),
            "--no-aws" => parsed.aws = false,
            "--gzip" => parsed.gzip = true,
            _ if !arg.starts_with("--") => parsed.site = PathBuf::from(arg),
            _ => panic!("unknown option {arg}"),
        }
    }
    assert!(
        parsed.site.is_dir(),
        "usage: latency_bench SITE [--rtt-ms 50] [--mbit 100] [--bin PATH] [--hugo-site DIR]"
    );
    assert!(
        parsed.bin.is_file(),
        "no binary at {}",
        parsed.bin.display()
    );
    parsed
}

fn edit(post: &Path) {
    let text = std::fs::read_to_string(post).expect("read the post");
    std::fs::write(post, format!("{text}\nOne more sentence, edited.\n")).expect("edit");
}

/// Runs `command`, timed, and prints one line with the requests the server saw.
async fn case(
    tool: &str,
    name: &str,
    mut command: Command,
    server: &S3Server,
    proxy: &ShapingProxy,
) {
    server.reset();
    let (bytes0, conns0) = (proxy.bytes_up(), proxy.connections());
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the task")
        .expect("the command runs");
    let secs = started.elapsed().as_secs_f64();
    let requests = server.requests();
    let puts = requests.iter().filter(|r| r.method == "PUT").count();
    println!(
        "| {tool} | {name} | {secs:.2} | {} | {puts} | {:.1} | {} | {} |",
        requests.len(),
        (proxy.bytes_up() - bytes0) as f64 / 1e6,
        proxy.connections() - conns0,
        out.status.code().unwrap_or(-1),
    );
    if !out.status.success() {
        eprintln!(
            "{tool} {name} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `bucketpress publish` of `site` into [`BUCKET`] through the proxy.
fn bucketpress_publish(bin: &Path, site: &Path) -> Command {
    // A fresh checkout has no cache.
    let _ = std::fs::remove_dir_all(site.join(".bucketpress"));
    let mut command = Command::new(bin);
    command.arg("publish").arg("--site").arg(site);
    isolate_aws_env(&mut command, site, SECRET_KEY).env("CI", "true");
    command
}

/// `aws s3 sync` of `folder` into `bucket` through `endpoint`, path-style.
fn aws_sync(folder: &Path, bucket: &str, endpoint: &str, work: &Path) -> Command {
    let config = work.join("aws-config");
    std::fs::write(
        &config,
        format!("[default]\nregion = {REGION}\ns3 =\n    addressing_style = path\n"),
    )
    .expect("write the aws config");
    let mut command = Command::new("aws");
    command
        .args(["s3", "sync", "--only-show-errors", "--delete"])
        .arg(folder)
        .arg(format!("s3://{bucket}/"))
        .args(["--endpoint-url", endpoint]);
    isolate_aws_env(&mut command, work, SECRET_KEY).env("AWS_CONFIG_FILE", &config);
    command
}

/// `hugo deploy` of the built Hugo site into `bucket` through `endpoint` (Hugo compares MD5s
/// with the bucket's, so it uploads only what changed).
fn hugo_deploy(hugo_site: &Path, bucket: &str, endpoint: &str) -> Command {
    let host = endpoint.trim_start_matches("http://");
    let config = hugo_site.join("hugo.toml");
    let text = std::fs::read_to_string(&config).expect("hugo.toml");
    if !text.contains("name = \"latency\"") {
        std::fs::write(
            &config,
            format!(
                "{text}\n[[deployment.targets]]\n  name = \"latency\"\n  URL = \"s3://{bucket}?endpoint=http://{host}&s3ForcePathStyle=true&region={REGION}&disableSSL=true\"\n"
            ),
        )
        .expect("write hugo.toml");
    }
    let mut command = Command::new("hugo");
    command
        .args([
            "deploy",
            "--target",
            "latency",
            "--maxDeletes",
            "-1",
            "--workers",
            "16",
        ])
        .current_dir(hugo_site)
        .stdout(std::process::Stdio::null());
    isolate_aws_env(&mut command, hugo_site, SECRET_KEY);
    command
}

/// A fresh `hugo` build of the Hugo site (not timed: the deploy is).
fn hugo_build(hugo_site: &Path) {
    let _ = std::fs::remove_dir_all(hugo_site.join("public"));
    let _ = std::fs::remove_dir_all(hugo_site.join("resources"));
    let status = Command::new("hugo")
        .arg("--quiet")
        .current_dir(hugo_site)
        .status()
        .expect("hugo runs");
    assert!(status.success(), "hugo failed");
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args = parse_args();
    let server = uploads_s3::start().await;
    let link = Link::new(args.rtt_ms, args.mbit);
    let proxy = ShapingProxy::start(&server.endpoint, link).await;
    for bucket in ["aws", "hugo"] {
        server
            .client()
            .create_bucket()
            .bucket(bucket)
            .send()
            .await
            .expect("create a bucket");
    }
    let work = tempfile::tempdir().expect("a temporary folder");
    let site = work.path().join("site");
    support::copy_sources(&args.site, &site);
    let config = std::fs::read_to_string(site.join("site.toml")).expect("site.toml");
    assert!(
        !config.contains("[publish]"),
        "the site has a [publish] table"
    );
    std::fs::write(
        site.join("site.toml"),
        format!(
            "{config}\n[publish]\nbucket = \"{BUCKET}\"\nregion = \"{REGION}\"\n\
             endpoint = \"{}\"\npath_style = true\ngzip = {}\n",
            proxy.endpoint, args.gzip
        ),
    )
    .expect("write site.toml");

    println!(
        "Round trip {} ms per request and per new connection, {} Mbit/s each way (shared).\n",
        args.rtt_ms, args.mbit
    );
    println!("| tool | case | seconds | requests | PUT | MB sent | connections | exit |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|");

    let post = support::first_post(&site.join("content"));
    case(
        "bucketpress",
        "first publish",
        bucketpress_publish(&args.bin, &site),
        &server,
        &proxy,
    )
    .await;

    let public = work.path().join("public");
    if args.aws {
        build(&args.bin, &site, &public);
        case(
            "aws s3 sync",
            "first publish",
            aws_sync(&public, "aws", &proxy.endpoint, work.path()),
            &server,
            &proxy,
        )
        .await;
    }
    let hugo_post = args
        .hugo_site
        .as_ref()
        .map(|h| support::first_post(&h.join("content")));
    if let Some(hugo) = &args.hugo_site {
        hugo_build(hugo);
        case(
            "hugo deploy",
            "first publish",
            hugo_deploy(hugo, "hugo", &proxy.endpoint),
            &server,
            &proxy,
        )
        .await;
    }

    edit(&post);
    case(
        "bucketpress",
        "one post changed",
        bucketpress_publish(&args.bin, &site),
        &server,
        &proxy,
    )
    .await;
    if args.aws {
        // A CI job starts from a fresh checkout: every built file is new.
        let _ = std::fs::remove_dir_all(&public);
        build(&args.bin, &site, &public);
        case(
            "aws s3 sync",
            "one post changed (fresh checkout)",
            aws_sync(&public, "aws", &proxy.endpoint, work.path()),
            &server,
            &proxy,
        )
        .await;
    }
    if let (Some(hugo), Some(hugo_post)) = (&args.hugo_site, hugo_post) {
        edit(&hugo_post);
        hugo_build(hugo);
        case(
            "hugo deploy",
            "one post changed",
            hugo_deploy(hugo, "hugo", &proxy.endpoint),
            &server,
            &proxy,
        )
        .await;
    }
}

/// `bucketpress build` of `site` into `out` (not timed: `aws s3 sync` needs a folder).
fn build(bin: &Path, site: &Path, out: &Path) {
    let status = Command::new(bin)
        .arg("build")
        .arg("--site")
        .arg(site)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .status()
        .expect("bucketpress build runs");
    assert!(status.success(), "bucketpress build failed");
}

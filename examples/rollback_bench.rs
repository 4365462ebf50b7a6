//! Rolling back against the tests' in-process S3 server (s3s + s3s-fs, SigV4, on 127.0.0.1):
//! requests and seconds of `rollback` after a one-post deploy and after a full-site deploy (a
//! new site title changes every page), on a site such as the 10,000-post bench corpus. The
//! publishes before each rollback are timed too, with the history (server-side copies of what
//! they overwrite) included.
//!
//! ```text
//! cargo run --release --example gen_corpus -- --posts 10000 --out /tmp/c10k
//! cargo build --release --example rollback_bench
//! target/release/examples/rollback_bench /tmp/c10k
//! ```

#[allow(dead_code)]
#[path = "../tests/integration/s3_server.rs"]
mod s3_server;
mod support;

use std::path::Path;
use std::time::Instant;

use bucketpress::config::PublishConfig;
use bucketpress::outputs::Outputs;
use bucketpress::pipeline::{BuildOptions, render_site};
use bucketpress::publish::apply::NoProgress;
use bucketpress::publish::deploys::rollback::{RollbackOptions, rollback};
use bucketpress::publish::{PublishOptions, publish_outputs};
use s3_server::S3Server;

fn render(site: &Path) -> Outputs {
    render_site(site, &BuildOptions::default())
        .expect("the site renders")
        .outputs
}

#[tokio::main]
async fn main() {
    let source = std::env::args().nth(1).expect("usage: rollback_bench SITE");
    let work = tempfile::tempdir().expect("a temporary folder");
    let site = work.path().join("site");
    support::copy_sources(Path::new(&source), &site);
    let server = S3Server::start().await;
    let target = server.target("");
    let cfg = PublishConfig {
        max_deletes: usize::MAX,
        ..PublishConfig::default()
    };
    let opts = PublishOptions {
        force: false,
        verify: false,
        max_deletes: usize::MAX,
        concurrency: cfg.concurrency,
        max_concurrency: cfg.max_concurrency,
    };
    let undo = RollbackOptions {
        to: None,
        max_deletes: usize::MAX,
        concurrency: cfg.concurrency,
        dry_run: false,
        keep_deploys: cfg.keep_deploys,
    };
    let outputs = render(&site);
    println!("{} outputs\n", outputs.len());
    let t = Instant::now();
    publish_outputs(&target, outputs, &cfg, &opts, &NoProgress)
        .await
        .expect("first publish");
    println!("first publish: {:.2} s\n", t.elapsed().as_secs_f64());
    println!(
        "| deploy | keys changed | publish s | publish requests | copies | rollback s | rollback requests | restored | deleted |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");

    let post = support::first_post(&site.join("content"));
    let config = std::fs::read_to_string(site.join("site.toml")).expect("site.toml");
    for case in ["one post", "full site"] {
        match case {
            "one post" => {
                let mut text = std::fs::read_to_string(&post).expect("the post");
                text.push_str("\n\nOne more paragraph.\n");
                std::fs::write(&post, text).expect("edit the post");
            }
            _ => std::fs::write(
                site.join("site.toml"),
                config.replacen("title = \"", "title = \"Renamed ", 1),
            )
            .expect("retitle the site"),
        }
        let outputs = render(&site);
        server.reset();
        let t = Instant::now();
        let report = publish_outputs(&target, outputs, &cfg, &opts, &NoProgress)
            .await
            .expect("publish");
        let publish_s = t.elapsed().as_secs_f64();
        let copies = server.requests().iter().filter(|r| r.copy).count();
        server.reset();
        let r = rollback(&target, &undo).await.expect("rollback");
        assert_eq!(r.requests as usize, server.requests().len());
        println!(
            "| {case} | {} | {publish_s:.2} | {} | {copies} | {:.2} | {} | {} | {} |",
            report.plan.actions.len(),
            report.summary.requests,
            r.seconds,
            r.requests,
            r.restored,
            r.deleted
        );
        // Publish the edit again so the next case starts from it.
        publish_outputs(&target, render(&site), &cfg, &opts, &NoProgress)
            .await
            .expect("publish again");
    }
}

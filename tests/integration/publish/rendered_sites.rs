//! `publish` of real rendered sites (the example site, a generated corpus): the file target
//! matches `build`, and request budgets hold whatever the site's size.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use bucketpress::pipeline::{BuildOptions, Rendered, render_site};
use bucketpress::publish::apply::NoProgress;
use bucketpress::publish::dir::DirTarget;
use bucketpress::publish::publish_outputs;
use bucketpress::publish::run::{PublishRequest, publish_site};

use crate::publish::opts;
use crate::s3_server::S3Server;
use crate::support::{corpus, example_site, site};

fn render(dir: &Path) -> Rendered {
    render_site(dir, &BuildOptions::default()).expect("the site renders")
}

/// Every file under `root` with its bytes, skipping bookkeeping of build and publish.
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read(e.path()).unwrap())
        })
        .filter(|(k, _)| !k.starts_with(".bucketpress"))
        .collect()
}

#[tokio::test]
async fn file_target_produces_the_same_tree_as_build() {
    let src = example_site();
    let out = tempfile::tempdir().unwrap();
    let built = out.path().join("built");
    let published = out.path().join("published");
    let rendered = render(src.path());
    bucketpress::write::write_outputs(&rendered.outputs, &built, None).unwrap();
    let cfg = rendered.config.publish.clone();
    publish_outputs(
        &DirTarget::new(&published),
        rendered.outputs,
        &cfg,
        &opts(),
        &NoProgress,
    )
    .await
    .unwrap();
    let (a, b) = (files(&built), files(&published));
    assert!(!a.is_empty());
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    assert!(a == b, "same keys, but some bytes differ");
}

#[tokio::test]
async fn example_site_to_s3_then_a_fresh_render_is_one_request() {
    let server = S3Server::start().await;
    let src = example_site();
    let rendered = render(src.path());
    let n = rendered.outputs.len();
    let cfg = rendered.config.publish.clone();
    let report = publish_outputs(
        &server.target("blog"),
        rendered.outputs,
        &cfg,
        &opts(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(report.summary.uploaded, n);
    assert_eq!(server.requests().len(), n + 3);
    eprintln!(
        "measured: example site first publish = {} requests for {n} outputs",
        n + 3
    );

    // A second, independent render must produce byte-identical outputs: one request.
    server.reset();
    let again = render(src.path());
    let report = publish_outputs(
        &server.target("blog"),
        again.outputs,
        &cfg,
        &opts(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert!(report.plan.is_empty(), "{:#?}", report.plan.actions);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn corpus_of_200_posts_no_op_is_one_request_and_one_edit_is_three() {
    let server = S3Server::start().await;
    let src = corpus(200, "yaml");
    let rendered = render(src.path());
    let cfg = rendered.config.publish.clone();
    let gz = bucketpress::config::PublishConfig { gzip: true, ..cfg };
    publish_outputs(
        &server.target(""),
        rendered.outputs,
        &gz,
        &opts(),
        &NoProgress,
    )
    .await
    .unwrap();
    server.reset();
    publish_outputs(
        &server.target(""),
        render(src.path()).outputs,
        &gz,
        &opts(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(
        server.requests().len(),
        1,
        "no-op publish of a 200-post site"
    );

    // Editing one post's body (not its title or date) changes only that post's page (listings
    // show summaries, so pick text past the summary: append at the end).
    let post = walkdir::WalkDir::new(src.path().join("content"))
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .find(|p| p.extension().is_some_and(|x| x == "md"))
        .unwrap();
    let mut text = std::fs::read_to_string(&post).unwrap();
    text.push_str("\n\nOne more closing paragraph.\n");
    std::fs::write(&post, text).unwrap();
    server.reset();
    let report = publish_outputs(
        &server.target(""),
        render(src.path()).outputs,
        &gz,
        &opts(),
        &NoProgress,
    )
    .await
    .unwrap();
    let changed: Vec<&str> = report.plan.uploads().map(|s| s.key.as_str()).collect();
    assert!(!changed.is_empty());
    // Each changed key is kept by a server-side copy first (the deploy history), and the
    // deploy is recorded (twice: started, done) and the history listed for pruning.
    assert_eq!(
        server.requests().len(),
        2 * changed.len() + 5,
        "{changed:?}"
    );
    assert_eq!(server.count("PUT"), 2 * changed.len() + 3);
    assert_eq!(
        server.requests().iter().filter(|r| r.copy).count(),
        changed.len()
    );
    eprintln!(
        "measured: 200-post corpus, one post edited = {} requests ({changed:?})",
        server.requests().len()
    );
}

#[tokio::test]
async fn run_async_exit_codes() {
    let src = example_site();
    let out = tempfile::tempdir().unwrap();
    let args = |site: &Path, to: Option<String>| PublishRequest {
        site: site.to_path_buf(),
        to,
        dry_run: false,
        lenient: false,
        max_deletes: None,
        force: false,
        verify: false,
        concurrency: None,
        profile: None,
        preview: None,
        base_url: None,
        quiet: true,
    };
    // The exit code `bucketpress publish` would end with.
    let run_async = |req: PublishRequest| async move {
        publish_site(&req, &NoProgress)
            .await
            .map(|finished| ExitCode::from(finished.code()))
    };
    let to = Some(format!("file://{}", out.path().display()));
    let code = run_async(args(src.path(), to.clone())).await.unwrap();
    assert_eq!(code, ExitCode::SUCCESS);
    assert!(out.path().join("index.html").is_file());
    assert!(out.path().join(".bucketpress/manifest.json").is_file());

    // No target anywhere: a config error.
    let code = run_async(args(src.path(), None)).await.unwrap();
    assert_eq!(code, ExitCode::from(1));
    // A broken site: build errors, nothing published.
    let broken = site(&[("content/posts/bad.md", "no front matter here")]);
    let code = run_async(args(broken.path(), to)).await.unwrap();
    assert_eq!(code, ExitCode::from(1));
}

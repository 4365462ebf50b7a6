//! `bucketpress publish` as CI runs it (`CI=true`, `--json`), against the in-process S3
//! server and the CloudFront stub: plain output (no ANSI escapes, no carriage-return
//! progress), every documented exit code, and the `invalidation` member of the JSON document.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::cloudfront_stub::CloudFrontStub;
use crate::s3_server::{REGION, S3Server, SECRET_KEY, isolate_aws_env};
use crate::support::{example_site, write};

/// Runs `bucketpress publish` like a CI job: test credentials, isolated AWS config,
/// `CI=true`, CloudFront pointed at `cloudfront` through `AWS_ENDPOINT_URL_CLOUDFRONT`.
async fn publish(site: &Path, cloudfront: &str, args: &[&str]) -> Output {
    let site: PathBuf = site.to_path_buf();
    let cloudfront = cloudfront.to_string();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_bucketpress"));
        cmd.arg("publish").arg("--site").arg(&site).args(&args);
        isolate_aws_env(&mut cmd, &site, SECRET_KEY)
            .env("AWS_ENDPOINT_URL_CLOUDFRONT", &cloudfront)
            .env("CI", "true")
            .output()
            .expect("the binary runs")
    })
    .await
    .unwrap()
}

/// The JSON document on stdout; also checks that neither stream has terminal control bytes.
fn doc(out: &Output) -> serde_json::Value {
    assert_plain(out);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn assert_plain(out: &Output) {
    for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !bytes.contains(&0x1b),
            "{name} has an ANSI escape: {}",
            String::from_utf8_lossy(bytes)
        );
        assert!(
            !bytes.contains(&b'\r'),
            "{name} has a carriage return: {}",
            String::from_utf8_lossy(bytes)
        );
    }
}

fn append(path: &Path, text: &str) {
    let old = std::fs::read_to_string(path).unwrap();
    std::fs::write(path, old + text).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ci_publishes_plainly_with_documented_exit_codes_and_invalidations() {
    let server = S3Server::start().await;
    let stub = CloudFrontStub::start().await;
    let src = example_site();
    let site = src.path();
    append(
        &site.join("site.toml"),
        &format!(
            "\n[publish]\nbucket = \"site\"\nregion = \"{REGION}\"\nendpoint = \"{}\"\n\
             path_style = true\ncloudfront_distribution_id = \"E2CI\"\n",
            server.endpoint
        ),
    );
    let cf = stub.endpoint.clone();

    // A pull request's dry run: the plan and the paths it would invalidate, nothing sent.
    let out = publish(site, &cf, &["--dry-run", "--json"]).await;
    assert_eq!(out.status.code(), Some(0));
    let v = doc(&out);
    assert_eq!(v["status"], "planned");
    assert_eq!(v["invalidation"]["status"], "planned");
    assert!(server.writes().is_empty());
    assert!(stub.calls().is_empty());

    let planned = v["invalidation"]["paths"].clone();

    // First publish: exit 0; every file is new: the crowded folders become wildcards.
    let out = publish(site, &cf, &["--json"]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = doc(&out);
    assert_eq!(v["status"], "published");
    assert_eq!(v["invalidation"]["status"], "created");
    assert_eq!(v["invalidation"]["id"], "I2J0STUB");
    assert_eq!(
        v["invalidation"]["paths"], planned,
        "the dry run showed these paths"
    );
    assert_eq!(stub.calls().len(), 1);
    let sent = stub.calls()[0].tags("Path");
    assert_eq!(serde_json::json!(sent), planned);
    for p in ["/", "/index.html", "/posts/*", "/tags/*", "/atom.xml"] {
        assert!(sent.contains(&p.to_string()), "{p} not in {sent:?}");
    }
    assert!(
        sent.len() <= bucketpress::publish::cdn::MAX_PATHS,
        "{sent:?}"
    );
    assert!(
        !sent
            .iter()
            .any(|p| p.starts_with("/posts/") && p != "/posts/*"),
        "{sent:?}"
    );
    assert_eq!(
        stub.calls()[0].path,
        "/2020-05-31/distribution/E2CI/invalidation"
    );

    // Nothing to do: exit 0, no invalidation request.
    let out = publish(site, &cf, &["--json"]).await;
    assert_eq!(out.status.code(), Some(0));
    let v = doc(&out);
    assert_eq!(v["status"], "nothing_to_do");
    assert_eq!(v["invalidation"]["status"], "not_needed");
    assert_eq!(stub.calls().len(), 1);

    // One page edited: exactly its paths (plus whatever else changed) are invalidated.
    append(&site.join("content/about.md"), "\nOne more line.\n");
    let out = publish(site, &cf, &[]).await;
    assert_eq!(out.status.code(), Some(0));
    assert_plain(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("published to s3://site/"), "{stderr}");
    assert!(stderr.contains("CloudFront E2CI: invalidated "), "{stderr}");
    let paths = stub.calls()[1].tags("Path");
    assert!(paths.contains(&"/about/".to_string()), "{paths:?}");
    assert!(
        paths.contains(&"/about/index.html".to_string()),
        "{paths:?}"
    );
    assert!(!paths.contains(&"/*".to_string()), "{paths:?}");

    // CloudFront refuses: the site is published, so exit 0 with a warning and status failed.
    stub.fail_with(403, "AccessDenied");
    append(&site.join("content/about.md"), "\nAnd another.\n");
    let out = publish(site, &cf, &["--json"]).await;
    assert_eq!(out.status.code(), Some(0));
    let v = doc(&out);
    assert_eq!(v["status"], "published");
    assert_eq!(v["invalidation"]["status"], "failed");
    assert!(
        v["invalidation"]["error"]
            .as_str()
            .unwrap()
            .contains("AccessDenied")
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: the site is published, but invalidating"),
        "{stderr}"
    );

    // Conflict: another publish rewrote the manifest first (412 on the conditional PUT).
    server.inject(
        "PUT",
        ".bucketpress/manifest.json",
        1,
        412,
        "PreconditionFailed",
    );
    append(&site.join("content/about.md"), "\nA third line.\n");
    let out = publish(site, &cf, &["--json"]).await;
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = doc(&out);
    assert_eq!(v["status"], "conflict");
    assert!(v["invalidation"].is_null());

    // Publish failed (here: a missing bucket): exit 3.
    let bad = site.join("site.toml");
    let config = std::fs::read_to_string(&bad).unwrap();
    std::fs::write(
        &bad,
        config.replace("bucket = \"site\"", "bucket = \"missing\""),
    )
    .unwrap();
    let out = publish(site, &cf, &["--json"]).await;
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(doc(&out)["status"], "failed");
    std::fs::write(&bad, config).unwrap();

    // Build errors: exit 1, nothing written to the store (the manifest is read first: when it
    // records these very sources, nothing needs rendering).
    write(
        site,
        "content/posts/broken.md",
        "---\ndate: 2024-01-01\n---\nNo title.\n",
    );
    server.reset();
    let out = publish(site, &cf, &["--json"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(doc(&out)["status"], "failed");
    assert!(server.writes().is_empty(), "{:?}", server.requests());
    assert!(server.requests().len() <= 1, "{:?}", server.requests());

    // Usage errors: exit 2 (clap).
    let out = publish(site, &cf, &["--concurrency", "0"]).await;
    assert_eq!(out.status.code(), Some(2));
}

/// Runs `bucketpress publish --site <site> <args>` inside a pseudo-terminal (util-linux
/// `script`), so the binary sees a TTY on stderr; returns the transcript, or `None` when
/// `script` is not installed.
fn publish_in_tty(site: &Path, endpoint_env: &[(&str, &str)], args: &str) -> Option<Vec<u8>> {
    let which = std::process::Command::new("script")
        .arg("--version")
        .output();
    if !which.is_ok_and(|o| o.status.success()) {
        eprintln!("util-linux `script` not found: skipping the terminal check");
        return None;
    }
    let cmd = format!(
        "'{}' publish --site '{}' {args}",
        env!("CARGO_BIN_EXE_bucketpress"),
        site.display()
    );
    let mut command = std::process::Command::new("script");
    command.args(["-qec", &cmd, "/dev/null"]);
    isolate_aws_env(&mut command, site, SECRET_KEY).env_remove("CI");
    for (k, v) in endpoint_env {
        command.env(k, v);
    }
    let out = command.output().expect("script runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    Some(out.stdout)
}

/// A carriage return that does not end a line (the terminal turns `\n` into `\r\n`).
fn has_bare_cr(bytes: &[u8]) -> bool {
    bytes.windows(2).any(|w| w[0] == b'\r' && w[1] != b'\n')
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ci_on_a_terminal_still_gets_plain_lines() {
    let server = S3Server::start().await;
    let src = example_site();
    let site = src.path().to_path_buf();
    append(
        &site.join("site.toml"),
        &format!(
            "\n[publish]\nbucket = \"site\"\nregion = \"{REGION}\"\nendpoint = \"{}\"\n\
             path_style = true\n",
            server.endpoint
        ),
    );
    let s = site.clone();
    let with_ci = tokio::task::spawn_blocking(move || {
        publish_in_tty(
            &s,
            &[("CI", "true"), ("BUCKETPRESS_LOG", "bucketpress=debug")],
            "-v",
        )
    })
    .await
    .unwrap();
    let Some(with_ci) = with_ci else { return };
    let text = String::from_utf8_lossy(&with_ci);
    assert!(text.contains("published to s3://site/"), "{text}");
    assert!(text.contains("upload about/index.html"), "-v lines: {text}");
    // Diagnostics (tracing) are uncoloured too.
    assert!(
        text.contains("DEBUG") && text.contains("PutObject"),
        "{text}"
    );
    assert!(!with_ci.contains(&0x1b), "ANSI escape in CI: {text:?}");
    assert!(
        !has_bare_cr(&with_ci),
        "carriage-return progress in CI: {text:?}"
    );

    // The control: without CI the same terminal gets the progress bar, so the check above
    // can fail.
    let s = site.clone();
    let without = tokio::task::spawn_blocking(move || publish_in_tty(&s, &[], "--force"))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&without);
    assert!(
        without.contains(&0x1b) || has_bare_cr(&without),
        "no progress bar on a terminal without CI: {text:?}"
    );
}

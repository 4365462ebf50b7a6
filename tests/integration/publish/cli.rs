//! `bucketpress publish` through the binary, against the in-process S3 server: credentials
//! from the environment, `[publish]` endpoint and path style from site.toml, `--json` output,
//! exit codes.

use std::path::Path;
use std::process::{Command, Output};

use crate::s3_server::{REGION, S3Server, SECRET_KEY, isolate_aws_env};
use crate::support::example_site;

/// Runs `bucketpress publish` with `args` and the given secret, isolated from the host's AWS
/// configuration. Blocking: call it through `spawn_blocking`.
pub fn publish_bin(site: &Path, secret: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bucketpress"));
    cmd.arg("publish").arg("--site").arg(site).args(args);
    isolate_aws_env(&mut cmd, site, secret)
        .env("CI", "true")
        .output()
        .expect("the binary runs")
}

/// [`publish_bin`] from async code.
pub async fn run(site: &Path, secret: &str, args: &[&str]) -> Output {
    let site = site.to_path_buf();
    let secret = secret.to_string();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        publish_bin(&site, &secret, &args)
    })
    .await
    .unwrap()
}

/// The `--json` document a run printed.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_publishes_then_does_nothing_in_one_request() {
    let server = S3Server::start().await;
    let src = example_site();
    let config = std::fs::read_to_string(src.path().join("site.toml")).unwrap();
    let config = format!(
        "{config}\n[publish]\nbucket = \"site\"\nprefix = \"blog\"\nregion = \"{REGION}\"\n\
         endpoint = \"{}\"\npath_style = true\ngzip = true\n",
        server.endpoint
    );
    std::fs::write(src.path().join("site.toml"), config).unwrap();

    let out = run(src.path(), SECRET_KEY, &["--json"]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["status"], "published");
    assert_eq!(v["target"], "s3://site/blog/");
    let uploaded = v["summary"]["uploaded"].as_u64().unwrap();
    assert!(uploaded > 10);
    assert_eq!(server.count("PUT") as u64, uploaded + 1);
    // Pages went through the publish's staging folder: gzipped there, and what the bucket
    // holds unzips to the page a build writes.
    let built =
        bucketpress::pipeline::render_site(src.path(), &bucketpress::site::BuildOptions::default())
            .unwrap();
    let page = built
        .outputs
        .get("index.html")
        .unwrap()
        .body
        .read_all()
        .unwrap();
    let stored = server
        .client()
        .get_object()
        .bucket("site")
        .key("blog/index.html")
        .send()
        .await
        .unwrap();
    assert_eq!(stored.content_encoding(), Some("gzip"));
    let zipped = stored.body.collect().await.unwrap().into_bytes();
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&zipped[..]),
        &mut unzipped,
    )
    .unwrap();
    assert_eq!(unzipped, page);

    server.reset();
    let out = run(src.path(), SECRET_KEY, &["--json"]).await;
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["status"], "nothing_to_do");
    assert_eq!(server.requests().len(), 1);

    // Plain output in CI: one stable summary line.
    server.reset();
    let out = run(src.path(), SECRET_KEY, &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("plain no-op stderr: {stderr}");
    assert!(stderr.contains("nothing to do:"), "{stderr}");

    // Wrong secret: exit 3, one clear error line, no write.
    server.reset();
    let out = run(src.path(), "wrong", &[]).await;
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("wrong secret stderr: {stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("credentials"), "{stderr}");
    assert!(server.writes().is_empty());

    // Dry run after an edit: the plan on stdout, nothing written.
    let about = src.path().join("content/about.md");
    let text = std::fs::read_to_string(&about).unwrap() + "\nOne more line.\n";
    std::fs::write(&about, text).unwrap();
    server.reset();
    let out = run(src.path(), SECRET_KEY, &["--dry-run"]).await;
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!(
        "dry run stdout: {stdout}\ndry run stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("upload about/index.html")),
        "{stdout}"
    );
    assert!(server.writes().is_empty());
}

//! What `publish` prints is what happened: "invalidated" only when CloudFront accepted the
//! request, request counts that include the SDK's retries, and one clear line (no SDK dump)
//! when no credentials are found.

use std::path::Path;
use std::process::Output;

use crate::cloudfront_stub::CloudFrontStub;
use crate::s3_server::{REGION, S3Server, SECRET_KEY, isolate_aws_env};
use crate::support::site;

/// A one-post site publishing to `server`'s bucket `site`, with `extra` appended to
/// `[publish]`.
fn site_for(server: &S3Server, extra: &str) -> tempfile::TempDir {
    let config = format!(
        "title = \"T\"\nbase_url = \"https://t.example/\"\n[publish]\nbucket = \"site\"\n\
         region = \"{REGION}\"\nendpoint = \"{}\"\npath_style = true\n{extra}",
        server.endpoint
    );
    site(&[
        ("site.toml", &config),
        (
            "content/posts/a.md",
            "---\ntitle: A\ndate: 2024-01-01\n---\nHello.\n",
        ),
    ])
}

/// Runs `bucketpress publish` with test credentials (unless `credentials` is false), `CI=true`
/// and `env`.
pub async fn publish(dir: &Path, credentials: bool, env: &[(&str, &str)], args: &[&str]) -> Output {
    let dir = dir.to_path_buf();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_bucketpress"));
        cmd.arg("publish").arg("--site").arg(&dir).args(&args);
        isolate_aws_env(&mut cmd, &dir, SECRET_KEY).env("CI", "true");
        if !credentials {
            // As on a laptop with no AWS set-up at all: instance metadata is tried too.
            cmd.env_remove("AWS_ACCESS_KEY_ID")
                .env_remove("AWS_SECRET_ACCESS_KEY");
        }
        for (k, v) in &env {
            cmd.env(k, v);
        }
        cmd.output().expect("the binary runs")
    })
    .await
    .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_invalidation_is_never_reported_as_invalidated() {
    let server = S3Server::start().await;
    let stub = CloudFrontStub::start().await;
    stub.fail_with(403, "AccessDenied");
    let dir = site_for(&server, "cloudfront_distribution_id = \"E1\"\n");
    let env = [("AWS_ENDPOINT_URL_CLOUDFRONT", stub.endpoint.as_str())];
    let out = publish(dir.path(), true, &env, &[]).await;
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(stub.calls().len(), 1, "the invalidation was attempted");
    assert!(
        text.contains("warning: the site is published, but"),
        "{text}"
    );
    assert!(!text.contains("invalidated"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_credentials_are_one_clear_line_with_a_hint() {
    let server = S3Server::start().await;
    // Instance metadata is tried, as on a laptop with no AWS set-up, and refuses (as a
    // network that blocks it does): the SDK then logs a warning with a Debug dump.
    let imds = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let imds_url = format!("http://{}", imds.local_addr().unwrap());
    let refuse = axum::Router::new()
        .fallback(|| async { (axum::http::StatusCode::FORBIDDEN, "denied by the test") });
    let imds_task = tokio::spawn(async move {
        let _ = axum::serve(imds, refuse).await;
    });
    let dir = site_for(&server, "");
    let env = [
        ("AWS_EC2_METADATA_DISABLED", "false"),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds_url.as_str()),
    ];
    let out = publish(dir.path(), false, &env, &[]).await;
    imds_task.abort();
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    // One line, ours: no SDK log line, no Debug dump of the provider chain.
    assert_eq!(text.lines().count(), 1, "{text}");
    let line = text.lines().next().unwrap();
    assert!(line.starts_with("error: "), "{line}");
    assert!(line.contains("no AWS credentials found"), "{line}");
    assert!(
        line.contains("AWS_ACCESS_KEY_ID") && line.contains("--profile"),
        "{line}"
    );
    for dump in ["WARN", "ProviderError", "Attempted:", "{", "Response"] {
        assert!(!line.contains(dump), "{dump} in {line}");
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_top_level_folder_says_the_public_policy_needs_it() {
    let server = S3Server::start().await;
    let dir = site_for(&server, "");
    let out = publish(dir.path(), true, &[], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("note: new top-level"),
        "a first publish"
    );
    crate::support::write(
        dir.path(),
        "content/about.md",
        "---\ntitle: About\n---\nMe.\n",
    );
    let out = publish(dir.path(), true, &[], &[]).await;
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("note: new top-level name(s) about/:"),
        "{text}"
    );
    assert!(text.contains("setup-bucket --public"), "{text}");
}

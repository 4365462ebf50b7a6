//! Input checked before any request: bad bucket names, prefixes and endpoints make `publish`
//! and `setup-bucket` exit 1 with a hint and send nothing; keys a build refuses are refused
//! before any write; a prefix that is not base_url's path is a warning; a custom endpoint
//! whose virtual-hosted name does not resolve hints at `path_style`.

use std::process::Output;

use crate::publish::truth::publish;
use crate::s3_server::{REGION, S3Server, SECRET_KEY, isolate_aws_env};
use crate::support::{site, write};

fn config(server: &S3Server, bucket: &str, extra: &str) -> String {
    format!(
        "title = \"T\"\nbase_url = \"https://t.example/\"\n[publish]\nbucket = \"{bucket}\"\n\
         region = \"{REGION}\"\nendpoint = \"{}\"\npath_style = true\n{extra}",
        server.endpoint
    )
}

fn one_post(config: &str) -> tempfile::TempDir {
    site(&[
        ("site.toml", config),
        (
            "content/posts/a.md",
            "---\ntitle: A\ndate: 2024-01-01\n---\nHello.\n",
        ),
    ])
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn setup_bucket(dir: &std::path::Path, args: &[&str]) -> Output {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_bucketpress"));
        cmd.arg("setup-bucket").arg("--site").arg(&dir).args(&args);
        isolate_aws_env(&mut cmd, &dir, SECRET_KEY)
            .env("CI", "true")
            .output()
            .expect("the binary runs")
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_buckets_prefixes_and_endpoints_send_nothing() {
    let server = S3Server::start().await;
    let dir = one_post(&config(&server, "site", ""));
    let cases: [(&[&str], &str); 6] = [
        (&["--to", "s3://My_Site"], "invalid bucket name \"My_Site\""),
        (&["--to", "s3://ab"], "3 to 63 characters"),
        (&["--to", "s3://192.168.0.1"], "IP address"),
        (&["--to", "s3://site/../other"], "'.' or '..' part"),
        (&["--to", "s3://site/my blog"], "has a space"),
        (&["--to", "s3://site/a//b"], "empty part"),
    ];
    for (args, hint) in cases {
        let out = publish(dir.path(), true, &[], args).await;
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {text}");
        assert!(text.contains(hint), "{args:?}: no {hint:?} in {text}");
        let out = setup_bucket(dir.path(), args).await;
        assert_eq!(out.status.code(), Some(1), "setup-bucket {args:?}");
        assert!(stderr(&out).contains(hint), "setup-bucket {args:?}");
    }
    for endpoint in [
        "127.0.0.1:9000".to_string(),
        format!("{}:bad", server.endpoint),
        format!("{} ", server.endpoint),
        "http://user:secret@127.0.0.1:9000".to_string(),
    ] {
        let toml = config(&server, "site", "").replace(&server.endpoint, &endpoint);
        std::fs::write(dir.path().join("site.toml"), toml).unwrap();
        let out = publish(dir.path(), true, &[], &[]).await;
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{endpoint}: {text}");
        assert!(text.contains("invalid endpoint"), "{endpoint}: {text}");
        let out = setup_bucket(dir.path(), &[]).await;
        assert_eq!(out.status.code(), Some(1), "setup-bucket {endpoint}");
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_build_refuses_is_refused_before_any_write() {
    let server = S3Server::start().await;
    let dir = one_post(&config(&server, "site", ""));
    write(dir.path(), "static/css\\main.css", "body{}");
    let out = publish(dir.path(), true, &[], &[]).await;
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("css\\\\main.css"), "{text}");
    assert!(text.contains("build refuses"), "{text}");
    assert!(server.writes().is_empty(), "{:?}", server.writes());
    // build refuses it too: the rule is the same.
    let out = crate::support::bin(&["build", "--site", dir.path().to_str().unwrap()]);
    assert_ne!(out.status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prefix_that_is_not_base_urls_path_is_a_warning() {
    let server = S3Server::start().await;
    let dir = one_post(&config(&server, "site", "prefix = \"blog/\"\n"));
    let out = publish(dir.path(), true, &[], &[]).await;
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("warning: the site is published under \"blog/\", but base_url"),
        "{text}"
    );
    // Matching: no warning.
    let toml = config(&server, "site", "prefix = \"blog/\"\n")
        .replace("https://t.example/", "https://t.example/blog/");
    std::fs::write(dir.path().join("site.toml"), toml).unwrap();
    let out = publish(dir.path(), true, &[], &[]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unresolvable_virtual_host_hints_at_path_style() {
    // `.invalid` never resolves (RFC 2606): `site.bucketpress.invalid` is what the SDK looks
    // up without path_style.
    let toml = "title = \"T\"\nbase_url = \"https://t.example/\"\n[publish]\nbucket = \"site\"\n\
                region = \"us-east-1\"\nendpoint = \"http://bucketpress.invalid:9000\"\n";
    let dir = one_post(toml);
    let out = publish(dir.path(), true, &[], &[]).await;
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    let error = text.lines().find(|l| l.starts_with("error: ")).unwrap();
    assert!(error.contains("path_style = true"), "{error}");
    // setup-bucket says the same.
    let out = setup_bucket(dir.path(), &[]).await;
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    let error = text.lines().find(|l| l.starts_with("error: ")).unwrap();
    assert!(error.contains("path_style = true"), "{error}");
}

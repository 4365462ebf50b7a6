//! `publish` against the in-process S3 server: headers, request budgets, deletes, safety nets.

use aws_sdk_s3::primitives::ByteStream;
use bucketpress::config::PublishConfig;
use bucketpress::outputs::{Output, OutputKind, Outputs};
use bucketpress::publish::apply::NoProgress;
use bucketpress::publish::headers::{ASSET_CACHE, SHORT_CACHE};
use bucketpress::publish::plan::PlanError;
use bucketpress::publish::s3::{HASH_METADATA, S3Target};
use bucketpress::publish::target::{DryRun, Target, TargetError};
use bucketpress::publish::{PublishError, PublishOptions, Report, publish_outputs};

use crate::s3_server::{ACCESS_KEY, BUCKET, S3Server};

/// A small site: 2 assets, 2 pages, 2 listings, 1 alias. `edit` changes post a's body.
pub fn site(edit: &str) -> Outputs {
    let mut alias = Output::from_bytes(
        "old-a/index.html",
        b"<!doctype html><meta http-equiv=refresh content=\"0; url=/posts/a/\">".to_vec(),
        OutputKind::Redirect,
    );
    alias.redirect = Some("/posts/a/".into());
    let html = |s: &str| {
        format!(
            "<!doctype html><title>{s}</title>{}",
            "<p>text</p>".repeat(40)
        )
    };
    [
        Output::from_bytes(
            "style.css",
            "body{color:#333}".repeat(20).into_bytes(),
            OutputKind::Asset,
        ),
        Output::from_bytes(
            "img/logo.png",
            vec![0x89, b'P', b'N', b'G', 1, 2, 3],
            OutputKind::Asset,
        ),
        Output::from_bytes(
            "posts/a/index.html",
            html(&format!("a{edit}")).into_bytes(),
            OutputKind::Page,
        ),
        Output::from_bytes(
            "posts/b/index.html",
            html("b").into_bytes(),
            OutputKind::Page,
        ),
        Output::from_bytes("index.html", html("home").into_bytes(), OutputKind::Listing),
        Output::from_bytes(
            "atom.xml",
            b"<feed>...</feed>".repeat(30),
            OutputKind::Listing,
        ),
        alias,
    ]
    .into_iter()
    .collect()
}

/// `outputs` without `keys`.
pub fn without(outputs: Outputs, keys: &[&str]) -> Outputs {
    outputs
        .iter()
        .filter(|o| !keys.contains(&o.key.as_str()))
        .cloned()
        .collect()
}

/// Default knobs, small concurrency.
pub fn opts() -> PublishOptions {
    PublishOptions {
        force: false,
        verify: false,
        max_deletes: 256,
        concurrency: 4,
        max_concurrency: 4,
    }
}

/// The default config without the deploy history: tests that count a publish's own requests
/// and keys (`deploys.rs` covers the history's).
pub fn no_history() -> PublishConfig {
    PublishConfig {
        keep_deploys: 0,
        ..PublishConfig::default()
    }
}

/// Publishes with the default config, history off ([`no_history`]).
pub async fn publish<T: Target>(target: &T, outputs: Outputs) -> Result<Report, PublishError> {
    publish_outputs(target, outputs, &no_history(), &opts(), &NoProgress).await
}

pub async fn get(client: &aws_sdk_s3::Client, key: &str) -> Vec<u8> {
    let out = client
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap();
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

pub async fn exists(client: &aws_sdk_s3::Client, key: &str) -> bool {
    client
        .head_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .is_ok()
}

#[tokio::test]
async fn first_publish_uploads_every_key_with_headers() {
    let server = S3Server::start().await;
    let target = server.target("blog");
    let outputs = site("");
    let n = outputs.len();
    let report = publish(&target, outputs.clone()).await.unwrap();
    assert_eq!(report.summary.uploaded, n);
    assert!(report.summary.manifest_written);

    // Budget: manifest GET (404) + HeadBucket (first publish only) + every key + manifest PUT.
    assert_eq!(server.requests().len(), n + 3, "{:#?}", server.requests());
    assert_eq!(server.count("GET"), 1);
    assert_eq!(server.count("HEAD"), 1);
    let mut expected: Vec<String> = outputs.keys().map(|k| format!("blog/{k}")).collect();
    expected.push("blog/.bucketpress/manifest.json".into());
    expected.sort();
    assert_eq!(server.put_keys(), expected);
    assert_eq!(report.summary.requests, (n + 3) as u64);

    let client = server.client();
    for o in outputs.iter() {
        let head = client
            .head_object()
            .bucket(BUCKET)
            .key(format!("blog/{}", o.key))
            .send()
            .await
            .unwrap();
        assert_eq!(
            head.content_type(),
            Some(o.content_type.as_str()),
            "{}",
            o.key
        );
        assert_eq!(head.metadata().unwrap()[HASH_METADATA], o.hash, "{}", o.key);
        assert_eq!(head.content_encoding(), None);
        let cache = if o.kind == OutputKind::Asset {
            ASSET_CACHE
        } else {
            SHORT_CACHE
        };
        assert_eq!(head.cache_control(), Some(cache), "{}", o.key);
        assert_eq!(
            head.website_redirect_location(),
            o.redirect.as_deref(),
            "{}",
            o.key
        );
        assert_eq!(
            get(&client, &format!("blog/{}", o.key)).await,
            o.body.read_all().unwrap()
        );
    }
    let alias = client
        .head_object()
        .bucket(BUCKET)
        .key("blog/old-a/index.html")
        .send()
        .await
        .unwrap();
    assert_eq!(alias.website_redirect_location(), Some("/posts/a/"));
}

#[tokio::test]
async fn unchanged_site_is_one_request_and_no_writes() {
    let server = S3Server::start().await;
    let target = server.target("");
    publish(&target, site("")).await.unwrap();
    server.reset();
    let report = publish(&server.target(""), site("")).await.unwrap();
    assert_eq!(server.requests().len(), 1, "{:#?}", server.requests());
    assert_eq!(server.requests()[0].method, "GET");
    assert_eq!(
        server.requests()[0].path,
        format!("/{BUCKET}/.bucketpress/manifest.json")
    );
    assert!(report.plan.is_empty());
    assert_eq!(report.summary.uploaded, 0);
    assert_eq!(report.summary.unchanged, site("").len());
    assert!(!report.summary.manifest_written);
    assert_eq!(report.summary.requests, 1);
}

#[tokio::test]
async fn one_changed_post_uploads_only_that_key_and_the_manifest() {
    let server = S3Server::start().await;
    publish(&server.target("blog/"), site("")).await.unwrap();
    server.reset();
    let report = publish(&server.target("blog/"), site(" edited"))
        .await
        .unwrap();
    assert_eq!(
        server.put_keys(),
        ["blog/.bucketpress/manifest.json", "blog/posts/a/index.html"]
    );
    assert_eq!(server.requests().len(), 3, "{:#?}", server.requests());
    assert_eq!(report.summary.uploaded, 1);
    assert_eq!(report.summary.unchanged, site("").len() - 1);
    let body = get(&server.client(), "blog/posts/a/index.html").await;
    assert!(String::from_utf8(body).unwrap().contains("a edited"));
    // And the next publish is a no-op again.
    server.reset();
    publish(&server.target("blog/"), site(" edited"))
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn removed_output_is_deleted_and_unmanaged_key_left_alone() {
    let server = S3Server::start().await;
    let client = server.client();
    client
        .put_object()
        .bucket(BUCKET)
        .key("keep-me.txt")
        .body(ByteStream::from_static(b"not ours"))
        .send()
        .await
        .unwrap();
    publish(&server.target(""), site("")).await.unwrap();
    assert!(exists(&client, "posts/b/index.html").await);

    let mut smaller = site("");
    let mut rebuilt = Outputs::new();
    for o in smaller.iter_mut().filter(|o| o.key != "posts/b/index.html") {
        rebuilt.insert(o.clone());
    }
    server.reset();
    let report = publish(&server.target(""), rebuilt).await.unwrap();
    assert_eq!(report.summary.deleted, 1);
    assert_eq!(
        report
            .plan
            .deletes()
            .map(|s| s.key.as_str())
            .collect::<Vec<_>>(),
        ["posts/b/index.html"]
    );
    // GET manifest, PUT manifest (recording the delete as pending), POST ?delete, PUT
    // manifest (clearing it) — in that order (manifest before deletes).
    let seen: Vec<(String, String)> = server
        .requests()
        .into_iter()
        .map(|r| (r.method, r.query))
        .collect();
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(seen[1].0, "PUT");
    assert_eq!(seen[2], ("POST".to_string(), "delete".to_string()));
    assert_eq!(seen[3].0, "PUT");
    assert!(!exists(&client, "posts/b/index.html").await);
    assert!(exists(&client, "keep-me.txt").await);
    assert!(exists(&client, "posts/a/index.html").await);
}

#[tokio::test]
async fn too_many_deletes_is_refused_before_any_write() {
    let server = S3Server::start().await;
    publish(&server.target(""), site("")).await.unwrap();
    server.reset();
    let opts = PublishOptions {
        max_deletes: 2,
        ..opts()
    };
    let err = publish_outputs(
        &server.target(""),
        Outputs::new(),
        &PublishConfig::default(),
        &opts,
        &NoProgress,
    )
    .await
    .unwrap_err();
    assert_eq!(err.exit_code(), 3);
    let PublishError::Plan(PlanError::TooManyDeletes { count, max }) = err else {
        panic!("expected TooManyDeletes, got {err:?}");
    };
    assert_eq!((count, max), (site("").len(), 2));
    assert!(server.writes().is_empty(), "{:#?}", server.writes());
    assert!(exists(&server.client(), "posts/b/index.html").await);
}

#[tokio::test]
async fn wrong_secret_fails_fast_with_one_credentials_error() {
    let server = S3Server::start().await;
    let target = S3Target::with_client(server.client_with(ACCESS_KEY, "wrong-secret"), BUCKET, "");
    let err = publish(&target, site("")).await.unwrap_err();
    assert!(
        matches!(
            err,
            PublishError::Target(TargetError::InvalidCredentials(_))
        ),
        "{err:?}"
    );
    assert_eq!(
        server.requests().len(),
        1,
        "fail fast: {:#?}",
        server.requests()
    );
    assert_eq!(err.exit_code(), 3);
    assert_eq!(err.to_string().lines().count(), 1);
    eprintln!("message: {err}");

    let target = S3Target::with_client(server.client_with("AKIDUNKNOWN", "x"), BUCKET, "");
    let err = publish(&target, site("")).await.unwrap_err();
    assert!(
        matches!(
            err,
            PublishError::Target(TargetError::InvalidCredentials(_))
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn missing_bucket_is_one_clear_error_and_nothing_is_created() {
    let server = S3Server::start().await;
    let target = S3Target::with_client(server.client(), "no-such-bucket", "");
    let err = publish(&target, site("")).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        TargetError::NoSuchBucket("no-such-bucket".into()).to_string()
    );
    assert!(
        matches!(err, PublishError::Target(TargetError::NoSuchBucket(ref b)) if b == "no-such-bucket")
    );
    assert!(server.writes().is_empty());
    assert!(!server.root.path().join("no-such-bucket").exists());
}

#[tokio::test]
async fn dry_run_sends_only_reads() {
    let server = S3Server::start().await;
    let report = publish(&DryRun(server.target("")), site("")).await.unwrap();
    assert_eq!(report.plan.uploads().count(), site("").len());
    assert!(server.writes().is_empty(), "{:#?}", server.writes());
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.method == "GET" || r.method == "HEAD")
    );
    assert!(!exists(&server.client(), "index.html").await);

    // After a real publish and an edit, the dry run plans the edit and still writes nothing.
    publish(&server.target(""), site("")).await.unwrap();
    server.reset();
    let report = publish(&DryRun(server.target("")), site("!"))
        .await
        .unwrap();
    assert_eq!(report.plan.uploads().count(), 1);
    assert_eq!(server.requests().len(), 1);
    assert!(server.writes().is_empty());
}

/// A credentials provider that finds nothing, like the default chain on a machine without any.
#[derive(Debug)]
struct NoCredentials;

impl aws_sdk_s3::config::ProvideCredentials for NoCredentials {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::ready(Err(
            aws_credential_types::provider::error::CredentialsError::not_loaded(
                "no credentials in the chain",
            ),
        ))
    }
}

#[tokio::test]
async fn no_credentials_at_all_is_one_clear_error_without_a_request() {
    let server = S3Server::start().await;
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .credentials_provider(NoCredentials)
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(&server.endpoint)
        .force_path_style(true)
        .build();
    let target = S3Target::with_client(aws_sdk_s3::Client::from_conf(config), BUCKET, "");
    let err = publish(&target, site("")).await.unwrap_err();
    assert!(
        matches!(
            err,
            PublishError::Target(TargetError::InvalidCredentials(_))
        ),
        "{err:?}"
    );
    assert_eq!(err.to_string().lines().count(), 1, "{err}");
    eprintln!("message: {err}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn deletes_are_chunked_at_1000_keys_per_request() {
    let server = S3Server::start().await;
    let many: Outputs = (0..1001)
        .map(|i| Output::from_bytes(format!("n/{i:04}.txt"), vec![b'x'], OutputKind::Asset))
        .collect();
    let wide = PublishOptions {
        concurrency: 32,
        max_deletes: 5000,
        ..opts()
    };
    let cfg = PublishConfig::default();
    publish_outputs(&server.target(""), many, &cfg, &wide, &NoProgress)
        .await
        .unwrap();
    server.reset();
    let report = publish_outputs(&server.target(""), Outputs::new(), &cfg, &wide, &NoProgress)
        .await
        .unwrap();
    assert_eq!(report.summary.deleted, 1001);
    let batches = server
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.query == "delete")
        .count();
    assert_eq!(batches, 2);
    assert!(!exists(&server.client(), "n/0000.txt").await);
    assert!(!exists(&server.client(), "n/1000.txt").await);
}

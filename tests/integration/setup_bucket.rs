//! `setup-bucket` against two servers: s3s-fs (creates buckets, answers `NotImplemented` to
//! website, public access block and policy calls) and the stricter AWS-like wrapper of
//! `strict_s3` (LocationConstraint rules, public access blocked by default, configuration
//! readable back). Neither server's leniency decides a test alone.

use std::process::Output;

use bucketpress::publish::setup::{Setup, State, setup};

use crate::s3_server::{S3Server, SECRET_KEY, Seen, isolate_aws_env};
use crate::strict_s3;

fn settings(bucket: &str, region: &str, public: bool, dry_run: bool) -> Setup {
    Setup {
        bucket: bucket.into(),
        prefix: "blog/".into(),
        region: region.into(),
        region_configured: true,
        custom_endpoint: true,
        path_style: true,
        public,
        dry_run,
        replace_error_document: false,
        names: vec!["index.html".into(), "posts/".into()],
    }
}

fn states(steps: &[bucketpress::publish::setup::Step]) -> Vec<(&'static str, State)> {
    steps.iter().map(|s| (s.subject, s.state.clone())).collect()
}

fn has(log: &[Seen], method: &str, path: &str, query: &str) -> bool {
    log.iter().any(|r| {
        r.method == method
            && r.path.trim_end_matches('/') == path
            && if query.is_empty() {
                r.query.is_empty()
            } else {
                r.query.starts_with(query)
            }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3s_fs_creates_the_bucket_and_reports_what_it_cannot_do() {
    let server = S3Server::start().await;
    let client = server.client();
    let s = settings("newsite", "us-east-1", true, false);
    let steps = setup(&client, &s).await.unwrap();
    assert_eq!(
        states(&steps),
        [
            ("bucket", State::Done),
            ("website hosting", State::Unsupported),
            ("lifecycle rule", State::Unsupported),
            ("public access block", State::Unsupported),
            ("bucket policy", State::Unsupported),
        ]
    );
    assert!(server.root.path().join("newsite").is_dir());
    // s3s-fs answers NotImplemented to these, so nothing can be read back: the request log
    // shows each was read first and then attempted.
    let log = server.requests();
    assert!(has(&log, "PUT", "/newsite", ""), "{log:?}");
    for sub in ["website", "publicAccessBlock", "policy"] {
        assert!(has(&log, "GET", "/newsite", sub), "GET ?{sub}: {log:?}");
        assert!(has(&log, "PUT", "/newsite", sub), "PUT ?{sub}: {log:?}");
    }
    // Lifecycle rules that cannot be read are never written: a put replaces every rule, and
    // the user's must not be lost.
    assert!(has(&log, "GET", "/newsite", "lifecycle"), "{log:?}");
    assert!(!has(&log, "PUT", "/newsite", "lifecycle"), "{log:?}");

    // Second run: the bucket is found, never created again, and the run succeeds.
    server.reset();
    let steps = setup(&client, &s).await.unwrap();
    assert_eq!(steps[0].state, State::AlreadySet);
    let creates = server
        .writes()
        .into_iter()
        .filter(|r| r.method == "PUT" && r.query.is_empty())
        .count();
    assert_eq!(creates, 0, "{:?}", server.requests());

    // A dry run on a missing bucket sends no write at all.
    server.reset();
    let steps = setup(&client, &settings("other", "us-east-1", true, true))
        .await
        .unwrap();
    assert!(steps.iter().all(|s| s.state == State::WouldDo), "{steps:?}");
    assert!(server.writes().is_empty(), "{:?}", server.writes());
    assert!(!server.root.path().join("other").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aws_like_store_is_set_up_once_and_left_alone_after() {
    let server = strict_s3::start("eu-west-1").await;
    let client = server.client();
    let s = settings("blog-bucket", "eu-west-1", true, false);

    // The strict server refuses a CreateBucket without the region's LocationConstraint, so
    // the success below proves it was sent.
    let unconstrained = Setup {
        region_configured: false,
        ..s.clone()
    };
    let err = setup(&client, &unconstrained).await.unwrap_err();
    assert!(
        err.to_string().contains("IllegalLocationConstraint"),
        "{err}"
    );

    server.reset();
    let steps = setup(&client, &s).await.unwrap();
    assert_eq!(
        states(&steps),
        [
            ("bucket", State::Done),
            ("website hosting", State::Done),
            ("lifecycle rule", State::Done),
            ("public access block", State::Done),
            ("bucket policy", State::Done),
        ]
    );
    let website = client
        .get_bucket_website()
        .bucket("blog-bucket")
        .send()
        .await
        .unwrap();
    assert_eq!(website.index_document().unwrap().suffix(), "index.html");
    assert_eq!(website.error_document().unwrap().key(), "blog/404.html");
    let block = client
        .get_public_access_block()
        .bucket("blog-bucket")
        .send()
        .await
        .unwrap();
    let block = block.public_access_block_configuration().unwrap();
    assert_eq!(block.block_public_policy(), Some(false));
    assert_eq!(block.restrict_public_buckets(), Some(false));
    let policy = client
        .get_bucket_policy()
        .bucket("blog-bucket")
        .send()
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let allow = &doc["Statement"][0];
    assert_eq!(allow["Action"], "s3:GetObject");
    assert_eq!(
        allow["Resource"],
        serde_json::json!([
            "arn:aws:s3:::blog-bucket/blog/index.html",
            "arn:aws:s3:::blog-bucket/blog/posts/*"
        ])
    );
    assert_eq!(doc["Statement"].as_array().unwrap().len(), 1);
    // The probe left nothing behind.
    let listed = client
        .list_objects_v2()
        .bucket("blog-bucket")
        .send()
        .await
        .unwrap();
    assert!(listed.contents().is_empty(), "{listed:?}");
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.method == "PUT" && r.path.ends_with("/blog/.bucketpress/setup-probe")),
        "the probe was sent"
    );

    // Second run: everything already set, not one write.
    server.reset();
    let steps = setup(&client, &s).await.unwrap();
    assert!(
        steps.iter().all(|s| s.state == State::AlreadySet),
        "{steps:?}"
    );
    assert!(server.writes().is_empty(), "{:?}", server.writes());

    // Without --public, nothing public is touched.
    server.reset();
    let private = Setup {
        public: false,
        ..s.clone()
    };
    let steps = setup(&client, &private).await.unwrap();
    assert_eq!(steps.len(), 3);
    assert!(
        !server
            .requests()
            .iter()
            .any(|r| r.query.starts_with("policy")),
        "{:?}",
        server.requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bucket_already_owned_by_you_counts_as_success() {
    let server = strict_s3::start("us-east-1").await;
    let client = server.client();
    let s = Setup {
        region_configured: false,
        ..settings("mine", "us-east-1", false, false)
    };
    setup(&client, &s).await.unwrap();
    // A HeadBucket that fails once (a stale 404, e.g. eventual consistency) sends
    // CreateBucket for a bucket we own: BucketAlreadyOwnedByYou is success.
    server.inject("HEAD", "/mine/", 1, 404, "NoSuchBucket");
    server.reset();
    let steps = setup(&client, &s).await.unwrap();
    assert_eq!(steps[0].state, State::AlreadySet);
    assert!(
        has(&server.requests(), "PUT", "/mine", ""),
        "{:?}",
        server.requests()
    );
}

/// Runs `bucketpress setup-bucket` with test credentials and `CI=true`.
fn setup_bin(site: &std::path::Path, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_bucketpress"));
    cmd.arg("setup-bucket").arg("--site").arg(site).args(args);
    isolate_aws_env(&mut cmd, site, SECRET_KEY)
        .env_remove("AWS_REGION")
        .env("CI", "true")
        .output()
        .expect("the binary runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_dry_runs_then_sets_up() {
    let server = strict_s3::start("eu-west-1").await;
    let site = crate::support::site(&[]);
    let config = format!(
        "title = \"T\"\nbase_url = \"https://t.example/\"\n[publish]\nbucket = \"cli-bucket\"\n\
         region = \"eu-west-1\"\nendpoint = \"{}\"\npath_style = true\n",
        server.endpoint
    );
    std::fs::write(site.path().join("site.toml"), config).unwrap();
    let dir = site.path().to_path_buf();
    let run = |args: &'static [&'static str]| {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || setup_bin(&dir, args))
    };

    let out = run(&["--public", "--dry-run"]).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout
            .contains("bucket: would send CreateBucket cli-bucket (LocationConstraint eu-west-1)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("would send PutBucketWebsite cli-bucket"),
        "{stdout}"
    );
    assert!(
        stdout.contains("would send PutBucketPolicy cli-bucket"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\"Sid\": \"BucketpressPublicRead\""),
        "{stdout}"
    );
    assert!(server.writes().is_empty(), "{:?}", server.writes());

    let out = run(&["--public"]).await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("bucket: done"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("custom endpoint"), "{stderr}");

    server.reset();
    let out = run(&["--public"]).await.unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("already set").count(), 5, "{stdout}");
    assert!(server.writes().is_empty(), "{:?}", server.writes());

    // A file:// target is a usage mistake for this command.
    let out = run(&["--to", "file:///tmp/x"]).await.unwrap();
    assert_eq!(out.status.code(), Some(1));
}

/// A small site's outputs, published under `blog/` of `bucket` with `client`.
async fn publish_to(
    client: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<bucketpress::publish::Report, bucketpress::publish::PublishError> {
    let target = bucketpress::publish::s3::S3Target::with_client(client.clone(), bucket, "blog/");
    crate::publish::publish(&target, crate::publish::site("")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_policy_never_locks_the_owner_out_of_the_manifest() {
    // A store whose policy engine ignores Conditions: a Deny meant for anonymous readers
    // would refuse the owner's publish too.
    let server = strict_s3::start_misreading_conditions("eu-west-1").await;
    let client = server.client();
    let s = settings("blog-bucket", "eu-west-1", true, false);
    let steps = setup(&client, &s).await.unwrap();
    assert_eq!(steps[3].state, State::Done, "{steps:?}");
    publish_to(&client, "blog-bucket").await.unwrap();
    // The next publish reads the manifest back.
    let report = publish_to(&client, "blog-bucket").await.unwrap();
    assert_eq!(report.summary.uploaded, 0);
    // Published names already in the bucket are opened on the next run too.
    let mut later = s.clone();
    later.names.clear();
    setup(&client, &later).await.unwrap();
    let policy = client
        .get_bucket_policy()
        .bucket("blog-bucket")
        .send()
        .await
        .unwrap();
    let text = policy.policy().unwrap();
    assert!(
        text.contains("arn:aws:s3:::blog-bucket/blog/img/*"),
        "{text}"
    );
    assert!(
        !text.contains(".bucketpress") && !text.contains("Deny"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_that_locks_the_owner_out_is_rolled_back_with_what_to_change() {
    let server = strict_s3::start_misreading_conditions("eu-west-1").await;
    let client = server.client();
    let private = settings("blog-bucket", "eu-west-1", false, false);
    setup(&client, &private).await.unwrap();
    // The owner's own policy: refuse unencrypted uploads. This store ignores the Condition,
    // so with it in place nobody can write (the owner had not noticed: nothing was written).
    let previous = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyUnencrypted","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::blog-bucket/*","Condition":{"Null":{"s3:x-amz-server-side-encryption":"true"}}}]}"#;
    client
        .put_bucket_policy()
        .bucket("blog-bucket")
        .policy(previous)
        .send()
        .await
        .unwrap();
    let public = settings("blog-bucket", "eu-west-1", true, false);
    let err = setup(&client, &public).await.unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(
            err,
            bucketpress::publish::target::TargetError::AccessDenied(_)
        ),
        "{err:?}"
    );
    assert!(text.contains("DenyUnencrypted"), "{text}");
    assert!(text.contains("previous policy was put back"), "{text}");
    assert!(text.contains("blog/.bucketpress/"), "{text}");
    // The service's code and message, not an SDK dump.
    assert!(
        text.contains("AccessDenied: denied by the bucket policy"),
        "{text}"
    );
    for dump in ["Error {", "SdkError", "ServiceError", "raw:"] {
        assert!(!text.contains(dump), "{dump} in {text}");
    }
    let now = client
        .get_bucket_policy()
        .bucket("blog-bucket")
        .send()
        .await
        .unwrap();
    assert_eq!(now.policy(), Some(previous));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prefixed_site_keeps_the_buckets_other_error_document_unless_asked() {
    use aws_sdk_s3::types::{ErrorDocument, IndexDocument, WebsiteConfiguration};
    let server = strict_s3::start("eu-west-1").await;
    let client = server.client();
    let root_site = Setup {
        prefix: String::new(),
        ..settings("shared", "eu-west-1", false, false)
    };
    setup(&client, &root_site).await.unwrap();
    let error_doc = || async {
        let w = client
            .get_bucket_website()
            .bucket("shared")
            .send()
            .await
            .unwrap();
        w.error_document().unwrap().key().to_string()
    };
    assert_eq!(error_doc().await, "404.html");

    // A second site under blog/: the bucket-wide error document stays, and the step says so.
    server.reset();
    let blog = settings("shared", "eu-west-1", false, false);
    let steps = setup(&client, &blog).await.unwrap();
    let website = steps
        .iter()
        .find(|s| s.subject == "website hosting")
        .unwrap();
    let State::Kept(why) = &website.state else {
        panic!("{steps:?}");
    };
    assert!(
        why.contains("404.html") && why.contains("--replace-error-document"),
        "{why}"
    );
    assert!(website.to_string().contains("kept as it is"), "{website}");
    assert_eq!(error_doc().await, "404.html");
    // The only write is the second site's own lifecycle rule (for its prefix).
    let writes = server.writes();
    assert!(writes.iter().all(|w| w.query == "lifecycle"), "{writes:?}");

    // Asked for: replaced.
    let replace = Setup {
        replace_error_document: true,
        ..blog.clone()
    };
    setup(&client, &replace).await.unwrap();
    assert_eq!(error_doc().await, "blog/404.html");

    // A website configuration whose index is wrong is rewritten, keeping the error document.
    client
        .put_bucket_website()
        .bucket("shared")
        .website_configuration(
            WebsiteConfiguration::builder()
                .index_document(IndexDocument::builder().suffix("home.htm").build().unwrap())
                .error_document(ErrorDocument::builder().key("err.html").build().unwrap())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let steps = setup(&client, &blog).await.unwrap();
    assert!(
        steps
            .iter()
            .any(|s| s.subject == "error document" && matches!(s.state, State::Kept(_))),
        "{steps:?}"
    );
    assert_eq!(error_doc().await, "err.html");
}

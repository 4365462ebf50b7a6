//! The `bucketpress publish` binary under hostile conditions: killed with SIGKILL half way
//! through an upload, and run at the highest log level with a recognisable secret (it must never
//! be printed), on a site full of things that must never be uploaded (drafts, dotfiles,
//! excluded files).

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use bucketpress::pipeline::{BuildOptions, render_site};
use bucketpress::publish::manifest::Manifest;

use crate::publish::chaos::{assert_converged, expected_manifest, stored_manifest};
use crate::publish::get;
use crate::s3_server::{BUCKET, Fault, FaultKind, REGION, S3Server, SECRET_KEY, isolate_aws_env};
use crate::support::{corpus, site, write};

/// `bucketpress publish --site <site> <args>` with the test credentials in the environment,
/// isolated from the host's AWS configuration.
pub fn publish_command(site: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bucketpress"));
    cmd.arg("publish").arg("--site").arg(site).args(args);
    isolate_aws_env(&mut cmd, site, SECRET_KEY).env("CI", "true");
    cmd
}

/// Runs the publish command to completion off the async runtime (the server runs on it).
pub async fn run(cmd: Command) -> Output {
    let mut cmd = cmd;
    tokio::task::spawn_blocking(move || cmd.output().expect("the binary runs"))
        .await
        .unwrap()
}

pub fn assert_success(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Points the site's `[publish]` section at the server, under `blog/`, with `extra` lines.
pub fn configure(site: &Path, server: &S3Server, extra: &str) {
    let path = site.join("site.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    let config = format!(
        "{config}\n[publish]\nbucket = \"{BUCKET}\"\nprefix = \"blog\"\nregion = \"{REGION}\"\n\
         endpoint = \"{}\"\npath_style = true\n{extra}\n",
        server.endpoint
    );
    std::fs::write(path, config).unwrap();
}

/// The manifest a fresh render of `site` publishes.
fn fresh_render(site: &Path) -> Manifest {
    let rendered = render_site(site, &BuildOptions::default()).expect("the site renders");
    expected_manifest(&rendered.outputs, &rendered.config.publish)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_half_way_then_publish_again_converges() {
    let server = S3Server::start().await;
    let src = corpus(200, "yaml");
    configure(src.path(), &server, "");
    assert_success(&run(publish_command(src.path(), &[])).await);
    let v1 = stored_manifest(&server, "blog/").await;
    assert_eq!(v1.entries, fresh_render(src.path()).entries);
    assert!(
        v1.sources.is_some(),
        "a complete publish records its sources"
    );

    // Version 2 changes every page (the title is in each), and every PUT answers 20 ms late,
    // so the kill lands while uploads are in flight.
    let config = std::fs::read_to_string(src.path().join("site.toml")).unwrap();
    std::fs::write(
        src.path().join("site.toml"),
        config.replace("title = \"Corpus\"", "title = \"Corpus, second edition\""),
    )
    .unwrap();
    let v2 = fresh_render(src.path());
    let changed = v2
        .entries
        .iter()
        .filter(|(k, e)| v1.entries.get(*k) != Some(e))
        .count();
    assert!(changed > 200, "only {changed} keys change");
    server.fault(Fault::new(
        "PUT",
        "",
        usize::MAX,
        FaultKind::Delay(Duration::from_millis(20)),
    ));
    server.reset();
    let log = src.path().join("killed-publish.log");
    let mut child = publish_command(src.path(), &["--concurrency", "8"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while server.count("PUT") < 40 {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "the publish ended ({status}) before it could be killed after {} PUTs: {}",
                server.count("PUT"),
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        assert!(Instant::now() < deadline, "the publish never got going");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.kill().unwrap(); // SIGKILL on Unix: no chance to clean up.
    let status = child.wait().unwrap();
    assert_eq!(status.code(), None, "killed by a signal");
    let puts = server.count("PUT");
    assert!(puts < changed, "{puts} PUTs: the kill came too late");
    // Killed before its manifest write: the manifest still describes version 1, while some
    // objects already hold version 2.
    assert_eq!(stored_manifest(&server, "blog/").await, v1);
    assert!(
        server
            .put_keys()
            .iter()
            .all(|k| !k.ends_with(".bucketpress/manifest.json"))
    );

    server.clear_faults();
    server.reset();
    assert_success(&run(publish_command(src.path(), &[])).await);
    assert_converged(&server, "blog/", &v2).await;
    // And it is stable: the next publish has nothing to do.
    server.reset();
    assert_success(&run(publish_command(src.path(), &[])).await);
    assert_eq!(server.requests().len(), 1);
}

/// A site with every kind of file that must never be uploaded next to some that must.
fn risky_site() -> tempfile::TempDir {
    site(&[
        (
            "site.toml",
            "title = \"Safe\"\nbase_url = \"https://safe.example/\"\n\
             exclude = [\"static/internal/**\"]\n",
        ),
        (
            "content/posts/hello.md",
            "---\ntitle: Hello\ndate: 2024-01-02\n---\nPublic words.\n",
        ),
        (
            "content/posts/plans.md",
            "---\ntitle: Unannounced Plans Draft\ndate: 2024-01-03\ndraft: true\ntags: [sekrit]\n\
             ---\nSecret draft words.\n",
        ),
        ("content/.env", "AWS_SECRET_ACCESS_KEY=content-dotenv\n"),
        (
            "content/.git/config",
            "[remote \"origin\"]\nurl = content-git\n",
        ),
        (
            "content/posts/.notes.md",
            "---\ntitle: Hidden\ndate: 2024-01-01\n---\nx\n",
        ),
        ("static/.env", "TOKEN=static-dotenv\n"),
        ("static/.git/config", "[core]\nstatic-git\n"),
        ("static/img/.DS_Store", "junk"),
        ("static/internal/budget.txt", "excluded by exclude\n"),
        (
            "static/drafts-area/todo.txt",
            "excluded by publish.exclude\n",
        ),
        ("static/humans.txt", "Team: us\n"),
        (
            "static/.well-known/security.txt",
            "Contact: mailto:security@safe.example\n",
        ),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drafts_dotfiles_and_excluded_files_never_reach_the_bucket_and_secrets_never_the_output() {
    let server = S3Server::start().await;
    let src = risky_site();
    configure(src.path(), &server, "exclude = [\"drafts-area/**\"]");
    let out = run({
        let mut cmd = publish_command(src.path(), &["-vv"]);
        cmd.env("BUCKETPRESS_LOG", "trace");
        cmd
    })
    .await;
    assert_success(&out);

    // Nothing that must stay private was uploaded.
    let objects = server.objects("").await;
    let keys: Vec<&str> = objects.keys().map(String::as_str).collect();
    for key in &keys {
        for banned in [
            ".env",
            ".git",
            ".DS_Store",
            ".notes",
            "internal",
            "drafts-area",
            "plans",
            "sekrit",
        ] {
            assert!(!key.contains(banned), "{key} was uploaded");
        }
    }
    assert!(keys.contains(&"blog/humans.txt"), "{keys:?}");
    assert!(keys.contains(&"blog/.well-known/security.txt"), "{keys:?}");
    assert!(keys.contains(&"blog/posts/hello/index.html"), "{keys:?}");
    // Nor does any published page, feed or sitemap mention the draft or hold a secret.
    let client = server.client();
    for key in &keys {
        let body = String::from_utf8_lossy(&get(&client, key).await).into_owned();
        for banned in [
            "Unannounced",
            "Secret draft words",
            "sekrit",
            "content-dotenv",
            "static-dotenv",
            "content-git",
            "static-git",
            "excluded by",
        ] {
            assert!(!body.contains(banned), "{key} contains {banned:?}");
        }
    }

    // The secret key never appears in the output, even at trace level; the log did run at
    // trace level (the SDK's request traces are there).
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("TRACE"), "not a trace-level run: {stderr}");
    assert!(stderr.lines().count() > 50, "{stderr}");
    for text in [&stdout, &stderr] {
        assert!(!text.contains(SECRET_KEY), "the secret key was printed");
        // Nor a recognisable piece of it (e.g. a redaction that keeps a prefix).
        assert!(
            !text.contains(&SECRET_KEY[12..]),
            "part of the secret was printed"
        );
    }

    // Same with a wrong secret (the failure path prints errors): nothing of it appears.
    let wrong = "wrong-but-recognisable-secret-0123456789";
    let out = run({
        let mut cmd = publish_command(src.path(), &["-vv", "--force"]);
        cmd.env("BUCKETPRESS_LOG", "trace")
            .env("AWS_SECRET_ACCESS_KEY", wrong);
        cmd
    })
    .await;
    assert_eq!(out.status.code(), Some(3));
    for text in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(text);
        assert!(!text.contains(wrong), "the wrong secret was printed");
        assert!(
            !text.contains(&wrong[..16]),
            "part of the wrong secret was printed"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_deletes_holds_through_the_binary() {
    let server = S3Server::start().await;
    let src = risky_site();
    configure(src.path(), &server, "");
    assert_success(&run(publish_command(src.path(), &[])).await);
    let before = server.objects("").await;

    // Remove the only post: its page, its tag-less listings shrink, several keys go.
    std::fs::remove_file(src.path().join("content/posts/hello.md")).unwrap();
    write(
        src.path(),
        "content/about.md",
        "---\ntitle: About\n---\nAbout.\n",
    );
    server.reset();
    let out = run(publish_command(src.path(), &["--max-deletes", "0"])).await;
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--max-deletes"), "{stderr}");
    assert!(server.writes().is_empty(), "{:#?}", server.writes());
    assert_eq!(server.objects("").await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_binaries_publishing_different_versions_at_once_one_exits_4_and_a_rerun_converges() {
    let server = S3Server::start().await;
    let a = crate::support::example_site();
    let b = crate::support::example_site();
    configure(a.path(), &server, "");
    configure(b.path(), &server, "");
    assert_success(&run(publish_command(a.path(), &[])).await);

    let about = |dir: &Path, line: &str| {
        let path = dir.join("content/about.md");
        let text = std::fs::read_to_string(&path).unwrap() + line;
        std::fs::write(path, text).unwrap();
    };
    about(a.path(), "\nVersion A.\n");
    write(
        a.path(),
        "content/posts/only-in-a.md",
        "+++\ntitle = \"Only in A\"\ndate = 2025-03-01\n+++\nA.\n",
    );
    about(b.path(), "\nVersion B.\n");

    // A's manifest write is held at the server until B has published all the way.
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
    server.fault(Fault::new(
        "PUT",
        ".bucketpress/manifest.json",
        1,
        FaultKind::Hold(gate.clone()),
    ));
    server.reset(); // the first publish's manifest PUT must not count as A's
    let mut publisher_a = publish_command(a.path(), &[]);
    let publisher_a = tokio::task::spawn_blocking(move || publisher_a.output().unwrap());
    let deadline = Instant::now() + Duration::from_secs(120);
    while !server
        .requests()
        .iter()
        .any(|r| r.method == "PUT" && r.path.ends_with(".bucketpress/manifest.json"))
    {
        assert!(Instant::now() < deadline, "A never wrote its manifest");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let out_b = run(publish_command(b.path(), &[])).await;
    assert_success(&out_b);
    gate.add_permits(1);
    let out_a = publisher_a.await.unwrap();

    assert_eq!(out_a.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&out_a.stderr);
    eprintln!("loser's stderr: {stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains("another publish changed the site")
            && errors[0].contains("nothing was deleted")
            && errors[0].contains("run publish again"),
        "{stderr}"
    );

    // B won: the manifest is B's, with A's uploads marked unknown; B's re-run makes the bucket
    // exactly a fresh render of B (A's extra post gone, the about page B's).
    let stored = stored_manifest(&server, "blog/").await;
    assert!(
        stored
            .entries
            .keys()
            .any(|k| k.starts_with("posts/only-in-a/"))
    );
    assert_success(&run(publish_command(b.path(), &[])).await);
    assert_converged(&server, "blog/", &fresh_render(b.path())).await;
    let about_page =
        String::from_utf8(get(&server.client(), "blog/about/index.html").await).unwrap();
    assert!(about_page.contains("Version B.") && !about_page.contains("Version A."));
}

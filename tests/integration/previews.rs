//! The deploy commands through the binary against the in-process S3 server: `publish
//! --preview` (links for the preview's path, unchanged objects copied from the live site, no
//! live key touched), `previews` (list, remove, prune by age), `deploys --json` and `rollback`
//! (also killed half way with SIGKILL, then run again).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::deploys::{Stored, snapshot};
use crate::publish::chaos::stored_manifest;
use crate::publish::get;
use crate::publish::kill::{assert_success, configure, publish_command, run};
use crate::s3_server::{Fault, FaultKind, S3Server, SECRET_KEY, isolate_aws_env};
use crate::support::{corpus, write};

/// `bucketpress <command> --site <site> <args>` with the test credentials.
fn command(site: &Path, name: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bucketpress"));
    cmd.arg(name).arg("--site").arg(site).args(args);
    isolate_aws_env(&mut cmd, site, SECRET_KEY).env("CI", "true");
    cmd
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {}\nstderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preview_is_published_listed_and_pruned_and_never_changes_a_live_key() {
    let server = S3Server::start().await;
    let src = corpus(6, "yaml");
    write(
        src.path(),
        "static/notes.txt",
        "the same bytes on the live site and in the preview",
    );
    configure(src.path(), &server, "");
    assert_success(&run(publish_command(src.path(), &[])).await);
    let live = snapshot(&server, "blog/").await;
    let live_objects = server.objects("blog/").await;

    server.reset();
    let out = run(publish_command(
        src.path(),
        &["--preview", "pr-7", "--json"],
    ))
    .await;
    assert_success(&out);
    let doc = json(&out);
    let url = doc["preview_url"].as_str().unwrap().to_string();
    assert_eq!(url, "https://corpus.example/.bucketpress-previews/pr-7/");
    let folder = "/site/blog/.bucketpress-previews/pr-7/";
    let writes = server.writes();
    assert!(
        writes.iter().all(|w| w.path.starts_with(folder)),
        "a write outside the preview: {writes:#?}"
    );
    // What the live site holds as is (the text file, stylesheets) is copied, not uploaded.
    let copies: Vec<_> = writes
        .iter()
        .filter(|w| w.copy)
        .map(|w| w.path.as_str())
        .collect();
    assert!(
        copies.iter().any(|p| p.ends_with("/notes.txt")),
        "{copies:?}"
    );
    assert!(!copies.iter().any(|p| p.ends_with(".html")), "{copies:?}");
    // The live site is byte for byte what it was; the preview links within itself.
    assert_eq!(snapshot(&server, "blog/").await, live);
    let home = String::from_utf8(
        get(
            &server.client(),
            "blog/.bucketpress-previews/pr-7/index.html",
        )
        .await,
    )
    .unwrap();
    assert!(home.contains(&url), "{home}");
    let preview = snapshot(&server, "blog/.bucketpress-previews/pr-7/").await;
    assert_eq!(
        preview.keys().collect::<Vec<_>>(),
        live.keys().collect::<Vec<_>>()
    );

    // A second preview, then the list.
    assert_success(&run(publish_command(src.path(), &["--preview", "pr-8"])).await);
    let listed = json(&run(command(src.path(), "previews", &["--json"])).await);
    let names: Vec<&str> = listed["previews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["pr-7", "pr-8"]);
    assert_eq!(listed["previews"][0]["url"], url.as_str());

    // Removing one by name (the pull request closed), pruning by age.
    let out = run(command(
        src.path(),
        "previews",
        &["--remove", "pr-7", "--json"],
    ))
    .await;
    assert_success(&out);
    assert!(
        server
            .objects("blog/.bucketpress-previews/pr-7/")
            .await
            .is_empty()
    );
    let out = run(command(
        src.path(),
        "previews",
        &["--prune", "--older-than", "1d", "--json"],
    ))
    .await;
    assert_success(&out);
    assert_eq!(
        json(&out)["previews"][0]["name"],
        "pr-8",
        "not a day old: kept"
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = run(command(
        src.path(),
        "previews",
        &["--prune", "--older-than", "0s"],
    ))
    .await;
    assert_success(&out);
    assert!(
        server
            .objects("blog/.bucketpress-previews/")
            .await
            .is_empty()
    );
    // Through all of it, not one live object changed.
    assert_eq!(server.objects("blog/").await, live_objects);
    assert_eq!(snapshot(&server, "blog/").await, live);

    // Bad names and ages are usage errors naming the value.
    let out = run(publish_command(src.path(), &["--preview", "../x"])).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"../x\""));
    let out = run(command(
        src.path(),
        "previews",
        &["--prune", "--older-than", "14"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unit"));
}

/// What a bucket holds under a prefix, key by key.
type Bucket = BTreeMap<String, Stored>;

/// A corpus of `posts` published twice, the second time titled `title`: the site and the
/// bucket under `blog/` after each publish.
async fn two_versions(
    server: &S3Server,
    posts: usize,
    title: &str,
) -> (tempfile::TempDir, Bucket, Bucket) {
    let src = corpus(posts, "yaml");
    configure(src.path(), server, "");
    assert_success(&run(publish_command(src.path(), &[])).await);
    let v1 = snapshot(server, "blog/").await;
    let config = std::fs::read_to_string(src.path().join("site.toml")).unwrap();
    std::fs::write(
        src.path().join("site.toml"),
        config.replace("title = \"Corpus\"", &format!("title = \"{title}\"")),
    )
    .unwrap();
    assert_success(&run(publish_command(src.path(), &[])).await);
    let v2 = snapshot(server, "blog/").await;
    (src, v1, v2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploys_lists_publishes_and_rollback_undoes_the_last_one() {
    let server = S3Server::start().await;
    let (src, v1, v2) = two_versions(&server, 6, "Corpus 2").await;
    assert_ne!(v1, v2);

    let listed = json(&run(command(src.path(), "deploys", &["--json"])).await);
    let deploys = listed["deploys"].as_array().unwrap();
    assert_eq!(deploys.len(), 1, "{listed}");
    assert_eq!(deploys[0]["kind"], "publish");
    assert_eq!(deploys[0]["status"], "done");
    assert!(
        deploys[0]["changed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k == "index.html")
    );
    let id = deploys[0]["id"].as_str().unwrap().to_string();

    let out = run(command(src.path(), "rollback", &["--json"])).await;
    assert_success(&out);
    let doc = json(&out);
    assert_eq!(doc["status"], "rolled_back", "{doc}");
    assert_eq!(doc["rollback"]["plan"]["to"], id.as_str());
    assert_eq!(snapshot(&server, "blog/").await, v1);
    // Nothing left to undo: exit 3 with the reason; an unknown id: exit 2.
    let out = run(command(src.path(), "rollback", &[])).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no deploy to roll back"));
    let out = run(command(
        src.path(),
        "rollback",
        &["20200101T000000000Z-abcd"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(2));
    // Publishing again brings v2 back, uploading only what differs.
    assert_success(&run(publish_command(src.path(), &[])).await);
    assert_eq!(snapshot(&server, "blog/").await, v2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_killed_half_way_finishes_when_run_again() {
    let server = S3Server::start().await;
    let (src, v1, v2) = two_versions(&server, 200, "Corpus, second edition").await;

    // Every PUT (copies too) answers 20 ms late, so the kill lands while copies are in flight.
    server.fault(Fault::new(
        "PUT",
        "",
        usize::MAX,
        FaultKind::Delay(Duration::from_millis(20)),
    ));
    server.reset();
    let restores = |server: &S3Server| {
        server
            .requests()
            .iter()
            .filter(|r| r.copy && !r.path.contains("/.bucketpress/"))
            .count()
    };
    let mut child = command(src.path(), "rollback", &[])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while restores(&server) < 20 {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the rollback ended ({status}) before it could be killed");
        }
        assert!(Instant::now() < deadline, "the rollback never got going");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up.
    assert_eq!(child.wait().unwrap().code(), None);
    // (Hash metadata only: the test server, unlike S3, may leave a copy it was doing when the
    // client died with the bytes of one version and the checksum of the other.)
    let hashes = |s: &BTreeMap<String, Stored>| -> BTreeMap<String, Option<String>> {
        s.iter()
            .map(|(k, v)| (format!("blog/{k}"), v.hash.clone()))
            .collect()
    };
    let mut half = server.objects("blog/").await;
    half.retain(|k, _| !k.starts_with("blog/."));
    assert!(
        half != hashes(&v1) && half != hashes(&v2),
        "the kill came too early or too late"
    );
    assert!(
        stored_manifest(&server, "blog/")
            .await
            .pending_rollback
            .is_some()
    );

    server.clear_faults();
    let out = run(command(src.path(), "rollback", &["--json"])).await;
    assert_success(&out);
    assert_eq!(json(&out)["rollback"]["resumed"], true);
    assert_eq!(snapshot(&server, "blog/").await, v1);
    let m = stored_manifest(&server, "blog/").await;
    assert!(m.pending_rollback.is_none() && m.pending_deletes.is_empty());
    // And forward again: the build, by a publish.
    assert_success(&run(publish_command(src.path(), &[])).await);
    assert_eq!(snapshot(&server, "blog/").await, v2);
}

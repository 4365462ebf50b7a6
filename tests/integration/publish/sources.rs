//! The sources record: a publish of sources the manifest already records renders nothing and
//! sends one request, on a fresh checkout too; any change to what a render reads, `--force`,
//! a failed upload or private documents make the next publish render again. And the highlight
//! cache kept in the bucket, which spares a fresh checkout's render the highlighting.

use std::collections::BTreeSet;
use std::path::Path;

use bucketpress::config::PublishConfig;
use bucketpress::publish::apply::NoProgress;
use bucketpress::publish::manifest::{Manifest, SourcesRecord};
use bucketpress::publish::target::Target;
use bucketpress::publish::{PublishError, Rendered, Report, publish_over, read_stored};
use tempfile::TempDir;

use crate::publish::cli::{json, run};
use crate::publish::faults::{Meddle, nothing};
use crate::publish::{opts, site};
use crate::s3_server::{BUCKET, REGION, S3Server, SECRET_KEY};
use crate::support::example_site;

/// The example site pointed at `server`; without its private post unless `private`.
fn site_for(server: &S3Server, private: bool) -> TempDir {
    let dir = example_site();
    // As checked out: no cache a local build may have left.
    let _ = std::fs::remove_dir_all(dir.path().join(".bucketpress"));
    if !private {
        std::fs::remove_file(dir.path().join("content/posts/family-recipes.md")).unwrap();
    }
    let config = std::fs::read_to_string(dir.path().join("site.toml")).unwrap();
    let config = format!(
        "{config}\n[publish]\nbucket = \"{BUCKET}\"\nregion = \"{REGION}\"\n\
         endpoint = \"{}\"\npath_style = true\n",
        server.endpoint
    );
    std::fs::write(dir.path().join("site.toml"), config).unwrap();
    dir
}

/// Publishes `site` through the binary; returns the `--json` document after checking exit 0.
async fn publish(server: &S3Server, site: &Path, extra: &[&str]) -> serde_json::Value {
    server.reset();
    let mut args = vec!["--json"];
    args.extend_from_slice(extra);
    let out = run(site, SECRET_KEY, &args).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&out)
}

async fn stored_manifest(server: &S3Server) -> Manifest {
    let bytes = crate::publish::get(&server.client(), ".bucketpress/manifest.json").await;
    Manifest::decode(&bytes).unwrap()
}

fn skipped(v: &serde_json::Value) -> bool {
    v["summary"]["render_skipped"].as_bool().unwrap()
}

/// Copies `from` file by file into a new folder: new file times, no `.bucketpress/` cache,
/// as a CI job's fresh checkout has.
fn fresh_checkout(from: &Path) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        if rel.starts_with(".bucketpress") {
            continue;
        }
        let to = dir.path().join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unchanged_sources_are_not_rendered_again_even_on_a_fresh_checkout() {
    let server = S3Server::start().await;
    let src = site_for(&server, false);

    let v = publish(&server, src.path(), &[]).await;
    assert_eq!(v["status"], "published");
    assert!(!skipped(&v));
    let first = stored_manifest(&server).await;
    let record = first
        .sources
        .clone()
        .expect("a complete publish records its sources");
    assert_eq!(record.until, None, "the example site has no future post");

    let v = publish(&server, src.path(), &[]).await;
    assert_eq!(v["status"], "nothing_to_do");
    assert!(skipped(&v), "{v}");
    assert_eq!(server.requests().len(), 1, "{:#?}", server.requests());
    assert_eq!(
        v["summary"]["unchanged"].as_u64().unwrap() as usize,
        first.entries.len()
    );

    // A fresh checkout: other file times, no local cache; the sources are the same.
    let checkout = fresh_checkout(src.path());
    assert!(!checkout.path().join(".bucketpress").exists());
    let v = publish(&server, checkout.path(), &[]).await;
    assert!(skipped(&v), "{v}");
    assert_eq!(server.requests().len(), 1);

    // One post edited: rendered and uploaded; then recorded again.
    let post = checkout.path().join("content/posts/cache-control.md");
    let text = std::fs::read_to_string(&post).unwrap() + "\nA new closing line.\n";
    std::fs::write(&post, text).unwrap();
    let v = publish(&server, checkout.path(), &[]).await;
    assert_eq!(v["status"], "published");
    assert!(!skipped(&v));
    let uploads: Vec<&str> = v["plan"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["key"].as_str().unwrap())
        .collect();
    assert!(uploads.iter().any(|k| k.contains("cache")), "{uploads:?}");
    let second = stored_manifest(&server).await;
    assert_ne!(second.sources.as_ref().unwrap().hash, record.hash);
    assert!(skipped(&publish(&server, checkout.path(), &[]).await));

    // A draft changes the sources but no output: rendered, nothing uploaded, recorded.
    std::fs::write(
        checkout.path().join("content/posts/wip.md"),
        "+++\ntitle = \"Not yet\"\ndate = 2025-01-01\ndraft = true\n+++\nSecret plans.\n",
    )
    .unwrap();
    let v = publish(&server, checkout.path(), &[]).await;
    assert!(!skipped(&v));
    assert_eq!(v["summary"]["uploaded"], 0, "{v}");
    assert_eq!(v["status"], "nothing_to_do", "only the record changed: {v}");
    assert_eq!(v["summary"]["record_only"], true, "{v}");
    assert!(skipped(&publish(&server, checkout.path(), &[]).await));

    // --force always renders and uploads.
    let v = publish(&server, checkout.path(), &["--force"]).await;
    assert!(!skipped(&v));
    assert!(v["summary"]["uploaded"].as_u64().unwrap() > 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_future_post_bounds_the_record_and_private_posts_get_none() {
    let server = S3Server::start().await;
    let src = site_for(&server, false);
    std::fs::write(
        src.path().join("content/posts/later.md"),
        "+++\ntitle = \"Later\"\ndate = 2999-01-01T00:00:00Z\n+++\nNot yet.\n",
    )
    .unwrap();
    publish(&server, src.path(), &[]).await;
    let record = stored_manifest(&server).await.sources.unwrap();
    let until = chrono::DateTime::parse_from_rfc3339("2999-01-01T00:00:00Z").unwrap();
    assert_eq!(record.until, Some(until.timestamp()));
    assert!(record.covers(&record.hash, until.timestamp() - 1));
    assert!(!record.covers(&record.hash, until.timestamp()));
    assert!(!record.covers("other", 0));

    // Private posts are sealed with passphrases the sources do not hold: always rendered.
    let server = S3Server::start().await;
    let private = site_for(&server, true);
    publish(&server, private.path(), &[]).await;
    assert_eq!(stored_manifest(&server).await.sources, None);
    let v = publish(&server, private.path(), &[]).await;
    assert_eq!(v["status"], "nothing_to_do");
    assert!(!skipped(&v));
}

/// Publishes the small test site (post a's body + `edit`) to `target` as a render of the
/// sources `record` describes.
async fn publish_recorded<T: Target>(
    target: &T,
    edit: &str,
    record: &SourcesRecord,
) -> Result<Report, PublishError> {
    let read = read_stored(target, &opts()).await?;
    let rendered = Rendered {
        outputs: site(edit),
        sources: Some(record.clone()),
        commit: None,
    };
    let cfg = PublishConfig::default();
    publish_over(target, read, rendered, &cfg, &opts(), &NoProgress).await
}

#[tokio::test]
async fn a_publish_that_fails_part_way_records_no_sources() {
    let server = S3Server::start().await;
    let record = SourcesRecord {
        hash: "h1".into(),
        until: None,
    };
    let target = |fail: &[&str]| Meddle {
        inner: server.target(""),
        after_read: nothing,
        fail: fail.iter().map(|k| k.to_string()).collect::<BTreeSet<_>>(),
        fired: Default::default(),
    };
    publish_recorded(&target(&[]), "", &record).await.unwrap();
    assert_eq!(stored_manifest(&server).await.sources, Some(record.clone()));

    let failed = publish_recorded(&target(&["posts/a/index.html"]), "edited", &record).await;
    assert!(failed.is_err());
    let after = stored_manifest(&server).await;
    assert_eq!(after.sources, None, "the sources were not all published");
    assert!(after.entries.contains_key("index.html"));

    publish_recorded(&target(&[]), "edited", &record)
        .await
        .unwrap();
    assert_eq!(stored_manifest(&server).await.sources, Some(record));
}

/// Turns `[publish] highlight_cache_in_bucket` on (the `[publish]` table is the file's last).
fn keep_highlights_in_bucket(site: &Path) {
    let path = site.join("site.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{config}highlight_cache_in_bucket = true\n")).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_checkout_takes_the_highlight_cache_from_the_bucket() {
    let server = S3Server::start().await;
    let src = site_for(&server, false);
    keep_highlights_in_bucket(src.path());
    // Only the dear highlighters' blocks are cached (Go and C by tree-sitter, the rest of
    // syntect's languages); the lexed languages of the example site are not.
    let post = src.path().join("content/posts/why-a-bucket.md");
    let text = std::fs::read_to_string(&post).unwrap()
        + "\n```go\nfunc a() int { return 1 }\n```\n\n```c\nint b(void) { return 2; }\n```\n\n```haskell\nc = 3\n```\n";
    std::fs::write(&post, text).unwrap();

    let v = publish(&server, src.path(), &[]).await;
    let uploaded = v["highlight_cache"]["uploaded_shards"].as_u64().unwrap();
    assert!(uploaded >= 1, "{v}");
    assert_eq!(v["highlight_cache"]["downloaded_blocks"], 0);
    assert!(
        !src.path().join(".bucketpress").exists(),
        "kept in the bucket, not the folder"
    );
    let index =
        crate::publish::get(&server.client(), ".bucketpress/cache/highlight/index.json").await;
    let index: serde_json::Value = serde_json::from_slice(&index).unwrap();
    assert_eq!(index["shards"].as_object().unwrap().len() as u64, uploaded);

    // A fresh checkout with one new code block: the other blocks come from the bucket, only
    // the new block's shard goes back, and the pages are what a local render makes.
    let checkout = fresh_checkout(src.path());
    let post = checkout.path().join("content/posts/cache-control.md");
    let text = std::fs::read_to_string(&post).unwrap()
        + "\n```go\nfunc onlyInThisEdit() int { return 42 }\n```\n";
    std::fs::write(&post, text).unwrap();
    let v = publish(&server, checkout.path(), &[]).await;
    assert!(!skipped(&v));
    let cache = &v["highlight_cache"];
    assert_eq!(
        cache["downloaded_shards"].as_u64().unwrap(),
        uploaded,
        "{v}"
    );
    assert!(cache["downloaded_blocks"].as_u64().unwrap() >= 3, "{v}");
    assert_eq!(cache["uploaded_shards"], 1, "{v}");
    let rendered = bucketpress::pipeline::render_site(
        checkout.path(),
        &bucketpress::pipeline::BuildOptions::default(),
    )
    .unwrap();
    let expected =
        crate::publish::chaos::expected_manifest(&rendered.outputs, &rendered.config.publish);
    assert_eq!(stored_manifest(&server).await.entries, expected.entries);

    // Pages kept out of the publish keep their code out of the bucket too.
    let server = S3Server::start().await;
    let excluding = site_for(&server, false);
    let path = excluding.path().join("site.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!("{config}exclude = [\"posts/cache-control/**\"]\n"),
    )
    .unwrap();
    keep_highlights_in_bucket(excluding.path());
    let v = publish(&server, excluding.path(), &[]).await;
    assert!(!v["plan"]["skipped"].as_array().unwrap().is_empty(), "{v}");
    assert_eq!(v["highlight_cache"]["uploaded_shards"], 0, "{v}");

    // A site with private posts never sends its code to the bucket.
    let server = S3Server::start().await;
    let private = site_for(&server, true);
    keep_highlights_in_bucket(private.path());
    let v = publish(&server, private.path(), &[]).await;
    assert_eq!(v["highlight_cache"]["uploaded_shards"], 0, "{v}");
    assert!(
        server
            .put_keys()
            .iter()
            .all(|k| !k.contains(".bucketpress/cache/")),
        "{:?}",
        server.put_keys()
    );
}

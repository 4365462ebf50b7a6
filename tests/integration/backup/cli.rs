//! `bucketpress backup` / `restore` through the binary: `--init-key`, a backup to the
//! `[publish]` bucket's private prefix, `--list`, `--check`, `restore latest`, and exit codes of a
//! missing key, a wrong key and a non-empty folder.

use std::path::Path;
use std::process::Output;

use super::{PREFIX, rich_site, tree};
use crate::s3_server::{S3Server, SECRET_KEY, isolate_aws_env};

/// Runs the binary with credentials for the test server, isolated from the host's AWS
/// configuration and from any real backup key.
async fn bin(cwd: &Path, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_bucketpress"));
    cmd.args(args).current_dir(cwd);
    isolate_aws_env(&mut cmd, cwd, SECRET_KEY)
        .env("HOME", cwd.join("home"))
        .env_remove("XDG_CONFIG_HOME")
        .env_remove(bucketpress::backup::key::KEY_FILE_ENV)
        .env("CI", "true");
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_backs_up_lists_and_restores() {
    let server = S3Server::start().await;
    let src = rich_site();
    let work = tempfile::tempdir().unwrap();
    let cwd = work.path();
    let config = std::fs::read_to_string(src.path().join("site.toml")).unwrap();
    let config = config.replace("[publish]", "[old_publish]");
    std::fs::write(
        src.path().join("site.toml"),
        format!(
            "{config}\n[publish]\nbucket = \"site\"\nregion = \"us-east-1\"\nendpoint = \"{}\"\n\
             path_style = true\n",
            server.endpoint
        ),
    )
    .unwrap();
    let site = src.path().to_str().unwrap();

    let out = bin(cwd, &["backup", "--site", site]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("--init-key"), "{}", text(&out));

    let out = bin(cwd, &["backup", "--init-key"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let key_file = cwd.join("home/.config/bucketpress/backup-key.txt");
    let secret = std::fs::read_to_string(&key_file).unwrap();
    let secret_line = secret
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .unwrap();
    assert!(!text(&out).contains(secret_line));
    let again = bin(cwd, &["backup", "--init-key"]).await;
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), secret);

    let out = bin(cwd, &["-vv", "backup", "--site", site]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(PREFIX), "{}", text(&out));
    assert!(!text(&out).contains(secret_line));
    assert!(!server.objects(PREFIX).await.is_empty());

    let out = bin(cwd, &["backup", "--list", "--site", site]).await;
    assert!(out.status.success(), "{}", text(&out));
    let listing = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(listing.lines().count(), 1, "{listing}");
    assert!(listing.contains(" files"), "{listing}");

    let out = bin(cwd, &["backup", "--check", "--full", "--site", site]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("every snapshot is restorable"),
        "{}",
        text(&out)
    );
    // A chunk deleted behind its back: --check exits 3 and names it.
    let chunk = server
        .objects(&format!("{PREFIX}chunks/"))
        .await
        .into_keys()
        .next()
        .unwrap();
    let damaged = server.root.path().join("site").join(&chunk);
    let saved = std::fs::read(&damaged).unwrap();
    std::fs::remove_file(&damaged).unwrap();
    let out = bin(cwd, &["backup", "--check", "--site", site]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let name = chunk.rsplit('/').next().unwrap();
    assert!(
        text(&out).contains(name) && text(&out).contains("missing"),
        "{}",
        text(&out)
    );
    std::fs::write(&damaged, saved).unwrap();

    let dest = cwd.join("restored");
    let dest_s = dest.to_str().unwrap();
    let out = bin(cwd, &["restore", "latest", dest_s, "--site", site]).await;
    assert!(out.status.success(), "{}", text(&out));
    let restored = tree(&dest);
    assert_eq!(restored.get("site.toml"), tree(src.path()).get("site.toml"));
    assert_eq!(restored.len(), super::expected_sources(src.path()).len());

    // Into the same (now non-empty) folder: refused, exit 1, nothing changed.
    let out = bin(cwd, &["restore", "latest", dest_s, "--site", site]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(tree(&dest), restored);

    // Another key: exit 3 with a clear message, no folder content.
    let other = cwd.join("other-key.txt");
    let other_s = other.to_str().unwrap();
    let out = bin(cwd, &["backup", "--init-key", "--key", other_s]).await;
    assert!(out.status.success(), "{}", text(&out));
    let dest2 = cwd.join("restored2");
    let out = bin(
        cwd,
        &[
            "restore",
            "latest",
            dest2.to_str().unwrap(),
            "--site",
            site,
            "--key",
            other_s,
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("another backup key"), "{}", text(&out));
    assert!(
        !dest2.exists(),
        "nothing is created before the key is checked"
    );
}

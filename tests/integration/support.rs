//! Shared helpers: temporary sites, the example site, the generated corpus, the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary site made of `(relative path, text)` files; a default site.toml is added
/// unless one is given.
pub fn site(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let has_config = files.iter().any(|(p, _)| *p == "site.toml");
    if !has_config {
        write(
            dir.path(),
            "site.toml",
            "title = \"T\"\nbase_url = \"https://t.example/\"\n",
        );
    }
    for (path, text) in files {
        write(dir.path(), path, text);
    }
    dir
}

/// Writes `text` to `root/rel`, creating folders.
pub fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// A copy of `example-site/` in a temporary folder (tests may edit it).
pub fn example_site() -> TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&repo().join("example-site"), dir.path());
    dir
}

/// Copies a folder (without its `public/`) into `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk");
        let rel = entry.path().strip_prefix(from).expect("prefix");
        if rel.starts_with("public") {
            continue;
        }
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Generates `posts` posts of the deterministic corpus (`corpus.rs`; front matter `yaml` or
/// `toml`) and adds a site.toml.
pub fn corpus(posts: usize, front: &str) -> TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = crate::corpus::Spec {
        front: crate::corpus::Front::parse(front).expect("front is yaml or toml"),
        ..crate::corpus::Spec::new(posts)
    };
    crate::corpus::generate(&spec, dir.path()).expect("corpus written");
    write(
        dir.path(),
        "site.toml",
        "title = \"Corpus\"\nbase_url = \"https://corpus.example/\"\n",
    );
    dir
}

/// Runs the `bucketpress` binary with `args`.
pub fn bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bucketpress"))
        .args(args)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .expect("binary runs")
}

/// The text of an output as UTF-8.
pub fn text(outputs: &bucketpress::outputs::Outputs, key: &str) -> String {
    let output = outputs
        .get(key)
        .unwrap_or_else(|| panic!("no output {key}"));
    String::from_utf8(output.body.read_all().expect("read")).expect("utf-8")
}

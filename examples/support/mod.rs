//! What the publish benchmarks share: a copy of a site's sources, and the post they edit.

use std::path::{Path, PathBuf};

/// Copies `from` into `to`, leaving out dot-folders and files and a top-level `public/`
/// (build outputs and caches): what a fresh checkout has.
pub fn copy_sources(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).into_iter().filter_entry(|e| {
        let name = e.file_name().to_string_lossy();
        e.depth() == 0 || !(name.starts_with('.') || (e.depth() == 1 && name == "public"))
    }) {
        let entry = entry.expect("a readable folder");
        let rel = entry.path().strip_prefix(from).expect("under the folder");
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("create a folder");
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy a file");
        }
    }
}

/// The first Markdown file under `dir` by path: the post a benchmark edits.
pub fn first_post(dir: &Path) -> PathBuf {
    let mut posts: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    posts.sort();
    posts
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no post under {}", dir.display()))
}

//! Embeds `BUCKETPRESS_BUILD_ID`: a hash of everything in this crate that decides what a build
//! renders (the Rust sources, the bundled templates, the locked dependency versions). A
//! publish records it in the manifest with the site's sources, so a bucketpress that would
//! render differently never takes a no-op publish for granted.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

fn main() {
    let mut files = Vec::new();
    for dir in ["src", "templates"] {
        println!("cargo:rerun-if-changed={dir}");
        collect(Path::new(dir), &mut files);
    }
    for file in ["Cargo.lock", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={file}");
        files.push(PathBuf::from(file));
    }
    files.sort();
    // SipHash with fixed keys: the same sources give the same id wherever the same toolchain
    // builds them. Another Rust release may hash differently; that only costs one render.
    // The id covers the Cargo.lock on disk: `cargo install` without `--locked` may compile
    // other dependency versions under the same id, so install with `--locked`.
    let mut hasher = DefaultHasher::new();
    for file in &files {
        file.to_string_lossy().hash(&mut hasher);
        std::fs::read(file).unwrap_or_default().hash(&mut hasher);
    }
    println!(
        "cargo:rustc-env=BUCKETPRESS_BUILD_ID={}-{:016x}",
        env!("CARGO_PKG_VERSION"),
        hasher.finish()
    );
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}

//! Writing `Outputs` to a folder (`build`): only files whose bytes changed are written, and
//! files an earlier build wrote that this one no longer produces are removed. Files the build
//! never wrote are never touched, so `--out` pointing at a folder with other files is safe.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::outputs::{Body, Output, Outputs};

/// The list of keys the last build wrote, kept in the output folder.
pub const RECORD_FILE: &str = ".bucketpress-outputs";

/// What a write did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Files written (new or changed).
    pub written: usize,
    /// Files already up to date.
    pub unchanged: usize,
    /// Stale files of an earlier build removed.
    pub removed: usize,
}

/// Writes `outputs` under `out_dir`.
pub fn write_outputs(outputs: &Outputs, out_dir: &Path) -> io::Result<WriteStats> {
    std::fs::create_dir_all(out_dir)?;
    let previous = read_record(out_dir);
    let results: Vec<io::Result<bool>> = outputs
        .iter()
        .collect::<Vec<_>>()
        .par_iter()
        .map(|o| write_one(o, out_dir))
        .collect();
    let mut stats = WriteStats::default();
    for r in results {
        if r? {
            stats.written += 1;
        } else {
            stats.unchanged += 1;
        }
    }
    for key in previous.iter().filter(|k| !outputs.contains(k)) {
        let Some(path) = safe_join(out_dir, key) else {
            continue;
        };
        match std::fs::remove_file(&path) {
            Ok(()) => {
                stats.removed += 1;
                remove_empty_parents(out_dir, &path);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    let record: String = outputs.keys().map(|k| format!("{k}\n")).collect();
    std::fs::write(out_dir.join(RECORD_FILE), record)?;
    Ok(stats)
}

/// Writes one output unless the file already holds the same bytes; true when written.
fn write_one(output: &Output, out_dir: &Path) -> io::Result<bool> {
    let path = safe_join(out_dir, &output.key).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("unsafe key {:?}", output.key),
        )
    })?;
    if let Ok(meta) = std::fs::metadata(&path)
        && meta.len() == output.body.len()
        && crate::outputs::hash_file(&path).ok().as_deref() == Some(output.hash.as_str())
    {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    match &output.body {
        Body::Bytes(bytes) => std::fs::write(&path, bytes)?,
        Body::File { path: src, .. } => {
            std::fs::copy(src, &path)?;
        }
    }
    Ok(true)
}

/// `out_dir/key`, or `None` if the key could escape the folder.
fn safe_join(out_dir: &Path, key: &str) -> Option<PathBuf> {
    let ok = !key.is_empty()
        && !key.starts_with('/')
        && key
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
        && !key.contains('\\');
    ok.then(|| out_dir.join(key))
}

fn read_record(out_dir: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(out_dir.join(RECORD_FILE))
        .map(|text| text.lines().map(String::from).collect())
        .unwrap_or_default()
}

fn remove_empty_parents(out_dir: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == out_dir || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::OutputKind;

    fn outputs(items: &[(&str, &str)]) -> Outputs {
        items
            .iter()
            .map(|(k, v)| Output::from_bytes(*k, v.as_bytes().to_vec(), OutputKind::Page))
            .collect()
    }

    #[test]
    fn writes_only_changes_and_removes_only_its_own_stale_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        std::fs::write(out.join("user-file.txt"), "mine").unwrap();
        let first = write_outputs(
            &outputs(&[("a/index.html", "A"), ("b/index.html", "B")]),
            out,
        )
        .unwrap();
        assert_eq!(
            first,
            WriteStats {
                written: 2,
                unchanged: 0,
                removed: 0
            }
        );
        let second = write_outputs(&outputs(&[("a/index.html", "A2")]), out).unwrap();
        assert_eq!(
            second,
            WriteStats {
                written: 1,
                unchanged: 0,
                removed: 1
            }
        );
        assert!(
            !out.join("b").exists(),
            "empty folder of a stale page removed"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("a/index.html")).unwrap(),
            "A2"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("user-file.txt")).unwrap(),
            "mine"
        );
        let third = write_outputs(&outputs(&[("a/index.html", "A2")]), out).unwrap();
        assert_eq!(
            third,
            WriteStats {
                written: 0,
                unchanged: 1,
                removed: 0
            }
        );
    }

    #[test]
    fn unsafe_keys_are_refused() {
        assert!(safe_join(Path::new("/o"), "../x").is_none());
        assert!(safe_join(Path::new("/o"), "/abs").is_none());
        assert!(safe_join(Path::new("/o"), "a//b").is_none());
        assert!(safe_join(Path::new("/o"), "a/b.html").is_some());
    }
}

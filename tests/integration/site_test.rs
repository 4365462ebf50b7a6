//! `SiteTest`: a site in a temporary folder, written file by file, run through the binary, and
//! checked in one chain (mdBook's `BookTest` habit):
//!
//! ```ignore
//! SiteTest::new()
//!     .post("hello", "title: Hello\ndate: 2024-01-01", "Hi.")
//!     .run(&["build"])
//!     .succeeds()
//!     .wrote("posts/hello/index.html", "<h1>Hello</h1>");
//! ```

use std::path::{Path, PathBuf};
use std::process::Output;

use tempfile::TempDir;

use crate::support;

/// A temporary site. It starts with a minimal `site.toml` (or the example site's files).
pub struct SiteTest {
    dir: TempDir,
}

impl SiteTest {
    /// An empty site with a minimal `site.toml`.
    pub fn new() -> Self {
        Self {
            dir: support::site(&[]),
        }
    }

    /// A copy of the bundled `example-site/`.
    pub fn example() -> Self {
        Self {
            dir: support::example_site(),
        }
    }

    /// A folder with no site in it at all.
    pub fn empty() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// Writes `text` to `rel` inside the site (replacing what was there).
    pub fn file(self, rel: &str, text: &str) -> Self {
        support::write(self.dir.path(), rel, text);
        self
    }

    /// Writes `content/posts/<name>.md` with YAML front matter `front` and Markdown `body`.
    pub fn post(self, name: &str, front: &str, body: &str) -> Self {
        let text = format!("---\n{front}\n---\n{body}\n");
        self.file(&format!("content/posts/{name}.md"), &text)
    }

    /// Adds `lines` to the end of `site.toml`.
    pub fn config(self, lines: &str) -> Self {
        let path = self.dir.path().join("site.toml");
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        text.push_str(lines);
        text.push('\n');
        std::fs::write(path, text).expect("write site.toml");
        self
    }

    /// The site's folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `bucketpress <args> --site <this site>`.
    pub fn run(&self, args: &[&str]) -> Run {
        let site = self.dir.path().to_str().expect("utf-8 temp path");
        let mut all = args.to_vec();
        all.extend(["--site", site]);
        Run {
            args: all.iter().map(|a| a.to_string()).collect(),
            output: support::bin(&all),
            out_dir: self.dir.path().join("public"),
        }
    }
}

/// What one run of the binary did, with assertions that return it for chaining.
pub struct Run {
    args: Vec<String>,
    output: Output,
    out_dir: PathBuf,
}

impl Run {
    /// What the run printed on standard error.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// What the run printed on standard output.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    /// Asserts exit code 0.
    #[track_caller]
    pub fn succeeds(self) -> Self {
        self.exits_with(0)
    }

    /// Asserts the exit code.
    #[track_caller]
    pub fn exits_with(self, code: i32) -> Self {
        assert_eq!(
            self.output.status.code(),
            Some(code),
            "bucketpress {}\nstdout:\n{}\nstderr:\n{}",
            self.args.join(" "),
            self.stdout(),
            self.stderr()
        );
        self
    }

    /// Asserts that standard error contains `needle`.
    #[track_caller]
    pub fn says(self, needle: &str) -> Self {
        let stderr = self.stderr();
        assert!(stderr.contains(needle), "{needle:?} not in:\n{stderr}");
        self
    }

    /// Asserts that standard error does not contain `needle`.
    #[track_caller]
    pub fn never_says(self, needle: &str) -> Self {
        let stderr = self.stderr();
        assert!(!stderr.contains(needle), "{needle:?} in:\n{stderr}");
        self
    }

    /// Reads the output folder from `dir` instead of the site's `public/`.
    pub fn out_dir(mut self, dir: &Path) -> Self {
        self.out_dir = dir.to_path_buf();
        self
    }

    /// Asserts that the output folder has `key` and that it contains `needle`.
    #[track_caller]
    pub fn wrote(self, key: &str, needle: &str) -> Self {
        let path = self.out_dir.join(key);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{} not written: {e}", path.display()));
        assert!(text.contains(needle), "{needle:?} not in {key}:\n{text}");
        self
    }

    /// Asserts that the output folder has no `key` (or that there is no output folder).
    #[track_caller]
    pub fn did_not_write(self, key: &str) -> Self {
        let path = self.out_dir.join(key);
        assert!(!path.exists(), "{} was written", path.display());
        self
    }

    /// Asserts that there is no output folder at all.
    #[track_caller]
    pub fn wrote_nothing(self) -> Self {
        assert!(!self.out_dir.exists(), "{} exists", self.out_dir.display());
        self
    }
}

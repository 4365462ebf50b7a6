//! Which git commit a deploy's sources come from, when the site folder is in a repository.

use std::path::Path;
use std::process::{Command, Stdio};

/// The commit (full hash) and its subject line of the repository holding `site`; `None` when
/// it is not one, or git is not installed.
pub(crate) fn git_head(site: &Path) -> Option<(String, String)> {
    let out = Command::new("git")
        .arg("-C")
        .arg(site)
        .args(["log", "-1", "--format=%H%n%s"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    parse_log(&String::from_utf8_lossy(&out.stdout))
}

/// `<hash>\n<subject>` → both (pure).
fn parse_log(text: &str) -> Option<(String, String)> {
    let mut lines = text.lines();
    let hash = lines.next()?.trim();
    if hash.len() < 40 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let subject = lines.next().unwrap_or_default().trim().to_string();
    Some((hash.to_string(), subject))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_parse() {
        let h = "a".repeat(40);
        assert_eq!(
            parse_log(&format!("{h}\nFix the feed\n")),
            Some((h.clone(), "Fix the feed".into()))
        );
        assert_eq!(parse_log(""), None);
        assert_eq!(parse_log("fatal: not a git repository\n"), None);
    }
}

//! The lines `publish` and `rollback` print, as pure functions: one stable line per step,
//! the closing summary, CloudFront's line.

use crate::publish::TargetSpec;
use crate::publish::apply::Summary;
use crate::publish::cloudfront::{Invalidation, InvalidationStatus};
use crate::publish::plan::{Plan, Reason, Step};

/// The line saying what CloudFront did: "invalidated" only when CloudFront accepted the
/// request (a failure is a warning of its own), "would invalidate" on a dry run.
pub fn invalidation_line(inv: &Invalidation) -> Option<String> {
    let verb = match inv.status {
        InvalidationStatus::Created => "invalidated",
        InvalidationStatus::Planned => "would invalidate",
        InvalidationStatus::NotNeeded | InvalidationStatus::Failed => return None,
    };
    let (id, paths) = (&inv.distribution_id, inv.paths.join(" "));
    Some(format!("CloudFront {id}: {verb} {paths}"))
}

/// One stable line per step, in plain words: `upload posts/a/index.html (changed, 5120 bytes)`,
/// `upload style.css (headers changed: Cache-Control, 811 bytes)`. `--json` gives the same plan
/// with machine names (`content_changed`).
pub fn step_line(step: &Step) -> String {
    let verb = match step.action {
        crate::publish::plan::Action::Upload => "upload",
        crate::publish::plan::Action::Delete => "delete",
    };
    let reason = match &step.reason {
        Reason::New => "new".to_string(),
        Reason::ContentChanged => "changed".to_string(),
        Reason::HeadersChanged(h) => {
            let names: Vec<&str> = h.iter().map(header_name).collect();
            format!("headers changed: {}", names.join(", "))
        }
        Reason::Forced => "forced".to_string(),
        Reason::Removed => "no longer in the site".to_string(),
        Reason::Interrupted => "left by an interrupted publish".to_string(),
    };
    format!("{verb} {} ({reason}, {} bytes)", step.key, step.size)
}

/// The HTTP name of a stored header (the redirect is S3's website redirect).
fn header_name(header: &crate::publish::plan::Header) -> &'static str {
    use crate::publish::plan::Header;
    match header {
        Header::ContentType => "Content-Type",
        Header::ContentEncoding => "Content-Encoding",
        Header::CacheControl => "Cache-Control",
        Header::Redirect => "x-amz-website-redirect-location",
    }
}

/// The closing line of a publish.
pub fn summary_line(spec: &TargetSpec, dry_run: bool, plan: &Plan, s: &Summary) -> String {
    if dry_run {
        return format!(
            "dry run: would upload {} ({}), delete {}, {} unchanged; nothing was written ({})",
            count(plan.uploads().count(), "file"),
            human_bytes(plan.upload_bytes()),
            plan.deletes().count(),
            plan.unchanged,
            count(s.requests as usize, "request"),
        );
    }
    let aborted = match s.aborted_uploads {
        0 => String::new(),
        n => format!(
            "; aborted {} left by an interrupted publish",
            count(n, "unfinished multipart upload")
        ),
    };
    if plan.is_empty() && (!s.manifest_written || s.record_only) {
        return format!(
            "nothing to do: {} unchanged at {spec} ({}){aborted}",
            count(s.unchanged, "file"),
            count(s.requests as usize, "request"),
        );
    }
    let finishing = match plan.interrupted_deletes() {
        0 => String::new(),
        n => format!(
            " (finishing {} left by an interrupted publish)",
            count(n, "delete")
        ),
    };
    format!(
        "published to {spec}: uploaded {} ({}), deleted {}{finishing}, {} unchanged in {:.2} s, \
         {}{aborted}",
        count(s.uploaded, "file"),
        human_bytes(s.uploaded_bytes),
        s.deleted,
        s.unchanged,
        s.seconds,
        count(s.requests as usize, "request"),
    )
}

/// The closing line of a publish that failed part way: what it did before stopping.
pub fn failed_line(spec: &TargetSpec, s: &Summary) -> String {
    format!(
        "publish to {spec} stopped: uploaded {} ({}), deleted {}, {} failed in {:.2} s, {}",
        count(s.uploaded, "file"),
        human_bytes(s.uploaded_bytes),
        s.deleted,
        s.failed.len(),
        s.seconds,
        count(s.requests as usize, "request"),
    )
}

/// `1 file`, `2 files`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A size for people: `512 B`, `1.5 KiB`, `5.0 MiB`.
pub(crate) fn human_bytes(n: u64) -> String {
    bytesize::ByteSize(n).display().iec().to_string()
}

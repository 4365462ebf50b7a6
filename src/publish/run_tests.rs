//! Unit tests of a publish's outcomes, JSON and plain lines (the arguments are the binary's:
//! `src/cmd/publish.rs`).

use super::*;
use crate::outputs::{Output, OutputKind, Outputs};
use crate::publish::lines::{failed_line, human_bytes, step_line, summary_line};
use crate::publish::manifest::Manifest;
use crate::publish::plan::{PlanOptions, plan};
use crate::publish::target::TargetError;

fn report_for(outputs: &[(&str, &str)], old: &Manifest) -> Report {
    let outputs: Outputs = outputs
        .iter()
        .map(|(k, b)| Output::from_bytes(*k, b.as_bytes().to_vec(), OutputKind::Page))
        .collect();
    let plan = plan(&outputs, old, &PlanOptions::default()).unwrap();
    Report {
        summary: Summary {
            unchanged: plan.unchanged,
            requests: 1,
            ..Summary::default()
        },
        plan,
        highlight_cache: None,
    }
}

#[test]
fn outcomes_and_json() {
    let spec = TargetSpec::parse("s3://b/p").unwrap();
    let outputs = [("a/index.html", "a")];
    let same = Manifest::from_outputs(
        &outputs
            .iter()
            .map(|(k, b)| Output::from_bytes(*k, b.as_bytes().to_vec(), OutputKind::Page))
            .collect(),
    );
    let noop = Ok(report_for(&outputs, &same));
    let o = Outcome::of(false, &noop);
    assert_eq!((o.code, o.status), (0, PublishStatus::NothingToDo));
    let v = o.to_json(Some(&spec), false);
    assert_eq!(v["status"], "nothing_to_do");
    assert_eq!(v["version"], 1);
    assert_eq!(v["target"], "s3://b/p/");
    assert_eq!(v["plan"]["actions"], serde_json::json!([]));
    assert_eq!(v["summary"]["requests"], 1);
    assert!(v["error"].is_null());

    let first = Ok(report_for(&outputs, &Manifest::new()));
    assert_eq!(Outcome::of(false, &first).status, PublishStatus::Published);
    assert_eq!(Outcome::of(true, &first).status, PublishStatus::Planned);
    let json = |dry_run| Outcome::of(dry_run, &first).to_json(None, dry_run)["status"].clone();
    assert_eq!(
        (json(false), json(true)),
        ("published".into(), "planned".into())
    );

    let conflict: Result<Report, PublishError> = Err(TargetError::Conflict.into());
    let o = Outcome::of(false, &conflict);
    assert_eq!((o.code, o.status), (4, PublishStatus::Conflict));
    let v = o.to_json(Some(&spec), false);
    assert_eq!(v["status"], "conflict");
    assert!(v["plan"].is_null());
    assert!(v["error"].as_str().unwrap().contains("run publish again"));

    let denied: Result<Report, PublishError> =
        Err(TargetError::AccessDenied("PutObject s3://b/k".into()).into());
    assert_eq!(Outcome::of(false, &denied).code, 3);
    let early = Outcome::failed(1, "the site has 2 error(s)".into(), None, None);
    assert_eq!(early.to_json(None, false)["status"], "failed");
}

#[test]
fn plain_lines_are_stable() {
    let r = report_for(&[("a/index.html", "abc")], &Manifest::new());
    assert_eq!(
        step_line(&r.plan.actions[0]),
        "upload a/index.html (new, 3 bytes)"
    );
    use crate::publish::plan::{Action, Header, Reason, Step};
    let step = |reason| Step {
        key: "style.css".into(),
        action: Action::Upload,
        reason,
        size: 811,
        kind: None,
    };
    let headers = Reason::HeadersChanged(vec![Header::CacheControl, Header::ContentType]);
    assert_eq!(
        step_line(&step(headers)),
        "upload style.css (headers changed: Cache-Control, Content-Type, 811 bytes)"
    );
    assert_eq!(
        step_line(&step(Reason::ContentChanged)),
        "upload style.css (changed, 811 bytes)"
    );
    let spec = TargetSpec::parse("s3://b").unwrap();
    assert_eq!(
        summary_line(&spec, true, &r.plan, &r.summary),
        "dry run: would upload 1 file (3 B), delete 0, 0 unchanged; nothing was written (1 request)"
    );
    let mut stopped = r.summary.clone();
    stopped.uploaded = 2;
    stopped.uploaded_bytes = 2048;
    stopped.failed.push(crate::publish::apply::Failure {
        key: "k".into(),
        error: "e".into(),
    });
    assert_eq!(
        failed_line(&spec, &stopped),
        "publish to s3://b/ stopped: uploaded 2 files (2.0 KiB), deleted 0, 1 failed in 0.00 s, \
         1 request"
    );
    assert_eq!(human_bytes(1536), "1.5 KiB");
    assert_eq!(human_bytes(5 << 20), "5.0 MiB");
}

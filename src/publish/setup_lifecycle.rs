//! The lifecycle step of `setup-bucket`: a rule aborting multipart uploads left unfinished
//! under the site prefix for a day, merged into the bucket's existing rules (read first; the
//! user's rules are always kept, and nothing is written when ours is already there).

use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::BucketLifecycleConfiguration;

use super::bucket_rules::{ABORT_AFTER_DAYS, HISTORY_DAYS, merge_lifecycle};
use super::s3::S3Target;
use super::setup::{Setup, State, Step, fail, unsupported};
use super::target::TargetError;

/// Reads the bucket's lifecycle rules and adds ours when missing (`fresh`: the bucket does not
/// exist yet, in a dry run).
pub(super) async fn lifecycle_step(
    client: &Client,
    classifier: &S3Target,
    s: &Setup,
    fresh: bool,
) -> Result<Step, TargetError> {
    let b = &s.bucket;
    let existing = if fresh {
        Some(Vec::new())
    } else {
        match client
            .get_bucket_lifecycle_configuration()
            .bucket(b)
            .send()
            .await
        {
            Ok(out) => Some(out.rules().to_vec()),
            Err(e) if e.code() == Some("NoSuchLifecycleConfiguration") => Some(Vec::new()),
            Err(e) if unsupported(&e) => None,
            Err(e) => {
                let what = format!("GetBucketLifecycleConfiguration s3://{b}");
                return Err(fail(classifier, e, &what));
            }
        }
    };
    let kept = existing.as_ref().map_or(0, |rules| {
        rules
            .iter()
            .filter(|r| !super::bucket_rules::is_our_id(r.id()))
            .count()
    });
    let call = format!(
        "PutBucketLifecycleConfiguration {b} (abort multipart uploads under {}* unfinished \
         after {ABORT_AFTER_DAYS} day; expire deploy history after {HISTORY_DAYS} days; {kept} \
         other rules kept)",
        s.prefix
    );
    let merged = existing
        .as_deref()
        .map(|rules| merge_lifecycle(rules, &s.prefix));
    let state = match merged {
        None => State::Unsupported,
        Some(None) => State::AlreadySet,
        Some(Some(_)) if s.dry_run => State::WouldDo,
        Some(Some(rules)) => {
            let config = BucketLifecycleConfiguration::builder()
                .set_rules(Some(rules))
                .build()
                .map_err(|e| TargetError::Other(e.to_string()))?;
            match client
                .put_bucket_lifecycle_configuration()
                .bucket(b)
                .lifecycle_configuration(config)
                .send()
                .await
            {
                Ok(_) => State::Done,
                Err(e) if unsupported(&e) => State::Unsupported,
                Err(e) => {
                    let what = format!("PutBucketLifecycleConfiguration s3://{b}");
                    return Err(fail(classifier, e, &what));
                }
            }
        }
    };
    Ok(Step {
        subject: "lifecycle rule",
        call,
        state,
        document: None,
    })
}

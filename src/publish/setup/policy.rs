//! The public-read bucket policy step of `setup-bucket --public`: merge our statement into the
//! bucket's policy (see [`public_statements`](crate::publish::bucket_rules::public_statements)
//! for its shape), put it, then prove that the owner can still write, read and delete under
//! `.bucketpress/` (where publish keeps its manifest). A store that locks the owner out gets
//! its previous policy back and an error naming the statements to change.

use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;

use super::{Setup, State, Step, fail, unsupported};
use crate::publish::bucket_rules::{deny_sids, merge_policy, top_level_names};
use crate::publish::manifest::RESERVED_PREFIX;
use crate::publish::s3::S3Target;
use crate::publish::target::TargetError;

/// The object the probe writes, reads and deletes (under the prefix).
pub const PROBE_KEY: &str = ".bucketpress/setup-probe";

/// The bucket policy step. `fresh`: the bucket does not exist yet (dry run).
pub(super) async fn policy_step(
    client: &Client,
    classifier: &S3Target,
    s: &Setup,
    fresh: bool,
) -> Result<Step, TargetError> {
    let b = &s.bucket;
    let existing = if fresh {
        None
    } else {
        match client.get_bucket_policy().bucket(b).send().await {
            Ok(out) => out.policy().map(str::to_owned),
            Err(e) if unsupported(&e) || e.code() == Some("NoSuchBucketPolicy") => None,
            Err(e) => return Err(fail(classifier, e, &format!("GetBucketPolicy s3://{b}"))),
        }
    };
    let mut names = s.names.clone();
    if !fresh {
        names.extend(published_names(client, classifier, s).await?);
    }
    let names = top_level_names(names.iter().map(String::as_str));
    let merged =
        merge_policy(existing.as_deref(), b, &s.prefix, &names).map_err(TargetError::Other)?;
    let opened = names
        .iter()
        .filter(|n| n.trim_end_matches('/') != RESERVED_PREFIX.trim_end_matches('/'))
        .count()
        .max(1);
    let call = format!(
        "PutBucketPolicy {b} (s3:GetObject on {opened} top-level name(s) under {}, not {}{})",
        if s.prefix.is_empty() {
            "the bucket root"
        } else {
            &s.prefix
        },
        s.prefix,
        RESERVED_PREFIX
    );
    let state = match &merged {
        None => State::AlreadySet,
        Some(_) if s.dry_run => State::WouldDo,
        Some(policy) => match client
            .put_bucket_policy()
            .bucket(b)
            .policy(policy)
            .send()
            .await
        {
            Ok(_) => {
                probe_or_roll_back(client, classifier, s, policy, existing.as_deref()).await?;
                State::Done
            }
            Err(e) if unsupported(&e) => State::Unsupported,
            Err(e) => return Err(fail(classifier, e, &format!("PutBucketPolicy s3://{b}"))),
        },
    };
    Ok(Step {
        subject: "bucket policy",
        call,
        state,
        document: merged,
    })
}

/// The top-level names already published under the prefix (one ListObjectsV2 page per
/// thousand names, delimited by `/`).
async fn published_names(
    client: &Client,
    classifier: &S3Target,
    s: &Setup,
) -> Result<Vec<String>, TargetError> {
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .list_objects_v2()
            .bucket(&s.bucket)
            .prefix(&s.prefix)
            .delimiter("/")
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| fail(classifier, e, &format!("ListObjectsV2 s3://{}", s.bucket)))?;
        let relative = |k: &str| k.strip_prefix(s.prefix.as_str()).map(str::to_owned);
        names.extend(page.contents().iter().filter_map(|o| relative(o.key()?)));
        names.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|p| relative(p.prefix()?)),
        );
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => return Ok(names),
        }
    }
}

/// Writes, reads back and deletes [`PROBE_KEY`]. When the store refuses it after our policy
/// went in, the previous policy is put back (or the policy deleted, when there was none) and
/// the error says which Deny statements lock the owner out.
async fn probe_or_roll_back(
    client: &Client,
    classifier: &S3Target,
    s: &Setup,
    policy: &str,
    previous: Option<&str>,
) -> Result<(), TargetError> {
    let denied = match probe(client, classifier, s).await {
        Ok(()) => return Ok(()),
        Err(TargetError::AccessDenied(detail)) => detail,
        Err(other) => return Err(other),
    };
    let b = &s.bucket;
    let sids = deny_sids(policy);
    let statements = if sids.is_empty() {
        "its statements".to_string()
    } else {
        format!("the Deny statement(s) {}", sids.join(", "))
    };
    let restored = match previous {
        Some(text) => client
            .put_bucket_policy()
            .bucket(b)
            .policy(text)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| fail(classifier, e, &format!("PutBucketPolicy s3://{b}"))),
        None => client
            .delete_bucket_policy()
            .bucket(b)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| fail(classifier, e, &format!("DeleteBucketPolicy s3://{b}"))),
    };
    let lead = format!(
        "with the new bucket policy the owner can no longer use s3://{b}/{}{RESERVED_PREFIX}, \
         where publish keeps its manifest ({denied}); this store seems to apply {statements} \
         without their Conditions",
        s.prefix
    );
    Err(TargetError::AccessDenied(match restored {
        Ok(()) => format!(
            "{lead}. The previous policy was put back{}; remove or narrow {statements} (on \
             this store they deny you too), then run setup-bucket --public again",
            if previous.is_none() {
                " (none: the policy was deleted)"
            } else {
                ""
            }
        ),
        Err(e) => format!(
            "{lead}, and putting the previous policy back failed too ({e}). Remove {statements} \
             from the bucket policy now (or delete it: aws s3api delete-bucket-policy --bucket \
             {b}), else every publish fails with AccessDenied"
        ),
    }))
}

/// PutObject, GetObject and DeleteObject of [`PROBE_KEY`] under the prefix.
async fn probe(client: &Client, classifier: &S3Target, s: &Setup) -> Result<(), TargetError> {
    let key = format!("{}{PROBE_KEY}", s.prefix);
    let what = |op: &str| format!("{op} s3://{}/{key}", s.bucket);
    client
        .put_object()
        .bucket(&s.bucket)
        .key(&key)
        .cache_control("no-store")
        .body(ByteStream::from_static(b"bucketpress setup-bucket probe"))
        .send()
        .await
        .map_err(|e| fail(classifier, e, &what("PutObject")))?;
    let read = client
        .get_object()
        .bucket(&s.bucket)
        .key(&key)
        .send()
        .await
        .map_err(|e| fail(classifier, e, &what("GetObject")))?;
    read.body
        .collect()
        .await
        .map_err(|e| TargetError::Other(format!("{}: {e}", what("GetObject"))))?;
    client
        .delete_object()
        .bucket(&s.bucket)
        .key(&key)
        .send()
        .await
        .map_err(|e| fail(classifier, e, &what("DeleteObject")))?;
    Ok(())
}

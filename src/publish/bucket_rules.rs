//! The pure decisions of `setup-bucket`: the CreateBucket LocationConstraint, the website
//! endpoint URL, the public-read bucket policy (built and merged into an existing one), and
//! the lifecycle rule aborting unfinished multipart uploads (merged into the existing rules).

use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, ExpirationStatus, LifecycleRule, LifecycleRuleFilter,
};
use serde_json::{Value, json};

use super::manifest::RESERVED_PREFIX;

/// The index document suffix of static website hosting.
pub const INDEX_DOCUMENT: &str = "index.html";

/// The error document, relative to the site prefix.
pub const ERROR_DOCUMENT: &str = "404.html";

/// The `Sid` of the statement that makes the site readable by everyone.
pub const PUBLIC_READ_SID: &str = "BucketpressPublicRead";

/// The `Sid` of the statement that keeps `.bucketpress/` (the manifest) private.
pub const PRIVATE_STATE_SID: &str = "BucketpressPrivateState";

/// Regions whose website endpoint uses a dash (`s3-website-us-east-1`); all others use a dot
/// (`s3-website.eu-central-1`).
const DASH_REGIONS: [&str; 9] = [
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "eu-west-1",
    "sa-east-1",
    "us-gov-west-1",
];

/// The LocationConstraint to send with CreateBucket: none for `us-east-1` (AWS rejects it
/// there); on a custom endpoint only an explicitly configured region other than `us-east-1`
/// and `auto` (R2), since many S3-compatible stores reject constraints they do not know.
pub fn location_constraint(
    region: &str,
    configured: bool,
    custom_endpoint: bool,
) -> Option<String> {
    let region = region.trim();
    if region.is_empty() || region == "us-east-1" || region == "auto" {
        return None;
    }
    if custom_endpoint && !configured {
        return None;
    }
    Some(region.to_string())
}

/// The S3 website endpoint URL of the site: `http://<bucket>.s3-website-<region>.amazonaws.com/`
/// or the dot form, by region, plus the prefix; `None` on a custom endpoint (S3-compatible
/// stores serve websites their own way, if at all).
pub fn website_url(
    bucket: &str,
    region: &str,
    prefix: &str,
    custom_endpoint: bool,
) -> Option<String> {
    if custom_endpoint || region.is_empty() {
        return None;
    }
    let sep = if DASH_REGIONS.contains(&region) {
        '-'
    } else {
        '.'
    };
    let domain = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    Some(format!(
        "http://{bucket}.s3-website{sep}{region}.{domain}/{prefix}"
    ))
}

/// The two statements `--public` adds: everyone may `s3:GetObject` under the site prefix, and
/// anonymous callers (requests without an account, which is every website visitor) are denied
/// `<prefix>.bucketpress/*`, where the manifest lives. Signed requests of the owner's
/// credentials carry `aws:PrincipalAccount`, so publishing is unaffected.
pub fn public_statements(bucket: &str, prefix: &str) -> Vec<Value> {
    vec![
        json!({
            "Sid": PUBLIC_READ_SID,
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{bucket}/{prefix}*"),
        }),
        json!({
            "Sid": PRIVATE_STATE_SID,
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{bucket}/{prefix}{RESERVED_PREFIX}*"),
            "Condition": {"Null": {"aws:PrincipalAccount": "true"}},
        }),
    ]
}

/// The policy to put so that it holds [`public_statements`]: `Ok(None)` when `existing`
/// already holds them unchanged, else the merged document (other statements are kept; ours
/// are replaced by `Sid`). An unreadable existing policy is an error, never overwritten.
pub fn merge_policy(
    existing: Option<&str>,
    bucket: &str,
    prefix: &str,
) -> Result<Option<String>, String> {
    let ours = public_statements(bucket, prefix);
    let mut doc = match existing {
        None => json!({"Version": "2012-10-17", "Statement": []}),
        Some(text) => serde_json::from_str::<Value>(text).map_err(|e| {
            format!("the bucket policy is not valid JSON ({e}); fix or delete it first")
        })?,
    };
    let statements = match doc.get_mut("Statement") {
        Some(Value::Array(list)) => list,
        Some(single @ Value::Object(_)) => {
            let one = single.take();
            *single = Value::Array(vec![one]);
            single.as_array_mut().expect("just made an array")
        }
        _ => return Err("the bucket policy has no Statement list; fix or delete it first".into()),
    };
    let sid = |s: &Value| s.get("Sid").and_then(Value::as_str).map(str::to_owned);
    let ours_present = ours.iter().all(|o| statements.iter().any(|s| s == o));
    if ours_present {
        return Ok(None);
    }
    let our_sids: Vec<Option<String>> = ours.iter().map(sid).collect();
    statements.retain(|s| !our_sids.contains(&sid(s)));
    statements.extend(ours);
    Ok(Some(
        serde_json::to_string_pretty(&doc).expect("JSON values serialise"),
    ))
}

/// The `ID` of the lifecycle rule `setup-bucket` adds.
pub const ABORT_RULE_ID: &str = "bucketpress-abort-incomplete-multipart";

/// Days after which an unfinished multipart upload under the site prefix is aborted.
pub const ABORT_AFTER_DAYS: i32 = 1;

/// The lifecycle rule aborting multipart uploads under `prefix` left unfinished for
/// [`ABORT_AFTER_DAYS`] (a publish killed during a big upload leaves one, stored and billed).
pub fn abort_rule(prefix: &str) -> LifecycleRule {
    LifecycleRule::builder()
        .id(ABORT_RULE_ID)
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix(prefix).build())
        .abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(ABORT_AFTER_DAYS)
                .build(),
        )
        .build()
        .expect("the rule has its status")
}

/// True when `rule` is our rule for `prefix` (a store may echo an empty prefix as none).
fn is_our_rule(rule: &LifecycleRule, prefix: &str) -> bool {
    rule.id() == Some(ABORT_RULE_ID)
        && rule.status() == &ExpirationStatus::Enabled
        && rule
            .filter()
            .and_then(LifecycleRuleFilter::prefix)
            .unwrap_or("")
            == prefix
        && rule
            .abort_incomplete_multipart_upload()
            .and_then(AbortIncompleteMultipartUpload::days_after_initiation)
            == Some(ABORT_AFTER_DAYS)
        && rule.expiration().is_none()
        && rule.transitions().is_empty()
}

/// The rules to put so that the bucket holds [`abort_rule`]: `None` when `existing` already
/// does, else every existing rule (the user's are kept as they are; a rule of ours with
/// another prefix or settings is replaced by `ID`) plus ours. PutBucketLifecycleConfiguration
/// replaces the whole list, so nothing may be dropped here.
pub fn merge_lifecycle(existing: &[LifecycleRule], prefix: &str) -> Option<Vec<LifecycleRule>> {
    if existing.iter().any(|r| is_our_rule(r, prefix)) {
        return None;
    }
    let mut rules: Vec<LifecycleRule> = existing
        .iter()
        .filter(|r| r.id() != Some(ABORT_RULE_ID))
        .cloned()
        .collect();
    rules.push(abort_rule(prefix));
    Some(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_constraints_follow_the_region() {
        assert_eq!(location_constraint("us-east-1", true, false), None);
        assert_eq!(location_constraint("", false, false), None);
        assert_eq!(
            location_constraint("eu-west-1", false, false).as_deref(),
            Some("eu-west-1")
        );
        // Custom endpoints: only a region the user configured, never R2's `auto`.
        assert_eq!(location_constraint("eu-west-1", false, true), None);
        assert_eq!(
            location_constraint("garage", true, true).as_deref(),
            Some("garage")
        );
        assert_eq!(location_constraint("auto", true, true), None);
    }

    #[test]
    fn website_urls_use_the_regions_form() {
        assert_eq!(
            website_url("b", "us-east-1", "", false).unwrap(),
            "http://b.s3-website-us-east-1.amazonaws.com/"
        );
        assert_eq!(
            website_url("b", "eu-west-1", "blog/", false).unwrap(),
            "http://b.s3-website-eu-west-1.amazonaws.com/blog/"
        );
        assert_eq!(
            website_url("b", "eu-central-1", "", false).unwrap(),
            "http://b.s3-website.eu-central-1.amazonaws.com/"
        );
        assert_eq!(
            website_url("b", "cn-north-1", "", false).unwrap(),
            "http://b.s3-website.cn-north-1.amazonaws.com.cn/"
        );
        assert_eq!(website_url("b", "us-east-1", "", true), None);
    }

    #[test]
    fn the_policy_opens_the_prefix_and_keeps_the_manifest_private() {
        let text = merge_policy(None, "b", "blog/").unwrap().unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        let st = doc["Statement"].as_array().unwrap();
        assert_eq!(st.len(), 2);
        assert_eq!(st[0]["Effect"], "Allow");
        assert_eq!(st[0]["Action"], "s3:GetObject");
        assert_eq!(st[0]["Resource"], "arn:aws:s3:::b/blog/*");
        assert_eq!(st[1]["Effect"], "Deny");
        assert_eq!(st[1]["Resource"], "arn:aws:s3:::b/blog/.bucketpress/*");
        // Nothing broader than GetObject is ever granted.
        assert!(!text.contains("s3:*") && !text.contains("PutObject"));
        // Root prefix.
        let text = merge_policy(None, "b", "").unwrap().unwrap();
        assert!(
            text.contains("arn:aws:s3:::b/*") && text.contains("arn:aws:s3:::b/.bucketpress/*")
        );
    }

    #[test]
    fn merging_is_idempotent_and_keeps_other_statements() {
        let first = merge_policy(None, "b", "").unwrap().unwrap();
        assert_eq!(merge_policy(Some(&first), "b", ""), Ok(None));
        let other = r#"{"Version":"2012-10-17","Statement":{"Sid":"Other","Effect":"Allow",
            "Principal":{"AWS":"arn:aws:iam::1:root"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}}"#;
        let merged = merge_policy(Some(other), "b", "").unwrap().unwrap();
        let doc: Value = serde_json::from_str(&merged).unwrap();
        let sids: Vec<&str> = doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["Sid"].as_str().unwrap())
            .collect();
        assert_eq!(sids, ["Other", PUBLIC_READ_SID, PRIVATE_STATE_SID]);
        assert_eq!(merge_policy(Some(&merged), "b", ""), Ok(None));
        // A prefix change replaces our statements instead of adding more.
        let moved = merge_policy(Some(&merged), "b", "blog/").unwrap().unwrap();
        let doc: Value = serde_json::from_str(&moved).unwrap();
        assert_eq!(doc["Statement"].as_array().unwrap().len(), 3);
        assert!(moved.contains("arn:aws:s3:::b/blog/*") && !moved.contains("\"arn:aws:s3:::b/*\""));
    }

    #[test]
    fn the_lifecycle_rule_is_added_once_and_the_users_rules_are_kept() {
        let theirs = LifecycleRule::builder()
            .id("expire-logs")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("logs/").build())
            .expiration(
                aws_sdk_s3::types::LifecycleExpiration::builder()
                    .days(30)
                    .build(),
            )
            .build()
            .unwrap();
        let merged = merge_lifecycle(std::slice::from_ref(&theirs), "blog/").unwrap();
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0], theirs);
        assert_eq!(merged[1], abort_rule("blog/"));
        assert_eq!(merge_lifecycle(&merged, "blog/"), None);
        // A prefix change replaces our rule, never theirs.
        let moved = merge_lifecycle(&merged, "").unwrap();
        assert_eq!(moved, vec![theirs, abort_rule("")]);
        assert_eq!(merge_lifecycle(&[], ""), Some(vec![abort_rule("")]));
    }

    #[test]
    fn an_unreadable_policy_is_never_overwritten() {
        assert!(merge_policy(Some("not json"), "b", "").is_err());
        assert!(merge_policy(Some("{\"Version\":\"2012-10-17\"}"), "b", "").is_err());
    }
}

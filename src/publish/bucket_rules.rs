//! The pure decisions of `setup-bucket`: the CreateBucket LocationConstraint, the website
//! endpoint URL, the public-read bucket policy (built and merged into an existing one), and
//! the lifecycle rule aborting unfinished multipart uploads (merged into the existing rules).

use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, ExpirationStatus, LifecycleRule, LifecycleRuleFilter,
};
use serde_json::{Value, json};

use super::manifest::RESERVED_PREFIX;

/// The index document suffix of static website hosting.
pub(crate) const INDEX_DOCUMENT: &str = "index.html";

/// The error document, relative to the site prefix.
pub(crate) const ERROR_DOCUMENT: &str = "404.html";

/// The `Sid` of the statement that makes the site readable by everyone.
pub(crate) const PUBLIC_READ_SID: &str = "BucketpressPublicRead";

/// The `Sid` of the Deny statement earlier versions added to keep `.bucketpress/` private
/// (removed when the policy is next merged: see [`public_statements`]).
pub(crate) const PRIVATE_STATE_SID: &str = "BucketpressPrivateState";

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

/// The statement `--public` adds: everyone may `s3:GetObject` the site's top-level files and
/// folders under the prefix (`names`: `index.html`, `posts/`, ...), listed one by one so that
/// `<prefix>.bucketpress/` (the manifest) is simply not among them.
///
/// Why a list and not `<prefix>*` with a Deny on `.bucketpress/`: that Deny had to spare the
/// owner through a Condition (`aws:PrincipalAccount`), and a store whose policy engine ignores
/// Conditions then denies the owner too, so the next publish fails. `NotResource` would not
/// need a Condition, but with a prefix it opens the rest of the bucket, and not every
/// S3-compatible policy engine reads it. A plain Allow on listed resources (MinIO's own
/// "download" policy has this shape) is what every store with bucket policies honours (AWS,
/// MinIO; R2 and Garage have none and answer NotImplemented), and it can never lock anyone
/// out. The cost: a new top-level folder needs `setup-bucket --public` again (publish says
/// so when one appears).
pub fn public_statements(bucket: &str, prefix: &str, names: &[String]) -> Vec<Value> {
    let mut resources: Vec<String> = names
        .iter()
        .filter_map(|name| policy_resource(bucket, prefix, name))
        .collect();
    if resources.is_empty() {
        // Nothing published yet: the home page at least.
        resources.push(format!("arn:aws:s3:::{bucket}/{prefix}{INDEX_DOCUMENT}"));
    }
    resources.sort();
    resources.dedup();
    vec![json!({
        "Sid": PUBLIC_READ_SID,
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": resources,
    })]
}

/// The policy resource of one top-level name under the prefix: `posts/` →
/// `arn:aws:s3:::b/<prefix>posts/*`, `index.html` → `arn:aws:s3:::b/<prefix>index.html`.
/// `None` for the private `.bucketpress/` and for names a policy cannot spell (`*`, `?` are
/// wildcards there, and a name could not be escaped).
fn policy_resource(bucket: &str, prefix: &str, name: &str) -> Option<String> {
    let reserved = RESERVED_PREFIX.trim_end_matches('/');
    let bare = name.trim_end_matches('/');
    if bare.is_empty() || bare == reserved || bare.contains(['*', '?', '/']) {
        return None;
    }
    Some(if name.ends_with('/') {
        format!("arn:aws:s3:::{bucket}/{prefix}{bare}/*")
    } else {
        format!("arn:aws:s3:::{bucket}/{prefix}{bare}")
    })
}

/// The top-level names of `keys` (relative to the prefix): `posts/a/index.html` → `posts/`,
/// `index.html` → `index.html`. Sorted, without duplicates.
pub fn top_level_names<'a>(keys: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut names: Vec<String> = keys
        .into_iter()
        .map(|k| match k.split_once('/') {
            Some((dir, _)) => format!("{dir}/"),
            None => k.to_string(),
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The top-level names a plan brings that the bucket did not have (`talks/` for a first
/// `talks/a/index.html`): a public policy written by `setup-bucket --public` lists the names
/// it opens, so these need it run again. Empty for a first publish (nothing to compare with)
/// and for a plan that only changes existing names.
pub fn new_top_level_names(plan: &super::plan::Plan) -> Vec<String> {
    use super::plan::Reason;
    let new: std::collections::BTreeSet<&str> = plan
        .uploads()
        .filter(|s| s.reason == Reason::New)
        .map(|s| s.key.as_str())
        .collect();
    let old = top_level_names(
        plan.manifest
            .entries
            .keys()
            .map(String::as_str)
            .filter(|k| !new.contains(k)),
    );
    if old.is_empty() {
        return Vec::new();
    }
    top_level_names(new.iter().copied())
        .into_iter()
        .filter(|n| !old.contains(n))
        .collect()
}

/// The `Sid`s of the Deny statements of a policy document (to say which to change when the
/// owner is locked out).
pub(crate) fn deny_sids(policy: &str) -> Vec<String> {
    let Ok(doc) = serde_json::from_str::<Value>(policy) else {
        return Vec::new();
    };
    let statements = match &doc["Statement"] {
        Value::Array(list) => list.clone(),
        one @ Value::Object(_) => vec![one.clone()],
        _ => Vec::new(),
    };
    statements
        .iter()
        .filter(|s| s["Effect"] == "Deny")
        .map(|s| s["Sid"].as_str().unwrap_or("(no Sid)").to_string())
        .collect()
}

/// The policy to put so that it holds [`public_statements`]: `Ok(None)` when `existing`
/// already holds them unchanged, else the merged document (other statements are kept; ours,
/// and the Deny of earlier versions, are replaced by `Sid`). An unreadable existing policy is
/// an error, never overwritten.
pub(crate) fn merge_policy(
    existing: Option<&str>,
    bucket: &str,
    prefix: &str,
    names: &[String],
) -> Result<Option<String>, String> {
    let ours = public_statements(bucket, prefix, names);
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
    let legacy = Some(PRIVATE_STATE_SID.to_string());
    let ours_present = ours.iter().all(|o| statements.iter().any(|s| s == o))
        && !statements.iter().any(|s| sid(s) == legacy);
    if ours_present {
        return Ok(None);
    }
    let mut our_sids: Vec<Option<String>> = ours.iter().map(sid).collect();
    our_sids.push(legacy);
    statements.retain(|s| !our_sids.contains(&sid(s)));
    statements.extend(ours);
    Ok(Some(
        serde_json::to_string_pretty(&doc).expect("JSON values serialise"),
    ))
}

/// The `ID` of the lifecycle rule `setup-bucket` adds.
pub const ABORT_RULE_ID: &str = "bucketpress-abort-incomplete-multipart";

/// Days after which an unfinished multipart upload under the site prefix is aborted.
pub(crate) const ABORT_AFTER_DAYS: i32 = 1;

/// The lifecycle rule aborting multipart uploads under `prefix` left unfinished for
/// [`ABORT_AFTER_DAYS`] (a publish killed during a big upload leaves one, stored and billed).
pub(crate) fn abort_rule(prefix: &str) -> LifecycleRule {
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

/// The id of the rule expiring deploy history (kept objects, then records) after
/// [`HISTORY_DAYS`].
pub(crate) const HISTORY_RULE_IDS: [&str; 2] = [
    "bucketpress-expire-deploy-history",
    "bucketpress-expire-deploy-records",
];

/// Days after which deploy history expires (`rollback` reaches no further back).
pub(crate) const HISTORY_DAYS: i32 = 90;

/// True for the ids of the rules bucketpress manages.
pub(crate) fn is_our_id(id: Option<&str>) -> bool {
    id == Some(ABORT_RULE_ID) || HISTORY_RULE_IDS.iter().any(|i| id == Some(*i))
}

/// The rules expiring the deploy history under `prefix` ([`crate::publish::deploys`]) after
/// [`HISTORY_DAYS`]: the objects deploys kept, and their records.
pub(crate) fn history_rules(prefix: &str) -> Vec<LifecycleRule> {
    use crate::publish::deploys::{DEPLOYS_PREFIX, HISTORY_PREFIX};
    [HISTORY_PREFIX, DEPLOYS_PREFIX]
        .iter()
        .zip(HISTORY_RULE_IDS)
        .map(|(sub, id)| {
            LifecycleRule::builder()
                .id(id)
                .status(ExpirationStatus::Enabled)
                .filter(
                    LifecycleRuleFilter::builder()
                        .prefix(format!("{prefix}{sub}"))
                        .build(),
                )
                .expiration(
                    aws_sdk_s3::types::LifecycleExpiration::builder()
                        .days(HISTORY_DAYS)
                        .build(),
                )
                .build()
                .expect("the rule has its status")
        })
        .collect()
}

/// Every rule bucketpress keeps on the bucket for the site under `prefix`.
pub fn our_rules(prefix: &str) -> Vec<LifecycleRule> {
    let mut rules = vec![abort_rule(prefix)];
    rules.extend(history_rules(prefix));
    rules
}

/// True when `rule` is `want` (one of the history rules) as a store echoes it.
fn same_expiry(rule: &LifecycleRule, want: &LifecycleRule) -> bool {
    rule.id() == want.id()
        && rule.status() == &ExpirationStatus::Enabled
        && rule.filter().and_then(LifecycleRuleFilter::prefix)
            == want.filter().and_then(LifecycleRuleFilter::prefix)
        && rule.expiration().and_then(|e| e.days()) == Some(HISTORY_DAYS)
        && rule.transitions().is_empty()
}

/// The rules to put so that the bucket holds [`our_rules`]: `None` when `existing` already
/// does, else every existing rule (the user's are kept as they are; a rule of ours with
/// another prefix or settings is replaced by `ID`) plus ours. PutBucketLifecycleConfiguration
/// replaces the whole list, so nothing may be dropped here.
pub(crate) fn merge_lifecycle(
    existing: &[LifecycleRule],
    prefix: &str,
) -> Option<Vec<LifecycleRule>> {
    let has_history = history_rules(prefix)
        .iter()
        .all(|want| existing.iter().any(|r| same_expiry(r, want)));
    if has_history && existing.iter().any(|r| is_our_rule(r, prefix)) {
        return None;
    }
    let mut rules: Vec<LifecycleRule> = existing
        .iter()
        .filter(|r| !is_our_id(r.id()))
        .cloned()
        .collect();
    rules.extend(our_rules(prefix));
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

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_policy_lists_the_sites_names_and_never_the_manifest() {
        let site = names(&[
            "index.html",
            "posts/",
            ".bucketpress/",
            ".well-known/",
            "a*b",
        ]);
        let text = merge_policy(None, "b", "blog/", &site).unwrap().unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        let st = doc["Statement"].as_array().unwrap();
        assert_eq!(st.len(), 1);
        assert_eq!(st[0]["Effect"], "Allow");
        assert_eq!(st[0]["Action"], "s3:GetObject");
        assert_eq!(
            st[0]["Resource"],
            json!([
                "arn:aws:s3:::b/blog/.well-known/*",
                "arn:aws:s3:::b/blog/index.html",
                "arn:aws:s3:::b/blog/posts/*"
            ])
        );
        // No Deny, no Condition: nothing a store could misread into locking the owner out.
        assert!(!text.contains("Deny") && !text.contains("Condition"));
        assert!(!text.contains(".bucketpress") && !text.contains("s3:::b/blog/*"));
        assert!(!text.contains("s3:*") && !text.contains("PutObject"));
        // Nothing published yet: the home page.
        let text = merge_policy(None, "b", "", &[]).unwrap().unwrap();
        assert!(text.contains("\"arn:aws:s3:::b/index.html\""), "{text}");
    }

    #[test]
    fn a_plan_names_its_new_top_level_folders() {
        use crate::outputs::{Output, OutputKind, Outputs};
        use crate::publish::plan::{PlanOptions, plan};
        let outputs = |keys: &[&str]| -> Outputs {
            keys.iter()
                .map(|k| Output::from_bytes(*k, b"x".to_vec(), OutputKind::Page))
                .collect()
        };
        let first = plan(
            &outputs(&["index.html", "posts/a/index.html"]),
            &Default::default(),
            &PlanOptions::default(),
        )
        .unwrap();
        assert!(new_top_level_names(&first).is_empty(), "a first publish");
        let grown = plan(
            &outputs(&[
                "index.html",
                "posts/a/index.html",
                "posts/b/index.html",
                "talks/x.html",
            ]),
            &first.manifest,
            &PlanOptions::default(),
        )
        .unwrap();
        assert_eq!(new_top_level_names(&grown), names(&["talks/"]));
    }

    #[test]
    fn top_level_names_of_keys() {
        assert_eq!(
            top_level_names(["posts/a/index.html", "index.html", "posts/b/x", "style.css"]),
            names(&["index.html", "posts/", "style.css"])
        );
    }

    #[test]
    fn merging_is_idempotent_and_keeps_other_statements() {
        let site = names(&["index.html", "posts/"]);
        let first = merge_policy(None, "b", "", &site).unwrap().unwrap();
        assert_eq!(merge_policy(Some(&first), "b", "", &site), Ok(None));
        let other = r#"{"Version":"2012-10-17","Statement":{"Sid":"Other","Effect":"Allow",
            "Principal":{"AWS":"arn:aws:iam::1:root"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}}"#;
        let merged = merge_policy(Some(other), "b", "", &site).unwrap().unwrap();
        let doc: Value = serde_json::from_str(&merged).unwrap();
        let sids: Vec<&str> = doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["Sid"].as_str().unwrap())
            .collect();
        assert_eq!(sids, ["Other", PUBLIC_READ_SID]);
        assert_eq!(merge_policy(Some(&merged), "b", "", &site), Ok(None));
        // A prefix change replaces our statement instead of adding more.
        let moved = merge_policy(Some(&merged), "b", "blog/", &site)
            .unwrap()
            .unwrap();
        let doc: Value = serde_json::from_str(&moved).unwrap();
        assert_eq!(doc["Statement"].as_array().unwrap().len(), 2);
        assert!(moved.contains("arn:aws:s3:::b/blog/posts/*") && !moved.contains("b/posts/*"));
        // A new top-level folder changes it too.
        let grown = names(&["index.html", "posts/", "talks/"]);
        assert!(
            merge_policy(Some(&merged), "b", "", &grown)
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn the_deny_of_earlier_versions_is_removed() {
        let old = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": PUBLIC_READ_SID, "Effect": "Allow", "Principal": "*",
             "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
            {"Sid": PRIVATE_STATE_SID, "Effect": "Deny", "Principal": "*",
             "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/.bucketpress/*",
             "Condition": {"Null": {"aws:PrincipalAccount": "true"}}}]})
        .to_string();
        assert_eq!(deny_sids(&old), [PRIVATE_STATE_SID]);
        let merged = merge_policy(Some(&old), "b", "", &names(&["index.html"]))
            .unwrap()
            .unwrap();
        assert!(deny_sids(&merged).is_empty(), "{merged}");
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
        assert_eq!(merged.len(), 4);
        assert_eq!(merged[0], theirs);
        assert_eq!(merged[1], abort_rule("blog/"));
        let history = &merged[2];
        assert_eq!(
            history.filter().and_then(|f| f.prefix()),
            Some("blog/.bucketpress/history/")
        );
        assert_eq!(history.expiration().and_then(|e| e.days()), Some(90));
        assert_eq!(merge_lifecycle(&merged, "blog/"), None);
        // A prefix change replaces our rules, never theirs.
        let moved = merge_lifecycle(&merged, "").unwrap();
        let mut want = vec![theirs.clone()];
        want.extend(our_rules(""));
        assert_eq!(moved, want);
        assert_eq!(merge_lifecycle(&[], ""), Some(our_rules("")));
        // A bucket set up before deploy history gets the history rules added.
        let old = vec![theirs, abort_rule("blog/")];
        assert_eq!(merge_lifecycle(&old, "blog/").unwrap().len(), 4);
    }

    #[test]
    fn an_unreadable_policy_is_never_overwritten() {
        assert!(merge_policy(Some("not json"), "b", "", &[]).is_err());
        assert!(merge_policy(Some("{\"Version\":\"2012-10-17\"}"), "b", "", &[]).is_err());
    }
}

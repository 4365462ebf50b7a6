//! A stricter, AWS-like S3 server for the bucket set-up tests: s3s-fs stores the objects,
//! and this wrapper adds what s3s-fs answers `NotImplemented` to (website configuration,
//! public access block, bucket policy) with AWS's rules, so a lenient server cannot make a
//! wrong request look right:
//!
//! - CreateBucket needs a LocationConstraint equal to the server's region, except in
//!   `us-east-1`, where sending one is an error; an existing bucket is
//!   `BucketAlreadyOwnedByYou`.
//! - New buckets block public access (all four settings on), like AWS since April 2023, and a
//!   policy granting `Principal: *` is refused while `BlockPublicPolicy` is on.
//! - A bucket policy must be JSON with a `Statement`.
//! - A lifecycle configuration replaces the whole rule list; each rule needs a unique `ID` of
//!   at most 255 characters, a filter or a prefix (not both) and at least one action, and an
//!   `AbortIncompleteMultipartUpload` needs a positive `DaysAfterInitiation`. Reading a bucket
//!   without one is `NoSuchLifecycleConfiguration` (404).
//! - [`start_misreading_conditions`]: a store whose policy engine ignores Conditions (and
//!   Principals): every Deny statement of the bucket policy whose Action and Resource match
//!   an object request refuses it with AccessDenied, the owner's signed requests included.

use std::collections::HashMap;
use std::sync::Mutex;

use s3s::dto::*;
use s3s::{S3, S3Error, S3ErrorCode, S3Request, S3Response, S3Result, s3_error};

use crate::s3_server::S3Server;

/// The per-bucket configuration the wrapper keeps.
#[derive(Debug, Clone, Default)]
struct BucketState {
    website: Option<WebsiteConfiguration>,
    block: Option<PublicAccessBlockConfiguration>,
    policy: Option<String>,
    lifecycle: Option<Vec<LifecycleRule>>,
}

/// s3s-fs plus bucket configuration with AWS's rules.
pub struct Strict {
    fs: s3s_fs::FileSystem,
    region: String,
    state: Mutex<HashMap<String, BucketState>>,
    /// Apply Deny statements to every request, ignoring their Conditions.
    misread_conditions: bool,
}

fn not_found(code: &str) -> S3Error {
    let mut e = S3Error::with_message(
        S3ErrorCode::from_bytes(code.as_bytes()).unwrap(),
        "not configured",
    );
    e.set_status_code(hyper::StatusCode::NOT_FOUND);
    e
}

impl Strict {
    fn with<T>(&self, bucket: &str, f: impl FnOnce(&mut BucketState) -> T) -> S3Result<T> {
        let mut state = self.state.lock().unwrap();
        let Some(b) = state.get_mut(bucket) else {
            return Err(s3_error!(NoSuchBucket));
        };
        Ok(f(b))
    }
}

/// Starts the strict server for `region`, with no bucket.
pub async fn start(region: &str) -> S3Server {
    serve(region, false).await
}

/// The strict server, with a policy engine that ignores Conditions (see the module docs).
pub async fn start_misreading_conditions(region: &str) -> S3Server {
    serve(region, true).await
}

async fn serve(region: &str, misread_conditions: bool) -> S3Server {
    let root = tempfile::tempdir().unwrap();
    let strict = Strict {
        fs: s3s_fs::FileSystem::new(root.path()).unwrap(),
        region: region.to_string(),
        state: Mutex::new(HashMap::new()),
        misread_conditions,
    };
    S3Server::serve(root, strict).await
}

/// An IAM-style wildcard match (`*` any run of characters, `?` one character).
fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// A string or a list of strings of a policy statement.
fn strings(v: &serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

impl Strict {
    /// AccessDenied when a Deny statement matches `action` on `bucket/key`, whatever its
    /// Condition says (only in the misreading mode).
    fn check_deny(&self, bucket: &str, key: &str, action: &str) -> S3Result<()> {
        if !self.misread_conditions {
            return Ok(());
        }
        let policy = self.with(bucket, |b| b.policy.clone())?;
        let Some(policy) = policy else { return Ok(()) };
        let doc: serde_json::Value = serde_json::from_str(&policy).unwrap();
        let statements = match &doc["Statement"] {
            serde_json::Value::Array(a) => a.clone(),
            one => vec![one.clone()],
        };
        let arn = format!("arn:aws:s3:::{bucket}/{key}");
        for st in statements.iter().filter(|s| s["Effect"] == "Deny") {
            let acts = strings(&st["Action"]);
            let res = strings(&st["Resource"]);
            if acts.iter().any(|a| wildcard(a, action)) && res.iter().any(|r| wildcard(r, &arn)) {
                return Err(s3_error!(AccessDenied, "denied by the bucket policy"));
            }
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl S3 for Strict {
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let bucket = req.input.bucket.clone();
        let constraint = req
            .input
            .create_bucket_configuration
            .as_ref()
            .and_then(|c| c.location_constraint.as_ref())
            .map(|c| c.as_str().to_string());
        match (self.region.as_str(), constraint.as_deref()) {
            ("us-east-1", None) => {}
            ("us-east-1", Some(_)) => return Err(s3_error!(InvalidLocationConstraint)),
            (region, Some(c)) if c == region => {}
            _ => {
                return Err(s3_error!(
                    IllegalLocationConstraintException,
                    "the location constraint is incompatible with the region"
                ));
            }
        }
        if self.state.lock().unwrap().contains_key(&bucket) {
            return Err(s3_error!(BucketAlreadyOwnedByYou));
        }
        let out = self.fs.create_bucket(req).await?;
        let all_on = PublicAccessBlockConfiguration {
            block_public_acls: Some(true),
            block_public_policy: Some(true),
            ignore_public_acls: Some(true),
            restrict_public_buckets: Some(true),
        };
        self.state.lock().unwrap().insert(
            bucket,
            BucketState {
                block: Some(all_on),
                ..BucketState::default()
            },
        );
        Ok(out)
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.fs.head_bucket(req).await
    }

    async fn get_bucket_website(
        &self,
        req: S3Request<GetBucketWebsiteInput>,
    ) -> S3Result<S3Response<GetBucketWebsiteOutput>> {
        let w = self.with(&req.input.bucket, |b| b.website.clone())?;
        let w = w.ok_or_else(|| not_found("NoSuchWebsiteConfiguration"))?;
        Ok(S3Response::new(GetBucketWebsiteOutput {
            error_document: w.error_document,
            index_document: w.index_document,
            redirect_all_requests_to: w.redirect_all_requests_to,
            routing_rules: w.routing_rules,
        }))
    }

    async fn put_bucket_website(
        &self,
        req: S3Request<PutBucketWebsiteInput>,
    ) -> S3Result<S3Response<PutBucketWebsiteOutput>> {
        let config = req.input.website_configuration;
        if config.index_document.is_none() && config.redirect_all_requests_to.is_none() {
            return Err(s3_error!(MalformedXML, "an index document is required"));
        }
        self.with(&req.input.bucket, |b| b.website = Some(config))?;
        Ok(S3Response::new(PutBucketWebsiteOutput::default()))
    }

    async fn get_public_access_block(
        &self,
        req: S3Request<GetPublicAccessBlockInput>,
    ) -> S3Result<S3Response<GetPublicAccessBlockOutput>> {
        let block = self.with(&req.input.bucket, |b| b.block.clone())?;
        let block = block.ok_or_else(|| not_found("NoSuchPublicAccessBlockConfiguration"))?;
        Ok(S3Response::new(GetPublicAccessBlockOutput {
            public_access_block_configuration: Some(block),
        }))
    }

    async fn put_public_access_block(
        &self,
        req: S3Request<PutPublicAccessBlockInput>,
    ) -> S3Result<S3Response<PutPublicAccessBlockOutput>> {
        let config = req.input.public_access_block_configuration;
        self.with(&req.input.bucket, |b| b.block = Some(config))?;
        Ok(S3Response::new(PutPublicAccessBlockOutput::default()))
    }

    async fn get_bucket_policy(
        &self,
        req: S3Request<GetBucketPolicyInput>,
    ) -> S3Result<S3Response<GetBucketPolicyOutput>> {
        let policy = self.with(&req.input.bucket, |b| b.policy.clone())?;
        let policy = policy.ok_or_else(|| not_found("NoSuchBucketPolicy"))?;
        Ok(S3Response::new(GetBucketPolicyOutput {
            policy: Some(policy),
        }))
    }

    async fn put_bucket_policy(
        &self,
        req: S3Request<PutBucketPolicyInput>,
    ) -> S3Result<S3Response<PutBucketPolicyOutput>> {
        let policy = req.input.policy;
        let doc: serde_json::Value =
            serde_json::from_str(&policy).map_err(|e| s3_error!(MalformedPolicy, "{e}"))?;
        let statements = doc["Statement"]
            .as_array()
            .ok_or_else(|| s3_error!(MalformedPolicy, "no Statement"))?;
        let public = statements
            .iter()
            .any(|s| s["Effect"] == "Allow" && s["Principal"] == "*");
        let blocked = self.with(&req.input.bucket, |b| {
            b.block
                .as_ref()
                .is_some_and(|c| c.block_public_policy == Some(true))
        })?;
        if public && blocked {
            return Err(s3_error!(
                AccessDenied,
                "public policies are blocked by the BlockPublicPolicy setting"
            ));
        }
        self.with(&req.input.bucket, |b| b.policy = Some(policy))?;
        Ok(S3Response::new(PutBucketPolicyOutput::default()))
    }

    async fn get_bucket_lifecycle_configuration(
        &self,
        req: S3Request<GetBucketLifecycleConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketLifecycleConfigurationOutput>> {
        let rules = self.with(&req.input.bucket, |b| b.lifecycle.clone())?;
        let rules = rules.ok_or_else(|| not_found("NoSuchLifecycleConfiguration"))?;
        Ok(S3Response::new(GetBucketLifecycleConfigurationOutput {
            rules: Some(rules),
            ..Default::default()
        }))
    }

    async fn put_bucket_lifecycle_configuration(
        &self,
        req: S3Request<PutBucketLifecycleConfigurationInput>,
    ) -> S3Result<S3Response<PutBucketLifecycleConfigurationOutput>> {
        let rules = req
            .input
            .lifecycle_configuration
            .map(|c| c.rules)
            .unwrap_or_default();
        let mut ids = std::collections::HashSet::new();
        for rule in &rules {
            let id = rule.id.clone().unwrap_or_default();
            if id.is_empty() || id.len() > 255 || !ids.insert(id) {
                return Err(s3_error!(
                    InvalidArgument,
                    "rule IDs must be unique, 1-255 chars"
                ));
            }
            if rule.filter.is_some() == rule.prefix.is_some() {
                return Err(s3_error!(MalformedXML, "a rule needs a Filter or a Prefix"));
            }
            let abort = rule.abort_incomplete_multipart_upload.as_ref();
            if abort.is_some_and(|a| a.days_after_initiation.unwrap_or(0) <= 0) {
                return Err(s3_error!(
                    InvalidArgument,
                    "DaysAfterInitiation must be positive"
                ));
            }
            if abort.is_none()
                && rule.expiration.is_none()
                && rule.transitions.as_ref().is_none_or(Vec::is_empty)
                && rule.noncurrent_version_expiration.is_none()
            {
                return Err(s3_error!(
                    InvalidRequest,
                    "a rule needs at least one action"
                ));
            }
        }
        self.with(&req.input.bucket, |b| b.lifecycle = Some(rules))?;
        Ok(S3Response::new(
            PutBucketLifecycleConfigurationOutput::default(),
        ))
    }

    async fn delete_bucket_policy(
        &self,
        req: S3Request<DeleteBucketPolicyInput>,
    ) -> S3Result<S3Response<DeleteBucketPolicyOutput>> {
        self.with(&req.input.bucket, |b| b.policy = None)?;
        Ok(S3Response::new(DeleteBucketPolicyOutput::default()))
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        self.check_deny(&req.input.bucket, &req.input.key, "s3:GetObject")?;
        self.fs.get_object(req).await
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        self.check_deny(&req.input.bucket, &req.input.key, "s3:GetObject")?;
        self.fs.head_object(req).await
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        self.check_deny(&req.input.bucket, &req.input.key, "s3:PutObject")?;
        self.fs.put_object(req).await
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.check_deny(&req.input.bucket, &req.input.key, "s3:DeleteObject")?;
        self.fs.delete_object(req).await
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.fs.list_objects_v2(req).await
    }
}

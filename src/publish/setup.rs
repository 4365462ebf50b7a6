//! `bucketpress setup-bucket`: create the bucket if missing, turn on static website hosting,
//! add a lifecycle rule aborting unfinished multipart uploads after a day and, with
//! `--public`, open the site prefix for reading. Every step reads first and writes
//! only what differs, so a second run sends no write; `--dry-run` sends no write at all.
//!
//! Stores without website hosting, public access blocks or bucket policies (answering
//! `NotImplemented`, e.g. MinIO, R2 or s3s-fs for some of them) get that step reported as
//! unsupported and skipped, not failed.

use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, ErrorDocument, IndexDocument,
    PublicAccessBlockConfiguration, WebsiteConfiguration,
};

use super::bucket_rules::{ERROR_DOCUMENT, INDEX_DOCUMENT, location_constraint};
use super::s3::S3Target;
use super::target::TargetError;

mod policy;

pub use policy::PROBE_KEY;

/// What became of one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// The write was sent and succeeded.
    Done,
    /// Already as wanted: nothing sent.
    AlreadySet,
    /// A dry run: this write would be sent.
    WouldDo,
    /// The store answered `NotImplemented`: skipped.
    Unsupported,
    /// Left as it is on purpose; the text says why and how to change it.
    Kept(String),
}

/// One step of the setup: a subject, the write request it needs, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// `bucket`, `website hosting`, `public access block`, `bucket policy`.
    pub subject: &'static str,
    /// The write request, e.g. `PutBucketWebsite my-blog (index index.html, error 404.html)`.
    pub call: String,
    /// What happened.
    pub state: State,
    /// A document to show with a dry run (the bucket policy).
    pub document: Option<String>,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (subject, call) = (self.subject, &self.call);
        match &self.state {
            State::Done => write!(f, "{subject}: done ({call})"),
            State::AlreadySet => write!(f, "{subject}: already set, nothing to do"),
            State::WouldDo => write!(f, "{subject}: would send {call}"),
            State::Unsupported => {
                write!(
                    f,
                    "{subject}: not supported by this store ({call}: NotImplemented), skipped"
                )
            }
            State::Kept(why) => write!(f, "{subject}: kept as it is: {why}"),
        }
    }
}

/// Where to set up and how.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The bucket.
    pub bucket: String,
    /// The site prefix (`blog/` or empty).
    pub prefix: String,
    /// The region the client signs for.
    pub region: String,
    /// Whether the region was configured (not guessed).
    pub region_configured: bool,
    /// A custom (S3-compatible) endpoint is used.
    pub custom_endpoint: bool,
    /// Path-style addressing (a custom endpoint without it looks up `bucket.host`).
    pub path_style: bool,
    /// `--public`.
    pub public: bool,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--replace-error-document`: replace a bucket's error document that is not this site's.
    pub replace_error_document: bool,
    /// Top-level names of the site under the prefix (`index.html`, `posts/`) that the public
    /// policy opens, besides those already in the bucket (from a render of the site).
    pub names: Vec<String>,
}

/// How a read answered.
enum Read<T> {
    Found(T),
    Missing,
    Unsupported,
}

pub(crate) fn unsupported<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    e.code() == Some("NotImplemented") || e.raw_response().map(|r| r.status().as_u16()) == Some(501)
}

/// Runs the steps against `client` and returns them in order. Stops at the first failure.
pub async fn setup(client: &Client, s: &Setup) -> Result<Vec<Step>, TargetError> {
    let mut classifier = S3Target::with_client(client.clone(), &s.bucket, "");
    classifier.set_virtual_hosted_endpoint(s.custom_endpoint && !s.path_style);
    let mut steps = Vec::new();

    // 1. The bucket; a dry run against a bucket still to create reads nothing more.
    let step = bucket_step(client, &classifier, s).await?;
    let fresh = step.state == State::WouldDo;
    steps.push(step);

    // 2. Static website hosting.
    steps.extend(website_steps(client, &classifier, s, fresh).await?);

    // 3. Unfinished multipart uploads (a killed publish of a big file) are aborted after a day.
    steps.push(super::setup_lifecycle::lifecycle_step(client, &classifier, s, fresh).await?);
    if !s.public {
        return Ok(steps);
    }

    // 4. The public access block (before the policy: a blocking one refuses public policies).
    steps.push(public_access_step(client, &classifier, s, fresh).await?);

    // 5. The public-read bucket policy (and the check that it leaves the owner in).
    steps.push(policy::policy_step(client, &classifier, s, fresh).await?);
    Ok(steps)
}

/// Step 1, the bucket: created when missing (with the region's location constraint).
async fn bucket_step(
    client: &Client,
    classifier: &S3Target,
    s: &Setup,
) -> Result<Step, TargetError> {
    let b = &s.bucket;
    let exists = match client.head_bucket().bucket(b).send().await {
        Ok(_) => true,
        Err(e) if e.raw_response().map(|r| r.status().as_u16()) == Some(404) => false,
        Err(e) => match fail(classifier, e, &format!("HeadBucket s3://{b}")) {
            TargetError::NotFound(_) | TargetError::NoSuchBucket(_) => false,
            TargetError::AccessDenied(d) => {
                return Err(TargetError::AccessDenied(format!(
                    "{d} (the bucket may belong to another account: bucket names are global)"
                )));
            }
            other => return Err(other),
        },
    };
    let constraint = location_constraint(&s.region, s.region_configured, s.custom_endpoint);
    let mut step = Step {
        subject: "bucket",
        call: match &constraint {
            Some(c) => format!("CreateBucket {b} (LocationConstraint {c})"),
            None => format!("CreateBucket {b}"),
        },
        state: State::AlreadySet,
        document: None,
    };
    if !exists && s.dry_run {
        step.state = State::WouldDo;
    } else if !exists {
        let config = constraint.as_deref().map(|c| {
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(c))
                .build()
        });
        step.state = match client
            .create_bucket()
            .bucket(b)
            .set_create_bucket_configuration(config)
            .send()
            .await
        {
            Ok(_) => State::Done,
            Err(e) if e.code() == Some("BucketAlreadyOwnedByYou") => State::AlreadySet,
            Err(e) if e.code() == Some("BucketAlreadyExists") => {
                return Err(TargetError::Other(format!(
                    "CreateBucket {b}: the name is taken by another account (bucket names are \
                     global); choose another"
                )));
            }
            Err(e) => return Err(fail(classifier, e, &format!("CreateBucket s3://{b}"))),
        };
    }
    Ok(step)
}

/// Step 2, static website hosting: index and error documents (another prefix's error
/// document is kept unless `--replace-error-document`, and said so in a second step).
async fn website_steps(
    client: &Client,
    classifier: &S3Target,
    s: &Setup,
    fresh: bool,
) -> Result<Vec<Step>, TargetError> {
    let b = &s.bucket;
    let mut steps = Vec::new();
    let error_key = format!("{}{ERROR_DOCUMENT}", s.prefix);
    let current = if fresh {
        Read::Missing
    } else {
        match client.get_bucket_website().bucket(b).send().await {
            Ok(w) => Read::Found(w),
            Err(e) if unsupported(&e) => Read::Unsupported,
            Err(e) if e.code() == Some("NoSuchWebsiteConfiguration") => Read::Missing,
            Err(e) => return Err(fail(classifier, e, &format!("GetBucketWebsite s3://{b}"))),
        }
    };
    let (matches, rules) = match &current {
        Read::Found(w) => (
            w.index_document().map(IndexDocument::suffix) == Some(INDEX_DOCUMENT)
                && w.error_document().map(ErrorDocument::key) == Some(error_key.as_str())
                && w.redirect_all_requests_to().is_none(),
            w.routing_rules().to_vec(),
        ),
        _ => (false, Vec::new()),
    };
    // The error document is bucket-wide: another site's (another prefix's) is not replaced
    // unless asked, or every prefix would serve this site's 404 page.
    let other_error = match &current {
        Read::Found(w) => w
            .error_document()
            .map(ErrorDocument::key)
            .filter(|k| *k != error_key && !s.replace_error_document)
            .map(str::to_owned),
        _ => None,
    };
    let index_matches = match &current {
        Read::Found(w) => {
            w.index_document().map(IndexDocument::suffix) == Some(INDEX_DOCUMENT)
                && w.redirect_all_requests_to().is_none()
        }
        _ => false,
    };
    let error_key = other_error.clone().unwrap_or(error_key);
    let call = format!("PutBucketWebsite {b} (index {INDEX_DOCUMENT}, error {error_key})");
    let state = if let Some(kept) = other_error.as_ref().filter(|_| index_matches) {
        State::Kept(format!(
            "the bucket's error document is {kept}, not {}{ERROR_DOCUMENT} (it is bucket-wide: \
             every prefix gets it); pass --replace-error-document to make it this site's",
            s.prefix
        ))
    } else if matches {
        State::AlreadySet
    } else if s.dry_run {
        State::WouldDo
    } else {
        // Existing routing rules are kept.
        let config = WebsiteConfiguration::builder()
            .index_document(
                IndexDocument::builder()
                    .suffix(INDEX_DOCUMENT)
                    .build()
                    .map_err(other)?,
            )
            .error_document(
                ErrorDocument::builder()
                    .key(&error_key)
                    .build()
                    .map_err(other)?,
            )
            .set_routing_rules((!rules.is_empty()).then_some(rules))
            .build();
        match client
            .put_bucket_website()
            .bucket(b)
            .website_configuration(config)
            .send()
            .await
        {
            Ok(_) => State::Done,
            Err(e) if unsupported(&e) => State::Unsupported,
            Err(e) => return Err(fail(classifier, e, &format!("PutBucketWebsite s3://{b}"))),
        }
    };
    let kept = other_error.filter(|_| !matches!(state, State::Kept(_)));
    steps.push(Step {
        subject: "website hosting",
        call,
        state,
        document: None,
    });
    if let Some(kept) = kept {
        steps.push(Step {
            subject: "error document",
            call: format!("keep {kept}"),
            state: State::Kept(format!(
                "the bucket's error document stays {kept}, not {}{ERROR_DOCUMENT} (it is \
                 bucket-wide: every prefix gets it); pass --replace-error-document to make it \
                 this site's",
                s.prefix
            )),
            document: None,
        });
    }

    Ok(steps)
}

/// Step 4, the public access block, turned off (before the policy: a blocking one refuses
/// public policies).
async fn public_access_step(
    client: &Client,
    classifier: &S3Target,
    s: &Setup,
    fresh: bool,
) -> Result<Step, TargetError> {
    let b = &s.bucket;
    let current = if fresh {
        // New buckets block public access by default.
        Read::Found(true)
    } else {
        match client.get_public_access_block().bucket(b).send().await {
            Ok(out) => Read::Found(out.public_access_block_configuration().is_some_and(|c| {
                [
                    c.block_public_acls(),
                    c.ignore_public_acls(),
                    c.block_public_policy(),
                    c.restrict_public_buckets(),
                ]
                .contains(&Some(true))
            })),
            Err(e) if unsupported(&e) => Read::Unsupported,
            Err(e) if e.code() == Some("NoSuchPublicAccessBlockConfiguration") => Read::Missing,
            Err(e) => {
                return Err(fail(
                    classifier,
                    e,
                    &format!("GetPublicAccessBlock s3://{b}"),
                ));
            }
        }
    };
    let call = format!("PutPublicAccessBlock {b} (all four settings false)");
    let state = match current {
        Read::Found(false) | Read::Missing => State::AlreadySet,
        _ if s.dry_run => State::WouldDo,
        _ => {
            let off = PublicAccessBlockConfiguration::builder()
                .block_public_acls(false)
                .ignore_public_acls(false)
                .block_public_policy(false)
                .restrict_public_buckets(false)
                .build();
            match client
                .put_public_access_block()
                .bucket(b)
                .public_access_block_configuration(off)
                .send()
                .await
            {
                Ok(_) => State::Done,
                Err(e) if unsupported(&e) => State::Unsupported,
                Err(e) => {
                    return Err(fail(
                        classifier,
                        e,
                        &format!("PutPublicAccessBlock s3://{b}"),
                    ));
                }
            }
        }
    };
    Ok(Step {
        subject: "public access block",
        call,
        state,
        document: None,
    })
}

/// Classifies a failed request like a publish does (typed [`TargetError`]).
pub(crate) fn fail<E>(
    classifier: &S3Target,
    e: SdkError<E, HttpResponse>,
    operation: &str,
) -> TargetError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    classifier.classify(e, operation)
}

fn other(e: impl std::fmt::Display) -> TargetError {
    TargetError::Other(e.to_string())
}

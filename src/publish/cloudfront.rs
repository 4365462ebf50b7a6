//! CloudFront invalidation after a publish (`[publish] cloudfront_distribution_id`): the
//! changed keys of the plan become paths ([`super::cdn`], pure), then one CreateInvalidation.
//!
//! A failed invalidation does not fail the publish: the files are live and the manifest is
//! written, so the exit code stays 0; the failure is a warning with the command to retry by
//! hand, and `invalidation.status` is `failed` in `--json` (CI can act on it). Cached copies
//! expire on their own after their `Cache-Control` max-age.

use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::config::Region;
use aws_sdk_cloudfront::error::ProvideErrorMetadata;
use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
use serde::Serialize;

use super::cdn::{Limits, base_path, invalidation_paths};
use super::plan::Plan;

/// What became of the invalidation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvalidationStatus {
    /// CloudFront accepted it (`id` is set).
    Created,
    /// A dry run: these paths would be invalidated.
    Planned,
    /// Nothing changed, so no request was sent.
    NotNeeded,
    /// The request failed (`error` says why); the publish itself succeeded.
    Failed,
}

/// The invalidation of one publish, as reported in `--json` under `invalidation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invalidation {
    /// The distribution.
    pub distribution_id: String,
    /// What happened.
    pub status: InvalidationStatus,
    /// The paths (after reduction to wildcards), sorted.
    pub paths: Vec<String>,
    /// CloudFront's id of the invalidation, when created.
    pub id: Option<String>,
    /// Why it failed, one line.
    pub error: Option<String>,
}

impl Invalidation {
    /// The warning printed when it failed, with the command that retries it by hand.
    pub fn warning(&self) -> Option<String> {
        let error = self.error.as_ref()?;
        let paths: Vec<String> = self.paths.iter().map(|p| format!("'{p}'")).collect();
        Some(format!(
            "the site is published, but invalidating CloudFront distribution {} failed: {error}; \
             cached pages expire after their max-age, or retry with: aws cloudfront \
             create-invalidation --distribution-id {} --paths {}",
            self.distribution_id,
            self.distribution_id,
            paths.join(" ")
        ))
    }
}

/// The paths a plan makes stale, for a site served at `base_url`: every uploaded and every
/// deleted key.
pub(crate) fn plan_paths(plan: &Plan, base_url: &str) -> Vec<String> {
    let keys = plan.actions.iter().map(|s| s.key.as_str());
    invalidation_paths(&base_path(base_url), keys, Limits::default())
}

/// A CloudFront client from the same configuration (credentials, profile, retries) as the S3
/// client. CloudFront is global: without a region, `us-east-1` is used to sign.
/// `AWS_ENDPOINT_URL_CLOUDFRONT` overrides the endpoint (LocalStack, tests).
pub fn client(sdk: &aws_config::SdkConfig) -> Client {
    let mut config = aws_sdk_cloudfront::config::Builder::from(sdk);
    if sdk.region().is_none() {
        config = config.region(Region::new("us-east-1"));
    }
    Client::from_conf(config.build())
}

/// A distribution to invalidate after the site changed, with the client to reach it.
#[derive(Debug, Clone)]
pub struct Distribution {
    client: Client,
    id: String,
}

impl Distribution {
    /// Distribution `id`, reached with [`client`] from the S3 target's AWS configuration. No
    /// request is sent.
    pub fn new(sdk: &aws_config::SdkConfig, id: &str) -> Distribution {
        Distribution {
            client: client(sdk),
            id: id.to_string(),
        }
    }

    /// [`after_publish`] on this distribution.
    pub async fn after_publish(&self, plan: &Plan, base_url: &str, dry_run: bool) -> Invalidation {
        after_publish(&self.client, &self.id, plan, base_url, dry_run).await
    }
}

/// A unique caller reference: `bucketpress-<unix ms>-<hash of the paths>`.
pub(crate) fn caller_reference(paths: &[String]) -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let hash = blake3::hash(paths.join("\n").as_bytes()).to_hex();
    format!("bucketpress-{millis}-{}", &hash[..12])
}

/// Sends one CreateInvalidation for `paths` and returns CloudFront's invalidation id.
pub async fn create(
    client: &Client,
    distribution_id: &str,
    paths: &[String],
) -> Result<String, String> {
    let what = format!("CreateInvalidation on {distribution_id}");
    let batch = InvalidationBatch::builder()
        .caller_reference(caller_reference(paths))
        .paths(
            Paths::builder()
                .quantity(paths.len() as i32)
                .set_items(Some(paths.to_vec()))
                .build()
                .map_err(|e| format!("{what}: {e}"))?,
        )
        .build()
        .map_err(|e| format!("{what}: {e}"))?;
    tracing::debug!("{what}: {} paths", paths.len());
    let out = client
        .create_invalidation()
        .distribution_id(distribution_id)
        .invalidation_batch(batch)
        .send()
        .await
        .map_err(|e| match (e.code(), e.message()) {
            (Some(code), message) => {
                let hint = match code {
                    "AccessDenied" => {
                        " (the credentials need cloudfront:CreateInvalidation on \
                                       this distribution)"
                    }
                    "NoSuchDistribution" => " (check [publish] cloudfront_distribution_id)",
                    _ => "",
                };
                format!("{what}: {code}: {}{hint}", message.unwrap_or_default())
            }
            (None, _) => format!("{what}: {}", error_chain(&e)),
        })?;
    Ok(out
        .invalidation()
        .map(|i| i.id().to_string())
        .unwrap_or_default())
}

/// Invalidates what `plan` changed: `planned` on a dry run (no request), `not_needed` when the
/// plan is empty (no request), else `created` or `failed`.
pub async fn after_publish(
    client: &Client,
    distribution_id: &str,
    plan: &Plan,
    base_url: &str,
    dry_run: bool,
) -> Invalidation {
    let paths = plan_paths(plan, base_url);
    let mut report = Invalidation {
        distribution_id: distribution_id.to_string(),
        status: InvalidationStatus::NotNeeded,
        paths,
        id: None,
        error: None,
    };
    if report.paths.is_empty() {
        return report;
    }
    if dry_run {
        report.status = InvalidationStatus::Planned;
        return report;
    }
    match create(client, distribution_id, &report.paths).await {
        Ok(id) => {
            report.status = InvalidationStatus::Created;
            report.id = Some(id);
        }
        Err(e) => {
            report.status = InvalidationStatus::Failed;
            report.error = Some(e);
        }
    }
    report
}

/// An error and its sources on one line.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        if !text.is_empty() && parts.last() != Some(&text) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

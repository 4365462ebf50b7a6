//! Publishing rendered outputs to one [`Target`]: read the manifest ([`read_stored`]), apply
//! the headers, [`plan::plan`] (pure), record the deploy, [`apply::apply`]; the options, the
//! report and the errors of a publish.

use std::time::Instant;

use serde::Serialize;

use super::apply::{self, ApplyFailure, Progress, Stored, Summary};
use super::manifest::{self, Manifest, ManifestError, SourcesRecord};
use super::plan::{self, Plan, PlanError, PlanOptions};
use super::target::{Target, TargetError};
use super::{checks, concurrency, headers, history, ownership, shared_cache};
use crate::config::PublishConfig;
use crate::outputs::Outputs;

/// Command-line knobs of a publish.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// Ignore the manifest's hashes and upload everything (also overrides a corrupt manifest).
    pub force: bool,
    /// Diff against what is really stored (listing + hash metadata) instead of the manifest.
    pub verify: bool,
    /// Refuse plans deleting more than this.
    pub max_deletes: usize,
    /// Uploads in flight at the start.
    pub concurrency: usize,
    /// The most uploads in flight: the number grows from `concurrency` while throughput
    /// does (equal to `concurrency`: fixed).
    pub max_concurrency: usize,
}

/// What a publish planned and did.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The plan.
    pub plan: Plan,
    /// What was done.
    pub summary: Summary,
    /// What the highlight cache kept in the bucket did, when it is on.
    pub highlight_cache: Option<shared_cache::CacheStats>,
}

impl Report {
    /// The report of a publish that found its sources recorded in the manifest: `unchanged`
    /// keys, `requests` sent (the manifest read), nothing rendered or planned.
    pub fn up_to_date(unchanged: usize, requests: u64) -> Report {
        Report {
            plan: Plan {
                unchanged,
                ..Plan::default()
            },
            summary: Summary {
                unchanged,
                requests,
                render_skipped: true,
                ..Summary::default()
            },
            highlight_cache: None,
        }
    }
}

/// Why a publish failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The site has content or template errors (each already reported); this many.
    #[error("the site has {0} error(s); nothing was published")]
    Build(usize),
    /// Reading the manifest or listing failed.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// The stored manifest is unreadable.
    #[error("the manifest in the bucket cannot be read ({0}); publish with --force to rebuild it")]
    Manifest(ManifestError),
    /// The plan was refused.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The outputs hold keys a build refuses (nothing was sent but the manifest read).
    #[error(transparent)]
    Input(#[from] checks::InputError),
    /// Applying failed part way; the report says what was done.
    #[error("{failure}")]
    Apply {
        /// The error and partial summary.
        failure: Box<ApplyFailure>,
        /// The plan being applied.
        plan: Box<Plan>,
    },
}

impl PublishError {
    /// The process exit code: 4 for a conflict with a concurrent publish, 3 otherwise.
    pub fn exit_code(&self) -> u8 {
        use crate::report::Exit;
        let conflict = match self {
            PublishError::Target(e) => *e == TargetError::Conflict,
            PublishError::Apply { failure, .. } => matches!(
                failure.error,
                apply::ApplyError::Target(TargetError::Conflict)
                    | apply::ApplyError::Conflict { .. }
            ),
            PublishError::Build(_) | PublishError::Input(_) => return Exit::Errors.code(),
            _ => false,
        };
        if conflict {
            Exit::Conflict.code()
        } else {
            Exit::Failed.code()
        }
    }
}

/// Publishes rendered `outputs` to `target`: headers (when the target stores them), manifest
/// read, plan, apply. A no-op publish sends exactly one request (the manifest read).
pub async fn publish_outputs<T: Target>(
    target: &T,
    outputs: Outputs,
    cfg: &PublishConfig,
    opts: &PublishOptions,
    progress: &dyn Progress,
) -> Result<Report, PublishError> {
    let read = read_stored(target, opts).await?;
    let rendered = Rendered {
        outputs,
        sources: None,
        commit: None,
    };
    publish_over(target, read, rendered, cfg, opts, progress).await
}

/// The manifest as a publish read it at its start, and where the request count stood before.
#[derive(Debug, Clone)]
pub struct StoredRead {
    /// The stored manifest (`None`: there is none).
    pub stored: Option<Stored>,
    /// The requests the target had served before the read (the summary counts from here).
    pub requests0: u64,
}

/// Reads and decodes the manifest stored at `target` (one request; `None`: there is none). An
/// undecodable one is an error unless `--force` or `--verify` will rebuild it.
pub async fn read_stored<T: Target>(
    target: &T,
    opts: &PublishOptions,
) -> Result<StoredRead, PublishError> {
    let requests0 = target.requests();
    let stored = match target.read_manifest().await? {
        None => None,
        Some((bytes, etag)) => match Manifest::decode(&bytes) {
            Ok(m) => Some(Stored {
                manifest: Some(m),
                etag,
            }),
            Err(_) if opts.force || opts.verify => Some(Stored {
                manifest: None,
                etag,
            }),
            Err(e) => return Err(PublishError::Manifest(e)),
        },
    };
    Ok(StoredRead { stored, requests0 })
}

/// What a render gives a publish: the outputs, and the sources they were rendered from when
/// the manifest may vouch for them ([`manifest::SourcesRecord`]).
pub struct Rendered {
    /// Every output.
    pub outputs: Outputs,
    /// Recorded in the manifest if every step lands.
    pub sources: Option<SourcesRecord>,
    /// The git commit (hash, subject) the sources come from, for the deploy record.
    pub commit: Option<(String, String)>,
}

/// [`publish_outputs`] with the manifest already read ([`read_stored`]).
pub async fn publish_over<T: Target>(
    target: &T,
    read: StoredRead,
    rendered: Rendered,
    cfg: &PublishConfig,
    opts: &PublishOptions,
    progress: &dyn Progress,
) -> Result<Report, PublishError> {
    let Rendered {
        mut outputs,
        sources,
        commit,
    } = rendered;
    let StoredRead { stored, requests0 } = read;
    checks::check_keys(&outputs)?;
    if target.stores_headers() {
        headers::apply_headers(&mut outputs, cfg);
    }
    let stored_manifest = stored.as_ref().and_then(|s| s.manifest.as_ref());
    let site_id = stored_manifest
        .and_then(|m| m.site_id.clone())
        .unwrap_or_else(manifest::new_site_id);
    let baseline = if opts.verify {
        let mut listing = target.list_hashes().await?;
        if !target.stores_headers() {
            // A directory has no ownership metadata: only files the site produces are known to
            // be ours, so the listing may save uploads but never causes a delete.
            listing.objects.retain(|k, _| outputs.contains(k));
        }
        ownership::verified_baseline(listing, &site_id, stored_manifest, &outputs)
    } else {
        stored_manifest.cloned().unwrap_or_default()
    };
    let plan_opts = PlanOptions {
        force: opts.force,
        max_deletes: opts.max_deletes,
        exclude: cfg.exclude.clone(),
        compare_headers: target.stores_headers(),
    };
    let mut plan = plan::plan(&outputs, &baseline, &plan_opts)?;
    plan.manifest.sources = sources;
    plan.manifest.site_id = Some(site_id);
    // A first publish has nothing to undo: history starts with the second.
    let history = cfg.keep_deploys > 0
        && target.can_copy()
        && !plan.is_empty()
        && !baseline.entries.is_empty();
    let mut deploy = None;
    if history {
        let d = history::start(target, &plan, &baseline, commit, opts.concurrency).await?;
        deploy = Some(d);
    }
    let job = apply::Job {
        plan: &plan,
        outputs: &outputs,
        baseline: &baseline,
        stored: stored.as_ref(),
    };
    let result = apply::apply(
        target,
        job,
        concurrency::Limit::new(opts.concurrency, opts.max_concurrency, Instant::now()),
        progress,
    )
    .await;
    let deploy_id = deploy.as_ref().map(|d| d.id.clone());
    if let Some(deploy) = deploy {
        history::finish(target, deploy, &result, cfg.keep_deploys).await;
    }
    match result {
        Ok(mut summary) => {
            summary.deploy = deploy_id;
            summary.requests = target.requests() - requests0;
            Ok(Report {
                plan,
                summary,
                highlight_cache: None,
            })
        }
        Err(mut failure) => {
            failure.summary.deploy = deploy_id;
            failure.summary.requests = target.requests() - requests0;
            Err(PublishError::Apply {
                failure,
                plan: Box::new(plan),
            })
        }
    }
}

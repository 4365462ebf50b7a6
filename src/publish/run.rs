//! A whole publish from a site folder: hash the sources, resolve the target, read the
//! manifest, render when needed ([`crate::pipeline`]), plan and apply, then invalidate
//! CloudFront. Options come in as a plain [`PublishRequest`]; what happened comes back as a
//! [`Finished`] value ([`Outcome`] makes the `--json` document of it), and warnings, errors
//! and progress go to the caller's [`Notes`]. The `publish` command of the binary prints all
//! of it.
//!
//! # `--json` schema (version 1, stable: fields are only ever added)
//!
//! One JSON object on stdout:
//!
//! ```json
//! {
//!   "version": 1,
//!   "target": "s3://bucket/prefix/",
//!   "dry_run": false,
//!   "status": "published | nothing_to_do | planned | failed | conflict",
//!   "error": null,
//!   "plan": {
//!     "actions": [
//!       {"key": "posts/a/index.html", "action": "upload", "reason": "content_changed",
//!        "size": 5120, "kind": "page"},
//!       {"key": "style.css", "action": "upload", "reason": "headers_changed",
//!        "headers": ["cache_control"], "size": 800, "kind": "asset"},
//!       {"key": "old.html", "action": "delete", "reason": "removed", "size": 10, "kind": null}
//!     ],
//!     "unchanged": 40, "unchanged_bytes": 123456, "skipped": [".DS_Store"]
//!   },
//!   "summary": {"uploaded": 2, "uploaded_bytes": 5920, "deleted": 1, "unchanged": 40,
//!               "failed": [{"key": "...", "error": "..."}], "manifest_written": true,
//!               "seconds": 0.41, "requests": 5, "render_skipped": false, "record_only": false,
//!               "aborted_uploads": 0, "deploy": "20261207T130509123Z-1a2b"},
//!   "preview_url": "https://blog.example/.bucketpress-previews/pr-42/",
//!   "invalidation": {"distribution_id": "E123EXAMPLE", "status": "created",
//!                    "paths": ["/", "/index.html", "/tags/*"], "id": "I2J0EXAMPLE", "error": null},
//!   "highlight_cache": {"downloaded_shards": 64, "downloaded_blocks": 2210, "uploaded_shards": 2}
//! }
//! ```
//!
//! `summary.deploy` is the id of the deploy recorded in the history (`null` when nothing
//! changed, on a dry run, or with `keep_deploys = 0`); `preview_url` is there only for
//! `--preview NAME`.
//! `highlight_cache` is `null` unless `[publish] highlight_cache_in_bucket` is on and the site
//! folder had no highlight cache of its own (see [`super::shared_cache`]).
//! `render_skipped` is true when the manifest recorded these very sources, so nothing was
//! rendered (see [`publish_site`]); `record_only` when the manifest was written only to record
//! the sources (the status is then `nothing_to_do`).
//! `planned` is a `--dry-run` that found work: nothing was written, and `summary` counts what
//! would have been done. `reason` is one of `new`, `content_changed`, `headers_changed` (with `headers`: any of
//! `content_type`, `content_encoding`, `cache_control`, `redirect`), `forced`, `removed`.
//! `interrupted` (a delete an interrupted publish recorded in the manifest and this one
//! finishes) is a `reason` of delete steps too.
//! `plan` and `summary` are `null` when the publish failed before planning (build errors,
//! unreadable manifest, refused plan); `target` is `null` when none could be determined;
//! `error` is a one-line message when `status` is `failed` or `conflict`. `invalidation` is
//! `null` unless `[publish] cloudfront_distribution_id` is set and the publish succeeded; its
//! `status` is `created`, `planned` (dry run), `not_needed` (nothing changed, no request) or
//! `failed` (a warning: the exit code stays 0, see [`super::cloudfront`]).

use std::path::PathBuf;

use super::apply::{Progress, Summary};
use super::cloudfront::Invalidation;
use super::plan::Plan;
use super::shared_cache::{self, CacheStats, SHARDS};
use super::target::{DryRun, Target};
use super::{
    PublishError, PublishOptions, Rendered, Report, TargetSpec, publish_over, read_stored,
};
use crate::config::Config;
use crate::error::Diagnostic;
use crate::highlight::Highlighter;
use crate::pipeline::{BuildOptions, Sources, Stop};
use crate::report::Exit;
use crate::session::HIGHLIGHT_CACHE;

/// What to publish and how, resolved from the command line. Drafts and future posts are
/// never published.
#[derive(Debug, Clone, Default)]
pub struct PublishRequest {
    /// The site folder (holding site.toml).
    pub site: PathBuf,
    /// Where to publish: s3://bucket/prefix or file:///dir (`None`: publish.bucket and
    /// publish.prefix in site.toml).
    pub to: Option<String>,
    /// Plan only; send no write request.
    pub dry_run: bool,
    /// Unknown shortcodes, Liquid tags and variables in posts are warnings.
    pub lenient: bool,
    /// Refuse to delete more objects than this (`None`: publish.max_deletes).
    pub max_deletes: Option<usize>,
    /// Upload everything, ignoring the manifest's hashes.
    pub force: bool,
    /// Compare against what is really stored, not the manifest.
    pub verify: bool,
    /// Uploads in flight, fixed (`None`: from publish.concurrency, growing).
    pub concurrency: Option<u16>,
    /// The AWS profile (`None`: publish.profile, then AWS_PROFILE).
    pub profile: Option<String>,
    /// Publish a preview with this name instead of the live site.
    pub preview: Option<String>,
    /// The base URL to render with (set for previews).
    pub base_url: Option<String>,
    /// The S3 client says nothing of its retries.
    pub quiet: bool,
}

/// Where a publish tells what it notices as it goes: warnings, the site's errors, and the
/// progress of uploads ([`Progress`]). Every method does nothing unless implemented.
pub trait Notes: Progress {
    /// A warning (a one-line message without the `warning: ` prefix).
    fn warning(&self, _message: &str) {}
    /// An error of the site's sources, one per call (before the publish fails).
    fn error(&self, _diagnostic: &Diagnostic) {}
}

impl Notes for super::apply::NoProgress {}

/// What a publish came to.
#[derive(Debug)]
pub enum Finished {
    /// It failed before publishing (content or config errors, no target): exit code 1.
    Early {
        /// The target, when one was determined.
        spec: Option<TargetSpec>,
        /// The one-line error.
        error: String,
    },
    /// It ran against a target (boxed: a report is large).
    Ran(Box<Ran>),
}

/// A publish that ran against a target.
#[derive(Debug)]
pub struct Ran {
    /// The target.
    pub spec: TargetSpec,
    /// The publish's report or its error.
    pub result: Result<Report, PublishError>,
    /// The CloudFront invalidation, when a distribution is configured.
    pub invalidation: Option<Invalidation>,
    /// The preview's URL, for `--preview`.
    pub preview_url: Option<String>,
}

impl Finished {
    /// The exit code: 0 published or nothing to do, 1 content or config errors, 3 publish
    /// failed, 4 another publish changed the site first.
    pub fn code(&self) -> u8 {
        match self {
            Finished::Early { .. } => Exit::Errors.code(),
            Finished::Ran(ran) => ran
                .result
                .as_ref()
                .err()
                .map_or(Exit::Ok.code(), PublishError::exit_code),
        }
    }
}

/// Publishes the site `req` names; runs inside a tokio runtime.
///
/// The sources are hashed first ([`crate::pipeline::Sources::hashed`]); when the manifest
/// records that same hash, the bucket already holds this render and nothing is rendered at
/// all (one request). Else the site is rendered, before any request when the hash is
/// unknown, so content errors never reach the network.
pub async fn publish_site(req: &PublishRequest, notes: &dyn Notes) -> anyhow::Result<Finished> {
    let mut preview_req;
    let req = match &req.preview {
        None => req,
        Some(name) => {
            if let Err(e) = super::preview::check_name(name) {
                return Ok(early(None, e));
            }
            let config = match Config::load(&req.site) {
                Ok(loaded) => loaded.config,
                Err(d) => return Ok(early(None, d.to_string())),
            };
            preview_req = req.clone();
            preview_req.base_url = Some(super::preview::base_url(
                &config.base_url,
                &config.publish.previews_prefix,
                name,
            ));
            &preview_req
        }
    };
    let sources = Sources::hashed(&req.site, &build_options(req));
    let mut prerendered = None;
    let loaded = match sources.hash().and_then(|_| load_config(&req.site)) {
        Some(loaded) => loaded,
        // Rendered before the target is known (the sources could not be hashed): held in
        // memory, so the target's headers rule can still gzip them.
        None => match render(req, None, None, None, notes) {
            Ok(site) => {
                prerendered = Some(site.publish);
                (site.config, site.warnings)
            }
            Err(PublishError::Build(n)) => return Ok(early(None, build_failed(n))),
            Err(e) => return Err(e.into()),
        },
    };
    let (config, warnings) = loaded;
    for w in &warnings {
        notes.warning(&w.to_string());
    }
    let mut cfg = config.publish.clone();
    if let Some(p) = &req.profile {
        cfg.profile = Some(p.clone());
    }
    // A preview has no history of its own.
    let preview = req.preview.as_ref().map(|name| {
        cfg.keep_deploys = 0;
        super::preview::folder(&cfg.previews_prefix, name)
    });
    let spec = match TargetSpec::resolve(req.to.as_deref(), &cfg) {
        Ok(s) => s,
        Err(msg) => return Ok(early(None, msg)),
    };
    if let Some(warning) = spec.prefix_warning(&config.base_url) {
        notes.warning(&warning);
    }
    let opts = PublishOptions {
        force: req.force,
        verify: req.verify,
        max_deletes: req.max_deletes.unwrap_or(cfg.max_deletes),
        concurrency: req.concurrency.map_or(cfg.concurrency, usize::from),
        max_concurrency: req
            .concurrency
            .map_or(cfg.max_concurrency.max(cfg.concurrency), usize::from),
    };
    let job = Job {
        req,
        cfg: &cfg,
        opts: &opts,
        notes,
        sources: &sources,
        prerendered,
    };
    let target = spec.connect(&cfg, req.quiet).await;
    let cdn = target.cdn(&cfg);
    let result = match &preview {
        None => job.run(target).await,
        Some(folder) => match live_copies(target.preview(folder), &target).await {
            Ok(t) => job.run(t).await,
            Err(e) => Err(e),
        },
    };
    let invalidation = match (&cdn, &result) {
        (Some(cdn), Ok(r)) => {
            let base = req.base_url.as_ref().unwrap_or(&config.base_url);
            Some(cdn.after_publish(&r.plan, base, req.dry_run).await)
        }
        _ => None,
    };
    if let Err(PublishError::Build(n)) = &result {
        return Ok(early(Some(spec), build_failed(*n)));
    }
    let preview_url = req.base_url.clone().filter(|_| req.preview.is_some());
    Ok(Finished::Ran(Box::new(Ran {
        spec,
        result,
        invalidation,
        preview_url,
    })))
}

/// A failure before publishing.
fn early(spec: Option<TargetSpec>, error: String) -> Finished {
    Finished::Early { spec, error }
}

/// A preview's target: `preview`, copying what the live site at `live` holds as is.
async fn live_copies<T: Target>(
    preview: T,
    live: &T,
) -> Result<super::preview::LiveCopies<T>, PublishError> {
    let manifest = match live.read_manifest().await? {
        Some((bytes, _)) => super::manifest::Manifest::decode(&bytes).unwrap_or_default(),
        None => super::manifest::Manifest::default(),
    };
    Ok(super::preview::LiveCopies {
        inner: preview,
        live: manifest,
    })
}

/// One publish to one target.
struct Job<'a> {
    req: &'a PublishRequest,
    cfg: &'a crate::config::PublishConfig,
    opts: &'a PublishOptions,
    notes: &'a dyn Notes,
    /// The sources, hashed when they could be.
    sources: &'a Sources,
    /// The render, when it had to happen before the target was known.
    prerendered: Option<Rendered>,
}

impl Job<'_> {
    async fn run<T: Target>(self, target: T) -> Result<Report, PublishError> {
        if self.req.dry_run {
            // The dry-run target accepts the manifest write without sending it: nothing was
            // written, whatever the apply step believes.
            let mut report = self.publish(&DryRun(target)).await?;
            report.summary.manifest_written = false;
            Ok(report)
        } else {
            self.publish(&target).await
        }
    }

    async fn publish<T: Target>(self, target: &T) -> Result<Report, PublishError> {
        let read = read_stored(target, self.opts).await?;
        let (stored, requests0) = (&read.stored, read.requests0);
        let recorded = crate::pipeline::unchanged(self.sources, |hash| {
            stored
                .as_ref()
                .and_then(|s| s.manifest.as_ref())
                .filter(|_| !self.opts.force && !self.opts.verify)
                // Work an interrupted publish left to do: render, plan and finish it.
                .filter(|m| !m.has_pending_work())
                .filter(|m| {
                    let now = chrono::Utc::now().timestamp();
                    m.sources
                        .as_ref()
                        .is_some_and(|record| record.covers(hash, now))
                })
        });
        if let Some(manifest) = recorded {
            let unchanged = manifest.entries.len();
            return Ok(Report::up_to_date(unchanged, target.requests() - requests0));
        }
        let shared = self.cfg.highlight_cache_in_bucket
            && self.prerendered.is_none()
            && !self.req.site.join(HIGHLIGHT_CACHE).exists();
        let mut downloaded = match shared {
            true => Some(shared_cache::download(target, self.opts.concurrency).await),
            false => None,
        };
        // The downloaded shards are dropped once loaded (they are the whole cache again).
        let shards = downloaded.as_mut().map(|d| std::mem::take(&mut d.shards));
        let downloaded_shards = shards.as_ref().map_or(0, Vec::len);
        // Pages wait on disk until uploaded (removed when this goes, after the upload).
        let staged;
        let (rendered, highlighter, cached_blocks) = match self.prerendered {
            Some(r) => (r, None, 0),
            None => {
                let hash = self.sources.hash().map(str::to_string);
                let gzip = self.cfg.gzip && target.stores_headers();
                staged = match super::staging::StagedPages::new(gzip) {
                    Ok(pages) => Some(std::sync::Arc::new(pages)),
                    Err(e) => {
                        self.notes.warning(&format!(
                            "cannot make a temporary folder for the pages ({e}): holding them in memory"
                        ));
                        None
                    }
                };
                let site = render(self.req, hash, shards, staged.clone(), self.notes)?;
                (site.publish, site.highlighter, site.cached_blocks)
            }
        };
        let mut report =
            publish_over(target, read, rendered, self.cfg, self.opts, self.notes).await?;
        if let Some(downloaded) = &downloaded {
            let mut stats = CacheStats {
                downloaded_shards,
                downloaded_blocks: cached_blocks,
                uploaded_shards: 0,
            };
            // Pages left out of the publish (`exclude` globs, hidden keys) keep their code
            // off the bucket too.
            let all_published = report.plan.skipped.is_empty();
            if let Some(highlighter) = highlighter.filter(|_| !self.req.dry_run && all_published) {
                // Encoded only now that the outputs are gone (they were uploaded).
                let shards = highlighter.encode_shards(SHARDS);
                drop(highlighter);
                let index = downloaded.index.as_ref();
                match shared_cache::upload(target, shards, index, self.opts.concurrency).await {
                    Ok(n) => stats.uploaded_shards = n,
                    // The site is published; the cache only saves time next time.
                    Err(e) => self
                        .notes
                        .warning(&format!("cannot update the highlight cache: {e}")),
                }
            }
            report.highlight_cache = Some(stats);
            report.summary.requests = target.requests() - requests0;
        }
        Ok(report)
    }
}

/// What publish renders: never drafts, never future posts; a preview's own base URL.
fn build_options(req: &PublishRequest) -> BuildOptions {
    BuildOptions {
        drafts: false,
        future: false,
        base_url: req.base_url.clone(),
        lenient: req.lenient,
    }
}

/// site.toml alone, when it reads cleanly (else the render reports why).
fn load_config(site: &std::path::Path) -> Option<(Config, Vec<Diagnostic>)> {
    let loaded = Config::load(site).ok()?;
    let warnings = loaded
        .warnings
        .into_iter()
        .map(|d| d.relative_to(site))
        .collect();
    Some((loaded.config, warnings))
}

fn build_failed(errors: usize) -> String {
    format!("the site has {errors} error(s); nothing was published")
}

/// A render for publishing.
struct RenderedSite {
    config: Config,
    warnings: Vec<Diagnostic>,
    publish: Rendered,
    /// The highlighter, holding what the render used, when the cache came from the bucket
    /// (and the site has no private documents, whose code must not leave the machine).
    highlighter: Option<Highlighter>,
    /// Blocks taken from the downloaded cache.
    cached_blocks: usize,
}

/// Renders the site through the pipeline, telling `notes` its errors. The outputs carry a
/// sources record when the sources hashed to `hash` (else hashed now) before the render and
/// still do after it. With `shared`, the highlight cache comes from the bucket (these shards)
/// and not from the site folder. With `staged`, each page goes there as it is rendered.
fn render(
    req: &PublishRequest,
    hash: Option<String>,
    shared: Option<Vec<Vec<u8>>>,
    staged: Option<std::sync::Arc<super::staging::StagedPages>>,
    notes: &dyn Notes,
) -> Result<RenderedSite, PublishError> {
    let opts = build_options(req);
    let sources = match hash {
        Some(hash) => Sources::with_hash(&req.site, &opts, Some(hash)),
        None => Sources::hashed(&req.site, &opts),
    };
    let mut cached_blocks = 0;
    let from_bucket = shared.is_some();
    let prepare = |mut session: crate::pipeline::Session| {
        match shared {
            Some(shards) => {
                for shard in shards {
                    cached_blocks += session.load_highlight_bytes(&shard).unwrap_or(0);
                }
            }
            None => session.persist_highlights(),
        }
        if let Some(pages) = staged {
            session.page_sink(pages);
        }
        Ok::<_, std::convert::Infallible>(session)
    };
    let recorded = match crate::pipeline::render_recorded(&sources, prepare) {
        Ok(recorded) => recorded,
        Err(Stop::Errors(errors, warnings)) => {
            for d in &warnings {
                notes.warning(&d.to_string());
            }
            for d in &errors.0 {
                notes.error(d);
            }
            return Err(PublishError::Build(errors.0.len()));
        }
        Err(Stop::Setup(never)) => match never {},
    };
    let rendered = recorded.rendered;
    let public = rendered.private_documents == 0;
    let highlighter = (from_bucket && public).then(|| recorded.session.into_highlighter());
    Ok(RenderedSite {
        config: rendered.config,
        warnings: rendered.warnings,
        publish: Rendered {
            outputs: rendered.outputs,
            sources: recorded.sources,
            commit: super::deploys::origin::git_head(&req.site),
        },
        highlighter,
        cached_blocks,
    })
}

/// How a publish ended, as `--json`'s `status` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PublishStatus {
    /// The bucket now holds the site (`published`).
    Published,
    /// The bucket already held this site (`nothing_to_do`).
    NothingToDo,
    /// A dry run made a plan and changed nothing (`planned`).
    Planned,
    /// The publish failed (`failed`).
    Failed,
    /// Someone else's publish or the bucket's state was in the way (`conflict`, exit 4).
    Conflict,
}

/// What a publish came to: the exit code and what `--json` reports.
#[derive(Debug)]
pub struct Outcome<'a> {
    /// The exit code: 0, 1, 3 or 4.
    pub code: u8,
    /// How it ended: `--json`'s `status`.
    pub status: PublishStatus,
    /// A one-line error, when failed.
    pub error: Option<String>,
    /// The plan, when one was made.
    pub plan: Option<&'a Plan>,
    /// What was done, when anything was attempted.
    pub summary: Option<&'a Summary>,
    /// The CloudFront invalidation, when a distribution is configured and the publish worked.
    pub invalidation: Option<&'a Invalidation>,
    /// What the highlight cache kept in the bucket did, when it is on.
    pub highlight_cache: Option<&'a CacheStats>,
}

impl<'a> Outcome<'a> {
    /// Classifies a publish result.
    pub fn of(dry_run: bool, result: &'a Result<Report, PublishError>) -> Outcome<'a> {
        match result {
            Ok(r) => {
                let status = if r.plan.is_empty()
                    && (!r.summary.manifest_written || r.summary.record_only)
                {
                    PublishStatus::NothingToDo
                } else if dry_run {
                    PublishStatus::Planned
                } else {
                    PublishStatus::Published
                };
                Outcome {
                    code: 0,
                    status,
                    error: None,
                    plan: Some(&r.plan),
                    summary: Some(&r.summary),
                    invalidation: None,
                    highlight_cache: r.highlight_cache.as_ref(),
                }
            }
            Err(e) => {
                let (plan, summary) = match e {
                    PublishError::Apply { failure, plan } => {
                        (Some(&**plan), Some(&failure.summary))
                    }
                    _ => (None, None),
                };
                Outcome::failed(e.exit_code(), e.to_string(), plan, summary)
            }
        }
    }

    /// A failure with `code` (1 for build or config errors).
    pub fn failed(
        code: u8,
        error: String,
        plan: Option<&'a Plan>,
        summary: Option<&'a Summary>,
    ) -> Outcome<'a> {
        Outcome {
            code,
            status: if code == 4 {
                PublishStatus::Conflict
            } else {
                PublishStatus::Failed
            },
            error: Some(error),
            plan,
            summary,
            invalidation: None,
            highlight_cache: None,
        }
    }

    /// The `--json` document (schema in the module docs).
    pub fn to_json(&self, target: Option<&TargetSpec>, dry_run: bool) -> serde_json::Value {
        serde_json::json!({
            "version": 1,
            "target": target.map(ToString::to_string),
            "dry_run": dry_run,
            "status": self.status,
            "error": self.error,
            "plan": self.plan,
            "summary": self.summary,
            "invalidation": self.invalidation,
            "highlight_cache": self.highlight_cache,
        })
    }
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;

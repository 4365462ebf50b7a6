//! `bucketpress publish`: the command-line arguments, the run function and the report (plain
//! lines, a progress bar on a terminal, or JSON).
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
//! rendered (see [`run_async`]); `record_only` when the manifest was written only to record
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
use std::process::ExitCode;

use super::apply::Summary;
use super::cloudfront::{self, Invalidation};
use super::dir::DirTarget;
use super::plan::Plan;
use super::s3::{S3Settings, S3Target};
use super::shared_cache::{self, CacheStats, SHARDS};
use super::target::{DryRun, Target};
use super::{
    PublishError, PublishOptions, Rendered, Report, TargetSpec, publish_over, read_stored,
};
use crate::config::Config;
use crate::error::Diagnostic;
use crate::highlight::Highlighter;
use crate::pipeline::BuildOptions;
use crate::session::HIGHLIGHT_CACHE;
use crate::sources_hash::{record_after_render, sources_hash};

/// Arguments of `bucketpress publish`. Drafts and future posts are never published.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:\n  \
    bucketpress publish --to s3://my-bucket/blog\n  \
    bucketpress publish --dry-run\n  \
    bucketpress publish --to file:///tmp/site --json\n\n\
    Exit codes: 0 published or nothing to do, 1 content or config errors, 3 publish failed, \
    4 another publish changed the site first. With publish.cloudfront_distribution_id the \
    changed paths are invalidated afterwards; a failed invalidation is a warning (exit 0).\n\n\
    Timeouts: one attempt of a small S3 request may take 10 s (publish.timeout in site.toml, \
    or BUCKETPRESS_S3_ATTEMPT_TIMEOUT_MS), uploads 10 s more per 1.25 MB; 5 attempts, each \
    retry printed, so a store that never answers fails a small request within about 65 s.")]
pub struct PublishArgs {
    /// The site folder (holding site.toml).
    #[arg(long, default_value = ".")]
    pub site: PathBuf,
    /// Where to publish: s3://bucket/prefix or file:///dir (default: publish.bucket and
    /// publish.prefix in site.toml).
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    /// Show what would be uploaded and deleted; send no write request.
    #[arg(long)]
    pub dry_run: bool,
    /// Unknown shortcodes, Liquid tags and variables in posts are warnings, their source
    /// shown marked on the page, instead of errors.
    #[arg(long)]
    pub lenient: bool,
    /// Print the plan and summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Refuse to delete more objects than this (default: publish.max_deletes in site.toml, 256).
    #[arg(long, value_name = "N")]
    pub max_deletes: Option<usize>,
    /// Upload everything, ignoring the manifest's hashes (also rebuilds a corrupt manifest).
    #[arg(long)]
    pub force: bool,
    /// Compare against what is really stored (list + hash metadata), not the manifest.
    #[arg(long)]
    pub verify: bool,
    /// Uploads in flight, fixed (default: from publish.concurrency in site.toml, 16, growing
    /// while throughput does up to publish.max_concurrency, 256).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: Option<u16>,
    /// The AWS profile to take credentials from (default: publish.profile in site.toml, then
    /// AWS_PROFILE).
    #[arg(long)]
    pub profile: Option<String>,
    /// Publish a preview under `<prefix><previews_prefix>NAME/` (default
    /// `.bucketpress-previews/NAME/`) with links for that path, and print its URL; objects the
    /// live site holds as is are server-side copies. The live site is never touched.
    #[arg(long, value_name = "NAME")]
    pub preview: Option<String>,
    /// The base URL to render with (set for previews; not a flag).
    #[arg(skip)]
    pub base_url: Option<String>,
}

/// Runs `publish` on its own tokio runtime. Call it from synchronous code only (from inside a
/// runtime use [`run_async`]). Errors are printed here; the returned code is the exit status:
/// 0 published or nothing to do, 1 build/content/config errors, 3 publish failed, 4 conflict.
pub fn run(args: &PublishArgs, quiet: bool, verbose: bool) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run_async(args, quiet, verbose))
}

/// [`run`] for callers already inside a tokio runtime.
///
/// The sources are hashed first ([`sources_hash`]); when the manifest records that same hash,
/// the bucket already holds this render and nothing is rendered at all (one request). Else
/// the site is rendered, before any request when the hash is unknown, so content errors never
/// reach the network.
pub async fn run_async(args: &PublishArgs, quiet: bool, verbose: bool) -> anyhow::Result<ExitCode> {
    let mut preview_args;
    let args = match &args.preview {
        None => args,
        Some(name) => {
            if let Err(e) = super::preview::check_name(name) {
                return Ok(early_failure(args, None, e));
            }
            let config = match Config::load(&args.site) {
                Ok(loaded) => loaded.config,
                Err(d) => return Ok(early_failure(args, None, d.to_string())),
            };
            preview_args = args.clone();
            preview_args.base_url = Some(super::preview::base_url(
                &config.base_url,
                &config.publish.previews_prefix,
                name,
            ));
            &preview_args
        }
    };
    let hash = sources_hash(&args.site, &build_options(args));
    let mut prerendered = None;
    let loaded = match hash.as_deref().and_then(|_| load_config(&args.site)) {
        Some(loaded) => loaded,
        None => match render(args, None, None) {
            Ok(site) => {
                prerendered = Some(site.publish);
                (site.config, site.warnings)
            }
            Err(PublishError::Build(n)) => return Ok(early_failure(args, None, build_failed(n))),
            Err(e) => return Err(e.into()),
        },
    };
    let (config, warnings) = loaded;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let mut cfg = config.publish.clone();
    if let Some(p) = &args.profile {
        cfg.profile = p.clone();
    }
    // A preview has no history of its own.
    let preview = args.preview.as_ref().map(|name| {
        cfg.keep_deploys = 0;
        super::preview::folder(&cfg.previews_prefix, name)
    });
    let spec = match TargetSpec::resolve(args.to.as_deref(), &cfg) {
        Ok(s) => s,
        Err(msg) => return Ok(early_failure(args, None, msg)),
    };
    if let TargetSpec::S3 { prefix, .. } = &spec
        && let Some(warning) = super::checks::prefix_warning(prefix, &config.base_url)
    {
        eprintln!("warning: {warning}");
    }
    let opts = PublishOptions {
        force: args.force,
        verify: args.verify,
        max_deletes: args.max_deletes.unwrap_or(cfg.max_deletes),
        concurrency: args.concurrency.map_or(cfg.concurrency, usize::from),
        max_concurrency: args
            .concurrency
            .map_or(cfg.max_concurrency.max(cfg.concurrency), usize::from),
    };
    let ui = Ui::new(args, quiet, verbose);
    let job = Job {
        args,
        cfg: &cfg,
        opts: &opts,
        ui: &ui,
        hash: hash.as_deref(),
        prerendered,
    };
    let mut invalidation = None;
    let result = match &spec {
        TargetSpec::S3 { bucket, prefix } => {
            let settings = S3Settings::from_config(bucket, prefix, &cfg);
            let sdk = super::s3::load_sdk_config(&settings).await;
            let target = S3Target::from_sdk(&sdk, &settings);
            target.set_quiet(quiet);
            let result = match &preview {
                None => job.run(target).await,
                Some(folder) => match live_copies(target.preview(folder), &target).await {
                    Ok(t) => job.run(t).await,
                    Err(e) => Err(e),
                },
            };
            let distribution = &cfg.cloudfront_distribution_id;
            if let (false, Ok(r)) = (distribution.is_empty(), &result) {
                let client = cloudfront::client(&sdk);
                let base = args.base_url.as_ref().unwrap_or(&config.base_url);
                invalidation = Some(
                    cloudfront::after_publish(&client, distribution, &r.plan, base, args.dry_run)
                        .await,
                );
            }
            result
        }
        TargetSpec::Dir(dir) => {
            let target = DirTarget::new(dir);
            match &preview {
                None => job.run(target).await,
                Some(folder) => match live_copies(target.preview(folder), &target).await {
                    Ok(t) => job.run(t).await,
                    Err(e) => Err(e),
                },
            }
        }
    };
    ui.finish();
    if let Err(PublishError::Build(n)) = &result {
        return Ok(early_failure(args, Some(&spec), build_failed(*n)));
    }
    Ok(report(&spec, args, quiet, result, invalidation.as_ref()))
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
    args: &'a PublishArgs,
    cfg: &'a crate::config::PublishConfig,
    opts: &'a PublishOptions,
    ui: &'a Ui,
    /// The sources' hash, when they could be hashed.
    hash: Option<&'a str>,
    /// The render, when it had to happen before the target was known.
    prerendered: Option<Rendered>,
}

impl Job<'_> {
    async fn run<T: Target>(self, target: T) -> Result<Report, PublishError> {
        if self.args.dry_run {
            self.publish(&DryRun(target)).await
        } else {
            self.publish(&target).await
        }
    }

    async fn publish<T: Target>(self, target: &T) -> Result<Report, PublishError> {
        let requests0 = target.requests();
        let stored = read_stored(target, self.opts).await?;
        let recorded = stored
            .as_ref()
            .and_then(|s| s.manifest.as_ref())
            .filter(|_| !self.opts.force && !self.opts.verify)
            // Work an interrupted publish left to do: render, plan and finish it.
            .filter(|m| !m.has_pending_work())
            .filter(|m| {
                let now = chrono::Utc::now().timestamp();
                m.sources
                    .as_ref()
                    .zip(self.hash)
                    .is_some_and(|(record, hash)| record.covers(hash, now))
            });
        if let Some(manifest) = recorded {
            let unchanged = manifest.entries.len();
            return Ok(Report::up_to_date(unchanged, target.requests() - requests0));
        }
        let shared = self.cfg.highlight_cache_in_bucket
            && self.prerendered.is_none()
            && !self.args.site.join(HIGHLIGHT_CACHE).exists();
        let mut downloaded = match shared {
            true => Some(shared_cache::download(target, self.opts.concurrency).await),
            false => None,
        };
        // The downloaded shards are dropped once loaded (they are the whole cache again).
        let shards = downloaded.as_mut().map(|d| std::mem::take(&mut d.shards));
        let downloaded_shards = shards.as_ref().map_or(0, Vec::len);
        let (rendered, highlighter, cached_blocks) = match self.prerendered {
            Some(r) => (r, None, 0),
            None => {
                let site = render(self.args, self.hash, shards)?;
                (site.publish, site.highlighter, site.cached_blocks)
            }
        };
        let mut report = publish_over(
            target, stored, requests0, rendered, self.cfg, self.opts, self.ui,
        )
        .await?;
        if let Some(downloaded) = &downloaded {
            let mut stats = CacheStats {
                downloaded_shards,
                downloaded_blocks: cached_blocks,
                uploaded_shards: 0,
            };
            // Pages left out of the publish (`exclude` globs, hidden keys) keep their code
            // off the bucket too.
            let all_published = report.plan.skipped.is_empty();
            if let Some(highlighter) = highlighter.filter(|_| !self.args.dry_run && all_published) {
                // Encoded only now that the outputs are gone (they were uploaded).
                let shards = highlighter.encode_shards(SHARDS);
                drop(highlighter);
                let index = downloaded.index.as_ref();
                match shared_cache::upload(target, shards, index, self.opts.concurrency).await {
                    Ok(n) => stats.uploaded_shards = n,
                    // The site is published; the cache only saves time next time.
                    Err(e) => eprintln!("warning: cannot update the highlight cache: {e}"),
                }
            }
            report.highlight_cache = Some(stats);
            report.summary.requests = target.requests() - requests0;
        }
        Ok(report)
    }
}

/// What publish renders: never drafts, never future posts; a preview's own base URL.
fn build_options(args: &PublishArgs) -> BuildOptions {
    BuildOptions {
        drafts: false,
        future: false,
        base_url: args.base_url.clone(),
        lenient: args.lenient,
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

/// Renders the site, printing its errors. The outputs carry a sources record when the
/// sources hashed to `hash` before the render and still do after it (see
/// [`record_after_render`]). With `shared`, the highlight cache comes from the bucket (these
/// shards) and not from the site folder.
fn render(
    args: &PublishArgs,
    hash: Option<&str>,
    shared: Option<Vec<Vec<u8>>>,
) -> Result<RenderedSite, PublishError> {
    let hash = hash
        .map(str::to_string)
        .or_else(|| sources_hash(&args.site, &build_options(args)));
    let mut session =
        crate::pipeline::Session::new(&args.site, build_options(args)).single_render();
    let mut cached_blocks = 0;
    let from_bucket = shared.is_some();
    match shared {
        Some(shards) => {
            for shard in shards {
                cached_blocks += session.load_highlight_bytes(&shard).unwrap_or(0);
            }
        }
        None => session.persist_highlights(),
    }
    let rendered = session.render().map_err(|errors| {
        for d in &errors.0 {
            eprintln!("error: {d}");
        }
        PublishError::Build(errors.0.len())
    })?;
    let public = rendered.private_documents == 0;
    let config = rendered.config;
    let warnings = rendered.warnings;
    let outputs = rendered.outputs;
    let sources = record_after_render(
        &args.site,
        &build_options(args),
        hash,
        rendered.private_documents,
        rendered.next_release,
    );
    let highlighter = (from_bucket && public).then(|| session.into_highlighter());
    Ok(RenderedSite {
        config,
        warnings,
        publish: Rendered {
            outputs,
            sources,
            commit: super::deploys::origin::git_head(&args.site),
        },
        highlighter,
        cached_blocks,
    })
}

/// What a publish came to: the exit code and what `--json` reports.
#[derive(Debug)]
pub struct Outcome<'a> {
    /// The exit code: 0, 1, 3 or 4.
    pub code: u8,
    /// `published`, `nothing_to_do`, `planned`, `failed` or `conflict`.
    pub status: &'static str,
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
                    "nothing_to_do"
                } else if dry_run {
                    "planned"
                } else {
                    "published"
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
            status: if code == 4 { "conflict" } else { "failed" },
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

/// Prints the outcome and picks the exit code.
fn report(
    spec: &TargetSpec,
    args: &PublishArgs,
    quiet: bool,
    result: Result<Report, PublishError>,
    invalidation: Option<&Invalidation>,
) -> ExitCode {
    let mut outcome = Outcome::of(args.dry_run, &result);
    outcome.invalidation = invalidation;
    let preview_url = args.base_url.as_ref().filter(|_| args.preview.is_some());
    if args.json {
        let mut doc = outcome.to_json(Some(spec), args.dry_run);
        if let Some(url) = preview_url {
            doc["preview_url"] = serde_json::Value::from(url.as_str());
        }
        crate::report::stdout_line(doc);
    } else {
        if let Some(plan) = outcome.plan
            && args.dry_run
        {
            for step in &plan.actions {
                crate::report::stdout_line(step_line(step));
            }
        }
        if !quiet && let (Some(plan), Some(s)) = (outcome.plan, outcome.summary) {
            let line = if outcome.code == 0 {
                summary_line(spec, args.dry_run, plan, s)
            } else {
                failed_line(spec, s)
            };
            eprintln!("{line}");
        }
        if let (TargetSpec::S3 { .. }, Some(plan), false, 0) =
            (spec, outcome.plan, quiet, outcome.code)
        {
            let names = super::bucket_rules::new_top_level_names(plan);
            if !names.is_empty() {
                eprintln!(
                    "note: new top-level name(s) {}: if `bucketpress setup-bucket --public` made \
                     this bucket public, run it again so that its policy lets readers in",
                    names.join(" ")
                );
            }
        }
        if let Some(line) = invalidation.filter(|_| !quiet).and_then(invalidation_line) {
            eprintln!("{line}");
        }
        if let (Some(url), 0) = (preview_url, outcome.code) {
            eprintln!("preview: {url}");
        }
    }
    if let Some(warning) = invalidation.and_then(Invalidation::warning) {
        eprintln!("warning: {warning}");
    }
    if let Some(e) = &outcome.error {
        eprintln!("error: {e}");
    }
    ExitCode::from(outcome.code)
}

/// A failure before publishing (build or config errors): exit code 1, and the JSON document
/// with `status: failed` when `--json` is on.
fn early_failure(args: &PublishArgs, spec: Option<&TargetSpec>, error: String) -> ExitCode {
    if args.json {
        let outcome = Outcome::failed(1, error.clone(), None, None);
        crate::report::stdout_line(outcome.to_json(spec, args.dry_run));
    }
    eprintln!("error: {error}");
    ExitCode::from(1)
}

mod lines;

use lines::Ui;
#[cfg(test)]
use lines::human_bytes;
pub use lines::{failed_line, invalidation_line, step_line, summary_line};

#[cfg(test)]
#[path = "command_tests.rs"]
mod tests;

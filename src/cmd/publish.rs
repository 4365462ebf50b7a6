//! `bucketpress publish`: its arguments, resolved into a [`PublishRequest`] before any work;
//! the library's [`publish_site`] does the publish, and this prints what it came to (plain
//! lines, a progress bar on a terminal, or the `--json` document whose schema is in
//! [`bucketpress::publish::run`]).

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use bucketpress::error::Diagnostic;
use bucketpress::publish::TargetSpec;
use bucketpress::publish::apply::Progress;
use bucketpress::publish::cloudfront::Invalidation;
use bucketpress::publish::lines::{failed_line, invalidation_line, step_line, summary_line};
use bucketpress::publish::plan::Step;
use bucketpress::publish::run::{Finished, Notes, Outcome, PublishRequest, publish_site};
use bucketpress::publish::target::TargetError;
use bucketpress::publish::{PublishError, Report};
use bucketpress::report::Exit;

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
}

impl PublishArgs {
    /// The library's request from these flags (`quiet`: the S3 client's retry lines too).
    fn request(&self, quiet: bool) -> PublishRequest {
        PublishRequest {
            site: self.site.clone(),
            to: self.to.clone(),
            dry_run: self.dry_run,
            lenient: self.lenient,
            max_deletes: self.max_deletes,
            force: self.force,
            verify: self.verify,
            concurrency: self.concurrency,
            profile: self.profile.clone(),
            preview: self.preview.clone(),
            base_url: None,
            quiet,
        }
    }
}

/// Runs `publish` on its own tokio runtime and prints what it came to; the exit code is 0
/// published or nothing to do, 1 build/content/config errors, 3 publish failed, 4 conflict.
pub fn run(args: &PublishArgs, quiet: bool, verbose: bool) -> anyhow::Result<Exit> {
    let request = args.request(quiet);
    let ui = Ui::new(args, quiet, verbose);
    let finished = super::runtime()?.block_on(publish_site(&request, &ui))?;
    ui.finish();
    Ok(match finished {
        Finished::Early { spec, error } => early_failure(args, spec.as_ref(), error),
        Finished::Ran(ran) => report(
            &ran.spec,
            args,
            quiet,
            ran.result,
            ran.invalidation.as_ref(),
            ran.preview_url.as_ref(),
        ),
    })
}

/// Prints the outcome and picks the exit code.
fn report(
    spec: &TargetSpec,
    args: &PublishArgs,
    quiet: bool,
    result: Result<Report, PublishError>,
    invalidation: Option<&Invalidation>,
    preview_url: Option<&String>,
) -> Exit {
    let mut outcome = Outcome::of(args.dry_run, &result);
    outcome.invalidation = invalidation;
    if args.json {
        let mut doc = outcome.to_json(Some(spec), args.dry_run);
        if let Some(url) = preview_url {
            doc["preview_url"] = serde_json::Value::from(url.as_str());
        }
        bucketpress::report::stdout_line(doc);
    } else {
        if let Some(plan) = outcome.plan
            && args.dry_run
        {
            for step in &plan.actions {
                bucketpress::report::stdout_line(step_line(step));
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
        if let (Some(_), Some(plan), false, 0) = (spec.s3(), outcome.plan, quiet, outcome.code) {
            let names = bucketpress::publish::bucket_rules::new_top_level_names(plan);
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
    Exit::from_code(outcome.code)
}

/// A failure before publishing (build or config errors): exit code 1, and the JSON document
/// with `status: failed` when `--json` is on.
fn early_failure(args: &PublishArgs, spec: Option<&TargetSpec>, error: String) -> Exit {
    if args.json {
        let outcome = Outcome::failed(1, error.clone(), None, None);
        bucketpress::report::stdout_line(outcome.to_json(spec, args.dry_run));
    }
    eprintln!("error: {error}");
    Exit::Errors
}

/// Progress: a bar on an interactive terminal (not CI), `-v` lines otherwise, nothing for
/// `--quiet`/`--json`.
struct Ui {
    bar: Option<ProgressBar>,
    lines: bool,
}

impl Ui {
    fn new(args: &PublishArgs, quiet: bool, verbose: bool) -> Ui {
        let reporter = bucketpress::report::interactive_terminal();
        let show = !quiet && !args.json && !args.dry_run;
        let bar = (show && reporter).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}") {
                bar.set_style(style);
            }
            bar
        });
        Ui {
            lines: show && verbose && bar.is_none(),
            bar,
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Ui {
    fn start(&self, uploads: usize, _bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(uploads as u64);
        }
    }

    fn uploaded(&self, step: &Step) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(step.key.clone());
        } else if self.lines {
            eprintln!("{}", step_line(step));
        }
    }

    fn failed(&self, step: &Step, error: &TargetError) {
        match &self.bar {
            Some(bar) => bar.println(format!("error: {}: {error}", step.key)),
            None => eprintln!("error: {}: {error}", step.key),
        }
    }
}

impl Notes for Ui {
    fn warning(&self, message: &str) {
        eprintln!("warning: {message}");
    }

    fn error(&self, diagnostic: &Diagnostic) {
        eprintln!("error: {diagnostic}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        publish: PublishArgs,
    }

    #[test]
    fn args_parse_with_defaults_and_limits() {
        let cli = Cli::try_parse_from(["publish"]).unwrap().publish;
        assert_eq!(cli.site, PathBuf::from("."));
        assert!(cli.to.is_none() && !cli.dry_run && !cli.json && !cli.force && !cli.verify);
        let cli = Cli::try_parse_from([
            "publish",
            "--to",
            "s3://b/p",
            "--dry-run",
            "--json",
            "--max-deletes",
            "9",
            "--concurrency",
            "4",
            "--profile",
            "blog",
            "--force",
            "--verify",
        ])
        .unwrap()
        .publish;
        assert_eq!(cli.to.as_deref(), Some("s3://b/p"));
        assert_eq!((cli.max_deletes, cli.concurrency), (Some(9), Some(4)));
        assert!(Cli::try_parse_from(["publish", "--concurrency", "0"]).is_err());
        assert!(Cli::try_parse_from(["publish", "--drafts"]).is_err());
    }
}

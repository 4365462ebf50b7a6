//! The `bucketpress` binary: parse the command line, run, print errors, exit with a code.

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;

use bucketpress::cli::{BuildArgs, CheckArgs, Cli, Command, SiteArgs};
use bucketpress::error::BuildErrors;
use bucketpress::pipeline::{Rendered, Session};
use bucketpress::report::Reporter;
use bucketpress::sources_hash::{record_after_render, sources_hash};
use bucketpress::write::{Spill, up_to_date};

/// Content or configuration errors.
const EXIT_CONTENT: u8 = 1;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (_, 0) => "warn",
        (_, 1) => "info",
        _ => "debug",
    };
    // The AWS SDK's own warnings (a credential chain's Debug dump when no credentials are
    // found) are said again by our one-line errors: shown from -vv (or BUCKETPRESS_LOG) only.
    let filter = match level {
        "debug" => level.to_string(),
        _ => format!("{level},aws_config=error,aws_smithy_runtime=error"),
    };
    let reporter = Reporter::new(cli.quiet, cli.verbose > 0);
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BUCKETPRESS_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        // No colour codes in CI logs, even when the runner fakes a terminal.
        .with_ansi(reporter.interactive)
        .without_time()
        .init();
    match run(cli.command, reporter) {
        Ok(code) => code,
        Err(e) => {
            reporter.error(format!("{e:#}"));
            ExitCode::from(EXIT_CONTENT)
        }
    }
}

fn run(command: Command, reporter: Reporter) -> anyhow::Result<ExitCode> {
    match command {
        Command::New { dir } => {
            bucketpress::scaffold::create_site(&dir)?;
            reporter.status(format!(
                "created a new site in {0}\nnext: bucketpress build --site {0}",
                dir.display()
            ));
            Ok(ExitCode::SUCCESS)
        }
        Command::Post {
            title,
            tags,
            draft,
            site,
        } => {
            let path = bucketpress::scaffold::create_post(&site, &title, &tags, draft)?;
            bucketpress::report::stdout_line(path.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Build(args) => build(&args, reporter),
        Command::Check(args) => check(&args, reporter),
        Command::Publish(args) => {
            bucketpress::publish::command::run(&args, reporter.quiet, reporter.verbose)
        }
        Command::Deploys(args) => {
            bucketpress::publish::deploys::command::run_deploys(&args, reporter.quiet)
        }
        Command::Rollback(args) => {
            bucketpress::publish::deploys::command::run_rollback(&args, reporter.quiet)
        }
        Command::Previews(args) => {
            bucketpress::publish::deploys::command::run_previews(&args, reporter.quiet)
        }
        Command::SetupBucket(args) => bucketpress::publish::setup::run(&args, reporter.quiet),
        Command::Serve(args) => bucketpress::serve::run(&args, reporter),
        Command::Backup(args) => bucketpress::backup::command::run_backup(&args, reporter),
        Command::Restore(args) => bucketpress::backup::command::run_restore(&args, reporter),
    }
}

/// Renders, reporting warnings; on errors prints each and returns `None`. With `persist`, the
/// highlight cache is kept in the site's `.bucketpress/cache/`; with `spill`, pages go to disk
/// as they are rendered.
fn render(
    args: &SiteArgs,
    reporter: Reporter,
    persist: bool,
    spill: Option<Arc<Spill>>,
) -> Option<Rendered> {
    render_session(args, reporter, persist, spill, false).map(|(r, _)| r)
}

/// [`render`], keeping the session (for its links when `collect_links`).
fn render_session(
    args: &SiteArgs,
    reporter: Reporter,
    persist: bool,
    spill: Option<Arc<Spill>>,
    collect_links: bool,
) -> Option<(Rendered, Session)> {
    let mut session = Session::new(&args.site, args.build_options()).single_render();
    if collect_links {
        session = session.collect_links();
    }
    if !persist {
        // `check`: every problem of every file in one run.
        session = session.all_problems();
    }
    if persist {
        session.persist_highlights();
    } else {
        session.load_highlights();
    }
    if let Some(spill) = spill {
        session.spill_pages(spill);
    }
    match session.render() {
        Ok(rendered) => {
            tracing::debug!("render stages: {}", session.stages());
            reporter.warnings(&rendered.warnings);
            Some((rendered, session))
        }
        Err(BuildErrors(errors)) => {
            let lines = bucketpress::error::grouped(&errors);
            for line in &lines {
                reporter.error(line);
            }
            reporter.error(format!(
                "{} problem{} found; nothing was written",
                bucketpress::error::thousands(lines.len()),
                if lines.len() == 1 { "" } else { "s" }
            ));
            None
        }
    }
}

fn build(args: &BuildArgs, reporter: Reporter) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.site.site.join("public"));
    // Sources a build into this folder already rendered, with every file it wrote intact,
    // need no render.
    let opts = args.site.build_options();
    let hash = sources_hash(&args.site.site, &opts);
    let now = chrono::Utc::now().timestamp();
    if let Some(files) = hash.as_deref().and_then(|h| up_to_date(&out, h, now)) {
        reporter.status(format!(
            "nothing to do: the {files} files in {} are what these sources build ({} ms)",
            out.display(),
            started.elapsed().as_millis()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let spill = Spill::new(&out)
        .map(Arc::new)
        .map_err(|e| anyhow::anyhow!("preparing {}: {e}", out.display()))?;
    let Some(rendered) = render(&args.site, reporter, true, Some(spill.clone())) else {
        spill
            .discard()
            .map_err(|e| anyhow::anyhow!("cleaning up {}: {e}", out.display()))?;
        return Ok(ExitCode::from(EXIT_CONTENT));
    };
    let rendered_at = started.elapsed();
    let sources = record_after_render(
        &args.site.site,
        &opts,
        hash,
        rendered.private_documents,
        rendered.next_release,
    );
    let stats = spill
        .commit(&rendered.outputs, sources.as_ref())
        .map_err(|e| {
            // Pages renamed into place stay; staged and newly created ones are removed.
            let _ = spill.discard();
            anyhow::anyhow!("writing {}: {e}", out.display())
        })?;
    reporter.status(format!(
        "built {} documents into {} files ({} written, {} unchanged, {} removed) in {} ms (render {} ms) → {}{}",
        rendered.documents,
        rendered.outputs.len(),
        stats.written,
        stats.unchanged,
        stats.removed,
        started.elapsed().as_millis(),
        rendered_at.as_millis(),
        out.display(),
        rendered.left_out.summary()
    ));
    Ok(ExitCode::SUCCESS)
}

/// `check --external`: asks about every link to another site not found good lately; false
/// when some do not answer well (each reported).
fn check_external(
    session: &Session,
    rendered: &Rendered,
    reporter: Reporter,
) -> anyhow::Result<bool> {
    use bucketpress::links::external::{Cache, Options, Verdict, check_urls};
    let config = &rendered.config.links;
    let links = session.external_links();
    let mut cache = Cache::load(session.site_dir());
    let now = chrono::Utc::now().timestamp();
    let max_age = std::time::Duration::from_secs(config.external_cache_days * 86_400);
    let ask: Vec<String> = links
        .iter()
        .filter(|l| !cache.is_fresh(&l.url, now, max_age))
        .map(|l| l.url.clone())
        .collect();
    reporter.status(format!(
        "checking {} external links ({} found good in the last {} days not asked again)",
        ask.len(),
        links.len() - ask.len(),
        config.external_cache_days
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("starting the HTTP client: {e}"))?;
    let verdicts = runtime.block_on(check_urls(&ask, &Options::from_config(config)));
    cache.record(&verdicts, now);
    if let Err(e) = cache.save() {
        reporter.error(format!("cannot save the external link cache: {e}"));
    }
    let read_source = |rel: &str| std::fs::read_to_string(session.site_dir().join(rel)).ok();
    let by_url: std::collections::HashMap<&str, &bucketpress::links::ExternalRef> =
        links.iter().map(|l| (l.url.as_str(), l)).collect();
    let mut bad = 0;
    for (url, verdict) in &verdicts {
        if let (Verdict::Bad(why), Some(r)) = (verdict, by_url.get(url.as_str())) {
            bad += 1;
            reporter.error(bucketpress::links::external_diagnostic(
                r,
                why,
                &read_source,
            ));
        }
    }
    if bad > 0 {
        reporter.error(format!(
            "{bad} of {} external links do not answer",
            links.len()
        ));
        return Ok(false);
    }
    reporter.status(format!("ok: all {} external links answer", links.len()));
    Ok(true)
}

fn check(args: &CheckArgs, reporter: Reporter) -> anyhow::Result<ExitCode> {
    // Read the list first: a list that cannot be read is a usage error, whatever the site.
    let old_urls = match &args.urls {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
            let urls = bucketpress::urlcheck::parse_list(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            Some((path, urls))
        }
        None => None,
    };
    let Some((rendered, session)) =
        render_session(&args.site, reporter, false, None, args.external)
    else {
        return Ok(ExitCode::from(EXIT_CONTENT));
    };
    if args.external && !check_external(&session, &rendered, reporter)? {
        return Ok(ExitCode::from(EXIT_CONTENT));
    }
    if let Some((path, urls)) = old_urls {
        let base_path = rendered.config.base_path();
        let lost = bucketpress::urlcheck::lost_urls(&rendered.outputs, &urls, &base_path, path);
        for d in &lost {
            reporter.error(d);
        }
        if !lost.is_empty() {
            reporter.error(format!(
                "{} of {} old URLs no longer answer",
                lost.len(),
                urls.len()
            ));
            return Ok(ExitCode::from(EXIT_CONTENT));
        }
        reporter.status(format!("ok: all {} old URLs answer", urls.len()));
    }
    reporter.status(format!(
        "ok: {} documents, {} outputs, no problems{}",
        rendered.documents,
        rendered.outputs.len(),
        rendered.left_out.summary()
    ));
    Ok(ExitCode::SUCCESS)
}

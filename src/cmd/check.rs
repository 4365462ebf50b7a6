//! `bucketpress check`: validate everything `build` validates, writing nothing (every
//! problem of every file) through the pipeline ([`pipeline::run`], never skipped: the sources
//! are not hashed), then links to other sites (`--external`) and old URLs (`--urls`).

use std::convert::Infallible;
use std::path::PathBuf;

use bucketpress::pipeline::{self, Rendered, Run, Session, Sources, Stop};
use bucketpress::report::{Exit, Reporter};

/// `check`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// Which site and which documents.
    #[command(flatten)]
    pub site: super::SiteArgs,
    /// The old site's sitemap.xml, or a file with one URL or path a line: each one the new
    /// site does not answer (no page, file or redirect) is reported, so old links keep
    /// working after a move.
    #[arg(long, value_name = "FILE")]
    pub urls: Option<PathBuf>,
    /// Also check links to other sites: a few requests per host at a time, retries, waits
    /// when a server says 429; links found good are remembered for `[links]
    /// external_cache_days` in `.bucketpress/cache/external-links.json`.
    #[arg(long)]
    pub external: bool,
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

/// Runs `check`: renders writing nothing, every problem of every file; then `--external`
/// and `--urls` when asked.
pub fn run(args: &CheckArgs, reporter: Reporter) -> anyhow::Result<Exit> {
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
    let sources = Sources::unhashed(&args.site.site, &args.site.build_options());
    let prepare = |mut session: Session| {
        if args.external {
            session = session.collect_links();
        }
        // Every problem of every file in one run; no page kept (a check writes nothing).
        session = session.all_problems();
        session.page_sink(std::sync::Arc::new(bucketpress::outputs::HashOnly));
        session.load_highlights();
        Ok::<_, Infallible>(session)
    };
    let recorded = match pipeline::run(&sources, |_| None::<Infallible>, prepare) {
        Ok(Run::Rendered(recorded)) => recorded,
        Ok(Run::Unchanged(never)) => match never {},
        Err(Stop::Errors(errors, warnings)) => {
            reporter.warnings(&warnings);
            super::print_errors(&errors, reporter);
            return Ok(Exit::Errors);
        }
        Err(Stop::Setup(never)) => match never {},
    };
    super::print_rendered(&recorded, reporter);
    let (rendered, session) = (&recorded.rendered, &recorded.session);
    if args.external && !check_external(session, rendered, reporter)? {
        return Ok(Exit::Errors);
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
            return Ok(Exit::Errors);
        }
        reporter.status(format!("ok: all {} old URLs answer", urls.len()));
    }
    reporter.status(format!(
        "ok: {} documents, {} outputs, no problems{}",
        rendered.documents,
        rendered.outputs.len(),
        rendered.left_out.summary()
    ));
    Ok(Exit::Ok)
}

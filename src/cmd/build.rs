//! `bucketpress build`: render the site into a folder through the pipeline
//! ([`pipeline::run`]), skipping the render when the folder already holds what these sources
//! build.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use bucketpress::pipeline::{self, Run, Sources, Stop};
use bucketpress::report::{Exit, Reporter};
use bucketpress::write::{Spill, up_to_date};

/// `build` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct BuildArgs {
    /// Site selection.
    #[command(flatten)]
    pub site: super::SiteArgs,
    /// The output folder (default `<site>/public`).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs `build`: renders into `--out` (default `<site>/public`), writing only what changed.
pub fn run(args: &BuildArgs, reporter: Reporter) -> anyhow::Result<Exit> {
    let started = Instant::now();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.site.site.join("public"));
    // Sources a build into this folder already rendered, with every file it wrote intact,
    // need no render.
    let sources = Sources::hashed(&args.site.site, &args.site.build_options());
    let now = chrono::Utc::now().timestamp();
    let mut spill = None;
    let run = pipeline::run(
        &sources,
        |hash| up_to_date(&out, hash, now),
        |mut session| {
            let pages = Spill::new(&out)
                .map(Arc::new)
                .map_err(|e| anyhow::anyhow!("preparing {}: {e}", out.display()))?;
            session.persist_highlights();
            session.page_sink(pages.clone());
            spill = Some(pages);
            Ok::<_, anyhow::Error>(session)
        },
    );
    let recorded = match run {
        Ok(Run::Unchanged(files)) => {
            reporter.status(format!(
                "nothing to do: the {files} files in {} are what these sources build ({} ms)",
                out.display(),
                started.elapsed().as_millis()
            ));
            return Ok(Exit::Ok);
        }
        Ok(Run::Rendered(recorded)) => recorded,
        Err(Stop::Setup(e)) => return Err(e),
        Err(Stop::Errors(errors, warnings)) => {
            reporter.warnings(&warnings);
            super::print_errors(&errors, reporter);
            if let Some(spill) = &spill {
                spill
                    .discard()
                    .map_err(|e| anyhow::anyhow!("cleaning up {}: {e}", out.display()))?;
            }
            return Ok(Exit::Errors);
        }
    };
    let Some(spill) = spill else {
        anyhow::bail!(
            "internal error: a render into {} without a spill",
            out.display()
        );
    };
    super::print_rendered(&recorded, reporter);
    let rendered = &recorded.rendered;
    let rendered_at = recorded.rendered_at.duration_since(started);
    let stats = spill
        .commit(&rendered.outputs, recorded.sources.as_ref())
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
    Ok(Exit::Ok)
}

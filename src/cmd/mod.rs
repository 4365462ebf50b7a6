//! The commands: the command line (clap derive), one module per command that resolves its
//! arguments into the library's plain options, calls the library and prints what came of it,
//! and [`run`], which dispatches. Only the binary knows clap.

mod backup;
mod build;
mod check;
mod deploys;
mod new;
mod publish;
mod serve;
mod setup;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use bucketpress::error::BuildErrors;
use bucketpress::pipeline::Recorded;
use bucketpress::report::{Exit, Reporter};

/// Render a Markdown blog to plain files and publish only what changed to S3.
#[derive(Debug, Parser)]
#[command(
    name = "bucketpress",
    version,
    about,
    after_help = "Examples:\n  \
        bucketpress new my-blog\n  \
        bucketpress post \"Hello, world\" --tags rust,web\n  \
        bucketpress build --site my-blog\n  \
        bucketpress check\n  \
        bucketpress setup-bucket --to s3://my-bucket --public\n  \
        bucketpress publish --to s3://my-bucket\n  \
        bucketpress publish --dry-run --json\n  \
        bucketpress deploys && bucketpress rollback\n  \
        bucketpress publish --preview pr-42\n  \
        bucketpress backup && bucketpress restore latest /tmp/blog-copy\n\n\
        Exit codes: 0 ok, 1 content or config errors, 2 usage errors, 3 publish failed, \
        4 another publish changed the site first."
)]
pub struct Cli {
    /// Say more (repeat for debug output).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Say only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new site with a sample post.
    #[command(
        after_help = "Example:\n  bucketpress new my-blog && cd my-blog && bucketpress build"
    )]
    New {
        /// The folder to create (must not exist or be empty).
        dir: PathBuf,
    },
    /// Create a new post from its title and print its path.
    #[command(
        after_help = "Example:\n  bucketpress post \"Why I moved my blog to S3\" --tags aws,blogging"
    )]
    Post {
        /// The post's title; the file name (slug) is made from it.
        title: String,
        /// Comma-separated tags.
        #[arg(long, value_delimiter = ',')]
        tags: Vec<String>,
        /// Mark the post as a draft (never published).
        #[arg(long)]
        draft: bool,
        /// The site folder.
        #[arg(long, default_value = ".")]
        site: PathBuf,
    },
    /// Render the site into a folder (default `<site>/public`).
    #[command(
        after_help = "Examples:\n  bucketpress build\n  bucketpress build --site blog --out /tmp/out --drafts"
    )]
    Build(build::BuildArgs),
    /// Validate everything `build` validates, writing nothing: every problem of every file.
    #[command(after_help = "Examples:\n  bucketpress check\n  \
        bucketpress check --urls old-sitemap.xml   # every old URL the new site no longer answers")]
    Check(check::CheckArgs),
    /// Upload only what changed to S3 (or a folder), diffed against the bucket's manifest.
    #[command(
        after_help = "Examples:\n  bucketpress publish --to s3://my-bucket/blog\n  \
        bucketpress publish --dry-run --json\n  \
        bucketpress publish --site example-site --to file:///tmp/site\n\n\
        Exit codes: 0 published or nothing to do, 1 content or config errors, 3 publish \
        failed, 4 another publish changed the site first."
    )]
    Publish(publish::PublishArgs),
    /// List the recorded deploys, newest first (`--json` too).
    Deploys(deploys::DeploysArgs),
    /// Put the site back as it was before a deploy (default: the last one) by server-side
    /// copies from the deploy history: no render, no upload.
    Rollback(deploys::RollbackArgs),
    /// List the previews `publish --preview NAME` made; remove one, or the old ones.
    Previews(deploys::PreviewsArgs),
    /// Create the bucket if missing and set up static website hosting (`--public`: let
    /// everyone read the site).
    SetupBucket(setup::SetupArgs),
    /// Preview the site locally, rebuilding and reloading the browser on every save.
    Serve(serve::ServeArgs),
    /// Store an encrypted, deduplicated snapshot of the site's sources in the bucket
    /// (`--init-key` once first; `--list` shows the snapshots).
    Backup(backup::BackupArgs),
    /// Restore a snapshot (an id or `latest`) into a new or empty folder, verifying every
    /// file.
    Restore(backup::RestoreArgs),
}

/// Which site and which documents.
#[derive(Debug, Clone, Args)]
pub struct SiteArgs {
    /// The site folder (holding site.toml).
    #[arg(long, default_value = ".")]
    pub site: PathBuf,
    /// Include drafts.
    #[arg(long)]
    pub drafts: bool,
    /// Include posts dated in the future.
    #[arg(long)]
    pub future: bool,
    /// Override base_url from site.toml.
    #[arg(long)]
    pub base_url: Option<String>,
    /// Unknown shortcodes, Liquid tags and variables in posts are warnings, their source
    /// shown marked on the page, instead of errors (a first look at a migrated blog).
    #[arg(long)]
    pub lenient: bool,
}

impl SiteArgs {
    /// The pipeline's options from these flags.
    pub fn build_options(&self) -> bucketpress::pipeline::BuildOptions {
        bucketpress::pipeline::BuildOptions {
            drafts: self.drafts,
            future: self.future,
            base_url: self.base_url.clone(),
            lenient: self.lenient,
        }
    }
}

/// Runs `command`; the exit code says how it went (errors are printed, or returned for
/// `main` to print).
pub fn run(command: Command, reporter: Reporter) -> anyhow::Result<Exit> {
    match command {
        Command::New { dir } => new::new_site(&dir, reporter),
        Command::Post {
            title,
            tags,
            draft,
            site,
        } => new::new_post(&site, &title, &tags, draft),
        Command::Build(args) => build::run(&args, reporter),
        Command::Check(args) => check::run(&args, reporter),
        Command::Publish(args) => publish::run(&args, reporter.quiet, reporter.verbose),
        Command::Deploys(args) => deploys::run_deploys(&args, reporter.quiet),
        Command::Rollback(args) => deploys::run_rollback(&args, reporter.quiet),
        Command::Previews(args) => deploys::run_previews(&args, reporter.quiet),
        Command::SetupBucket(args) => setup::run(&args, reporter.quiet),
        Command::Serve(args) => serve::run(&args, reporter),
        Command::Backup(args) => backup::run_backup(&args, reporter),
        Command::Restore(args) => backup::run_restore(&args, reporter),
    }
}

/// A multi-threaded tokio runtime for a command that talks to the network.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Prints a failed render's errors, the same problem at the same place once with a count of
/// pages, and the closing line.
fn print_errors(errors: &BuildErrors, reporter: Reporter) {
    let lines = bucketpress::error::grouped(&errors.0);
    for line in &lines {
        reporter.error(line);
    }
    reporter.error(format!(
        "{} problem{} found; nothing was written",
        bucketpress::error::thousands(lines.len()),
        if lines.len() == 1 { "" } else { "s" }
    ));
}

/// What a good render says before its command goes on: its stages (`-vv`), its warnings.
fn print_rendered(recorded: &Recorded, reporter: Reporter) {
    tracing::debug!("render stages: {}", recorded.session.stages());
    reporter.warnings(&recorded.rendered.warnings);
}

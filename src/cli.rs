//! The command line (clap derive). Parsing only: `main.rs` dispatches.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
    Build(BuildArgs),
    /// Validate everything `build` validates, writing nothing: every problem of every file.
    #[command(after_help = "Examples:\n  bucketpress check\n  \
        bucketpress check --urls old-sitemap.xml   # every old URL the new site no longer answers")]
    Check(CheckArgs),
    /// Upload only what changed to S3 (or a folder), diffed against the bucket's manifest.
    #[command(
        after_help = "Examples:\n  bucketpress publish --to s3://my-bucket/blog\n  \
        bucketpress publish --dry-run --json\n  \
        bucketpress publish --site example-site --to file:///tmp/site\n\n\
        Exit codes: 0 published or nothing to do, 1 content or config errors, 3 publish \
        failed, 4 another publish changed the site first."
    )]
    Publish(crate::publish::command::PublishArgs),
    /// List the recorded deploys, newest first (`--json` too).
    Deploys(crate::publish::deploys::command::DeploysArgs),
    /// Put the site back as it was before a deploy (default: the last one) by server-side
    /// copies from the deploy history: no render, no upload.
    Rollback(crate::publish::deploys::command::RollbackArgs),
    /// List the previews `publish --preview NAME` made; remove one, or the old ones.
    Previews(crate::publish::deploys::command::PreviewsArgs),
    /// Create the bucket if missing and set up static website hosting (`--public`: let
    /// everyone read the site).
    SetupBucket(crate::publish::setup::SetupArgs),
    /// Preview the site locally, rebuilding and reloading the browser on every save.
    Serve(crate::serve::ServeArgs),
    /// Store an encrypted, deduplicated snapshot of the site's sources in the bucket
    /// (`--init-key` once first; `--list` shows the snapshots).
    Backup(crate::backup::command::BackupArgs),
    /// Restore a snapshot (an id or `latest`) into a new or empty folder, verifying every
    /// file.
    Restore(crate::backup::command::RestoreArgs),
}

/// `check`'s arguments.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Which site and which documents.
    #[command(flatten)]
    pub site: SiteArgs,
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
    pub fn build_options(&self) -> crate::pipeline::BuildOptions {
        crate::pipeline::BuildOptions {
            drafts: self.drafts,
            future: self.future,
            base_url: self.base_url.clone(),
            lenient: self.lenient,
        }
    }
}

/// `build` flags.
#[derive(Debug, Clone, Args)]
pub struct BuildArgs {
    /// Site selection.
    #[command(flatten)]
    pub site: SiteArgs,
    /// The output folder (default `<site>/public`).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

//! `bucketpress setup-bucket`: its arguments; resolve the site's `[publish]` section and the
//! flags into a [`Setup`], run it against the store, print the steps and the notes.

use bucketpress::report::Exit;
use std::path::PathBuf;

use bucketpress::config::{Config, PublishConfig};
use bucketpress::publish::TargetSpec;
use bucketpress::publish::bucket_rules::website_url;
use bucketpress::publish::s3::{S3Settings, S3Target, load_sdk_config};
use bucketpress::publish::setup::{Setup, State, Step, setup};

/// Arguments of `bucketpress setup-bucket`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:\n  \
    bucketpress setup-bucket --to s3://my-blog --public --dry-run\n  \
    bucketpress setup-bucket --site my-blog --public\n\n\
    Exit codes: 0 done (or nothing to do), 1 config errors, 2 usage, 3 a request failed.")]
pub struct SetupArgs {
    /// The site folder (its [publish] section gives bucket, prefix, region, endpoint).
    #[arg(long, default_value = ".")]
    pub site: PathBuf,
    /// The bucket and prefix: s3://bucket/prefix (default: publish.bucket and publish.prefix).
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    /// Let everyone read the site prefix (relaxes the bucket's public access block and adds a
    /// public-read bucket policy; `.bucketpress/` stays private).
    #[arg(long)]
    pub public: bool,
    /// Print the requests it would send; send no write request.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace the bucket's error document when it is another one (it is bucket-wide: every
    /// prefix's missing pages get it); without this flag a different one is kept, with a
    /// warning.
    #[arg(long)]
    pub replace_error_document: bool,
    /// The AWS profile to take credentials from (default: publish.profile).
    #[arg(long)]
    pub profile: Option<String>,
}

/// Runs `setup-bucket` on its own tokio runtime; prints the steps on stdout, errors on
/// stderr, and returns the exit code (0 done, 1 config errors, 3 a request failed).
pub fn run(args: &SetupArgs, quiet: bool) -> anyhow::Result<Exit> {
    super::runtime()?.block_on(run_async(args, quiet))
}

/// [`run`] inside the runtime.
async fn run_async(args: &SetupArgs, quiet: bool) -> anyhow::Result<Exit> {
    let config_missing = !args.site.join(bucketpress::config::CONFIG_FILE).is_file();
    let mut cfg = if config_missing && args.to.is_some() {
        PublishConfig::default()
    } else {
        match Config::load(&args.site) {
            Ok(loaded) => loaded.config.publish,
            Err(d) => {
                eprintln!("error: {d}");
                return Ok(Exit::Errors);
            }
        }
    };
    if let Some(p) = &args.profile {
        cfg.profile = Some(p.clone());
    }
    let spec = match TargetSpec::resolve(args.to.as_deref(), &cfg) {
        Ok(spec) => spec,
        Err(msg) => {
            eprintln!("error: {msg}");
            return Ok(Exit::Errors);
        }
    };
    let Some((bucket, prefix)) = spec.s3().map(|(b, p)| (b.to_string(), p.to_string())) else {
        eprintln!("error: setup-bucket needs an s3:// target");
        return Ok(Exit::Errors);
    };
    let settings = S3Settings::from_config(&bucket, &prefix, &cfg);
    let sdk = load_sdk_config(&settings).await;
    // The target's client: its retries print a line each, and its timeouts are publish's.
    let target = S3Target::from_sdk(&sdk, &settings);
    target.set_quiet(quiet);
    let client = target.client().clone();
    let names = if args.public && !config_missing {
        site_names(&args.site)
    } else {
        Vec::new()
    };
    let s = Setup {
        region: client
            .config()
            .region()
            .map(ToString::to_string)
            .unwrap_or_default(),
        region_configured: settings.region.is_some() || sdk.region().is_some(),
        custom_endpoint: settings.endpoint.is_some(),
        path_style: settings.path_style,
        bucket,
        prefix,
        public: args.public,
        dry_run: args.dry_run,
        replace_error_document: args.replace_error_document,
        names,
    };
    match setup(&client, &s).await {
        Ok(steps) => {
            print_steps(&s, &steps, quiet);
            Ok(Exit::Ok)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(Exit::Failed)
        }
    }
}

/// The top-level names of the site's outputs (what publish would upload), for the public
/// policy; none when the site does not render (the names already in the bucket still count).
fn site_names(site: &std::path::Path) -> Vec<String> {
    let options = bucketpress::pipeline::BuildOptions {
        drafts: false,
        future: false,
        base_url: None,
        lenient: false,
    };
    match bucketpress::pipeline::render_site(site, &options) {
        Ok(rendered) => {
            bucketpress::publish::bucket_rules::top_level_names(rendered.outputs.keys())
        }
        Err(_) => {
            eprintln!(
                "note: the site does not render: the public policy opens only what the bucket \
                 already holds (run setup-bucket --public again after the first publish)"
            );
            Vec::new()
        }
    }
}

fn print_steps(s: &Setup, steps: &[Step], quiet: bool) {
    for step in steps {
        bucketpress::report::stdout_line(step);
        if s.dry_run
            && step.state == State::WouldDo
            && let Some(doc) = &step.document
        {
            bucketpress::report::stdout_line(doc);
        }
    }
    match website_url(&s.bucket, &s.region, &s.prefix, s.custom_endpoint) {
        Some(url) => bucketpress::report::stdout_line(format!("website: {url}")),
        None if !quiet => eprintln!(
            "note: a custom endpoint: the website URL depends on the store (R2: a public bucket \
             or custom domain; MinIO/Garage: their web gateway)"
        ),
        None => {}
    }
    if quiet {
        return;
    }
    if s.public {
        eprintln!(
            "note: the policy grants s3:GetObject on the site's top-level files and folders \
             under {}, one by one, so {}.bucketpress/ (the publish manifest) stays private; \
             run setup-bucket --public again when the site gets a new top-level folder",
            if s.prefix.is_empty() {
                "the bucket root"
            } else {
                &s.prefix
            },
            s.prefix
        );
    } else {
        eprintln!(
            "note: the bucket stays private; pass --public to serve it from the website \
             endpoint, or put CloudFront with Origin Access Control in front (docs/ci.md)"
        );
    }
    if s.dry_run {
        eprintln!("dry run: no write request was sent");
    }
}

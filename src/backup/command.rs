//! `bucketpress backup` and `bucketpress restore`: arguments, where the backups live, the
//! connection (the same [`S3Settings`] and client as publish), and the printed lines.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{BackupError, BackupKey, Store, key, restore, run, verify};
use crate::config::Config;
use crate::content::load::Filter;
use crate::publish::TargetSpec;
use crate::publish::manifest::RESERVED_PREFIX;
use crate::publish::s3::{self, S3Settings, S3Target};
use crate::report::Reporter;

/// Where backups go and how to connect (shared by `backup` and `restore`).
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// The site folder (holding site.toml; its [publish] and [backup] sections say where the
    /// backups are).
    #[arg(long, default_value = ".")]
    pub site: PathBuf,
    /// The backup location (default: backup.bucket/backup.prefix in site.toml, else the
    /// publish bucket under `<publish prefix>.bucketpress/backups/`).
    #[arg(long, value_name = "s3://BUCKET/PREFIX", visible_alias = "from")]
    pub to: Option<String>,
    /// The backup key file (default: $BUCKETPRESS_BACKUP_KEY_FILE, else
    /// ~/.config/bucketpress/backup-key.txt).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// The AWS profile (default: publish.profile in site.toml, then AWS_PROFILE).
    #[arg(long)]
    pub profile: Option<String>,
    /// Requests in flight.
    #[arg(long, value_name = "N", default_value_t = 16,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
}

/// Arguments of `bucketpress backup`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:\n  \
    bucketpress backup --init-key        # once: create the key, then copy it somewhere safe\n  \
    bucketpress backup                   # snapshot site.toml, content/, templates/, static/\n  \
    bucketpress backup --list\n  \
    bucketpress backup --check --full   # prove every snapshot restorable (reads every chunk)\n  \
    bucketpress backup --to s3://my-backups/blog/\n\n\
    Exit codes: 0 done, 1 key, usage or config problems, 3 the store failed or --check found \
    damaged snapshots.")]
pub struct BackupArgs {
    /// Location, key and connection.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Create a new backup key file (mode 0600; never overwrites one) and stop.
    #[arg(long, conflicts_with = "list")]
    pub init_key: bool,
    /// List the snapshots (id, date, files, size) instead of taking one.
    #[arg(long)]
    pub list: bool,
    /// Check that every snapshot can be restored instead of taking one: every chunk each
    /// snapshot refers to is in the bucket as recorded when it was uploaded (one listing and
    /// one GET per snapshot). Exits 3 naming the damaged snapshots and chunks.
    #[arg(long, conflicts_with_all = ["list", "init_key"])]
    pub check: bool,
    /// With --check: also download, decrypt and verify the hash of every chunk.
    #[arg(long, requires = "check")]
    pub full: bool,
}

/// Arguments of `bucketpress restore`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:\n  \
    bucketpress restore latest ../blog-restored\n  \
    bucketpress restore 20261201T065012.345Z /tmp/old --from s3://my-backups/blog/ --key k.txt\n\n\
    Exit codes: 0 restored, 1 key, usage or config problems (or a non-empty folder), 3 the \
    store failed or the backup is damaged (nothing is left in the folder).")]
pub struct RestoreArgs {
    /// The snapshot id, or `latest`.
    pub snapshot: String,
    /// The folder to restore into (must not exist or be empty).
    pub dir: PathBuf,
    /// Location, key and connection.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Where the backups of a site live: `--to`, else `[backup]`, else
/// `<publish prefix>.bucketpress/backups/` in the publish bucket. A location that would lie
/// inside the published (possibly public) site but outside its private `.bucketpress/` is
/// refused.
pub fn resolve_location(to: Option<&str>, config: &Config) -> Result<(String, String), String> {
    let publish = &config.publish;
    let publish_prefix = s3::normalize_prefix(&publish.prefix);
    let (bucket, prefix) = match to {
        Some(url) => match TargetSpec::parse(url)? {
            TargetSpec::S3 { bucket, prefix } => (bucket, prefix),
            TargetSpec::Dir(_) => return Err(format!("{url:?}: backups go to s3:// only")),
        },
        None if !config.backup.bucket.is_empty() || !config.backup.prefix.is_empty() => {
            let bucket = if config.backup.bucket.is_empty() {
                publish.bucket.clone()
            } else {
                config.backup.bucket.clone()
            };
            (bucket, s3::normalize_prefix(&config.backup.prefix))
        }
        None => (
            publish.bucket.clone(),
            format!("{publish_prefix}{RESERVED_PREFIX}backups/"),
        ),
    };
    if bucket.is_empty() {
        return Err(
            "nowhere to back up to: pass --to s3://bucket/prefix, or set bucket in \
                    the [backup] or [publish] section of site.toml"
                .into(),
        );
    }
    let private = format!("{publish_prefix}{RESERVED_PREFIX}");
    if bucket == publish.bucket
        && prefix.starts_with(&publish_prefix)
        && !prefix.starts_with(&private)
    {
        return Err(format!(
            "backup location s3://{bucket}/{prefix} is inside the published site \
             (s3://{bucket}/{publish_prefix}), which setup-bucket --public makes readable by \
             everyone: use a prefix under {private} or outside the site"
        ));
    }
    Ok((bucket, prefix))
}

/// The site's configuration: site.toml when there is one; without it the defaults (a restore
/// onto a new machine names the location with `--from`).
fn load_config(site: &Path) -> Result<Config, BackupError> {
    if !site.join(crate::config::CONFIG_FILE).exists() {
        return Ok(Config::default());
    }
    Config::load(site)
        .map(|l| l.config)
        .map_err(|d| BackupError::Usage(d.to_string()))
}

/// Connects to the backup location of `args` with `[publish]`'s connection settings.
async fn open(args: &StoreArgs, config: &Config) -> Result<Store, BackupError> {
    let key_path = key::key_path(args.key.as_deref())?;
    let key = BackupKey::load(&key_path)?;
    let (bucket, prefix) =
        resolve_location(args.to.as_deref(), config).map_err(BackupError::Usage)?;
    let mut cfg = config.publish.clone();
    if let Some(p) = &args.profile {
        cfg.profile = p.clone();
    }
    let settings = S3Settings::from_config(&bucket, &prefix, &cfg);
    Ok(Store::new(S3Target::connect(&settings).await, key))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn finish(result: Result<(), BackupError>, reporter: Reporter) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            reporter.error(&e);
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs `backup` (or `--init-key`, `--list`); errors are printed here.
pub fn run_backup(args: &BackupArgs, reporter: Reporter) -> anyhow::Result<ExitCode> {
    if args.init_key {
        let result = key::key_path(args.store.key.as_deref()).and_then(|path| {
            let key = BackupKey::init(&path)?;
            reporter.status(format!(
                "created backup key {} (public key {}); copy it somewhere safe: without it \
                 the backups cannot be read",
                path.display(),
                key.public_key()
            ));
            Ok(())
        });
        return Ok(finish(result, reporter));
    }
    let result = runtime()?.block_on(async {
        let config = load_config(&args.store.site)?;
        let store = open(&args.store, &config).await?;
        if args.list {
            for s in run::list(&store).await? {
                crate::report::stdout_line(format!(
                    "{}  {}  {:>6} files  {}",
                    s.id,
                    s.created,
                    s.files,
                    bytesize::ByteSize::b(s.bytes)
                ));
            }
            return Ok(());
        }
        if args.check {
            let r = verify::check(&store, args.full).await?;
            let read = match args.full {
                true => format!(", all {} read, decrypted and verified", r.read),
                false => String::new(),
            };
            reporter.status(format!(
                "check: {} snapshots, {} chunks, every chunk in place as recorded{read}; every \
                 snapshot is restorable ({} requests) → {}",
                r.snapshots,
                r.chunks,
                r.requests,
                store.location()
            ));
            return Ok(());
        }
        let filter = Filter::new(&config.exclude);
        let concurrency = usize::from(args.store.concurrency);
        let r = run::backup(&store, &args.store.site, &filter, concurrency).await?;
        let replaced = match r.replaced {
            0 => String::new(),
            n => format!(
                " ({n} of them stored before but not as recorded, or never recorded: uploaded again)"
            ),
        };
        reporter.status(format!(
            "snapshot {}: {} files, {}; uploaded {} of {} chunks ({}){replaced} in {:.2} s, {} \
             requests → {}",
            r.id,
            r.files,
            bytesize::ByteSize::b(r.bytes),
            r.uploaded,
            r.chunks,
            bytesize::ByteSize::b(r.uploaded_bytes),
            r.seconds,
            r.requests,
            store.location()
        ));
        Ok(())
    });
    Ok(finish(result, reporter))
}

/// Runs `restore`; errors are printed here.
pub fn run_restore(args: &RestoreArgs, reporter: Reporter) -> anyhow::Result<ExitCode> {
    let result = runtime()?.block_on(async {
        let config = load_config(&args.store.site)?;
        let store = open(&args.store, &config).await?;
        let concurrency = usize::from(args.store.concurrency);
        let r = restore::restore(&store, &args.snapshot, &args.dir, concurrency).await?;
        reporter.status(format!(
            "restored snapshot {}: {} files, {} into {} in {:.2} s ({} requests), every file verified",
            r.id,
            r.files,
            bytesize::ByteSize::b(r.bytes),
            args.dir.display(),
            r.seconds,
            r.requests
        ));
        Ok(())
    });
    Ok(finish(result, reporter))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(bucket: &str, prefix: &str) -> Config {
        let mut c = Config::default_for_test();
        c.publish.bucket = bucket.into();
        c.publish.prefix = prefix.into();
        c
    }

    #[test]
    fn backups_default_to_the_private_prefix() {
        let loc = |to: Option<&str>, c: &Config| resolve_location(to, c);
        assert_eq!(
            loc(None, &config("b", "")).unwrap(),
            ("b".into(), ".bucketpress/backups/".into())
        );
        assert_eq!(
            loc(None, &config("b", "blog")).unwrap(),
            ("b".into(), "blog/.bucketpress/backups/".into())
        );
        assert_eq!(
            loc(Some("s3://other/x"), &config("b", "")).unwrap(),
            ("other".into(), "x/".into())
        );
        let mut c = config("b", "blog");
        c.backup.prefix = "backups".into();
        assert_eq!(loc(None, &c).unwrap(), ("b".into(), "backups/".into()));
        c.backup.bucket = "vault".into();
        assert_eq!(loc(None, &c).unwrap(), ("vault".into(), "backups/".into()));
        assert!(loc(None, &config("", "")).is_err());
        assert!(loc(Some("file:///tmp/x"), &config("b", "")).is_err());
    }

    #[test]
    fn backups_inside_the_public_site_are_refused() {
        let err = resolve_location(Some("s3://b/backups"), &config("b", "")).unwrap_err();
        assert!(err.contains("inside the published site"), "{err}");
        assert!(resolve_location(Some("s3://b/blog/old"), &config("b", "blog")).is_err());
        assert!(resolve_location(Some("s3://b/blog-backups"), &config("b", "blog")).is_ok());
        assert!(resolve_location(Some("s3://b/.bucketpress/mine"), &config("b", "")).is_ok());
        assert!(resolve_location(Some("s3://c/backups"), &config("b", "")).is_ok());
    }
}

//! `bucketpress backup` and `bucketpress restore`: their arguments, the runs over the
//! library's backup store ([`bucketpress::backup`]), and the printed lines.

use bucketpress::report::Exit;
use std::path::PathBuf;

use bucketpress::backup::location::{StoreOptions, open, site_config};
use bucketpress::backup::{BackupError, BackupKey, key, restore, run, verify};
use bucketpress::content::load::Filter;
use bucketpress::report::Reporter;

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

impl StoreArgs {
    /// The library's options from these flags.
    fn options(&self) -> StoreOptions {
        StoreOptions {
            to: self.to.clone(),
            key: self.key.clone(),
            profile: self.profile.clone(),
        }
    }
}

fn finish(result: Result<(), BackupError>, reporter: Reporter) -> Exit {
    match result {
        Ok(()) => Exit::Ok,
        Err(e) => {
            reporter.error(&e);
            Exit::from_code(e.exit_code())
        }
    }
}

/// Runs `backup` (or `--init-key`, `--list`); errors are printed here.
pub fn run_backup(args: &BackupArgs, reporter: Reporter) -> anyhow::Result<Exit> {
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
    let result = super::runtime()?.block_on(async {
        let config = site_config(&args.store.site)?;
        let store = open(&args.store.options(), &config).await?;
        if args.list {
            for s in run::list(&store).await? {
                bucketpress::report::stdout_line(format!(
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
pub fn run_restore(args: &RestoreArgs, reporter: Reporter) -> anyhow::Result<Exit> {
    let result = super::runtime()?.block_on(async {
        let config = site_config(&args.store.site)?;
        let store = open(&args.store.options(), &config).await?;
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

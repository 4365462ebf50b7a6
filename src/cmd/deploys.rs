//! `bucketpress deploys`, `rollback` and `previews`: their arguments, the runs over the
//! library's deploy history, and what they print.

use bucketpress::report::Exit;
use std::path::PathBuf;

use serde_json::json;

use bucketpress::config::{Config, PublishConfig};
use bucketpress::publish::TargetSpec;
use bucketpress::publish::cloudfront;
use bucketpress::publish::deploys::record::{self, Deploy, Kind, Status};
use bucketpress::publish::deploys::rollback::{
    RollbackError, RollbackOptions, RollbackReport, rollback,
};
use bucketpress::publish::plan::{Action, Plan, Reason, Step};
use bucketpress::publish::preview;
use bucketpress::publish::target::{Target, TargetError};

/// Where the site is: its folder (for site.toml) and its target.
#[derive(Debug, Clone, clap::Args)]
pub struct SiteTarget {
    /// The site folder (holding site.toml).
    #[arg(long, default_value = ".")]
    pub site: PathBuf,
    /// Where the site is published: s3://bucket/prefix or file:///dir (default: publish.bucket
    /// and publish.prefix in site.toml).
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    /// The AWS profile to take credentials from (default: publish.profile in site.toml).
    #[arg(long)]
    pub profile: Option<String>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `bucketpress deploys`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:\n  bucketpress deploys\n  bucketpress deploys --json")]
pub struct DeploysArgs {
    /// Which site.
    #[command(flatten)]
    pub at: SiteTarget,
}

/// Arguments of `bucketpress rollback`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:\n  \
    bucketpress rollback                            # undo the last deploy\n  \
    bucketpress rollback 20261207T130509123Z-1a2b   # the site as it was before that deploy\n  \
    bucketpress rollback --dry-run\n\n\
    Rolling back again undoes the deploy before; rolling back a rollback (by its id) redoes \
    what it undid. Exit codes: 0 rolled back or nothing to do, 1 config errors, 2 no such \
    deploy, 3 failed (run it again to finish), 4 another publish changed the site first.")]
pub struct RollbackArgs {
    /// The deploy to undo, with every deploy after it (default: the last one not rolled back).
    pub id: Option<String>,
    /// Which site.
    #[command(flatten)]
    pub at: SiteTarget,
    /// Show what would be restored and deleted; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Refuse to delete more objects than this (default: publish.max_deletes in site.toml).
    #[arg(long, value_name = "N")]
    pub max_deletes: Option<usize>,
}

/// Arguments of `bucketpress previews`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:\n  \
    bucketpress publish --preview pr-42    # publish a preview, print its URL\n  \
    bucketpress previews\n  \
    bucketpress previews --remove pr-42\n  \
    bucketpress previews --prune --older-than 14d")]
pub struct PreviewsArgs {
    /// Which site.
    #[command(flatten)]
    pub at: SiteTarget,
    /// Remove this preview.
    #[arg(long, value_name = "NAME", conflicts_with = "prune")]
    pub remove: Option<String>,
    /// Remove previews not written for `--older-than`.
    #[arg(long, requires = "older_than")]
    pub prune: bool,
    /// The age for `--prune`: a number and s, m, h, d or w (`14d`).
    #[arg(long, value_name = "AGE", value_parser = preview::parse_age)]
    pub older_than: Option<i64>,
}

/// The configuration and target of `at`, or the exit code of the error (printed).
fn resolve(at: &SiteTarget) -> Result<(Config, PublishConfig, TargetSpec), Exit> {
    let config = match Config::load(&at.site) {
        Ok(loaded) => loaded.config,
        Err(d) => {
            eprintln!("error: {d}");
            return Err(Exit::Errors);
        }
    };
    let mut cfg = config.publish.clone();
    if let Some(p) = &at.profile {
        cfg.profile = Some(p.clone());
    }
    match TargetSpec::resolve(at.to.as_deref(), &cfg) {
        Ok(spec) => Ok((config, cfg, spec)),
        Err(e) => {
            eprintln!("error: {e}");
            Err(Exit::Usage)
        }
    }
}

/// Runs `deploys`: one line per recorded deploy, newest first.
pub fn run_deploys(args: &DeploysArgs, quiet: bool) -> anyhow::Result<Exit> {
    let (_, cfg, spec) = match resolve(&args.at) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let listed = super::runtime()?.block_on(async {
        let target = spec.connect(&cfg, quiet).await;
        bucketpress::publish::deploys::list(&target).await
    });
    let records = match listed {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(Exit::Failed);
        }
    };
    if args.at.json {
        let deploys: Vec<_> = records.iter().rev().map(deploy_json).collect();
        bucketpress::report::stdout_line(json!({
            "version": 1,
            "target": spec.to_string(),
            "deploys": deploys,
        }));
    } else if records.is_empty() {
        eprintln!("no deploys recorded at {spec}");
    } else {
        for d in records.iter().rev() {
            bucketpress::report::stdout_line(deploy_line(d));
        }
    }
    Ok(Exit::Ok)
}

/// A deploy in `deploys --json`: the record without its per-key before-states.
fn deploy_json(d: &Deploy) -> serde_json::Value {
    json!({
        "id": d.id,
        "time": d.time,
        "kind": match &d.kind { Kind::Publish => "publish", Kind::Rollback { .. } => "rollback" },
        "rollback_to": match &d.kind { Kind::Rollback { to } => Some(to), Kind::Publish => None },
        "status": d.status,
        "commit": d.commit,
        "message": d.message,
        "uploaded": d.uploaded,
        "deleted": d.deleted,
        "unchanged": d.unchanged,
        "changed": d.written().collect::<Vec<_>>(),
        "removed": d.removed().collect::<Vec<_>>(),
    })
}

/// `20261207T130509123Z-1a2b  2026-12-07T13:05:09Z  publish   done  3 written, 1 deleted  abc1234 Fix typo`.
pub fn deploy_line(d: &Deploy) -> String {
    let what = match &d.kind {
        Kind::Publish => "publish".to_string(),
        Kind::Rollback { to } => format!("rollback to before {to}"),
    };
    let status = match d.status {
        Status::Started => "unfinished",
        Status::Done => "done",
        Status::Failed => "failed",
        Status::Conflict => "lost a race",
    };
    let commit = match (&d.commit, &d.message) {
        (Some(c), Some(m)) => format!("  {} {m}", &c[..c.len().min(7)]),
        _ => String::new(),
    };
    format!(
        "{}  {}  {what}  {status}  {} written, {} deleted{commit}",
        d.id,
        d.time,
        d.written().count(),
        d.removed().count()
    )
}

/// Runs `rollback`; exit codes as in its help.
pub fn run_rollback(args: &RollbackArgs, quiet: bool) -> anyhow::Result<Exit> {
    let (config, cfg, spec) = match resolve(&args.at) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    if let Some(id) = &args.id
        && !record::is_id(id)
    {
        eprintln!("error: {id:?} is not a deploy id (see `bucketpress deploys`)");
        return Ok(Exit::Usage);
    }
    let opts = RollbackOptions {
        to: args.id.clone(),
        max_deletes: args.max_deletes.unwrap_or(cfg.max_deletes),
        concurrency: cfg.concurrency,
        dry_run: args.dry_run,
        keep_deploys: cfg.keep_deploys,
    };
    let (result, invalidation) = super::runtime()?.block_on(async {
        let target = spec.connect(&cfg, quiet).await;
        let result = run_on(&target, &opts).await;
        let invalidation = match (&result, target.cdn(&cfg)) {
            (Ok(r), Some(cdn)) => Some(
                cdn.after_publish(&as_plan(r), &config.base_url, args.dry_run)
                    .await,
            ),
            _ => None,
        };
        (result, invalidation)
    });
    let code = match &result {
        Ok(_) => 0,
        Err(e) => e.exit_code(),
    };
    if args.at.json {
        let (status, report, error) = match &result {
            Ok(r) if r.plan.is_empty() && !r.resumed => ("nothing_to_do", Some(r), None),
            Ok(r) if args.dry_run => ("planned", Some(r), None),
            Ok(r) => ("rolled_back", Some(r), None),
            Err(e) if code == 4 => ("conflict", None, Some(e.to_string())),
            Err(e) => ("failed", None, Some(e.to_string())),
        };
        bucketpress::report::stdout_line(json!({
            "version": 1,
            "target": spec.to_string(),
            "dry_run": args.dry_run,
            "status": status,
            "error": error,
            "rollback": report,
            "invalidation": invalidation,
        }));
    } else if let Ok(r) = &result {
        if args.dry_run {
            for restore in &r.plan.restores {
                bucketpress::report::stdout_line(format!(
                    "restore {} (from {})",
                    restore.key, restore.from
                ));
            }
            for key in &r.plan.deletes {
                bucketpress::report::stdout_line(format!("delete {key}"));
            }
        }
        if !quiet {
            eprintln!("{}", rollback_line(&spec, args.dry_run, r));
            if let Some(line) = invalidation
                .as_ref()
                .and_then(bucketpress::publish::lines::invalidation_line)
            {
                eprintln!("{line}");
            }
        }
    }
    if let Some(warning) = invalidation
        .as_ref()
        .and_then(cloudfront::Invalidation::warning)
    {
        eprintln!("warning: {warning}");
    }
    if let Err(e) = &result {
        eprintln!("error: {e}");
    }
    Ok(Exit::from_code(code))
}

/// A dry run returns before its first write ([`rollback`] checks `opts.dry_run`).
async fn run_on<T: Target>(
    target: &T,
    opts: &RollbackOptions,
) -> Result<RollbackReport, RollbackError> {
    rollback(target, opts).await
}

/// The closing line of a rollback.
pub fn rollback_line(spec: &TargetSpec, dry_run: bool, r: &RollbackReport) -> String {
    let p = &r.plan;
    if p.is_empty() && !r.resumed {
        return format!(
            "nothing to do: {spec} already is as it was before deploy {}",
            p.to
        );
    }
    let verb = if dry_run {
        "would roll back"
    } else {
        "rolled back"
    };
    let resumed = if r.resumed {
        " (finishing an interrupted rollback)"
    } else {
        ""
    };
    let id = r
        .deploy
        .as_deref()
        .map(|id| format!(" as deploy {id}"))
        .unwrap_or_default();
    format!(
        "{verb} {spec} to before deploy {}{resumed}: {} restored, {} deleted, {} unchanged, in {:.2} s ({} requests){id}",
        p.to,
        if dry_run {
            p.restores.len()
        } else {
            r.restored
        },
        if dry_run { p.deletes.len() } else { r.deleted },
        p.unchanged,
        r.seconds,
        r.requests
    )
}

/// The rollback's changed keys as a plan, for the CloudFront paths.
fn as_plan(r: &RollbackReport) -> Plan {
    let step = |key: &str, action| Step {
        key: key.to_string(),
        action,
        reason: Reason::ContentChanged,
        size: 0,
        kind: None,
    };
    Plan {
        actions: r
            .plan
            .restores
            .iter()
            .map(|x| step(&x.key, Action::Upload))
            .chain(r.plan.deletes.iter().map(|k| step(k, Action::Delete)))
            .collect(),
        ..Plan::default()
    }
}

/// Runs `previews`: lists them, or removes one (`--remove`) or the old ones (`--prune`).
pub fn run_previews(args: &PreviewsArgs, quiet: bool) -> anyhow::Result<Exit> {
    let (config, cfg, spec) = match resolve(&args.at) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    if let Some(name) = &args.remove
        && let Err(e) = preview::check_name(name)
    {
        eprintln!("error: {e}");
        return Ok(Exit::Usage);
    }
    let now = chrono::Utc::now().timestamp();
    let result = super::runtime()?.block_on(async {
        let target = spec.connect(&cfg, quiet).await;
        previews_on(&target, args, &cfg.previews_prefix, now).await
    });
    let (listed, removed) = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(Exit::Failed);
        }
    };
    let url = |name: &str| preview::base_url(&config.base_url, &cfg.previews_prefix, name);
    if args.at.json {
        let previews: Vec<_> = listed
            .iter()
            .map(|p| json!({"name": p.name, "objects": p.objects, "updated": p.updated, "url": url(&p.name)}))
            .collect();
        bucketpress::report::stdout_line(json!({
            "version": 1,
            "target": spec.to_string(),
            "previews": previews,
            "removed": removed,
        }));
        return Ok(Exit::Ok);
    }
    for (name, objects) in &removed {
        if !quiet {
            eprintln!("removed preview {name} ({objects} objects)");
        }
    }
    if args.remove.is_none() && !args.prune {
        for p in &listed {
            let updated = p
                .updated
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                .map_or("-".to_string(), |t| {
                    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                });
            bucketpress::report::stdout_line(format!(
                "{}  {}  {} objects  {}",
                p.name,
                updated,
                p.objects,
                url(&p.name)
            ));
        }
        if listed.is_empty() && !quiet {
            eprintln!("no previews at {spec}");
        }
    }
    Ok(Exit::Ok)
}

/// Lists the previews, then removes what `args` asks; returns the previews left and
/// (name, objects) of each removed one.
async fn previews_on<T: Target>(
    target: &T,
    args: &PreviewsArgs,
    prefix: &str,
    now: i64,
) -> Result<(Vec<preview::PreviewInfo>, Vec<(String, usize)>), TargetError> {
    let listed = preview::list(target, prefix).await?;
    let doomed: Vec<String> = match (&args.remove, args.older_than) {
        (Some(name), _) => vec![name.clone()],
        (None, Some(age)) if args.prune => preview::stale(&listed, now, age),
        _ => Vec::new(),
    };
    let mut removed = Vec::new();
    for name in doomed {
        let n = preview::remove(target, prefix, &name).await?;
        removed.push((name, n));
    }
    let left = listed
        .into_iter()
        .filter(|p| !removed.iter().any(|(n, _)| *n == p.name))
        .collect();
    Ok((left, removed))
}

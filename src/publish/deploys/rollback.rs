//! Applying a rollback: server-side copies from the history and deletes, in a publish's safe
//! order and under its conditional manifest writes; recorded as a deploy of its own.
//!
//! Order: keep what the rollback overwrites (into its own history, so it can be rolled back
//! too), record the deploy, write the manifest with the keys it touches marked
//! [`UNKNOWN_HASH`] and itself as the pending rollback (conditional on the manifest read: a
//! concurrent publish makes this exit 4 before any live key changed), copy (assets, then
//! pages), write the final manifest (conditional) listing the deletes as pending, delete,
//! clear them. Killed at any point, the site converges: `rollback` again resumes the recorded
//! one, and a `publish` re-uploads every marked key.

use std::time::Instant;

use futures::StreamExt;
use serde::Serialize;

use super::record::{Change, Deploy, Kind, Status};
use super::undo::{self, Restore, UndoError, UndoPlan, is_page};
use super::{keep, prune, write};
use crate::publish::manifest::{Manifest, ManifestError, UNKNOWN_HASH};
use crate::publish::target::{Etag, Target, TargetError};

/// What to roll back and how.
#[derive(Debug, Clone)]
pub struct RollbackOptions {
    /// Restore the site as it was before this deploy (`None`: the last one not rolled back).
    pub to: Option<String>,
    /// Refuse plans deleting more than this.
    pub max_deletes: usize,
    /// Copies in flight.
    pub concurrency: usize,
    /// Plan only; send no write request.
    pub dry_run: bool,
    /// Records to keep (`[publish] keep_deploys`); older ones are pruned after a rollback.
    pub keep_deploys: usize,
}

/// What a rollback did.
#[derive(Debug, Clone, Serialize)]
pub struct RollbackReport {
    /// The plan.
    pub plan: UndoPlan,
    /// The rollback's own deploy id (`None` for a dry run or when there was nothing to do).
    pub deploy: Option<String>,
    /// True when it finished a rollback an earlier run left half done.
    pub resumed: bool,
    /// Objects restored by copy.
    pub restored: usize,
    /// Objects deleted.
    pub deleted: usize,
    /// Requests sent, retries included.
    pub requests: u64,
    /// Wall time, in seconds.
    pub seconds: f64,
}

/// Why a rollback failed.
#[derive(Debug, thiserror::Error)]
pub enum RollbackError {
    /// Talking to the store failed.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// Nothing was ever published there.
    #[error("there is no manifest at the target: nothing was published there")]
    NoManifest,
    /// The manifest cannot be read.
    #[error("the manifest in the bucket cannot be read ({0}); publish with --force to rebuild it")]
    Manifest(ManifestError),
    /// No plan could be made.
    #[error(transparent)]
    Plan(#[from] UndoError),
    /// Some copies failed; the site is half rolled back and says so in its manifest.
    #[error(
        "{failed} of {planned} restores failed (first: {first}); run rollback again to finish it \
         (or publish to go forward)"
    )]
    Copies {
        /// How many failed.
        failed: usize,
        /// How many were planned.
        planned: usize,
        /// The first error.
        first: String,
    },
    /// Another publish changed the site first.
    #[error("another publish changed the site since this rollback started; run rollback again")]
    Conflict,
}

impl RollbackError {
    /// The exit code: 4 for a conflict, 2 for an unknown deploy id, 3 otherwise.
    pub fn exit_code(&self) -> u8 {
        use crate::report::Exit;
        match self {
            RollbackError::Conflict | RollbackError::Target(TargetError::Conflict) => {
                Exit::Conflict.code()
            }
            RollbackError::Plan(UndoError::Unknown(_)) => Exit::Usage.code(),
            _ => Exit::Failed.code(),
        }
    }
}

/// Rolls the site at `target` back ([`undo::plan`]), or finishes the rollback its manifest
/// says is under way.
pub async fn rollback<T: Target>(
    target: &T,
    opts: &RollbackOptions,
) -> Result<RollbackReport, RollbackError> {
    let t0 = Instant::now();
    let requests0 = target.requests();
    let (current, etag) = match target.read_manifest().await? {
        None => return Err(RollbackError::NoManifest),
        Some((bytes, etag)) => (
            Manifest::decode(&bytes).map_err(RollbackError::Manifest)?,
            etag,
        ),
    };
    let records = super::list(target).await?;
    let (plan, mut deploy, resumed) = choose(&records, &current, opts)?;
    let mut report = RollbackReport {
        plan,
        deploy: None,
        resumed,
        restored: 0,
        deleted: 0,
        requests: 0,
        seconds: 0.0,
    };
    let finish = |mut report: RollbackReport| {
        report.requests = target.requests() - requests0;
        report.seconds = t0.elapsed().as_secs_f64();
        report
    };
    if opts.dry_run || (report.plan.is_empty() && !resumed) {
        return Ok(finish(report));
    }
    report.deploy = Some(deploy.id.clone());
    let plan = &report.plan;

    let mut etag = etag;
    if !resumed {
        etag = record_intent(target, plan, &current, etag, &mut deploy, opts.concurrency).await?;
    }
    report.restored = copy_phases(target, plan, opts.concurrency).await?;
    report.deleted = write_and_delete(target, plan, etag, &mut deploy).await?;
    deploy.status = Status::Done;
    deploy.uploaded = report.restored;
    deploy.deleted = report.deleted;
    write(target, &deploy).await?;
    if opts.keep_deploys > 0
        && let Err(e) = prune(target, opts.keep_deploys).await
    {
        tracing::warn!("cannot prune the deploy history: {e}");
    }
    Ok(finish(report))
}

/// The plan and the deploy record: the rollback `current` names as under way (resumed: true),
/// else a new one to `opts.to` or the last deploy not rolled back.
fn choose(
    records: &[Deploy],
    current: &Manifest,
    opts: &RollbackOptions,
) -> Result<(UndoPlan, Deploy, bool), RollbackError> {
    let pending = current
        .pending_rollback
        .as_ref()
        .and_then(|id| records.iter().find(|r| &r.id == id))
        .filter(|r| r.status == Status::Started);
    Ok(match pending {
        Some(r) => {
            let Kind::Rollback { to } = &r.kind else {
                return Err(TargetError::Other(format!("{}: not a rollback", r.id)).into());
            };
            let plan = undo::plan(records, to, Some(&r.id), current, usize::MAX)?;
            (plan, r.clone(), true)
        }
        None => {
            let to = match &opts.to {
                Some(id) => id.clone(),
                None => undo::default_target(records)
                    .ok_or(UndoError::Nothing)?
                    .to_string(),
            };
            let plan = undo::plan(records, &to, None, current, opts.max_deletes)?;
            let deploy = Deploy::start(Kind::Rollback { to }, chrono::Utc::now());
            (plan, deploy, false)
        }
    })
}

/// Before anything live changes: keeps what the rollback overwrites in its own history (so
/// rolling it back redoes the deploy), records the deploy, and writes the manifest with every
/// key it may touch marked [`UNKNOWN_HASH`] and itself as the pending rollback (conditional on
/// `etag`, the manifest read). Returns the manifest's new tag.
async fn record_intent<T: Target>(
    target: &T,
    plan: &UndoPlan,
    current: &Manifest,
    etag: Etag,
    deploy: &mut Deploy,
    concurrency: usize,
) -> Result<Etag, RollbackError> {
    let touched = plan.touched(current);
    let to_keep = touched
        .iter()
        .filter_map(|(k, e)| e.map(|e| (k.to_string(), e.clone())))
        .collect();
    let missing = keep::keep(target, &deploy.id, &to_keep, concurrency).await?;
    deploy.changes = touched
        .iter()
        .map(|(k, e)| {
            let change = Change {
                before: e.filter(|_| !missing.contains(*k)).cloned(),
                deleted: plan.deletes.iter().any(|d| d == k),
            };
            (k.to_string(), change)
        })
        .collect();
    deploy.unchanged = plan.unchanged;
    write(target, deploy).await?;
    // Every key the rollback may write is listed, as of unknown content: a publish after
    // a rollback cut short uploads or deletes each of them.
    let mut intent = current.clone();
    for key in touched.keys() {
        if let Some(e) = intent.entries.get_mut(*key) {
            e.hash = UNKNOWN_HASH.to_string();
        }
    }
    for r in &plan.restores {
        let e = intent
            .entries
            .entry(r.key.clone())
            .or_insert_with(|| r.entry.clone());
        e.hash = UNKNOWN_HASH.to_string();
    }
    intent.sources = None;
    intent.pending_rollback = Some(deploy.id.clone());
    conditional(target, &intent, Some(&etag), deploy).await
}

/// The server-side copies, assets then pages; returns how many were made. A failed copy stops
/// the rollback after its phase (the manifest still names it: running it again finishes it).
async fn copy_phases<T: Target>(
    target: &T,
    plan: &UndoPlan,
    concurrency: usize,
) -> Result<usize, RollbackError> {
    let (assets, pages): (Vec<&Restore>, Vec<&Restore>) =
        plan.restores.iter().partition(|r| !is_page(&r.entry));
    let mut restored = 0;
    let mut failed = Vec::new();
    for phase in [assets, pages] {
        let copies: Vec<_> = phase.into_iter().map(|r| restore(target, r)).collect();
        let mut results = futures::stream::iter(copies).buffer_unordered(concurrency.max(1));
        while let Some((r, result)) = results.next().await {
            match result {
                Ok(()) => restored += 1,
                Err(e) => failed.push((r.key.clone(), e)),
            }
        }
        if !failed.is_empty() {
            return Err(RollbackError::Copies {
                failed: failed.len(),
                planned: plan.restores.len(),
                first: format!("{}: {}", failed[0].0, failed[0].1),
            });
        }
    }
    Ok(restored)
}

/// Writes the rolled-back manifest (conditional on `etag`, the deletes still pending), sends
/// the deletes and writes it again without them; returns how many were deleted.
async fn write_and_delete<T: Target>(
    target: &T,
    plan: &UndoPlan,
    etag: Etag,
    deploy: &mut Deploy,
) -> Result<usize, RollbackError> {
    let mut manifest = plan.manifest.clone();
    let etag = conditional(target, &manifest, Some(&etag), deploy).await?;
    if plan.deletes.is_empty() {
        return Ok(0);
    }
    let failures = target.delete_many(&plan.deletes).await?;
    manifest.pending_deletes = failures.iter().map(|(k, _)| k.clone()).collect();
    conditional(target, &manifest, Some(&etag), deploy).await?;
    if let Some((key, e)) = failures.first() {
        deploy.status = Status::Failed;
        let _ = write(target, deploy).await;
        return Err(TargetError::Other(format!(
            "{} deletes failed (first: {key}: {e}); publishing again retries them",
            failures.len()
        ))
        .into());
    }
    Ok(plan.deletes.len() - failures.len())
}

async fn restore<'a, T: Target>(
    target: &T,
    r: &'a Restore,
) -> (&'a Restore, Result<(), TargetError>) {
    (r, target.copy(&r.from, &r.key, &r.entry).await)
}

/// A conditional manifest write; a lost race marks the deploy record and is
/// [`RollbackError::Conflict`].
async fn conditional<T: Target>(
    target: &T,
    manifest: &Manifest,
    expected: Option<&Etag>,
    deploy: &mut Deploy,
) -> Result<Etag, RollbackError> {
    match target.write_manifest(manifest, expected).await {
        Ok(etag) => Ok(etag),
        Err(TargetError::Conflict) => {
            deploy.status = Status::Conflict;
            let _ = write(target, deploy).await;
            Err(RollbackError::Conflict)
        }
        Err(e) => Err(e.into()),
    }
}

//! Applies a [`Plan`] to a [`Target`]: uploads phase by phase with bounded concurrency, then
//! the manifest (conditionally), then deletes. The manifest records only what really landed.
//!
//! # What is guaranteed when publishes fail, die or race
//!
//! - Deletes happen only after this publish's own conditional manifest write succeeded, and
//!   only of keys the manifest it read lists: a publish never deletes on a stale manifest, and
//!   never deletes a key bucketpress did not upload.
//! - A failed upload leaves its key at its old manifest entry (or out of the manifest), so the
//!   next publish uploads exactly the keys that did not land.
//! - A publish killed at any point converges on the next run. Killed before its manifest
//!   write, it leaves the manifest as it was (the write is one PUT): re-running re-uploads
//!   every key it may not have finished. The manifest it writes records the deletes it is
//!   about to send as pending, and a second write clears them once sent: killed in between,
//!   the next publish finishes them ([`Reason::Interrupted`]).
//! - Two publishes racing: the first manifest write wins; the other one fails with
//!   [`ApplyError::Conflict`] (exit code 4) and deletes nothing. Its uploads may already have
//!   overwritten the winner's objects, so it then marks every key it tried to upload as
//!   [`UNKNOWN_HASH`] in the winner's manifest (a conditional write, re-read on conflict):
//!   whichever version publishes next uploads those keys again, and removes the loser's extra
//!   keys. If even that fails, the error says so and `publish --verify` (which diffs against
//!   the hash metadata of every stored object) repairs the bucket.
//! - A conditional manifest write whose answer was lost (timeout) and whose retry the store
//!   refused is recognised by re-reading the manifest: it is not reported as a conflict.
//!
//! Not guaranteed: a publish killed half way and followed by a publish of an *older* version
//! can leave the killed run's objects where the older version's bytes are unchanged from the
//! manifest (run `publish --verify` after an interrupted publish when in doubt); and a request
//! the client gave up on may still land later, which no S3 API can fence.

use std::collections::BTreeSet;
use std::time::Instant;

use serde::Serialize;

use super::concurrency::{self, Limit};
use super::manifest::{Manifest, UNKNOWN_HASH};
use super::pending;
use super::plan::{Plan, Reason, Step, phase};
use super::target::{Etag, Target, TargetError};
use crate::outputs::Outputs;

/// Hooks for progress display; every method defaults to doing nothing.
pub trait Progress: Sync {
    /// Uploads are about to start.
    fn start(&self, _uploads: usize, _bytes: u64) {}
    /// One upload landed.
    fn uploaded(&self, _step: &Step) {}
    /// One upload failed.
    fn failed(&self, _step: &Step, _error: &TargetError) {}
    /// Deletes are done.
    fn deleted(&self, _count: usize) {}
}

/// A [`Progress`] that shows nothing.
#[derive(Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// A key that could not be published, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// The key.
    pub key: String,
    /// The error, as one line.
    pub error: String,
}

/// What a publish did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Objects uploaded.
    pub uploaded: usize,
    /// Bytes uploaded.
    pub uploaded_bytes: u64,
    /// Objects deleted.
    pub deleted: usize,
    /// Outputs already up to date.
    pub unchanged: usize,
    /// Uploads and deletes that failed.
    pub failed: Vec<Failure>,
    /// Whether a new manifest was written.
    pub manifest_written: bool,
    /// Wall time of the apply, in seconds.
    pub seconds: f64,
    /// Requests sent by the publish, retries included (the manifest read counts).
    pub requests: u64,
    /// True when the manifest recorded these very sources, so nothing was rendered or planned.
    pub render_skipped: bool,
    /// True when the manifest was written only to record the sources (no entry changed): the
    /// publish still had nothing to do.
    pub record_only: bool,
    /// Unfinished multipart uploads of an interrupted publish that were aborted.
    pub aborted_uploads: usize,
    /// The most uploads that were in flight at once (the limit adapts to the link).
    pub concurrency: usize,
    /// The id of the deploy recorded in the history (`None`: nothing changed, a dry run, or
    /// a target without history).
    pub deploy: Option<String>,
}

/// Why an apply stopped short.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// Some uploads failed; the manifest was written without them.
    #[error(
        "{failed} of {planned} uploads failed (first: {first}){}; the manifest records only what \
         landed, so publishing again retries exactly those",
        not_attempted_note(.not_attempted)
    )]
    Uploads {
        /// How many failed.
        failed: usize,
        /// How many were not attempted (later phases wait for earlier ones to succeed).
        not_attempted: usize,
        /// How many were planned.
        planned: usize,
        /// The first error.
        first: String,
    },
    /// Some deletes failed; they stay in the manifest and are retried next time.
    #[error("{failed} deletes failed (first: {first}); publishing again retries them")]
    Deletes {
        /// How many failed.
        failed: usize,
        /// The first error.
        first: String,
    },
    /// Another publish wrote the manifest after this one read it. This publish's uploads may
    /// have overwritten the other's objects, so every key it tried to upload was marked as of
    /// unknown content in the current manifest: whichever version publishes next re-uploads
    /// them. Nothing was deleted.
    #[error(
        "another publish changed the site since this one started; nothing was deleted{}; run \
         publish again (the last publish to finish wins)",
        conflict_note(*.attempted, .repair.as_deref())
    )]
    Conflict {
        /// Keys this publish tried to upload before it found out.
        attempted: usize,
        /// `None` when those keys were marked for re-upload in the current manifest (or there
        /// were none); else why marking them failed (then run publish with `--verify`).
        repair: Option<String>,
    },
    /// A store error that stopped the publish (credentials, bucket).
    #[error(transparent)]
    Target(#[from] TargetError),
}

fn conflict_note(attempted: usize, repair: Option<&str>) -> String {
    match (attempted, repair) {
        (0, _) => String::new(),
        (n, None) => format!(
            "; the {n} objects it tried to upload are marked in the manifest so the next \
             publish uploads them again"
        ),
        (n, Some(e)) => format!(
            "; the {n} objects it tried to upload could not be marked for re-upload ({e}): \
             run publish with --verify"
        ),
    }
}

fn not_attempted_note(n: impl std::borrow::Borrow<usize>) -> String {
    match *n.borrow() {
        0 => String::new(),
        n => format!(", {n} not attempted"),
    }
}

/// An apply that failed, with what it did before failing.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct ApplyFailure {
    /// What went wrong.
    pub error: ApplyError,
    /// What was done anyway.
    pub summary: Summary,
}

/// Uploads one step's output. Every upload of a phase is made as a future before any runs
/// (see [`upload_phases`]), so the target's request, whose future is several KB with the
/// S3 client's state (8.6 KB in a debug build), is boxed when it starts rather than held
/// inline: at 100,000 posts the 133,748 unstarted uploads held ~400 MB; now 64 bytes each.
async fn put_step<'a, T: Target>(
    target: &T,
    outputs: &Outputs,
    site_id: &str,
    step: &'a Step,
) -> (&'a Step, Result<(), TargetError>) {
    let result = match outputs.get(&step.key) {
        Some(output) => Box::pin(target.put(output, site_id)).await,
        None => Err(TargetError::Other(format!(
            "{}: not in the outputs",
            step.key
        ))),
    };
    (step, result)
}

/// The version tag of the stored manifest when it is exactly `ours`: a conditional write whose
/// attempt timed out after it landed is retried by the SDK and refused (412), which is not a
/// conflict with anyone.
async fn own_write<T: Target>(target: &T, ours: &Manifest) -> Option<Etag> {
    match target.read_manifest().await {
        Ok(Some((bytes, etag))) if Manifest::decode(&bytes).ok().as_ref() == Some(ours) => {
            Some(etag)
        }
        _ => None,
    }
}

/// After losing a race for the manifest: marks every key this publish tried to upload as of
/// unknown content ([`UNKNOWN_HASH`]) in the manifest the winner wrote, conditionally on it,
/// re-reading on further conflicts (3 tries). The winner's manifest would otherwise vouch for
/// objects our uploads may have overwritten, and a re-run would upload nothing. Keys the winner
/// does not have are added, so they are bucketpress's to delete later.
async fn mark_unknown<T: Target>(
    target: &T,
    attempted: &[&Step],
    planned: &Manifest,
) -> Result<(), TargetError> {
    if attempted.is_empty() {
        return Ok(());
    }
    for _ in 0..3 {
        let (mut current, etag) = match target.read_manifest().await? {
            None => (Manifest::new(), None),
            Some((bytes, etag)) => match Manifest::decode(&bytes) {
                Ok(m) => (m, Some(etag)),
                Err(e) => return Err(TargetError::Other(e.to_string())),
            },
        };
        for step in attempted {
            let Some(ours) = planned.entries.get(&step.key) else {
                continue;
            };
            let entry = current
                .entries
                .entry(step.key.clone())
                .or_insert_with(|| ours.clone());
            entry.hash = UNKNOWN_HASH.to_string();
        }
        // The winner's sources no longer describe what is stored.
        current.sources = None;
        match target.write_manifest(&current, etag.as_ref()).await {
            Ok(_) => return Ok(()),
            Err(TargetError::Conflict) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(TargetError::Conflict)
}

/// The manifest as read at the start of the publish.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Its decoded content (`None` when it could not be decoded and `--force` overrode that).
    pub manifest: Option<Manifest>,
    /// Its version tag, for the conditional write.
    pub etag: Etag,
}

/// What an apply works from: the plan, the outputs it was made from, the manifest it was made
/// against, and the manifest as read at the start (which the manifest write is conditional on).
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    /// The plan to apply.
    pub plan: &'a Plan,
    /// The outputs the plan uploads from.
    pub outputs: &'a Outputs,
    /// The manifest the plan was made against (what is taken to be stored).
    pub baseline: &'a Manifest,
    /// The manifest read at the start (`None`: there was none).
    pub stored: Option<&'a Stored>,
}

/// Applies `job`'s plan to `target` with at most `limit` uploads in flight: multipart uploads
/// left pending are aborted and this publish's are recorded, uploads run phase by phase, the
/// manifest of what landed is written, then deletes are sent.
pub async fn apply<T: Target>(
    target: &T,
    job: Job<'_>,
    limit: Limit,
    progress: &dyn Progress,
) -> Result<Summary, Box<ApplyFailure>> {
    let t0 = Instant::now();
    let requests0 = target.requests();
    let mut summary = Summary {
        unchanged: job.plan.unchanged,
        ..Summary::default()
    };
    let error = apply_phases(target, job, limit, progress, &mut summary).await;
    summary.seconds = t0.elapsed().as_secs_f64();
    summary.requests = target.requests() - requests0;
    match error {
        Ok(()) => Ok(summary),
        Err(error) => Err(Box::new(ApplyFailure { error, summary })),
    }
}

/// [`apply`]'s phases in order; `summary` records what was done, also when one fails.
async fn apply_phases<T: Target>(
    target: &T,
    job: Job<'_>,
    limit: Limit,
    progress: &dyn Progress,
    summary: &mut Summary,
) -> Result<(), ApplyError> {
    let uploads: Vec<&Step> = job.plan.uploads().collect();
    let pending = prepare_multipart(target, job, &uploads, summary).await?;
    progress.start(uploads.len(), job.plan.upload_bytes());
    let up = upload_phases(target, job, &uploads, limit, progress, summary).await;
    let upload_failed = up.landed.len() < uploads.len();
    let mut manifest = landed_manifest(job, &uploads, &up.landed, pending.multipart, pending.still);
    if up.landed.is_empty()
        && let Some(err) = &up.fatal
    {
        return Err(err.clone().into());
    }
    let needs_write = pending.intent_written
        || match job.stored {
            None => true,
            Some(s) => s.manifest.as_ref() != Some(&manifest),
        };
    summary.record_only = needs_write
        && job
            .stored
            .and_then(|s| s.manifest.as_ref())
            .is_some_and(|m| m.entries == manifest.entries);
    let mut etag = pending.etag;
    if needs_write {
        // Every key this publish tried to upload, in case another publish won the race.
        let attempted: Vec<&Step> = uploads
            .iter()
            .copied()
            .filter(|s| {
                up.landed.contains(s.key.as_str()) || summary.failed.iter().any(|f| f.key == s.key)
            })
            .collect();
        let planned = &job.plan.manifest;
        etag = Some(write_landed(target, planned, &attempted, &manifest, etag, summary).await?);
    }
    if upload_failed {
        return Err(match up.fatal {
            Some(err) => err.into(),
            None => ApplyError::Uploads {
                failed: summary.failed.len(),
                not_attempted: uploads.len() - up.landed.len() - summary.failed.len(),
                planned: uploads.len(),
                first: up.first_error.unwrap_or_default(),
            },
        });
    }
    send_deletes(target, job.plan, &mut manifest, etag, progress, summary).await
}

/// Where the multipart bookkeeping stands after [`prepare_multipart`].
struct Pending {
    /// This publish's multipart uploads (recorded in the manifest before they start).
    multipart: BTreeSet<String>,
    /// Multipart uploads of an interrupted publish that could not be aborted yet.
    still: BTreeSet<String>,
    /// The stored manifest's version tag now.
    etag: Option<Etag>,
    /// Whether the manifest was written to record this publish's multipart uploads.
    intent_written: bool,
}

/// Aborts the multipart uploads a killed publish left unfinished, then records this one's in
/// the manifest before they start.
async fn prepare_multipart<T: Target>(
    target: &T,
    job: Job<'_>,
    uploads: &[&Step],
    summary: &mut Summary,
) -> Result<Pending, ApplyError> {
    let stored_manifest = job.stored.and_then(|s| s.manifest.as_ref());
    let (aborted, still) = pending::abort_recorded(target, stored_manifest).await;
    summary.aborted_uploads = aborted;
    let multipart = pending::multipart_keys(target, uploads, job.outputs);
    let mut etag = job.stored.map(|s| s.etag.clone());
    let intent_written = !multipart.is_empty();
    if intent_written {
        let keys = multipart.union(&still).cloned().collect();
        let site_id = job.plan.manifest.site_id.as_deref();
        match pending::record_intent(target, job.baseline, site_id, keys, etag.as_ref()).await {
            Ok(new) => etag = Some(new),
            Err(TargetError::Conflict) => {
                return Err(ApplyError::Conflict {
                    attempted: 0,
                    repair: None,
                });
            }
            Err(err) => return Err(err.into()),
        }
    }
    Ok(Pending {
        multipart,
        still,
        etag,
        intent_written,
    })
}

/// What the uploads came to.
struct Uploaded<'a> {
    /// The keys that landed.
    landed: BTreeSet<&'a str>,
    /// The error that stopped the uploads, if one did.
    fatal: Option<TargetError>,
    /// The first upload error, as one line.
    first_error: Option<String>,
}

/// Runs the uploads phase by phase (a phase starts only when the one before fully landed),
/// recording each in `summary`.
async fn upload_phases<'a, T: Target>(
    target: &T,
    job: Job<'_>,
    uploads: &[&'a Step],
    mut limit: Limit,
    progress: &dyn Progress,
    summary: &mut Summary,
) -> Uploaded<'a> {
    let site_id = job.plan.manifest.site_id.as_deref().unwrap_or_default();
    let mut landed = BTreeSet::new();
    let mut fatal: Option<TargetError> = None;
    let mut first_error = None;
    // Uploads that got no answer in a row, none landing in between: once a whole round of
    // `concurrency` of them did, the store is taken for gone and no further upload starts
    // (each already waited out its retries), so a store that stops answering part way costs
    // one round of retries, not one per remaining key.
    let mut unanswered = 0;
    let mut start = 0;
    while start < uploads.len() && fatal.is_none() && summary.failed.is_empty() {
        let this_phase = phase(uploads[start]);
        let end = uploads[start..]
            .iter()
            .position(|s| phase(s) != this_phase)
            .map_or(uploads.len(), |n| start + n);
        // Futures are built first (nothing runs until polled) and then driven with an
        // adaptive limit; a closure in `.map` here trips rustc's higher-ranked Send inference.
        let puts: Vec<_> = uploads[start..end]
            .iter()
            .map(|step| put_step(target, job.outputs, site_id, step))
            .collect();
        let round = limit.current();
        let driven = concurrency::drive(
            puts,
            limit,
            || target.retries(),
            |(step, result)| match result {
                Ok(()) => {
                    unanswered = 0;
                    summary.uploaded += 1;
                    summary.uploaded_bytes += step.size;
                    landed.insert(step.key.as_str());
                    progress.uploaded(step);
                    true
                }
                Err(err) => {
                    progress.failed(step, &err);
                    summary.failed.push(Failure {
                        key: step.key.clone(),
                        error: err.to_string(),
                    });
                    first_error.get_or_insert_with(|| err.to_string());
                    if matches!(err, TargetError::Unreachable(_)) {
                        unanswered += 1;
                    }
                    if err.is_fatal() || unanswered >= round {
                        fatal.get_or_insert(err);
                        return false;
                    }
                    true
                }
            },
        )
        .await;
        summary.concurrency = summary.concurrency.max(driven.highest);
        limit = driven.limit;
        start = end;
    }
    Uploaded {
        landed,
        fatal,
        first_error,
    }
}

/// The manifest of what is really there: planned entries for what landed, the old entries (or
/// nothing) for what did not, and the to-be-deleted keys kept until they are deleted.
fn landed_manifest(
    job: Job<'_>,
    uploads: &[&Step],
    landed: &BTreeSet<&str>,
    multipart: BTreeSet<String>,
    still_pending: BTreeSet<String>,
) -> Manifest {
    let (plan, baseline) = (job.plan, job.baseline);
    let mut manifest = plan.manifest.clone();
    manifest.pending_multipart = multipart
        .into_iter()
        .filter(|k| !landed.contains(k.as_str()))
        .chain(still_pending)
        .collect();
    for step in uploads {
        if !landed.contains(step.key.as_str()) {
            match baseline.entries.get(&step.key) {
                Some(old) => manifest.entries.insert(step.key.clone(), old.clone()),
                None => manifest.entries.remove(&step.key),
            };
        }
    }
    if landed.len() < uploads.len() {
        // The sources were rendered but not all of them landed: the removed keys stay (pages
        // still being served may link to them); deletes already decided on stay pending.
        manifest.sources = None;
        for step in plan.deletes() {
            match step.reason {
                Reason::Interrupted => manifest.pending_deletes.insert(step.key.clone()),
                _ => match baseline.entries.get(&step.key) {
                    Some(old) => manifest
                        .entries
                        .insert(step.key.clone(), old.clone())
                        .is_none(),
                    None => false,
                },
            };
        }
    } else {
        // Recorded before any delete is sent: a publish dying now leaves them for the next.
        manifest
            .pending_deletes
            .extend(plan.deletes().map(|s| s.key.clone()));
    }
    manifest
}

/// Writes the manifest of what landed, conditionally on `etag`, and returns its new tag. On a
/// lost race it marks the `attempted` keys (with their `planned` entries) for re-upload in the
/// winner's manifest and fails with [`ApplyError::Conflict`].
async fn write_landed<T: Target>(
    target: &T,
    planned: &Manifest,
    attempted: &[&Step],
    manifest: &Manifest,
    etag: Option<Etag>,
    summary: &mut Summary,
) -> Result<Etag, ApplyError> {
    match target.write_manifest(manifest, etag.as_ref()).await {
        Ok(new) => {
            summary.manifest_written = true;
            Ok(new)
        }
        Err(TargetError::Conflict) => {
            if let Some(new) = own_write(target, manifest).await {
                // Our own write landed but its answer was lost, and the retry was refused.
                summary.manifest_written = true;
                return Ok(new);
            }
            let repair = mark_unknown(target, attempted, planned)
                .await
                .err()
                .map(|e| e.to_string());
            Err(ApplyError::Conflict {
                attempted: attempted.len(),
                repair,
            })
        }
        Err(err) => Err(err.into()),
    }
}

/// Sends the plan's deletes, then writes the manifest again with only the deletes that failed
/// still pending.
async fn send_deletes<T: Target>(
    target: &T,
    plan: &Plan,
    manifest: &mut Manifest,
    etag: Option<Etag>,
    progress: &dyn Progress,
    summary: &mut Summary,
) -> Result<(), ApplyError> {
    let deletes: Vec<String> = plan.deletes().map(|s| s.key.clone()).collect();
    if deletes.is_empty() {
        return Ok(());
    }
    let failed = match target.delete_many(&deletes).await {
        Ok(failed) => failed,
        Err(err) => {
            // Nothing is known to be deleted: every key stays pending for next time.
            deletes.iter().map(|k| (k.clone(), err.clone())).collect()
        }
    };
    summary.deleted = deletes.len() - failed.len();
    progress.deleted(summary.deleted);
    // The manifest again, with only the deletes that failed still pending (none, usually).
    manifest.pending_deletes = failed.iter().map(|(key, _)| key.clone()).collect();
    if !failed.is_empty() {
        manifest.sources = None;
    }
    match target.write_manifest(manifest, etag.as_ref()).await {
        Ok(_) => {}
        // Another publish wrote since: it read our pending deletes and finishes them.
        Err(TargetError::Conflict) if failed.is_empty() => {}
        Err(err) => return Err(err.into()),
    }
    if failed.is_empty() {
        return Ok(());
    }
    let first = failed[0].1.to_string();
    summary.failed.extend(failed.iter().map(|(key, e)| Failure {
        key: key.clone(),
        error: e.to_string(),
    }));
    Err(ApplyError::Deletes {
        failed: failed.len(),
        first,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::OutputKind;
    use crate::publish::AnyTarget;
    use crate::publish::dir::DirTarget;
    use crate::publish::plan::{Action, Reason};

    /// Every upload of a phase is made as a future before the first runs: one not yet
    /// started must hold references, not the S3 client's request state (several KB; 133,748
    /// of them held 400 MB at 100,000 posts).
    #[test]
    fn an_upload_not_yet_started_is_small() {
        let target = AnyTarget::Dir(DirTarget::new("unused"));
        let outputs = Outputs::default();
        let step = Step {
            key: "index.html".into(),
            action: Action::Upload,
            reason: Reason::New,
            size: 1,
            kind: Some(OutputKind::Page),
        };
        let page = crate::outputs::Output::from_bytes("x", Vec::new(), OutputKind::Page);
        let request = std::mem::size_of_val(&target.put(&page, ""));
        let size = std::mem::size_of_val(&put_step(&target, &outputs, "", &step));
        assert!(
            request > 1024,
            "the request itself is large ({request} bytes)"
        );
        assert!(size <= 256, "an unstarted upload takes {size} bytes");
    }
}

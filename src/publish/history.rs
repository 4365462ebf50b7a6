//! A publish's part in the deploy history ([`super::deploys`]): keep what it overwrites and
//! record it before its first write, then record how it ended and prune.

use std::collections::BTreeMap;

use super::PublishError;
use super::apply::{ApplyError, ApplyFailure, Summary};
use super::deploys::{self, Change, Deploy, Kind, Status};
use super::manifest::Manifest;
use super::plan::{Action, Plan};
use super::target::{Target, TargetError};

/// Keeps the stored objects `plan` overwrites or deletes (server-side copies into the
/// deploy's history) and records the deploy as started. Nothing of the site has been written
/// yet, so a failure here fails the publish harmlessly.
pub(super) async fn start<T: Target>(
    target: &T,
    plan: &Plan,
    baseline: &Manifest,
    commit: Option<(String, String)>,
    concurrency: usize,
) -> Result<Deploy, PublishError> {
    let mut deploy = Deploy::start(Kind::Publish, chrono::Utc::now());
    if let Some((hash, message)) = commit {
        deploy.commit = Some(hash);
        deploy.message = Some(message);
    }
    let replaced: BTreeMap<String, _> = plan
        .actions
        .iter()
        .filter_map(|s| {
            let entry = baseline.entries.get(&s.key)?;
            Some((s.key.clone(), entry.clone()))
        })
        .collect();
    let missing = deploys::keep::keep(target, &deploy.id, &replaced, concurrency).await?;
    deploy.changes = plan
        .actions
        .iter()
        .map(|s| {
            let before = replaced.get(&s.key).filter(|_| !missing.contains(&s.key));
            let change = Change {
                before: before.cloned(),
                deleted: s.action == Action::Delete,
            };
            (s.key.clone(), change)
        })
        .collect();
    deploy.unchanged = plan.unchanged;
    deploys::write(target, &deploy).await?;
    Ok(deploy)
}

/// Records how the publish ended and, when it completed, prunes the history to `keep`
/// records. Failures here are warnings: the site is published either way.
pub(super) async fn finish<T: Target>(
    target: &T,
    mut deploy: Deploy,
    result: &Result<Summary, Box<ApplyFailure>>,
    keep: usize,
) {
    let summary = match result {
        Ok(s) => {
            deploy.status = Status::Done;
            s
        }
        Err(f) => {
            deploy.status = match f.error {
                ApplyError::Conflict { .. } | ApplyError::Target(TargetError::Conflict) => {
                    Status::Conflict
                }
                _ => Status::Failed,
            };
            &f.summary
        }
    };
    deploy.uploaded = summary.uploaded;
    deploy.deleted = summary.deleted;
    if let Err(e) = deploys::write(target, &deploy).await {
        tracing::warn!("cannot record how deploy {} ended: {e}", deploy.id);
    }
    if deploy.status == Status::Done
        && let Err(e) = deploys::prune(target, keep).await
    {
        tracing::warn!("cannot prune the deploy history: {e}");
    }
}

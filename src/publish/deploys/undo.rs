//! The rollback plan (pure): from the deploy records and the current manifest, which keys to
//! restore from which deploy's history and which to delete, and the manifest afterwards.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::kept_key;
use super::record::{Deploy, Kind, Status};
use crate::publish::manifest::{Entry, Manifest};

/// One key to put back: a server-side copy from `from` (a deploy's history).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Restore {
    /// The site key.
    pub key: String,
    /// The kept object to copy from (relative to the site prefix).
    pub from: String,
    /// What it holds (bytes hash and headers).
    #[serde(skip)]
    pub entry: Entry,
}

/// What a rollback does.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UndoPlan {
    /// The deploy whose before-state is restored.
    pub to: String,
    /// Keys to copy back, assets first, then pages (the order a publish uploads in).
    pub restores: Vec<Restore>,
    /// Keys the rolled-back deploys created, deleted after the manifest write.
    pub deletes: Vec<String>,
    /// Keys those deploys touched that already hold their before-state.
    pub unchanged: usize,
    /// The manifest once every step landed.
    #[serde(skip)]
    pub manifest: Manifest,
}

impl UndoPlan {
    /// True when the site already is as it was before the deploy.
    pub fn is_empty(&self) -> bool {
        self.restores.is_empty() && self.deletes.is_empty()
    }

    /// Every key the rollback changes, with what the current manifest says it holds.
    pub fn touched<'a>(&'a self, current: &'a Manifest) -> BTreeMap<&'a str, Option<&'a Entry>> {
        self.restores
            .iter()
            .map(|r| r.key.as_str())
            .chain(self.deletes.iter().map(String::as_str))
            .map(|k| (k, current.entries.get(k)))
            .collect()
    }
}

/// Why no rollback plan could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UndoError {
    /// No such deploy in the history (never was, or pruned).
    #[error(
        "deploy {0} is not in the history (see `bucketpress deploys`; the oldest ones are pruned \
         beyond [publish] keep_deploys)"
    )]
    Unknown(String),
    /// There is no deploy left to undo.
    #[error("no deploy to roll back: the history has none that was not rolled back already")]
    Nothing,
    /// More deletes than allowed.
    #[error(
        "this rollback would delete {count} objects, more than the limit of {max}; allow it with \
         --max-deletes {count}"
    )]
    TooManyDeletes {
        /// Deletes the plan needs.
        count: usize,
        /// The limit.
        max: usize,
    },
}

/// The deploy `rollback` without an id undoes: the newest publish not already undone by a
/// finished rollback (a rollback to X undoes X and everything after it, up to itself), so
/// rolling back twice goes back two deploys. Rollbacks are not picked (roll one back by its
/// id to redo what it undid). `records` are oldest first.
pub(crate) fn default_target(records: &[Deploy]) -> Option<&str> {
    let mut undone: BTreeSet<&str> = BTreeSet::new();
    for r in records.iter().rev() {
        if undone.contains(r.id.as_str()) {
            continue;
        }
        match &r.kind {
            Kind::Rollback { to } if r.status == Status::Done => {
                undone.extend(
                    records
                        .iter()
                        .filter(|d| d.id.as_str() >= to.as_str() && d.id < r.id)
                        .map(|d| d.id.as_str()),
                );
            }
            Kind::Rollback { .. } => {}
            Kind::Publish if r.changes.is_empty() => {}
            Kind::Publish => return Some(&r.id),
        }
    }
    None
}

/// Plans restoring the site as it was just before deploy `to`: each key the deploys from
/// `to` on (up to `until`, exclusive, when resuming a rollback) touched gets the before-state
/// the first of them recorded. `records` are oldest first; `current` is the manifest now.
pub fn plan(
    records: &[Deploy],
    to: &str,
    until: Option<&str>,
    current: &Manifest,
    max_deletes: usize,
) -> Result<UndoPlan, UndoError> {
    if !records.iter().any(|r| r.id == to) {
        return Err(UndoError::Unknown(to.to_string()));
    }
    let mut before: BTreeMap<&str, (&str, Option<&Entry>)> = BTreeMap::new();
    for r in records
        .iter()
        .filter(|r| r.id.as_str() >= to && until.is_none_or(|u| r.id.as_str() < u))
    {
        for (key, change) in &r.changes {
            before
                .entry(key.as_str())
                .or_insert((r.id.as_str(), change.before.as_ref()));
        }
    }
    let mut manifest = current.clone();
    manifest.sources = None;
    manifest.pending_rollback = None;
    let mut out = UndoPlan {
        to: to.to_string(),
        ..UndoPlan::default()
    };
    for (key, (id, entry)) in before {
        match entry {
            Some(e) if current.entries.get(key) == Some(e) => out.unchanged += 1,
            Some(e) => {
                out.restores.push(Restore {
                    key: key.to_string(),
                    from: kept_key(id, key),
                    entry: e.clone(),
                });
                manifest.entries.insert(key.to_string(), e.clone());
            }
            None if current.entries.contains_key(key) => {
                out.deletes.push(key.to_string());
                manifest.entries.remove(key);
                manifest.pending_deletes.insert(key.to_string());
            }
            None => out.unchanged += 1,
        }
    }
    if out.deletes.len() > max_deletes {
        return Err(UndoError::TooManyDeletes {
            count: out.deletes.len(),
            max: max_deletes,
        });
    }
    out.restores.sort_by(|a, b| {
        is_page(&a.entry)
            .cmp(&is_page(&b.entry))
            .then_with(|| a.key.cmp(&b.key))
    });
    out.manifest = manifest;
    Ok(out)
}

/// Pages go after assets (they link to them), as in a publish.
pub(crate) fn is_page(entry: &Entry) -> bool {
    entry.content_type.starts_with("text/html")
}

#[cfg(test)]
#[path = "undo_tests.rs"]
mod tests;

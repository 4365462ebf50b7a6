//! The publish plan: a pure diff of [`Outputs`] against the remote [`Manifest`], in upload
//! order, every step with its reason. Nothing here touches the network.

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Serialize;

use super::manifest::{Entry, Manifest, RESERVED_PREFIX};
use crate::outputs::{OutputKind, Outputs};

/// What to do with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// PUT the output.
    Upload,
    /// Delete the remote object.
    Delete,
}

/// A header whose value differs from the stored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Header {
    /// `Content-Type`.
    ContentType,
    /// `Content-Encoding`.
    ContentEncoding,
    /// `Cache-Control`.
    CacheControl,
    /// The website redirect location.
    Redirect,
}

/// Why a step is in the plan. In JSON: `"reason": "new"`, or
/// `"reason": "headers_changed", "headers": ["cache_control"]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason", content = "headers")]
pub enum Reason {
    /// The key is not in the manifest.
    New,
    /// The stored bytes differ.
    ContentChanged,
    /// Same bytes, different headers.
    HeadersChanged(Vec<Header>),
    /// Unchanged, uploaded anyway because of `--force`.
    Forced,
    /// In the manifest, no longer produced by the site.
    Removed,
    /// A delete an interrupted publish recorded in the manifest but did not get to do.
    Interrupted,
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The key, relative to the publish prefix.
    pub key: String,
    /// Upload or delete.
    pub action: Action,
    /// Why.
    #[serde(flatten)]
    pub reason: Reason,
    /// Bytes to upload (for deletes: the size recorded in the manifest).
    pub size: u64,
    /// The output's kind (`null` for deletes).
    pub kind: Option<OutputKind>,
}

/// The upload phase of a step: assets first (pages link to them), then `.torrent` files
/// (a torrent's web seed is its file, which must be live first), then pages, then listings
/// and redirects (they link to pages). Each phase completes before the next starts.
pub fn phase(step: &Step) -> u8 {
    match step.kind {
        Some(OutputKind::Asset) if step.key.ends_with(".torrent") => 1,
        Some(OutputKind::Asset) => 0,
        Some(OutputKind::Page) => 2,
        Some(OutputKind::Listing | OutputKind::Redirect) => 3,
        None => 4,
    }
}

/// A publish plan: uploads in phase order then deletes; unchanged keys are only counted.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Plan {
    /// Uploads (by phase, then key), then deletes (by key).
    pub actions: Vec<Step>,
    /// How many outputs are already up to date.
    pub unchanged: usize,
    /// Their bytes.
    pub unchanged_bytes: u64,
    /// Output keys never published: dotfiles, `.bucketpress/`, `exclude` globs.
    pub skipped: Vec<String>,
    /// The manifest to write once every step has succeeded.
    #[serde(skip)]
    pub manifest: Manifest,
}

impl Plan {
    /// The upload steps, in order.
    pub fn uploads(&self) -> impl Iterator<Item = &Step> {
        self.actions.iter().filter(|s| s.action == Action::Upload)
    }

    /// The delete steps.
    pub fn deletes(&self) -> impl Iterator<Item = &Step> {
        self.actions.iter().filter(|s| s.action == Action::Delete)
    }

    /// How many deletes finish what an interrupted publish left undone.
    pub fn interrupted_deletes(&self) -> usize {
        self.deletes()
            .filter(|s| s.reason == Reason::Interrupted)
            .count()
    }

    /// Total bytes to upload.
    pub(crate) fn upload_bytes(&self) -> u64 {
        self.uploads().map(|s| s.size).sum()
    }

    /// True when there is nothing to upload or delete.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }
}

/// Knobs of [`plan`].
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Upload every output even when unchanged.
    pub force: bool,
    /// Refuse a plan that deletes more keys than this.
    pub max_deletes: usize,
    /// Globs over keys never to publish (nor delete).
    pub exclude: Vec<String>,
    /// Compare headers as well as bytes. Off for targets that store no headers (a directory).
    pub compare_headers: bool,
}

impl Default for PlanOptions {
    fn default() -> PlanOptions {
        PlanOptions {
            force: false,
            max_deletes: 256,
            exclude: Vec::new(),
            compare_headers: true,
        }
    }
}

/// Why no plan could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// More deletes than allowed: usually a wrong `--site` or a half-built site.
    #[error(
        "this publish would delete {count} objects, more than the limit of {max}; check that the \
         site builds what you expect (right --site? content/ present?), then allow it with \
         --max-deletes {count}"
    )]
    TooManyDeletes {
        /// Deletes the plan needs.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// An `exclude` glob does not parse.
    #[error("exclude glob {glob:?} is invalid: {error}")]
    BadGlob {
        /// The glob.
        glob: String,
        /// The parser's message.
        error: String,
    },
}

/// True for keys a publish never uploads nor deletes: any path segment starting with `.`
/// (editor and VCS droppings, `.bucketpress/`), except a leading `.well-known/` (RFC 8615:
/// `security.txt`, WebFinger), which sites do mean to publish.
pub(crate) fn is_hidden(key: &str) -> bool {
    if key.starts_with(RESERVED_PREFIX) {
        return true;
    }
    let key = key.strip_prefix(".well-known/").unwrap_or(key);
    key.split('/').any(|seg| seg.starts_with('.'))
}

/// Diffs `outputs` against `old`. Deletes only keys the old manifest lists (a key bucketpress
/// never uploaded is never deleted).
pub fn plan(outputs: &Outputs, old: &Manifest, opts: &PlanOptions) -> Result<Plan, PlanError> {
    let exclude = compile(&opts.exclude)?;
    let skip = |key: &str| is_hidden(key) || exclude.is_match(key);

    let mut uploads = Vec::new();
    let mut skipped = Vec::new();
    let mut manifest = Manifest::new();
    let (mut unchanged, mut unchanged_bytes) = (0, 0);
    for output in outputs.iter() {
        if skip(&output.key) {
            skipped.push(output.key.clone());
            continue;
        }
        let new = Entry::of(output);
        let reason = match old.entries.get(&output.key) {
            None => Some(Reason::New),
            Some(e) if e.hash != new.hash || e.size != new.size => Some(Reason::ContentChanged),
            Some(e) => {
                let changed = if opts.compare_headers {
                    changed_headers(e, &new)
                } else {
                    Vec::new()
                };
                if !changed.is_empty() {
                    Some(Reason::HeadersChanged(changed))
                } else if opts.force {
                    Some(Reason::Forced)
                } else {
                    None
                }
            }
        };
        match reason {
            Some(reason) => uploads.push(Step {
                key: output.key.clone(),
                action: Action::Upload,
                reason,
                size: new.size,
                kind: Some(output.kind),
            }),
            None => {
                unchanged += 1;
                unchanged_bytes += new.size;
            }
        }
        manifest.entries.insert(output.key.clone(), new);
    }
    uploads.sort_by(|a, b| phase(a).cmp(&phase(b)).then_with(|| a.key.cmp(&b.key)));

    let mut deletes: Vec<Step> = old
        .entries
        .iter()
        .filter(|(key, _)| !outputs.contains(key) && !skip(key))
        .map(|(key, e)| Step {
            key: key.clone(),
            action: Action::Delete,
            reason: Reason::Removed,
            size: e.size,
            kind: None,
        })
        .collect();
    if deletes.len() > opts.max_deletes {
        return Err(PlanError::TooManyDeletes {
            count: deletes.len(),
            max: opts.max_deletes,
        });
    }
    // Deletes an interrupted publish decided on (and counted against its own limit).
    deletes.extend(
        old.pending_deletes
            .iter()
            .filter(|key| !outputs.contains(key) && !skip(key) && !old.entries.contains_key(*key))
            .map(|key| Step {
                key: key.clone(),
                action: Action::Delete,
                reason: Reason::Interrupted,
                size: 0,
                kind: None,
            }),
    );
    deletes.sort_by(|a, b| a.key.cmp(&b.key));

    let mut actions = uploads;
    actions.extend(deletes);
    Ok(Plan {
        actions,
        unchanged,
        unchanged_bytes,
        skipped,
        manifest,
    })
}

fn changed_headers(old: &Entry, new: &Entry) -> Vec<Header> {
    let mut changed = Vec::new();
    if old.content_type != new.content_type {
        changed.push(Header::ContentType);
    }
    if old.content_encoding != new.content_encoding {
        changed.push(Header::ContentEncoding);
    }
    if old.cache_control != new.cache_control {
        changed.push(Header::CacheControl);
    }
    if old.redirect != new.redirect {
        changed.push(Header::Redirect);
    }
    changed
}

fn compile(globs: &[String]) -> Result<GlobSet, PlanError> {
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        builder.add(Glob::new(glob).map_err(|e| PlanError::BadGlob {
            glob: glob.clone(),
            error: e.kind().to_string(),
        })?);
    }
    builder.build().map_err(|e| PlanError::BadGlob {
        glob: globs.join(", "),
        error: e.to_string(),
    })
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;

//! What the server serves: the last good build, the current errors, and the rebuild step that
//! replaces them and decides which event open pages get.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use tokio::sync::{broadcast, watch};

use super::event::Event;
use super::watch::ChangeSet;
use crate::error::BuildErrors;
use crate::outputs::{Output, Outputs};
use crate::pipeline::{BuildOptions, Rendered, Session};
use crate::report::Reporter;

/// One consistent view: handlers clone the `Arc` and never see a half-applied rebuild.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The last good build's outputs (empty until a build succeeds).
    pub outputs: Arc<Outputs>,
    /// Counts good builds that changed something; pages carry it to detect missed reloads.
    pub version: u64,
    /// The current build's errors; empty when the last build was good.
    pub errors: Vec<String>,
}

/// State shared by the HTTP handlers and the rebuild thread.
pub struct Shared {
    snapshot: RwLock<Arc<Snapshot>>,
    events: broadcast::Sender<Event>,
    shutdown: watch::Receiver<bool>,
    /// Only answer requests addressed to a loopback name or an IP address (the server listens on
    /// loopback), so a web page cannot read the preview through DNS rebinding.
    pub local_hosts_only: bool,
}

impl Shared {
    /// Fresh state; `shutdown` turning true ends open WebSockets.
    pub fn new(shutdown: watch::Receiver<bool>, local_hosts_only: bool) -> Shared {
        Shared {
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
            events: broadcast::channel(64).0,
            shutdown,
            local_hosts_only,
        }
    }

    /// The current view.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read().expect("snapshot lock").clone()
    }

    fn replace(&self, snapshot: Snapshot) {
        *self.snapshot.write().expect("snapshot lock") = Arc::new(snapshot);
    }

    /// A receiver of every event sent from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// The greeting for a newly connected page.
    pub fn hello(&self) -> Event {
        let s = self.snapshot();
        Event::Hello {
            version: s.version,
            errors: s.errors.clone(),
        }
    }

    /// A receiver that changes when the server shuts down.
    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.clone()
    }

    fn send(&self, event: Event) {
        // No open pages is fine.
        let _ = self.events.send(event);
    }
}

/// How two builds differ.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Diff {
    /// Keys added, removed or whose bytes or headers changed.
    pub changed: Vec<String>,
}

impl Diff {
    /// True when every changed key is a stylesheet (and something changed).
    pub(crate) fn css_only(&self) -> bool {
        !self.changed.is_empty() && self.changed.iter().all(|k| k.ends_with(".css"))
    }
}

/// Compares two builds key by key (hash and headers): one merge pass over both sorted key
/// lists, no lookups, as it runs on every rebuild of sites with tens of thousands of outputs.
pub fn diff(old: &Outputs, new: &Outputs) -> Diff {
    use std::cmp::Ordering;
    let same = |a: &Output, b: &Output| {
        // A page the render reused is the very same output.
        std::ptr::eq(a, b)
            || a.hash == b.hash
                && a.content_type == b.content_type
                && a.content_encoding == b.content_encoding
                && a.cache_control == b.cache_control
                && a.redirect == b.redirect
    };
    let mut changed = Vec::new();
    let (mut a, mut b) = (old.iter().peekable(), new.iter().peekable());
    loop {
        let order = match (a.peek(), b.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(x), Some(y)) => x.key.cmp(&y.key),
        };
        match order {
            Ordering::Less => changed.push(a.next().expect("peeked").key.clone()),
            Ordering::Greater => changed.push(b.next().expect("peeked").key.clone()),
            Ordering::Equal => {
                let (x, y) = (a.next().expect("peeked"), b.next().expect("peeked"));
                if !same(x, y) {
                    changed.push(y.key.clone());
                }
            }
        }
    }
    Diff { changed }
}

/// Builds the site again and again through one incremental [`Session`], so a rebuild redoes
/// only what the edit touched.
pub struct Builder {
    session: Mutex<Session>,
    reporter: Reporter,
}

impl Builder {
    /// A builder for the site in `site_dir` with `opts` (base_url already set for serving).
    pub fn new(site_dir: PathBuf, opts: BuildOptions, reporter: Reporter) -> Builder {
        let mut session = Session::new(&site_dir, opts);
        // Start from (and keep) the highlight cache `build` leaves: a big site's first preview
        // build then highlights nothing it has highlighted before. It lives under the dot
        // folder `.bucketpress/`, which the watcher ignores.
        session.persist_highlights();
        Builder {
            session: Mutex::new(session),
            reporter,
        }
    }

    /// From now on, image variants an edit needs are made in the background, the original
    /// standing in under their names meanwhile; when a batch is done the site is rendered
    /// again (nothing re-read: the variants come from the cache) and open pages reload.
    pub(crate) fn images_in_background(self: &Arc<Self>, shared: &Arc<Shared>) {
        let (builder, shared) = (Arc::downgrade(self), Arc::downgrade(shared));
        let notify = Arc::new(move || {
            if let (Some(b), Some(s)) = (builder.upgrade(), shared.upgrade()) {
                let started = Instant::now();
                let result = b.build(Some(&ChangeSet::default()));
                let ms = started.elapsed().as_millis();
                let (event, line) = apply(&s, result, b.reporter, ms);
                if let Some(event) = event {
                    s.send(event);
                }
                b.reporter.status(format!("image variants ready: {line}"));
            }
        });
        let mut session = self.session.lock().expect("session lock");
        session.images_lazily(notify);
    }

    /// Writes the caches an incremental rebuild leaves for later (the highlight cache).
    pub(crate) fn save_caches(&self) {
        self.session.lock().expect("session lock").save_highlights();
    }

    /// Renders the site (incrementally after the first time); `changes` names the files the
    /// watcher saw change, so the rest are not even stat-ed.
    pub fn build(&self, changes: Option<&ChangeSet>) -> Result<Rendered, BuildErrors> {
        let changed = changes.and_then(ChangeSet::changed_paths);
        let mut session = self.session.lock().expect("session lock");
        let result = session.render_changed(changed.as_deref());
        if result.is_ok() {
            tracing::debug!("render stages: {}", session.stages());
        }
        result
    }

    /// Rebuilds after `changes` (`None`: the first build), installs the result in `shared`,
    /// tells open pages, and prints one summary line.
    pub fn rebuild(&self, shared: &Shared, changes: Option<&ChangeSet>) {
        let started = Instant::now();
        let result = self.build(changes);
        let ms = started.elapsed().as_millis();
        let (event, line) = apply(shared, result, self.reporter, ms);
        if let Some(event) = event {
            shared.send(event);
        }
        match changes {
            Some(changes) => self.reporter.status(format!("{changes} changed: {line}")),
            None => self.reporter.status(line),
        }
    }
}

/// Installs a build result (that took `ms`) in `shared`: returns the event for open pages and
/// a summary.
fn apply(
    shared: &Shared,
    result: Result<Rendered, BuildErrors>,
    reporter: Reporter,
    ms: u128,
) -> (Option<Event>, String) {
    let current = shared.snapshot();
    match result {
        Ok(rendered) => {
            reporter.warnings(&rendered.warnings);
            let d = diff(&current.outputs, &rendered.outputs);
            let was_broken = !current.errors.is_empty();
            let n = d.changed.len();
            let first = current.version == 0 && current.outputs.is_empty();
            let line = match n {
                _ if first => format!(
                    "built {} documents into {n} outputs in {ms} ms",
                    rendered.documents
                ),
                0 if was_broken => format!("fixed in {ms} ms, no output changed"),
                0 => format!("rebuilt in {ms} ms, no output changed"),
                1 => format!("rebuilt in {ms} ms, 1 output changed ({})", d.changed[0]),
                _ => format!("rebuilt in {ms} ms, {n} outputs changed"),
            };
            if n == 0 {
                if was_broken {
                    shared.replace(Snapshot {
                        outputs: current.outputs.clone(),
                        version: current.version,
                        errors: Vec::new(),
                    });
                }
                return (was_broken.then_some(Event::Ok), line);
            }
            let version = current.version + 1;
            let event = if d.css_only() {
                Event::Css { version }
            } else {
                Event::Reload { version }
            };
            shared.replace(Snapshot {
                outputs: Arc::new(rendered.outputs),
                version,
                errors: Vec::new(),
            });
            (Some(event), line)
        }
        Err(BuildErrors(diagnostics)) => {
            // The same template error on every page is one line, with a count.
            let errors = crate::error::grouped(&diagnostics);
            for e in &errors {
                reporter.error(e);
            }
            let n = errors.len();
            shared.replace(Snapshot {
                outputs: current.outputs.clone(),
                version: current.version,
                errors: errors.clone(),
            });
            let line = format!(
                "build failed in {ms} ms ({n} problem{}); still serving the last good build",
                if n == 1 { "" } else { "s" }
            );
            (Some(Event::Errors { errors }), line)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::OutputKind;

    fn outputs(items: &[(&str, &str)]) -> Outputs {
        items
            .iter()
            .map(|(k, v)| Output::from_bytes(*k, v.as_bytes().to_vec(), OutputKind::Page))
            .collect()
    }

    #[test]
    fn diff_finds_changed_added_and_removed() {
        let old = outputs(&[("a.html", "1"), ("b.html", "2"), ("s.css", "x")]);
        let new = outputs(&[("a.html", "1"), ("c.html", "3"), ("s.css", "y")]);
        assert_eq!(diff(&old, &new).changed, ["b.html", "c.html", "s.css"]);
        assert_eq!(
            diff(&Outputs::new(), &old).changed,
            ["a.html", "b.html", "s.css"]
        );
        assert_eq!(
            diff(&new, &Outputs::new()).changed,
            ["a.html", "c.html", "s.css"]
        );
        let mut moved = outputs(&[("a.html", "1")]);
        moved
            .iter_mut()
            .for_each(|o| o.redirect = Some("/x/".into()));
        assert_eq!(
            diff(&outputs(&[("a.html", "1")]), &moved).changed,
            ["a.html"]
        );
        assert!(diff(&old, &old).changed.is_empty());
        let css = outputs(&[("a.html", "1"), ("b.html", "2"), ("s.css", "z")]);
        assert!(diff(&old, &css).css_only());
        assert!(!diff(&old, &new).css_only());
    }
}

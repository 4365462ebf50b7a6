//! Writing `Outputs` to a folder (`build`): only files whose bytes changed are written, and
//! files an earlier build wrote that this one no longer produces are removed. Files the build
//! never wrote are never touched, so `--out` pointing at a folder with other files is safe.
//!
//! A build hands pages to a [`Spill`] as they are rendered, so it never holds the whole site in
//! memory: pages new to the folder are written in place at once (a failed build removes them
//! again), changed pages wait in a staging folder and move into place only when the whole
//! build succeeded.

use std::collections::{BTreeMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::outputs::{Body, Output, Outputs, PageSink};
use crate::sources_hash::SourcesRecord;

/// What the last build wrote, kept in the output folder: a header naming the sources it
/// rendered (when known), then one `hash<TAB>size<TAB>modified<TAB>key` line per file, the
/// modification time in nanoseconds as the file system gave it after the write. (Older
/// builds wrote `hash<TAB>size<TAB>key`, or bare keys: both still read; bare keys are never
/// taken as up to date.)
pub(crate) const RECORD_FILE: &str = ".bucketpress-outputs";

/// The first word of the record's header line.
const RECORD_HEADER: &str = "#bucketpress-outputs-v3";

/// The header of records without modification times (read, never written).
const RECORD_HEADER_V2: &str = "#bucketpress-outputs-v2";

/// What the record says of one file.
#[derive(Debug, PartialEq, Eq)]
struct Recorded {
    /// BLAKE3 hex of the bytes written.
    hash: String,
    /// The size in bytes.
    size: u64,
    /// The modification time (ns since the epoch) after the write, when recorded.
    modified: Option<u128>,
}

/// The record a build left in its output folder.
#[derive(Debug, Default, PartialEq, Eq)]
struct Record {
    /// The sources the files were rendered from, when the build could vouch for them.
    sources: Option<SourcesRecord>,
    /// Key → what was written; `None` when an older build recorded the key alone.
    files: BTreeMap<String, Option<Recorded>>,
}

/// Where a [`Spill`] stages changed pages, inside the output folder (so moving them into place
/// is a rename on the same file system).
pub(crate) const STAGING_DIR: &str = ".bucketpress-staging";

/// The journal in [`STAGING_DIR`] of the pages a [`Spill`] created in place, one key a line,
/// each written before its page: what the next build removes if this one was killed.
const CREATED_JOURNAL: &str = ".created";

/// Pages put on disk as soon as they are rendered, their bytes then dropped from memory. A
/// page whose file already holds its bytes points at that file; a page with no file yet is
/// written in place (nothing is overwritten, and a cold build creates each page and folder
/// once, with no staging copy and no rename); a changed
/// one is written to `STAGING_DIR`, and [`Spill::commit`] renames it into place once the
/// build succeeded. A failed build calls [`Spill::discard`], so the output folder is as it was.
#[derive(Debug)]
pub struct Spill {
    out_dir: PathBuf,
    staging: PathBuf,
    /// Whether the output folder existed before (else a failed build removes it again).
    existed: bool,
    /// The files this spill created in place (removed again by [`Spill::discard`]), and the
    /// journal naming them (opened with the first).
    created: Mutex<Created>,
}

/// The pages a [`Spill`] created in place.
#[derive(Debug, Default)]
struct Created {
    files: HashSet<PathBuf>,
    journal: Option<std::fs::File>,
}

impl PageSink for Spill {
    fn accept(&self, page: &mut Output) -> io::Result<()> {
        self.spill(page)
    }
}

impl Spill {
    /// A spill into `out_dir`, undoing what a killed build left: its staged pages, and the
    /// pages it had created in place (named by its journal).
    pub fn new(out_dir: &Path) -> io::Result<Spill> {
        let staging = out_dir.join(STAGING_DIR);
        if let Ok(journal) = std::fs::read_to_string(staging.join(CREATED_JOURNAL)) {
            for file in journal.lines().filter_map(|key| safe_join(out_dir, key)) {
                remove_created(out_dir, &file)?;
            }
        }
        remove_tree(&staging)?;
        Ok(Spill {
            out_dir: out_dir.to_path_buf(),
            staging,
            existed: out_dir.exists(),
            created: Mutex::default(),
        })
    }

    /// Puts `output`'s bytes on disk (unless its file already holds them) and makes its body
    /// that file. Bodies that are files already are left alone.
    pub fn spill(&self, output: &mut Output) -> io::Result<()> {
        let Body::Bytes(bytes) = &output.body else {
            return Ok(());
        };
        let dest = safe_join(&self.out_dir, &output.key).ok_or_else(|| unsafe_key(&output.key))?;
        let path = match std::fs::metadata(&dest) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if self.create_in_place(&output.key, &dest, bytes)? {
                    dest
                } else {
                    self.stage(&output.key, bytes)?
                }
            }
            Ok(meta) if meta.len() == output.body.len() && same_hash(&dest, output) => dest,
            _ => self.stage(&output.key, bytes)?,
        };
        output.body = Body::File {
            size: output.body.len(),
            path,
        };
        Ok(())
    }

    /// Writes the page `key` to the staging folder; returns where.
    fn stage(&self, key: &str, bytes: &[u8]) -> io::Result<PathBuf> {
        let staged = self.staging.join(key);
        if let Some(parent) = staged.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&staged, bytes)?;
        Ok(staged)
    }

    /// Writes the page `key` that has no file yet straight to `dest`, its key first in the
    /// journal; false (nothing written) if a file appeared there meanwhile.
    fn create_in_place(&self, key: &str, dest: &Path, bytes: &[u8]) -> io::Result<bool> {
        use std::io::Write;
        {
            let mut created = self.created.lock().expect("spill lock");
            let journal = match &mut created.journal {
                Some(journal) => journal,
                journal => {
                    std::fs::create_dir_all(&self.staging)?;
                    let path = self.staging.join(CREATED_JOURNAL);
                    journal.insert(std::fs::File::create(path)?)
                }
            };
            // Unbuffered: a killed build must have named every page it created.
            journal.write_all(format!("{key}\n").as_bytes())?;
        }
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut file = match std::fs::File::create_new(dest) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
            Err(e) => return Err(e),
        };
        self.created
            .lock()
            .expect("spill lock")
            .files
            .insert(dest.to_path_buf());
        file.write_all(bytes)?;
        Ok(true)
    }

    /// Moves the staged pages into place, removes the files an earlier build wrote that these
    /// `outputs` no longer have, and writes the record naming `sources` (see [`write_outputs`]).
    pub fn commit(
        &self,
        outputs: &Outputs,
        sources: Option<&SourcesRecord>,
    ) -> io::Result<WriteStats> {
        let created = self.created.lock().expect("spill lock");
        write_all(outputs, &self.out_dir, sources, &created.files)
    }

    /// Removes every staged page and every page written in place (and the folders left
    /// empty: also one that was empty before), and the output folder if the spill made it
    /// (the build failed: nothing is written).
    pub fn discard(&self) -> io::Result<()> {
        if !self.existed {
            // Made by this build: whatever it holds, this build wrote.
            return remove_tree(&self.out_dir);
        }
        let mut created = self.created.lock().expect("spill lock");
        for file in created.files.drain() {
            remove_created(&self.out_dir, &file)?;
        }
        created.journal = None;
        remove_tree(&self.staging)
    }
}

fn remove_tree(dir: &Path) -> io::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn unsafe_key(key: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("unsafe key {key:?}"))
}

/// True when the file at `path` holds exactly `output`'s bytes.
fn holds(path: &Path, output: &Output) -> bool {
    std::fs::metadata(path).is_ok_and(|meta| meta.len() == output.body.len())
        && same_hash(path, output)
}

/// True when the file at `path` hashes as `output` does.
fn same_hash(path: &Path, output: &Output) -> bool {
    crate::outputs::hash_file(path).ok().as_deref() == Some(output.hash.as_str())
}

/// What a write did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Files written (new or changed).
    pub written: usize,
    /// Files already up to date.
    pub unchanged: usize,
    /// Stale files of an earlier build removed.
    pub removed: usize,
}

/// Writes `outputs` under `out_dir`; the record names `sources` as what they were rendered
/// from, so the next build of the same sources can stop early ([`up_to_date`]).
pub fn write_outputs(
    outputs: &Outputs,
    out_dir: &Path,
    sources: Option<&SourcesRecord>,
) -> io::Result<WriteStats> {
    write_all(outputs, out_dir, sources, &HashSet::new())
}

/// [`write_outputs`], where the files in `created` were written in place by a [`Spill`].
fn write_all(
    outputs: &Outputs,
    out_dir: &Path,
    sources: Option<&SourcesRecord>,
    created: &HashSet<PathBuf>,
) -> io::Result<WriteStats> {
    std::fs::create_dir_all(out_dir)?;
    let previous = read_record(out_dir);
    let results: Vec<io::Result<(bool, Option<u128>)>> = outputs
        .iter()
        .collect::<Vec<_>>()
        .par_iter()
        .map(|o| {
            let written = write_one(o, out_dir, created)?;
            // Taken after the write, for the next build's quick look ([`up_to_date`]).
            let modified = safe_join(out_dir, &o.key).and_then(|path| modified_ns(&path));
            Ok((written, modified))
        })
        .collect();
    let mut stats = WriteStats::default();
    let mut stamps = Vec::with_capacity(results.len());
    for r in results {
        let (written, modified) = r?;
        if written {
            stats.written += 1;
        } else {
            stats.unchanged += 1;
        }
        stamps.push(modified);
    }
    for key in previous.files.keys().filter(|k| !outputs.contains(k)) {
        let Some(path) = safe_join(out_dir, key) else {
            continue;
        };
        match std::fs::remove_file(&path) {
            Ok(()) => {
                stats.removed += 1;
                remove_empty_parents(out_dir, &path);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    // Written last: a build stopped before this point is never taken as up to date.
    std::fs::write(
        out_dir.join(RECORD_FILE),
        encode_record(outputs, &stamps, sources),
    )?;
    remove_tree(&out_dir.join(STAGING_DIR))?;
    Ok(stats)
}

/// Writes one output unless the file already holds the same bytes; true when written. A
/// page a [`Spill`] staged is renamed into place; one it found unchanged or wrote in place
/// (`created`) is not read again.
fn write_one(output: &Output, out_dir: &Path, created: &HashSet<PathBuf>) -> io::Result<bool> {
    let path = safe_join(out_dir, &output.key).ok_or_else(|| unsafe_key(&output.key))?;
    let staged = match &output.body {
        Body::File { path: src, .. } if *src == path => return Ok(created.contains(&path)),
        Body::File { path: src, .. } => src.starts_with(out_dir.join(STAGING_DIR)),
        Body::Bytes(_) => false,
        Body::Dropped { .. } => return Err(Body::dropped_error()),
    };
    if !staged && holds(&path, output) {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    match &output.body {
        Body::Bytes(bytes) => std::fs::write(&path, bytes)?,
        Body::File { path: src, .. } if staged => std::fs::rename(src, &path)?,
        Body::File { path: src, .. } => {
            std::fs::copy(src, &path)?;
        }
        Body::Dropped { .. } => return Err(Body::dropped_error()),
    }
    Ok(true)
}

/// `out_dir/key`, or `None` if the key could escape the folder.
fn safe_join(out_dir: &Path, key: &str) -> Option<PathBuf> {
    is_safe_key(key).then(|| out_dir.join(key))
}

/// True for keys a build writes: not empty, relative, no `.`, `..` or empty part, no
/// backslash (publish refuses the same keys).
pub(crate) fn is_safe_key(key: &str) -> bool {
    !key.is_empty()
        && !key.starts_with('/')
        && key
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
        && !key.contains('\\')
}

/// The file's modification time in nanoseconds since the epoch, when the file system tells.
fn modified_ns(path: &Path) -> Option<u128> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(
        modified
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_nanos(),
    )
}

/// The record of `outputs`, whose files had the modification times `stamps` (in the same
/// order) after they were written.
fn encode_record(
    outputs: &Outputs,
    stamps: &[Option<u128>],
    sources: Option<&SourcesRecord>,
) -> String {
    let (hash, until) = match sources {
        Some(s) => (
            s.hash.as_str(),
            s.until.map_or("-".into(), |u| u.to_string()),
        ),
        None => ("-", "-".into()),
    };
    let mut text = format!("{RECORD_HEADER} {hash} {until}\n");
    for (o, modified) in outputs.iter().zip(stamps) {
        let modified = modified.map_or("-".to_string(), |m| m.to_string());
        text.push_str(&format!(
            "{}\t{}\t{modified}\t{}\n",
            o.hash,
            o.body.len(),
            o.key
        ));
    }
    text
}

fn read_record(out_dir: &Path) -> Record {
    let Ok(text) = std::fs::read_to_string(out_dir.join(RECORD_FILE)) else {
        return Record::default();
    };
    let mut record = Record::default();
    let mut stamped = false;
    for line in text.lines() {
        let header = match line.strip_prefix(RECORD_HEADER) {
            Some(header) => {
                stamped = true;
                Some(header)
            }
            None => line.strip_prefix(RECORD_HEADER_V2),
        };
        if let Some(header) = header {
            let mut words = header.split_whitespace();
            let hash = words.next().filter(|h| *h != "-");
            let until = words.next().and_then(|u| u.parse().ok());
            record.sources = hash.map(|hash| SourcesRecord {
                hash: hash.to_string(),
                until,
            });
            continue;
        }
        let mut parts = line.splitn(if stamped { 4 } else { 3 }, '\t');
        let (hash, size) = (parts.next(), parts.next());
        let modified = if stamped { parts.next() } else { Some("-") };
        match (hash, size, modified, parts.next()) {
            (Some(hash), Some(size), Some(modified), Some(key)) => {
                let recorded = Recorded {
                    hash: hash.to_string(),
                    size: size.parse().unwrap_or(u64::MAX),
                    modified: modified.parse().ok(),
                };
                record.files.insert(key.to_string(), Some(recorded));
            }
            _ if !line.is_empty() => {
                record.files.insert(line.to_string(), None);
            }
            _ => {}
        }
    }
    record
}

/// How many files `out_dir` holds from a build of sources hashing to `hash`, when it holds
/// exactly what that build wrote at unix time `now`: the record names these sources (and no
/// future post has come due since), and every file it lists is there with its recorded size
/// and hash. A file whose size and modification time are still as recorded is taken as
/// intact without being read (git's index does the same), unless its time is not older than
/// the record itself (an edit in the same clock tick could hide there): those, and every
/// file whose time moved, are read and hashed. `None` otherwise.
pub fn up_to_date(out_dir: &Path, hash: &str, now: i64) -> Option<usize> {
    if out_dir.join(STAGING_DIR).exists() {
        // A build was killed here: the next one cleans up after it.
        return None;
    }
    let record = read_record(out_dir);
    if !record.sources.as_ref()?.covers(hash, now) || record.files.is_empty() {
        return None;
    }
    let recorded_at = modified_ns(&out_dir.join(RECORD_FILE));
    let files: Vec<(&String, &Option<Recorded>)> = record.files.iter().collect();
    let intact = files.par_iter().all(|(key, recorded)| {
        let (Some(recorded), Some(path)) = (recorded, safe_join(out_dir, key)) else {
            return false;
        };
        let Ok(meta) = std::fs::metadata(&path) else {
            return false;
        };
        if !meta.is_file() || meta.len() != recorded.size {
            return false;
        }
        let modified = meta
            .modified()
            .ok()
            .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos());
        let unmoved = modified.is_some() && modified == recorded.modified;
        let settled = matches!((modified, recorded_at), (Some(m), Some(r)) if m < r);
        (unmoved && settled) || crate::outputs::hash_file(&path).is_ok_and(|h| h == recorded.hash)
    });
    intact.then_some(files.len())
}

/// Removes a page a build created in place (gone already is fine), and the folders it leaves
/// empty.
fn remove_created(out_dir: &Path, file: &Path) -> io::Result<()> {
    match std::fs::remove_file(file) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => {
            remove_empty_parents(out_dir, file);
            Ok(())
        }
    }
}

fn remove_empty_parents(out_dir: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == out_dir || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
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
    fn writes_only_changes_and_removes_only_its_own_stale_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        std::fs::write(out.join("user-file.txt"), "mine").unwrap();
        let first = write_outputs(
            &outputs(&[("a/index.html", "A"), ("b/index.html", "B")]),
            out,
            None,
        )
        .unwrap();
        assert_eq!(
            first,
            WriteStats {
                written: 2,
                unchanged: 0,
                removed: 0
            }
        );
        let second = write_outputs(&outputs(&[("a/index.html", "A2")]), out, None).unwrap();
        assert_eq!(
            second,
            WriteStats {
                written: 1,
                unchanged: 0,
                removed: 1
            }
        );
        assert!(
            !out.join("b").exists(),
            "empty folder of a stale page removed"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("a/index.html")).unwrap(),
            "A2"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("user-file.txt")).unwrap(),
            "mine"
        );
        let third = write_outputs(&outputs(&[("a/index.html", "A2")]), out, None).unwrap();
        assert_eq!(
            third,
            WriteStats {
                written: 0,
                unchanged: 1,
                removed: 0
            }
        );
    }

    fn spilled(spill: &Spill, items: &[(&str, &str)]) -> Outputs {
        let spill_one = |mut o: Output| {
            spill.spill(&mut o).unwrap();
            assert!(matches!(o.body, Body::File { .. }), "{o:?}");
            o
        };
        outputs(items).iter().cloned().map(spill_one).collect()
    }

    #[test]
    fn spilled_pages_move_into_place_only_when_the_build_succeeds() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");

        // A failed first build: nothing is left, not even the folder it made.
        let spill = Spill::new(&out).unwrap();
        spilled(&spill, &[("a/index.html", "A")]);
        assert!(
            out.join("a/index.html").exists(),
            "a new page goes in place"
        );
        spill.discard().unwrap();
        assert!(!out.exists());

        let spill = Spill::new(&out).unwrap();
        let first = spilled(&spill, &[("a/index.html", "A"), ("b/index.html", "B")]);
        let stats = spill.commit(&first, None).unwrap();
        assert_eq!((stats.written, stats.unchanged), (2, 0));
        assert_eq!(
            std::fs::read_to_string(out.join("a/index.html")).unwrap(),
            "A"
        );
        assert!(!out.join(STAGING_DIR).exists());

        // A failed build after an edit and a new page leaves the old bytes and removes the new
        // page (and its folder), but not a file the builds never wrote.
        std::fs::write(out.join("user.txt"), "mine").unwrap();
        let spill = Spill::new(&out).unwrap();
        let items = [
            ("a/index.html", "A2"),
            ("b/index.html", "B"),
            ("c/index.html", "C"),
        ];
        spilled(&spill, &items);
        assert!(
            out.join(STAGING_DIR).join("a/index.html").exists(),
            "a changed page is staged"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("a/index.html")).unwrap(),
            "A",
            "not yet in place"
        );
        spill.discard().unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("a/index.html")).unwrap(),
            "A"
        );
        assert!(!out.join("c").exists());
        assert!(out.join("user.txt").exists() && out.join("b/index.html").exists());

        // Unchanged pages point at their files and are not written again.
        let spill = Spill::new(&out).unwrap();
        let second = spilled(&spill, &items);
        let b = second.iter().find(|o| o.key == "b/index.html").unwrap();
        assert!(matches!(&b.body, Body::File { path, .. } if *path == out.join("b/index.html")));
        let stats = spill.commit(&second, None).unwrap();
        assert_eq!((stats.written, stats.unchanged), (2, 1));
        for (key, text) in items {
            assert_eq!(std::fs::read_to_string(out.join(key)).unwrap(), text);
        }
        assert!(!out.join(STAGING_DIR).exists());
    }

    #[test]
    fn the_next_build_removes_the_pages_a_killed_build_created() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let sources = SourcesRecord {
            hash: "h".into(),
            until: None,
        };
        let spill = Spill::new(&out).unwrap();
        let first = spilled(&spill, &[("a/index.html", "A")]);
        spill.commit(&first, Some(&sources)).unwrap();
        assert_eq!(up_to_date(&out, "h", 0), Some(1));

        // Killed half way: neither commit nor discard runs.
        let killed = Spill::new(&out).unwrap();
        spilled(&killed, &[("a/index.html", "A2"), ("new/index.html", "N")]);
        drop(killed);
        assert!(out.join("new/index.html").exists());
        assert_eq!(up_to_date(&out, "h", 0), None, "a killed build's leftovers");

        let next = Spill::new(&out).unwrap();
        assert!(
            !out.join("new").exists(),
            "its new page and folder are gone"
        );
        assert!(!out.join(STAGING_DIR).exists());
        assert_eq!(
            std::fs::read_to_string(out.join("a/index.html")).unwrap(),
            "A"
        );
        next.discard().unwrap();
        assert_eq!(up_to_date(&out, "h", 0), Some(1));
    }

    #[test]
    fn a_folder_is_up_to_date_only_while_every_recorded_file_is_intact() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let site = outputs(&[("a/index.html", "AAA"), ("b/index.html", "BBB")]);
        let sources = SourcesRecord {
            hash: "h".into(),
            until: Some(100),
        };
        write_outputs(&site, out, None).unwrap();
        assert_eq!(up_to_date(out, "h", 0), None, "no sources recorded");
        write_outputs(&site, out, Some(&sources)).unwrap();
        assert_eq!(up_to_date(out, "h", 0), Some(2));
        assert_eq!(up_to_date(out, "other", 0), None);
        assert_eq!(up_to_date(out, "h", 100), None, "a future post came due");

        // Edited by hand with the same size, then removed: no longer up to date.
        std::fs::write(out.join("a/index.html"), "AAX").unwrap();
        assert_eq!(up_to_date(out, "h", 0), None);
        std::fs::write(out.join("a/index.html"), "AAA").unwrap();
        assert_eq!(up_to_date(out, "h", 0), Some(2));
        std::fs::remove_file(out.join("b/index.html")).unwrap();
        assert_eq!(up_to_date(out, "h", 0), None);

        // A record in the old format (bare keys) is read for removals, never as up to date.
        std::fs::write(out.join(RECORD_FILE), "a/index.html\nb/index.html\n").unwrap();
        assert_eq!(up_to_date(out, "h", 0), None);
        let stats = write_outputs(&outputs(&[("a/index.html", "AAA")]), out, None).unwrap();
        assert_eq!(stats.removed, 0, "b was already gone");
        assert!(out.join("a/index.html").exists());
    }

    #[test]
    fn files_whose_stamp_is_as_recorded_are_not_read_unless_racy() {
        use std::time::{Duration, SystemTime};
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let sources = SourcesRecord {
            hash: "h".into(),
            until: None,
        };
        write_outputs(&outputs(&[("a.html", "AAA")]), out, Some(&sources)).unwrap();
        let file = out.join("a.html");
        let record = out.join(RECORD_FILE);
        let set_time = |path: &Path, t: SystemTime| {
            let f = std::fs::File::options().write(true).open(path).unwrap();
            f.set_modified(t).unwrap();
        };
        let then = SystemTime::now() - Duration::from_secs(60);
        // Stamp the file well before the record, as a build leaves it, then record that.
        set_time(&file, then);
        write_outputs(&outputs(&[("a.html", "AAA")]), out, Some(&sources)).unwrap();
        assert_eq!(up_to_date(out, "h", 0), Some(1));

        // Same size, stamp put back: trusted without reading (git's rule), so the quick
        // look says intact.
        std::fs::write(&file, "AAX").unwrap();
        set_time(&file, then);
        assert_eq!(
            up_to_date(out, "h", 0),
            Some(1),
            "stamp as recorded: not read"
        );

        // The stamp moved: read, and the edit seen.
        set_time(&file, then + Duration::from_secs(1));
        assert_eq!(up_to_date(out, "h", 0), None);

        // Racy: the file's stamp is as recorded but not older than the record: read.
        set_time(&file, then);
        set_time(&record, then);
        assert_eq!(
            up_to_date(out, "h", 0),
            None,
            "racy stamp: read and found edited"
        );
        std::fs::write(&file, "AAA").unwrap();
        assert_eq!(up_to_date(out, "h", 0), Some(1));
    }

    #[test]
    fn records_without_stamps_are_read_and_every_file_hashed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        std::fs::write(out.join("a.html"), "AAA").unwrap();
        let hash = crate::outputs::hash_bytes(b"AAA");
        let v2 = format!("{RECORD_HEADER_V2} h -\n{hash}\t3\ta.html\n");
        std::fs::write(out.join(RECORD_FILE), v2).unwrap();
        assert_eq!(up_to_date(out, "h", 0), Some(1));
        std::fs::write(out.join("a.html"), "AAX").unwrap();
        assert_eq!(up_to_date(out, "h", 0), None);
    }

    #[test]
    fn unsafe_keys_are_refused() {
        assert!(safe_join(Path::new("/o"), "../x").is_none());
        assert!(safe_join(Path::new("/o"), "/abs").is_none());
        assert!(safe_join(Path::new("/o"), "a//b").is_none());
        assert!(safe_join(Path::new("/o"), "a/b.html").is_some());
    }
}

//! Rendered Markdown parked on disk between the Markdown stage and the page templates.
//!
//! A one-shot render (build, check, publish) renders every document's Markdown before any page
//! template runs; held in memory, that HTML was most of the peak (about 24 KB a post with
//! highlighted code, 2.4 GB at 100,000 posts). Parked, each document's HTML is written once
//! to an unnamed temporary file and read back when its page is rendered, so memory holds
//! metadata, not content (issue #22). `serve` keeps HTML in memory: it re-renders pages
//! from it after every edit.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU64, Ordering};

/// Where one document's HTML sits in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parked {
    offset: u64,
    len: usize,
}

/// An append-only temporary file of HTML, written and read from many threads at once (each
/// write reserves its own range; reads are positional). The file has no name: the operating
/// system removes it when the store is dropped, also when the process is killed.
pub(crate) struct HtmlStore {
    file: File,
    end: AtomicU64,
}

impl HtmlStore {
    /// A store in the system's temporary folder (`TMPDIR`).
    pub fn new() -> io::Result<HtmlStore> {
        Ok(HtmlStore {
            file: tempfile::tempfile()?,
            end: AtomicU64::new(0),
        })
    }

    /// Writes `html` to the store.
    pub(crate) fn park(&self, html: &str) -> io::Result<Parked> {
        let len = html.len();
        let offset = self.end.fetch_add(len as u64, Ordering::Relaxed);
        self.file.write_all_at(html.as_bytes(), offset)?;
        Ok(Parked { offset, len })
    }

    /// Reads back what [`HtmlStore::park`] wrote.
    pub fn load(&self, parked: Parked) -> io::Result<String> {
        let mut bytes = vec![0; parked.len];
        self.file.read_exact_at(&mut bytes, parked.offset)?;
        String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_parked_from_many_threads_reads_back_the_same() {
        let store = HtmlStore::new().unwrap();
        let texts: Vec<String> = (0..64)
            .map(|i| format!("<p>document {i}: {}</p>", "é".repeat(i * 7)))
            .collect();
        let parked: Vec<Parked> = std::thread::scope(|s| {
            let handles: Vec<_> = texts
                .iter()
                .map(|t| s.spawn(|| store.park(t).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (text, p) in texts.iter().zip(parked) {
            assert_eq!(&store.load(p).unwrap(), text);
        }
        let empty = store.park("").unwrap();
        assert_eq!(store.load(empty).unwrap(), "");
    }
}

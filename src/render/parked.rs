//! Rendered Markdown parked on disk between the Markdown stage and the page templates.
//!
//! A one-shot render (build, check, publish) renders every document's Markdown before any page
//! template runs; held in memory, that HTML was most of the peak (about 24 KB a post with
//! highlighted code, 2.4 GB at 100,000 posts). Parked, each document's HTML (and its table of
//! contents) is written once to an unnamed temporary file and read back when its page is
//! rendered, so memory holds metadata, not content (issue #22). `serve` keeps HTML in
//! memory: it re-renders pages from it after every edit.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::markdown::TocEntry;

/// Where one document's HTML and table of contents sit in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parked {
    offset: u64,
    html_len: usize,
    /// The table of contents as JSON right after the HTML; 0 for none.
    toc_len: usize,
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

    /// Writes a document's `html` and table of contents to the store. The contents go with
    /// the HTML: only the document's own page shows either, and held they were the largest
    /// part of what the Markdown stage keeps a post (~0.8 KB).
    pub(crate) fn park(&self, html: &str, toc: &[TocEntry]) -> io::Result<Parked> {
        let toc = match toc {
            [] => Vec::new(),
            toc => serde_json::to_vec(toc).map_err(io::Error::other)?,
        };
        let (html_len, toc_len) = (html.len(), toc.len());
        let offset = self
            .end
            .fetch_add((html_len + toc_len) as u64, Ordering::Relaxed);
        self.file.write_all_at(html.as_bytes(), offset)?;
        self.file.write_all_at(&toc, offset + html_len as u64)?;
        Ok(Parked {
            offset,
            html_len,
            toc_len,
        })
    }

    /// Reads back the HTML and the table of contents [`HtmlStore::park`] wrote.
    pub fn load(&self, parked: Parked) -> io::Result<(String, Vec<TocEntry>)> {
        let mut bytes = vec![0; parked.html_len + parked.toc_len];
        self.file.read_exact_at(&mut bytes, parked.offset)?;
        let toc = match &bytes[parked.html_len..] {
            [] => Vec::new(),
            json => serde_json::from_slice(json).map_err(io::Error::other)?,
        };
        bytes.truncate(parked.html_len);
        let html =
            String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        Ok((html, toc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_parked_from_many_threads_reads_back_the_same_with_its_contents() {
        let store = HtmlStore::new().unwrap();
        let texts: Vec<String> = (0..64)
            .map(|i| format!("<p>document {i}: {}</p>", "é".repeat(i * 7)))
            .collect();
        let toc = |i: usize| -> Vec<TocEntry> {
            (0..i % 3)
                .map(|n| TocEntry {
                    level: 2,
                    id: format!("h-{i}-{n}"),
                    title: format!("Heading {n} « {i} »"),
                    children: Vec::new(),
                })
                .collect()
        };
        let store = &store;
        let parked: Vec<Parked> = std::thread::scope(|s| {
            let handles: Vec<_> = texts
                .iter()
                .enumerate()
                .map(|(i, t)| s.spawn(move || store.park(t, &toc(i)).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (i, (text, p)) in texts.iter().zip(parked).enumerate() {
            assert_eq!(store.load(p).unwrap(), (text.clone(), toc(i)));
        }
        let empty = store.park("", &[]).unwrap();
        assert_eq!(store.load(empty).unwrap(), (String::new(), Vec::new()));
    }
}

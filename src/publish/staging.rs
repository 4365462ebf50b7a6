//! The page sink of `publish`: each page leaves memory as soon as it is rendered, precompressed
//! first when the target takes gzip (so the hash the plan compares is the stored bytes'), into
//! a temporary folder it is uploaded from. A publish then holds what a build holds, not the
//! whole site.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::outputs::{Body, Output, PageSink};

/// Rendered pages waiting in a temporary folder (removed when this is dropped) to be uploaded.
#[derive(Debug)]
pub(crate) struct StagedPages {
    dir: tempfile::TempDir,
    /// Whether to gzip text pages before they are put down ([`super::headers`]' rule).
    gzip: bool,
    /// Numbers the files: a page is staged under a number, never under its key, so no key
    /// can reach outside the folder (keys are checked later, before any upload).
    next: AtomicUsize,
}

impl StagedPages {
    /// A new empty folder under the system's temporary folder (`TMPDIR`).
    pub(crate) fn new(gzip: bool) -> io::Result<StagedPages> {
        Ok(StagedPages {
            dir: tempfile::Builder::new()
                .prefix("bucketpress-publish-")
                .tempdir()?,
            gzip,
            next: AtomicUsize::new(0),
        })
    }
}

impl PageSink for StagedPages {
    fn accept(&self, page: &mut Output) -> io::Result<()> {
        if self.gzip {
            super::headers::gzip_output(page);
        }
        let Body::Bytes(bytes) = &page.body else {
            return Ok(());
        };
        let path = self
            .dir
            .path()
            .join(self.next.fetch_add(1, Ordering::Relaxed).to_string());
        std::fs::write(&path, bytes)?;
        page.body = Body::File {
            size: page.body.len(),
            path,
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::OutputKind;

    #[test]
    fn pages_leave_memory_gzipped_when_asked_with_the_hash_of_what_is_stored() {
        let html = "<p>hello</p>".repeat(100);
        for gzip in [false, true] {
            let staged = StagedPages::new(gzip).unwrap();
            let mut page =
                Output::from_bytes("../a/index.html", html.clone().into(), OutputKind::Page);
            staged.accept(&mut page).unwrap();
            let Body::File { path, size } = &page.body else {
                panic!("still in memory: {page:?}");
            };
            assert!(path.starts_with(staged.dir.path()), "{path:?}");
            let stored = std::fs::read(path).unwrap();
            assert_eq!(stored.len() as u64, *size);
            assert_eq!(page.hash, crate::outputs::hash_bytes(&stored));
            assert_eq!(page.content_encoding.is_some(), gzip);
            assert_eq!(stored == html.as_bytes(), !gzip);
        }
    }

    #[test]
    fn the_folder_goes_with_the_pages() {
        let staged = StagedPages::new(false).unwrap();
        let dir = staged.dir.path().to_path_buf();
        let mut page = Output::from_bytes("a.html", b"x".to_vec(), OutputKind::Page);
        staged.accept(&mut page).unwrap();
        drop(staged);
        assert!(!dir.exists());
    }
}

//! Images: responsive, light and private by default. Every raster image of the site (JPEG,
//! PNG, WebP under `content/` or `static/`) gets WebP variants at the configured widths and a
//! fallback in its own format, all without metadata, under content-addressed names
//! (`img/<stem>.<hash>.<width>.webp`) cached in `.bucketpress/cache/images/`. Markdown images
//! become `<picture>` elements with `srcset`, `sizes`, `width` and `height`; templates get
//! the same data as the `images` global. Originals are published without metadata, and not
//! at all above `max_original`. A site without raster images pays nothing.
//!
//! Files: [`config`] (the `[images]` section), [`decode`] (limits, orientation), [`variant`]
//! (plan, names, resize, encode), [`strip`] (metadata out of originals), [`cache`],
//! [`markup`] (`<picture>`), [`process`] (the step the session runs), [`testdata`].

pub mod cache;
pub mod config;
pub mod decode;
pub mod markup;
pub mod process;
mod size;
pub mod strip;
pub mod template;
pub mod testdata;
pub mod variant;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

pub use cache::{IMAGE_CACHE, VariantCache};
pub use config::ImageConfig;
pub use markup::Picture;
pub use process::{Images, Processed};

/// Why an image could not be used. The [`ImageFailure`] (and the diagnostic) that carries it
/// names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// The bytes are not a readable JPEG, PNG or WebP image.
    #[error("cannot read this image: {0}")]
    Unreadable(String),
    /// The header announces more pixels than allowed: refused before decoding.
    #[error(
        "the image is {width}x{height} pixels, more than the {max_megapixels} megapixels \
         allowed (is it a decompression bomb? [images] max_megapixels raises the limit)"
    )]
    TooManyPixels {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
        /// The configured limit.
        max_megapixels: u64,
    },
    /// Resizing or encoding failed.
    #[error("cannot make a variant: {0}")]
    Encode(String),
    /// The cache folder could not be written.
    #[error("cannot save a variant in {IMAGE_CACHE}: {0}")]
    Cache(String),
}

/// An image that cannot be used: its source file and why (`error` makes it a diagnostic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFailure {
    /// The source file, relative to the site (`content/posts/t/photo.jpg`).
    pub path: PathBuf,
    /// Why not.
    pub error: ImageError,
}

/// Every processed image of a render, by object key (`posts/t/photo.jpg`) and by source
/// path (`content/posts/t/photo.jpg`), for Markdown and templates.
#[derive(Debug, Clone)]
pub struct Catalog {
    by_key: BTreeMap<String, Picture>,
    /// Source path → object key.
    by_path: HashMap<String, String>,
    /// Object key → (width, height) of images left as they are.
    sizes: HashMap<String, (u32, u32)>,
    fingerprint: blake3::Hash,
}

impl Default for Catalog {
    fn default() -> Catalog {
        Catalog {
            by_key: BTreeMap::new(),
            by_path: HashMap::new(),
            sizes: HashMap::new(),
            fingerprint: blake3::Hash::from_bytes([0; 32]),
        }
    }
}

impl Catalog {
    /// A catalog of `(key, source path, picture)` entries.
    pub fn new(entries: Vec<(String, String, Picture)>) -> Catalog {
        let mut fp = blake3::Hasher::new();
        let mut catalog = Catalog::default();
        for (key, path, picture) in entries {
            fp.update(key.as_bytes()).update(b"\0");
            fp.update(picture.srcset.as_bytes()).update(b"\0");
            fp.update(picture.src.as_bytes()).update(b"\0");
            fp.update(picture.sizes.as_bytes()).update(b"\0");
            fp.update(&picture.width.to_le_bytes());
            fp.update(&picture.height.to_le_bytes());
            catalog.by_path.insert(path, key.clone());
            catalog.by_key.insert(key, picture);
        }
        catalog.fingerprint = fp.finalize();
        catalog
    }

    /// The same catalog, knowing the pixel sizes of the images it did not process, by
    /// `(object key, source path)`.
    pub(crate) fn with_sizes(mut self, sizes: Vec<(String, String, (u32, u32))>) -> Catalog {
        let mut fp = blake3::Hasher::new();
        fp.update(self.fingerprint.as_bytes());
        for (key, path, (w, h)) in sizes {
            fp.update(key.as_bytes()).update(b"\0");
            fp.update(&w.to_le_bytes()).update(&h.to_le_bytes());
            self.by_path.insert(path, key.clone());
            self.sizes.insert(key, (w, h));
        }
        self.fingerprint = fp.finalize();
        self
    }

    /// True when no image was processed or measured.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty() && self.sizes.is_empty()
    }

    /// The (width, height) of an image left as it is, found as [`Catalog::lookup`] finds
    /// pictures.
    pub(crate) fn size_of(&self, dest: &str, from: &str) -> Option<(u32, u32)> {
        self.sizes.get(&self.key_for(dest, from)?).copied()
    }

    /// Changes whenever any picture's markup would.
    pub fn fingerprint(&self) -> blake3::Hash {
        self.fingerprint
    }

    /// The pictures by object key, as templates see them.
    pub(crate) fn by_key(&self) -> &BTreeMap<String, Picture> {
        &self.by_key
    }

    /// The picture at an object key (`posts/t/a.jpg`, `/img/a.png`) or a source path
    /// (`content/posts/t/a.jpg`, `static/img/a.png`), for templates.
    pub fn find(&self, path: &str) -> Option<&Picture> {
        let path = path.trim_start_matches('/');
        self.by_key
            .get(path)
            .or_else(|| self.by_key.get(self.by_path.get(path)?))
    }

    /// The picture an image link in the Markdown file `from` (`content/posts/t/index.md`)
    /// points at: `/img/a.jpg` is the object `img/a.jpg`; `a.jpg` and `../a.jpg` are
    /// resolved against the Markdown file's folder. `None` for other URLs and other files.
    pub(crate) fn lookup(&self, dest: &str, from: &str) -> Option<&Picture> {
        if self.by_key.is_empty() {
            return None;
        }
        self.by_key.get(&self.key_for(dest, from)?)
    }

    /// The object key an image link in `from` points at (see [`Catalog::lookup`]).
    fn key_for(&self, dest: &str, from: &str) -> Option<String> {
        if dest.contains(['?', '#']) {
            return None;
        }
        if let Some(key) = dest.strip_prefix('/') {
            if key.starts_with('/') {
                return None;
            }
            return Some(decode_spaces(key));
        }
        if dest.contains(':') {
            return None;
        }
        let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
        let path = crate::content::normalize_site_path(&format!("{dir}/{dest}"))?;
        self.by_path.get(&decode_spaces(&path)).cloned()
    }
}

fn decode_spaces(path: &str) -> String {
    path.replace("%20", " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(src: &str) -> Picture {
        let c = markup::Candidate {
            url: src.into(),
            width: 10,
        };
        Picture {
            webp: vec![c.clone()],
            srcset: Picture::srcset_of(std::slice::from_ref(&c)),
            src: src.into(),
            src_type: "image/jpeg".into(),
            width: 10,
            height: 10,
            sizes: "100vw".into(),
            largest: c,
        }
    }

    #[test]
    fn lookup_resolves_bundle_static_and_parent_paths() {
        let catalog = Catalog::new(vec![
            (
                "posts/t/a b.jpg".into(),
                "content/posts/t/a b.jpg".into(),
                picture("1"),
            ),
            ("img/s.png".into(), "static/img/s.png".into(), picture("2")),
            (
                "posts/up.jpg".into(),
                "content/posts/up.jpg".into(),
                picture("3"),
            ),
        ]);
        let from = "content/posts/t/index.md";
        assert_eq!(catalog.lookup("a%20b.jpg", from).unwrap().src, "1");
        assert_eq!(catalog.lookup("./a b.jpg", from).unwrap().src, "1");
        assert_eq!(catalog.lookup("/img/s.png", from).unwrap().src, "2");
        assert_eq!(catalog.lookup("../up.jpg", from).unwrap().src, "3");
        assert!(catalog.lookup("https://x.org/a.jpg", from).is_none());
        assert!(catalog.lookup("//cdn/img/s.png", from).is_none());
        assert!(catalog.lookup("missing.jpg", from).is_none());
        assert!(catalog.lookup("../../../../x.jpg", from).is_none());
    }
}

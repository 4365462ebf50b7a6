//! Content: source files → posts and pages (front matter, slugs, drafts, bundles).

pub mod doc;
pub mod front_matter;
pub mod load;

pub use doc::{Doc, DocKind, tag_slug};
pub use load::{Filter, Scan, SourceAsset, scan};
